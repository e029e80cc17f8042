//! What `hunt` remembers while it streams: the last known state of each CronJob and Job, and
//! which requests it has already seen. Memory is bounded: the least recently used objects are
//! evicted first and every eviction is counted, so a summary can say how much context was lost.

use jiff::Timestamp;
use lru::LruCache;
use serde_json::Value;
use std::num::NonZeroUsize;
use std::sync::Arc;

/// Which batch kind an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BatchKind {
    /// `batch/v1 CronJob`.
    CronJob,
    /// `batch/v1 Job`.
    Job,
}

impl BatchKind {
    /// The kind as Kubernetes spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            BatchKind::CronJob => "CronJob",
            BatchKind::Job => "Job",
        }
    }
}

/// Identifies one object.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey {
    /// Kind.
    pub kind: BatchKind,
    /// Namespace ("" for none).
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// The last known state of a CronJob.
#[derive(Debug, Clone)]
pub struct CronJobState {
    /// `metadata.uid`, when known.
    pub uid: Option<String>,
    /// The whole object as last stored (patches are applied to it). Shared: every request on
    /// the CronJob takes a copy of its state, and copying the object each time cost as much as
    /// judging it.
    pub object: Arc<Value>,
    /// Who created it, when the creation was seen.
    pub creator: Option<String>,
    /// Who last changed it.
    pub last_writer: String,
    /// When it was created, when seen.
    pub created_at: Option<Timestamp>,
    /// Approximate bytes this entry holds, for the memory budget.
    pub approx_bytes: usize,
}

/// What is remembered of a Job (small: Jobs are many).
#[derive(Debug, Clone)]
pub struct JobState {
    /// `metadata.uid`, when known.
    pub uid: Option<String>,
    /// Who created it.
    pub creator: String,
    /// True when the creator was a control-plane controller.
    pub created_by_controller: bool,
    /// True when the creator was automation (trusted, or a service account used from a pod):
    /// operators routinely delete the Jobs they made.
    pub created_by_automation: bool,
    /// True when the Job announced its own cleanup (`helm.sh/hook-delete-policy`,
    /// `argocd.argoproj.io/hook-delete-policy`).
    pub cleanup_announced: bool,
    /// True when its template was judged medium or worse.
    pub risky: bool,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// The audit id of the creation.
    pub created_audit_id: String,
}

/// Counts of what the bounded state had to forget.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvictionStats {
    /// CronJobs evicted.
    pub cronjobs: u64,
    /// Jobs evicted.
    pub jobs: u64,
    /// Request ids evicted from the duplicate-stage memory.
    pub request_ids: u64,
    /// Partial requests (RequestReceived only) evicted before their response arrived.
    pub pending_requests: u64,
}

/// Bounded per-object state.
pub struct ObjectStore {
    cronjobs: LruCache<(String, String), CronJobState>,
    cronjob_bytes: usize,
    cronjob_byte_budget: usize,
    jobs: LruCache<(String, String), JobState>,
    /// What was evicted.
    pub evicted: EvictionStats,
}

fn cap(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n.max(1)).unwrap_or(NonZeroUsize::MIN)
}

impl ObjectStore {
    /// A store holding at most `max_objects` CronJobs and as many Jobs, and at most
    /// `cronjob_byte_budget` bytes of CronJob bodies.
    pub fn new(max_objects: usize, cronjob_byte_budget: usize) -> ObjectStore {
        ObjectStore {
            cronjobs: LruCache::new(cap(max_objects)),
            cronjob_bytes: 0,
            cronjob_byte_budget,
            jobs: LruCache::new(cap(max_objects)),
            evicted: EvictionStats::default(),
        }
    }

    /// The CronJob `namespace/name`, if remembered.
    pub fn cronjob(&mut self, namespace: &str, name: &str) -> Option<&CronJobState> {
        self.cronjobs
            .get(&(namespace.to_string(), name.to_string()))
    }

    /// The Job `namespace/name`, if remembered.
    pub fn job(&mut self, namespace: &str, name: &str) -> Option<&JobState> {
        self.jobs.get(&(namespace.to_string(), name.to_string()))
    }

