//! Allocation-free formatting helpers: integers, UUIDs, RFC 3339 timestamps and Go-style JSON strings.

/// Appends the decimal form of `n`.
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for b in &buf[i..] {
        out.push(char::from(*b));
    }
}

/// Appends `n` zero-padded to `width` digits (for timestamps).
fn push_padded(out: &mut String, n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut v = n;
    let mut i = buf.len();
    while v > 0 && i > 0 {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    let start = buf.len().saturating_sub(width).min(i);
    for b in &buf[start..] {
        out.push(char::from(*b));
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends a version-4 UUID made from 128 random bits.
pub fn push_uuid(out: &mut String, hi: u64, lo: u64) {
    let hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
    let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    let bytes = ((u128::from(hi)) << 64) | u128::from(lo);
    for i in 0..32 {
        if i == 8 || i == 12 || i == 16 || i == 20 {
            out.push('-');
        }
        let nibble = ((bytes >> (124 - 4 * i)) & 0xF) as usize;
        out.push(char::from(HEX[nibble]));
    }
}

/// Appends `n` lower-case hex digits of `v` (for hashes and short shas).
pub fn push_hex(out: &mut String, v: u64, n: usize) {
    for i in (0..n.min(16)).rev() {
        out.push(char::from(HEX[((v >> (4 * i)) & 0xF) as usize]));
    }
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u64, u64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u64;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats microsecond timestamps, caching the `YYYY-MM-DDTHH:MM:SS` part per second.
#[derive(Debug, Default)]
pub struct TimeFormatter {
    cached_second: Option<u64>,
    prefix: String,
}

impl TimeFormatter {
    /// Appends `2025-06-12T10:01:02.123456Z` for `micros` since the Unix epoch.
    pub fn push_micros(&mut self, out: &mut String, micros: u64) {
        let secs = micros / 1_000_000;
        self.fill(secs);
        out.push_str(&self.prefix);
        out.push('.');
        push_padded(out, micros % 1_000_000, 6);
        out.push('Z');
    }

    /// Appends `2025-06-12T10:01:02Z` (object timestamps have whole seconds).
    pub fn push_seconds(&mut self, out: &mut String, secs: u64) {
        self.fill(secs);
        out.push_str(&self.prefix);
        out.push('Z');
    }

    fn fill(&mut self, secs: u64) {
        if self.cached_second == Some(secs) {
            return;
        }
        self.cached_second = Some(secs);
        self.prefix.clear();
        let (y, m, d) = civil_from_days((secs / 86_400) as i64);
        let rem = secs % 86_400;
        push_padded(&mut self.prefix, y.max(0) as u64, 4);
        self.prefix.push('-');
        push_padded(&mut self.prefix, m, 2);
        self.prefix.push('-');
        push_padded(&mut self.prefix, d, 2);
        self.prefix.push('T');
        push_padded(&mut self.prefix, rem / 3600, 2);
        self.prefix.push(':');
        push_padded(&mut self.prefix, rem % 3600 / 60, 2);
        self.prefix.push(':');
        push_padded(&mut self.prefix, rem % 60, 2);
    }
}

/// Appends `s` as a JSON string the way Go's encoding/json writes it (HTML-safe: `<`, `>`, `&` escaped).
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    push_json_str_body(out, s);
    out.push('"');
}

/// Like [`push_json_str`] without the surrounding quotes.
pub fn push_json_str_body(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let needs = |b: u8| b < 0x20 || b == b'"' || b == b'\\' || b == b'<' || b == b'>' || b == b'&';
    if !bytes.iter().any(|b| needs(*b)) && !s.contains(['\u{2028}', '\u{2029}']) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                push_hex(out, u64::from(c as u32), 2);
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_hex() {
        let mut s = String::new();
        push_u64(&mut s, 0);
        s.push(' ');
        push_u64(&mut s, 18_446_744_073_709_551_615);
        s.push(' ');
        push_hex(&mut s, 0xabc, 7);
        assert_eq!(s, "0 18446744073709551615 0000abc");
    }

    #[test]
    fn timestamps_match_known_dates() {
        let mut f = TimeFormatter::default();
        let mut s = String::new();
        // 2025-06-12T10:01:02.000042Z
        f.push_micros(&mut s, 1_749_722_462_000_042);
        s.push(' ');
        f.push_seconds(&mut s, 951_782_400); // 2000-02-29 (leap day)
        s.push(' ');
        f.push_micros(&mut s, 0);
        assert_eq!(
            s,
            "2025-06-12T10:01:02.000042Z 2000-02-29T00:00:00Z 1970-01-01T00:00:00.000000Z"
        );
    }

    #[test]
    fn uuid_has_version_and_variant() {
        let mut s = String::new();
        push_uuid(&mut s, u64::MAX, u64::MAX);
        assert_eq!(s.len(), 36);
        assert_eq!(s.as_bytes()[14], b'4');
        assert!(matches!(s.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
    }

    #[test]
    fn go_style_escaping() {
        let mut s = String::new();
        push_json_str(&mut s, "a<b>&\"\\\n\u{1}x");
        assert_eq!(s, r#""a\u003cb\u003e\u0026\"\\\n\u0001x""#);
    }
}
