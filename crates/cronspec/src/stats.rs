//! How often a schedule fires: the exact long-run average of runs per day and the shortest gap
//! between consecutive runs, computed in closed form over one full Gregorian cycle (400 years
//! = 146,097 days = 20,871 weeks, after which dates and weekdays repeat), so that neither
//! depends on a chosen start date and both are cheap (a few thousand steps, done at parse time).
//!
//! Spec schedules are measured on the wall clock of their zone: the day or two a year on which
//! a DST change makes robfig skip or repeat runs are not counted (`next_after` does follow them).

use std::time::Duration;

use crate::next::{day_matches, days_from_civil, unsatisfiable};
use crate::parse::SpecFields;

const CYCLE_YEARS: i64 = 400;
const CYCLE_DAYS: i64 = 146_097;
const SECONDS_PER_DAY: i64 = 86_400;

/// Frequency figures of a schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Frequency {
    pub(crate) runs_per_day: f64,
    pub(crate) min_interval: Option<Duration>,
}

impl Frequency {
    const NEVER: Frequency = Frequency {
        runs_per_day: 0.0,
        min_interval: None,
    };
}

/// `@every`: exactly one run per delay.
pub(crate) fn every_frequency(delay_seconds: u64) -> Frequency {
    Frequency {
        runs_per_day: SECONDS_PER_DAY as f64 / delay_seconds.max(1) as f64,
        min_interval: Some(Duration::from_secs(delay_seconds.max(1))),
    }
}

/// Which days of one month match, given its length and the weekday of its first day.
#[derive(Debug, Clone, Copy, Default)]
struct MonthPattern {
    count: i64,
    /// First and last matching day (1-based), if any.
    first: i64,
    last: i64,
    /// Smallest distance in days between two matching days of the month.
    min_gap: Option<i64>,
}

fn month_pattern(fields: &SpecFields, length: i64, first_weekday: i64) -> MonthPattern {
    let mut pattern = MonthPattern::default();
    for day in 1..=length {
        if !day_matches(fields, day, (first_weekday + day - 1) % 7) {
            continue;
        }
        if pattern.count > 0 {
            let gap = day - pattern.last;
            pattern.min_gap = Some(pattern.min_gap.map_or(gap, |g| g.min(gap)));
        } else {
            pattern.first = day;
        }
        pattern.last = day;
        pattern.count += 1;
    }
    pattern
}

fn days_in_month(year: i64, month: i64) -> i64 {
    days_from_civil(year + i64::from(month == 12), month % 12 + 1, 1)
        - days_from_civil(year, month, 1)
}

/// The sorted seconds-of-day at which a matching day fires.
fn times_of_day(fields: &SpecFields) -> Vec<i64> {
    let mut times = Vec::new();
    let set = |bits: u64, limit: i64| (0..limit).filter(move |v| bits & (1u64 << v) != 0);
    for hour in set(fields.hour, 24) {
        for minute in set(fields.minute, 60) {
            for second in set(fields.second, 60) {
                times.push(hour * 3600 + minute * 60 + second);
            }
        }
    }
    times
}

