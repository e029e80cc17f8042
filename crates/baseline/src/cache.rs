//! A write-back cache over the state file, so that judging and learning an observation costs
//! hash-map lookups instead of B-tree reads and writes.
//!
//! Every value touched since the last flush (and recently read ones) is held in memory with its
//! full current stats; the store is read only on a cache miss (through one read transaction
//! kept open until the next flush) and written only on [`Cached::flush`], one insert per
//! changed key in one write transaction. The committed state plus the cache is always the
//! baseline's current state, because every change goes through the cache.

use crate::anomaly::KnownValue;
use crate::baseline::known_value;
use crate::store::{
    Dimension, HOURS, SCOPES, Stats, bounded, decode_hours, encode_hours, merge_stats,
};
use redb::{Database, ReadTransaction, ReadableDatabase};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Clean entries are dropped after a flush once the cache holds more than this many.
const CACHE_CAP: usize = 200_000;

/// Stored key parts, kept with each entry for the flush.
type Parts = (Dimension, String, String, String, String);
/// `(cluster, scope)`.
type ScopeParts = (String, String);
/// `(cluster, scope, identity)`.
type HoursParts = (String, String, String);

struct Entry<T> {
    value: T,
    dirty: bool,
}

pub(crate) struct Cached {
    db: Arc<Database>,
    read: Option<ReadTransaction>,
    /// Keyed by [`encode_key`]: the lookup of a cached value allocates nothing.
    facts: HashMap<Vec<u8>, (Parts, Entry<Stats>)>,
    scopes: HashMap<Vec<u8>, (ScopeParts, Entry<Stats>)>,
    hours: HashMap<Vec<u8>, (HoursParts, Entry<[u32; 168]>)>,
    scratch: Vec<u8>,
    dirty: usize,
    /// A non-durable commit happened since the last durable one.
    undurable: bool,
}

/// An injective byte encoding of a tag and key parts (each part length-prefixed).
fn encode_key(out: &mut Vec<u8>, tag: u8, parts: &[&str]) {
    out.clear();
    out.push(tag);
    for p in parts {
        let p = bounded(p);
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(p.as_bytes());
    }
}

impl Cached {
    pub(crate) fn new(db: Arc<Database>) -> Cached {
        Cached {
            db,
            read: None,
            facts: HashMap::new(),
            scopes: HashMap::new(),
            hours: HashMap::new(),
            scratch: Vec::with_capacity(256),
            dirty: 0,
            undurable: false,
        }
    }

    pub(crate) fn db(&self) -> &Arc<Database> {
        &self.db
    }

    /// True when something is not yet durable: changes not committed, or commits not fsynced.
    pub(crate) fn needs_durable_commit(&self) -> bool {
        self.dirty > 0 || self.undurable
    }

    fn ensure_read(&mut self) -> Result<&ReadTransaction, redb::Error> {
        if self.read.is_none() {
            self.read = Some(self.db.begin_read()?);
        }
        self.read
            .as_ref()
            .ok_or_else(|| redb::Error::Corrupted("read transaction vanished".to_string()))
    }

    /// Load a fact into the cache when the store has it; true when it is cached after.
    fn load_fact(
        &mut self,
        dim: Dimension,
        key: (&str, &str, &str, &str),
    ) -> Result<bool, redb::Error> {
        encode_key(&mut self.scratch, dim as u8, &[key.0, key.1, key.2, key.3]);
        if self.facts.contains_key(self.scratch.as_slice()) {
            return Ok(true);
        }
        let (c, s, sub, v) = (
            bounded(key.0),
            bounded(key.1),
            bounded(key.2),
            bounded(key.3),
        );
        let got = self
            .ensure_read()?
            .open_table(dim.table())?
            .get((c, s, sub, v))?
            .map(|g| g.value());
        let Some(value) = got else {
            return Ok(false);
        };
        let parts = (
            dim,
            c.to_string(),
            s.to_string(),
            sub.to_string(),
            v.to_string(),
        );
        encode_key(&mut self.scratch, dim as u8, &[key.0, key.1, key.2, key.3]);
        self.facts.insert(
            self.scratch.clone(),
            (
                parts,
                Entry {
                    value,
                    dirty: false,
                },
            ),
        );
        Ok(true)
    }

    /// The stats of a fact, when known.
    pub(crate) fn fact(
        &mut self,
        dim: Dimension,
        key: (&str, &str, &str, &str),
    ) -> Result<Option<Stats>, redb::Error> {
        if !self.load_fact(dim, key)? {
            return Ok(None);
        }
        Ok(self
            .facts
            .get(self.scratch.as_slice())
            .map(|(_, e)| e.value))
    }

