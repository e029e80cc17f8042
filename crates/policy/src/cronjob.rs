//! CronJob and Job heuristics: how often it runs, and whether it is set up to leave no trace.
//!
//! The schedule is parsed with Kubernetes' own semantics by `jobwarden-cronspec`. Findings use
//! the same [`TemplateFinding`] type as template checks, with ids under `cronjob.`; their
//! documentation is [`CRONJOB_CHECKS`]. [`CronJobFacts`] is the summary other crates diff
//! (schedule, suspend, history limits, TTL).

use crate::template::{CheckDoc, FieldChange, TemplateFinding, finding, render_opt};
use jobwarden_cronspec::Schedule;
use jobwarden_model::Severity;
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::LazyLock;

macro_rules! doc {
    ($id:literal, $sev:ident, $title:literal, $attack:expr, $desc:literal, $fix:literal) => {
        CheckDoc {
            id: $id,
            title: $title,
            default_severity: Severity::$sev,
            description: $desc,
            attack: $attack,
            mitigation: None,
            remediation: $fix,
        }
    };
}

/// Every CronJob/Job check, in a stable order.
pub const CRONJOB_CHECKS: &[CheckDoc] = &[
    doc!(
        "cronjob.schedule.invalid",
        Low,
        "Unparseable schedule",
        &["T1053.007"],
        "spec.schedule does not parse with Kubernetes' cron semantics. The API server rejects it, so a write carrying it failed or was a probe; in a manifest it is a bug.",
        "Fix the schedule (5 fields, or @hourly/@daily/..., optional CRON_TZ= prefix)."
    ),
    doc!(
        "cronjob.schedule.frequent",
        Low,
        "Very frequent schedule",
        &["T1053.007"],
        "The CronJob runs every minute (low) or at most every few minutes (info). Attack tooling (CDK's k8s-cronjob \"min\", Atomic Red Team) schedules every minute so that a killed payload comes straight back.",
        "Check that the frequency matches the job's purpose."
    ),
    doc!(
        "cronjob.history.zero",
        Low,
        "No job history kept",
        &["T1053.007", "T1070"],
        "successfulJobsHistoryLimit or failedJobsHistoryLimit is 0: finished Jobs and their pods (and logs) disappear at once, leaving nothing to inspect.",
        "Keep at least one successful and one failed Job."
    ),
    doc!(
        "cronjob.ttl.tiny",
        Low,
        "Finished Jobs deleted almost at once",
        &["T1053.007", "T1070"],
        "ttlSecondsAfterFinished is below the threshold (default 60 s): the Job and its pods and logs are garbage-collected before anyone can look.",
        "Use a TTL of minutes to hours, and ship logs centrally."
    ),
    doc!(
        "cronjob.suspended",
        Info,
        "Suspended",
        &["T1053.007"],
        "suspend: true. A dormant CronJob is harmless until someone flips it back; hunt tracks suspend-then-resume.",
        "Delete CronJobs that are no longer needed."
    ),
    doc!(
        "cronjob.concurrency.forbidLongRunning",
        Low,
        "Forbid with a never-ending container",
        &["T1053.007"],
        "concurrencyPolicy Forbid with a container that never exits (sleep infinity, tail -f /dev/null, while true): a scheduled job used as a long-lived foothold that the schedule keeps alive.",
        "Use a Deployment for long-running work, or give the job an end."
    ),
    doc!(
        "cronjob.parallelism.nodeSpread",
        Low,
        "Job spread over every node",
        &["T1053.007", "T1610"],
        "A Job with high parallelism and hostname anti-affinity or spread constraints: one pod per node, a DaemonSet in disguise.",
        "Use a DaemonSet owned by the platform team for per-node work."
    ),
    doc!(
        "cronjob.apiVersion.legacy",
        Info,
        "Legacy batch/v1beta1 CronJob",
        &["T1053.007"],
        "batch/v1beta1 CronJob was removed in Kubernetes 1.25; tools that only understand one version silently skip the other, and stock attack kits still write v1beta1.",
        "Use batch/v1."
    ),
];

