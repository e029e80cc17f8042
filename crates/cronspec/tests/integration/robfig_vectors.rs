//! robfig/cron v3 test vectors (spec_test.go, parser_test.go) run through the public API,
//! plus Kubernetes-specific behaviour (zone prefixes, validation of new objects).

use std::time::Duration;

use jiff::Timestamp;
use jobwarden_cronspec::{ParseError, Schedule, TZ_IN_SCHEDULE_REJECTION};

fn ts(text: &str) -> Timestamp {
    text.parse()
        .unwrap_or_else(|e| panic!("bad timestamp {text}: {e}"))
}

fn schedule(spec: &str) -> Schedule {
    Schedule::parse(spec).unwrap_or_else(|e| panic!("{e}"))
}

/// spec_test.go `TestActivation`: `Next(t - 1s) == t` exactly when the schedule fires at `t`.
#[test]
fn activation() {
    let cases = [
        ("2012-07-09T15:00:00Z", "0/15 * * * *", true),
        ("2012-07-09T15:45:00Z", "0/15 * * * *", true),
        ("2012-07-09T15:40:00Z", "0/15 * * * *", false),
        ("2012-07-09T15:05:00Z", "5/15 * * * *", true),
        ("2012-07-09T15:20:00Z", "5/15 * * * *", true),
        ("2012-07-09T15:50:00Z", "5/15 * * * *", true),
        ("2012-07-15T15:00:00Z", "0/15 * * Jul *", true),
        ("2012-07-15T15:00:00Z", "0/15 * * Jun *", false),
        ("2012-07-15T08:30:00Z", "30 08 ? Jul Sun", true),
        ("2012-07-15T08:30:00Z", "30 08 15 Jul ?", true),
        ("2012-07-16T08:30:00Z", "30 08 ? Jul Sun", false),
        ("2012-07-16T08:30:00Z", "30 08 15 Jul ?", false),
        ("2012-07-09T15:00:00Z", "@hourly", true),
        ("2012-07-09T15:04:00Z", "@hourly", false),
        ("2012-07-09T15:00:00Z", "@daily", false),
        ("2012-07-09T00:00:00Z", "@daily", true),
        ("2012-07-09T00:00:00Z", "@weekly", false),
        ("2012-07-08T00:00:00Z", "@weekly", true),
        ("2012-07-08T01:00:00Z", "@weekly", false),
        ("2012-07-08T00:00:00Z", "@monthly", false),
        ("2012-07-01T00:00:00Z", "@monthly", true),
        // Both day fields restricted: either may match.
        ("2012-07-15T00:00:00Z", "* * 1,15 * Sun", true),
        ("2012-06-15T00:00:00Z", "* * 1,15 * Sun", true),
        ("2012-08-01T00:00:00Z", "* * 1,15 * Sun", true),
        ("2012-07-15T00:00:00Z", "* * */10 * Sun", true),
        // One of them starred: both must match.
        ("2012-07-15T00:00:00Z", "* * * * Mon", false),
        ("2012-07-09T00:00:00Z", "* * 1,15 * *", false),
        ("2012-07-15T00:00:00Z", "* * 1,15 * *", true),
        ("2012-07-15T00:00:00Z", "* * */2 * Sun", true),
    ];
    for (time, spec, fires) in cases {
        let at = ts(time);
        let before = at
            .checked_sub(jiff::SignedDuration::from_secs(1))
            .expect("sub");
        let next = schedule(spec).next_after(before);
        assert_eq!(next == Some(at), fires, "{spec} at {time}: got {next:?}");
    }
}