    /// Remember a CronJob's new state.
    pub fn put_cronjob(&mut self, namespace: &str, name: &str, state: CronJobState) {
        let key = (namespace.to_string(), name.to_string());
        let replacing = self.cronjobs.contains(&key);
        self.cronjob_bytes += state.approx_bytes;
        if let Some((_, old)) = self.cronjobs.push(key, state) {
            self.cronjob_bytes = self.cronjob_bytes.saturating_sub(old.approx_bytes);
            if !replacing {
                self.evicted.cronjobs += 1;
            }
        }
        while self.cronjob_bytes > self.cronjob_byte_budget && self.cronjobs.len() > 1 {
            match self.cronjobs.pop_lru() {
                Some((_, old)) => {
                    self.cronjob_bytes = self.cronjob_bytes.saturating_sub(old.approx_bytes);
                    self.evicted.cronjobs += 1;
                }
                None => break,
            }
        }
    }

    /// Remember a Job.
    pub fn put_job(&mut self, namespace: &str, name: &str, state: JobState) {
        let key = (namespace.to_string(), name.to_string());
        let replacing = self.jobs.contains(&key);
        if self.jobs.push(key, state).is_some() && !replacing {
            self.evicted.jobs += 1;
        }
    }

    /// Forget a CronJob (deleted).
    pub fn remove_cronjob(&mut self, namespace: &str, name: &str) -> Option<CronJobState> {
        let old = self
            .cronjobs
            .pop(&(namespace.to_string(), name.to_string()));
        if let Some(o) = &old {
            self.cronjob_bytes = self.cronjob_bytes.saturating_sub(o.approx_bytes);
        }
        old
    }

    /// Forget a Job (deleted).
    pub fn remove_job(&mut self, namespace: &str, name: &str) -> Option<JobState> {
        self.jobs.pop(&(namespace.to_string(), name.to_string()))
    }

    /// The CronJob in `namespace` with this uid, if remembered.
    pub fn cronjob_by_uid(&self, namespace: &str, uid: &str) -> Option<(&str, &CronJobState)> {
        self.cronjobs
            .iter()
            .find(|((ns, _), s)| ns == namespace && s.uid.as_deref() == Some(uid))
            .map(|((_, name), s)| (name.as_str(), s))
    }

    /// Number of CronJobs and Jobs held.
    pub fn len(&self) -> (usize, usize) {
        (self.cronjobs.len(), self.jobs.len())
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.cronjobs.is_empty() && self.jobs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cj(bytes: usize) -> CronJobState {
        CronJobState {
            uid: Some("u".into()),
            object: Arc::new(Value::Null),
            creator: None,
            last_writer: "x".into(),
            created_at: None,
            approx_bytes: bytes,
        }
    }

    #[test]
    fn byte_budget_evicts_and_counts() {
        let mut s = ObjectStore::new(100, 1000);
        for i in 0..5 {
            s.put_cronjob("ns", &format!("c{i}"), cj(400));
        }
        assert!(s.len().0 <= 2);
        assert_eq!(s.evicted.cronjobs, 3);
        assert!(s.cronjob("ns", "c4").is_some());
        assert!(s.cronjob("ns", "c0").is_none());
    }

    #[test]
    fn job_capacity_evicts_and_counts() {
        let mut s = ObjectStore::new(2, 1000);
        for i in 0..4 {
            s.put_job(
                "ns",
                &format!("j{i}"),
                JobState {
                    uid: None,
                    creator: "c".into(),
                    created_by_controller: true,
                    created_by_automation: false,
                    cleanup_announced: false,
                    risky: false,
                    created_at: None,
                    created_audit_id: "a".into(),
                },
            );
        }
        assert_eq!(s.evicted.jobs, 2);
        // Replacing an entry is not an eviction.
        s.put_job(
            "ns",
            "j3",
            JobState {
                uid: None,
                creator: "d".into(),
                created_by_controller: false,
                created_by_automation: false,
                cleanup_announced: false,
                risky: false,
                created_at: None,
                created_audit_id: "b".into(),
            },
        );
        assert_eq!(s.evicted.jobs, 2);
    }
}
