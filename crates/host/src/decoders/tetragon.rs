//! Cilium Tetragon JSON export (`tetra getevents -o json`, the export file, Isovalent's
//! `process_exec` records).
//!
//! * `process_exec` becomes a process event (binary, arguments, cwd, uid, pid, parent,
//!   ancestors, pod and container identity). When the process is its container's first
//!   (`pod.container.pid == 1`) a container start is produced as well.
//! * `process_kprobe` / `process_lsm` calls that carry a file or path argument
//!   (`security_file_permission`, `fd_install`, `security_path_mknod`, ...) become file events.
//! * Other event types (exit, tracepoints) carry nothing for the rules and are skipped.

use super::{bool_at, lookup, parse_json, str_at, time_at, u64_at};
use crate::error::{HostErrorCode, RecordError};
use crate::event::{
    ContainerContext, ContainerEvent, FileEvent, HostRecord, ProcessEvent, bare_container_id,
};
use serde_json::Value;

/// Decode one Tetragon JSON line.
pub fn decode(line: &str) -> Result<Vec<HostRecord>, RecordError> {
    let value = parse_json(line)?;
    decode_value(&value)
}

/// Decode one parsed Tetragon event.
pub fn decode_value(value: &Value) -> Result<Vec<HostRecord>, RecordError> {
    let host = str_at(value, "node_name");
    let time = time_at(value, "time");
    if let Some(exec) = value.get("process_exec") {
        let process = exec.get("process").ok_or_else(|| {
            RecordError::field(
                HostErrorCode::MissingField,
                "process_exec.process",
                "exec event without process",
            )
        })?;
        let mut ev = process_of(process, "process_exec.process")?;
        ev.time = time.or(ev.time);
        ev.host = host.clone();
        if let Some(parent) = exec.get("parent") {
            ev.parent_exe = str_at(parent, "binary");
            ev.parent_command_line = Some(command_line(parent)).filter(|c| !c.is_empty());
        }
        if let Some(Value::Array(ancestors)) = exec.get("ancestors") {
            ev.ancestors = ancestors
                .iter()
                .filter_map(|a| str_at(a, "binary"))
                .collect();
        }
        let mut out = Vec::new();
        let first_in_container = u64_at(process, "pod.container.pid").ok().flatten() == Some(1)
            && !ev.container.exec_probe;
        if first_in_container && ev.container.is_known() {
            out.push(HostRecord::Container(ContainerEvent {
                time: ev.time,
                host: host.clone(),
                container: ev.container.clone(),
                command_line: Some(ev.command_line.clone()),
            }));
        }
        out.insert(0, HostRecord::Process(ev));
        return Ok(out);
    }
    for key in ["process_kprobe", "process_lsm", "process_tracepoint"] {
        let Some(probe) = value.get(key) else {
            continue;
        };
        let function = str_at(probe, "function_name")
            .or_else(|| str_at(probe, "event"))
            .unwrap_or_default();
        let Some(path) = file_path(probe) else {
            return Ok(Vec::new());
        };
        let process = probe.get("process");
        let proc_ev = match process {
            Some(p) => Some(process_of(p, &format!("{key}.process"))?),
            None => None,
        };
        let ev = FileEvent {
            time,
            host,
            path,
            operation: (!function.is_empty()).then_some(function),
            exe: proc_ev.as_ref().and_then(|p| p.exe.clone()),
            command_line: proc_ev.as_ref().map(|p| p.command_line.clone()),
            pid: proc_ev.as_ref().and_then(|p| p.pid),
            user: proc_ev
                .as_ref()
                .and_then(|p| p.user.clone().or_else(|| p.uid.map(|u| u.to_string()))),
            container: proc_ev.map(|p| p.container).unwrap_or_default(),
        };
        return Ok(vec![HostRecord::File(ev)]);
    }
    if value.get("process_exit").is_some() || value.get("process_uprobe").is_some() {
        return Ok(Vec::new());
    }
    Err(RecordError::new(
        HostErrorCode::UnknownFormat,
        "not a Tetragon event (no process_exec, process_kprobe, ...)",
    ))
}

fn file_path(probe: &Value) -> Option<String> {
    let Some(Value::Array(args)) = probe.get("args") else {
        return None;
    };
    args.iter().find_map(|a| {
        str_at(a, "file_arg.path")
            .or_else(|| str_at(a, "path_arg.path"))
            .or_else(|| str_at(a, "linux_binprm_arg.path"))
    })
}

fn command_line(process: &Value) -> String {
    let binary = str_at(process, "binary").unwrap_or_default();
    match str_at(process, "arguments") {
        Some(args) if !binary.is_empty() => format!("{binary} {args}"),
        Some(args) => args,
        None => binary,
    }
}

