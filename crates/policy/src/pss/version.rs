//! Pod Security Standards levels and policy versions (`baseline`, `v1.30`, `latest`).

use std::fmt;
use std::str::FromStr;

/// The newest policy version any upstream check registers (`sysctls` gained a v1.37 revision).
/// Upstream clamps every newer version, and `latest`, to this one.
pub const MAX_MINOR: u32 = 37;

/// A Pod Security Standards level. `privileged` allows everything and is not modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// Prevents known privilege escalations.
    Baseline,
    /// Heavily restricted, current pod hardening best practice.
    Restricted,
}

impl Level {
    /// The lowercase name upstream uses in namespace labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text named no PSS level, or no version of the form `v1.N`, `1.N` or `latest`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not `baseline` or `restricted`.
    #[error("unknown Pod Security Standards level {0:?} (expected baseline or restricted)")]
    Level(String),
    /// Not `v1.N`, `1.N` or `latest`.
    #[error("invalid Pod Security Standards version {0:?} (expected v1.N, 1.N or latest)")]
    Version(String),
}

impl FromStr for Level {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            _ => Err(ParseError::Level(s.to_string())),
        }
    }
}

/// A policy version: `v1.N` or `latest` (only major version 1 exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Version {
    /// Always the newest policy version this build knows.
    #[default]
    Latest,
    /// Policy version `v1.<minor>`.
    Minor(u32),
}

impl Version {
    /// The minor version the checks are evaluated at: `latest` and anything newer than
    /// [`MAX_MINOR`] resolve to [`MAX_MINOR`], as upstream's registry does.
    pub fn effective_minor(self) -> u32 {
        match self {
            Version::Latest => MAX_MINOR,
            Version::Minor(m) => m.min(MAX_MINOR),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Latest => f.write_str("latest"),
            Version::Minor(m) => write!(f, "v1.{m}"),
        }
    }
}

impl FromStr for Version {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        if text.eq_ignore_ascii_case("latest") {
            return Ok(Version::Latest);
        }
        let bare = text.strip_prefix(['v', 'V']).unwrap_or(text);
        let minor = bare
            .strip_prefix("1.")
            .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|m| m.parse::<u32>().ok())
            .ok_or_else(|| ParseError::Version(s.to_string()))?;
        Ok(Version::Minor(minor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions_and_levels() {
        assert_eq!("v1.30".parse::<Version>(), Ok(Version::Minor(30)));
        assert_eq!("1.0".parse::<Version>(), Ok(Version::Minor(0)));
        assert_eq!("V1.25".parse::<Version>(), Ok(Version::Minor(25)));
        assert_eq!("latest".parse::<Version>(), Ok(Version::Latest));
        assert!("v2.1".parse::<Version>().is_err());
        assert!("v1.".parse::<Version>().is_err());
        assert!("v1.3x".parse::<Version>().is_err());
        assert_eq!(Version::Minor(99).effective_minor(), MAX_MINOR);
        assert_eq!(Version::Latest.to_string(), "latest");
        assert_eq!(Version::Minor(7).to_string(), "v1.7");
        assert_eq!("Restricted".parse::<Level>(), Ok(Level::Restricted));
        assert!("privileged".parse::<Level>().is_err());
    }
}
