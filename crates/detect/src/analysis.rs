//! Turns one merged request into an [`Analysis`]: which batch object it touched and how, the
//! object after the request (from `responseObject`, `requestObject`, or a patch applied to the
//! last known state), the policy core's judgement of its template, what changed since the last
//! known version, and what a Job's ownership claim is worth. Rules then only decide.

use crate::facts::{Change, ChangeKind, TemplateFacts};
use crate::identity::Identity;
use crate::judge::{self, JudgedFinding};
use crate::state::{BatchKind, CronJobState, JobState};
use jobwarden_model::{AuditEvent, Outcome};
use serde_json::Value;

/// What the request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// create.
    Create,
    /// update (PUT; `kubectl replace`).
    Update,
    /// patch (merge, strategic, JSON, apply).
    Patch,
    /// delete or deletecollection.
    Delete,
    /// get of one object.
    Get,
    /// list or watch.
    List,
}

impl Action {
    /// From an audit verb.
    pub fn from_verb(verb: &str) -> Option<Action> {
        Some(match verb {
            "create" => Action::Create,
            "update" => Action::Update,
            "patch" | "apply" => Action::Patch,
            "delete" | "deletecollection" => Action::Delete,
            "get" => Action::Get,
            "list" | "watch" => Action::List,
            _ => return None,
        })
    }

    /// True for create, update and patch.
    pub fn is_write(self) -> bool {
        matches!(self, Action::Create | Action::Update | Action::Patch)
    }
}

/// Where the judged object came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectSource {
    /// `responseObject`: what the apiserver stored.
    Response,
    /// `requestObject` of a create or update.
    Request,
    /// The patch in `requestObject` applied to the last known state.
    PatchedState,
    /// No body: the audit policy logged this request at Metadata level.
    None,
}

/// What a Job's `ownerReferences` claim about a CronJob parent, checked against state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerClaim {
    /// No CronJob owner claimed.
    None,
    /// The claimed CronJob is known and its UID matches.
    Verified {
        /// Parent name.
        name: String,
    },
    /// The claimed CronJob is known but has another UID: the reference was forged or is stale.
    UidMismatch {
        /// Parent name.
        name: String,
        /// UID the Job claims.
        claimed: String,
        /// UID of the known CronJob.
        known: String,
    },
    /// No CronJob of that name was seen (it may predate the log).
    Unknown {
        /// Parent name.
        name: String,
    },
}

/// A Job made from a CronJob by hand (`kubectl create job --from=cronjob/X`), compared with X.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualFromCronJob {
    /// The parent CronJob's name.
    pub parent: String,
    /// Differences between the parent's job template and this Job's template; `None` when the
    /// parent's template is not known.
    pub differences: Option<Vec<Change>>,
}

/// One request, analysed.
#[derive(Debug)]
pub struct Analysis<'a> {
    /// The merged audit event.
    pub event: &'a AuditEvent,
    /// `file:line` of its first record.
    pub source: &'a str,
    /// Who made it.
    pub identity: &'a Identity,
    /// What it did.
    pub action: Action,
    /// To what kind.
    pub kind: BatchKind,
    /// Namespace, when namespaced.
    pub namespace: Option<String>,
    /// Object name, when known (also from `responseObject` for generateName).
    pub name: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// A server-side dry run: nothing persisted.
    pub dry_run: bool,
    /// The object after the request.
    pub object: Option<Value>,
    /// Where [`Analysis::object`] came from.
    pub object_source: ObjectSource,
    /// Facts of the object after the request.
    pub facts: Option<TemplateFacts>,
    /// The policy core's findings on the object (template and CronJob checks), most severe first.
    pub findings: Vec<JudgedFinding>,
    /// What changed compared with the last known version (update and patch).
    pub changes: Vec<Change>,
    /// For patches of objects with no known earlier version: the kinds of change the patch body
    /// names.
    pub patch_touches: Vec<ChangeKind>,
    /// The last known state of this CronJob, before the request.
    pub prior_cronjob: Option<CronJobState>,
    /// What was remembered of this Job, before the request.
    pub prior_job: Option<JobState>,
    /// A Job's CronJob-owner claim.
    pub owner: OwnerClaim,
    /// A manual instantiation from a CronJob.
    pub manual_from: Option<ManualFromCronJob>,
    /// For Jobs claiming a known CronJob owner: who created and last wrote that CronJob.
    pub parent_writers: Vec<String>,
    /// For deletes of Jobs: seconds since the Job's creation, when known.
    pub seconds_since_creation: Option<i64>,
}

