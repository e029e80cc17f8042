//! Kubernetes CronJob schedules, parsed exactly as the cronjob-controller parses them
//! (robfig/cron v3 `ParseStandard`), and measured: runs per day, shortest interval, next run.
//!
//! API CONTRACT (other crates compile against this; keep the signatures):
//! - `Schedule::parse(&str) -> Result<Schedule, ParseError>`
//! - `Schedule::runs_per_day(&self) -> f64` (average over a representative period)
//! - `Schedule::min_interval(&self) -> Option<std::time::Duration>` (None if it never fires)
//! - `Schedule::next_after(&self, jiff::Timestamp) -> Option<jiff::Timestamp>`
//! - `Schedule::time_zone(&self) -> Option<&str>` (from a `CRON_TZ=`/`TZ=` prefix)
//! - `Schedule::source(&self) -> &str`
//!
//! What is accepted (and nothing else):
//! - an optional `TZ=<zone> ` or `CRON_TZ=<zone> ` prefix (IANA name, case-sensitive as on
//!   the controller's Linux host; empty, `UTC` and `Local` mean UTC);
//! - exactly five fields `minute hour day-of-month month day-of-week` with `*`, `?`, lists,
//!   ranges, steps, month names (`jan`) and weekday names (`sun`, days 0–6; `7` is rejected);
//! - descriptors `@yearly @annually @monthly @weekly @daily @midnight @hourly` and
//!   `@every <Go duration>`.
//!
//! Day-of-month and day-of-week combine with AND when either was written starting with `*` or
//! `?` (and no step above 1), with OR otherwise, as in robfig: `0 0 13 * 5` runs on every 13th
//! *and* every Friday.
#![deny(missing_docs)]

mod go_duration;
mod next;
mod parse;
mod stats;

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::parse::Parsed;
use crate::stats::Frequency;

/// The message the Kubernetes API server gives when a new CronJob's schedule holds a zone.
pub const TZ_IN_SCHEDULE_REJECTION: &str =
    "cannot use TZ or CRON_TZ in schedule, use timeZone field instead";

/// A parsed schedule.
#[derive(Clone)]
pub struct Schedule {
    source: String,
    zone_name: Option<String>,
    zone: TimeZone,
    parsed: Parsed,
    frequency: Frequency,
}

/// Why a schedule could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid schedule {spec:?}: {reason}")]
pub struct ParseError {
    /// The schedule text.
    pub spec: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Schedule {
    /// Parse a schedule with Kubernetes' semantics.
    pub fn parse(spec: &str) -> Result<Schedule, ParseError> {
        let fail = |reason: String| ParseError {
            spec: spec.to_string(),
            reason,
        };
        if spec.is_empty() {
            return Err(fail("empty schedule".to_string()));
        }
        let prefixed = parse::split_zone_prefix(spec).map_err(fail)?;
        let zone = match prefixed.zone {
            Some(name) => load_zone(name).map_err(fail)?,
            None => TimeZone::UTC,
        };
        let parsed = parse::parse_expression(prefixed.expression).map_err(fail)?;
        let frequency = match &parsed {
            Parsed::Spec(fields) => cached_spec_frequency(prefixed.expression, fields),
            Parsed::Every(delay) => stats::every_frequency(*delay),
        };
        Ok(Schedule {
            source: spec.to_string(),
            zone_name: prefixed.zone.map(str::to_string),
            zone,
            parsed,
            frequency,
        })
    }

    /// Parse a CronJob's `spec.schedule` together with its `spec.timeZone`, the way the
    /// controller combines them: a schedule already mentioning `TZ` is used as is (the
    /// controller warns `UnsupportedSchedule`), otherwise a loadable `timeZone` becomes a
    /// `TZ=<zone> ` prefix, and an unloadable one is ignored. [`Schedule::source`] is then the
    /// combined text.
    pub fn parse_for_cronjob(
        schedule: &str,
        time_zone: Option<&str>,
    ) -> Result<Schedule, ParseError> {
        match time_zone {
            Some(zone) if !schedule.contains("TZ") && load_zone(zone).is_ok() => {
                Schedule::parse(&format!("TZ={zone} {schedule}"))
            }
            _ => Schedule::parse(schedule),
        }
    }

    /// Average runs per day: the exact long-run mean over a 400-year Gregorian cycle, on the
    /// schedule's wall clock (so `* * * * *` is 1440, `@every 30s` 2880, `0 0 30 2 *` 0).
    pub fn runs_per_day(&self) -> f64 {
        self.frequency.runs_per_day
    }

    /// The shortest gap between two consecutive runs (wall clock; None if it never fires).
    pub fn min_interval(&self) -> Option<Duration> {
        self.frequency.min_interval
    }

    /// The first run strictly after `t`, as robfig's `Next` computes it in the schedule's
    /// zone (UTC by default); None when there is none within five years.
    pub fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        match &self.parsed {
            Parsed::Spec(fields) => next::next_spec(fields, &self.zone, t),
            // robfig's constant-delay schedules ignore the zone.
            Parsed::Every(delay) => next::next_every(*delay, t),
        }
    }

