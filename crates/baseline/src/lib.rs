//! jobwarden's baseline of normal batch activity (issue 7, ATT&CK DS0003 "anomalous creation of
//! scheduled jobs"): per cluster and namespace, who creates or changes Jobs and CronJobs, with
//! which clients, from which networks, with which image registries and repositories, with what
//! schedule shapes and at what hours of the week; and the alerts `JW-BASE-0001`.. for what is
//! new, each quoting what was normal.
//!
//! * [`observation`]: an [`Observation`] from an audit event of a batch write that took effect.
//! * [`store`]: the redb state file and its versioned schema.
//! * [`baseline`]: [`Baseline`] learns and judges; [`BaselineReader`] reads (show, export).
//! * [`anomaly`]: what is reported; [`alerts`]: rules, docs and [`to_alerts`].
//! * [`config`]: [`BaselineConfig`] (learning window, thresholds, kinds that alert).
//! * [`summary`]: [`Summary`] for `show` (text) and `export` (JSON `jobwarden.baseline/v1`).
//!
//! # Wiring
//!
//! **`jobwarden baseline learn LOGS...`**: decode the logs as `hunt` does and hand every event
//! (stage records may be passed as they come: only completed, allowed, non-dry-run batch writes
//! are used) to [`Baseline::learn`] — history is normal by definition, nothing is judged:
//!
//! ```no_run
//! # fn events() -> Vec<(jobwarden_model::AuditEvent, String)> { Vec::new() }
//! use jobwarden_baseline::{Baseline, BaselineConfig, Observation};
//! let config = BaselineConfig::default(); // or the `baseline:` section of jobwarden.yaml
//! let path = config.state_path().expect("--baseline PATH or HOME set");
//! let mut baseline = Baseline::open(&path, config)?;
//! for (event, source) in events() {            // source = "file.jsonl:42"
//!     match Observation::from_event(&event, &source) {
//!         Ok(Some(obs)) => baseline.learn(&obs)?,
//!         Ok(None) => {}                       // not a batch write that took effect
//!         Err(e) => eprintln!("warning: {e}"), // names file:line and the field
//!     }
//! }
//! let stats = baseline.finish()?;              // commits; prints nothing itself
//! println!("learned {} batch writes", stats.learned);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//! ([`Baseline::learn_events`] does the same loop for an iterator of `(&AuditEvent, String)`.)
//!
//! **`hunt` / `serve`**: after stage merging, for each merged request (the `Detector` has
//! already judged the template), call [`Baseline::observe`] with `learn = true` (keeps the
//! baseline current; pass `false` for a frozen baseline) and convert anomalies with
//! [`to_alerts`], giving the template verdict so severities blend:
//!
//! ```no_run
//! # fn merged() -> Vec<(jobwarden_model::AuditEvent, String, Vec<jobwarden_model::Alert>)> { Vec::new() }
//! use jobwarden_baseline::{Baseline, BaselineConfig, Observation, TemplateVerdict, to_alerts};
//! use jobwarden_model::Severity;
//! let mut baseline = Baseline::open("/tmp/baseline.redb", BaselineConfig::default())?;
//! let mut out = Vec::new();
//! for (event, source, detector_alerts) in merged() {
//!     let Some(obs) = Observation::from_event(&event, &source)? else { continue };
//!     let anomalies = baseline.observe(&obs, true)?;
//!     if anomalies.is_empty() { continue }
//!     let verdict = TemplateVerdict {
//!         // the worst JW-AUD-0002 (risky template) severity for this request, Info if none
//!         worst_template_severity: detector_alerts.iter()
//!             .filter(|a| a.rule.id == "JW-AUD-0002").map(|a| a.severity)
//!             .max().unwrap_or(Severity::Info),
//!         // identity::classify(..).class.is_expected_writer() in jobwarden-detect
//!         actor_is_known_controller: false,
//!     };
//!     out.extend(to_alerts(&obs, &anomalies, verdict));
//! }
//! baseline.finish()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//! Cost: [`Observation::from_event`] rejects non-batch events with a few string comparisons
//! (a batch write costs a few µs; distinct CronJob schedules are measured once per thread).
//! `observe` works on an in-memory write-back cache (tens of µs, mostly hashing), committed every
//! `commit_every` observations without fsync and durably every `commit_interval_seconds` and
//! at `flush`/`finish` (one fsync, ~20 ms). Measure with
//! `cargo test -p jobwarden-baseline --release --test integration generated::observe_throughput -- --ignored --nocapture`
//! (`JOBWARDEN_BENCH_MB`, default 128): it prints ns per event of the generated log.
//!
//! **`jobwarden baseline show [--namespace NS] [--cluster C] [--json]`**:
//! [`BaselineReader::open`] (read-only, shared; fails with [`BaselineError::InUse`] while hunt
//! or serve holds the file) then [`BaselineReader::summary`] with a [`SummaryFilter`], printed
//! with [`Summary::render_text`] or as JSON (`serde_json::to_writer_pretty(&summary)`).
//!
//! **`jobwarden baseline export`**: the same with [`SummaryFilter::default`], as JSON.
//!
//! **`jobwarden baseline forget (--identity U | --namespace NS | --all) [--cluster C]`**:
//! [`Baseline::open`] then [`Baseline::forget`] with a [`ForgetTarget`].
//!
//! **Rules listing**: [`alerts::RULES`] (same fields as the audit rules' `RuleMeta`, plus the
//! anomaly kind) for `jobwarden rules`.
//!
//! **Config**: add `baseline: jobwarden_baseline::BaselineConfig` (serde default) to the config
//! file struct; `path` there or a `--baseline PATH` flag overrides [`default_path`].
#![deny(missing_docs)]

pub mod alerts;
pub mod anomaly;
pub mod baseline;
mod cache;
pub mod config;
pub mod error;
pub mod observation;
pub mod store;
pub mod summary;

pub use alerts::{BaselineRuleMeta, RULES, TemplateVerdict, blended_severity, to_alerts};
pub use anomaly::{Anomaly, AnomalyKind, HoursEvidence, KnownValue};
pub use baseline::{Baseline, BaselineReader, BaselineStats, ForgetTarget, LearnReport};
pub use config::{BaselineConfig, default_path};
pub use error::BaselineError;
pub use observation::{Client, ExtractError, ImageName, Observation, ScheduleShape};
pub use store::{CLUSTER_WIDE, SCHEMA_VERSION};
pub use summary::{EXPORT_SCHEMA, Summary, SummaryFilter};
