//! Micro-benchmark of decoding alone (no detection): a synthetic audit log of ~1 KB events, about
//! 90% get/list/watch noise and a few batch writes, decoded with the batch prefilter and with
//! every line parsed, on one thread.
//!
//! Run: `cargo bench -p jobwarden-decode --bench decode -- [MEGABYTES]` (default 64).

use jobwarden_decode::{DecodeOptions, Prefilter, Source, SourceBlocks, decode_block};
use std::time::Instant;

/// One synthetic event of about 1 KB; every 30th is a CronJob/Job write.
fn event(i: usize) -> String {
    let (verb, resource, group) = match i % 30 {
        0 => ("create", "cronjobs", "batch"),
        15 => ("create", "jobs", "batch"),
        n if n % 3 == 0 => ("list", "pods", ""),
        n if n % 3 == 1 => ("watch", "configmaps", ""),
        27 => ("update", "leases", "coordination.k8s.io"),
        _ => ("get", "secrets", ""),
    };
    let api = if group.is_empty() {
        "/api/v1".to_string()
    } else {
        format!("/apis/{group}/v1")
    };
    format!(
        concat!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{:08x}-2f6c-4b7e-9a51-0c3d5e7f9b1d","#,
            r#""stage":"ResponseComplete","requestURI":"{}/namespaces/team-{}/{}?limit=500\u0026resourceVersion=0","verb":"{}","#,
            r#""user":{{"username":"system:serviceaccount:team-{}:worker","uid":"5b1e0f3a-7c2d-4e8f-9a6b-1c3d5e7f9a0b","groups":["system:serviceaccounts","system:serviceaccounts:team-{}","system:authenticated"],"#,
            r#""extra":{{"authentication.kubernetes.io/pod-name":["worker-7d9f8c6b5-x2k4p"],"authentication.kubernetes.io/pod-uid":["0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"]}}}},"#,
            r#""sourceIPs":["10.12.{}.{}"],"userAgent":"worker/v1.4.2 (linux/amd64) kubernetes/abcdef0","#,
            r#""objectRef":{{"resource":"{}","namespace":"team-{}","apiGroup":"{}","apiVersion":"v1"}},"#,
            r#""responseStatus":{{"metadata":{{}},"code":200}},"requestReceivedTimestamp":"2026-11-27T13:52:06.{:06}Z","#,
            r#""stageTimestamp":"2026-11-27T13:52:06.{:06}Z","annotations":{{"authorization.k8s.io/decision":"allow","#,
            r#""authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \"worker/team-{}\" of Role \"worker\" to ServiceAccount \"worker/team-{}\""}}}}"#
        ),
        i,
        api,
        i % 40,
        resource,
        verb,
        i % 40,
        i % 40,
        i % 250,
        i % 200,
        resource,
        i % 40,
        group,
        i % 1_000_000,
        (i + 3) % 1_000_000,
        i % 40,
        i % 40
    )
}

fn main() {
    let megabytes: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(64);
    let mut log = Vec::with_capacity(megabytes << 20);
    let mut i = 0;
    while log.len() < megabytes << 20 {
        log.extend_from_slice(event(i).as_bytes());
        log.push(b'\n');
        i += 1;
    }
    println!(
        "{} events, {:.1} MB, {:.0} bytes/event",
        i,
        log.len() as f64 / 1e6,
        log.len() as f64 / i as f64
    );
    let log: std::sync::Arc<[u8]> = log.into();
    for (label, prefilter) in [
        ("batch prefilter", Prefilter::batch()),
        ("parse everything", Prefilter::parse_everything()),
    ] {
        let opts = DecodeOptions {
            prefilter,
            ..DecodeOptions::default()
        };
        let start = Instant::now();
        let mut decoded = 0;
        let mut counted = 0;
        let blocks = SourceBlocks::open(&Source::memory("bench", log.clone()), &opts);
        for block in blocks.into_iter().flatten() {
            let out = decode_block(&block, &opts);
            decoded += out.stats.events_decoded;
            counted += out.stats.events();
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{label:>17}: {:>7.0} MB/s, {:>6.2} M events/s ({decoded} parsed of {counted})",
            log.len() as f64 / 1e6 / secs,
            counted as f64 / 1e6 / secs
        );
    }
}
