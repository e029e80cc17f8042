//! The next activation time, computed the way robfig/cron v3 `SpecSchedule.Next` computes it,
//! including its Go `time` arithmetic (how `time.Date` resolves wall-clock times that a DST
//! change skips or repeats, `AddDate` overflow, the midnight fix-up, the five-year give-up).
//! Working the same way matters: on DST days robfig skips or repeats runs, and so do we.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::parse::{STAR_BIT, SpecFields};

const SECONDS_PER_DAY: i64 = 86_400;

/// A safety net far above what any real schedule needs (five years of minutes is ~2.6M),
/// so that no zone data, however odd, can make `next` loop forever.
const MAX_STEPS: u32 = 4_000_000;

/// Wall-clock fields of an instant in a zone.
#[derive(Debug, Clone, Copy)]
struct Civil {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    /// 0 = Sunday.
    weekday: i64,
}

/// The moving time `t` of robfig's algorithm: an instant plus its wall clock.
struct Cursor<'z> {
    zone: &'z TimeZone,
    unix: i64,
    civil: Civil,
}

impl<'z> Cursor<'z> {
    fn at(zone: &'z TimeZone, unix: i64) -> Option<Cursor<'z>> {
        Some(Cursor {
            zone,
            unix,
            civil: civil_at(zone, unix)?,
        })
    }

    fn set(&mut self, unix: i64) -> Option<()> {
        self.civil = civil_at(self.zone, unix)?;
        self.unix = unix;
        Some(())
    }

    fn add(&mut self, seconds: i64) -> Option<()> {
        self.set(self.unix.checked_add(seconds)?)
    }

    /// Go `time.Date(year, month, day, hour, minute, second, 0, zone)`.
    fn set_date(&mut self, y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<()> {
        self.set(go_date(self.zone, y, mo, d, h, mi, s)?)
    }
}

fn offset_at(zone: &TimeZone, unix: i64) -> Option<i64> {
    let instant = Timestamp::from_second(unix).ok()?;
    Some(i64::from(zone.to_offset(instant).seconds()))
}

fn civil_at(zone: &TimeZone, unix: i64) -> Option<Civil> {
    let local = unix.checked_add(offset_at(zone, unix)?)?;
    let days = local.div_euclid(SECONDS_PER_DAY);
    let second_of_day = local.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    Some(Civil {
        year,
        month,
        day,
        hour: second_of_day / 3600,
        minute: second_of_day / 60 % 60,
        second: second_of_day % 60,
        weekday: (days + 4).rem_euclid(7),
    })
}

/// Go's `time.Date`: month and day overflow carry over, and a wall-clock time is resolved with
/// the offset in force at `local - offset_at(local)`, which is exactly Go's choice in DST gaps
/// and folds.
fn go_date(
    zone: &TimeZone,
    year: i64,
    month: i64,
    day: i64,
    h: i64,
    mi: i64,
    s: i64,
) -> Option<i64> {
    let month0 = month.checked_sub(1)?;
    let year = year.checked_add(month0.div_euclid(12))?;
    let month = month0.rem_euclid(12) + 1;
    let days = days_from_civil(year, month, 1).checked_add(day.checked_sub(1)?)?;
    let local = days
        .checked_mul(SECONDS_PER_DAY)?
        .checked_add(h * 3600 + mi * 60 + s)?;
    let guess = offset_at(zone, local)?;
    let offset = offset_at(zone, local.checked_sub(guess)?)?;
    local.checked_sub(offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn has(set: u64, value: i64) -> bool {
    u32::try_from(value)
        .ok()
        .filter(|v| *v < 63)
        .is_some_and(|v| set & (1u64 << v) != 0)
}

/// robfig `dayMatches`: AND when either day field was written with a star, OR otherwise.
pub(crate) fn day_matches(fields: &SpecFields, day_of_month: i64, weekday: i64) -> bool {
    let dom = has(fields.dom, day_of_month);
    let dow = has(fields.dow, weekday);
    if fields.dom & STAR_BIT != 0 || fields.dow & STAR_BIT != 0 {
        dom && dow
    } else {
        dom || dow
    }
}

/// True when some field allows no value at all (e.g. a field of only commas), so no time
/// can ever match; robfig finds this out by searching five years, we skip the search.
pub(crate) fn unsatisfiable(fields: &SpecFields) -> bool {
    let values = !STAR_BIT;
    [fields.second, fields.minute, fields.hour, fields.month]
        .iter()
        .any(|set| set & values == 0)
        || (fields.dom & values == 0 && fields.dow & values == 0)
}

/// robfig `SpecSchedule.Next`: the first activation strictly after `after`, or `None` when
/// none is found within five years.
pub(crate) fn next_spec(
    fields: &SpecFields,
    zone: &TimeZone,
    after: Timestamp,
) -> Option<Timestamp> {
    if unsatisfiable(fields) {
        return None;
    }
    // Start at the upcoming whole second.
    let whole = i64::try_from(after.as_nanosecond().div_euclid(1_000_000_000)).ok()?;
    let mut t = Cursor::at(zone, whole.checked_add(1)?)?;
    let mut added = false;
    let year_limit = t.civil.year + 5;
    let mut steps = 0u32;
    let mut step = || {
        steps += 1;
        (steps < MAX_STEPS).then_some(())
    };

    'wrap: loop {
        if t.civil.year > year_limit {
            return None;
        }

        while !has(fields.month, t.civil.month) {
            step()?;
            let c = t.civil;
            if !added {
                added = true;
                t.set_date(c.year, c.month, 1, 0, 0, 0)?;
            }
            let c = t.civil;
            t.set_date(c.year, c.month + 1, c.day, c.hour, c.minute, c.second)?;
            if t.civil.month == 1 {
                continue 'wrap;
            }
        }

        while !day_matches(fields, t.civil.day, t.civil.weekday) {
            step()?;
            let c = t.civil;
            if !added {
                added = true;
                t.set_date(c.year, c.month, c.day, 0, 0, 0)?;
            }
            let c = t.civil;
            t.set_date(c.year, c.month, c.day + 1, c.hour, c.minute, c.second)?;
            // Midnight may not exist (DST); robfig pulls an hour of 1 back and pushes 23 on.
            let hour = t.civil.hour;
            if hour != 0 {
                let shift = if hour > 12 { 24 - hour } else { -hour };
                t.add(shift * 3600)?;
            }
            if t.civil.day == 1 {
                continue 'wrap;
            }
        }

        while !has(fields.hour, t.civil.hour) {
            step()?;
            if !added {
                added = true;
                let c = t.civil;
                t.set_date(c.year, c.month, c.day, c.hour, 0, 0)?;
            }
            t.add(3600)?;
            if t.civil.hour == 0 {
                continue 'wrap;
            }
        }

        while !has(fields.minute, t.civil.minute) {
            step()?;
            if !added {
                added = true;
                // Go's Truncate works on absolute time, not on the wall clock.
                t.set(t.unix - t.unix.rem_euclid(60))?;
            }
            t.add(60)?;
            if t.civil.minute == 0 {
                continue 'wrap;
            }
        }

        while !has(fields.second, t.civil.second) {
            step()?;
            // Truncating to the second is a no-op: the cursor holds whole seconds.
            added = true;
            t.add(1)?;
            if t.civil.second == 0 {
                continue 'wrap;
            }
        }

        return Timestamp::from_second(t.unix).ok();
    }
}

/// robfig `ConstantDelaySchedule.Next`: drop sub-seconds, add the delay.
pub(crate) fn next_every(delay_seconds: u64, after: Timestamp) -> Option<Timestamp> {
    let whole = i64::try_from(after.as_nanosecond().div_euclid(1_000_000_000)).ok()?;
    let delay = i64::try_from(delay_seconds).ok()?;
    Timestamp::from_second(whole.checked_add(delay)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_with_seconds;

    fn ts(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn civil_day_numbers_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn go_date_normalises_overflow() {
        let utc = TimeZone::UTC;
        let jan31 = go_date(&utc, 2023, 1, 31, 0, 0, 0).expect("date");
        assert_eq!(go_date(&utc, 2023, 2, 0, 0, 0, 0), Some(jan31));
        assert_eq!(go_date(&utc, 2022, 13, 31, 0, 0, 0), Some(jan31));
        // Feb 31 is March 3 (2023 is not a leap year).
        let mar3 = go_date(&utc, 2023, 3, 3, 0, 0, 0);
        assert_eq!(go_date(&utc, 2023, 2, 31, 0, 0, 0), mar3);
    }

    /// robfig spec_test.go `TestNext` vectors that need the seconds field, run in UTC
    /// (robfig runs them in the local zone; the times are wall-clock either way).
    #[test]
    fn robfig_next_with_seconds() {
        let cases = [
            (
                "2012-07-09T14:45:00Z",
                "0 0/15 * * * *",
                "2012-07-09T15:00:00Z",
            ),
            (
                "2012-07-09T14:59:00Z",
                "0 0/15 * * * *",
                "2012-07-09T15:00:00Z",
            ),
            (
                "2012-07-09T14:59:59Z",
                "0 0/15 * * * *",
                "2012-07-09T15:00:00Z",
            ),
            (
                "2012-07-09T15:45:00Z",
                "0 20-35/15 * * * *",
                "2012-07-09T16:20:00Z",
            ),
            (
                "2012-07-09T23:46:00Z",
                "0 */15 * * * *",
                "2012-07-10T00:00:00Z",
            ),
            (
                "2012-07-09T23:45:00Z",
                "0 20-35/15 * * * *",
                "2012-07-10T00:20:00Z",
            ),
            (
                "2012-07-09T23:35:51Z",
                "15/35 20-35/15 * * * *",
                "2012-07-10T00:20:15Z",
            ),
            (
                "2012-07-09T23:35:51Z",
                "15/35 20-35/15 1/2 * * *",
                "2012-07-10T01:20:15Z",
            ),
            (
                "2012-07-09T23:35:51Z",
                "15/35 20-35/15 10-12 * * *",
                "2012-07-10T10:20:15Z",
            ),
            (
                "2012-07-09T23:35:51Z",
                "15/35 20-35/15 1/2 */2 * *",
                "2012-07-11T01:20:15Z",
            ),
            (
                "2012-07-09T23:35:51Z",
                "15/35 20-35/15 * 9-20 * *",
                "2012-07-10T00:20:15Z",
            ),
            (
                "2012-07-09T23:35:51Z",
                "15/35 20-35/15 * 9-20 Jul *",
                "2012-07-10T00:20:15Z",
            ),
            (
                "2012-07-09T23:35:00Z",
                "0 0 0 9 Apr-Oct ?",
                "2012-08-09T00:00:00Z",
            ),
            (
                "2012-07-09T23:35:00Z",
                "0 0 0 */5 Apr,Aug,Oct Mon",
                "2012-08-01T00:00:00Z",
            ),
            (
                "2012-07-09T23:35:00Z",
                "0 0 0 */5 Oct Mon",
                "2012-10-01T00:00:00Z",
            ),
            (
                "2012-07-09T23:35:00Z",
                "0 0 0 * Feb Mon",
                "2013-02-04T00:00:00Z",
            ),
            (
                "2012-07-09T23:35:00Z",
                "0 0 0 * Feb Mon/2",
                "2013-02-01T00:00:00Z",
            ),
            (
                "2012-12-31T23:59:45Z",
                "0 * * * * *",
                "2013-01-01T00:00:00Z",
            ),
            (
                "2012-07-09T23:35:00Z",
                "0 0 0 29 Feb ?",
                "2016-02-29T00:00:00Z",
            ),
        ];
        for (from, spec, expected) in cases {
            let fields = parse_with_seconds(spec).expect(spec);
            assert_eq!(
                next_spec(&fields, &TimeZone::UTC, ts(from)),
                Some(ts(expected)),
                "{spec}"
            );
        }
        for spec in ["0 0 0 30 Feb ?", "0 0 0 31 Apr ?"] {
            let fields = parse_with_seconds(spec).expect(spec);
            assert_eq!(
                next_spec(&fields, &TimeZone::UTC, ts("2012-07-09T23:35:00Z")),
                None
            );
        }
    }

    #[test]
    fn every_drops_subseconds() {
        assert_eq!(
            next_every(30, ts("2020-01-01T00:00:00.9Z")),
            Some(ts("2020-01-01T00:00:30Z"))
        );
        assert_eq!(
            next_every(1, ts("1969-12-31T23:59:59.5Z")),
            Some(ts("1970-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn empty_fields_never_match() {
        let fields = parse_with_seconds("0 , * * * *").expect("parse");
        assert!(unsatisfiable(&fields));
        assert_eq!(
            next_spec(&fields, &TimeZone::UTC, ts("2020-01-01T00:00:00Z")),
            None
        );
    }
}
