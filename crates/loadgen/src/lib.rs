//! jobwarden-loadgen: a fast, deterministic generator of large, realistic kube-apiserver audit logs.
//!
//! The output is what an apiserver (v1.29) with a typical audit policy writes: about 90% reads
//! (get/list/watch) at Metadata level by kubelets, controllers and agents, lease renewals, status
//! patches and events, a small rate of batch activity at RequestResponse level (cronjob-controller
//! ticks with full Job and Pod bodies, people creating and patching CronJobs, TTL deletes) and a
//! handful of injected attacks whose auditIDs are reported back, so a benchmark can check them.
#![deny(missing_docs)]

pub mod fmt;
pub mod generator;
pub mod rng;
pub mod world;

pub use generator::{ATTACK_KINDS, Config, InjectedAttack, Stats, generate};

/// A size argument that could not be understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SizeError {
    /// Nothing was given.
    #[error("empty size; use e.g. 500M, 1G, 64K or a byte count")]
    Empty,
    /// The number or the unit is not valid.
    #[error("invalid size {0:?}; use e.g. 500M, 1G, 1.5G, 64K or a byte count")]
    Invalid(String),
}

/// Parses `500M`, `1G`, `1.5GB`, `64k`, `1GiB` or a plain byte count (binary units: 1K = 1024).
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(SizeError::Empty);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| SizeError::Invalid(text.to_string()))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(SizeError::Invalid(text.to_string())),
    };
    let bytes = value * mult as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(SizeError::Invalid(text.to_string()));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("500M"), Ok(500 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1.5g"), Ok(3 << 29));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("12345"), Ok(12345));
        assert_eq!(parse_size(""), Err(SizeError::Empty));
        assert!(parse_size("12Q").is_err());
        assert!(parse_size("abc").is_err());
        assert!(parse_size("1.2.3M").is_err());
    }
}
