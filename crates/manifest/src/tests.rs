//! Loader tests: multi-document YAML, JSON, `List`s, lines, limits and bad input.

use super::*;
use serde_json::json;

fn load(text: &str) -> LoadReport {
    load_str("in.yaml", text, &Limits::default())
}

const HELM: &str = "---
# Source: app/templates/sa.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
---
# Source: app/templates/cronjob.yaml
apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: unconfined
spec:
  schedule: \"*/5 * * * *\"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: app
              image: \"busybox\"
              securityContext:
                privileged: true
---
";

#[test]
fn loads_helm_output_with_lines() {
    let report = load(HELM);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.documents.len(), 2);
    let cj = &report.documents[1];
    assert_eq!(
        (cj.kind(), cj.name(), cj.line, cj.index),
        ("CronJob", Some("backup"), 9, 1)
    );
    let path = "spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged";
    assert_eq!(cj.line_of(path), 25);
    assert_eq!(
        cj.line_of("spec.jobTemplate.spec.template.spec.containers[0]"),
        22
    );
    assert_eq!(cj.line_of("spec.schedule"), 16);
    assert_eq!(
        cj.line_of("metadata.annotations[\"container.apparmor.security.beta.kubernetes.io/app\"]"),
        14
    );
    // Missing fields fall back to their nearest parent, nonsense to the object.
    assert_eq!(
        cj.line_of(
            "spec.jobTemplate.spec.template.spec.containers[0].securityContext.runAsNonRoot"
        ),
        24
    );
    assert_eq!(cj.line_of("nope[\"x"), 9);
    assert_eq!(report.documents[0].line_of("metadata.name"), 6);
    let id = cj.object_id();
    assert_eq!(
        (
            id.api_version.as_str(),
            id.kind.as_str(),
            id.name.as_deref()
        ),
        ("batch/v1", "CronJob", Some("backup"))
    );
    assert_eq!(
        cj.location_of("spec.schedule"),
        jobwarden_model::Location {
            file: "in.yaml".into(),
            line: 16
        }
    );
}

#[test]
fn expands_lists_with_item_lines() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    containers: []\n- apiVersion: batch/v1\n  kind: Job\n  metadata:\n    name: b\n";
    let report = load(text);
    assert!(report.errors.is_empty());
    let kinds: Vec<_> = report
        .documents
        .iter()
        .map(|d| (d.kind(), d.line))
        .collect();
    assert_eq!(kinds, vec![("Pod", 4), ("Job", 9)]);
    assert_eq!(report.documents[1].line_of("metadata.name"), 12);
    assert_eq!(report.documents[0].line_of("spec.containers"), 8);

    let typed = load("apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a}\n");
    assert_eq!(typed.documents[0].kind(), "Pod");
    assert_eq!(typed.documents[0].api_version(), "v1");
}

#[test]
fn loads_json_objects_and_arrays() {
    let text = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"p\"},\n  \"spec\": {\n    \"hostPID\": true\n  }\n}\n";
    let report = load_str("pod.json", text, &Limits::default());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.documents[0].value["spec"], json!({"hostPID": true}));
    assert_eq!(report.documents[0].line_of("spec.hostPID"), 6);

    let array = load_str(
        "a.json",
        "[{\"kind\": \"Pod\"},\n {\"kind\": \"Job\"}]",
        &Limits::default(),
    );
    let lines: Vec<_> = array.documents.iter().map(|d| (d.kind(), d.line)).collect();
    assert_eq!(lines, vec![("Pod", 1), ("Job", 2)]);
}

#[test]
fn bad_documents_are_reported_and_the_others_still_load() {
    let text = "kind: A\n---\nkind: [unclosed\n---\njust a string\n---\nkind: B\nkind: B\n---\nkind: C\nx: *nowhere\n---\n? [a]\n: b\n---\n# only a comment\n---\nkind: D\n";
    let report = load(text);
    let kinds: Vec<_> = report.documents.iter().map(Document::kind).collect();
    assert_eq!(kinds, vec!["A", "D"]);
    let lines: Vec<_> = report.errors.iter().map(|e| (e.file(), e.line())).collect();
    assert_eq!(report.errors.len(), 5, "{:?}", report.errors);
    assert!(
        matches!(report.errors[0], LoadError::Syntax { line: 3..=4, .. }),
        "{}",
        report.errors[0]
    );
    assert!(matches!(
        report.errors[1],
        LoadError::NotAnObject {
            line: 5,
            found: "a string",
            ..
        }
    ));
    assert!(
        matches!(&report.errors[2], LoadError::DuplicateKey { key, line: 8, .. } if key == "kind")
    );
    // granit-parser reports an alias without anchor as a syntax error.
    assert!(
        matches!(&report.errors[3], LoadError::Syntax { line: 11, message, .. } if message.contains("anchor")),
        "{:?}",
        report.errors
    );
    assert!(matches!(report.errors[4], LoadError::ComplexKey { .. }));
    assert!(lines.iter().all(|(f, l)| *f == "in.yaml" && l.is_some()));
    assert!(report.errors[0].to_string().starts_with("in.yaml:"));
}

