//! Property tests: schedules are generated together with the value sets they denote, and
//! `next_after` is checked against those sets and against a brute-force search in UTC.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use jobwarden_cronspec::Schedule;
use proptest::prelude::*;

const MONTH_NAMES: [&str; 12] = [
    "jan", "FEB", "Mar", "apr", "MAY", "jun", "Jul", "aug", "sep", "OCT", "nov", "Dec",
];
const DAY_NAMES: [&str; 7] = ["sun", "MON", "Tue", "wed", "THU", "fri", "Sat"];

/// One generated field: its text, the values it allows, and whether it counts as starred.
#[derive(Debug, Clone)]
struct Field {
    text: String,
    values: Vec<i64>,
    star: bool,
}

impl Field {
    fn allows(&self, value: i64) -> bool {
        self.values.contains(&value)
    }
}

fn name_or_number(
    value: i64,
    names: Option<&'static [&'static str]>,
    min: i64,
    use_name: bool,
) -> String {
    match names {
        Some(names) if use_name => usize::try_from(value - min)
            .ok()
            .and_then(|i| names.get(i))
            .map_or_else(|| value.to_string(), |n| (*n).to_string()),
        _ => value.to_string(),
    }
}

fn field(
    min: i64,
    max: i64,
    names: Option<&'static [&'static str]>,
) -> impl Strategy<Value = Field> {
    let all: Vec<i64> = (min..=max).collect();
    let star = {
        let all = all.clone();
        prop_oneof![Just("*"), Just("?"), Just("*/1")].prop_map(move |t| Field {
            text: t.to_string(),
            values: all.clone(),
            star: true,
        })
    };
    let star_step = (2..=max.max(2)).prop_map(move |step| Field {
        text: format!("*/{step}"),
        values: (min..=max)
            .step_by(usize::try_from(step).unwrap_or(1))
            .collect(),
        star: false,
    });
    let list = (
        proptest::collection::btree_set(min..=max, 1..4),
        any::<bool>(),
    )
        .prop_map(move |(set, named)| {
            let text: Vec<String> = set
                .iter()
                .map(|v| name_or_number(*v, names, min, named))
                .collect();
            Field {
                text: text.join(","),
                values: set.into_iter().collect(),
                star: false,
            }
        });
    let range =
        (min..=max, min..=max, 1..4i64, any::<bool>()).prop_map(move |(a, b, step, named)| {
            let (low, high) = (a.min(b), a.max(b));
            let mut text = format!(
                "{}-{}",
                name_or_number(low, names, min, named),
                name_or_number(high, names, min, named)
            );
            if step > 1 {
                text.push_str(&format!("/{step}"));
            }
            let values = (low..=high)
                .step_by(usize::try_from(step).unwrap_or(1))
                .collect();
            Field {
                text,
                values,
                star: false,
            }
        });
    let from_step = (min..=max, 2..6i64).prop_map(move |(start, step)| Field {
        text: format!("{start}/{step}"),
        values: (start..=max)
            .step_by(usize::try_from(step).unwrap_or(1))
            .collect(),
        star: false,
    });
    prop_oneof![3 => star, 1 => star_step, 3 => list, 2 => range, 1 => from_step]
}

#[derive(Debug, Clone)]
struct Generated {
    minute: Field,
    hour: Field,
    dom: Field,
    month: Field,
    dow: Field,
}

impl Generated {
    fn text(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.minute.text, self.hour.text, self.dom.text, self.month.text, self.dow.text
        )
    }

    fn day_matches(&self, date: Date) -> bool {
        self.day_fields_match(
            i64::from(date.day()),
            i64::from(date.weekday().to_sunday_zero_offset()),
        )
    }

    fn day_fields_match(&self, day_of_month: i64, weekday: i64) -> bool {
        let dom = self.dom.allows(day_of_month);
        let dow = self.dow.allows(weekday);
        if self.dom.star || self.dow.star {
            dom && dow
        } else {
            dom || dow
        }
    }

    fn matches(&self, zoned: &jiff::Zoned) -> bool {
        zoned.second() == 0
            && zoned.subsec_nanosecond() == 0
            && self.minute.allows(i64::from(zoned.minute()))
            && self.hour.allows(i64::from(zoned.hour()))
            && self.month.allows(i64::from(zoned.month()))
            && self.day_matches(zoned.date())
    }

    /// Brute force in UTC: the first matching minute after `t`, searching as far as robfig
    /// does (to the end of the year five years after the start).
    fn brute_force_next(&self, t: Timestamp) -> Option<Timestamp> {
        let start = t
            .checked_add(SignedDuration::from_secs(1))
            .ok()?
            .to_zoned(TimeZone::UTC);
        let last_year = start.year() + 5;
        let mut date = start.date();
        while date.year() <= last_year {
            if self.month.allows(i64::from(date.month())) && self.day_matches(date) {
                for hour in self.hour.values.iter() {
                    for minute in self.minute.values.iter() {
                        let time = jiff::civil::time(
                            i8::try_from(*hour).ok()?,
                            i8::try_from(*minute).ok()?,
                            0,
                            0,
                        );
                        let candidate = date.to_datetime(time).to_zoned(TimeZone::UTC).ok()?;
                        if candidate.timestamp() > t {
                            return Some(candidate.timestamp());
                        }
                    }
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }
}

fn generated() -> impl Strategy<Value = Generated> {
    (
        field(0, 59, None),
        field(0, 23, None),
        field(1, 31, None),
        field(1, 12, Some(&MONTH_NAMES)),
        field(0, 6, Some(&DAY_NAMES)),
    )
        .prop_map(|(minute, hour, dom, month, dow)| Generated {
            minute,
            hour,
            dom,
            month,
            dow,
        })
}

/// Zones whose DST changes shift by whole hours away from midnight, where robfig's result
/// always matches its own fields.
fn zone() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        Just(None),
        Just(Some("UTC")),
        Just(Some("America/New_York")),
        Just(Some("Europe/Berlin")),
        Just(Some("Asia/Kolkata")),
        Just(Some("Australia/Sydney")),
    ]
}

