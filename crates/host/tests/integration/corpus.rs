//! The real host-format samples in `shared/corpus/splunk-security-content-datasources` (the
//! `example_log` of each data-source YAML) decode, and what they hold is checked against
//! oracles computed from the raw text independently of the decoders. Benign samples raise no
//! alerts.
//!
//! The shared directory is `$JOBWARDEN_SHARED`, else `../shared` next to the workspace. When it is
//! missing the tests print a skip message, except under `CI=true` where they fail.

use jobwarden_host::{HostConfig, HostDetector, HostFormat, HostReader, HostRecord, sniff};
use std::path::PathBuf;

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

#[derive(serde::Deserialize)]
struct DataSource {
    name: String,
    #[serde(default)]
    example_log: Option<String>,
}

fn samples(shared: &std::path::Path) -> Vec<(String, String)> {
    let dir = shared.join("corpus/splunk-security-content-datasources");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("splunk corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            let yaml = std::fs::read_to_string(&p).expect("read");
            let ds: DataSource = serde_saphyr::from_str(&yaml).expect("data source yaml");
            ds.example_log.map(|e| (ds.name, e))
        })
        .collect()
}

fn decode(name: &str, text: &str, format: Option<HostFormat>) -> (Vec<HostRecord>, Vec<String>) {
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for item in HostReader::new(text.as_bytes(), name.to_string(), format) {
        match item {
            Ok((r, loc)) => {
                assert_eq!(loc.source.as_ref(), name);
                assert!(loc.line >= 1);
                records.push(r);
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    (records, errors)
}

/// The value after `key` up to the next space or quote.
fn after<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let at = text.find(key)? + key.len();
    let rest = text.get(at..)?;
    Some(rest.split([' ', '"', ')']).next().unwrap_or(rest))
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

fn xml_text(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[test]
fn every_host_sample_decodes_and_matches_its_text() {
    let Some(shared) = shared_dir() else { return };
    let mut host_samples = 0;
    for (name, example) in samples(&shared) {
        let Some(format) = sniff(example.as_bytes()) else {
            // Only Kubernetes audit events are left to the audit decoder.
            assert!(
                example.contains("auditID"),
                "{name}: no host format recognised"
            );
            continue;
        };
        host_samples += 1;
        let (records, errors) = decode(&name, &example, None);
        assert!(errors.is_empty(), "{name}: {errors:?}");
        assert!(!records.is_empty(), "{name}: nothing decoded");
        // Forcing the sniffed format gives the same records.
        assert_eq!(decode(&name, &example, Some(format)).0, records, "{name}");
        let HostRecord::Process(p) = &records[0] else {
            panic!(
                "{name}: the samples are process events, got {:?}",
                records[0]
            );
        };
        assert!(!p.command_line.is_empty() && !p.argv.is_empty(), "{name}");
        match format {
            HostFormat::Auditd => {
                if let Some(argc) = after(&example, "argc=") {
                    assert_eq!(p.argv.len(), argc.parse::<usize>().expect("argc"), "{name}");
                }
                if let Some(title) = after(&example, "proctitle=") {
                    let want: Vec<String> = hex(title)
                        .split(|b| *b == 0)
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect();
                    assert_eq!(p.argv, want, "{name}");
                }
                assert!(p.time.is_some(), "{name}: audit time");
            }
            HostFormat::Sysmon => {
                let cmd = example
                    .split("Name=\"CommandLine\">")
                    .nth(1)
                    .and_then(|r| r.split("</Data>").next())
                    .expect("CommandLine");
                assert_eq!(p.command_line, xml_text(cmd), "{name}");
                let image = example
                    .split("Name=\"Image\">")
                    .nth(1)
                    .and_then(|r| r.split("</Data>").next())
                    .expect("Image");
                assert_eq!(p.exe.as_deref(), Some(image), "{name}");
                assert_eq!(
                    p.host.as_deref(),
                    example
                        .split("<Computer>")
                        .nth(1)
                        .and_then(|r| r.split("</Computer>").next())
                );
            }
            HostFormat::Tetragon => {
                let v: serde_json::Value = serde_json::from_str(&example).expect("json");
                let proc_ = &v["process_exec"]["process"];
                assert_eq!(p.exe.as_deref(), proc_["binary"].as_str(), "{name}");
                assert_eq!(
                    p.container.pod.as_deref(),
                    proc_["pod"]["name"].as_str(),
                    "{name}"
                );
                assert_eq!(
                    p.container.namespace.as_deref(),
                    proc_["pod"]["namespace"].as_str(),
                    "{name}"
                );
                assert_eq!(p.host.as_deref(), v["node_name"].as_str(), "{name}");
                assert_eq!(
                    p.parent_exe.as_deref(),
                    v["process_exec"]["parent"]["binary"].as_str(),
                    "{name}"
                );
                let args = proc_["arguments"].as_str().unwrap_or_default();
                assert_eq!(p.argv.len(), 1 + args.split_whitespace().count(), "{name}");
            }
            HostFormat::Falco => {
                if let Some(id) = after(&example, "container_id=") {
                    assert_eq!(p.container.id.as_deref(), Some(id), "{name}");
                }
                if let Some(pod) = after(&example, "k8s_pod_name=") {
                    assert_eq!(p.container.pod.as_deref(), Some(pod), "{name}");
                }
                assert!(
                    example.contains(&p.command_line),
                    "{name}: {}",
                    p.command_line
                );
            }
            HostFormat::Ecs | HostFormat::Envoy => {}
        }
    }
    assert!(
        host_samples >= 4,
        "expected the auditd, Sysmon, Falco and Tetragon samples, found {host_samples}"
    );
}

#[test]
fn samples_survive_rewrapping_and_mixing() {
    let Some(shared) = shared_dir() else { return };
    for (name, example) in samples(&shared) {
        let Some(format) = sniff(example.as_bytes()) else {
            continue;
        };
        let one = decode(&name, &example, None).0;
        let rewrapped = match format {
            // As forwarded by syslog, as written by a multi-node auditd (`node=`).
            HostFormat::Sysmon => format!("Nov 27 10:00:00 host sysmon: {example}"),
            HostFormat::Auditd => format!("node=worker-1 {example}"),
            _ => example.clone(),
        };
        // Three copies with blank lines between: three records on lines 1, 3 and 5. auditd
        // groups records by serial, so each copy gets its own.
        let copies: Vec<String> = (1..=3)
            .map(|i| {
                if format == HostFormat::Auditd {
                    rewrapped.replacen("): ", &format!("{i}): "), 1)
                } else {
                    rewrapped.clone()
                }
            })
            .collect();
        let text = format!("{}\n\n{}\n\n{}\n", copies[0], copies[1], copies[2]);
        let mut lines = Vec::new();
        let mut count = 0;
        for item in HostReader::new(text.as_bytes(), "mixed", None) {
            let (record, loc) = item.unwrap_or_else(|e| panic!("{name}: {e}"));
            lines.push(loc.line);
            count += 1;
            if format != HostFormat::Auditd {
                assert_eq!(record.time(), one[0].time(), "{name}");
            }
        }
        assert_eq!(count, 3 * one.len(), "{name}");
        lines.dedup();
        assert_eq!(lines, [1, 3, 5], "{name}");
    }
}

#[test]
fn benign_samples_raise_nothing() {
    let Some(shared) = shared_dir() else { return };
    let mut detector = HostDetector::new(HostConfig::default());
    for (name, example) in samples(&shared) {
        if sniff(example.as_bytes()).is_none() {
            continue;
        }
        let mut alerts = Vec::new();
        for item in HostReader::new(example.as_bytes(), name.clone(), None) {
            let (record, loc) = item.expect("decodes");
            detector.push(&record, &loc, &mut alerts);
        }
        assert!(alerts.is_empty(), "{name}: {alerts:#?}");
    }
    assert!(detector.intents().is_empty());
}
