//! JW-AUD-0007: batch objects written with a generic HTTP client instead of kubectl or a controller.

use super::{Hit, Rule, RuleMeta, Status, detail};
use crate::analysis::Analysis;
use crate::config::Config;
use crate::identity::{ActorClass, ClientKind};
use jobwarden_model::Severity;

/// See [`META`].
pub struct ScriptedClientBatchWrite;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-AUD-0007",
    slug: "scripted-client-batch-write",
    title: "CronJob or Job written with a scripted HTTP client",
    max_severity: Severity::Medium,
    attack: &["T1053.007", "T1106"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A create, update or patch of a CronJob or Job whose user agent is a generic HTTP tool or
library (curl, wget, python-requests, Go-http-client, okhttp, ...), by an identity that is not a
controller or trusted automation.

## Why it matters
People use kubectl, Helm or GitOps; controllers identify themselves. Raw API calls with a
bearer token are what stolen-token tooling and exploit scripts look like.

## Example
`curl -k -H \"Authorization: Bearer $TOKEN\" -X POST .../apis/batch/v1/namespaces/default/cronjobs -d @cj.json`
gives `medium`. Benign look-alike: the same CronJob created with `kubectl` (JW-AUD-0001 only).

## False positives
In-house scripts that call the API directly; the user agent is chosen by the client, so this
rule can only raise suspicion, never grant trust.

## Response
Find where the token came from (source IP, pod), and whether the script is known.",
};

impl Rule for ScriptedClientBatchWrite {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Analysis<'_>, _config: &Config) -> Option<Hit> {
        if a.identity.client != ClientKind::Scripted || !a.action.is_write() || !a.took_effect() {
            return None;
        }
        if a.identity.class.is_expected_writer() || a.identity.class == ActorClass::Anonymous {
            return None;
        }
        Some(Hit {
            severity: Severity::Medium,
            summary: format!(
                "{} {} by {} with {}",
                a.object_label(),
                a.past_tense(),
                a.identity.class.label(),
                a.event.user_agent.as_deref().unwrap_or("")
            ),
            detail: vec![detail(
                "user_agent",
                a.event.user_agent.clone().unwrap_or_default(),
            )],
            remediation: None,
            dedupe_key: None,
        })
    }
}
