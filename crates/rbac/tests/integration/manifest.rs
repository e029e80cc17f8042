//! End to end with the manifest loader: the bootstrap policy read by `jobwarden-manifest`
//! (which expands `List`s with a line per item) gives the same answers, and findings point at
//! the binding's own line.

use crate::common;

use jobwarden_manifest::{Limits, load_paths};
use jobwarden_rbac::{AccessQuery, Analysis, SourcedObject, SubjectPattern};
use std::collections::BTreeSet;

#[test]
fn manifest_loader_output_feeds_the_analysis() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir = shared.join("fixtures/rbac/bootstrap");
    let report = load_paths(std::slice::from_ref(&dir), &Limits::default());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let objects: Vec<SourcedObject> = report
        .documents
        .iter()
        .map(|d| SourcedObject::new(d.value.clone(), d.file.clone(), d.line))
        .collect();
    let via_loader = Analysis::build(&objects);
    let via_test = Analysis::build(&common::load_dir(&dir));
    assert!(via_loader.errors().is_empty(), "{:?}", via_loader.errors());
    assert_eq!(via_loader.counts(), via_test.counts());
    let q = AccessQuery::parse("update", "cronjobs.batch").expect("query");
    let key = |a: &Analysis| -> BTreeSet<(String, String)> {
        a.who_can(&q)
            .into_iter()
            .map(|x| (x.subject.to_string(), x.scope.to_string()))
            .collect()
    };
    assert_eq!(key(&via_loader), key(&via_test));
    // Findings name the line of the binding itself, inside the List.
    let findings = via_loader
        .rbac_findings(&[SubjectPattern::parse("Group:system:masters").expect("pattern")]);
    let lines: BTreeSet<u64> = findings.iter().map(|f| f.location.line).collect();
    assert!(lines.len() > 1 && !lines.contains(&1), "{lines:?}");
}
