//! Raw Kubernetes API calls made without kubectl: curl, wget, httpie and Python one-liners
//! hitting `/api/...` or `/apis/...`, with what the command line shows about the method, the
//! body and the credentials (a bearer header, the pod's service-account token file, `-k`).

use crate::event::basename;
use crate::kubectl::canonical_kind;
use crate::shell::{self, SimpleCommand};
use serde::Serialize;

/// The mounted service-account directory of every pod.
pub const SA_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// What an API path points at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApiTarget {
    /// API group (`batch`; empty for the core group).
    pub group: String,
    /// Plural resource as written (`cronjobs`).
    pub resource: String,
    /// Canonical kind when the resource is known (`CronJob`, `Job`, `Pod`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Namespace, when namespaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Object name, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ApiTarget {
    /// True for batch Jobs and CronJobs.
    pub fn is_batch(&self) -> bool {
        self.group == "batch" && matches!(self.kind.as_deref(), Some("Job" | "CronJob"))
    }
}

/// Parse the Kubernetes API path inside a URL or path:
/// `/apis/batch/v1/namespaces/ns/cronjobs/name`, `/api/v1/pods`, `.../jobs?watch=1`.
pub fn api_target(url: &str) -> Option<ApiTarget> {
    let path_start = url.find("/api/").or_else(|| url.find("/apis/"))?;
    let path = url.get(path_start..)?;
    let path = path
        .split(['?', '#', '"', '\'', ' '])
        .next()
        .unwrap_or(path);
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    let root = parts.next()?;
    let group = if root == "apis" {
        parts.next()?.to_string()
    } else {
        String::new()
    };
    let _version = parts.next()?;
    let mut rest: Vec<&str> = parts.collect();
    let mut namespace = None;
    if rest.first() == Some(&"namespaces") && rest.len() >= 3 {
        namespace = rest.get(1).map(|s| s.to_string());
        rest.drain(..2);
    }
    let resource = rest.first()?.to_string();
    let name = rest.get(1).map(|s| s.to_string());
    let typed = if group.is_empty() {
        resource.clone()
    } else {
        format!("{resource}.{group}")
    };
    let kind = canonical_kind(&typed);
    let kind = matches!(kind.as_str(), "Job" | "CronJob" | "Pod").then_some(kind);
    Some(ApiTarget {
        group,
        resource,
        kind,
        namespace,
        name,
    })
}

/// One raw API call found on a command line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RawApiCall {
    /// The client (`curl`, `wget`, `python3`, `http`).
    pub tool: String,
    /// The HTTP method as far as the command line shows (`GET` by default).
    pub method: String,
    /// The URL.
    pub url: String,
    /// What the URL points at.
    pub target: ApiTarget,
    /// A bearer token is sent (`Authorization: Bearer`, `--oauth2-bearer`, `-H @file`).
    pub bearer: bool,
    /// The pod's service-account token (or its directory) is read on this command line.
    pub service_account_token: bool,
    /// TLS verification is off (`-k`, `--insecure`, `--no-check-certificate`, `verify=False`).
    pub insecure: bool,
    /// The request body comes from a file (`--data @file`, `--post-file`), when one is named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_file: Option<String>,
    /// A user agent the command line sets (`-A`, `--user-agent`, `-H 'User-Agent: ...'`,
    /// wget `-U`): what the apiserver's audit log then shows instead of the tool's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

