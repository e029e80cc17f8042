//! Falco output, JSON (`json_output: true`: `output_fields`) or text
//! (`12:18:18.691725165: Notice <message> (evt_type=execve user=root ... k8s_pod_name=x)`).
//!
//! A Falco line is an alert about one syscall event; it is turned into the host event it
//! describes: a file event when it names a file (`fd.name`) for an open/create/rename-like
//! syscall, a container start for `container` events, otherwise a process event (the process
//! that triggered the rule, with its parent and container).

use super::{bool_at, parse_json, parse_time, str_at, time_at, u64_at};
use crate::error::{HostErrorCode, RecordError};
use crate::event::{
    ContainerContext, ContainerEvent, FileEvent, HostRecord, ProcessEvent, bare_container_id,
};
use serde_json::{Map, Value};

const PRIORITIES: &[&str] = &[
    "Emergency",
    "Alert",
    "Critical",
    "Error",
    "Warning",
    "Notice",
    "Informational",
    "Info",
    "Debug",
];

/// True for a Falco text output line: `<time>: <Priority> <message>`.
pub fn looks_like_text(line: &[u8]) -> bool {
    let text =
        String::from_utf8_lossy(line.get(..line.len().min(96)).unwrap_or_default()).into_owned();
    let Some((time, rest)) = text.split_once(": ") else {
        return false;
    };
    let time_ok = time.len() >= 8
        && time.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && time
            .bytes()
            .all(|b| b.is_ascii_digit() || b":.-+TZ".contains(&b));
    time_ok && PRIORITIES.iter().any(|p| rest.starts_with(p))
}

/// Decode one Falco line (JSON or text).
pub fn decode(line: &str) -> Result<Vec<HostRecord>, RecordError> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('{') {
        let value = parse_json(trimmed)?;
        let fields = value
            .get("output_fields")
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        if !fields.is_object() {
            return Err(RecordError::field(
                HostErrorCode::InvalidField,
                "output_fields",
                "expected an object",
            ));
        }
        let time = time_at(&value, "time").or_else(|| time_at(&fields, "evt.time"));
        let host = str_at(&value, "hostname");
        let rule = str_at(&value, "rule").unwrap_or_default();
        return from_fields(&fields, time, host, &rule);
    }
    if !looks_like_text(trimmed.as_bytes()) {
        return Err(RecordError::new(
            HostErrorCode::UnknownFormat,
            "not Falco output (JSON or `<time>: <Priority> ...`)",
        ));
    }
    let (time, rest) = trimmed.split_once(": ").unwrap_or_default();
    let fields = text_fields(rest);
    from_fields(&Value::Object(fields), parse_time(time), None, rest)
}

