//! Behaviour of the decoder on hand-written inputs: framings, wrappers, the prefilter, bad input.

use flate2::Compression;
use flate2::write::GzEncoder;
use jobwarden_decode::{
    BlockOutput, DecodeOptions, ErrorCode, InputFormat, Prefilter, Source, SourceBlocks,
    decode_block, decode_bytes, expand_sources, read_source,
};
use jobwarden_model::{Outcome, Stage};
use std::io::Write;

fn all() -> DecodeOptions {
    DecodeOptions {
        prefilter: Prefilter::parse_everything(),
        ..DecodeOptions::default()
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).expect("gzip in memory");
    enc.finish().expect("gzip in memory")
}

fn codes(out: &BlockOutput) -> Vec<(u64, ErrorCode)> {
    out.errors
        .iter()
        .map(|e| (e.location.line, e.code))
        .collect()
}

fn lines(out: &BlockOutput) -> Vec<u64> {
    out.events.iter().map(|e| e.location.line).collect()
}

const CRONJOB_CREATE: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"c1","stage":"ResponseComplete","requestURI":"/apis/batch/v1/namespaces/default/cronjobs","verb":"create","user":{"username":"mallory"},"objectRef":{"resource":"cronjobs","namespace":"default","name":"x","apiGroup":"batch","apiVersion":"v1"},"responseStatus":{"code":201}}"#;
const POD_GET: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"p1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods/x","verb":"get","user":{"username":"kubelet"},"objectRef":{"resource":"pods","namespace":"default","name":"x","apiVersion":"v1"},"responseStatus":{"code":200}}"#;

#[test]
fn jsonl_lines_keep_their_numbers_through_blanks_crlf_and_bom() {
    let input = format!("\u{feff}{CRONJOB_CREATE}\r\n\r\n   \n{POD_GET}\n{CRONJOB_CREATE}");
    let out = decode_bytes("a.log", input.as_bytes(), &all());
    assert_eq!(lines(&out), [1, 4, 5]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.stats.lines, 5);
    assert_eq!(out.stats.blank_lines, 2);
    assert_eq!(out.events[0].location.to_string(), "a.log:1");
    assert_eq!(out.events[0].event.verb, "create");
}