impl Analysis<'_> {
    /// The request persisted a change: allowed and not a dry run.
    pub fn took_effect(&self) -> bool {
        self.outcome == Outcome::Allowed && !self.dry_run
    }

    /// The most severe template/CronJob finding.
    pub fn worst_finding(&self) -> Option<&JudgedFinding> {
        self.findings.first()
    }

    /// `Kind namespace/name` for summaries.
    pub fn object_label(&self) -> String {
        format!(
            "{} {}/{}",
            self.kind.as_str(),
            self.namespace.as_deref().unwrap_or("-"),
            self.name.as_deref().unwrap_or("<unnamed>")
        )
    }

    /// The verb in the past tense, for summaries ("created", "patched").
    pub fn past_tense(&self) -> &'static str {
        match self.event.verb.as_str() {
            "create" => "created",
            "update" => "updated",
            "patch" | "apply" => "patched",
            "delete" => "deleted",
            "deletecollection" => "deleted (collection)",
            "get" => "read",
            "list" => "listed",
            "watch" => "watched",
            _ => "touched",
        }
    }

    /// The object's annotation `key`.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.object
            .as_ref()
            .and_then(|o| o.pointer("/metadata/annotations"))
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
    }
}

/// Which batch kind a resource names, when it is one (`cronjobs`, `jobs` in group `batch`).
pub fn batch_kind(event: &AuditEvent) -> Option<BatchKind> {
    let obj = event.object_ref.as_ref()?;
    if let Some(group) = obj.api_group.as_deref()
        && !group.is_empty()
        && group != "batch"
    {
        return None;
    }
    match obj.resource.as_str() {
        "cronjobs" => Some(BatchKind::CronJob),
        "jobs" => Some(BatchKind::Job),
        _ => None,
    }
}

/// The object a write leaves behind, and where it came from.
pub fn object_after(
    event: &AuditEvent,
    action: Action,
    kind: BatchKind,
    prior: Option<&Value>,
) -> (Option<Value>, ObjectSource) {
    let is_kind = |v: &Value| {
        v.get("kind")
            .and_then(Value::as_str)
            .is_none_or(|k| k == kind.as_str())
            && v.get("spec").is_some()
    };
    if let Some(resp) = event.response_object.as_ref().filter(|v| is_kind(v)) {
        return (Some(resp.clone()), ObjectSource::Response);
    }
    match action {
        Action::Create | Action::Update => {
            if let Some(req) = event.request_object.as_ref().filter(|v| is_kind(v)) {
                let mut obj = req.clone();
                if obj.get("kind").is_none()
                    && let Some(map) = obj.as_object_mut()
                {
                    map.insert("kind".into(), Value::String(kind.as_str().into()));
                }
                return (Some(obj), ObjectSource::Request);
            }
        }
        Action::Patch => {
            if let (Some(base), Some(patch)) = (prior, event.request_object.as_ref())
                && let Ok(obj) = judge::apply_patch(base, patch)
            {
                return (Some(obj), ObjectSource::PatchedState);
            }
        }
        _ => {}
    }
    (None, ObjectSource::None)
}

/// A Job's claim of a CronJob owner, as (name, uid).
pub fn cronjob_owner_claim(object: &Value) -> Option<(String, String)> {
    object
        .pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r.get("kind").and_then(Value::as_str) == Some("CronJob"))
        .map(|r| {
            (
                r.get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                r.get("uid")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            )
        })
}

/// The annotation `kubectl create job --from=cronjob/X` (and Argo CD's "create job") sets.
pub const INSTANTIATE_ANNOTATION: &str = "cronjob.kubernetes.io/instantiate";