/// Thresholds of the CronJob checks.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CronJobPolicy {
    /// Schedules whose shortest gap is at most this many seconds are "every minute" (low).
    pub very_frequent_interval_secs: u64,
    /// Schedules whose shortest gap is at most this many seconds are frequent (info).
    pub frequent_interval_secs: u64,
    /// `ttlSecondsAfterFinished` below this is tiny.
    pub tiny_ttl_secs: i64,
    /// Parallelism from which hostname spreading counts as "every node".
    pub node_spread_parallelism: i64,
}

impl Default for CronJobPolicy {
    fn default() -> Self {
        CronJobPolicy {
            very_frequent_interval_secs: 60,
            frequent_interval_secs: 300,
            tiny_ttl_secs: 60,
            node_spread_parallelism: 5,
        }
    }
}

/// What a CronJob (or Job) is set up to do, for diffs and derived fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CronJobFacts {
    /// `CronJob` or `Job`.
    pub kind: String,
    /// `spec.schedule` as written.
    pub schedule: Option<String>,
    /// Why the schedule did not parse.
    pub schedule_error: Option<String>,
    /// Average runs per day, when the schedule parsed.
    pub runs_per_day: Option<f64>,
    /// Shortest gap between runs, in seconds.
    pub min_interval_secs: Option<u64>,
    /// `spec.timeZone`, or the `CRON_TZ=`/`TZ=` prefix of the schedule.
    pub time_zone: Option<String>,
    /// `spec.suspend` (false when absent).
    pub suspend: bool,
    /// `spec.concurrencyPolicy` as written.
    pub concurrency_policy: Option<String>,
    /// `spec.successfulJobsHistoryLimit`.
    pub successful_jobs_history_limit: Option<i64>,
    /// `spec.failedJobsHistoryLimit`.
    pub failed_jobs_history_limit: Option<i64>,
    /// `spec.startingDeadlineSeconds`.
    pub starting_deadline_seconds: Option<i64>,
    /// The Job spec's `ttlSecondsAfterFinished`.
    pub ttl_seconds_after_finished: Option<i64>,
    /// The Job spec's `activeDeadlineSeconds`.
    pub active_deadline_seconds: Option<i64>,
    /// The Job spec's `backoffLimit`.
    pub backoff_limit: Option<i64>,
    /// The Job spec's `parallelism`.
    pub parallelism: Option<i64>,
    /// The Job spec's `completions`.
    pub completions: Option<i64>,
}

impl CronJobFacts {
    /// What changed from `self` to `after` (schedule, suspend, concurrency, history, TTL...).
    pub fn changes(&self, after: &CronJobFacts) -> Vec<FieldChange> {
        let mut out = Vec::new();
        let mut cmp = |field: &'static str, before: String, after: String| {
            if before != after {
                out.push(FieldChange {
                    field,
                    before,
                    after,
                });
            }
        };
        cmp(
            "schedule",
            render_opt(&self.schedule),
            render_opt(&after.schedule),
        );
        cmp(
            "time_zone",
            render_opt(&self.time_zone),
            render_opt(&after.time_zone),
        );
        cmp(
            "suspend",
            self.suspend.to_string(),
            after.suspend.to_string(),
        );
        cmp(
            "concurrency_policy",
            render_opt(&self.concurrency_policy),
            render_opt(&after.concurrency_policy),
        );
        cmp(
            "successful_jobs_history_limit",
            render_opt(&self.successful_jobs_history_limit),
            render_opt(&after.successful_jobs_history_limit),
        );
        cmp(
            "failed_jobs_history_limit",
            render_opt(&self.failed_jobs_history_limit),
            render_opt(&after.failed_jobs_history_limit),
        );
        cmp(
            "ttl_seconds_after_finished",
            render_opt(&self.ttl_seconds_after_finished),
            render_opt(&after.ttl_seconds_after_finished),
        );
        cmp(
            "active_deadline_seconds",
            render_opt(&self.active_deadline_seconds),
            render_opt(&after.active_deadline_seconds),
        );
        cmp(
            "parallelism",
            render_opt(&self.parallelism),
            render_opt(&after.parallelism),
        );
        out
    }

    /// `suspend` went from true to false: a dormant CronJob was re-armed.
    pub fn resumed(&self, after: &CronJobFacts) -> bool {
        self.suspend && !after.suspend
    }
}

