//! What the baseline reports: an [`Anomaly`] is one value never seen before in its scope (or an
//! hour far from an identity's usual ones), with the evidence of what was normal.

use serde::{Deserialize, Serialize};

/// The kinds of anomaly, one alert rule each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnomalyKind {
    /// A first-seen creator (or modifier) of batch objects in a namespace.
    Creator,
    /// A first-seen image registry in the cluster.
    Registry,
    /// A first-seen image repository in the cluster.
    Repository,
    /// A first-seen client family (user-agent program) for an identity.
    Client,
    /// A first-seen source network for an identity.
    Network,
    /// Activity far outside an identity's usual hours of the week.
    Hours,
    /// A first-seen CronJob schedule shape in a namespace (off by default).
    Schedule,
}

impl AnomalyKind {
    /// Every kind, in rule-id order.
    pub const ALL: [AnomalyKind; 7] = [
        AnomalyKind::Creator,
        AnomalyKind::Registry,
        AnomalyKind::Repository,
        AnomalyKind::Client,
        AnomalyKind::Network,
        AnomalyKind::Hours,
        AnomalyKind::Schedule,
    ];

    /// The config and evidence name.
    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyKind::Creator => "creator",
            AnomalyKind::Registry => "registry",
            AnomalyKind::Repository => "repository",
            AnomalyKind::Client => "client",
            AnomalyKind::Network => "network",
            AnomalyKind::Hours => "hours",
            AnomalyKind::Schedule => "schedule",
        }
    }
}

/// A value the baseline knew, with how often and when it was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownValue {
    /// The value (an identity, a registry, a client family, ...).
    pub value: String,
    /// Observations with it.
    pub count: u64,
    /// RFC 3339 time of the first observation with it.
    pub first_seen: String,
    /// RFC 3339 time of the latest observation with it.
    pub last_seen: String,
}

/// The evidence of an hours anomaly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursEvidence {
    /// The hour of the week of this event (0 = Monday 00:00 UTC).
    pub hour_of_week: u8,
    /// Hours to the nearest hour of the week in which the identity was active before.
    pub distance_hours: u32,
    /// The identity's batch writes before this one.
    pub observations: u64,
    /// The hours of the week it was active in, with their counts, busiest first.
    pub usual: Vec<(u8, u32)>,
}

/// One anomaly of one observation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    /// What is new.
    pub kind: AnomalyKind,
    /// The cluster (empty when the input does not name it).
    pub cluster: String,
    /// The scope judged: a namespace, or `*` for cluster-wide judgements.
    pub scope: String,
    /// The identity concerned (the writer).
    pub identity: String,
    /// The first-seen value (the creator, registry, repository, client family, network,
    /// schedule shape), or the hour label (`Sat 03:00 UTC`) for hours.
    pub value: String,
    /// What was normal in that scope: the best-known values, most frequent first (at most
    /// `evidence_limit`).
    pub known: Vec<KnownValue>,
    /// How many distinct values were known in that scope.
    pub known_distinct: u64,
    /// For hours: the identity's usual hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<HoursEvidence>,
}
