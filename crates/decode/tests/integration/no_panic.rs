//! No input makes the decoder panic: random bytes, damaged real-looking logs in every format,
//! every truncation of a gzip stream, under every option. Each run also checks that nothing is
//! dropped silently: decoded events and reported errors match the counters.

use flate2::Compression;
use flate2::write::GzEncoder;
use jobwarden_decode::{BlockOutput, DecodeOptions, InputFormat, Prefilter, decode_bytes};
use proptest::prelude::*;
use std::io::Write;

const SAMPLES: &[&str] = &[
    r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete","verb":"create","requestURI":"/apis/batch/v1/namespaces/d/cronjobs","user":{"username":"u","groups":["g"],"extra":{"k":["v"]}},"objectRef":{"resource":"cronjobs","namespace":"d"},"responseStatus":{"code":201},"requestObject":{"kind":"CronJob","spec":{"schedule":"* * * * *"}}}"#,
    r#"{"auditID":"b","verb":"get","objectRef":{"resource":"pods"},"annotations":{"authorization.k8s.io/decision":"allow"}}"#,
    r#"{"protoPayload":{"methodName":"io.k8s.batch.v1.jobs.create","resourceName":"batch/v1/namespaces/d/jobs/j","serviceName":"k8s.io","status":{"code":7},"authenticationInfo":{"principalEmail":"e"}},"insertId":"i","resource":{"labels":{"cluster_name":"c"}}}"#,
    r#"{"category":"kube-audit","properties":{"log":"{\"auditID\":\"c\",\"verb\":\"patch\",\"objectRef\":{\"resource\":\"cronjobs\"}}"},"resourceId":"/x/MANAGEDCLUSTERS/K"}"#,
    r#"{"logGroup":"/aws/eks/e/cluster","logEvents":[{"id":"1","message":"{\"auditID\":\"d\",\"verb\":\"delete\",\"objectRef\":{\"resource\":\"jobs\"}}"}]}"#,
    r#"{"kind":"EventList","items":[{"auditID":"e","verb":"list"},{"auditID":"e2","verb":"watch"}]}"#,
    r#"{"kubernetes":{"audit":{"auditID":"f","verb":"create","annotations":{"authorization_k8s_io/decision":"allow"}}}}"#,
];

/// A multi-line document (switches the framing when it comes first).
const PRETTY: &str = "{\n  \"kind\": \"EventList\",\n  \"items\": [\n    {\"auditID\": \"p\", \"verb\": \"list\"}\n  ]\n}\n";

fn options(block: usize, max_line: usize, format: usize, everything: bool) -> DecodeOptions {
    DecodeOptions {
        format: InputFormat::ALL[format % InputFormat::ALL.len()],
        prefilter: if everything {
            Prefilter::parse_everything()
        } else {
            Prefilter::batch()
        },
        block_bytes: block,
        max_line_bytes: max_line,
        max_record_bytes: max_line,
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

/// Nothing dropped silently: every event and error is counted.
fn accounted(out: &BlockOutput) {
    assert_eq!(out.events.len() as u64, out.stats.events_decoded);
    assert_eq!(out.errors.len() as u64, out.stats.skipped_total());
    for e in &out.errors {
        assert!(!e.message.is_empty());
        assert!(
            e.location.line <= out.stats.lines + 1,
            "{e} beyond {} lines",
            out.stats.lines
        );
    }
}

proptest! {
    #[test]
    fn random_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..1500),
        block in 1usize..300,
        max_line in 1usize..2000,
        format in 0usize..6,
        everything in any::<bool>(),
    ) {
        let out = decode_bytes("fuzz", &bytes, &options(block, max_line, format, everything));
        accounted(&out);
    }

    #[test]
    fn damaged_logs_never_panic(
        picks in proptest::collection::vec(0usize..SAMPLES.len(), 1..8),
        cut in any::<proptest::sample::Index>(),
        flips in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 0..4),
        block in 1usize..400,
        format in 0usize..6,
        everything in any::<bool>(),
        compress in any::<bool>(),
        pretty in any::<bool>(),
    ) {
        let mut text: Vec<u8> = picks.iter().flat_map(|&i| format!("{}\n", SAMPLES[i]).into_bytes()).collect();
        if pretty {
            text.extend_from_slice(PRETTY.as_bytes());
        }
        for (at, byte) in flips {
            let i = at.index(text.len());
            text[i] = byte;
        }
        let mut bytes = if compress { gzip(&text) } else { text };
        let keep = cut.index(bytes.len() + 1);
        bytes.truncate(keep);
        let out = decode_bytes("damaged", &bytes, &options(block, 1 << 20, format, everything));
        accounted(&out);
    }
}

#[test]
fn every_gzip_truncation_keeps_a_prefix_and_reports_once() {
    let text: String = SAMPLES.iter().map(|s| format!("{s}\n")).collect();
    let packed = gzip(text.as_bytes());
    let whole = decode_bytes("all.gz", &packed, &options(64, 1 << 20, 0, true));
    assert!(whole.errors.is_empty(), "{:?}", whole.errors);
    for cut in 0..packed.len() {
        let out = decode_bytes("all.gz", &packed[..cut], &options(64, 1 << 20, 0, true));
        accounted(&out);
        // Whatever was decoded is a prefix of the full decode.
        assert!(out.events.len() <= whole.events.len());
        assert_eq!(
            out.events[..],
            whole.events[..out.events.len()],
            "cut {cut}"
        );
        if cut >= 2 {
            assert_eq!(out.errors.len(), 1, "cut {cut}: {:?}", out.errors);
        }
    }
}

#[test]
fn every_text_truncation_is_handled() {
    let text: String = SAMPLES.iter().map(|s| format!("{s}\n")).collect();
    for cut in 0..text.len() {
        for everything in [false, true] {
            let out = decode_bytes(
                "cut.log",
                &text.as_bytes()[..cut],
                &options(128, 1 << 20, 0, everything),
            );
            accounted(&out);
        }
    }
}
