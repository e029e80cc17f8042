//! Schedule text to bit sets, following robfig/cron v3 `ParseStandard` step by step
//! (time-zone prefix, descriptors, exactly five fields, lists, ranges, steps, names).
//!
//! Quirks kept on purpose because the controller has them: empty list items are skipped
//! (`1,,2`; a field of only commas matches nothing), `*-5` is read as `*`, `N/step` means
//! `N-max/step`, `*/1` keeps the star but `*/2` drops it, numbers may carry a `+` sign.

use crate::go_duration::parse_go_duration;

/// Set when a field's expression started with `*` or `?` (and had no step above 1);
/// it switches day matching from OR to AND.
pub(crate) const STAR_BIT: u64 = 1 << 63;

/// The bit sets of a spec schedule: bit `n` set means value `n` is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SpecFields {
    pub(crate) second: u64,
    pub(crate) minute: u64,
    pub(crate) hour: u64,
    pub(crate) dom: u64,
    pub(crate) month: u64,
    pub(crate) dow: u64,
}

/// What a schedule text denotes, once any time-zone prefix is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// Calendar fields.
    Spec(SpecFields),
    /// `@every`: a constant delay in whole seconds (at least 1).
    Every(u64),
}

/// Allowed values and names for one field.
pub(crate) struct Bounds {
    label: &'static str,
    min: u64,
    max: u64,
    names: &'static [(&'static str, u64)],
}

const SECONDS: Bounds = Bounds {
    label: "second",
    min: 0,
    max: 59,
    names: &[],
};
const MINUTES: Bounds = Bounds {
    label: "minute",
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    label: "hour",
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    label: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    label: "month",
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
const DOW: Bounds = Bounds {
    label: "day-of-week",
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

/// Every value of a field, plus the star bit (robfig's `all`).
fn all(bounds: &Bounds) -> u64 {
    bits(bounds.min, bounds.max, 1) | STAR_BIT
}

/// A schedule text split into its time-zone prefix (if any) and the rest.
pub(crate) struct Prefixed<'a> {
    /// The zone name written after `TZ=`/`CRON_TZ=`, exactly as written.
    pub(crate) zone: Option<&'a str>,
    /// The schedule after the prefix, trimmed as robfig trims it.
    pub(crate) expression: &'a str,
}

/// Split off a `TZ=`/`CRON_TZ=` prefix the way robfig does: the zone name runs up to the
/// first ASCII space, and the rest is trimmed.
pub(crate) fn split_zone_prefix(spec: &str) -> Result<Prefixed<'_>, String> {
    if !(spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=")) {
        return Ok(Prefixed {
            zone: None,
            expression: spec,
        });
    }
    let name_start = spec.find('=').map_or(0, |eq| eq + 1);
    let Some(space) = spec.find(' ') else {
        // robfig/cron v3.0.1 slices out of bounds here and panics; report it instead.
        return Err(format!(
            "time zone prefix {spec:?} is not followed by a space and a schedule"
        ));
    };
    Ok(Prefixed {
        zone: Some(spec.get(name_start..space).unwrap_or("")),
        expression: spec.get(space..).unwrap_or("").trim(),
    })
}

/// Parse the schedule text that follows any time-zone prefix.
pub(crate) fn parse_expression(expression: &str) -> Result<Parsed, String> {
    if expression.starts_with('@') {
        return parse_descriptor(expression);
    }
    let fields: Vec<&str> = expression.split_whitespace().collect();
    let [minute, hour, dom, month, dow] = fields.as_slice() else {
        return Err(format!(
            "expected exactly 5 fields (minute hour day-of-month month day-of-week), found {}",
            fields.len()
        ));
    };
    Ok(Parsed::Spec(SpecFields {
        second: 1 << SECONDS.min,
        minute: field(minute, &MINUTES)?,
        hour: field(hour, &HOURS)?,
        dom: field(dom, &DOM)?,
        month: field(month, &MONTHS)?,
        dow: field(dow, &DOW)?,
    }))
}

/// The six-field (with seconds) form robfig's own tests use; only for porting those tests.
#[cfg(test)]
pub(crate) fn parse_with_seconds(expression: &str) -> Result<SpecFields, String> {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    let [second, minute, hour, dom, month, dow] = fields.as_slice() else {
        return Err(format!("expected 6 fields, found {}", fields.len()));
    };
    Ok(SpecFields {
        second: field(second, &SECONDS)?,
        minute: field(minute, &MINUTES)?,
        hour: field(hour, &HOURS)?,
        dom: field(dom, &DOM)?,
        month: field(month, &MONTHS)?,
        dow: field(dow, &DOW)?,
    })
}

