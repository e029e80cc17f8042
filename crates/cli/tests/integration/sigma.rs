//! End-to-end tests of Sigma rules and the prefilter: `jobwarden rules --sigma` counts the
//! rules that have no literal to require (evaluated on every audit event), and `hunt`'s
//! requirement prefilter never loses a Sigma match, whatever the JSON spacing or case.

use jobwarden_testkit::{repo_root as repo, shared};
use serde_json::Value;
use std::process::{Command, Output};

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_jobwarden")
}

fn run(args: &[&str]) -> Output {
    Command::new(exe())
        .args(args)
        .output()
        .expect("run jobwarden")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The counts of the summary line of `rules --sigma`: loaded, errors, filtered, never firing,
/// every event, other log sources.
fn counts(text: &str) -> [usize; 6] {
    let line = text
        .lines()
        .find(|l| l.contains("Sigma rule(s) loaded"))
        .unwrap_or_else(|| panic!("no Sigma summary in:\n{text}"));
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .filter_map(|w| w.parse().ok())
        .collect();
    numbers
        .try_into()
        .unwrap_or_else(|n| panic!("six counts expected in {line:?}, got {n:?}"))
}

fn write_rule(dir: &std::path::Path, name: &str, logsource: &str, detection: &str) {
    std::fs::write(
        dir.join(name),
        format!(
            "title: {name}\nid: {name}\nlevel: medium\nlogsource: {logsource}\ndetection:\n{detection}"
        ),
    )
    .expect("write rule");
}

const AUDIT: &str = "{product: kubernetes, service: audit}";

#[test]
fn rules_lists_sigma_rules_and_counts_those_without_literals() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write_rule(
        dir,
        "literal.yml",
        AUDIT,
        "  sel:\n    verb: create\n    objectRef.resource: secrets\n  condition: sel\n",
    );
    write_rule(
        dir,
        "regex-only.yml",
        AUDIT,
        "  sel:\n    requestURI|re: '^/api/v1/namespaces/[^/]+/pods$'\n  condition: sel\n",
    );
    write_rule(
        dir,
        "never.yml",
        AUDIT,
        "  sel:\n    hostPath: '*'\n  condition: sel\n",
    );
    write_rule(
        dir,
        "process.yml",
        "{product: linux, category: process_creation}",
        "  sel:\n    Image|endswith: /curl\n  condition: sel\n",
    );
    let out = run(&["rules", "--sigma", dir.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert_eq!(counts(&text), [4, 0, 1, 1, 1, 1], "{text}");
    let row = |id: &str| {
        text.lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("no row for {id}:\n{text}"))
            .to_string()
    };
    assert!(row("regex-only.yml").contains("every-event"));
    assert!(row("literal.yml").contains("filtered"));
    assert!(row("never.yml").contains("never-fires"));

    // JSON: the Sigma rules follow the built-in ones, with what an audit line must hold.
    let out = run(&[
        "rules",
        "--format",
        "json",
        "--sigma",
        dir.join("literal.yml").to_str().expect("path"),
    ]);
    let listed: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    let sigma: Vec<&Value> = listed.iter().filter(|r| r["family"] == "sigma").collect();
    assert_eq!(sigma.len(), 1);
    assert_eq!(sigma[0]["prefilter"], "filtered");
    let clauses = sigma[0]["requirement"].as_array().expect("clauses");
    assert_eq!(clauses.len(), 2, "{clauses:?}");
    assert!(listed.iter().any(|r| r["family"] == "audit"));

    // A rule that does not load is reported and makes the exit code 2.
    write_rule(
        dir,
        "bad.yml",
        AUDIT,
        "  sel:\n    verb|nosuchmodifier: x\n  condition: sel\n",
    );
    let out = run(&["rules", "--sigma", dir.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.yml"));
    assert_eq!(counts(&stdout(&out))[..2], [4, 1]);
}

#[test]
fn rules_counts_match_what_hunt_evaluates() {
    // With a rule without literals, hunt evaluates every final-stage record; `rules` says so.
    let tmp = tempfile::tempdir().expect("tempdir");
    write_rule(
        tmp.path(),
        "regex-only.yml",
        AUDIT,
        "  sel:\n    requestURI|re: '^/zzz'\n  condition: sel\n",
    );
    let demo = repo().join("examples/audit-demo.jsonl");
    let evaluated = |rule: &std::path::Path| -> u64 {
        let out = run(&[
            "hunt",
            "--format",
            "jsonl",
            "--sigma",
            rule.to_str().expect("path"),
            demo.to_str().expect("path"),
        ]);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        err.lines()
            .find_map(|l| {
                l.split("sigma: ")
                    .nth(1)?
                    .split(' ')
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or_else(|| panic!("no sigma note in:\n{err}"))
    };
    let every = evaluated(&tmp.path().join("regex-only.yml"));
    let listing = stdout(&run(&[
        "rules",
        "--sigma",
        tmp.path().to_str().expect("path"),
    ]));
    assert_eq!(counts(&listing)[4], 1, "{listing}");
    write_rule(
        tmp.path(),
        "literal.yml",
        AUDIT,
        "  sel:\n    verb: create\n    objectRef.resource: secrets\n  condition: sel\n",
    );
    let filtered = evaluated(&tmp.path().join("literal.yml"));
    assert!(
        filtered < every,
        "a rule with literals sees fewer records ({filtered}) than one without ({every})"
    );
}

/// Writes an event as one line of a log.
type Render = fn(&Value) -> String;

/// The event as one compact line.
fn compact(v: &Value) -> String {
    v.to_string()
}

/// The event re-written with a space after every `:` and `,` (as Python's `json.dumps` does).
fn spaced(v: &Value) -> String {
    serde_json::to_string_pretty(v)
        .expect("json")
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Upper-cases every string value (Sigma matching is case-insensitive by default).
fn shouted(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.to_uppercase()),
        Value::Array(items) => Value::Array(items.iter().map(shouted).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    // Enumerations the decoder reads exactly keep their spelling.
                    let keep = matches!(k.as_str(), "stage" | "level" | "kind" | "apiVersion");
                    (k.clone(), if keep { v.clone() } else { shouted(v) })
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn requirement_prefilter_keeps_every_sigma_match_in_any_spacing_or_case() {
    let Some(shared) = shared() else { return };
    let rules = shared.join("corpus/sigmahq-kubernetes-rules");
    let demo = std::fs::read_to_string(repo().join("examples/audit-demo.jsonl")).expect("demo");
    let events: Vec<Value> = demo
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("demo line"))
        .collect();
    let tmp = tempfile::tempdir().expect("tempdir");
    let variants: [(&str, Render); 5] = [
        ("compact", compact),
        ("spaced", spaced),
        ("shouted", |v| shouted(v).to_string()),
        // Cloud wrappers holding the event as an escaped JSON string.
        ("aks", |v| {
            serde_json::json!({"category": "kube-audit", "properties": {"log": spaced(v)}})
                .to_string()
        }),
        ("eks", |v| {
            serde_json::json!({"@timestamp": "x", "@message": v.to_string()}).to_string()
        }),
    ];
    for (name, render) in &variants {
        let log = tmp.path().join(format!("{name}.jsonl"));
        let text: Vec<String> = events.iter().map(render).collect();
        std::fs::write(&log, text.join("\n") + "\n").expect("write log");
        let sigma_ids = |extra: &[&str]| -> Vec<String> {
            let mut args = vec!["hunt", "--format", "jsonl", "-q"];
            args.extend_from_slice(extra);
            args.extend([
                "--sigma",
                rules.to_str().expect("path"),
                log.to_str().expect("path"),
            ]);
            let out = run(&args);
            let mut ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter(|a| {
                    a["rule"]["origin"]
                        .as_str()
                        .is_some_and(|o| o.starts_with("sigma:"))
                })
                .map(|a| format!("{} {}", a["rule"]["id"], a["evidence"][0]["source"]))
                .collect();
            ids.sort();
            ids
        };
        let filtered = sigma_ids(&[]);
        let full = sigma_ids(&["--no-prefilter"]);
        assert!(!full.is_empty(), "{name}: no Sigma alert at all");
        assert_eq!(filtered, full, "{name}: the prefilter lost Sigma matches");
    }
}

#[test]
fn config_sigma_section_loads_rules_with_placeholders_and_mappings() {
    // `sigma:` in the config: rules relative to the config file, `%placeholder%` values for
    // `expand`, a field mapping laid over the raw audit paths. `rules` and `hunt` both honour it.
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::create_dir(dir.join("rules")).expect("mkdir");
    write_rule(
        &dir.join("rules"),
        "admin-cronjob.yml",
        AUDIT,
        "  selection:\n    creator|expand: '%batch_admins%'\n    objectRef.resource: cronjobs\n    verb: create\n  condition: selection\n",
    );
    std::fs::write(
        dir.join("jobwarden.yaml"),
        "sigma:\n  rules: [rules/]\n  placeholders:\n    batch_admins: [kubernetes-admin]\n  field_mappings:\n    kubernetes_audit:\n      paths: {creator: [user.username]}\n",
    )
    .expect("config");
    let config = dir.join("jobwarden.yaml");
    let config = config.to_str().expect("path");

    let listed = run(&["rules", "--config", config]);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert_eq!(counts(&stdout(&listed))[..2], [1, 0], "{}", stdout(&listed));

    let demo = repo().join("examples/audit-demo.jsonl");
    let out = run(&[
        "hunt",
        "--format",
        "jsonl",
        "--config",
        config,
        demo.to_str().expect("path"),
    ]);
    let sigma: Vec<Value> = stdout(&out)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|a| a["rule"]["id"] == "admin-cronjob.yml")
        .collect();
    assert_eq!(sigma.len(), 1, "{}", stdout(&out));
    assert_eq!(
        sigma[0]["actor"]["username"], "kubernetes-admin",
        "{}",
        sigma[0]
    );

    // Without the placeholder the rule cannot compile: the error names it.
    std::fs::write(dir.join("empty.yaml"), "sigma:\n  rules: [rules/]\n").expect("config");
    let out = run(&[
        "rules",
        "lint",
        "--config",
        dir.join("empty.yaml").to_str().expect("path"),
        dir.join("rules").to_str().expect("path"),
    ]);
    assert!(!out.status.success());
    assert!(stdout(&out).contains("batch_admins"), "{}", stdout(&out));
}
