//! jobwarden's Sigma engine.
//!
//! * [`load_paths`] / [`load_str`] read Sigma rules (single rules, multi-document collections
//!   with `action: global|reset|repeat`, correlation rules) into a [`LoadReport`] of compiled
//!   [`Rule`]s and [`LoadError`]s naming file, line and the unsupported construct.
//! * [`Engine`] evaluates rules against any [`Event`] (a [`JsonEvent`] over `serde_json::Value`
//!   ships here), routes by [`LogsourceKind`], derives prefilter needles, lints rules against the
//!   audit schema and keeps bounded correlation state ([`Engine::observe`], [`Engine::finish`]).
//! * [`match_alert`] / [`correlation_alert`] turn results into `jobwarden.alert/v1` alerts.
//!
//! Supported: the whole detection syntax of Sigma v2 (lists, maps, `null`, wildcards with
//! escapes, keywords, modifiers `contains startswith endswith all windash base64 base64offset
//! utf16le utf16be utf16 wide re i m s cidr exists cased neq gt gte lt lte fieldref expand
//! minute hour day week month year`), conditions with `and or not ( )`, `1 of`/`any of`/`all of`
//! patterns and `them`, and the correlation types `event_count value_count temporal
//! temporal_ordered` with `group-by`, `timespan`, `aliases`, `generate` and chaining. Not
//! supported (each is a load error, never a silent drop): `N of` for N > 1 and legacy
//! `| count()` aggregations. Filter rules (Sigma filters specification) are applied to the rules
//! they name as `and not <filter condition>` when the filter's logsource covers the rule's.

#![deny(missing_docs)]

mod alert;
mod condition;
mod config;
mod engine;
mod event;
mod load;
mod requirement;
mod rule;
mod value;

pub use alert::{AlertContext, attack_ids, correlation_alert, match_alert, severity};
pub use config::{FieldMappings, SigmaConfig};
pub use engine::{
    CorrelationHit, CorrelationStats, Engine, EngineOptions, LintKind, LintWarning, LogsourceKind,
    MAX_CHAIN_DEPTH, MIN_NEEDLE, RuleMatch, UnknownReference, default_host_map, k8s_sigmahq_map,
};
pub use event::{Event, FieldMap, FieldValue, FieldValues, JsonEvent, OverlayEvent};
pub use load::{LoadError, LoadOptions, LoadReport, load_path, load_paths, load_str};
pub use requirement::{MAX_CLAUSES, Requirement, RequirementFilter};
pub use rule::{
    Binding, CorrelationRule, CorrelationType, CountCondition, DetectionRule, FieldUse, FilterRule,
    Level, Logsource, Rule,
};