fn parse_descriptor(descriptor: &str) -> Result<Parsed, String> {
    let first = |bounds: &Bounds| 1u64 << bounds.min;
    let spec = |minute, hour, dom, month, dow| {
        Ok(Parsed::Spec(SpecFields {
            second: first(&SECONDS),
            minute,
            hour,
            dom,
            month,
            dow,
        }))
    };
    match descriptor {
        "@yearly" | "@annually" => spec(
            first(&MINUTES),
            first(&HOURS),
            first(&DOM),
            first(&MONTHS),
            all(&DOW),
        ),
        "@monthly" => spec(
            first(&MINUTES),
            first(&HOURS),
            first(&DOM),
            all(&MONTHS),
            all(&DOW),
        ),
        "@weekly" => spec(
            first(&MINUTES),
            first(&HOURS),
            all(&DOM),
            all(&MONTHS),
            first(&DOW),
        ),
        "@daily" | "@midnight" => spec(
            first(&MINUTES),
            first(&HOURS),
            all(&DOM),
            all(&MONTHS),
            all(&DOW),
        ),
        "@hourly" => spec(
            first(&MINUTES),
            all(&HOURS),
            all(&DOM),
            all(&MONTHS),
            all(&DOW),
        ),
        _ => match descriptor.strip_prefix("@every ") {
            Some(duration) => {
                let nanos = parse_go_duration(duration)
                    .map_err(|e| format!("@every: failed to parse duration: {e}"))?;
                Ok(Parsed::Every(every_delay_seconds(nanos)))
            }
            None => Err(format!(
                "unrecognized descriptor {descriptor:?} (known: @yearly @annually @monthly \
                 @weekly @daily @midnight @hourly @every <duration>; names are case-sensitive)"
            )),
        },
    }
}

/// robfig's `Every`: below one second becomes one second, then sub-seconds are dropped.
fn every_delay_seconds(nanos: i64) -> u64 {
    const NANOS_PER_SECOND: i64 = 1_000_000_000;
    let nanos = nanos.max(NANOS_PER_SECOND);
    // nanos is positive here, so the quotient is too.
    (nanos / NANOS_PER_SECOND).unsigned_abs()
}

/// One field: a comma-separated list of ranges. Empty items are skipped (Go `FieldsFunc`).
fn field(text: &str, bounds: &Bounds) -> Result<u64, String> {
    let mut set = 0;
    for item in text.split(',').filter(|item| !item.is_empty()) {
        set |= range(item, bounds)
            .map_err(|reason| format!("{} field {text:?}: {reason}", bounds.label))?;
    }
    Ok(set)
}

/// One range: `*`, `?`, `N`, `N-M`, each optionally followed by `/step`.
fn range(expr: &str, bounds: &Bounds) -> Result<u64, String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let range_part = range_and_step.first().copied().unwrap_or("");
    let low_and_high: Vec<&str> = range_part.split('-').collect();
    let single_value = low_and_high.len() == 1;

    let (start, mut end, mut star) = match low_and_high.as_slice() {
        // robfig only looks at the text before the first hyphen here: `*-5` is `*`.
        [first, ..] if *first == "*" || *first == "?" => (bounds.min, bounds.max, STAR_BIT),
        [only] => {
            let value = int_or_name(only, bounds)?;
            (value, value, 0)
        }
        [low, high] => (int_or_name(low, bounds)?, int_or_name(high, bounds)?, 0),
        _ => return Err(format!("too many hyphens in {expr:?}")),
    };

    let step = match range_and_step.as_slice() {
        [_] => 1,
        [_, step_text] => {
            let step = non_negative_int(step_text)?;
            // "N/step" means "N-max/step".
            if single_value {
                end = bounds.max;
            }
            if step > 1 {
                star = 0;
            }
            step
        }
        _ => return Err(format!("too many slashes in {expr:?}")),
    };

    if start < bounds.min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({})",
            bounds.min
        ));
    }
    if end > bounds.max {
        return Err(format!(
            "end of range ({end}) above maximum ({})",
            bounds.max
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end})"
        ));
    }
    if step == 0 {
        return Err(format!(
            "step of range should be a positive number in {expr:?}"
        ));
    }
    Ok(bits(start, end, step) | star)
}

fn int_or_name(text: &str, bounds: &Bounds) -> Result<u64, String> {
    if !bounds.names.is_empty() {
        let lower = text.to_lowercase();
        if let Some((_, value)) = bounds.names.iter().find(|(name, _)| *name == lower) {
            return Ok(*value);
        }
    }
    non_negative_int(text)
}

/// Go `strconv.Atoi` (optional sign, ASCII digits, 64-bit) and then "not negative".
fn non_negative_int(text: &str) -> Result<u64, String> {
    let value: i64 = text.parse().map_err(|_| {
        if text.is_empty() {
            "empty number (a list item, range end or step is missing)".to_string()
        } else {
            format!("{text:?} is not a number or a known name")
        }
    })?;
    u64::try_from(value).map_err(|_| format!("negative number ({value}) not allowed"))
}

