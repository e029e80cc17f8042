//! Every real sample in `shared/corpus` decodes. The expected number of events per file is
//! computed independently of the decoder: each audit event carries an `auditID` key (raw, or
//! escaped inside a wrapper string) and each GKE entry a `protoPayload`.
//!
//! The shared directory is `$JOBWARDEN_SHARED`, else `../shared` next to the workspace. When it is
//! missing the tests print a skip message, except under `CI=true` where they fail.

use flate2::Compression;
use flate2::write::GzEncoder;
use jobwarden_decode::{
    BlockOutput, DecodeOptions, ErrorCode, Prefilter, Source, decode_bytes, expand_sources,
    read_source,
};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Audit-log corpora (sub-directories of `corpus/`); everything in them must decode.
const AUDIT_CORPORA: [&str; 3] = [
    "audit2rbac",
    "elastic-integrations-k8s-audit",
    "falco-k8s-audit-traces",
];

fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("JOBWARDEN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    if dir.join("corpus").is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "shared data not found at {} (set JOBWARDEN_SHARED)",
            dir.display()
        );
    }
    eprintln!(
        "SKIP: shared data not found at {} (set JOBWARDEN_SHARED)",
        dir.display()
    );
    None
}

fn all() -> DecodeOptions {
    DecodeOptions {
        prefilter: Prefilter::parse_everything(),
        ..DecodeOptions::default()
    }
}

/// The oracle: events a file holds, counted from its text.
fn expected_events(text: &[u8]) -> usize {
    let count = |needle: &[u8]| text.windows(needle.len()).filter(|w| *w == needle).count();
    count(b"auditID") + count(b"\"protoPayload\"")
}

fn corpus_files(shared: &Path) -> Vec<PathBuf> {
    let sources: Vec<Source> = AUDIT_CORPORA
        .iter()
        .map(|d| Source::path(shared.join("corpus").join(d)))
        .collect();
    let files: Vec<PathBuf> = expand_sources(&sources)
        .into_iter()
        .map(|s| match s.expect("readable corpus").kind() {
            jobwarden_decode::SourceKind::Path(p) => p.clone(),
            other => panic!("unexpected source {other:?}"),
        })
        .collect();
    assert!(files.len() >= 10, "corpus looks empty: {files:?}");
    files
}

fn check_events(name: &str, out: &BlockOutput, line_count: u64) {
    for decoded in &out.events {
        let ev = &decoded.event;
        assert!(
            !ev.verb.is_empty(),
            "{name}: event without verb at {}",
            decoded.location
        );
        assert!(
            !ev.audit_id.is_empty(),
            "{name}: event without id at {}",
            decoded.location
        );
        assert!(
            ev.timestamp().is_some(),
            "{name}: event without a time at {}",
            decoded.location
        );
        assert!(
            (1..=line_count.max(1)).contains(&decoded.location.line),
            "{name}: line {} out of range",
            decoded.location.line
        );
        for key in ev.annotations.keys() {
            let domain = key.split_once('/').map_or("", |(d, _)| d);
            assert!(
                !domain.contains('_'),
                "{name}: mangled annotation key {key}"
            );
        }
    }
}

#[test]
fn every_audit_corpus_file_decodes_completely() {
    let Some(shared) = shared_dir() else { return };
    let mut total = 0;
    for path in corpus_files(&shared) {
        let bytes = std::fs::read(&path).expect("read corpus file");
        let name = path.to_string_lossy().to_string();
        let expected = expected_events(&bytes);
        let full = decode_bytes(&name, &bytes, &all());
        let lines = full.stats.lines;
        check_events(&name, &full, lines);
        assert_eq!(
            full.events.len(),
            expected,
            "{name}: errors {:?}",
            full.errors
        );
        if expected > 0 {
            assert!(full.errors.is_empty(), "{name}: {:?}", full.errors);
        } else {
            // Nothing in it is an audit event: every record is reported, as not being one.
            assert!(!full.errors.is_empty(), "{name}: silently dropped");
            assert!(
                full.errors
                    .iter()
                    .all(|e| e.code == ErrorCode::NotAnAuditEvent),
                "{name}: {:?}",
                full.errors
            );
        }

        // The prefilter sees the same events (parsed or counted) and the same verbs.
        let fast = decode_bytes(&name, &bytes, &DecodeOptions::default());
        assert_eq!(fast.stats.events(), expected as u64, "{name}");
        assert_eq!(
            fast.stats.events_by_verb, full.stats.events_by_verb,
            "{name}"
        );
        assert_eq!(fast.errors, full.errors, "{name}");

        // Gzip and tiny blocks change nothing.
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(&bytes).expect("gzip");
        let packed = enc.finish().expect("gzip");
        let tiny = DecodeOptions {
            block_bytes: 97,
            ..all()
        };
        let again = decode_bytes(&name, &packed, &tiny);
        assert_eq!(again.events, full.events, "{name}");
        assert_eq!(again.errors, full.errors, "{name}");
        assert_eq!(again.stats, full.stats, "{name}");
        total += expected;
    }
    assert!(total > 800, "only {total} events in the corpus");
}