/// spec_test.go `TestNext` (the five-field and zoned ones; seconds-field ones are unit tests).
#[test]
fn next_across_dst_and_zones() {
    let ny = "TZ=America/New_York";
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "2012-03-11T00:00:00-05:00",
            format!("{ny} 30 2 11 Mar ?"),
            "2013-03-11T02:30:00-04:00",
        ),
        // Hourly over 2am EST -> 3am EDT.
        (
            "2012-03-11T00:00:00-05:00",
            format!("{ny} 0 * * * ?"),
            "2012-03-11T01:00:00-05:00",
        ),
        (
            "2012-03-11T01:00:00-05:00",
            format!("{ny} 0 * * * ?"),
            "2012-03-11T03:00:00-04:00",
        ),
        (
            "2012-03-11T03:00:00-04:00",
            format!("{ny} 0 * * * ?"),
            "2012-03-11T04:00:00-04:00",
        ),
        (
            "2012-03-11T04:00:00-04:00",
            format!("{ny} 0 * * * ?"),
            "2012-03-11T05:00:00-04:00",
        ),
        (
            "2012-03-11T01:00:00-05:00",
            "CRON_TZ=America/New_York 0 * * * ?".into(),
            "2012-03-11T03:00:00-04:00",
        ),
        // Nightly at 1am, and at 2am (skipped on the change day).
        (
            "2012-03-11T00:00:00-05:00",
            format!("{ny} 0 1 * * ?"),
            "2012-03-11T01:00:00-05:00",
        ),
        (
            "2012-03-11T01:00:00-05:00",
            format!("{ny} 0 1 * * ?"),
            "2012-03-12T01:00:00-04:00",
        ),
        (
            "2012-03-11T00:00:00-05:00",
            format!("{ny} 0 2 * * ?"),
            "2012-03-12T02:00:00-04:00",
        ),
        // 2am EDT -> 1am EST.
        (
            "2012-11-04T00:00:00-04:00",
            format!("{ny} 30 2 04 Nov ?"),
            "2012-11-04T02:30:00-05:00",
        ),
        (
            "2012-11-04T01:45:00-04:00",
            format!("{ny} 30 1 04 Nov ?"),
            "2012-11-04T01:30:00-05:00",
        ),
        (
            "2012-11-04T00:00:00-04:00",
            format!("{ny} 0 * * * ?"),
            "2012-11-04T01:00:00-04:00",
        ),
        (
            "2012-11-04T01:00:00-04:00",
            format!("{ny} 0 * * * ?"),
            "2012-11-04T01:00:00-05:00",
        ),
        (
            "2012-11-04T01:00:00-05:00",
            format!("{ny} 0 * * * ?"),
            "2012-11-04T02:00:00-05:00",
        ),
        // 1am nightly runs twice.
        (
            "2012-11-04T00:00:00-04:00",
            format!("{ny} 0 1 * * ?"),
            "2012-11-04T01:00:00-04:00",
        ),
        (
            "2012-11-04T01:00:00-04:00",
            format!("{ny} 0 1 * * ?"),
            "2012-11-04T01:00:00-05:00",
        ),
        (
            "2012-11-04T01:00:00-05:00",
            format!("{ny} 0 1 * * ?"),
            "2012-11-05T01:00:00-05:00",
        ),
        (
            "2012-11-04T00:00:00-04:00",
            format!("{ny} 0 2 * * ?"),
            "2012-11-04T02:00:00-05:00",
        ),
        (
            "2012-11-04T02:00:00-05:00",
            format!("{ny} 0 2 * * ?"),
            "2012-11-05T02:00:00-05:00",
        ),
        (
            "2012-11-04T00:00:00-04:00",
            format!("{ny} 0 3 * * ?"),
            "2012-11-04T03:00:00-05:00",
        ),
        (
            "2012-11-04T03:00:00-05:00",
            format!("{ny} 0 3 * * ?"),
            "2012-11-05T03:00:00-05:00",
        ),
        // Monthly.
        (
            "2012-11-04T00:00:00-04:00",
            format!("{ny} 0 3 3 * ?"),
            "2012-12-03T03:00:00-05:00",
        ),
        // Midnight does not exist on DST days in Sao Paulo (robfig issue 157).
        (
            "2018-10-17T05:00:00-04:00",
            "TZ=America/Sao_Paulo 0 9 10 * ?".into(),
            "2018-11-10T06:00:00-05:00",
        ),
        (
            "2018-02-14T05:00:00-05:00",
            "TZ=America/Sao_Paulo 0 9 22 * ?".into(),
            "2018-02-22T07:00:00-05:00",
        ),
        // spec_test.go TestNextWithTz (robfig uses the input's zone; here it is the prefix).
        (
            "2016-01-03T13:09:03+05:30",
            "TZ=Asia/Kolkata 14 14 * * *".into(),
            "2016-01-03T14:14:00+05:30",
        ),
        (
            "2016-01-03T04:09:03+05:30",
            "TZ=Asia/Kolkata 14 14 * * ?".into(),
            "2016-01-03T14:14:00+05:30",
        ),
        (
            "2016-01-03T14:09:03+05:30",
            "TZ=Asia/Kolkata 14 14 * * *".into(),
            "2016-01-03T14:14:00+05:30",
        ),
        (
            "2016-01-03T14:00:00+05:30",
            "TZ=Asia/Kolkata 14 14 * * ?".into(),
            "2016-01-03T14:14:00+05:30",
        ),
        // Plain five-field ones in UTC.
        (
            "2012-07-09T23:35:00Z",
            "0 0 29 Feb ?".into(),
            "2016-02-29T00:00:00Z",
        ),
        (
            "2012-12-31T23:59:45Z",
            "* * * * *".into(),
            "2013-01-01T00:00:00Z",
        ),
    ];
    for (from, spec, expected) in cases {
        assert_eq!(
            schedule(&spec).next_after(ts(from)),
            Some(ts(expected)),
            "{spec} from {from}"
        );
    }
}

