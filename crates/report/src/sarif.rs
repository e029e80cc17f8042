//! SARIF 2.1.0 output for posture findings (`scan --format sarif`), in the shape GitHub code
//! scanning accepts: one run, `tool.driver` with name, version, information URI and one rule
//! per check (short and full description, help text, `tags` and a numeric
//! `security-severity`), and one result per finding with its rule, level, message, and a
//! physical location (repository-relative URI with forward slashes, 1-based start line).
//!
//! The structs are hand-rolled serde types covering only what is written; field names follow
//! the SARIF 2.1.0 schema (`sarif-schema-2.1.0.json`).

use jobwarden_model::{Finding, Severity};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SARIF_VERSION: &str = "2.1.0";
const TOOL_NAME: &str = "jobwarden";
/// The package's `repository`, when the manifest names one (`informationUri` is optional in
/// SARIF; no made-up address is written).
const TOOL_URI: Option<&str> = match env!("CARGO_PKG_REPOSITORY").as_bytes() {
    [] => None,
    _ => Some(env!("CARGO_PKG_REPOSITORY")),
};

/// Documentation of one check, written as a SARIF rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDoc {
    /// The check id, as in `Finding::check` (e.g. `pss.restricted.runAsNonRoot`).
    pub id: String,
    /// One-line title (SARIF `shortDescription`).
    pub title: String,
    /// What the check looks at and why (SARIF `fullDescription`).
    pub description: String,
    /// How to fix it (SARIF `help`).
    pub help: String,
    /// Default severity of the check.
    pub severity: Severity,
    /// Extra tags (`security` and the ATT&CK ids are good ones); shown as filters on GitHub.
    pub tags: Vec<String>,
    /// Link to further documentation, if any (SARIF `helpUri`).
    pub help_uri: Option<String>,
}

/// Options for [`write_sarif_with`].
#[derive(Debug, Clone, Default)]
pub struct SarifOptions<'a> {
    /// Directory the artifact URIs are made relative to (usually the repository root). Files
    /// under it are written relative to it; others are written as given.
    pub base_dir: Option<&'a Path>,
    /// Tool version to report; defaults to this crate's version.
    pub tool_version: Option<&'a str>,
    /// The tool's home page (`informationUri`); defaults to the package repository.
    pub information_uri: Option<&'a str>,
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    results: Vec<SarifResult<'a>>,
    column_kind: &'static str,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'a str,
    semantic_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'a str>,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct HelpText {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: HelpText,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleProperties {
    tags: Vec<String>,
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<&'static str>,
    precision: &'static str,
    problem_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<ResultLocation>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultLocation {
    physical_location: PhysicalLocation,
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    path: &'a str,
    severity: &'static str,
    category: jobwarden_model::FindingCategory,
    #[serde(skip_serializing_if = "Option::is_none")]
    pss: Option<&'a jobwarden_model::PssRef>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    attack: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    mitigation: Option<&'a str>,
}

/// SARIF `level`: GitHub shows `error` as an error, `warning` and `note` below it.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` (0.1–10): critical > 9, high 7–8.9, medium 4–6.9, low < 4.
/// Inventory (`info`) carries none, so GitHub does not rate it as a vulnerability.
fn security_severity(severity: Severity) -> Option<&'static str> {
    match severity {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("3.0"),
        Severity::Info => None,
    }
}

fn problem_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "recommendation",
    }
}

/// A repository-relative URI: forward slashes, no `./`, relative to `base` when the file lies
/// under it, and percent-encoded where URI syntax requires.
fn artifact_uri(file: &str, base: Option<&Path>) -> String {
    let relative = base
        .and_then(|b| Path::new(file).strip_prefix(b).ok())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string());
    let mut slashed = relative.replace('\\', "/");
    while let Some(rest) = slashed.strip_prefix("./") {
        slashed = rest.to_string();
    }
    let mut out = String::with_capacity(slashed.len());
    for byte in slashed.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b':'
            | b'@'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'=' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn object_name(finding: &Finding) -> String {
    let object = &finding.object;
    let mut name = object.kind.clone();
    if let Some(ns) = &object.namespace {
        name.push('/');
        name.push_str(ns);
    }
    name.push('/');
    name.push_str(object.name.as_deref().unwrap_or("<unnamed>"));
    name
}