#[test]
fn prefilter_parses_candidates_and_counts_the_rest_by_verb() {
    let input = format!("{POD_GET}\n{CRONJOB_CREATE}\n{POD_GET}\n");
    let out = decode_bytes("a.log", input.as_bytes(), &DecodeOptions::default());
    assert_eq!(lines(&out), [2]);
    assert_eq!(out.stats.events_decoded, 1);
    assert_eq!(out.stats.events_prefiltered, 2);
    assert_eq!(out.stats.events_by_verb.get("get"), Some(&2));
    assert_eq!(out.stats.events_by_verb.get("create"), Some(&1));

    // The same counts when everything is parsed.
    let full = decode_bytes("a.log", input.as_bytes(), &all());
    assert_eq!(full.stats.events(), 3);
    assert_eq!(full.stats.events_by_verb, out.stats.events_by_verb);

    // Batches of non-batch events still count every event.
    let escaped = serde_json::to_string(POD_GET).expect("string");
    let record = format!(r#"{{"category":"kube-audit","properties":{{"log":{escaped}}}}}"#);
    let batch = format!(
        "{{\"records\":[{record},{record}]}}\n{{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{{\"message\":{escaped}}}]}}\n"
    );
    let out = decode_bytes("batch.log", batch.as_bytes(), &DecodeOptions::default());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.stats.events(), 3);
    assert_eq!(out.stats.events_by_verb.get("get"), Some(&3));

    // A needle hidden behind an escape still makes a candidate.
    let hidden = POD_GET.replace(r#""resource":"pods""#, r#""resource":"cron\u006aobs""#);
    let out = decode_bytes("a.log", hidden.as_bytes(), &DecodeOptions::default());
    assert_eq!(out.stats.events_decoded, 1);
    assert_eq!(out.events[0].event.resource(), "cronjobs");
}

#[test]
fn non_candidate_lines_that_look_wrong_are_parsed_for_a_precise_error() {
    let input = "{\"kind\": 0}\n{\"verb\":\"get\", oops}\nnot json at all\n[1,2]\n\"str\"\n";
    let out = decode_bytes("bad.log", input.as_bytes(), &all());
    assert!(out.events.is_empty());
    assert_eq!(
        codes(&out),
        [
            (1, ErrorCode::NotAnAuditEvent),
            (2, ErrorCode::InvalidJson),
            (3, ErrorCode::InvalidJson),
            (4, ErrorCode::NotAnAuditEvent),
            (4, ErrorCode::NotAnAuditEvent),
            (5, ErrorCode::NotAnAuditEvent),
        ]
    );
    assert_eq!(out.stats.skipped_total(), 6);
    assert!(
        out.errors[1].message.contains("column"),
        "{}",
        out.errors[1].message
    );

    // With the prefilter, a non-candidate line is only sanity-checked: braces and a verb are
    // enough to be counted (line 2), everything else is still parsed and reported.
    let out = decode_bytes("bad.log", input.as_bytes(), &DecodeOptions::default());
    assert_eq!(out.stats.events_prefiltered, 1);
    assert_eq!(out.errors.len(), 5);
}

#[test]
fn wrong_field_types_name_the_field_path() {
    let input = CRONJOB_CREATE.replace(r#""code":201"#, r#""code":"201""#);
    let out = decode_bytes("t.log", input.as_bytes(), &DecodeOptions::default());
    assert_eq!(codes(&out), [(1, ErrorCode::WrongFieldType)]);
    assert_eq!(out.errors[0].field.as_deref(), Some("responseStatus.code"));

    let groups = CRONJOB_CREATE.replace(
        r#""username":"mallory""#,
        r#""username":"m","groups":"admins""#,
    );
    let out = decode_bytes("t.log", groups.as_bytes(), &DecodeOptions::default());
    assert_eq!(out.errors[0].field.as_deref(), Some("user.groups"));

    // Inside a wrapper, the path starts at the wrapper's field.
    let escaped = serde_json::to_string(&input).expect("string");
    let aks = format!(r#"{{"category":"kube-audit","properties":{{"log":{escaped}}}}}"#);
    let out = decode_bytes("aks.log", aks.as_bytes(), &DecodeOptions::default());
    assert_eq!(codes(&out), [(1, ErrorCode::WrongFieldType)]);
    assert_eq!(
        out.errors[0].field.as_deref(),
        Some("properties.log.responseStatus.code")
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let in_event = format!(
        r#"{{"auditID":"d","verb":"create","objectRef":{{"resource":"jobs"}},"requestObject":{arrays}}}"#
    );
    // Unknown keys are skipped without recursion: deep but valid, and simply not an event.
    let objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    for opts in [DecodeOptions::default(), all()] {
        let input = format!("{arrays}\n{in_event}\n{objects}\n");
        let out = decode_bytes("deep.log", input.as_bytes(), &opts);
        assert!(out.events.is_empty());
        assert_eq!(
            codes(&out),
            [
                (1, ErrorCode::NestingTooDeep),
                (2, ErrorCode::NestingTooDeep),
                (3, ErrorCode::NotAnAuditEvent)
            ]
        );
        // The same as multi-line documents.
        let pretty = format!("[\n{arrays}\n]\n");
        let out = decode_bytes("deep.json", pretty.as_bytes(), &opts);
        assert_eq!(codes(&out), [(2, ErrorCode::NestingTooDeep)]);
    }
}

#[test]
fn pretty_printed_event_lists_keep_each_item_line() {
    let list = r#"{
  "kind": "EventList",
  "apiVersion": "audit.k8s.io/v1",
  "metadata": {},
  "items": [
    {
      "auditID": "a1",
      "verb": "create",
      "objectRef": {"resource": "cronjobs"}
    },
    {"auditID": "a2", "verb": "get", "objectRef": {"resource": "pods"}}
  ]
}
{"kind":"EventList","items":[{"auditID":"a3","verb":"delete"}]}
"#;
    let everything = DecodeOptions {
        prefilter: Prefilter::parse_everything(),
        ..DecodeOptions::default()
    };
    let out = decode_bytes("list.json", list.as_bytes(), &everything);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let ids: Vec<(&str, u64)> = out
        .events
        .iter()
        .map(|e| (e.event.audit_id.as_str(), e.location.line))
        .collect();
    assert_eq!(ids, [("a1", 6), ("a2", 11), ("a3", 14)]);
    assert_eq!(out.stats.lines, 14);

    // Forced event-list reads one-line lists too; a JSON array of events works as well.
    let array = format!("[{CRONJOB_CREATE},\n{POD_GET}]");
    let out = decode_bytes("arr.json", array.as_bytes(), &everything);
    assert_eq!(lines(&out), [1, 2]);
    let forced = DecodeOptions {
        format: InputFormat::EventList,
        prefilter: Prefilter::parse_everything(),
        ..DecodeOptions::default()
    };
    let one_line = r#"{"kind":"EventList","items":[{"auditID":"x","verb":"get"},{"auditID":"y","verb":"list"}]}"#;
    let out = decode_bytes("l.json", one_line.as_bytes(), &forced);
    assert_eq!(out.events.len(), 2);
    // ... and in a JSON-lines file, a one-line EventList is a candidate whatever its content.
    let out = decode_bytes(
        "l.jsonl",
        format!("{POD_GET}\n{one_line}\n").as_bytes(),
        &DecodeOptions::default(),
    );
    assert_eq!(out.stats.events(), 3);
}

#[test]
fn event_list_items_go_through_the_prefilter_and_are_still_counted() {
    // An audit webhook batch: mostly reads. Only the batch write is parsed; the reads are
    // counted by verb, as prefiltered lines are; an item the scan cannot read is parsed.
    let batch = format!(
        r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{POD_GET},{CRONJOB_CREATE},{POD_GET},{{"auditID":"odd", "verb": "list"}}]}}"#
    );
    let opts = DecodeOptions {
        format: InputFormat::EventList,
        ..DecodeOptions::default()
    };
    let out = decode_bytes("batch.json", batch.as_bytes(), &opts);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let ids: Vec<&str> = out
        .events
        .iter()
        .map(|e| e.event.audit_id.as_str())
        .collect();
    assert_eq!(ids, ["c1", "odd"]);
    assert_eq!(out.stats.events_prefiltered, 2);
    assert_eq!(out.stats.events(), 4);
    assert_eq!(out.stats.events_by_verb.get("get"), Some(&2));

    // Without a prefilter every item is decoded.
    let everything = DecodeOptions {
        prefilter: Prefilter::parse_everything(),
        ..opts
    };
    let out = decode_bytes("batch.json", batch.as_bytes(), &everything);
    assert_eq!(out.events.len(), 4);
}

