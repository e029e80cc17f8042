//! `show` and `export`: the whole state (or one cluster or namespace) as a [`Summary`], which
//! serialises to the `jobwarden.baseline/v1` JSON export and renders as text for people.

use crate::anomaly::KnownValue;
use crate::baseline::{known_value, time_text};
use crate::error::BaselineError;
use crate::observation::hour_of_week_label;
use crate::store::{CLUSTER_WIDE, Dimension, HOURS, SCHEMA_VERSION, SCOPES, decode_hours};
use redb::{ReadTransaction, ReadableTable};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// The schema tag of the JSON export.
pub const EXPORT_SCHEMA: &str = "jobwarden.baseline/v1";

/// Which part of the state to summarise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummaryFilter {
    /// Only this cluster (empty string: events that named no cluster).
    pub cluster: Option<String>,
    /// Only this namespace (`*` for the cluster-wide aggregate alone).
    pub namespace: Option<String>,
}

/// The state of a baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Always [`EXPORT_SCHEMA`].
    pub schema: &'static str,
    /// The state file's schema version.
    pub schema_version: u32,
    /// The state file.
    pub state_file: String,
    /// One entry per cluster (the empty name for inputs that named none).
    pub clusters: Vec<ClusterSummary>,
}

/// One cluster's baseline.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterSummary {
    /// The cluster name; empty when the input named none.
    pub cluster: String,
    /// The cluster-wide aggregate (namespace `*`) first, then each namespace.
    pub scopes: Vec<ScopeSummary>,
}

/// What is normal in one namespace (or cluster-wide).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScopeSummary {
    /// The namespace, or `*` for the cluster-wide aggregate.
    pub namespace: String,
    /// Batch writes observed.
    pub observations: u64,
    /// RFC 3339 time of the first.
    pub first_seen: String,
    /// RFC 3339 time of the latest.
    pub last_seen: String,
    /// Who created or changed batch objects, most active first.
    pub creators: Vec<KnownValue>,
    /// Image registries.
    pub registries: Vec<KnownValue>,
    /// Image repositories.
    pub repositories: Vec<KnownValue>,
    /// CronJob schedule shapes.
    pub schedule_shapes: Vec<KnownValue>,
    /// Per-identity habits.
    pub identities: Vec<IdentitySummary>,
}

/// One identity's habits in a scope.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IdentitySummary {
    /// The username.
    pub identity: String,
    /// Groups it carried.
    pub groups: Vec<KnownValue>,
    /// Client families.
    pub clients: Vec<KnownValue>,
    /// Client `family/version`s.
    pub client_versions: Vec<KnownValue>,
    /// Source networks.
    pub networks: Vec<KnownValue>,
    /// Hours of the week (UTC) it was active in, busiest first.
    pub hours: Vec<HourCount>,
}

/// Activity in one hour of the week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HourCount {
    /// 0 = Monday 00:00 UTC.
    pub hour_of_week: u8,
    /// `Mon 09:00 UTC`.
    pub label: String,
    /// Batch writes in that hour.
    pub count: u32,
}

fn by_count(values: &mut [KnownValue]) {
    values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
}