/// Bits `start..=end` stepping by `step` (callers guarantee `end <= 59`, `step >= 1`).
fn bits(start: u64, end: u64, step: u64) -> u64 {
    let mut set = 0u64;
    let mut value = start;
    while value <= end {
        set |= 1u64 << value;
        match value.checked_add(step) {
            Some(next) => value = next,
            None => break,
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_bounds(min: u64, max: u64) -> Bounds {
        Bounds {
            label: "test",
            min,
            max,
            names: &[],
        }
    }

    /// robfig parser_test.go `TestRange`.
    #[test]
    fn ranges_match_robfig() {
        let ok: &[(&str, u64, u64, u64)] = &[
            ("5", 0, 7, 1 << 5),
            ("0", 0, 7, 1 << 0),
            ("7", 0, 7, 1 << 7),
            ("5-5", 0, 7, 1 << 5),
            ("5-6", 0, 7, 1 << 5 | 1 << 6),
            ("5-7", 0, 7, 1 << 5 | 1 << 6 | 1 << 7),
            ("5-6/2", 0, 7, 1 << 5),
            ("5-7/2", 0, 7, 1 << 5 | 1 << 7),
            ("5-7/1", 0, 7, 1 << 5 | 1 << 6 | 1 << 7),
            ("*", 1, 3, 1 << 1 | 1 << 2 | 1 << 3 | STAR_BIT),
            ("*/2", 1, 3, 1 << 1 | 1 << 3),
            ("*/1", 1, 3, 1 << 1 | 1 << 2 | 1 << 3 | STAR_BIT),
            ("?", 1, 3, 1 << 1 | 1 << 2 | 1 << 3 | STAR_BIT),
            ("*-2", 1, 3, 1 << 1 | 1 << 2 | 1 << 3 | STAR_BIT),
            ("2/1", 1, 3, 1 << 2 | 1 << 3),
            ("+2", 1, 3, 1 << 2),
            ("02", 1, 3, 1 << 2),
        ];
        for (expr, min, max, expected) in ok {
            assert_eq!(
                range(expr, &test_bounds(*min, *max)),
                Ok(*expected),
                "{expr}"
            );
        }
        let bad: &[(&str, u64, u64, &str)] = &[
            ("5--5", 0, 0, "too many hyphens"),
            ("jan-x", 0, 0, "not a number"),
            ("2-x", 1, 5, "not a number"),
            ("*/-12", 0, 0, "negative number"),
            ("*//2", 0, 0, "too many slashes"),
            ("1", 3, 5, "below minimum"),
            ("6", 3, 5, "above maximum"),
            ("5-3", 3, 5, "beyond end of range"),
            ("*/0", 0, 0, "should be a positive number"),
            ("-1", 0, 5, "empty number"),
            ("1-", 0, 5, "empty number"),
            ("1/", 0, 5, "empty number"),
            ("99999999999999999999", 0, 5, "not a number"),
            ("1_0", 0, 59, "not a number"),
            ("\u{0661}", 0, 59, "not a number"),
        ];
        for (expr, min, max, reason) in bad {
            let err = range(expr, &test_bounds(*min, *max)).expect_err(expr);
            assert!(err.contains(reason), "{expr}: {err}");
        }
    }

    /// robfig parser_test.go `TestField`, plus the empty-item quirk.
    #[test]
    fn fields_match_robfig() {
        let b = test_bounds(1, 7);
        assert_eq!(field("5", &b), Ok(1 << 5));
        assert_eq!(field("5,6", &b), Ok(1 << 5 | 1 << 6));
        assert_eq!(field("5,6,7", &b), Ok(1 << 5 | 1 << 6 | 1 << 7));
        assert_eq!(
            field("1,5-7/2,3", &b),
            Ok(1 << 1 | 1 << 5 | 1 << 7 | 1 << 3)
        );
        assert_eq!(field("1,,3", &b), Ok(1 << 1 | 1 << 3));
        assert_eq!(field(",", &b), Ok(0));
    }

    /// robfig parser_test.go `TestAll` and `TestBits`.
    #[test]
    fn all_and_bits_match_robfig() {
        assert_eq!(all(&MINUTES), 0x0fff_ffff_ffff_ffff | STAR_BIT);
        assert_eq!(all(&HOURS), 0xff_ffff | STAR_BIT);
        assert_eq!(all(&DOM), 0xffff_fffe | STAR_BIT);
        assert_eq!(all(&MONTHS), 0x1ffe | STAR_BIT);
        assert_eq!(all(&DOW), 0x7f | STAR_BIT);
        assert_eq!(bits(0, 0, 1), 0x1);
        assert_eq!(bits(1, 1, 1), 0x2);
        assert_eq!(bits(1, 5, 2), 0x2a);
        assert_eq!(bits(1, 4, 2), 0xa);
        assert_eq!(bits(0, 59, u64::MAX), 1);
    }

    #[test]
    fn names_are_case_insensitive_in_ranges_only() {
        assert_eq!(field("JAN-Mar", &MONTHS), Ok(0b1110));
        assert_eq!(field("sun,SAT", &DOW), Ok(1 | 1 << 6));
        assert_eq!(field("mon-fri/2", &DOW), Ok(1 << 1 | 1 << 3 | 1 << 5));
        assert!(field("*/mon", &DOW).is_err());
        assert!(field("jan", &DOW).is_err());
        assert!(field("7", &DOW).is_err());
        assert!(field("sunday", &DOW).is_err());
    }

    /// robfig parser_test.go `TestStandardSpecSchedule` / `TestParseSchedule` (standard ones).
    #[test]
    fn standard_schedules_match_robfig() {
        let every5min = SpecFields {
            second: 1,
            minute: 1 << 5,
            hour: all(&HOURS),
            dom: all(&DOM),
            month: all(&MONTHS),
            dow: all(&DOW),
        };
        assert_eq!(parse_expression("5 * * * *"), Ok(Parsed::Spec(every5min)));
        assert_eq!(parse_expression("@every 5m"), Ok(Parsed::Every(300)));
        let prefixed = split_zone_prefix("CRON_TZ=UTC  5 * * * *").expect("prefix");
        assert_eq!(prefixed.zone, Some("UTC"));
        assert_eq!(
            parse_expression(prefixed.expression),
            Ok(Parsed::Spec(every5min))
        );
        let midnight = SpecFields {
            second: 1,
            minute: 1,
            hour: 1,
            dom: all(&DOM),
            month: all(&MONTHS),
            dow: all(&DOW),
        };
        assert_eq!(parse_expression("@midnight"), Ok(Parsed::Spec(midnight)));
        let annual = SpecFields {
            second: 1,
            minute: 1,
            hour: 1,
            dom: 1 << 1,
            month: 1 << 1,
            dow: all(&DOW),
        };
        assert_eq!(parse_expression("@yearly"), Ok(Parsed::Spec(annual)));
        assert_eq!(parse_expression("@annually"), Ok(Parsed::Spec(annual)));
        for (expr, reason) in [
            ("5 j * * *", "not a number"),
            ("* * * *", "expected exactly 5 fields"),
            ("0 * * * * *", "expected exactly 5 fields"),
            ("@every Xm", "failed to parse duration"),
            ("@unrecognized", "unrecognized descriptor"),
            ("@Daily", "unrecognized descriptor"),
            ("@daily ", "unrecognized descriptor"),
            ("60 0 * * *", "above maximum"),
            ("0 24 * * *", "above maximum"),
            ("0 0 0 * *", "below minimum"),
            ("0 0 * 13 *", "above maximum"),
            ("0 0 * * XYZ", "not a number"),
        ] {
            let err = parse_expression(expr).expect_err(expr);
            assert!(err.contains(reason), "{expr}: {err}");
        }
    }

    #[test]
    fn every_rounds_like_robfig() {
        assert_eq!(parse_expression("@every 0s"), Ok(Parsed::Every(1)));
        assert_eq!(parse_expression("@every -5m"), Ok(Parsed::Every(1)));
        assert_eq!(parse_expression("@every 1500ms"), Ok(Parsed::Every(1)));
        assert_eq!(parse_expression("@every 2.9s"), Ok(Parsed::Every(2)));
        assert_eq!(parse_expression("@every 1h30m"), Ok(Parsed::Every(5400)));
        assert!(parse_expression("@every  5m").is_err());
        assert!(parse_expression("@every").is_err());
    }

    #[test]
    fn zone_prefix_is_split_like_robfig() {
        let p = split_zone_prefix("TZ=Asia/Tokyo @midnight").expect("prefix");
        assert_eq!((p.zone, p.expression), (Some("Asia/Tokyo"), "@midnight"));
        let p = split_zone_prefix("TZ= 0 0 * * *").expect("prefix");
        assert_eq!((p.zone, p.expression), (Some(""), "0 0 * * *"));
        let p = split_zone_prefix("tz=UTC 0 0 * * *").expect("no prefix");
        assert_eq!(p.zone, None);
        assert!(split_zone_prefix("TZ=UTC").is_err());
        let p = split_zone_prefix("TZ=UTC\t0 0 * * * *").expect("prefix");
        assert_eq!(p.zone, Some("UTC\t0"));
    }
}
