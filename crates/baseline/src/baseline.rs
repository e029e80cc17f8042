//! The [`Baseline`]: learns observations into the state file and judges each one against what
//! was normal before it.
//!
//! Changes collect in a write-back cache (the private `cache` module) that is committed in one
//! transaction every `commit_every` observations, every `commit_interval_seconds`, on
//! [`Baseline::flush`] and on [`Baseline::finish`]. Readers ([`Baseline::reader`], or [`BaselineReader::open`] from another
//! process while no writer holds the file) see the last commit (redb MVCC).

use crate::anomaly::{Anomaly, AnomalyKind, HoursEvidence, KnownValue};
use crate::cache::Cached;
use crate::config::BaselineConfig;
use crate::error::BaselineError;
use crate::observation::{Observation, UNKNOWN_NETWORK, hour_of_week_label};
use crate::store::{
    self, CLUSTER_WIDE, Dimension, HOURS, SCOPES, Stats, bounded, decode_hours, encode_hours,
};
use crate::summary::{Summary, SummaryFilter};
use jiff::Timestamp;
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, WriteTransaction};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counters for the run summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BaselineStats {
    /// Observations handed to [`Baseline::observe`].
    pub observations: u64,
    /// Observations that fell in the learning window (learned, never judged).
    pub in_learning_window: u64,
    /// Observations recorded into the state.
    pub learned: u64,
    /// Anomalies reported.
    pub anomalies: u64,
    /// Transactions committed.
    pub commits: u64,
}

/// What to forget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForgetTarget {
    /// Everything known about one identity (username), in every namespace.
    Identity(String),
    /// Everything learned in one namespace; cluster-wide aggregates are recomputed without it.
    Namespace(String),
    /// Everything.
    Everything,
}

/// A learning, judging baseline backed by a state file.
pub struct Baseline {
    cache: Cached,
    path: PathBuf,
    config: BaselineConfig,
    learning_until: Option<Timestamp>,
    pending: u32,
    last_commit: Instant,
    /// First-seen values already reported while not learning, so a frozen baseline does not
    /// repeat itself.
    reported: HashSet<(AnomalyKind, String, String, String, String)>,
    stats: BaselineStats,
}

impl Baseline {
    /// Open (or create) the state file at `path` for learning and judging. Only one process
    /// may hold it open this way at a time ([`BaselineError::InUse`] otherwise).
    pub fn open(path: impl AsRef<Path>, config: BaselineConfig) -> Result<Baseline, BaselineError> {
        config.validate()?;
        let path = path.as_ref().to_path_buf();
        let db = store::open_for_writing(&path)?;
        Ok(Baseline {
            cache: Cached::new(Arc::new(db)),
            learning_until: config.learning_until_time()?,
            path,
            config,
            pending: 0,
            last_commit: Instant::now(),
            reported: HashSet::new(),
            stats: BaselineStats::default(),
        })
    }