    /// Count one more sighting of a fact at `time`.
    pub(crate) fn bump_fact(
        &mut self,
        dim: Dimension,
        key: (&str, &str, &str, &str),
        time: i64,
    ) -> Result<(), redb::Error> {
        let sighting = (1, time, time);
        if self.load_fact(dim, key)? {
            if let Some((_, e)) = self.facts.get_mut(self.scratch.as_slice()) {
                e.value = merge_stats(e.value, sighting);
                if !e.dirty {
                    e.dirty = true;
                    self.dirty += 1;
                }
            }
        } else {
            let parts = (
                dim,
                bounded(key.0).to_string(),
                bounded(key.1).to_string(),
                bounded(key.2).to_string(),
                bounded(key.3).to_string(),
            );
            self.facts.insert(
                self.scratch.clone(),
                (
                    parts,
                    Entry {
                        value: sighting,
                        dirty: true,
                    },
                ),
            );
            self.dirty += 1;
        }
        Ok(())
    }

    fn load_scope(&mut self, cluster: &str, scope: &str) -> Result<bool, redb::Error> {
        encode_key(&mut self.scratch, 0xF0, &[cluster, scope]);
        if self.scopes.contains_key(self.scratch.as_slice()) {
            return Ok(true);
        }
        let (c, s) = (bounded(cluster), bounded(scope));
        let got = self
            .ensure_read()?
            .open_table(SCOPES)?
            .get((c, s))?
            .map(|g| g.value());
        let Some(value) = got else {
            return Ok(false);
        };
        encode_key(&mut self.scratch, 0xF0, &[cluster, scope]);
        self.scopes.insert(
            self.scratch.clone(),
            (
                (c.to_string(), s.to_string()),
                Entry {
                    value,
                    dirty: false,
                },
            ),
        );
        Ok(true)
    }

    /// Observation stats of a scope.
    pub(crate) fn scope(
        &mut self,
        cluster: &str,
        scope: &str,
    ) -> Result<Option<Stats>, redb::Error> {
        if !self.load_scope(cluster, scope)? {
            return Ok(None);
        }
        Ok(self
            .scopes
            .get(self.scratch.as_slice())
            .map(|(_, e)| e.value))
    }

    pub(crate) fn bump_scope(
        &mut self,
        cluster: &str,
        scope: &str,
        time: i64,
    ) -> Result<(), redb::Error> {
        let sighting = (1, time, time);
        if self.load_scope(cluster, scope)? {
            if let Some((_, e)) = self.scopes.get_mut(self.scratch.as_slice()) {
                e.value = merge_stats(e.value, sighting);
                if !e.dirty {
                    e.dirty = true;
                    self.dirty += 1;
                }
            }
        } else {
            let parts = (bounded(cluster).to_string(), bounded(scope).to_string());
            self.scopes.insert(
                self.scratch.clone(),
                (
                    parts,
                    Entry {
                        value: sighting,
                        dirty: true,
                    },
                ),
            );
            self.dirty += 1;
        }
        Ok(())
    }

    fn load_hours(
        &mut self,
        cluster: &str,
        scope: &str,
        identity: &str,
    ) -> Result<bool, redb::Error> {
        encode_key(&mut self.scratch, 0xF1, &[cluster, scope, identity]);
        if self.hours.contains_key(self.scratch.as_slice()) {
            return Ok(true);
        }
        let (c, s, id) = (bounded(cluster), bounded(scope), bounded(identity));
        let got = self
            .ensure_read()?
            .open_table(HOURS)?
            .get((c, s, id))?
            .map(|g| decode_hours(g.value()));
        let Some(value) = got else {
            return Ok(false);
        };
        encode_key(&mut self.scratch, 0xF1, &[cluster, scope, identity]);
        self.hours.insert(
            self.scratch.clone(),
            (
                (c.to_string(), s.to_string(), id.to_string()),
                Entry {
                    value,
                    dirty: false,
                },
            ),
        );
        Ok(true)
    }

    /// Apply `judge` to an identity's histogram without copying it; None when there is none.
    pub(crate) fn with_hours<T>(
        &mut self,
        cluster: &str,
        scope: &str,
        identity: &str,
        judge: impl FnOnce(&[u32; 168]) -> T,
    ) -> Result<Option<T>, redb::Error> {
        if !self.load_hours(cluster, scope, identity)? {
            return Ok(None);
        }
        Ok(self
            .hours
            .get(self.scratch.as_slice())
            .map(|(_, e)| judge(&e.value)))
    }

