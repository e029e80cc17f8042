//! Container image references: parsing (the Docker reference grammar, loosely) and registry
//! matching.

use std::net::IpAddr;

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host (with port), `docker.io` when none is written.
    pub registry: String,
    /// Repository path, with `library/` added for Docker Hub official images.
    pub repository: String,
    /// Tag, when written.
    pub tag: Option<String>,
    /// Digest (`sha256:...`), when written.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parse an image reference such as `busybox`, `ghcr.io/org/app:1.2@sha256:...` or
    /// `10.0.0.5:5000/x`.
    pub fn parse(image: &str) -> ImageRef {
        let image = image.trim();
        let (rest, digest) = match image.split_once('@') {
            Some((r, d)) => (r, Some(d.to_string())),
            None => (image, None),
        };
        let (registry, path) = match rest.split_once('/') {
            Some((first, path))
                if first.contains('.')
                    || first.contains(':')
                    || first == "localhost"
                    || first.starts_with('[') =>
            {
                (first.to_ascii_lowercase(), path)
            }
            _ => ("docker.io".to_string(), rest),
        };
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo.to_string(), Some(tag.to_string())),
            _ => (path.to_string(), None),
        };
        let repository = if registry == "docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        ImageRef {
            registry,
            repository,
            tag,
            digest,
        }
    }

    /// `registry/repository`, the name prefixes are matched against.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The registry host without its port.
    pub fn host(&self) -> &str {
        let r = self.registry.as_str();
        if let Some(inner) = r.strip_prefix('[') {
            return inner.split(']').next().unwrap_or(inner);
        }
        r.split(':').next().unwrap_or(r)
    }

    /// The registry host as an IP address, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host().parse().ok()
    }
}

/// Is an IP address private, loopback or link-local (a cluster-internal registry)?
pub fn is_internal_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_loopback() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || (v6
                    .segments()
                    .first()
                    .is_some_and(|s| (s & 0xfe00) == 0xfc00))
        }
    }
}

/// Does `image` fall under the trusted prefix `entry`? `docker.io` and `index.docker.io` are the
/// same registry; a prefix matches whole path components only (`ghcr.io/acme` does not trust
/// `ghcr.io/acme-evil`).
pub fn matches_prefix(image: &ImageRef, entry: &str) -> bool {
    let entry = entry.trim().trim_end_matches('/').to_ascii_lowercase();
    if entry.is_empty() {
        return false;
    }
    let entry = entry
        .strip_prefix("index.docker.io")
        .map(|rest| format!("docker.io{rest}"))
        .unwrap_or(entry);
    let full = image.full_name().to_ascii_lowercase();
    let full = full
        .strip_prefix("index.docker.io")
        .map(|rest| format!("docker.io{rest}"))
        .unwrap_or(full);
    full == entry || (full.starts_with(&entry) && full.as_bytes().get(entry.len()) == Some(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        let i = ImageRef::parse("busybox");
        assert_eq!(
            (i.registry.as_str(), i.repository.as_str(), i.tag.as_deref()),
            ("docker.io", "library/busybox", None)
        );
        let i = ImageRef::parse("ghcr.io/org/app:1.2@sha256:abc");
        assert_eq!(i.registry, "ghcr.io");
        assert_eq!(i.repository, "org/app");
        assert_eq!(i.tag.as_deref(), Some("1.2"));
        assert_eq!(i.digest.as_deref(), Some("sha256:abc"));
        let i = ImageRef::parse("10.0.0.5:5000/x/y:latest");
        assert_eq!(i.host(), "10.0.0.5");
        assert!(i.ip().is_some_and(is_internal_ip));
        let i = ImageRef::parse("45.9.148.1/m");
        assert!(i.ip().is_some_and(|ip| !is_internal_ip(ip)));
        let i = ImageRef::parse("localhost:5000/app");
        assert_eq!(i.registry, "localhost:5000");
        assert!(i.ip().is_none());
        let i = ImageRef::parse("[2001:db8::1]:5000/app:v1");
        assert_eq!(i.host(), "2001:db8::1");
        assert!(i.ip().is_some());
        assert_eq!(ImageRef::parse("user/app:v1").repository, "user/app");
    }

    #[test]
    fn prefix_matching_respects_components() {
        let i = ImageRef::parse("ghcr.io/acme-evil/app");
        assert!(!matches_prefix(&i, "ghcr.io/acme"));
        assert!(matches_prefix(&i, "ghcr.io"));
        assert!(matches_prefix(&i, "ghcr.io/acme-evil/"));
        assert!(matches_prefix(
            &ImageRef::parse("busybox:1"),
            "docker.io/library"
        ));
        assert!(matches_prefix(
            &ImageRef::parse("busybox:1"),
            "index.docker.io/library/busybox"
        ));
        assert!(!matches_prefix(
            &ImageRef::parse("registry.k8s.io.evil.com/x"),
            "registry.k8s.io"
        ));
        assert!(!matches_prefix(&ImageRef::parse("x"), ""));
    }
}