/// Spec schedules: matching days per cycle times runs per matching day.
pub(crate) fn spec_frequency(fields: &SpecFields) -> Frequency {
    if unsatisfiable(fields) {
        return Frequency::NEVER;
    }
    let times = times_of_day(fields);
    let (Some(&first_time), Some(&last_time)) = (times.first(), times.last()) else {
        return Frequency::NEVER;
    };

    // patterns[length - 28][weekday of the 1st]
    let mut patterns = [[MonthPattern::default(); 7]; 4];
    for (length, row) in (28..=31).zip(patterns.iter_mut()) {
        for (weekday, slot) in (0..7).zip(row.iter_mut()) {
            *slot = month_pattern(fields, length, weekday);
        }
    }

    let mut matching_days = 0i64;
    let mut min_day_gap: Option<i64> = None;
    let mut first_day: Option<i64> = None;
    let mut last_day: Option<i64> = None;
    let mut month_start = 0i64;
    // 2000-01-01 was a Saturday.
    let mut weekday = 6i64;
    let mut note_gap = |gap: i64| min_day_gap = Some(min_day_gap.map_or(gap, |g: i64| g.min(gap)));
    for year in 2000..2000 + CYCLE_YEARS {
        for month in 1..=12 {
            let length = days_in_month(year, month);
            let pattern = usize::try_from(length - 28)
                .ok()
                .and_then(|row| patterns.get(row))
                .and_then(|row| usize::try_from(weekday).ok().and_then(|w| row.get(w)))
                .copied()
                .unwrap_or_default();
            if fields.month & (1u64 << month) != 0 && pattern.count > 0 {
                matching_days += pattern.count;
                if let Some(gap) = pattern.min_gap {
                    note_gap(gap);
                }
                if let Some(previous) = last_day {
                    note_gap(month_start + pattern.first - previous);
                }
                first_day.get_or_insert(month_start + pattern.first);
                last_day = Some(month_start + pattern.last);
            }
            month_start += length;
            weekday = (weekday + length) % 7;
        }
    }
    let (Some(first_day), Some(last_day)) = (first_day, last_day) else {
        return Frequency::NEVER;
    };
    // The cycle repeats: the first matching day of the next cycle follows the last one.
    note_gap(first_day + CYCLE_DAYS - last_day);

    let within_day = times.windows(2).filter_map(|pair| match pair {
        [a, b] => Some(b - a),
        _ => None,
    });
    let across_days = min_day_gap.map(|days| days * SECONDS_PER_DAY - (last_time - first_time));
    let min_seconds = within_day.chain(across_days).min();

    Frequency {
        runs_per_day: (matching_days as f64) * (times.len() as f64) / CYCLE_DAYS as f64,
        min_interval: min_seconds
            .and_then(|s| u64::try_from(s).ok())
            .map(Duration::from_secs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Parsed, parse_expression};

    fn frequency(spec: &str) -> Frequency {
        match parse_expression(spec).expect(spec) {
            Parsed::Spec(fields) => spec_frequency(&fields),
            Parsed::Every(delay) => every_frequency(delay),
        }
    }

    #[test]
    fn month_lengths() {
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_month(2024, 12), 31);
        assert_eq!(days_in_month(2024, 4), 30);
    }

    #[test]
    fn known_frequencies() {
        let minute = Some(Duration::from_secs(60));
        let hour = Some(Duration::from_secs(3600));
        let day = Some(Duration::from_secs(86_400));
        let cases: &[(&str, f64, Option<Duration>)] = &[
            ("* * * * *", 1440.0, minute),
            ("*/5 * * * *", 288.0, Some(Duration::from_secs(300))),
            ("0 * * * *", 24.0, hour),
            ("@hourly", 24.0, hour),
            ("0 0 * * *", 1.0, day),
            ("@daily", 1.0, day),
            ("0,30 9 * * *", 2.0, Some(Duration::from_secs(1800))),
            (
                "0 0 * * 0",
                1.0 / 7.0,
                Some(Duration::from_secs(7 * 86_400)),
            ),
            ("@weekly", 1.0 / 7.0, Some(Duration::from_secs(7 * 86_400))),
            (
                "0 0 1 * *",
                12.0 * 400.0 / 146_097.0,
                Some(Duration::from_secs(28 * 86_400)),
            ),
            (
                "@yearly",
                400.0 / 146_097.0,
                Some(Duration::from_secs(365 * 86_400)),
            ),
            (
                "0 0 29 2 *",
                97.0 / 146_097.0,
                Some(Duration::from_secs(1461 * 86_400)),
            ),
            ("0 0 30 2 *", 0.0, None),
            ("0 0 31 4,6,9,11 *", 0.0, None),
            ("0 23,1 * * *", 2.0, Some(Duration::from_secs(2 * 3600))),
            ("59 23 * * *", 1.0, day),
            ("0 0 * * 1-5", 5.0 / 7.0, day),
            ("@every 30s", 2880.0, Some(Duration::from_secs(30))),
            ("@every 1h30m", 16.0, Some(Duration::from_secs(5400))),
            ("@every 0s", 86_400.0, Some(Duration::from_secs(1))),
        ];
        for (spec, runs, gap) in cases {
            let f = frequency(spec);
            assert!(
                (f.runs_per_day - runs).abs() < 1e-12,
                "{spec}: {} != {runs}",
                f.runs_per_day
            );
            assert_eq!(f.min_interval, *gap, "{spec}");
        }
    }

    #[test]
    fn or_rule_gaps() {
        // The 1st or any Sunday: a Sunday the 31st followed by the 1st is one day apart.
        let f = frequency("0 0 1 * 0");
        assert_eq!(f.min_interval, Some(Duration::from_secs(86_400)));
        // Friday the 13th under the AND rule needs a star; under OR this is "13th or Friday".
        let f = frequency("0 0 13 * 5");
        assert!(f.runs_per_day > 1.0 / 7.0);
        // Evening then early next morning: gap spans midnight.
        let f = frequency("0 22 * * *");
        assert_eq!(f.min_interval, Some(Duration::from_secs(86_400)));
        let f = frequency("30 23 * * 1,2");
        assert_eq!(f.min_interval, Some(Duration::from_secs(86_400)));
        let f = frequency("0 1,23 * * 1,2");
        assert_eq!(f.min_interval, Some(Duration::from_secs(2 * 3600)));
    }
}
