//! JW-HOST-0009: a proxy log showing a connection to a mining pool.

use super::{Facts, Hit, Rule, RuleMeta, Status, detail};
use crate::config::HostConfig;
use crate::event::HostRecord;
use jobwarden_model::{Severity, Subject};

/// See [`META`].
pub struct ProxyMiningPool;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-HOST-0009",
    slug: "proxy-mining-pool",
    title: "Proxy log shows a connection to a mining pool",
    max_severity: Severity::High,
    attack: &["T1496", "T1053.007"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
An Envoy/Istio access-log line whose authority or upstream names a known mining pool
(`pool.`, `xmr`, `monero`, `nanopool`, `supportxmr`, `hashvault`, `c3pool`, `2miners`,
`f2pool`, `nicehash`, `moneroocean`), uses `stratum`, or reaches a raw IP on a port mining pools
use (3333, 4444, 5555, 7777, 14433, 14444, 45700, ...).

## Why it matters
Mining is what most CronJob and Job abuse in the wild ends in (Kubeflow, Dero, TeamTNT
campaigns). The egress proxy sees the pool even when the pod's image looks innocent. `high`
for pool names, `medium` for a raw IP on a pool port.

## Example
`\"CONNECT pool.supportxmr.com:443 HTTP/1.1\" 200` from `backup-29000000-x7k2p`: `high`.
Benign look-alike: `GET https://api.example.com:443/`: nothing.

## False positives
Services on the same ports (3333 is also a Grafana/dev-server default): `medium` only.

## Response
Find the pod behind the downstream address, its Job and CronJob, and suspend it.",
};

const POOL_WORDS: &[&str] = &[
    "pool.",
    "xmr",
    "monero",
    "nanopool",
    "supportxmr",
    "hashvault",
    "c3pool",
    "2miners",
    "f2pool",
    "nicehash",
    "moneroocean",
    "minexmr",
    "herominers",
    "stratum",
];
const POOL_PORTS: &[&str] = &[
    "3333", "4444", "5555", "6666", "7777", "14433", "14444", "45560", "45700", "10128", "10343",
    "20580", "3357",
];

fn host_port(addr: &str) -> (&str, Option<&str>) {
    let addr = addr.split("://").last().unwrap_or(addr);
    let addr = addr.split('/').next().unwrap_or(addr);
    match addr.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
        _ => (addr, None),
    }
}

impl Rule for ProxyMiningPool {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, _config: &HostConfig) -> Option<Hit> {
        let HostRecord::Proxy(p) = facts.record else {
            return None;
        };
        let candidates: Vec<&str> = [
            p.authority.as_deref(),
            p.upstream.as_deref(),
            (p.method == "CONNECT").then_some(p.path.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let mut found = None;
        for c in &candidates {
            let lower = c.to_ascii_lowercase();
            if let Some(w) = POOL_WORDS.iter().find(|w| lower.contains(*w)) {
                found = Some((Severity::High, format!("pool name `{w}` in {c}")));
                break;
            }
            let (host, port) = host_port(c);
            let raw_ip = !host.is_empty() && host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
            if raw_ip && port.is_some_and(|p| POOL_PORTS.contains(&p)) && found.is_none() {
                found = Some((Severity::Medium, format!("raw IP on pool port: {c}")));
            }
        }
        let (severity, why) = found?;
        Some(Hit {
            severity,
            summary: format!("possible mining-pool connection: {why}"),
            subject: Subject {
                kind: "Pod".into(),
                namespace: None,
                name: None,
                cluster: None,
            },
            detail: vec![detail("match", why)],
            remediation: Some("Identify the pod behind the downstream address; suspend its CronJob/Job and remove the workload.".to_string()),
        })
    }
}
