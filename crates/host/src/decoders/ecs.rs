//! Elastic Common Schema documents (Elastic Defend, Auditbeat, Filebeat, and any shipper that
//! writes ECS): nested or flattened dotted keys.
//!
//! * `event.category` process (not `event.type` end) -> process event from `process.*`,
//!   `process.parent.*`, `user.*`, `host.*`, `container.*`, `orchestrator.*` /
//!   `kubernetes.*`.
//! * `event.category` file -> file event (`file.path`).
//! * `event.category` container or an `event.action` like `container_start` -> container start.
//!
//! Other categories (network, authentication, ...) are skipped.

use super::{bool_at, parse_json, str_at, strings_at, time_at, u64_at};
use crate::error::{HostErrorCode, RecordError};
use crate::event::{
    ContainerContext, ContainerEvent, FileEvent, HostRecord, ProcessEvent, bare_container_id,
};
use serde_json::Value;

/// Decode one ECS JSON line.
pub fn decode(line: &str) -> Result<Vec<HostRecord>, RecordError> {
    let v = parse_json(line)?;
    if !v.is_object() {
        return Err(RecordError::new(
            HostErrorCode::UnknownFormat,
            "ECS document is not a JSON object",
        ));
    }
    let categories: Vec<String> = strings_at(&v, "event.category")
        .into_iter()
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let types: Vec<String> = strings_at(&v, "event.type")
        .into_iter()
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let action = str_at(&v, "event.action")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let time = time_at(&v, "@timestamp").or_else(|| time_at(&v, "event.created"));
    let host = str_at(&v, "host.name")
        .or_else(|| str_at(&v, "host.hostname"))
        .or_else(|| str_at(&v, "agent.hostname"));
    let container = container_of(&v);
    let has_category = |c: &str| categories.iter().any(|x| x == c);

    if has_category("container")
        || matches!(
            action.as_str(),
            "container_start" | "container-start" | "start_container" | "container_started"
        )
    {
        return Ok(vec![HostRecord::Container(ContainerEvent {
            time,
            host,
            container,
            command_line: str_at(&v, "process.command_line"),
        })]);
    }
    let is_process = has_category("process")
        || (categories.is_empty()
            && super::lookup(&v, "process").is_some()
            && super::lookup(&v, "file.path").is_none());
    if has_category("file") || (categories.is_empty() && super::lookup(&v, "file.path").is_some()) {
        let path = str_at(&v, "file.path").ok_or_else(|| {
            RecordError::field(
                HostErrorCode::MissingField,
                "file.path",
                "file event without file.path",
            )
        })?;
        if types.iter().any(|t| t == "deletion") {
            return Ok(Vec::new());
        }
        return Ok(vec![HostRecord::File(FileEvent {
            time,
            host,
            path,
            operation: Some(if action.is_empty() {
                types.join(",")
            } else {
                action
            }),
            exe: str_at(&v, "process.executable"),
            command_line: str_at(&v, "process.command_line"),
            pid: u64_at(&v, "process.pid")?,
            user: str_at(&v, "user.name"),
            container,
        })]);
    }
    if is_process {
        if types.iter().any(|t| t == "end") || action == "end" || action.contains("exit") {
            return Ok(Vec::new());
        }
        let mut argv = strings_at(&v, "process.args");
        let command_line = str_at(&v, "process.command_line");
        if argv.is_empty()
            && let Some(c) = &command_line
        {
            argv = super::split_command_line(c);
        }
        let exe = str_at(&v, "process.executable");
        if argv.is_empty()
            && let Some(e) = exe.clone().or_else(|| str_at(&v, "process.name"))
        {
            argv.push(e);
        }
        if argv.is_empty() {
            return Err(RecordError::field(
                HostErrorCode::MissingField,
                "process.args",
                "process event without args, command line or executable",
            ));
        }
        let command_line = command_line.unwrap_or_else(|| super::auditd::join_argv(&argv));
        let parent_command_line = str_at(&v, "process.parent.command_line").or_else(|| {
            let args = strings_at(&v, "process.parent.args");
            (!args.is_empty()).then(|| super::auditd::join_argv(&args))
        });
        return Ok(vec![HostRecord::Process(ProcessEvent {
            time,
            host,
            pid: u64_at(&v, "process.pid")?,
            ppid: u64_at(&v, "process.parent.pid")?,
            uid: u64_at(&v, "user.id").ok().flatten(),
            user: str_at(&v, "user.name"),
            exe,
            argv,
            command_line,
            cwd: str_at(&v, "process.working_directory"),
            parent_exe: str_at(&v, "process.parent.executable")
                .or_else(|| str_at(&v, "process.parent.name")),
            parent_command_line,
            container,
            ..ProcessEvent::default()
        })]);
    }
    Ok(Vec::new())
}