#[test]
fn single_pretty_printed_event_and_concatenated_documents() {
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(CRONJOB_CREATE).expect("json"),
    )
    .expect("json");
    let input = format!("{pretty}\n{pretty}{pretty}\n\n");
    let out = decode_bytes("p.json", input.as_bytes(), &DecodeOptions::default());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let n = pretty.lines().count() as u64;
    assert_eq!(lines(&out), [1, n + 1, 2 * n]);
}

#[test]
fn documents_report_stray_text_too_large_values_and_unterminated_ones() {
    let input = "{\n\"auditID\":\"a\",\"verb\":\"get\"}\nstray words here\n{\"auditID\":\"b\",\n\"verb\":\"get\"}\n{\"auditID\":\"c\",\n";
    let out = decode_bytes("d.json", input.as_bytes(), &DecodeOptions::default());
    assert_eq!(lines(&out), [1, 4]);
    assert_eq!(
        codes(&out),
        [(3, ErrorCode::InvalidJson), (6, ErrorCode::InvalidJson)]
    );

    let small = DecodeOptions {
        max_record_bytes: 40,
        ..DecodeOptions::default()
    };
    let big = format!(
        "{{\n\"auditID\":\"{}\",\"verb\":\"get\"}}\n{{\"auditID\":\"ok\",\n\"verb\":\"get\"}}\n",
        "x".repeat(100)
    );
    let out = decode_bytes("d.json", big.as_bytes(), &small);
    assert_eq!(codes(&out), [(1, ErrorCode::RecordTooLarge)]);
    assert_eq!(lines(&out), [3]);
}