fn instant() -> impl Strategy<Value = Timestamp> {
    // 1971 .. 2099, with sub-second noise.
    (31_536_000i64..4_070_908_800, 0i32..1_000_000_000)
        .prop_map(|(s, ns)| Timestamp::new(s, ns).unwrap_or(Timestamp::UNIX_EPOCH))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn next_is_later_and_matches_fields(g in generated(), zone in zone(), t in instant()) {
        let spec = match zone {
            Some(z) => format!("CRON_TZ={z} {}", g.text()),
            None => g.text(),
        };
        let schedule = Schedule::parse(&spec).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let tz = TimeZone::get(zone.unwrap_or("UTC")).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut previous = t;
        for next in schedule.runs_after(t).take(5) {
            prop_assert!(next > previous, "{spec}: {next} not after {previous}");
            let zoned = next.to_zoned(tz.clone());
            prop_assert!(g.matches(&zoned), "{spec}: {zoned} does not match");
            // Asking again from just before a run finds that same run.
            let just_before = next.checked_sub(SignedDuration::from_secs(1)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(schedule.next_after(just_before), Some(next));
            previous = next;
        }
    }

    #[test]
    fn next_equals_brute_force_in_utc(g in generated(), t in instant()) {
        let schedule = Schedule::parse(&g.text()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(schedule.next_after(t), g.brute_force_next(t), "{}", g.text());
    }

    #[test]
    fn gaps_never_below_min_interval(g in generated(), t in instant()) {
        let schedule = Schedule::parse(&g.text()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let runs: Vec<Timestamp> = schedule.runs_after(t).take(50).collect();
        if runs.is_empty() {
            prop_assert_eq!(schedule.min_interval(), None);
        }
        for pair in runs.windows(2) {
            if let [a, b] = pair {
                let gap = b.duration_since(*a).unsigned_abs();
                let min = schedule.min_interval().ok_or_else(|| TestCaseError::fail("no min interval"))?;
                prop_assert!(gap >= min, "{}: gap {gap:?} < {min:?}", g.text());
            }
        }
        // Runs per day agrees with the number of (minute, hour) pairs on a day that matches.
        let per_matching_day = (g.minute.values.len() * g.hour.values.len()) as f64;
        prop_assert!(schedule.runs_per_day() <= per_matching_day + 1e-9);
    }

    #[test]
    fn every_is_exact(seconds in 1u64..200_000, t in instant()) {
        let schedule = Schedule::parse(&format!("@every {seconds}s")).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let next = schedule.next_after(t).ok_or_else(|| TestCaseError::fail("no next"))?;
        prop_assert_eq!(next.as_second(), t.as_second() + i64::try_from(seconds).unwrap_or(0));
        prop_assert!((schedule.runs_per_day() - 86_400.0 / seconds as f64).abs() < 1e-9);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
        let _ = Schedule::parse(&text);
    }

    #[test]
    fn cron_like_text_never_panics(text in "(TZ=[A-Za-z/_]{0,12} )?[0-9*?,/a-zA-Z@ -]{0,30}", t in instant()) {
        if let Ok(schedule) = Schedule::parse(&text) {
            let _ = schedule.next_after(t);
            prop_assert!(schedule.runs_per_day() >= 0.0);
        }
    }
}

proptest! {
    // Each case walks 146,097 days.
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn runs_per_day_counts_the_gregorian_cycle(g in generated()) {
        let schedule = Schedule::parse(&g.text()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut matching_days = 0u32;
        for year in 2000..2400 {
            for month in 1..=12 {
                let first = jiff::civil::date(year, month, 1);
                if !g.month.allows(i64::from(month)) {
                    continue;
                }
                let first_weekday = i64::from(first.weekday().to_sunday_zero_offset());
                for day in 1..=i64::from(first.days_in_month()) {
                    let weekday = (first_weekday + day - 1) % 7;
                    if g.day_fields_match(day, weekday) {
                        matching_days += 1;
                    }
                }
            }
        }
        let per_day = (g.minute.values.len() * g.hour.values.len()) as f64;
        let expected = f64::from(matching_days) * per_day / 146_097.0;
        prop_assert!((schedule.runs_per_day() - expected).abs() < 1e-9, "{}: {} != {expected}", g.text(), schedule.runs_per_day());
        prop_assert_eq!(schedule.never_fires(), matching_days == 0);
    }
}