/// SARIF wants `name` to be a readable identifier distinct from the opaque `id`:
/// `pss.restricted.runAsNonRoot` becomes `PssRestrictedRunAsNonRoot`.
fn rule_name(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn rule_from_doc(doc: &RuleDoc) -> Rule {
    let mut tags = vec!["security".to_string()];
    for tag in &doc.tags {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    Rule {
        id: doc.id.clone(),
        name: rule_name(&doc.id),
        short_description: Text {
            text: doc.title.clone(),
        },
        full_description: Text {
            text: doc.description.clone(),
        },
        help: HelpText {
            text: doc.help.clone(),
            markdown: format!("**{}**\n\n{}\n\n{}", doc.title, doc.description, doc.help),
        },
        help_uri: doc.help_uri.clone(),
        default_configuration: Configuration {
            level: level(doc.severity),
        },
        properties: RuleProperties {
            tags,
            security_severity: security_severity(doc.severity),
            precision: "very-high",
            problem_severity: problem_severity(doc.severity),
        },
    }
}

/// A rule for a check no [`RuleDoc`] describes, so every result still has one.
fn fallback_rule(finding: &Finding) -> RuleDoc {
    RuleDoc {
        id: finding.check.clone(),
        title: finding.check.clone(),
        description: format!("jobwarden check {}.", finding.check),
        help: "See the finding message.".to_string(),
        severity: finding.severity,
        tags: finding.attack.clone(),
        help_uri: None,
    }
}

/// Writes `findings` as one SARIF 2.1.0 log, with every rule of `rules` (and a minimal rule
/// for any check `rules` lacks). File names are written as given, made URI-safe.
pub fn write_sarif(findings: &[Finding], rules: &[RuleDoc], w: impl Write) -> io::Result<()> {
    write_sarif_with(findings, rules, &SarifOptions::default(), w)
}

/// [`write_sarif`] with options (base directory for relative URIs, tool version).
pub fn write_sarif_with(
    findings: &[Finding],
    rules: &[RuleDoc],
    options: &SarifOptions<'_>,
    mut w: impl Write,
) -> io::Result<()> {
    let mut docs: Vec<RuleDoc> = Vec::with_capacity(rules.len());
    let mut index: HashMap<String, usize> = HashMap::new();
    for doc in rules {
        if !index.contains_key(&doc.id) {
            index.insert(doc.id.clone(), docs.len());
            docs.push(doc.clone());
        }
    }
    for finding in findings {
        if !index.contains_key(&finding.check) {
            index.insert(finding.check.clone(), docs.len());
            docs.push(fallback_rule(finding));
        }
    }
    let results = findings
        .iter()
        .map(|finding| SarifResult {
            rule_id: &finding.check,
            rule_index: index.get(&finding.check).copied().unwrap_or(0),
            level: level(finding.severity),
            message: Text {
                text: finding.message.clone(),
            },
            locations: vec![ResultLocation {
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: artifact_uri(&finding.location.file, options.base_dir),
                    },
                    region: Region {
                        start_line: finding.location.line.max(1),
                    },
                },
                logical_locations: vec![LogicalLocation {
                    fully_qualified_name: object_name(finding),
                    kind: "object",
                }],
            }],
            properties: ResultProperties {
                path: &finding.path,
                severity: finding.severity.as_str(),
                category: finding.category,
                pss: finding.pss.as_ref(),
                attack: &finding.attack,
                mitigation: finding.mitigation.as_deref(),
            },
        })
        .collect();
    let version = options.tool_version.unwrap_or(env!("CARGO_PKG_VERSION"));
    let log = Log {
        schema: SARIF_SCHEMA,
        version: SARIF_VERSION,
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: TOOL_NAME,
                    version,
                    semantic_version: version,
                    information_uri: options.information_uri.or(TOOL_URI),
                    rules: docs.iter().map(rule_from_doc).collect(),
                },
            },
            results,
            column_kind: "utf16CodeUnits",
        }],
    };
    serde_json::to_writer_pretty(&mut w, &log).map_err(io::Error::from)?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobwarden_model::{FINDING_SCHEMA, FindingCategory, Location, ObjectId, PssRef};
    use serde_json::Value;

    fn finding(check: &str, file: &str, line: u64, severity: Severity) -> Finding {
        Finding {
            schema: FINDING_SCHEMA.to_string(),
            check: check.to_string(),
            category: FindingCategory::Pss,
            severity,
            pss: Some(PssRef {
                level: "restricted".into(),
                version: "latest".into(),
            }),
            object: ObjectId {
                api_version: "batch/v1".into(),
                kind: "CronJob".into(),
                namespace: Some("default".into()),
                name: Some("backup".into()),
            },
            location: Location {
                file: file.to_string(),
                line,
            },
            path: "spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged"
                .into(),
            message: "privileged (container \"app\" must not set securityContext.privileged=true)"
                .into(),
            attack: vec!["T1053.007".into()],
            mitigation: Some("M1026".into()),
        }
    }

    fn render(findings: &[Finding], rules: &[RuleDoc], options: &SarifOptions<'_>) -> Value {
        let mut out = Vec::new();
        write_sarif_with(findings, rules, options, &mut out).expect("write");
        serde_json::from_slice(&out).expect("valid JSON")
    }

    #[test]
    fn writes_rules_results_and_locations() {
        let rules = vec![RuleDoc {
            id: "pss.restricted.privileged".into(),
            title: "Privileged containers are disallowed".into(),
            description: "securityContext.privileged must be unset or false.".into(),
            help: "Remove privileged: true.".into(),
            severity: Severity::Critical,
            tags: vec!["T1053.007".into(), "security".into()],
            help_uri: None,
        }];
        let findings = vec![
            finding(
                "pss.restricted.privileged",
                "./deploy\\prod/cron job.yaml",
                12,
                Severity::Critical,
            ),
            finding(
                "cronjob.schedule.frequent",
                "/repo/k8s/a.yaml",
                0,
                Severity::Low,
            ),
        ];
        let base = Path::new("/repo");
        let log = render(
            &findings,
            &rules,
            &SarifOptions {
                base_dir: Some(base),
                tool_version: Some("1.2.3"),
                information_uri: None,
            },
        );
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "jobwarden");
        assert_eq!(driver["version"], "1.2.3");
        assert!(
            driver.get("informationUri").is_none()
                || driver["informationUri"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("https://"))
        );
        let rules = driver["rules"].as_array().expect("rules");
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0]["properties"]["security-severity"], "9.5");
        assert_eq!(
            rules[0]["properties"]["tags"],
            serde_json::json!(["security", "T1053.007"])
        );
        assert_eq!(
            rules[0]["shortDescription"]["text"],
            "Privileged containers are disallowed"
        );
        assert_eq!(rules[1]["id"], "cronjob.schedule.frequent");
        assert_eq!(rules[1]["name"], "CronjobScheduleFrequent");
        assert_eq!(rules[0]["name"], "PssRestrictedPrivileged");

        let results = run["results"].as_array().expect("results");
        assert_eq!(results[0]["ruleId"], "pss.restricted.privileged");
        assert_eq!(results[0]["ruleIndex"], 0);
        assert_eq!(results[0]["level"], "error");
        let physical = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(
            physical["artifactLocation"]["uri"],
            "deploy/prod/cron%20job.yaml"
        );
        assert_eq!(physical["region"]["startLine"], 12);
        assert_eq!(
            results[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "CronJob/default/backup"
        );
        assert_eq!(results[1]["ruleIndex"], 1);
        assert_eq!(results[1]["level"], "note");
        let physical = &results[1]["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "k8s/a.yaml");
        assert_eq!(
            physical["region"]["startLine"], 1,
            "line 0 is not valid SARIF"
        );
    }

    #[test]
    fn empty_input_is_a_valid_empty_run() {
        let log = render(&[], &[], &SarifOptions::default());
        assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"],
            serde_json::json!([])
        );
    }
}