#[test]
fn gke_entries_become_audit_events() {
    let entry = r#"{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"dev@example.com"},"methodName":"io.k8s.batch.v1.cronjobs.create","requestMetadata":{"callerIp":"10.0.0.7","callerSuppliedUserAgent":"kubectl/v1.29.0"},"resourceName":"batch/v1/namespaces/prod/cronjobs/backup","serviceName":"k8s.io","status":{"code":7,"message":"forbidden"},"request":{"@type":"batch.k8s.io/v1.CronJob","kind":"CronJob","metadata":{"name":"backup"}}},"insertId":"ins-1","operation":{"id":"op-1","producer":"k8s.io","first":true,"last":true},"resource":{"type":"k8s_cluster","labels":{"cluster_name":"gke-prod","location":"eu"}},"timestamp":"2025-01-01T00:00:00.5Z","labels":{"authorization.k8s.io/decision":"forbid"}}"#;
    let out = decode_bytes("gke.json", entry.as_bytes(), &DecodeOptions::default());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let ev = &out.events[0].event;
    assert_eq!(ev.audit_id, "op-1");
    assert_eq!(ev.verb, "create");
    assert_eq!(ev.user.username, "dev@example.com");
    assert_eq!(ev.source_ips, ["10.0.0.7"]);
    assert_eq!(ev.user_agent.as_deref(), Some("kubectl/v1.29.0"));
    assert_eq!(ev.resource(), "cronjobs");
    assert_eq!(ev.namespace(), Some("prod"));
    assert_eq!(ev.object_name(), Some("backup"));
    assert_eq!(
        ev.object_ref.as_ref().and_then(|o| o.api_group.as_deref()),
        Some("batch")
    );
    assert_eq!(ev.status_code(), Some(403));
    assert_eq!(ev.outcome(), Outcome::Denied);
    assert_eq!(ev.cluster.as_deref(), Some("gke-prod"));
    assert_eq!(ev.level.as_deref(), Some("Request"));
    assert_eq!(ev.request_uri, "/apis/batch/v1/namespaces/prod/cronjobs");
    let body = ev.request_object.as_ref().expect("request body");
    assert!(body.get("@type").is_none());
    assert_eq!(body["kind"], "CronJob");
    assert_eq!(ev.time_text(), Some("2025-01-01T00:00:00.5Z"));

    // Other GCP services' audit entries are not Kubernetes events.
    let other = r#"{"protoPayload":{"serviceName":"storage.googleapis.com","methodName":"storage.objects.get"},"insertId":"x"}"#;
    let out = decode_bytes("gke.json", other.as_bytes(), &all());
    assert_eq!(codes(&out), [(1, ErrorCode::NotAnAuditEvent)]);
}