/// The `k=v` pairs in a text line's last parenthesised group (values may hold spaces:
/// `command=bash -il terminal=34816`), under the JSON names (`proc.cmdline`, ...).
fn text_fields(message: &str) -> Map<String, Value> {
    let mut out = Map::new();
    let inner = match (message.find('('), message.rfind(')')) {
        (Some(open), Some(close)) if close > open => {
            message.get(open + 1..close).unwrap_or_default()
        }
        _ => message,
    };
    // Find each ` key=` boundary.
    let mut starts = Vec::new();
    let bytes = inner.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let at_word = i == 0 || bytes[i - 1] == b' ';
        if at_word {
            let mut j = i;
            while j < bytes.len()
                && (bytes[j].is_ascii_alphanumeric() || b"._[]".contains(&bytes[j]))
            {
                j += 1;
            }
            if j > i && bytes.get(j) == Some(&b'=') {
                starts.push((i, j));
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    for (n, (k0, k1)) in starts.iter().enumerate() {
        let end = starts
            .get(n + 1)
            .map_or(inner.len(), |(next, _)| next.saturating_sub(1));
        let key = inner.get(*k0..*k1).unwrap_or_default();
        let value = inner
            .get(k1 + 1..end.max(k1 + 1))
            .unwrap_or_default()
            .trim();
        let json_key = match key {
            "evt_type" => "evt.type",
            "user" => "user.name",
            "user_uid" => "user.uid",
            "user_loginuid" => "user.loginuid",
            "process" => "proc.name",
            "proc_exepath" => "proc.exepath",
            "parent" => "proc.pname",
            "command" | "cmdline" => "proc.cmdline",
            "pid" => "proc.pid",
            "ppid" => "proc.ppid",
            "container_id" => "container.id",
            "container_image" => "container.image.repository",
            "container_image_tag" => "container.image.tag",
            "container_name" => "container.name",
            "k8s_ns" => "k8s.ns.name",
            "k8s_pod_name" => "k8s.pod.name",
            "file" | "fd_name" | "name" => "fd.name",
            "image" => "container.image",
            other => other,
        };
        out.insert(json_key.to_string(), Value::String(value.to_string()));
    }
    out
}

const FILE_SYSCALLS: &[&str] = &[
    "open",
    "openat",
    "openat2",
    "creat",
    "rename",
    "renameat",
    "renameat2",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "mkdir",
    "mkdirat",
    "write",
    "chmod",
    "fchmodat",
    "unlink",
    "unlinkat",
];

fn from_fields(
    f: &Value,
    time: Option<jiff::Timestamp>,
    host: Option<String>,
    rule: &str,
) -> Result<Vec<HostRecord>, RecordError> {
    let image = match (
        str_at(f, "container.image.repository"),
        str_at(f, "container.image.tag"),
    ) {
        (Some(r), Some(t)) => Some(format!("{r}:{t}")),
        (Some(r), None) => Some(r),
        _ => str_at(f, "container.image"),
    };
    let container = ContainerContext {
        id: str_at(f, "container.id")
            .map(|i| bare_container_id(&i))
            .filter(|i| i != "host"),
        name: str_at(f, "container.name").filter(|n| n != "host"),
        image,
        pod: str_at(f, "k8s.pod.name"),
        namespace: str_at(f, "k8s.ns.name"),
        pod_uid: str_at(f, "k8s.pod.uid"),
        pod_ip: str_at(f, "k8s.pod.ip"),
        privileged: bool_at(f, "container.privileged"),
        ..ContainerContext::default()
    };
    let evt_type = str_at(f, "evt.type").unwrap_or_default();
    let exe = str_at(f, "proc.exepath").or_else(|| str_at(f, "proc.exe"));
    let cmdline = str_at(f, "proc.cmdline");
    let user = str_at(f, "user.name");
    let pid = u64_at(f, "proc.pid")?;
    let path = str_at(f, "fd.name")
        .or_else(|| str_at(f, "evt.arg.path"))
        .or_else(|| str_at(f, "fs.path.name"));
    if (evt_type == "container"
        || rule.contains("Container Started")
        || rule.contains("Launch Privileged Container"))
        && container.is_known()
    {
        return Ok(vec![HostRecord::Container(ContainerEvent {
            time,
            host,
            container,
            command_line: cmdline,
        })]);
    }
    if let Some(path) = path.filter(|p| p.starts_with('/'))
        && (FILE_SYSCALLS.contains(&evt_type.as_str())
            || evt_type.is_empty() && !rule.contains("spawned"))
    {
        return Ok(vec![HostRecord::File(FileEvent {
            time,
            host,
            path,
            operation: (!evt_type.is_empty()).then_some(evt_type),
            exe,
            command_line: cmdline,
            pid,
            user,
            container,
        })]);
    }
    let Some(cmdline) = cmdline else {
        // Alerts of other sources (the k8s audit plugin's `ka.*` fields, ...) carry no
        // host event.
        let has_proc = f
            .as_object()
            .is_some_and(|m| m.keys().any(|k| k.starts_with("proc.")));
        if !has_proc {
            return Ok(Vec::new());
        }
        return Err(RecordError::field(
            HostErrorCode::MissingField,
            "proc.cmdline",
            "Falco event without a process command line",
        ));
    };
    let argv = super::split_command_line(&cmdline);
    Ok(vec![HostRecord::Process(ProcessEvent {
        time,
        host,
        pid,
        ppid: u64_at(f, "proc.ppid")?,
        uid: u64_at(f, "user.uid")?,
        user,
        exe,
        argv,
        command_line: cmdline,
        cwd: str_at(f, "proc.cwd"),
        parent_exe: str_at(f, "proc.pexepath").or_else(|| str_at(f, "proc.pname")),
        parent_command_line: str_at(f, "proc.pcmdline"),
        container,
        ..ProcessEvent::default()
    })])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_process_in_pod() {
        let line = r#"{"hostname":"node-2","output":"x","priority":"Notice","rule":"Kubernetes Client Tool Launched in Container","time":"2026-01-01T00:00:00.000000000Z","output_fields":{"container.id":"1a2b3c","container.image.repository":"bitnami/kubectl","container.image.tag":"1.29","k8s.ns.name":"ci","k8s.pod.name":"runner-abc","proc.cmdline":"kubectl get jobs -A","proc.exepath":"/opt/bitnami/kubectl/bin/kubectl","proc.pname":"bash","proc.pid":77,"user.name":"root","user.uid":0}}"#;
        let recs = decode(line).expect("decodes");
        let HostRecord::Process(p) = &recs[0] else {
            panic!()
        };
        assert_eq!(p.argv, ["kubectl", "get", "jobs", "-A"]);
        assert_eq!(p.container.pod.as_deref(), Some("runner-abc"));
        assert_eq!(p.container.image.as_deref(), Some("bitnami/kubectl:1.29"));
        assert_eq!(p.host.as_deref(), Some("node-2"));
    }

    #[test]
    fn json_file_event() {
        let line = r#"{"output":"x","priority":"Error","rule":"Schedule Cron Jobs","time":"2026-01-01T00:00:00Z","output_fields":{"evt.type":"openat","fd.name":"/etc/cron.d/x","proc.cmdline":"sh -c echo","container.id":"host"}}"#;
        let recs = decode(line).expect("decodes");
        let HostRecord::File(f) = &recs[0] else {
            panic!()
        };
        assert_eq!(f.path, "/etc/cron.d/x");
        assert!(!f.container.is_known());
    }

    #[test]
    fn other_sources_are_skipped_and_broken_process_events_reported() {
        let audit = r#"{"output":"x","priority":"Warning","rule":"Create Privileged Pod","output_fields":{"ka.user.name":"u","ka.target.resource":"pods"}}"#;
        assert!(decode(audit).expect("skipped").is_empty());
        let broken =
            r#"{"output":"x","priority":"Warning","rule":"r","output_fields":{"proc.name":"sh"}}"#;
        assert_eq!(
            decode(broken).expect_err("no cmdline").field.as_deref(),
            Some("proc.cmdline")
        );
    }

    #[test]
    fn text_line_with_spaces_in_values() {
        let line = "2026-01-01T10:00:00.000000000+0000: Notice Unexpected process (evt_type=execve user=root user_uid=0 process=kubectl proc_exepath=/usr/bin/kubectl parent=sh command=kubectl create job x --from=cronjob/y container_id=abc k8s_ns=ns k8s_pod_name=p)";
        let recs = decode(line).expect("decodes");
        let HostRecord::Process(p) = &recs[0] else {
            panic!()
        };
        assert_eq!(p.command_line, "kubectl create job x --from=cronjob/y");
        assert!(p.time.is_some());
    }
}