    /// The runs strictly after `t`, in order (ends when `next_after` gives up).
    pub fn runs_after(&self, t: Timestamp) -> Runs<'_> {
        Runs {
            schedule: self,
            last: Some(t),
        }
    }

    /// The time zone named by a `CRON_TZ=`/`TZ=` prefix, exactly as written (may be empty).
    pub fn time_zone(&self) -> Option<&str> {
        self.zone_name.as_deref()
    }

    /// The schedule text as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The delay of an `@every` schedule.
    pub fn every(&self) -> Option<Duration> {
        match self.parsed {
            Parsed::Every(delay) => Some(Duration::from_secs(delay)),
            Parsed::Spec(_) => None,
        }
    }

    /// True when the schedule matches no time at all (like `0 0 30 2 *`).
    pub fn never_fires(&self) -> bool {
        self.frequency.min_interval.is_none()
    }

    /// Whether the API server accepts this schedule in a *new* CronJob. Kubernetes rejects any
    /// schedule containing `TZ` (i.e. `TZ=`/`CRON_TZ=` prefixes) on create, and on update unless
    /// the old schedule had one; the controller still runs such schedules. Everything that
    /// parses here passes the API server's own `ParseStandard` check.
    pub fn is_valid_for_new_objects(&self) -> bool {
        self.new_object_rejection().is_none()
    }

    /// The API server's rejection message for this schedule in a new CronJob, if any.
    pub fn new_object_rejection(&self) -> Option<&'static str> {
        self.source
            .contains("TZ")
            .then_some(TZ_IN_SCHEDULE_REJECTION)
    }
}

/// Loads a zone the way Go's `time.LoadLocation` does on the controller's host.
fn load_zone(name: &str) -> Result<TimeZone, String> {
    // "Local" is the controller's own zone; kube-controller-manager runs in UTC.
    if name.is_empty() || name == "UTC" || name == "Local" {
        return Ok(TimeZone::UTC);
    }
    let bad = || format!("provided bad location {name:?}: unknown time zone");
    if name.contains("..") || name.starts_with('/') || name.starts_with('\\') {
        return Err(bad());
    }
    let zone = jiff::tz::db().get(name).map_err(|_| bad())?;
    // jiff ignores case, Go's zoneinfo lookup (a file path) does not.
    let exact =
        zone.iana_name() == Some(name) || jiff::tz::db().available().any(|n| n.as_str() == name);
    if exact {
        Ok(zone)
    } else {
        Err(format!("{}; names are case-sensitive", bad()))
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Schedule) -> bool {
        // Everything else is derived from the text.
        self.source == other.source
    }
}

impl Eq for Schedule {}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schedule")
            .field("source", &self.source)
            .field("time_zone", &self.zone_name)
            .field("runs_per_day", &self.frequency.runs_per_day)
            .field("min_interval", &self.frequency.min_interval)
            .finish()
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for Schedule {
    type Err = ParseError;
    fn from_str(spec: &str) -> Result<Schedule, ParseError> {
        Schedule::parse(spec)
    }
}

/// Iterator over a schedule's runs, from [`Schedule::runs_after`].
#[derive(Debug, Clone)]
pub struct Runs<'s> {
    schedule: &'s Schedule,
    last: Option<Timestamp>,
}

impl Iterator for Runs<'_> {
    type Item = Timestamp;
    fn next(&mut self) -> Option<Timestamp> {
        let next = self.schedule.next_after(self.last?);
        self.last = next;
        next
    }
}

/// Measuring a schedule walks its whole 400-year cycle (hundreds of microseconds); a stream of
/// audit events repeats the same few schedules, so each thread remembers the last ones it
/// measured. Bounded: the memo is cleared when it fills.
fn cached_spec_frequency(expression: &str, fields: &parse::SpecFields) -> stats::Frequency {
    use std::cell::RefCell;
    use std::collections::HashMap;
    const MAX_MEMO: usize = 1024;
    thread_local! {
        static MEMO: RefCell<HashMap<String, stats::Frequency>> = RefCell::new(HashMap::new());
    }
    MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        if let Some(found) = memo.get(expression) {
            return *found;
        }
        let measured = stats::spec_frequency(fields);
        if memo.len() >= MAX_MEMO {
            memo.clear();
        }
        memo.insert(expression.to_string(), measured);
        measured
    })
}