#[test]
fn aks_records_with_string_or_object_logs_and_batches() {
    let escaped = serde_json::to_string(CRONJOB_CREATE).expect("string");
    let rid = "/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS-1";
    let as_string = format!(
        r#"{{"category":"kube-audit","properties":{{"log":{escaped},"pod":"kube-apiserver-1"}},"resourceId":"{rid}"}}"#
    );
    let as_object = format!(
        r#"{{"category":"kube-audit-admin","properties":{{"log":{CRONJOB_CREATE}}},"resourceId":"{rid}"}}"#
    );
    let batch = format!(r#"{{"records":[{as_string},{as_object}]}}"#);
    let other = format!(
        r#"{{"category":"kube-apiserver","properties":{{"log":"I0101 started"}},"resourceId":"{rid}"}}"#
    );
    let input = format!("{as_string}\n{as_object}\n{batch}\n{other}\n");
    let out = decode_bytes("aks.json", input.as_bytes(), &DecodeOptions::default());
    assert_eq!(lines(&out), [1, 2, 3, 3]);
    assert!(
        out.events
            .iter()
            .all(|e| e.event.cluster.as_deref() == Some("AKS-1"))
    );
    assert!(
        out.events
            .iter()
            .all(|e| e.event.verb == "create" && e.event.audit_id == "c1")
    );
    assert_eq!(codes(&out), [(4, ErrorCode::NotAnAuditEvent)]);
    assert_eq!(out.errors[0].field.as_deref(), Some("category"));
}

#[test]
fn eks_cloudwatch_shapes() {
    let escaped = serde_json::to_string(CRONJOB_CREATE).expect("string");
    let plain = format!(
        r#"{{"timestamp":1700000000000,"message":{escaped},"logStreamName":"kube-apiserver-audit-1"}}"#
    );
    let insights = format!(
        r#"{{"@timestamp":"2024-01-01 00:00:00.000","@message":{escaped},"@log":"123456789012:/aws/eks/dev/cluster"}}"#
    );
    let subscription = format!(
        r#"{{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"/aws/eks/prod/cluster","logStream":"kube-apiserver-audit-1","subscriptionFilters":["f"],"logEvents":[{{"id":"1","timestamp":1,"message":{escaped}}},{{"id":"2","timestamp":2,"message":{escaped}}}]}}"#
    );
    let not_audit = r#"{"timestamp":1,"message":"I1207 14:44:53.358394 apiserver started"}"#;
    let input = format!("{plain}\n{insights}\n{subscription}\n{not_audit}\n");
    let out = decode_bytes("eks.json", input.as_bytes(), &DecodeOptions::default());
    assert_eq!(lines(&out), [1, 2, 3, 3]);
    let clusters: Vec<Option<&str>> = out
        .events
        .iter()
        .map(|e| e.event.cluster.as_deref())
        .collect();
    assert_eq!(clusters, [None, Some("dev"), Some("prod"), Some("prod")]);
    assert_eq!(codes(&out), [(4, ErrorCode::InvalidJson)]);
    assert_eq!(out.errors[0].field.as_deref(), Some("message"));

    // `aws logs filter-log-events` output, pretty-printed.
    let filter = format!(
        "{{\n  \"events\": [\n    {{\n      \"logStreamName\": \"s\",\n      \"message\": {escaped}\n    }}\n  ],\n  \"searchedLogStreams\": []\n}}\n"
    );
    let out = decode_bytes("filter.json", filter.as_bytes(), &DecodeOptions::default());
    assert_eq!(lines(&out), [3]);
}

#[test]
fn forced_formats_accept_only_their_shape() {
    let forced = |format| DecodeOptions {
        format,
        prefilter: Prefilter::parse_everything(),
        ..DecodeOptions::default()
    };
    for format in [InputFormat::Gke, InputFormat::Aks, InputFormat::Eks] {
        let out = decode_bytes("raw.log", CRONJOB_CREATE.as_bytes(), &forced(format));
        assert_eq!(codes(&out), [(1, ErrorCode::NotAnAuditEvent)], "{format}");
    }
    let escaped = serde_json::to_string(CRONJOB_CREATE).expect("string");
    let eks = format!(r#"{{"message":{escaped}}}"#);
    assert_eq!(
        decode_bytes("e", eks.as_bytes(), &forced(InputFormat::Eks))
            .events
            .len(),
        1
    );
    assert_eq!(
        codes(&decode_bytes(
            "e",
            eks.as_bytes(),
            &forced(InputFormat::AuditJsonl)
        )),
        [(1, ErrorCode::NotAnAuditEvent)]
    );
    assert_eq!(
        decode_bytes(
            "r",
            CRONJOB_CREATE.as_bytes(),
            &forced(InputFormat::AuditJsonl)
        )
        .events
        .len(),
        1
    );
}

#[test]
fn gzip_is_detected_by_magic_including_multi_member_streams() {
    let plain = format!("{CRONJOB_CREATE}\n{POD_GET}\n");
    let mut two_members = gzip(plain.as_bytes());
    two_members.extend(gzip(plain.as_bytes()));
    let out = decode_bytes("logs.txt", &two_members, &all());
    assert_eq!(lines(&out), [1, 2, 3, 4]);
    assert!(out.errors.is_empty());
    assert_eq!(out.stats.bytes, 2 * plain.len() as u64);
}

#[test]
fn truncated_gzip_keeps_complete_lines_and_names_the_last_one() {
    let plain: String = (0..200).map(|_| format!("{CRONJOB_CREATE}\n")).collect();
    let packed = gzip(plain.as_bytes());
    for cut in [packed.len() / 3, packed.len() / 2, packed.len() - 4] {
        let out = decode_bytes("t.gz", packed.get(..cut).expect("cut"), &all());
        assert_eq!(out.errors.len(), 1, "cut {cut}: {:?}", out.errors);
        let err = &out.errors[0];
        assert_eq!(err.code, ErrorCode::TruncatedGzip);
        let kept = out.events.len() as u64;
        assert!(kept <= 200);
        assert_eq!(lines(&out), (1..=kept).collect::<Vec<_>>());
        assert_eq!(err.location.line, kept + 1);
        assert!(
            err.message
                .contains(&format!("last complete line is {kept}")),
            "{}",
            err.message
        );
    }
    // Small blocks: same outcome.
    let small = DecodeOptions {
        block_bytes: 100,
        ..all()
    };
    let out = decode_bytes("t.gz", packed.get(..packed.len() / 2).expect("cut"), &small);
    assert_eq!(
        out.errors.last().map(|e| e.code),
        Some(ErrorCode::TruncatedGzip)
    );

    // Corrupt data (not just short).
    let mut corrupt = packed.clone();
    for byte in corrupt.iter_mut().skip(20).take(40) {
        *byte ^= 0x5a;
    }
    let out = decode_bytes("c.gz", &corrupt, &all());
    assert!(
        out.errors
            .iter()
            .any(|e| matches!(e.code, ErrorCode::InvalidGzip | ErrorCode::TruncatedGzip))
    );
}

#[test]
fn oversized_lines_are_skipped_with_exact_numbers_whatever_the_block_size() {
    let long = format!(
        r#"{{"auditID":"l","verb":"get","x":"{}"}}"#,
        "y".repeat(5000)
    );
    let input = format!("{CRONJOB_CREATE}\n{long}\n{CRONJOB_CREATE}\n{long}");
    for block_bytes in [64, 1000, 4096, 1 << 20] {
        let opts = DecodeOptions {
            block_bytes,
            max_line_bytes: 1000,
            ..all()
        };
        let out = decode_bytes("long.log", input.as_bytes(), &opts);
        assert_eq!(lines(&out), [1, 3], "block {block_bytes}");
        assert_eq!(
            codes(&out),
            [(2, ErrorCode::LineTooLong), (4, ErrorCode::LineTooLong)],
            "block {block_bytes}"
        );
        assert_eq!(out.stats.lines, 4, "block {block_bytes}");
        assert!(
            out.errors[0].message.contains("5"),
            "{}",
            out.errors[0].message
        );
    }
}

#[test]
fn blocks_decode_independently_and_merge_in_order() {
    let input: String = (0..300)
        .map(|i| {
            if i % 7 == 0 {
                format!("{CRONJOB_CREATE}\n")
            } else if i % 50 == 1 {
                "bad\n".to_string()
            } else {
                format!("{POD_GET}\n")
            }
        })
        .collect();
    let opts = DecodeOptions {
        block_bytes: 1500,
        ..DecodeOptions::default()
    };
    let source = Source::memory("m.log", input.as_bytes());
    let blocks: Vec<_> = SourceBlocks::open(&source, &opts).expect("open").collect();
    assert!(blocks.len() > 10);
    // Blocks tile the source.
    let mut expected_first = 1;
    for block in &blocks {
        assert_eq!(block.first_line, expected_first);
        expected_first += block.line_count.expect("counted by the reader");
    }
    let outputs: Vec<BlockOutput> = std::thread::scope(|scope| {
        let handles: Vec<_> = blocks
            .iter()
            .map(|b| scope.spawn(|| decode_block(b, &opts)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    let parallel_lines: Vec<u64> = outputs
        .iter()
        .flat_map(|o| o.events.iter().map(|e| e.location.line))
        .collect();
    let sequential = decode_bytes("m.log", input.as_bytes(), &DecodeOptions::default());
    assert_eq!(parallel_lines, lines(&sequential));
    assert_eq!(sequential.events.len(), 43);
    assert_eq!(sequential.errors.len(), 6);
    assert_eq!(sequential.stats.lines, 300);
    assert_eq!(sequential.stats.events(), 294);
}

/// Decode `input` one block at a time with the lines counted by the decoder: every event,
/// error and count as with the reader counting.
fn decoded_with_lines_counted_by_the_decoder(input: &[u8], opts: &DecodeOptions) -> BlockOutput {
    let source = Source::memory("m.log", input);
    let mut blocks = SourceBlocks::open(&source, opts)
        .expect("open")
        .count_lines_in_decoder();
    let mut all = BlockOutput::default();
    while let Some(block) = blocks.next() {
        assert_eq!(block.line_count, None);
        let out = decode_block(&block, opts);
        blocks.lines_decoded(out.stats.lines);
        all.stats.merge(&out.stats);
        all.events.extend(out.events);
        all.errors.extend(out.errors);
    }
    all
}

#[test]
fn lines_counted_by_the_decoder_number_like_the_reader() {
    // Blank lines, a bad line, an oversized line, and no newline at the end.
    let long = format!("{{\"x\":\"{}\"}}", "a".repeat(700));
    let mut input = String::new();
    for i in 0..120 {
        match i % 9 {
            0 => input.push_str(CRONJOB_CREATE),
            3 => input.push_str("bad"),
            5 => {}
            7 => input.push_str(&long),
            _ => input.push_str(POD_GET),
        }
        input.push('\n');
    }
    input.push_str(CRONJOB_CREATE);
    for block_bytes in [64, 700, 1500, 4096, 1 << 20] {
        let opts = DecodeOptions {
            block_bytes,
            max_line_bytes: 600,
            ..DecodeOptions::default()
        };
        let counted = decode_bytes("m.log", input.as_bytes(), &opts);
        let lazy = decoded_with_lines_counted_by_the_decoder(input.as_bytes(), &opts);
        assert_eq!(lines(&lazy), lines(&counted), "block {block_bytes}");
        assert_eq!(codes(&lazy), codes(&counted), "block {block_bytes}");
        assert_eq!(lazy.stats.lines, 121, "block {block_bytes}");
        assert_eq!(lazy.stats.lines, counted.stats.lines, "block {block_bytes}");
        assert_eq!(
            lazy.stats.events(),
            counted.stats.events(),
            "block {block_bytes}"
        );
    }
}

#[test]
fn read_source_interleaves_and_reports_missing_files() {
    let mut it = read_source(
        &Source::from_arg("/definitely/not/here.log"),
        &DecodeOptions::default(),
    );
    let err = it.next().expect("one").expect_err("error");
    assert_eq!(err.code, ErrorCode::Io);
    assert_eq!(err.location.to_string(), "/definitely/not/here.log");
    assert!(it.next().is_none());
    assert_eq!(it.stats().skipped.get(&ErrorCode::Io), Some(&1));

    let input = format!("oops\n{CRONJOB_CREATE}\n{{\n");
    let items: Vec<_> = read_source(
        &Source::memory("m", input.as_bytes()),
        &DecodeOptions::default(),
    )
    .collect();
    let kinds: Vec<(bool, u64)> = items
        .iter()
        .map(|r| match r {
            Ok(e) => (true, e.location.line),
            Err(e) => (false, e.location.line),
        })
        .collect();
    assert_eq!(kinds, [(false, 1), (true, 2), (false, 3)]);
}

#[test]
fn directories_expand_recursively_in_sorted_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("b/inner")).expect("mkdir");
    std::fs::write(dir.path().join("b/inner/z.log"), CRONJOB_CREATE).expect("write");
    std::fs::write(dir.path().join("a.log.gz"), gzip(CRONJOB_CREATE.as_bytes())).expect("write");
    std::fs::write(dir.path().join("c.log"), POD_GET).expect("write");
    let sources = expand_sources(&[Source::path(dir.path())]);
    let names: Vec<String> = sources
        .iter()
        .map(|s| s.as_ref().expect("readable").name().to_string())
        .collect();
    let rel: Vec<String> = names
        .iter()
        .map(|n| {
            n.trim_start_matches(&*dir.path().to_string_lossy())
                .to_string()
        })
        .collect();
    assert_eq!(rel, ["/a.log.gz", "/b/inner/z.log", "/c.log"]);
    let total: usize = sources
        .iter()
        .flatten()
        .map(|s| read_source(s, &all()).filter(Result::is_ok).count())
        .sum();
    assert_eq!(total, 3);
    let stages: Vec<Stage> = read_source(sources[0].as_ref().expect("ok"), &all())
        .map(|r| r.expect("event").event.stage)
        .collect();
    assert_eq!(stages, [Stage::ResponseComplete]);
}

#[test]
fn a_long_first_line_does_not_change_the_framing() {
    let long = format!(
        r#"{{"auditID":"l","verb":"create","objectRef":{{"resource":"jobs"}},"requestObject":{{"data":"{}"}}}}"#,
        "z".repeat(200_000)
    );
    let input = format!("{long}\n{CRONJOB_CREATE}\n");
    let source = Source::memory("long.log", input.as_bytes());
    let opts = DecodeOptions::default();
    let blocks = SourceBlocks::open(&source, &opts).expect("open");
    assert_eq!(blocks.framing(), jobwarden_decode::Framing::Lines);
    let out = decode_bytes("long.log", input.as_bytes(), &opts);
    assert_eq!(lines(&out), [1, 2]);

    // Longer than the line limit: skipped, and the rest still read line by line.
    let small = DecodeOptions {
        max_line_bytes: 100_000,
        ..DecodeOptions::default()
    };
    let out = decode_bytes("long.log", input.as_bytes(), &small);
    assert_eq!(codes(&out), [(1, ErrorCode::LineTooLong)]);
    assert_eq!(lines(&out), [2]);
}

#[test]
fn cloudwatch_s3_exports_with_timestamp_prefixes() {
    let input =
        format!("2023-12-07T14:44:53.358Z {CRONJOB_CREATE}\n2023-12-07T14:44:54.000Z {POD_GET}\n");
    let out = decode_bytes(
        "000000.gz",
        &gzip(input.as_bytes()),
        &DecodeOptions::default(),
    );
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(lines(&out), [1]);
    assert_eq!(out.stats.events_prefiltered, 1);
}

#[test]
fn legacy_v1beta1_events_keep_their_timestamp() {
    let old = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","metadata":{"creationTimestamp":"2017-09-11T19:55:05Z"},"level":"Metadata","timestamp":"2017-09-11T19:55:05Z","auditID":"x","stage":"ResponseComplete","verb":"create","objectRef":{"resource":"cronjobs"}}"#;
    let out = decode_bytes("old.log", old.as_bytes(), &DecodeOptions::default());
    assert_eq!(
        out.events[0].event.time_text(),
        Some("2017-09-11T19:55:05Z")
    );
    // A current event's own timestamps win.
    let out = decode_bytes(
        "new.log",
        CRONJOB_CREATE.as_bytes(),
        &DecodeOptions::default(),
    );
    assert_eq!(out.events[0].event.time_text(), None);
}

#[test]
fn the_parallel_api_is_send_and_sync() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<SourceBlocks>();
    send::<jobwarden_decode::Block>();
    sync::<jobwarden_decode::Block>();
    sync::<DecodeOptions>();
    send::<BlockOutput>();
}

#[test]
fn a_large_event_list_keeps_item_lines_in_linear_time() {
    let items = 20_000;
    let mut list = String::from("{\n\"kind\": \"EventList\",\n\"items\": [\n");
    for i in 0..items {
        let sep = if i + 1 < items { "," } else { "" };
        list.push_str(&format!(
            "  {{\n    \"auditID\": \"{i}\",\n    \"verb\": \"get\"\n  }}{sep}\n"
        ));
    }
    list.push_str("]\n}\n");
    let start = std::time::Instant::now();
    let out = decode_bytes("big.json", list.as_bytes(), &DecodeOptions::default());
    assert!(
        start.elapsed().as_secs() < 20,
        "too slow: {:?}",
        start.elapsed()
    );
    assert_eq!(out.events.len(), items);
    assert_eq!(out.events[0].location.line, 4);
    assert_eq!(
        out.events[items - 1].location.line,
        4 + 4 * (items as u64 - 1)
    );
}

#[test]
fn a_wrong_type_where_an_enum_is_expected_names_the_field() {
    // serde_json calls a number where `stage` wants a string a syntax error; the JSON is
    // valid, so the record is reported as a wrong field type at `stage`.
    let line = br#"{"auditID":"x","verb":"create","objectRef":{"resource":"cronjobs"},"stage":5}"#;
    let out = decode_bytes("bad.jsonl", line, &DecodeOptions::default());
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    let err = &out.errors[0];
    assert_eq!(err.code, ErrorCode::WrongFieldType, "{err:?}");
    assert_eq!(err.field.as_deref(), Some("stage"), "{err:?}");
    // Broken JSON stays a syntax error.
    let out = decode_bytes(
        "bad.jsonl",
        br#"{"auditID":"x","verb":"create","jobs""#,
        &DecodeOptions::default(),
    );
    assert_eq!(
        out.errors[0].code,
        ErrorCode::InvalidJson,
        "{:?}",
        out.errors
    );
}