    pub(crate) fn bump_hour(
        &mut self,
        cluster: &str,
        scope: &str,
        identity: &str,
        hour: u8,
    ) -> Result<(), redb::Error> {
        let slot = usize::from(hour).min(167);
        if self.load_hours(cluster, scope, identity)? {
            if let Some((_, e)) = self.hours.get_mut(self.scratch.as_slice()) {
                if let Some(n) = e.value.get_mut(slot) {
                    *n = n.saturating_add(1);
                }
                if !e.dirty {
                    e.dirty = true;
                    self.dirty += 1;
                }
            }
        } else {
            let mut value = [0u32; 168];
            if let Some(n) = value.get_mut(slot) {
                *n = 1;
            }
            let parts = (
                bounded(cluster).to_string(),
                bounded(scope).to_string(),
                bounded(identity).to_string(),
            );
            self.hours
                .insert(self.scratch.clone(), (parts, Entry { value, dirty: true }));
            self.dirty += 1;
        }
        Ok(())
    }

    /// Every known value of `(cluster, scope, subject, *)`, most frequent first: the store's
    /// rows overlaid with the cache's (used only when reporting an anomaly).
    pub(crate) fn known_values(
        &mut self,
        dim: Dimension,
        cluster: &str,
        scope: &str,
        subject: &str,
    ) -> Result<Vec<KnownValue>, redb::Error> {
        let (cluster, scope, subject) = (bounded(cluster), bounded(scope), bounded(subject));
        let mut values: BTreeMap<String, Stats> = BTreeMap::new();
        let table = self.ensure_read()?.open_table(dim.table())?;
        for row in table.range((cluster, scope, subject, "")..)? {
            let (key, value) = row?;
            let (kc, ks, ksub, kval) = key.value();
            if kc != cluster || ks != scope || ksub != subject {
                break;
            }
            values.insert(kval.to_string(), value.value());
        }
        for ((d, c, s, sub, v), e) in self.facts.values() {
            if *d == dim && c == cluster && s == scope && sub == subject {
                values.insert(v.clone(), e.value);
            }
        }
        let mut out: Vec<KnownValue> = values.into_iter().map(|(v, s)| known_value(v, s)).collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        Ok(out)
    }

    /// Write every changed value in one transaction and commit it; `durable` commits are
    /// fsynced, the others only become durable with the next durable one (redb
    /// `Durability::None`), which saves an fsync per batch. Returns true when a transaction was
    /// committed.
    pub(crate) fn flush(&mut self, durable: bool) -> Result<bool, redb::Error> {
        if self.dirty == 0 && !(durable && self.undurable) {
            return Ok(false);
        }
        // The snapshot is stale once we commit; readers of the store reclaim pages only when
        // old snapshots are gone.
        self.read = None;
        let mut txn = self.db.begin_write()?;
        if !durable {
            txn.set_durability(redb::Durability::None)?;
        }
        {
            let mut scopes = txn.open_table(SCOPES)?;
            for ((c, s), e) in self.scopes.values_mut().filter(|(_, e)| e.dirty) {
                scopes.insert((c.as_str(), s.as_str()), e.value)?;
                e.dirty = false;
            }
            let mut tables: Vec<_> = Vec::with_capacity(Dimension::ALL.len());
            for dim in Dimension::ALL {
                tables.push((dim, txn.open_table(dim.table())?));
            }
            for ((dim, c, s, sub, v), e) in self.facts.values_mut().filter(|(_, e)| e.dirty) {
                if let Some((_, table)) = tables.iter_mut().find(|(d, _)| d == dim) {
                    table.insert((c.as_str(), s.as_str(), sub.as_str(), v.as_str()), e.value)?;
                }
                e.dirty = false;
            }
            drop(tables);
            let mut hours = txn.open_table(HOURS)?;
            for ((c, s, id), e) in self.hours.values_mut().filter(|(_, e)| e.dirty) {
                let bytes = encode_hours(&e.value);
                hours.insert((c.as_str(), s.as_str(), id.as_str()), bytes.as_slice())?;
                e.dirty = false;
            }
        }
        txn.commit()?;
        self.dirty = 0;
        self.undurable = !durable;
        if self.facts.len() + self.scopes.len() + self.hours.len() > CACHE_CAP {
            self.clear();
        }
        Ok(true)
    }

    /// Forget everything cached (after a flush, before changing the store directly).
    pub(crate) fn clear(&mut self) {
        self.read = None;
        self.facts.clear();
        self.scopes.clear();
        self.hours.clear();
        self.dirty = 0;
    }
}