#[test]
fn billion_laughs_is_stopped_by_the_node_budget() {
    let mut text =
        String::from("kind: Bomb\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    text.push_str("---\nkind: After\n");
    let report = load(&text);
    assert!(
        matches!(report.errors.as_slice(), [LoadError::TooManyNodes { .. }]),
        "{:?}",
        report.errors
    );
    let kinds: Vec<_> = report.documents.iter().map(Document::kind).collect();
    assert_eq!(kinds, vec!["After"]);

    let limits = Limits {
        max_aliases: 3,
        ..Limits::default()
    };
    let report = load_str("x", "a: &a 1\nb: [*a, *a, *a, *a]\n", &limits);
    assert!(matches!(
        report.errors.as_slice(),
        [LoadError::TooManyAliases { line: 2, .. }]
    ));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for (open, close) in [("[", "]"), ("{a: ", "}")] {
        let text = format!(
            "kind: Deep\nx: {}1{}\n---\nkind: After\n",
            open.repeat(100_000),
            close.repeat(100_000)
        );
        let report = load(&text);
        assert_eq!(report.documents.len(), 1, "{open}");
        assert_eq!(report.documents[0].kind(), "After");
        assert_eq!(report.errors.len(), 1, "{open}");
        assert!(matches!(
            report.errors[0],
            LoadError::TooDeep { line: 2, .. } | LoadError::Syntax { line: 2, .. }
        ));
    }
    // Block style nesting too.
    let mut text = String::from("kind: Deep\n");
    for depth in 0..1000 {
        text.push_str(&" ".repeat(depth));
        text.push_str("k:\n");
    }
    let report = load(&text);
    assert!(
        matches!(report.errors.as_slice(), [LoadError::TooDeep { .. }]),
        "{:?}",
        report.errors
    );
}

#[test]
fn limits_on_size_and_document_count() {
    let limits = Limits {
        max_file_bytes: 10,
        ..Limits::default()
    };
    let report = load_str("big.yaml", "kind: TooLong\n", &limits);
    assert!(matches!(
        report.errors.as_slice(),
        [LoadError::TooLarge { size: 14, .. }]
    ));

    let limits = Limits {
        max_documents: 2,
        ..Limits::default()
    };
    let report = load_str(
        "many.yaml",
        "kind: A\n---\nkind: B\n---\nkind: C\n---\nkind: D\n",
        &limits,
    );
    assert_eq!(report.documents.len(), 2);
    assert!(matches!(
        report.errors.as_slice(),
        [LoadError::TooManyDocuments { line: 5, .. }]
    ));
}

#[test]
fn walks_directories_and_reads_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("b/c")).expect("mkdir");
    std::fs::create_dir_all(root.join(".git")).expect("mkdir");
    std::fs::create_dir_all(root.join(".kyverno-test")).expect("mkdir");
    std::fs::write(root.join(".kyverno-test/r.yaml"), "kind: K\n").expect("write");
    std::fs::write(root.join("a.yaml"), "kind: A\n").expect("write");
    std::fs::write(root.join("b/c/d.yml"), "kind: D\n---\nkind: E\n").expect("write");
    std::fs::write(root.join("b/x.json"), "{\"kind\": \"X\"}").expect("write");
    std::fs::write(root.join("b/readme.md"), "kind: NotMe\n").expect("write");
    std::fs::write(root.join(".git/h.yaml"), "kind: Hidden\n").expect("write");
    std::fs::write(root.join("bad.yaml"), [0xff, 0xfe, 0x00]).expect("write");
    let report = load_paths(
        &[root.to_path_buf(), root.join("missing.yaml")],
        &Limits::default(),
    );
    let kinds: Vec<_> = report.documents.iter().map(Document::kind).collect();
    assert_eq!(kinds, vec!["K", "A", "D", "E", "X"]);
    assert!(report.documents[3].file.ends_with("b/c/d.yml"));
    assert_eq!(report.documents[3].line, 3);
    assert_eq!(report.errors.len(), 2, "{:?}", report.errors);
    assert!(matches!(report.errors[0], LoadError::NotText { .. }));
    assert!(
        matches!(&report.errors[1], LoadError::Io { file, .. } if file.ends_with("missing.yaml"))
    );
}

#[test]
fn json_with_tabs_and_kubectl_lists() {
    let text = "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"List\",\n\t\"items\": [\n\t\t{\n\t\t\t\"kind\": \"Pod\",\n\t\t\t\"spec\": {\"hostIPC\": true}\n\t\t}\n\t]\n}\n";
    let report = load_str("get.json", text, &Limits::default());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.documents.len(), 1);
    assert_eq!(report.documents[0].line, 5);
    assert_eq!(report.documents[0].line_of("spec.hostIPC"), 7);
}

#[test]
fn crlf_bom_and_explicit_document_ends() {
    let text = "\u{feff}kind: A\r\nmetadata:\r\n  name: a\r\n...\r\n---\r\nkind: B\r\n";
    let report = load(text);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let found: Vec<_> = report
        .documents
        .iter()
        .map(|d| (d.kind(), d.line))
        .collect();
    assert_eq!(found, vec![("A", 1), ("B", 6)]);
    assert_eq!(report.documents[0].line_of("metadata.name"), 3);
    assert_eq!(report.documents[0].value["metadata"]["name"], "a");
}