fn container_of(v: &Value) -> ContainerContext {
    let image = match (
        str_at(v, "container.image.name"),
        str_at(v, "container.image.tag"),
    ) {
        (Some(n), Some(t)) if !n.contains(':') => Some(format!("{n}:{t}")),
        (Some(n), _) => Some(n),
        _ => None,
    };
    let resource_type = str_at(v, "orchestrator.resource.type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let pod = if resource_type == "pod" {
        str_at(v, "orchestrator.resource.name")
    } else {
        None
    }
    .or_else(|| str_at(v, "kubernetes.pod.name"));
    let mut labels = std::collections::BTreeMap::new();
    if let Some(Value::Object(m)) = super::lookup(v, "kubernetes.labels") {
        for (k, val) in m {
            if let Some(s) = val.as_str() {
                labels.insert(k.clone(), s.to_string());
            }
        }
    }
    ContainerContext {
        id: str_at(v, "container.id").map(|i| bare_container_id(&i)),
        name: str_at(v, "container.name"),
        image,
        pod,
        namespace: str_at(v, "orchestrator.namespace")
            .or_else(|| str_at(v, "kubernetes.namespace")),
        pod_uid: str_at(v, "kubernetes.pod.uid"),
        pod_ip: str_at(v, "kubernetes.pod.ip"),
        privileged: bool_at(v, "container.security_context.privileged"),
        workload_kind: str_at(v, "orchestrator.resource.parent.type"),
        workload: str_at(v, "orchestrator.resource.parent.name"),
        labels,
        exec_probe: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_process_event_in_pod() {
        let line = r#"{"@timestamp":"2026-01-01T00:00:00Z","event":{"category":["process"],"type":["start"],"action":"exec"},"host":{"name":"node-3"},"process":{"pid":10,"executable":"/usr/bin/curl","args":["curl","-k","-X","POST","https://kubernetes.default.svc/apis/batch/v1/namespaces/default/cronjobs"],"parent":{"executable":"/bin/sh","pid":9}},"user":{"name":"root","id":"0"},"container":{"id":"abc","image":{"name":"alpine","tag":"3"}},"orchestrator":{"namespace":"web","resource":{"type":"pod","name":"web-1"}}}"#;
        let HostRecord::Process(p) = &decode(line).expect("decodes")[0] else {
            panic!()
        };
        assert_eq!(p.argv.len(), 5);
        assert_eq!(p.container.pod.as_deref(), Some("web-1"));
        assert_eq!(p.container.image.as_deref(), Some("alpine:3"));
        assert_eq!(p.uid, Some(0));
    }

    #[test]
    fn flattened_keys_and_file_events() {
        let line = r#"{"@timestamp":"2026-01-01T00:00:00Z","event.category":"file","event.action":"creation","file.path":"/etc/cron.d/x","host.name":"n","process.executable":"/bin/cp"}"#;
        let HostRecord::File(f) = &decode(line).expect("decodes")[0] else {
            panic!()
        };
        assert_eq!(f.path, "/etc/cron.d/x");
        assert!(
            decode(r#"{"event":{"category":["network"]}}"#)
                .expect("skipped")
                .is_empty()
        );
        assert_eq!(
            decode(r#"{"event":{"category":"process"},"process":{"pid":"x","args":["a"]}}"#)
                .expect_err("bad pid")
                .field
                .as_deref(),
            Some("process.pid")
        );
    }
}
