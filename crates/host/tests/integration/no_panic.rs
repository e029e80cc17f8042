//! No input makes the host reader, the command-line parsers or the detector panic: random
//! bytes, and real-looking lines of every format cut and damaged at random, under every
//! format. Nothing is dropped silently: every non-blank line is a record, a reported error or
//! a counted skip.

use jobwarden_host::{HostConfig, HostDetector, HostFormat, HostReader, kubectl, rawapi, shell};
use proptest::prelude::*;

const SAMPLES: &[&str] = &[
    r#"type=SYSCALL msg=audit(1700000000.123:42): arch=c000003e syscall=59 success=yes exit=0 ppid=100 pid=200 uid=0 comm="kubectl" exe="/usr/bin/kubectl""#,
    r#"type=EXECVE msg=audit(1700000000.123:42): argc=3 a0="kubectl" a1="get" a2_len=4 a2[0]=6A6F6273"#,
    r#"type=PROCTITLE msg=audit(1700000000.123:42): proctitle=6B75626563746C00676574006A6F6273"#,
    r#"type=PATH msg=audit(1700000000.124:43): item=1 name="/etc/cron.d/x" nametype=CREATE"#,
    r#"{"process_exec":{"process":{"pid":1,"binary":"/usr/bin/kubectl","arguments":"create cj x --image=a --schedule=\"* * * * *\"","pod":{"namespace":"n","name":"p-29000000-abcde","container":{"id":"containerd://x","pid":1,"security_context":{"privileged":true}}}},"parent":{"binary":"/usr/bin/runc"}},"node_name":"n","time":"2026-01-01T00:00:00Z"}"#,
    r#"{"process_kprobe":{"process":{"binary":"/bin/sh"},"function_name":"fd_install","args":[{"file_arg":{"path":"/host/etc/kubernetes/manifests/x.yaml"}}]}}"#,
    r#"{"output":"x","priority":"Notice","rule":"r","time":"2026-01-01T00:00:00Z","output_fields":{"proc.cmdline":"curl -X POST https://k/apis/batch/v1/namespaces/a/jobs","container.id":"abc","evt.type":"execve"}}"#,
    "12:18:18.691725165: Notice A shell was spawned (evt_type=execve user=root process=bash command=bash -il container_id=7a2566e8e462 k8s_ns=default k8s_pod_name=x)",
    r#"<Event><System><EventID>1</EventID><Computer>h</Computer></System><EventData><Data Name="CommandLine">sh -c 'kubectl apply -f - &lt;&lt;EOF'</Data><Data Name="Image">/bin/sh</Data></EventData></Event>"#,
    r#"{"@timestamp":"2026-01-01T00:00:00Z","event":{"category":["process"]},"process":{"args":["kubectl","--as","system:masters","create","job","x"],"parent":{"executable":"/usr/sbin/nginx"}}}"#,
    r#"[2026-01-01T00:00:00.000Z] "PATCH /apis/batch/v1/namespaces/a/cronjobs/b HTTP/1.1" 200 - 1 2 3 4 "-" "curl/8" "r" "a" "10.0.0.1:3333""#,
];

fn all_formats() -> Vec<Option<HostFormat>> {
    std::iter::once(None)
        .chain(HostFormat::ALL.into_iter().map(Some))
        .collect()
}

fn drive(bytes: &[u8], format: Option<HostFormat>, max_line: usize) {
    let mut reader = HostReader::new(bytes, "fuzz", format).with_max_line_bytes(max_line);
    let mut detector = HostDetector::new(HostConfig::default());
    let mut alerts = Vec::new();
    let mut records = 0u64;
    let mut errors = 0u64;
    for item in reader.by_ref() {
        match item {
            Ok((record, loc)) => {
                records += 1;
                detector.push(&record, &loc, &mut alerts);
            }
            Err(e) => {
                errors += 1;
                assert!(!e.message.is_empty());
                assert!(e.location.line >= 1);
            }
        }
    }
    let stats = reader.stats();
    assert_eq!((stats.records, stats.errors), (records, errors));
    let non_blank = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty())
        .count() as u64;
    // Each non-blank line yields something or was folded into a multi-line record (auditd
    // groups, Sysmon XML); at least one outcome overall when there was any text.
    if non_blank > 0 {
        assert!(
            records + errors + stats.ignored > 0,
            "nothing reported for {non_blank} lines"
        );
    }
    for a in &alerts {
        assert_eq!(a.schema, "jobwarden.alert/v1");
        assert!(a.evidence[0].source.starts_with("fuzz:"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), max_line in 1usize..512) {
        for format in all_formats() {
            drive(&bytes, format, max_line);
        }
    }

    #[test]
    fn damaged_samples_never_panic(
        picks in proptest::collection::vec((0usize..SAMPLES.len(), 0usize..400, any::<u8>(), 0usize..400), 1..6),
    ) {
        let mut text = Vec::new();
        for (i, cut, byte, at) in picks {
            let mut line = SAMPLES[i].as_bytes().to_vec();
            line.truncate(cut.max(1));
            let at = at % line.len().max(1);
            if at < line.len() {
                line[at] = byte;
            }
            text.extend(line);
            text.push(b'\n');
        }
        for format in all_formats() {
            drive(&text, format, 4096);
        }
    }

    #[test]
    fn command_lines_never_panic(text in "\\PC{0,300}") {
        let _ = kubectl::parse_command_line(&text);
        let _ = rawapi::parse_command_line(&text);
        let _ = shell::split_words(&text);
        let words: Vec<&str> = text.split(' ').collect();
        let mut argv = vec!["kubectl"];
        argv.extend(words);
        let _ = kubectl::parse(&argv);
    }

    #[test]
    fn shellish_command_lines_never_panic(parts in proptest::collection::vec(prop::sample::select(vec![
        "kubectl", "-n", "x", "--", "-f", "-", "|", "&&", ";", "'", "\"", "$(", ")", "`", "<<EOF", "\nEOF\n",
        ">>", "/etc/crontab", "sh", "-c", "create", "job", "--from=cronjob/", "-Anx", "--dry-run", "\\", "curl",
        "-XPOST", "/apis/batch/v1/jobs", "=", "--as", "sudo", "env", "A=b",
    ]), 0..40)) {
        let text = parts.join(" ");
        let _ = kubectl::parse_command_line(&text);
        let _ = rawapi::parse_command_line(&text);
    }
}

#[test]
fn deep_nesting_is_bounded() {
    let mut text = String::from("kubectl get jobs");
    for _ in 0..12 {
        text = format!("sh -c {}", shell_quote(&text));
    }
    let _ = kubectl::parse_command_line(&text);
    let subst = format!("{}kubectl get jobs{}", "$(".repeat(5000), ")".repeat(5000));
    let _ = kubectl::parse_command_line(&subst);
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