fn int(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

fn kind_of(obj: &Value) -> &str {
    match obj.get("kind").and_then(Value::as_str) {
        Some(k) if !k.is_empty() => k,
        _ if obj.get("spec").and_then(|s| s.get("jobTemplate")).is_some() => "CronJob",
        _ => "Job",
    }
}

/// The Job spec and its path: `spec.jobTemplate.spec` for a CronJob, `spec` for a Job.
fn job_spec(obj: &Value) -> (Option<&Value>, &'static str) {
    if kind_of(obj) == "CronJob" {
        (
            obj.get("spec")
                .and_then(|s| s.get("jobTemplate"))
                .and_then(|t| t.get("spec")),
            "spec.jobTemplate.spec",
        )
    } else {
        (obj.get("spec"), "spec")
    }
}

/// Summarise a CronJob or Job.
pub fn cronjob_facts(obj: &Value) -> CronJobFacts {
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let (job, _) = job_spec(obj);
    let job = job.unwrap_or(&Value::Null);
    let mut facts = CronJobFacts {
        kind: kind_of(obj).to_string(),
        schedule: spec
            .get("schedule")
            .and_then(Value::as_str)
            .map(str::to_string),
        time_zone: spec
            .get("timeZone")
            .and_then(Value::as_str)
            .map(str::to_string),
        suspend: spec.get("suspend").and_then(Value::as_bool) == Some(true),
        concurrency_policy: spec
            .get("concurrencyPolicy")
            .and_then(Value::as_str)
            .map(str::to_string),
        successful_jobs_history_limit: int(spec, "successfulJobsHistoryLimit"),
        failed_jobs_history_limit: int(spec, "failedJobsHistoryLimit"),
        starting_deadline_seconds: int(spec, "startingDeadlineSeconds"),
        ttl_seconds_after_finished: int(job, "ttlSecondsAfterFinished"),
        active_deadline_seconds: int(job, "activeDeadlineSeconds"),
        backoff_limit: int(job, "backoffLimit"),
        parallelism: int(job, "parallelism"),
        completions: int(job, "completions"),
        ..CronJobFacts::default()
    };
    if let Some(text) = facts.schedule.clone() {
        match Schedule::parse(&text) {
            Ok(s) => {
                facts.runs_per_day = Some(s.runs_per_day());
                facts.min_interval_secs = s.min_interval().map(|d| d.as_secs());
                if facts.time_zone.is_none() {
                    facts.time_zone = s.time_zone().map(str::to_string);
                }
            }
            Err(e) => facts.schedule_error = Some(e.to_string()),
        }
    }
    facts
}

/// Judge a CronJob or Job with the default thresholds.
pub fn judge_cronjob(obj: &Value) -> Vec<TemplateFinding> {
    judge_cronjob_with(obj, &CronJobPolicy::default())
}

static NEVER_ENDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bsleep\s+(?:infinity|inf\b|\d{5,})|\btail\s+-f\s+/dev/null\b|\bwhile\s+(?:true|:|\[\s*1\s*\])\s*;?\s*do\b|\bsleep\s+\d+d\b")
        .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

/// Judge a CronJob or Job.
pub fn judge_cronjob_with(obj: &Value, policy: &CronJobPolicy) -> Vec<TemplateFinding> {
    let mut out = Vec::new();
    let facts = cronjob_facts(obj);
    let is_cronjob = facts.kind == "CronJob";
    let (job, job_path) = job_spec(obj);

    if is_cronjob {
        if obj.get("apiVersion").and_then(Value::as_str) == Some("batch/v1beta1") {
            out.push(finding(
                "cronjob.apiVersion.legacy",
                Severity::Info,
                "apiVersion".into(),
                "batch/v1beta1 CronJob: removed in Kubernetes 1.25; use batch/v1".into(),
            ));
        }
        if let Some(err) = &facts.schedule_error {
            out.push(finding(
                "cronjob.schedule.invalid",
                Severity::Low,
                "spec.schedule".into(),
                format!("{err}; the API server rejects it"),
            ));
        }
        if let Some(schedule) = &facts.schedule {
            let interval = facts.min_interval_secs;
            let rpd = facts.runs_per_day.unwrap_or(0.0);
            // The shortest gap decides; the average only when the gap is unknown.
            let at_most = |secs: u64| match interval {
                Some(i) => i > 0 && i <= secs,
                None => secs > 0 && rpd >= 86_400.0 / secs as f64,
            };
            let every_minute = at_most(policy.very_frequent_interval_secs);
            if every_minute || at_most(policy.frequent_interval_secs) {
                let severity = if every_minute {
                    Severity::Low
                } else {
                    Severity::Info
                };
                let what = match interval {
                    Some(i) if i % 60 == 0 => format!("as often as every {} min", i / 60),
                    Some(i) => format!("as often as every {i} s"),
                    None => "very often".to_string(),
                };
                out.push(finding(
                    "cronjob.schedule.frequent",
                    severity,
                    "spec.schedule".into(),
                    format!("schedule {schedule:?} runs {what} ({rpd:.0} runs/day): check it matches the job's purpose"),
                ));
            }
        }
        for (field, value) in [
            (
                "successfulJobsHistoryLimit",
                facts.successful_jobs_history_limit,
            ),
            ("failedJobsHistoryLimit", facts.failed_jobs_history_limit),
        ] {
            if value == Some(0) {
                out.push(finding(
                    "cronjob.history.zero",
                    Severity::Low,
                    format!("spec.{field}"),
                    format!("{field}: 0 — finished Jobs vanish at once, leaving no trace; keep at least 1"),
                ));
            }
        }
        if facts.suspend {
            out.push(finding(
                "cronjob.suspended",
                Severity::Info,
                "spec.suspend".into(),
                "suspended: dormant until someone resumes it".into(),
            ));
        }
    }
    if let Some(ttl) = facts.ttl_seconds_after_finished
        && ttl < policy.tiny_ttl_secs
    {
        out.push(finding(
            "cronjob.ttl.tiny",
            Severity::Low,
            format!("{job_path}.ttlSecondsAfterFinished"),
            format!("ttlSecondsAfterFinished: {ttl} — the Job and its pods and logs are deleted {} after it ends; raise it", if ttl <= 0 { "immediately".to_string() } else { format!("{ttl}s") }),
        ));
    }
    let pod_spec = job
        .and_then(|j| j.get("template"))
        .and_then(|t| t.get("spec"));
    let pod_path = format!("{job_path}.template.spec");
    if is_cronjob
        && facts.concurrency_policy.as_deref() == Some("Forbid")
        && let Some(spec) = pod_spec
    {
        for c in crate::workload::containers(spec, &pod_path) {
            let words: Vec<&str> = ["command", "args"]
                .iter()
                .filter_map(|k| c.container.get(*k).and_then(Value::as_array))
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let text = words.join(" ");
            if let Some(m) = NEVER_ENDS.find(&text) {
                out.push(finding(
                    "cronjob.concurrency.forbidLongRunning",
                    Severity::Low,
                    format!("{}.command", c.path),
                    format!("concurrencyPolicy Forbid with a container that never ends (`{}`): a long-lived foothold kept alive by the schedule", m.as_str()),
                ));
            }
        }
    }
    if let (Some(parallelism), Some(spec)) = (facts.parallelism, pod_spec)
        && parallelism >= policy.node_spread_parallelism
        && spreads_by_hostname(spec)
    {
        out.push(finding(
            "cronjob.parallelism.nodeSpread",
            Severity::Low,
            format!("{job_path}.parallelism"),
            format!("parallelism {parallelism} with hostname anti-affinity/spread: one pod per node, like a DaemonSet"),
        ));
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.path.cmp(&b.path))
    });
    out
}