#[test]
fn unsatisfiable_and_five_year_limit() {
    for spec in ["0 0 30 2 *", "0 0 31 Apr ?", "0 0 31 4,6,9,11 *"] {
        let s = schedule(spec);
        assert_eq!(s.next_after(ts("2012-07-09T23:35:00Z")), None, "{spec}");
        assert!(s.never_fires());
        assert_eq!(s.runs_per_day(), 0.0);
        assert_eq!(s.min_interval(), None);
    }
    // Feb 29 skips 2100, so from 2097 there is none within robfig's five years.
    let leap = schedule("0 0 29 2 *");
    assert_eq!(leap.next_after(ts("2096-03-01T00:00:00Z")), None);
    assert_eq!(
        leap.next_after(ts("2095-03-01T00:00:00Z")),
        Some(ts("2096-02-29T00:00:00Z"))
    );
    assert!(!leap.never_fires());
}

#[test]
fn zones_and_prefixes() {
    let s = schedule("CRON_TZ=Europe/Berlin 0 9 * * *");
    assert_eq!(s.time_zone(), Some("Europe/Berlin"));
    assert_eq!(
        s.next_after(ts("2024-07-01T00:00:00Z")),
        Some(ts("2024-07-01T07:00:00Z"))
    );
    assert_eq!(
        s.next_after(ts("2024-12-01T00:00:00Z")),
        Some(ts("2024-12-01T08:00:00Z"))
    );
    assert!(!s.is_valid_for_new_objects());
    assert_eq!(s.new_object_rejection(), Some(TZ_IN_SCHEDULE_REJECTION));

    let plain = schedule("0 9 * * *");
    assert_eq!(plain.time_zone(), None);
    assert!(plain.is_valid_for_new_objects());
    assert_eq!(
        plain.next_after(ts("2024-07-01T00:00:00Z")),
        Some(ts("2024-07-01T09:00:00Z"))
    );

    for spec in [
        "TZ=UTC  5 * * * *",
        "TZ= 5 * * * *",
        "TZ=Local 5 * * * *",
        "TZ=Etc/UTC 5 * * * *",
    ] {
        let s = schedule(spec);
        assert_eq!(
            s.next_after(ts("2024-07-01T00:00:00Z")),
            Some(ts("2024-07-01T00:05:00Z")),
            "{spec}"
        );
    }
    for zone in [
        "US/Eastern",
        "Asia/Calcutta",
        "EST5EDT",
        "Etc/GMT+5",
        "GMT",
        "Etc/UTC",
        "Zulu",
    ] {
        assert!(
            Schedule::parse(&format!("TZ={zone} 0 0 * * *")).is_ok(),
            "{zone}"
        );
    }
    // @every ignores the zone, as robfig's ConstantDelaySchedule does.
    let every = schedule("TZ=Asia/Tokyo @every 1h");
    assert_eq!(
        every.next_after(ts("2024-07-01T00:00:00.5Z")),
        Some(ts("2024-07-01T01:00:00Z"))
    );
    assert_eq!(every.every(), Some(Duration::from_secs(3600)));
    let midnight = schedule("TZ=Asia/Tokyo @midnight");
    assert_eq!(
        midnight.next_after(ts("2024-07-01T00:00:00Z")),
        Some(ts("2024-07-01T15:00:00Z"))
    );
}

#[test]
fn cronjob_time_zone_field() {
    let s = Schedule::parse_for_cronjob("0 9 * * *", Some("America/New_York")).expect("parse");
    assert_eq!(s.source(), "TZ=America/New_York 0 9 * * *");
    assert_eq!(s.time_zone(), Some("America/New_York"));
    assert_eq!(
        s.next_after(ts("2024-07-01T00:00:00Z")),
        Some(ts("2024-07-01T13:00:00Z"))
    );
    // Unloadable zone: the controller falls back to the bare schedule.
    let s = Schedule::parse_for_cronjob("0 9 * * *", Some("Mars/Olympus")).expect("parse");
    assert_eq!(s.source(), "0 9 * * *");
    // A schedule already carrying TZ wins.
    let s = Schedule::parse_for_cronjob("TZ=UTC 0 9 * * *", Some("Asia/Tokyo")).expect("parse");
    assert_eq!(s.time_zone(), Some("UTC"));
    let s = Schedule::parse_for_cronjob("0 9 * * *", None).expect("parse");
    assert_eq!(s.source(), "0 9 * * *");
}

