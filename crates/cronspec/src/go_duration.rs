//! Go's `time.ParseDuration`, ported so that `@every <duration>` accepts and rejects exactly
//! what the cronjob-controller (written in Go) accepts and rejects.

/// Nanoseconds per unit, as in Go's `unitMap` (both micro signs are accepted).
const UNITS: [(&str, u64); 8] = [
    ("ns", 1),
    ("us", 1_000),
    ("\u{00b5}s", 1_000),
    ("\u{03bc}s", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

const LIMIT: u64 = 1 << 63;

/// Parse a Go duration string (`"1h30m"`, `"1.5s"`, `"-2m"`, `"0"`) into signed nanoseconds.
pub(crate) fn parse_go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("invalid Go duration {orig:?}");
    let mut s = orig;
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('-') {
        negative = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        let starts_ok = s
            .as_bytes()
            .first()
            .is_some_and(|c| *c == b'.' || c.is_ascii_digit());
        if !starts_ok {
            return Err(invalid());
        }
        let before_int = s.len();
        let (whole, rest) = leading_int(s).ok_or_else(invalid)?;
        s = rest;
        let had_int = before_int != s.len();

        let mut fraction: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut had_fraction = false;
        if let Some(rest) = s.strip_prefix('.') {
            let before_fraction = rest.len();
            let (f, sc, rest) = leading_fraction(rest);
            fraction = f;
            scale = sc;
            had_fraction = before_fraction != rest.len();
            s = rest;
        }
        if !had_int && !had_fraction {
            return Err(invalid());
        }

        let unit_len = s
            .bytes()
            .position(|c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!("missing unit in Go duration {orig:?}"));
        }
        // The unit ends at an ASCII byte (or the end), so this split is on a char boundary.
        let (unit, rest) = s.split_at(unit_len);
        s = rest;
        let per_unit = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, nanos)| *nanos)
            .ok_or_else(|| format!("unknown unit {unit:?} in Go duration {orig:?}"))?;

        if whole > LIMIT / per_unit {
            return Err(invalid());
        }
        let mut value = whole * per_unit;
        if fraction > 0 {
            // Go uses float64 here too, which is what keeps fractions of hours nanosecond-exact.
            value += (fraction as f64 * (per_unit as f64 / scale)) as u64;
            if value > LIMIT {
                return Err(invalid());
            }
        }
        total = total.checked_add(value).ok_or_else(invalid)?;
        if total > LIMIT {
            return Err(invalid());
        }
    }
    if negative {
        // total <= 2^63, so the negation always fits.
        return Ok((total as i128).wrapping_neg() as i64);
    }
    i64::try_from(total).map_err(|_| invalid())
}

/// Consume leading ASCII digits; `None` on overflow past 2^63 (Go's `errLeadingInt`).
fn leading_int(s: &str) -> Option<(u64, &str)> {
    let mut value: u64 = 0;
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    for c in s.bytes().take(digits) {
        if value > LIMIT / 10 {
            return None;
        }
        value = value * 10 + u64::from(c - b'0');
        if value > LIMIT {
            return None;
        }
    }
    Some((value, &s[digits..]))
}

/// Consume leading fraction digits; past 63 bits precision is silently dropped, as in Go.
fn leading_fraction(s: &str) -> (u64, f64, &str) {
    let mut value: u64 = 0;
    let mut scale = 1.0;
    let mut overflow = false;
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    for c in s.bytes().take(digits) {
        if overflow {
            continue;
        }
        if value > (LIMIT - 1) / 10 {
            overflow = true;
            continue;
        }
        let next = value * 10 + u64::from(c - b'0');
        if next > LIMIT {
            overflow = true;
            continue;
        }
        value = next;
        scale *= 10.0;
    }
    (value, scale, &s[digits..])
}

#[cfg(test)]
mod tests {
    use super::parse_go_duration;

    const SEC: i64 = 1_000_000_000;

    #[test]
    fn accepts_what_go_accepts() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("5s", 5 * SEC),
            ("30s", 30 * SEC),
            ("1478s", 1478 * SEC),
            ("-5s", -5 * SEC),
            ("+5s", 5 * SEC),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5 * SEC),
            ("5.6s", 5 * SEC + 600_000_000),
            ("5.s", 5 * SEC),
            (".5s", SEC / 2),
            ("1.0s", SEC),
            ("1.00s", SEC),
            ("1.004s", SEC + 4_000_000),
            ("100.00100s", 100 * SEC + 1_000_000),
            ("10ns", 10),
            ("11us", 11_000),
            ("12\u{00b5}s", 12_000),
            ("12\u{03bc}s", 12_000),
            ("13ms", 13_000_000),
            ("14s", 14 * SEC),
            ("15m", 15 * 60 * SEC),
            ("16h", 16 * 3600 * SEC),
            ("3h30m", (3 * 3600 + 30 * 60) * SEC),
            ("10.5s4m", 4 * 60 * SEC + 10 * SEC + SEC / 2),
            ("-2m3.4s", -(2 * 60 * SEC + 3 * SEC + 400_000_000)),
            ("1h2m3s4ms5us6ns", 3723 * SEC + 4_005_006),
            (
                "39h9m14.425s",
                (39 * 3600 + 9 * 60 + 14) * SEC + 425_000_000,
            ),
            ("52763797000ns", 52_763_797_000),
            ("0.3333333333333333333h", 20 * 60 * SEC),
            ("9007199254740993ns", 9_007_199_254_740_993),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("0.100000000000000000000h", 6 * 60 * SEC),
            ("0.830103483285477580700h", 49 * 60 * SEC + 48_372_539_827),
        ];
        for (text, nanos) in cases {
            assert_eq!(parse_go_duration(text), Ok(*nanos), "{text}");
        }
    }

    #[test]
    fn rejects_what_go_rejects() {
        for text in [
            "",
            "3",
            "-",
            "s",
            ".",
            "-.",
            ".s",
            "+.s",
            "1d",
            "\u{0085}\u{0085}",
            "\u{ffff}",
            "9223372036854775808ns",
            "9223372036854775.808us",
            "9223372036854ms775us808ns",
            "5m ",
            " 5m",
            "5 m",
            "1_000s",
        ] {
            assert!(
                parse_go_duration(text).is_err(),
                "{text:?} should be rejected"
            );
        }
    }
}