fn spreads_by_hostname(spec: &Value) -> bool {
    const HOSTNAME: &str = "kubernetes.io/hostname";
    let anti = spec
        .get("affinity")
        .and_then(|a| a.get("podAntiAffinity"))
        .map(|a| {
            let required = a
                .get("requiredDuringSchedulingIgnoredDuringExecution")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            let preferred = a
                .get("preferredDuringSchedulingIgnoredDuringExecution")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| p.get("podAffinityTerm"));
            required
                .chain(preferred)
                .any(|t| t.get("topologyKey").and_then(Value::as_str) == Some(HOSTNAME))
        })
        .unwrap_or(false);
    let spread = spec
        .get("topologySpreadConstraints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|t| t.get("topologyKey").and_then(Value::as_str) == Some(HOSTNAME));
    anti || spread
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cronjob(spec_extra: Value, job_extra: Value) -> Value {
        let mut spec = json!({
            "schedule": "0 3 * * *",
            "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure",
                "containers": [{"name": "backup", "image": "postgres:16", "command": ["sh", "-c", "pg_dump app | gzip > /b/app.gz"]}]}}}}
        });
        if let (Some(s), Some(extra)) = (spec.as_object_mut(), spec_extra.as_object()) {
            for (k, v) in extra {
                s.insert(k.clone(), v.clone());
            }
        }
        if let (Some(j), Some(extra)) = (
            spec.pointer_mut("/jobTemplate/spec")
                .and_then(Value::as_object_mut),
            job_extra.as_object(),
        ) {
            for (k, v) in extra {
                j.insert(k.clone(), v.clone());
            }
        }
        json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup", "namespace": "db"}, "spec": spec})
    }

    fn ids(findings: &[TemplateFinding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.check).collect()
    }

    #[test]
    fn benign_daily_backup_is_clean() {
        let f = judge_cronjob(&cronjob(
            json!({"successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1}),
            json!({"ttlSecondsAfterFinished": 86400}),
        ));
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn every_minute_is_frequent() {
        // Needs the real cronspec: the stub reports 0 runs per day.
        let f = judge_cronjob(&cronjob(json!({"schedule": "*/1 * * * *"}), json!({})));
        let hit = f
            .iter()
            .find(|f| f.check == "cronjob.schedule.frequent")
            .expect("frequent");
        assert_eq!(hit.severity, Severity::Low);
        assert_eq!(hit.path, "spec.schedule");
        let f = judge_cronjob(&cronjob(json!({"schedule": "*/5 * * * *"}), json!({})));
        assert!(
            f.iter()
                .any(|f| f.check == "cronjob.schedule.frequent" && f.severity == Severity::Info)
        );
        let f = judge_cronjob(&cronjob(json!({"schedule": "@hourly"}), json!({})));
        assert!(!ids(&f).contains(&"cronjob.schedule.frequent"));
    }

    #[test]
    fn invalid_schedule() {
        // Needs the real cronspec: the stub accepts everything.
        let f = judge_cronjob(&cronjob(json!({"schedule": "61 * * * *"}), json!({})));
        assert!(ids(&f).contains(&"cronjob.schedule.invalid"), "{f:?}");
        let f = judge_cronjob(&cronjob(json!({"schedule": "0 0 * * 1-5"}), json!({})));
        assert!(!ids(&f).contains(&"cronjob.schedule.invalid"));
    }

    #[test]
    fn history_zero_and_tiny_ttl() {
        let f = judge_cronjob(&cronjob(
            json!({"successfulJobsHistoryLimit": 0, "failedJobsHistoryLimit": 0}),
            json!({"ttlSecondsAfterFinished": 0}),
        ));
        assert_eq!(
            ids(&f)
                .iter()
                .filter(|i| **i == "cronjob.history.zero")
                .count(),
            2
        );
        let ttl = f
            .iter()
            .find(|f| f.check == "cronjob.ttl.tiny")
            .expect("ttl");
        assert_eq!(ttl.path, "spec.jobTemplate.spec.ttlSecondsAfterFinished");
        // look-alikes: limits of 1 and a TTL of an hour
        let f = judge_cronjob(&cronjob(
            json!({"successfulJobsHistoryLimit": 1, "failedJobsHistoryLimit": 1}),
            json!({"ttlSecondsAfterFinished": 3600}),
        ));
        assert!(f.is_empty(), "{f:?}");
        // a plain Job
        let job = json!({"kind": "Job", "spec": {"ttlSecondsAfterFinished": 5, "template": {"spec": {"containers": []}}}});
        let f = judge_cronjob(&job);
        assert_eq!(
            f.first().map(|f| f.path.as_str()),
            Some("spec.ttlSecondsAfterFinished")
        );
        let job = json!({"kind": "Job", "spec": {"ttlSecondsAfterFinished": 600, "template": {"spec": {"containers": []}}}});
        assert!(judge_cronjob(&job).is_empty());
    }

    #[test]
    fn suspended_legacy_and_facts() {
        let mut obj = cronjob(
            json!({"suspend": true, "timeZone": "Europe/Paris", "concurrencyPolicy": "Forbid"}),
            json!({"parallelism": 2}),
        );
        obj["apiVersion"] = json!("batch/v1beta1");
        let f = judge_cronjob(&obj);
        assert!(ids(&f).contains(&"cronjob.suspended"));
        assert!(ids(&f).contains(&"cronjob.apiVersion.legacy"));
        assert!(f.iter().all(|f| f.severity == Severity::Info));
        let facts = cronjob_facts(&obj);
        assert!(facts.suspend);
        assert_eq!(facts.time_zone.as_deref(), Some("Europe/Paris"));
        assert_eq!(facts.concurrency_policy.as_deref(), Some("Forbid"));
        assert_eq!(facts.parallelism, Some(2));
        assert_eq!(facts.kind, "CronJob");
    }

    #[test]
    fn forbid_with_endless_container() {
        let mut obj = cronjob(json!({"concurrencyPolicy": "Forbid"}), json!({}));
        obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"] =
            json!(["sh", "-c", "./agent & sleep infinity"]);
        let f = judge_cronjob(&obj);
        let hit = f
            .iter()
            .find(|f| f.check == "cronjob.concurrency.forbidLongRunning")
            .expect("fires");
        assert_eq!(
            hit.path,
            "spec.jobTemplate.spec.template.spec.containers[0].command"
        );
        // Forbid with a job that ends is normal
        let obj = cronjob(json!({"concurrencyPolicy": "Forbid"}), json!({}));
        assert!(judge_cronjob(&obj).is_empty());
    }

    #[test]
    fn node_spread() {
        let spread = json!({"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule"}], "containers": []});
        let job = json!({"kind": "Job", "spec": {"parallelism": 20, "template": {"spec": spread}}});
        assert!(ids(&judge_cronjob(&job)).contains(&"cronjob.parallelism.nodeSpread"));
        let zone = json!({"topologySpreadConstraints": [{"topologyKey": "topology.kubernetes.io/zone"}], "containers": []});
        let job = json!({"kind": "Job", "spec": {"parallelism": 20, "template": {"spec": zone}}});
        assert!(judge_cronjob(&job).is_empty());
    }

    #[test]
    fn fact_changes() {
        let before = cronjob_facts(&cronjob(json!({"suspend": true}), json!({})));
        let after = cronjob_facts(&cronjob(
            json!({"suspend": false, "schedule": "* * * * *"}),
            json!({"ttlSecondsAfterFinished": 5}),
        ));
        assert!(before.resumed(&after));
        assert!(!after.resumed(&before));
        let fields: Vec<&str> = before.changes(&after).iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            ["schedule", "suspend", "ttl_seconds_after_finished"]
        );
        assert!(before.changes(&before).is_empty());
    }

    #[test]
    fn garbage_does_not_panic() {
        for v in [
            json!(null),
            json!([]),
            json!({"spec": 3}),
            json!({"kind": "CronJob", "spec": {"schedule": 5, "jobTemplate": []}}),
        ] {
            let _ = judge_cronjob(&v);
            let _ = cronjob_facts(&v);
        }
    }
}