    /// Open the state file named by the config (`path`, else the per-user default).
    pub fn open_configured(config: BaselineConfig) -> Result<Baseline, BaselineError> {
        let path = config.state_path().ok_or(BaselineError::NoDefaultPath)?;
        Baseline::open(path, config)
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The settings in use.
    pub fn config(&self) -> &BaselineConfig {
        &self.config
    }

    /// Counters so far.
    pub fn stats(&self) -> BaselineStats {
        self.stats
    }

    /// A reader of the last committed state, usable from other threads while this baseline
    /// keeps writing.
    pub fn reader(&self) -> BaselineReader {
        BaselineReader {
            db: ReaderDb::Shared(Arc::clone(self.cache.db())),
            path: self.path.clone(),
        }
    }

    /// Judge `obs` against the baseline, then (when `learn`) record it.
    ///
    /// Observations inside the learning window are recorded and never judged. A first-seen
    /// value alerts once: when learning it is known from then on; when not learning (a frozen
    /// baseline) it is remembered in memory for the life of this `Baseline`.
    pub fn observe(
        &mut self,
        obs: &Observation,
        learn: bool,
    ) -> Result<Vec<Anomaly>, BaselineError> {
        self.stats.observations += 1;
        let learning = in_learning_window(&mut self.cache, obs, &self.config, self.learning_until)
            .map_err(|e| BaselineError::store(&self.path, e))?;
        let mut anomalies = if learning {
            self.stats.in_learning_window += 1;
            Vec::new()
        } else {
            judge(&mut self.cache, obs, &self.config)
                .map_err(|e| BaselineError::store(&self.path, e))?
        };
        if learn {
            record(&mut self.cache, obs).map_err(|e| BaselineError::store(&self.path, e))?;
            self.stats.learned += 1;
            self.pending += 1;
        } else {
            anomalies.retain(|a| {
                self.reported.insert((
                    a.kind,
                    a.cluster.clone(),
                    a.scope.clone(),
                    a.identity.clone(),
                    a.value.clone(),
                ))
            });
        }
        self.stats.anomalies += anomalies.len() as u64;
        self.maybe_flush()?;
        Ok(anomalies)
    }

    /// Record `obs` without judging it (history that is normal by definition).
    pub fn learn(&mut self, obs: &Observation) -> Result<(), BaselineError> {
        self.stats.observations += 1;
        record(&mut self.cache, obs).map_err(|e| BaselineError::store(&self.path, e))?;
        self.stats.learned += 1;
        self.pending += 1;
        self.maybe_flush()
    }

    fn maybe_flush(&mut self) -> Result<(), BaselineError> {
        let interval_passed = self.pending > 0
            && self.last_commit.elapsed()
                >= Duration::from_secs(self.config.commit_interval_seconds);
        if interval_passed {
            self.flush()?;
        } else if self.pending >= self.config.commit_every {
            // Visible to readers now, on disk with the next durable commit (at most
            // `commit_interval_seconds` later, or at finish).
            self.commit(false)?;
            self.pending = 0;
        }
        Ok(())
    }

    fn commit(&mut self, durable: bool) -> Result<(), BaselineError> {
        if self
            .cache
            .flush(durable)
            .map_err(|e| BaselineError::store(&self.path, e))?
        {
            self.stats.commits += 1;
        }
        Ok(())
    }

    /// Learn from a stream of audit events, each with where it was read (`"file:line"`).
    /// Events that are not batch writes are skipped; batch writes that cannot be used (no
    /// time) are returned in the report, in order, with their location. Commits at the end.
    pub fn learn_events<'a, I>(&mut self, events: I) -> Result<LearnReport, BaselineError>
    where
        I: IntoIterator<Item = (&'a jobwarden_model::AuditEvent, String)>,
    {
        let mut report = LearnReport::default();
        for (event, source) in events {
            report.events += 1;
            match Observation::from_event(event, &source) {
                Ok(Some(obs)) => {
                    self.learn(&obs)?;
                    report.learned += 1;
                }
                Ok(None) => {}
                Err(e) => report.unusable.push(e),
            }
        }
        self.flush()?;
        Ok(report)
    }

    /// Commit what was recorded so far (readers then see it). Callers streaming slowly may call
    /// it on a timer.
    pub fn flush(&mut self) -> Result<(), BaselineError> {
        self.commit(true)?;
        self.pending = 0;
        self.last_commit = Instant::now();
        Ok(())
    }

    /// Commit and close. Prefer this to dropping: it reports a failed final commit.
    pub fn finish(mut self) -> Result<BaselineStats, BaselineError> {
        self.flush()?;
        Ok(self.stats)
    }

    /// Forget an identity, a namespace or everything, optionally only in `cluster`. Commits
    /// immediately. Returns the number of stored rows removed.
    pub fn forget(
        &mut self,
        target: &ForgetTarget,
        cluster: Option<&str>,
    ) -> Result<u64, BaselineError> {
        self.flush()?;
        self.cache.clear();
        self.reported.clear();
        let path = self.path.clone();
        let err = |e: redb::Error| BaselineError::store(&path, e);
        let txn = self.cache.db().begin_write().map_err(|e| err(e.into()))?;
        let removed = forget_in(&txn, target, cluster).map_err(err)?;
        txn.commit().map_err(|e| err(e.into()))?;
        self.stats.commits += 1;
        Ok(removed)
    }

    /// The summary of the committed state (flushes first).
    pub fn summary(&mut self, filter: &SummaryFilter) -> Result<Summary, BaselineError> {
        self.flush()?;
        self.reader().summary(filter)
    }
}

impl Drop for Baseline {
    /// Best-effort commit of what is pending; [`Baseline::finish`] reports errors instead.
    fn drop(&mut self) {
        if self.cache.needs_durable_commit() {
            let _ = self.cache.flush(true);
        }
    }
}

/// What [`Baseline::learn_events`] did.
#[derive(Debug, Default)]
pub struct LearnReport {
    /// Events read.
    pub events: u64,
    /// Batch writes learned.
    pub learned: u64,
    /// Batch writes that could not be used, with their location.
    pub unusable: Vec<crate::observation::ExtractError>,
}

enum ReaderDb {
    Shared(Arc<Database>),
    ReadOnly(redb::ReadOnlyDatabase),
}

/// Reads the committed state: `show` and `export`, and readers in other threads while a
/// [`Baseline`] writes.
pub struct BaselineReader {
    db: ReaderDb,
    path: PathBuf,
}

impl BaselineReader {
    /// Open an existing state file read-only. Several readers may open it at once; it fails
    /// with [`BaselineError::InUse`] while a [`Baseline`] holds it (hunt or serve running with
    /// the same file), and with [`BaselineError::Missing`] when there is none.
    pub fn open(path: impl AsRef<Path>) -> Result<BaselineReader, BaselineError> {
        let path = path.as_ref().to_path_buf();
        let db = store::open_read_only(&path)?;
        Ok(BaselineReader {
            db: ReaderDb::ReadOnly(db),
            path,
        })
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn begin_read(&self) -> Result<redb::ReadTransaction, BaselineError> {
        match &self.db {
            ReaderDb::Shared(db) => db.begin_read(),
            ReaderDb::ReadOnly(db) => db.begin_read(),
        }
        .map_err(|e| BaselineError::store(&self.path, e))
    }

    /// Observations counted in `namespace` (or [`CLUSTER_WIDE`]) of `cluster`, with the first
    /// and last time seen.
    pub fn scope_stats(
        &self,
        cluster: &str,
        namespace: &str,
    ) -> Result<Option<KnownValue>, BaselineError> {
        let txn = self.begin_read()?;
        let table = txn
            .open_table(SCOPES)
            .map_err(|e| BaselineError::store(&self.path, e))?;
        let got = table
            .get((cluster, namespace))
            .map_err(|e| BaselineError::store(&self.path, e))?;
        Ok(got.map(|g| known_value(namespace.to_string(), g.value())))
    }

    /// The summary of the state, for `show` (see [`Summary::render_text`]) and `export`
    /// (serialise the summary of [`SummaryFilter::default`]).
    pub fn summary(&self, filter: &SummaryFilter) -> Result<Summary, BaselineError> {
        let txn = self.begin_read()?;
        crate::summary::build(&txn, filter, &self.path)
    }
}

pub(crate) fn time_text(seconds: i64) -> String {
    Timestamp::from_second(seconds)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| seconds.to_string())
}

pub(crate) fn known_value(value: String, stats: Stats) -> KnownValue {
    KnownValue {
        value,
        count: stats.0,
        first_seen: time_text(stats.1),
        last_seen: time_text(stats.2),
    }
}

fn in_learning_window(
    cache: &mut Cached,
    obs: &Observation,
    config: &BaselineConfig,
    learning_until: Option<Timestamp>,
) -> Result<bool, redb::Error> {
    if learning_until.is_some_and(|until| obs.time < until) {
        return Ok(true);
    }
    if config.learning_days == 0 {
        return Ok(false);
    }
    let first = cache
        .scope(&obs.cluster, CLUSTER_WIDE)?
        .map_or(obs.time.as_second(), |s| s.1);
    let window = i64::from(config.learning_days) * 86_400;
    Ok(obs.time.as_second() < first.saturating_add(window))
}

/// The namespace key of an observation; `*` is reserved for the cluster-wide aggregate.
fn scope_of(obs: &Observation) -> &str {
    if obs.namespace == CLUSTER_WIDE {
        "(invalid:*)"
    } else {
        &obs.namespace
    }
}

fn record(cache: &mut Cached, obs: &Observation) -> Result<(), redb::Error> {
    let t = obs.time.as_second();
    let c = obs.cluster.as_str();
    let ns = scope_of(obs);
    let id = obs.identity.as_str();
    let version_label = obs.client.label();
    for scope in [ns, CLUSTER_WIDE] {
        cache.bump_scope(c, scope, t)?;
        cache.bump_fact(Dimension::Creator, (c, scope, "", id), t)?;
        for g in &obs.groups {
            cache.bump_fact(Dimension::CreatorGroup, (c, scope, id, g), t)?;
        }
        cache.bump_fact(Dimension::Client, (c, scope, id, &obs.client.family), t)?;
        cache.bump_fact(Dimension::ClientVersion, (c, scope, id, &version_label), t)?;
        cache.bump_fact(Dimension::Network, (c, scope, id, &obs.network), t)?;
        let mut last = "";
        for image in &obs.images {
            if image.registry != last {
                cache.bump_fact(Dimension::Registry, (c, scope, "", &image.registry), t)?;
                last = &image.registry;
            }
            cache.bump_fact(Dimension::Repository, (c, scope, "", &image.repository), t)?;
        }
        if let Some(shape) = obs.schedule_shape {
            cache.bump_fact(Dimension::Schedule, (c, scope, "", shape.as_str()), t)?;
        }
        cache.bump_hour(c, scope, id, obs.hour_of_week)?;
    }
    Ok(())
}

fn judge(
    cache: &mut Cached,
    obs: &Observation,
    config: &BaselineConfig,
) -> Result<Vec<Anomaly>, redb::Error> {
    let c = obs.cluster.as_str();
    let ns = scope_of(obs);
    let id = obs.identity.as_str();
    let quiet = config.is_quiet(&obs.identity, &obs.groups);
    let limit = config.evidence_limit;
    let mut out = Vec::new();
    let anomaly = |kind, scope: &str, value: &str, known: Vec<KnownValue>| Anomaly {
        kind,
        cluster: obs.cluster.clone(),
        scope: scope.to_string(),
        identity: obs.identity.clone(),
        value: value.to_string(),
        known_distinct: known.len() as u64,
        known: known.into_iter().take(limit).collect(),
        hours: None,
    };
    // Identity-level judgements need history of the identity; a brand-new identity is reported
    // once, as a creator, not also as a new client, network and hour.
    let identity_known = cache
        .fact(Dimension::Creator, (c, CLUSTER_WIDE, "", id))?
        .is_some();

    if !quiet
        && config.alerts_on(AnomalyKind::Creator)
        && cache.fact(Dimension::Creator, (c, ns, "", id))?.is_none()
    {
        let known = cache.known_values(Dimension::Creator, c, ns, "")?;
        out.push(anomaly(AnomalyKind::Creator, ns, &obs.identity, known));
    }

    let mut new_registries: Vec<&str> = Vec::new();
    let mut last = "";
    for image in &obs.images {
        if image.registry == last {
            continue;
        }
        last = &image.registry;
        if cache
            .fact(Dimension::Registry, (c, CLUSTER_WIDE, "", &image.registry))?
            .is_none()
        {
            new_registries.push(image.registry.as_str());
        }
    }
    if config.alerts_on(AnomalyKind::Registry) && !new_registries.is_empty() {
        let known = cache.known_values(Dimension::Registry, c, CLUSTER_WIDE, "")?;
        for registry in &new_registries {
            out.push(anomaly(
                AnomalyKind::Registry,
                CLUSTER_WIDE,
                registry,
                known.clone(),
            ));
        }
    }
    if config.alerts_on(AnomalyKind::Repository) {
        let mut known: Option<Vec<KnownValue>> = None;
        for image in &obs.images {
            // A new registry already says every repository in it is new.
            if new_registries.contains(&image.registry.as_str()) {
                continue;
            }
            if cache
                .fact(
                    Dimension::Repository,
                    (c, CLUSTER_WIDE, "", &image.repository),
                )?
                .is_none()
            {
                let known = match &known {
                    Some(k) => k.clone(),
                    None => {
                        let k = cache.known_values(Dimension::Repository, c, CLUSTER_WIDE, "")?;
                        known = Some(k.clone());
                        k
                    }
                };
                out.push(anomaly(
                    AnomalyKind::Repository,
                    CLUSTER_WIDE,
                    &image.repository,
                    known,
                ));
            }
        }
    }

    if identity_known && !quiet {
        if config.alerts_on(AnomalyKind::Client)
            && cache
                .fact(Dimension::Client, (c, CLUSTER_WIDE, id, &obs.client.family))?
                .is_none()
        {
            let known = cache.known_values(Dimension::Client, c, CLUSTER_WIDE, id)?;
            out.push(anomaly(
                AnomalyKind::Client,
                CLUSTER_WIDE,
                &obs.client.family,
                known,
            ));
        }
        if config.alerts_on(AnomalyKind::Network)
            && obs.network != UNKNOWN_NETWORK
            && cache
                .fact(Dimension::Network, (c, CLUSTER_WIDE, id, &obs.network))?
                .is_none()
        {
            let known = cache.known_values(Dimension::Network, c, CLUSTER_WIDE, id)?;
            out.push(anomaly(
                AnomalyKind::Network,
                CLUSTER_WIDE,
                &obs.network,
                known,
            ));
        }
        if config.alerts_on(AnomalyKind::Hours) {
            let judged = cache.with_hours(c, CLUSTER_WIDE, id, |h| {
                hours_anomaly(h, obs.hour_of_week, config)
            })?;
            if let Some(evidence) = judged.flatten() {
                let mut a = anomaly(
                    AnomalyKind::Hours,
                    CLUSTER_WIDE,
                    &hour_of_week_label(obs.hour_of_week),
                    Vec::new(),
                );
                a.known_distinct = evidence.usual.len() as u64;
                a.hours = Some(evidence);
                out.push(a);
            }
        }
    }

    if let Some(shape) = obs
        .schedule_shape
        .filter(|_| config.alerts_on(AnomalyKind::Schedule))
    {
        // Only in namespaces with history: in a new namespace every shape is new.
        if cache.scope(c, ns)?.is_some()
            && cache
                .fact(Dimension::Schedule, (c, ns, "", shape.as_str()))?
                .is_none()
        {
            let known = cache.known_values(Dimension::Schedule, c, ns, "")?;
            out.push(anomaly(AnomalyKind::Schedule, ns, shape.as_str(), known));
        }
    }
    Ok(out)
}

/// The hours judgement: enough history, and the nearest active hour of the week (on the
/// 168-hour ring) further away than the threshold.
pub(crate) fn hours_anomaly(
    histogram: &[u32; 168],
    hour: u8,
    config: &BaselineConfig,
) -> Option<HoursEvidence> {
    let observations: u64 = histogram.iter().map(|&n| u64::from(n)).sum();
    if observations < config.min_identity_observations || observations == 0 {
        return None;
    }
    let hour = i32::from(hour);
    let distance = histogram
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(h, _)| {
            let d = (i32::try_from(h).unwrap_or(0) - hour).abs();
            d.min(168 - d)
        })
        .min()?;
    let distance = u32::try_from(distance).unwrap_or(0);
    if distance <= config.hour_distance {
        return None;
    }
    let mut usual: Vec<(u8, u32)> = histogram
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(h, n)| (u8::try_from(h).unwrap_or(0), *n))
        .collect();
    usual.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    usual.truncate(config.evidence_limit.max(24));
    Some(HoursEvidence {
        hour_of_week: u8::try_from(hour).unwrap_or(0),
        distance_hours: distance,
        observations,
        usual,
    })
}