#[test]
fn rejects_with_reasons() {
    let cases = [
        ("", "empty schedule"),
        ("xyz", "expected exactly 5 fields"),
        ("* * * *", "found 4"),
        ("0 * * * * *", "found 6"),
        (" @daily", "found 1"),
        (
            "60 0 * * *",
            "minute field \"60\": end of range (60) above maximum (59)",
        ),
        ("0 60 * * *", "hour field"),
        ("0 0 * * XYZ", "day-of-week field \"XYZ\""),
        ("0 0 * * 7", "above maximum (6)"),
        ("0 0 0 * *", "below minimum (1)"),
        ("*/0 * * * *", "positive number"),
        ("1-2-3 * * * *", "too many hyphens"),
        ("1/2/3 * * * *", "too many slashes"),
        ("5-1 * * * *", "beyond end of range"),
        ("L * * * *", "not a number"),
        ("0 0 L * *", "not a number"),
        ("0 0 * * 1#2", "not a number"),
        ("@every 1d", "unknown unit"),
        ("@every", "unrecognized descriptor"),
        ("@reboot", "unrecognized descriptor"),
        ("TZ=UTC", "not followed by a space"),
        ("TZ=Nowhere/Land * * * * *", "bad location"),
        ("TZ=america/new_york * * * * *", "case-sensitive"),
        ("TZ=../etc/passwd * * * * *", "bad location"),
        ("TZ=UTC ", "found 0"),
    ];
    for (spec, reason) in cases {
        let err: ParseError = Schedule::parse(spec).expect_err(spec);
        assert_eq!(err.spec, spec);
        assert!(err.reason.contains(reason), "{spec:?}: {}", err.reason);
        assert!(err.to_string().contains(&format!("{spec:?}")), "{err}");
    }
}

#[test]
fn accepts_what_robfig_accepts() {
    for spec in [
        "* * * * *",
        "? ? ? ? ?",
        "*/1 * * * *",
        "0-59/1 0-23 1-31 1-12 0-6",
        "0 0 * JAN-dec SUN-sat",
        "+5 +1 +1 +1 +1",
        "05 01 01 01 00",
        "*-3 * * * *",
        "1,,2 * * * *",
        "0 0 1 * mon-fri/2",
        "0\t0\u{a0}*  *\n*",
        "@every 1h30m",
        "@every -1s",
        "TZ=America/New_York @weekly",
        "CRON_TZ=Asia/Kolkata 30 4 * * *",
    ] {
        assert!(Schedule::parse(spec).is_ok(), "{spec:?}");
    }
}

#[test]
fn runs_iterator_and_frequency() {
    let s = schedule("*/20 9-10 * * 1-5");
    let runs: Vec<Timestamp> = s.runs_after(ts("2024-07-05T10:30:00Z")).take(4).collect();
    let expected = [
        "2024-07-05T10:40:00Z",
        "2024-07-08T09:00:00Z",
        "2024-07-08T09:20:00Z",
        "2024-07-08T09:40:00Z",
    ];
    assert_eq!(runs, expected.map(ts).to_vec());
    assert!((s.runs_per_day() - 6.0 * 5.0 / 7.0).abs() < 1e-12);
    assert_eq!(s.min_interval(), Some(Duration::from_secs(20 * 60)));
    assert_eq!(schedule("* * * * *").runs_per_day(), 1440.0);
    assert_eq!(schedule("@every 30s").runs_per_day(), 2880.0);
    assert_eq!(schedule("0 0 30 2 *").runs_per_day(), 0.0);
    assert_eq!(schedule("0 9 * * *").to_string(), "0 9 * * *");
    assert_eq!("0 9 * * *".parse::<Schedule>(), Ok(schedule("0 9 * * *")));
}

#[test]
fn extreme_instants_and_odd_zones() {
    for spec in [
        "* * * * *",
        "0 0 29 2 *",
        "@every 1s",
        "TZ=Pacific/Kiritimati 0 0 * * *",
    ] {
        let s = schedule(spec);
        assert_eq!(s.next_after(Timestamp::MAX), None, "{spec}");
        assert!(s.next_after(ts("0001-01-01T00:00:00Z")).is_some(), "{spec}");
    }
    // Lord Howe moves its clocks by 30 minutes; runs still come in order.
    let s = schedule("TZ=Australia/Lord_Howe */7 1-3 * * *");
    let runs: Vec<Timestamp> = s.runs_after(ts("2023-09-30T12:00:00Z")).take(200).collect();
    assert_eq!(runs.len(), 200);
    assert!(runs.windows(2).all(|w| w[0] < w[1]));
    // Apia skipped 2011-12-30 entirely.
    let s = schedule("TZ=Pacific/Apia 0 12 * * *");
    let runs: Vec<Timestamp> = s.runs_after(ts("2011-12-28T00:00:00Z")).take(4).collect();
    assert!(runs.windows(2).all(|w| w[0] < w[1]));
}