impl RawApiCall {
    /// POST, PUT, PATCH or DELETE.
    pub fn is_write(&self) -> bool {
        matches!(self.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE")
    }
}

/// The user agent set on a curl/wget/httpie command line, if any.
fn user_agent_of(args: &[String]) -> Option<String> {
    let header_agent = |h: &str| {
        let (name, value) = h.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("user-agent")
            .then(|| value.trim().to_string())
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let found = match a.split_once('=') {
            Some(("--user-agent", v)) => Some(v.to_string()),
            Some(("--header", v)) => header_agent(v),
            _ => match a.as_str() {
                "-A" | "--user-agent" | "-U" => it.next().cloned(),
                "-H" | "--header" => it.next().and_then(|h| header_agent(h)),
                // httpie: `User-Agent:value` as a request item.
                other => header_agent(other).filter(|_| !other.starts_with('-')),
            },
        };
        if let Some(agent) = found.filter(|v| !v.is_empty()) {
            return Some(agent);
        }
    }
    None
}

/// Every raw API call in a shell command line.
pub fn parse_command_line(text: &str) -> Vec<RawApiCall> {
    from_commands(&shell::parse_script(text), text)
}

/// Every raw API call an argv makes (itself, or what its `sh -c` script runs).
pub fn parse_argv(argv: &[String]) -> Vec<RawApiCall> {
    from_commands(&shell::commands_of_argv(argv), &argv.join(" "))
}

/// Raw API calls among already-split commands; `whole` is the whole command line, searched for
/// service-account token reads made in earlier commands (`TOKEN=$(cat .../token); curl ...`).
pub fn from_commands(commands: &[SimpleCommand], whole: &str) -> Vec<RawApiCall> {
    let sa_anywhere = whole.contains(SA_DIR);
    commands
        .iter()
        .filter_map(|c| from_command(c, sa_anywhere))
        .collect()
}

fn from_command(cmd: &SimpleCommand, sa_anywhere: bool) -> Option<RawApiCall> {
    let tool = basename(cmd.argv.first()?).to_ascii_lowercase();
    let tool = tool.strip_suffix(".exe").unwrap_or(&tool).to_string();
    let is_python = tool.starts_with("python");
    if !matches!(
        tool.as_str(),
        "curl" | "wget" | "http" | "https" | "xh" | "httpie"
    ) && !is_python
    {
        return None;
    }
    let args = cmd.argv.get(1..).unwrap_or_default();
    let joined = args.join(" ");
    let url = if is_python {
        // The URL sits somewhere in the script text.
        let at = joined.find("/api/").or_else(|| joined.find("/apis/"))?;
        let start = joined
            .get(..at)?
            .rfind(['\'', '"', ' ', '(', '+'])
            .map_or(0, |i| i + 1);
        let end = joined
            .get(at..)?
            .find(['\'', '"', ' ', ')', ','])
            .map_or(joined.len(), |i| at + i);
        joined.get(start..end)?.to_string()
    } else {
        args.iter()
            .find(|a| api_target(a).is_some() && !a.starts_with('-'))?
            .clone()
    };
    let target = api_target(&url)?;
    let mut call = RawApiCall {
        tool: tool.clone(),
        method: "GET".into(),
        url,
        target,
        user_agent: user_agent_of(args),
        service_account_token: sa_anywhere || cmd.assignments.iter().any(|a| a.contains(SA_DIR)),
        ..RawApiCall::default()
    };
    let lower = joined.to_ascii_lowercase();
    call.bearer = lower.contains("authorization: bearer")
        || lower.contains("authorization:bearer")
        || lower.contains("--oauth2-bearer")
        || lower.contains("bearer ");
    if is_python {
        let script = lower.replace(' ', "");
        for (needle, method) in [
            (".post(", "POST"),
            (".put(", "PUT"),
            (".patch(", "PATCH"),
            (".delete(", "DELETE"),
            ("method='post'", "POST"),
            ("method=\"post\"", "POST"),
            ("create_namespaced_cron_job", "POST"),
            ("create_namespaced_job", "POST"),
        ] {
            if script.contains(needle) {
                call.method = method.into();
                break;
            }
        }
        call.insecure = script.contains("verify=false");
        return Some(call);
    }
    let mut i = 0;
    let mut explicit_method = None;
    while let Some(a) = args.get(i) {
        i += 1;
        let next = args.get(i).cloned();
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let value = || inline.clone().or_else(|| next.clone());
        match (tool.as_str(), flag) {
            ("curl", "-X" | "--request") => {
                explicit_method = value().map(|m| m.to_ascii_uppercase());
                if inline.is_none() {
                    i += 1;
                }
            }
            ("curl", f) if f.starts_with("-X") && f.len() > 2 => {
                explicit_method = f.get(2..).map(str::to_ascii_uppercase);
            }
            (
                "curl",
                "-d" | "--data" | "--data-binary" | "--data-raw" | "--data-ascii"
                | "--data-urlencode" | "--json" | "-F" | "--form",
            ) => {
                if explicit_method.is_none() {
                    call.method = "POST".into();
                }
                if let Some(v) = value()
                    && let Some(file) = v.strip_prefix('@')
                {
                    call.body_file = Some(file.to_string());
                }
                if inline.is_none() {
                    i += 1;
                }
            }
            ("curl", "-T" | "--upload-file") => {
                if explicit_method.is_none() {
                    call.method = "PUT".into();
                }
                call.body_file = value();
                if inline.is_none() {
                    i += 1;
                }
            }
            ("curl", "-H" | "--header") => {
                if let Some(v) = value() {
                    // `-H @file`: headers (the Authorization one, typically) read from a file.
                    if v.starts_with('@') || v.to_ascii_lowercase().starts_with("authorization") {
                        call.bearer = true;
                    }
                    if v.contains(SA_DIR) {
                        call.service_account_token = true;
                    }
                }
                if inline.is_none() {
                    i += 1;
                }
            }
            ("curl", "-k" | "--insecure") => call.insecure = true,
            // Combined short options (`-sk`, `-sXPOST`, `-skd @f`): booleans, then at most
            // one option that takes a value (the rest of the group, or the next argument).
            ("curl", f) if f.len() > 2 && f.starts_with('-') && !f.starts_with("--") => {
                let group = f.get(1..).unwrap_or_default();
                for (at, c) in group.char_indices() {
                    let rest = group.get(at + 1..).unwrap_or_default();
                    let takes = |i: &mut usize| -> Option<String> {
                        if rest.is_empty() {
                            *i += 1;
                            next.clone()
                        } else {
                            Some(rest.to_string())
                        }
                    };
                    match c {
                        'k' => call.insecure = true,
                        'X' => {
                            explicit_method = takes(&mut i).map(|m| m.to_ascii_uppercase());
                            break;
                        }
                        'd' | 'F' => {
                            if explicit_method.is_none() {
                                call.method = "POST".into();
                            }
                            if let Some(file) =
                                takes(&mut i).and_then(|v| v.strip_prefix('@').map(str::to_string))
                            {
                                call.body_file = Some(file);
                            }
                            break;
                        }
                        'H' => {
                            if takes(&mut i).is_some_and(|v| {
                                v.starts_with('@')
                                    || v.to_ascii_lowercase().starts_with("authorization")
                            }) {
                                call.bearer = true;
                            }
                            break;
                        }
                        'o' | 'u' | 'x' | 'e' | 'A' | 'm' | 'w' | 'r' | 'E' | 'b' | 'c' | 'T' => {
                            if c == 'T' && explicit_method.is_none() {
                                call.method = "PUT".into();
                            }
                            let _ = takes(&mut i);
                            break;
                        }
                        _ => {}
                    }
                }
            }
            ("curl", "--cacert") => {
                if value().is_some_and(|v| v.contains(SA_DIR)) {
                    call.service_account_token = true;
                }
                if inline.is_none() {
                    i += 1;
                }
            }
            ("wget", "--method") => {
                explicit_method = value().map(|m| m.to_ascii_uppercase());
                if inline.is_none() {
                    i += 1;
                }
            }
            ("wget", "--post-data" | "--post-file" | "--body-data" | "--body-file") => {
                if explicit_method.is_none() {
                    call.method = "POST".into();
                }
                if flag.ends_with("-file") {
                    call.body_file = value();
                }
                if inline.is_none() {
                    i += 1;
                }
            }
            ("wget", "--header") => {
                if value().is_some_and(|v| v.to_ascii_lowercase().starts_with("authorization")) {
                    call.bearer = true;
                }
                if inline.is_none() {
                    i += 1;
                }
            }
            ("wget", "--no-check-certificate") => call.insecure = true,
            ("http" | "https" | "xh" | "httpie", m)
                if matches!(
                    m.to_ascii_uppercase().as_str(),
                    "POST" | "PUT" | "PATCH" | "DELETE"
                ) =>
            {
                explicit_method = Some(m.to_ascii_uppercase());
            }
            ("http" | "https" | "xh" | "httpie", "--verify=no" | "--verify") => {
                call.insecure = true
            }
            ("http" | "https" | "xh" | "httpie", item)
                if (item.contains(":=") || item.starts_with('@')) && explicit_method.is_none() =>
            {
                call.method = "POST".into();
            }
            _ => {}
        }
    }
    if let Some(m) = explicit_method {
        call.method = m;
    }
    if call.bearer && (lower.contains("$token") || lower.contains("${token}")) && sa_anywhere {
        call.service_account_token = true;
    }
    Some(call)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths() {
        let t = api_target(
            "https://10.96.0.1/apis/batch/v1/namespaces/kube-system/cronjobs/x?dryRun=All",
        )
        .expect("target");
        assert_eq!(
            (
                t.group.as_str(),
                t.kind.as_deref(),
                t.namespace.as_deref(),
                t.name.as_deref()
            ),
            ("batch", Some("CronJob"), Some("kube-system"), Some("x"))
        );
        let t = api_target("/apis/batch/v1beta1/cronjobs").expect("target");
        assert!(t.is_batch() && t.namespace.is_none());
        let t = api_target("https://kubernetes.default.svc/api/v1/namespaces/default/pods")
            .expect("target");
        assert_eq!(t.kind.as_deref(), Some("Pod"));
        assert!(api_target("https://example.com/index.html").is_none());
    }

    #[test]
    fn curl_post_with_service_account_token() {
        let calls = parse_command_line(
            "TOKEN=$(cat /var/run/secrets/kubernetes.io/serviceaccount/token); curl -sk -X POST -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' --data @cj.json https://kubernetes.default.svc/apis/batch/v1/namespaces/default/cronjobs",
        );
        assert_eq!(calls.len(), 1);
        let c = &calls[0];
        assert!(c.is_write() && c.bearer && c.service_account_token && c.target.is_batch());
        assert_eq!(c.body_file.as_deref(), Some("cj.json"));
        assert!(c.insecure);
    }

    #[test]
    fn combined_curl_options() {
        let c = &parse_command_line(
            "curl -skXPOST -d@x.json https://k/apis/batch/v1/namespaces/a/jobs",
        )[0];
        assert_eq!(
            (c.method.as_str(), c.insecure, c.body_file.as_deref()),
            ("POST", true, Some("x.json"))
        );
        let c =
            &parse_command_line("curl -sH 'Authorization: Bearer t' https://k/apis/batch/v1/jobs")
                [0];
        assert!(c.bearer && !c.is_write());
        let c = &parse_command_line("curl -so /tmp/out https://k/apis/batch/v1/jobs")[0];
        assert_eq!(c.url, "https://k/apis/batch/v1/jobs");
    }

    #[test]
    fn user_agents_set_on_the_command_line() {
        let ua = |cmd: &str| parse_command_line(cmd)[0].user_agent.clone();
        assert_eq!(
            ua(
                "curl -sk -A 'kubectl/v1.29.0 (linux/amd64) kubernetes/3f7a50f' https://k/apis/batch/v1/jobs"
            ),
            Some("kubectl/v1.29.0 (linux/amd64) kubernetes/3f7a50f".to_string())
        );
        assert_eq!(
            ua("curl -H 'User-Agent: helm/3.14' https://k/apis/batch/v1/jobs"),
            Some("helm/3.14".to_string())
        );
        assert_eq!(
            ua("wget --user-agent=kubectl/v1.28.1 https://k/apis/batch/v1/jobs"),
            Some("kubectl/v1.28.1".to_string())
        );
        assert_eq!(
            ua("curl -H 'Authorization: Bearer x' https://k/apis/batch/v1/jobs"),
            None
        );
    }
}