fn forget_in(
    txn: &WriteTransaction,
    target: &ForgetTarget,
    cluster: Option<&str>,
) -> Result<u64, redb::Error> {
    let in_cluster = |c: &str| cluster.is_none_or(|want| want == c);
    let mut removed = 0u64;
    match target {
        ForgetTarget::Everything => {
            let mut scopes = txn.open_table(SCOPES)?;
            let before = scopes.len()?;
            scopes.retain(|(c, _), _| !in_cluster(c))?;
            removed += before - scopes.len()?;
            let mut hours = txn.open_table(HOURS)?;
            let before = hours.len()?;
            hours.retain(|(c, _, _), _| !in_cluster(c))?;
            removed += before - hours.len()?;
            for dim in Dimension::ALL {
                let mut t = txn.open_table(dim.table())?;
                let before = t.len()?;
                t.retain(|(c, _, _, _), _| !in_cluster(c))?;
                removed += before - t.len()?;
            }
        }
        ForgetTarget::Identity(who) => {
            let who = bounded(who);
            let mut hours = txn.open_table(HOURS)?;
            let before = hours.len()?;
            hours.retain(|(c, _, id), _| !(in_cluster(c) && id == who))?;
            removed += before - hours.len()?;
            for dim in Dimension::ALL {
                let mut t = txn.open_table(dim.table())?;
                let before = t.len()?;
                if dim == Dimension::Creator {
                    t.retain(|(c, _, _, v), _| !(in_cluster(c) && v == who))?;
                } else if dim.per_identity() {
                    t.retain(|(c, _, s, _), _| !(in_cluster(c) && s == who))?;
                }
                removed += before - t.len()?;
            }
        }
        ForgetTarget::Namespace(ns) => {
            let ns = bounded(ns);
            // Drop the namespace's rows, then recompute the cluster-wide rows of the affected
            // clusters from the namespaces that remain (every observation is counted once in
            // its namespace and once in `*`, so the sum is exact).
            let mut affected: HashSet<String> = HashSet::new();
            {
                let mut scopes = txn.open_table(SCOPES)?;
                let mut rows = Vec::new();
                for row in scopes.iter()? {
                    let (k, v) = row?;
                    let (c, s) = k.value();
                    rows.push((c.to_string(), s.to_string(), v.value()));
                }
                let mut wide: std::collections::BTreeMap<String, Stats> = Default::default();
                for (c, s, _) in &rows {
                    if in_cluster(c) && s == ns {
                        affected.insert(c.clone());
                        removed += 1;
                    }
                }
                for (c, s, v) in &rows {
                    if affected.contains(c) && s != ns && s != CLUSTER_WIDE {
                        let e = wide.entry(c.clone()).or_insert((0, i64::MAX, i64::MIN));
                        *e = store::merge_stats(*e, *v);
                    }
                }
                scopes.retain(|(c, s), _| {
                    !(affected.contains(c) && (s == ns || s == CLUSTER_WIDE))
                })?;
                for (c, v) in &wide {
                    scopes.insert((c.as_str(), CLUSTER_WIDE), *v)?;
                }
            }
            for dim in Dimension::ALL {
                let mut t = txn.open_table(dim.table())?;
                let mut wide: std::collections::BTreeMap<(String, String, String), Stats> =
                    Default::default();
                for row in t.iter()? {
                    let (k, v) = row?;
                    let (c, s, sub, val) = k.value();
                    if affected.contains(c) && s != ns && s != CLUSTER_WIDE {
                        let e = wide
                            .entry((c.to_string(), sub.to_string(), val.to_string()))
                            .or_insert((0, i64::MAX, i64::MIN));
                        *e = store::merge_stats(*e, v.value());
                    }
                }
                let before = t.len()?;
                t.retain(|(c, s, _, _), _| {
                    !(affected.contains(c) && (s == ns || s == CLUSTER_WIDE))
                })?;
                let dropped = before - t.len()?;
                for ((c, sub, val), v) in &wide {
                    t.insert((c.as_str(), CLUSTER_WIDE, sub.as_str(), val.as_str()), *v)?;
                }
                removed += dropped.saturating_sub(wide.len() as u64);
            }
            let mut hours = txn.open_table(HOURS)?;
            let mut wide: std::collections::BTreeMap<(String, String), [u32; 168]> =
                Default::default();
            for row in hours.iter()? {
                let (k, v) = row?;
                let (c, s, id) = k.value();
                if affected.contains(c) && s != ns && s != CLUSTER_WIDE {
                    let e = wide
                        .entry((c.to_string(), id.to_string()))
                        .or_insert([0; 168]);
                    for (slot, n) in e.iter_mut().zip(decode_hours(v.value())) {
                        *slot = slot.saturating_add(n);
                    }
                }
            }
            let before = hours.len()?;
            hours
                .retain(|(c, s, _), _| !(affected.contains(c) && (s == ns || s == CLUSTER_WIDE)))?;
            let dropped = before - hours.len()?;
            for ((c, id), h) in &wide {
                let bytes = encode_hours(h);
                hours.insert((c.as_str(), CLUSTER_WIDE, id.as_str()), bytes.as_slice())?;
            }
            removed += dropped.saturating_sub(wide.len() as u64);
        }
    }
    Ok(removed)
}