fn process_of(process: &Value, at: &str) -> Result<ProcessEvent, RecordError> {
    let binary = str_at(process, "binary");
    let args = str_at(process, "arguments").unwrap_or_default();
    let mut argv = Vec::new();
    if let Some(b) = &binary {
        argv.push(b.clone());
    }
    argv.extend(super::split_command_line(&args));
    let field = |name: &str| format!("{at}.{name}");
    let num = |name: &str| {
        u64_at(process, name).map_err(|e| RecordError {
            field: Some(field(name)),
            ..e
        })
    };
    let uid = num("uid")?;
    let pod = process.get("pod");
    let container = match pod {
        Some(pod) => container_of(pod),
        None => ContainerContext {
            id: str_at(process, "docker").map(|d| bare_container_id(&d)),
            ..ContainerContext::default()
        },
    };
    Ok(ProcessEvent {
        time: time_at(process, "start_time"),
        pid: num("pid")?,
        uid,
        user: str_at(process, "user.name"),
        exe: binary,
        command_line: command_line(process),
        argv,
        cwd: str_at(process, "cwd"),
        container,
        ..ProcessEvent::default()
    })
}

fn container_of(pod: &Value) -> ContainerContext {
    let labels = match lookup(pod, "pod_labels") {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect(),
        _ => Default::default(),
    };
    ContainerContext {
        id: str_at(pod, "container.id").map(|d| bare_container_id(&d)),
        name: str_at(pod, "container.name"),
        image: str_at(pod, "container.image.name"),
        pod: str_at(pod, "name"),
        namespace: str_at(pod, "namespace"),
        privileged: bool_at(pod, "container.security_context.privileged"),
        workload_kind: str_at(pod, "workload_kind"),
        workload: str_at(pod, "workload"),
        labels,
        exec_probe: bool_at(pod, "container.maybe_exec_probe").unwrap_or(false),
        ..ContainerContext::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_with_pod_and_first_process_makes_a_container_start() {
        let line = r#"{"process_exec":{"process":{"pid":10,"uid":0,"cwd":"/","binary":"/usr/bin/kubectl","arguments":"create cronjob x --image=busybox --schedule=\"* * * * *\"","start_time":"2026-01-01T00:00:00Z","pod":{"namespace":"web","name":"frontend-5d9","container":{"id":"containerd://abc","name":"app","image":{"name":"nginx:1"},"pid":1,"security_context":{"privileged":true}},"pod_labels":{"app":"web"}}},"parent":{"binary":"/usr/bin/containerd-shim-runc-v2","arguments":"-namespace k8s.io"}},"node_name":"node-1","time":"2026-01-01T00:00:01Z"}"#;
        let recs = decode(line).expect("decodes");
        assert_eq!(recs.len(), 2);
        let HostRecord::Process(p) = &recs[0] else {
            panic!()
        };
        assert_eq!(
            p.argv,
            [
                "/usr/bin/kubectl",
                "create",
                "cronjob",
                "x",
                "--image=busybox",
                "--schedule=* * * * *"
            ]
        );
        assert_eq!(p.container.id.as_deref(), Some("abc"));
        assert_eq!(p.container.privileged, Some(true));
        assert_eq!(p.host.as_deref(), Some("node-1"));
        assert!(
            matches!(&recs[1], HostRecord::Container(c) if c.container.pod.as_deref() == Some("frontend-5d9"))
        );
    }

    #[test]
    fn kprobe_file_write() {
        let line = r#"{"process_kprobe":{"process":{"pid":5,"binary":"/bin/sh","arguments":"-c \"echo x > /host/etc/cron.d/x\""},"function_name":"security_file_permission","args":[{"file_arg":{"path":"/host/etc/cron.d/x","permission":"-rw-r--r--"}},{"int_arg":2}]},"node_name":"n","time":"2026-01-01T00:00:00Z"}"#;
        let recs = decode(line).expect("decodes");
        let HostRecord::File(f) = &recs[0] else {
            panic!()
        };
        assert_eq!(f.path, "/host/etc/cron.d/x");
        assert_eq!(f.operation.as_deref(), Some("security_file_permission"));
    }

    #[test]
    fn wrong_types_name_the_field() {
        let err = decode(r#"{"process_exec":{"process":{"pid":"x"}}}"#).expect_err("bad pid");
        assert_eq!(err.field.as_deref(), Some("process_exec.process.pid"));
        assert!(
            decode(r#"{"process_exit":{}}"#)
                .expect("skipped")
                .is_empty()
        );
        assert_eq!(
            decode(r#"{"x":1}"#).expect_err("unknown").code,
            HostErrorCode::UnknownFormat
        );
    }
}