#[test]
fn corpus_wrappers_carry_user_verb_and_cluster() {
    let Some(shared) = shared_dir() else { return };
    for path in corpus_files(&shared) {
        let bytes = std::fs::read(&path).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        let out = decode_bytes("w", &bytes, &all());
        // Records that name a cluster (GKE resource labels, AKS resource ids) give it to the event.
        let named =
            text.matches("\"cluster_name\"").count() + text.matches("MANAGEDCLUSTERS").count();
        let with_cluster = out
            .events
            .iter()
            .filter(|e| e.event.cluster.is_some())
            .count();
        assert_eq!(with_cluster, named, "{}", path.display());
        for e in &out.events {
            assert!(
                !e.event.user.username.is_empty(),
                "{}: {}",
                path.display(),
                e.location
            );
        }
    }
}

#[derive(serde::Deserialize)]
struct DataSource {
    name: String,
    #[serde(default)]
    example_log: Option<String>,
}

#[test]
fn splunk_example_logs_decode_raw_and_rewrapped() {
    let Some(shared) = shared_dir() else { return };
    let dir = shared.join("corpus/splunk-security-content-datasources");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("splunk corpus")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    let mut audit_examples = 0;
    for path in paths {
        let yaml = std::fs::read_to_string(&path).expect("read");
        let source: DataSource = serde_saphyr::from_str(&yaml).expect("data source yaml");
        let Some(example) = source.example_log else {
            continue;
        };
        let name = source.name;
        let expected = expected_events(example.as_bytes());
        let raw = decode_bytes(&name, example.as_bytes(), &all());
        assert_eq!(raw.events.len(), expected, "{name}: {:?}", raw.errors);
        if expected == 0 {
            // Not audit data (auditd, Sysmon XML, Falco text, Tetragon JSON): reported, not dropped.
            assert!(!raw.errors.is_empty(), "{name}");
            continue;
        }
        audit_examples += 1;
        assert!(raw.errors.is_empty(), "{name}: {:?}", raw.errors);
        check_events(&name, &raw, 1);

        // The same event as EKS would export it, as AKS would, and in a webhook EventList.
        let one_line: serde_json::Value = serde_json::from_str(&example).expect("json example");
        let compact = one_line.to_string();
        let escaped = serde_json::to_string(&compact).expect("string");
        let wrapped = [
            format!(r#"{{"timestamp":1,"message":{escaped}}}"#),
            format!(
                r#"{{"messageType":"DATA_MESSAGE","logGroup":"/aws/eks/corpus/cluster","logEvents":[{{"id":"1","timestamp":1,"message":{escaped}}}]}}"#
            ),
            format!(r#"{{"category":"kube-audit","properties":{{"log":{escaped}}}}}"#),
            format!(r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{compact}]}}"#),
            serde_json::to_string_pretty(&one_line).expect("pretty"),
        ];
        for text in wrapped {
            let out = decode_bytes(&name, text.as_bytes(), &DecodeOptions::default());
            assert!(out.errors.is_empty(), "{name}: {:?}", out.errors);
            assert_eq!(out.events.len(), expected, "{name}: {text}");
            for (got, want) in out.events.iter().zip(&raw.events) {
                let mut got = got.event.clone();
                if got.cluster.as_deref() == Some("corpus") {
                    got.cluster = None;
                }
                assert_eq!(got, want.event, "{name}");
            }
        }
    }
    assert!(
        audit_examples >= 1,
        "no audit example among the data sources"
    );
}

#[test]
fn the_corpus_directory_reads_as_sources() {
    let Some(shared) = shared_dir() else { return };
    let sources = expand_sources(&[Source::path(shared.join("corpus/falco-k8s-audit-traces"))]);
    let names: Vec<String> = sources
        .iter()
        .flatten()
        .map(|s| s.name().to_string())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let mut events = 0;
    let mut errors = 0;
    for source in sources.iter().flatten() {
        let mut it = read_source(source, &DecodeOptions::default());
        // No batch events here: the prefilter counts them without parsing.
        errors += it.by_ref().filter(Result::is_err).count();
        events += it.stats().events();
        assert!(it.stats().lines > 0, "{}", source.name());
    }
    assert!(events > 0);
    assert_eq!(errors, names.iter().filter(|n| !file_has_events(n)).count());
}

fn file_has_events(path: &str) -> bool {
    std::fs::read(path).is_ok_and(|b| expected_events(&b) > 0)
}