pub(crate) fn build(
    txn: &ReadTransaction,
    filter: &SummaryFilter,
    path: &Path,
) -> Result<Summary, BaselineError> {
    let err = |e: redb::Error| BaselineError::store(path, e);
    let wanted = |c: &str, s: &str| {
        filter.cluster.as_deref().is_none_or(|w| w == c)
            && filter.namespace.as_deref().is_none_or(|w| w == s)
    };
    let mut scopes: BTreeMap<(String, String), ScopeSummary> = BTreeMap::new();
    let mut identities: BTreeMap<(String, String, String), IdentitySummary> = BTreeMap::new();
    {
        let table = txn.open_table(SCOPES).map_err(|e| err(e.into()))?;
        for row in table.iter().map_err(|e| err(e.into()))? {
            let (k, v) = row.map_err(|e| err(e.into()))?;
            let (c, s) = k.value();
            if !wanted(c, s) {
                continue;
            }
            let (count, first, last) = v.value();
            scopes.insert(
                (c.to_string(), s.to_string()),
                ScopeSummary {
                    namespace: s.to_string(),
                    observations: count,
                    first_seen: time_text(first),
                    last_seen: time_text(last),
                    ..ScopeSummary::default()
                },
            );
        }
    }
    for dim in Dimension::ALL {
        let table = txn.open_table(dim.table()).map_err(|e| err(e.into()))?;
        for row in table.iter().map_err(|e| err(e.into()))? {
            let (k, v) = row.map_err(|e| err(e.into()))?;
            let (c, s, subject, value) = k.value();
            if !wanted(c, s) {
                continue;
            }
            let known = known_value(value.to_string(), v.value());
            if dim.per_identity() {
                let entry = identities
                    .entry((c.to_string(), s.to_string(), subject.to_string()))
                    .or_insert_with(|| IdentitySummary {
                        identity: subject.to_string(),
                        ..IdentitySummary::default()
                    });
                match dim {
                    Dimension::CreatorGroup => entry.groups.push(known),
                    Dimension::Client => entry.clients.push(known),
                    Dimension::ClientVersion => entry.client_versions.push(known),
                    _ => entry.networks.push(known),
                }
            } else {
                let scope = scopes
                    .entry((c.to_string(), s.to_string()))
                    .or_insert_with(|| ScopeSummary {
                        namespace: s.to_string(),
                        ..ScopeSummary::default()
                    });
                match dim {
                    Dimension::Creator => scope.creators.push(known),
                    Dimension::Registry => scope.registries.push(known),
                    Dimension::Repository => scope.repositories.push(known),
                    _ => scope.schedule_shapes.push(known),
                }
            }
        }
    }
    {
        let table = txn.open_table(HOURS).map_err(|e| err(e.into()))?;
        for row in table.iter().map_err(|e| err(e.into()))? {
            let (k, v) = row.map_err(|e| err(e.into()))?;
            let (c, s, id) = k.value();
            if !wanted(c, s) {
                continue;
            }
            let entry = identities
                .entry((c.to_string(), s.to_string(), id.to_string()))
                .or_insert_with(|| IdentitySummary {
                    identity: id.to_string(),
                    ..IdentitySummary::default()
                });
            let mut hours: Vec<HourCount> = decode_hours(v.value())
                .iter()
                .zip(0u8..)
                .filter(|(n, _)| **n > 0)
                .map(|(n, h)| HourCount {
                    hour_of_week: h,
                    label: hour_of_week_label(h),
                    count: *n,
                })
                .collect();
            hours.sort_by(|a, b| {
                b.count
                    .cmp(&a.count)
                    .then(a.hour_of_week.cmp(&b.hour_of_week))
            });
            entry.hours = hours;
        }
    }
    for ((c, s, _), mut identity) in identities {
        by_count(&mut identity.groups);
        by_count(&mut identity.clients);
        by_count(&mut identity.client_versions);
        by_count(&mut identity.networks);
        scopes
            .entry((c, s.clone()))
            .or_insert_with(|| ScopeSummary {
                namespace: s,
                ..ScopeSummary::default()
            })
            .identities
            .push(identity);
    }
    let mut clusters: BTreeMap<String, Vec<ScopeSummary>> = BTreeMap::new();
    for ((c, _), mut scope) in scopes {
        by_count(&mut scope.creators);
        by_count(&mut scope.registries);
        by_count(&mut scope.repositories);
        by_count(&mut scope.schedule_shapes);
        clusters.entry(c).or_default().push(scope);
    }
    Ok(Summary {
        schema: EXPORT_SCHEMA,
        schema_version: SCHEMA_VERSION,
        state_file: path.display().to_string(),
        clusters: clusters
            .into_iter()
            .map(|(cluster, mut scopes)| {
                // `*` sorts before letters already; keep it first whatever the names.
                scopes.sort_by_key(|s| (s.namespace != CLUSTER_WIDE, s.namespace.clone()));
                ClusterSummary { cluster, scopes }
            })
            .collect(),
    })
}

fn list(values: &[KnownValue], limit: usize) -> String {
    let mut out = values
        .iter()
        .take(limit)
        .map(|v| format!("{} ({})", v.value, v.count))
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > limit {
        let _ = write!(out, ", … {} more", values.len() - limit);
    }
    if out.is_empty() {
        out.push('-');
    }
    out
}

impl Summary {
    /// The summary for people: per cluster, the cluster-wide aggregate then each namespace,
    /// with at most `limit` values per list.
    pub fn render_text(&self, limit: usize) -> String {
        let limit = limit.max(1);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "baseline {} (schema {})",
            self.state_file, self.schema_version
        );
        if self.clusters.is_empty() {
            out.push_str("  nothing learned yet\n");
        }
        for cluster in &self.clusters {
            let name = if cluster.cluster.is_empty() {
                "(cluster not named by the input)"
            } else {
                cluster.cluster.as_str()
            };
            let _ = writeln!(out, "cluster {name}");
            for scope in &cluster.scopes {
                let title = if scope.namespace == CLUSTER_WIDE {
                    "all namespaces".to_string()
                } else {
                    format!("namespace {}", scope.namespace)
                };
                let _ = writeln!(
                    out,
                    "  {title}: {} batch writes, {} .. {}",
                    scope.observations, scope.first_seen, scope.last_seen
                );
                let _ = writeln!(out, "    creators:        {}", list(&scope.creators, limit));
                let _ = writeln!(
                    out,
                    "    registries:      {}",
                    list(&scope.registries, limit)
                );
                let _ = writeln!(
                    out,
                    "    repositories:    {}",
                    list(&scope.repositories, limit)
                );
                let _ = writeln!(
                    out,
                    "    schedule shapes: {}",
                    list(&scope.schedule_shapes, limit)
                );
                for identity in scope.identities.iter().take(limit) {
                    let hours = identity
                        .hours
                        .iter()
                        .take(limit.min(6))
                        .map(|h| format!("{} ({})", h.label, h.count))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let _ = writeln!(out, "    {}:", identity.identity);
                    let _ = writeln!(
                        out,
                        "      clients:  {}",
                        list(&identity.client_versions, limit)
                    );
                    let _ = writeln!(out, "      networks: {}", list(&identity.networks, limit));
                    let _ = writeln!(
                        out,
                        "      hours:    {} distinct; busiest {}",
                        identity.hours.len(),
                        if hours.is_empty() {
                            "-".to_string()
                        } else {
                            hours
                        }
                    );
                }
                if scope.identities.len() > limit {
                    let _ = writeln!(
                        out,
                        "    … {} more identities",
                        scope.identities.len() - limit
                    );
                }
            }
        }
        out
    }
}
