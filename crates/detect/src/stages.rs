//! One logical event per request. The apiserver writes a record per stage of a request
//! (RequestReceived, ResponseStarted, ResponseComplete, Panic), all with one `auditID`; rules
//! must see the request once, with the request details of the first stage and the outcome of
//! the last. Records without an auditID pass through untouched.
//!
//! Memory is bounded: when too many requests wait for their response, the oldest is released
//! as it is (outcome unknown) and counted; it is never dropped.

use jobwarden_model::{AuditEvent, Stage};
use lru::LruCache;
use std::num::NonZeroUsize;

/// A request ready for detection, with the location of its first record.
#[derive(Debug)]
pub struct MergedRequest {
    /// The merged event.
    pub event: AuditEvent,
    /// `file:line` of the first record seen for this request.
    pub source: String,
}

/// Counters for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageStats {
    /// Stage records merged into an earlier record of the same request.
    pub merged: u64,
    /// Records of a request already completed (a repeated ResponseComplete), dropped as duplicates.
    pub duplicates: u64,
    /// Requests released without their final stage because the pending table was full.
    pub released_early: u64,
    /// Requests that never saw a final stage before the input ended.
    pub incomplete_at_end: u64,
}

/// Merges stage records by auditID.
pub struct StageMerger {
    pending: LruCache<String, MergedRequest>,
    completed: LruCache<String, ()>,
    /// What happened.
    pub stats: StageStats,
}

fn cap(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n.max(1)).unwrap_or(NonZeroUsize::MIN)
}

impl StageMerger {
    /// A merger holding at most `max_pending` open requests and remembering `max_seen`
    /// completed request ids.
    pub fn new(max_pending: usize, max_seen: usize) -> StageMerger {
        StageMerger {
            pending: LruCache::new(cap(max_pending)),
            completed: LruCache::new(cap(max_seen)),
            stats: StageStats::default(),
        }
    }

    /// Feed one record; returns the requests that became ready (zero, one, or two when a full
    /// pending table released its oldest entry).
    pub fn push(&mut self, event: AuditEvent, source: String, ready: &mut Vec<MergedRequest>) {
        if event.audit_id.is_empty() {
            ready.push(MergedRequest { event, source });
            return;
        }
        if self.completed.get(&event.audit_id).is_some() {
            self.stats.duplicates += 1;
            return;
        }
        let is_final = matches!(
            event.stage,
            Stage::ResponseComplete | Stage::Panic | Stage::Unknown
        );
        let id = event.audit_id.clone();
        let merged = match self.pending.pop(&id) {
            Some(mut earlier) => {
                self.stats.merged += 1;
                earlier.event.merge_stage(event);
                earlier
            }
            None => MergedRequest { event, source },
        };
        if is_final {
            self.completed.put(id, ());
            ready.push(merged);
        } else if let Some((old_id, released)) = self.pending.push(id, merged) {
            // `push` returns the evicted least-recently-used entry when at capacity.
            self.stats.released_early += 1;
            self.completed.put(old_id, ());
            ready.push(released);
        }
    }

    /// Release every request still waiting for its final stage (end of input).
    pub fn drain(&mut self, ready: &mut Vec<MergedRequest>) {
        while let Some((id, req)) = self.pending.pop_lru() {
            self.stats.incomplete_at_end += 1;
            self.completed.put(id, ());
            ready.push(req);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(json: &str) -> AuditEvent {
        serde_json::from_str(json).expect("valid test event")
    }

    #[test]
    fn two_stages_make_one_request() {
        let mut m = StageMerger::new(10, 10);
        let mut out = Vec::new();
        m.push(
            ev(r#"{"auditID":"a","stage":"RequestReceived","verb":"create"}"#),
            "f:1".into(),
            &mut out,
        );
        assert!(out.is_empty());
        m.push(ev(r#"{"auditID":"a","stage":"ResponseComplete","verb":"create","responseStatus":{"code":201}}"#), "f:2".into(), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].source, "f:1");
        assert_eq!(out[0].event.status_code(), Some(201));
        m.push(
            ev(r#"{"auditID":"a","stage":"ResponseComplete","verb":"create"}"#),
            "f:3".into(),
            &mut out,
        );
        assert_eq!(out.len(), 1, "a repeated final stage is a duplicate");
        assert_eq!(m.stats.duplicates, 1);
    }

    #[test]
    fn full_table_releases_oldest_and_end_drains() {
        let mut m = StageMerger::new(1, 10);
        let mut out = Vec::new();
        m.push(
            ev(r#"{"auditID":"a","stage":"RequestReceived"}"#),
            "f:1".into(),
            &mut out,
        );
        m.push(
            ev(r#"{"auditID":"b","stage":"RequestReceived"}"#),
            "f:2".into(),
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].event.audit_id, "a");
        m.drain(&mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(m.stats.released_early, 1);
        assert_eq!(m.stats.incomplete_at_end, 1);
    }
}
