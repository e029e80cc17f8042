//! What the baseline learns from one batch write: an [`Observation`] extracted from an audit
//! event that created, updated or patched a Job or CronJob and took effect.
//!
//! Extraction is cheap for the events it skips (a few string comparisons), so callers may hand
//! it every event. Only what the apiserver recorded is used; the user agent is recorded as a
//! *habit* of an identity, never as a reason to trust it.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use jobwarden_cronspec::Schedule;
use jobwarden_model::{AuditEvent, Outcome};
use jobwarden_policy::template::image::ImageRef;
use jobwarden_policy::{containers, pod_template};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::net::IpAddr;

/// The client that made a request, from its user agent: `kubectl/v1.29.2 (linux/amd64) ...`
/// becomes family `kubectl`, version `1.29`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Client {
    /// Lowercased program name (`kubectl`, `helm`, `python-requests`, `go-http-client`,
    /// `argocd-application-controller`, ...); `(none)` when no user agent was recorded.
    pub family: String,
    /// `major.minor` of the version after the `/`, without a leading `v`, when there is one.
    pub version: Option<String>,
}

/// The family recorded when the event carries no user agent.
pub const NO_CLIENT: &str = "(none)";
/// The network recorded when `sourceIPs` is empty or unparsable.
pub const UNKNOWN_NETWORK: &str = "(unknown)";

impl Client {
    /// Parse a user agent. Never fails: odd agents become their own family.
    pub fn from_user_agent(ua: Option<&str>) -> Client {
        let Some(ua) = ua.map(str::trim).filter(|u| !u.is_empty()) else {
            return Client {
                family: NO_CLIENT.to_string(),
                version: None,
            };
        };
        let first = ua.split_whitespace().next().unwrap_or(ua);
        let (name, version) = match first.split_once('/') {
            Some((n, v)) => (n, Some(v)),
            None => (first, None),
        };
        let mut family: String = name
            .chars()
            .filter(|c| !c.is_control())
            .take(64)
            .collect::<String>()
            .to_ascii_lowercase();
        if let Some(stripped) = family.strip_suffix(".exe") {
            family = stripped.to_string();
        }
        if family.is_empty() {
            family = NO_CLIENT.to_string();
        }
        let version = version.and_then(major_minor);
        Client { family, version }
    }

    /// `family/version`, or the family alone.
    pub fn label(&self) -> String {
        match &self.version {
            Some(v) => format!("{}/{v}", self.family),
            None => self.family.clone(),
        }
    }
}

/// `v1.29.2-gke.1` → `1.29`; `2.0` → `2.0`; `3` → `3`; non-numeric → None.
fn major_minor(version: &str) -> Option<String> {
    let v = version.trim_start_matches(['v', 'V']);
    let mut parts = v.split(|c: char| !c.is_ascii_digit());
    let major = parts.next().filter(|p| !p.is_empty())?;
    let rest = v.get(major.len()..).unwrap_or("");
    let minor = rest
        .strip_prefix('.')
        .map(|r| r.split(|c: char| !c.is_ascii_digit()).next().unwrap_or(""))
        .filter(|m| !m.is_empty());
    Some(match minor {
        Some(m) => format!("{major}.{m}"),
        None => major.to_string(),
    })
}

/// The source network of an address: the /24 of an IPv4 address, the /64 of an IPv6 one
/// (IPv4-mapped IPv6 addresses count as IPv4). None when the text is not an address.
pub fn network_of(ip: &str) -> Option<String> {
    let ip = ip.trim();
    // Some wrappers log `ip:port`; an IPv6 address has several colons and no port form here.
    let ip = match ip.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            host
        }
        _ => ip,
    };
    let addr: IpAddr = ip.trim_matches(['[', ']']).parse().ok()?;
    let addr = match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    };
    Some(match addr {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
    })
}

/// How often a CronJob runs, in coarse buckets (from `jobwarden_cronspec`'s runs per day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleShape {
    /// Once a minute or more often.
    EveryMinute,
    /// More than hourly, less than every minute.
    SubHourly,
    /// Between daily (exclusive) and hourly (inclusive).
    Hourly,
    /// Between weekly (exclusive) and daily (inclusive).
    Daily,
    /// Weekly or rarer.
    WeeklyOrRarer,
    /// A schedule that never fires (e.g. `0 0 30 2 *`).
    Never,
    /// A schedule the controller cannot parse.
    Invalid,
}

impl ScheduleShape {
    /// Bucket a CronJob schedule (with its `timeZone`). Parsing measures the schedule over a
    /// long period (hundreds of microseconds), so shapes are remembered per thread.
    pub fn of(schedule: &str, time_zone: Option<&str>) -> ScheduleShape {
        thread_local! {
            static SHAPES: std::cell::RefCell<HashMap<(String, Option<String>), ScheduleShape>> =
                std::cell::RefCell::new(HashMap::new());
        }
        let key = (schedule.to_string(), time_zone.map(str::to_string));
        if let Some(shape) = SHAPES.with(|s| s.borrow().get(&key).copied()) {
            return shape;
        }
        let shape = ScheduleShape::measure(schedule, time_zone);
        SHAPES.with(|s| {
            let mut shapes = s.borrow_mut();
            if shapes.len() >= 4096 {
                shapes.clear();
            }
            shapes.insert(key, shape);
        });
        shape
    }

    fn measure(schedule: &str, time_zone: Option<&str>) -> ScheduleShape {
        let Ok(parsed) = Schedule::parse_for_cronjob(schedule, time_zone) else {
            return ScheduleShape::Invalid;
        };
        if parsed.never_fires() {
            return ScheduleShape::Never;
        }
        let per_day = parsed.runs_per_day();
        if per_day >= 1440.0 {
            ScheduleShape::EveryMinute
        } else if per_day > 24.0 {
            ScheduleShape::SubHourly
        } else if per_day > 1.0 {
            ScheduleShape::Hourly
        } else if per_day > 1.0 / 7.0 {
            ScheduleShape::Daily
        } else if per_day > 0.0 {
            ScheduleShape::WeeklyOrRarer
        } else {
            ScheduleShape::Never
        }
    }

    /// The stored name (`every-minute`, `hourly`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleShape::EveryMinute => "every-minute",
            ScheduleShape::SubHourly => "sub-hourly",
            ScheduleShape::Hourly => "hourly",
            ScheduleShape::Daily => "daily",
            ScheduleShape::WeeklyOrRarer => "weekly-or-rarer",
            ScheduleShape::Never => "never",
            ScheduleShape::Invalid => "invalid",
        }
    }
}

/// One container image, split the way the baseline counts it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ImageName {
    /// Registry host (with port); `docker.io` when none is written.
    pub registry: String,
    /// `registry/repository`, without tag or digest.
    pub repository: String,
}

/// What the baseline learns from one batch write.
#[derive(Debug, Clone, Serialize)]
pub struct Observation {
    /// Where the event was read (`file:line` or `stream:seq`), for alert evidence.
    pub source: String,
    /// The event's `auditID`.
    pub audit_id: String,
    /// The cluster named by the input wrapper; empty when unknown.
    pub cluster: String,
    /// Namespace of the object; empty when the event did not say.
    pub namespace: String,
    /// `CronJob` or `Job`.
    pub kind: &'static str,
    /// Object name, when known.
    pub name: Option<String>,
    /// `create`, `update` or `patch`.
    pub verb: String,
    /// Event time (request received); serialised as `time_text`.
    #[serde(skip)]
    pub time: Timestamp,
    /// The event time exactly as logged.
    pub time_text: String,
    /// The effective username (the impersonated user when impersonating).
    pub identity: String,
    /// Groups of the effective user.
    pub groups: Vec<String>,
    /// The real user behind an impersonated request.
    pub impersonated_by: Option<String>,
    /// The user agent as logged.
    pub user_agent: Option<String>,
    /// Client family and version from the user agent.
    pub client: Client,
    /// `sourceIPs` as logged.
    pub source_ips: Vec<String>,
    /// Source network of `sourceIPs[0]` (/24 or /64), or [`UNKNOWN_NETWORK`].
    pub network: String,
    /// Every distinct image of the template (containers, init and ephemeral containers).
    pub images: Vec<ImageName>,
    /// The CronJob's schedule shape; None for Jobs and for patches that do not show it.
    pub schedule_shape: Option<ScheduleShape>,
    /// Hour of the week in UTC: 0 is Monday 00:00–00:59, 167 Sunday 23:00–23:59.
    pub hour_of_week: u8,
}

/// A batch write could not be turned into an observation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// Neither `requestReceivedTimestamp` nor `stageTimestamp` was present.
    #[error(
        "{location}: batch write (auditID {audit_id:?}) has no requestReceivedTimestamp or stageTimestamp; the baseline needs the time"
    )]
    MissingTime {
        /// Where the event was read.
        location: String,
        /// The event's auditID.
        audit_id: String,
    },
    /// The timestamp is not RFC 3339.
    #[error(
        "{location}: field requestReceivedTimestamp (auditID {audit_id:?}) is not an RFC 3339 time: {text:?}"
    )]
    BadTime {
        /// Where the event was read.
        location: String,
        /// The event's auditID.
        audit_id: String,
        /// The text found.
        text: String,
    },
}

/// The kind a batch write acts on, when the event is one the baseline learns from.
fn batch_write_kind(event: &AuditEvent) -> Option<&'static str> {
    let obj = event.object_ref.as_ref()?;
    if obj.api_group.as_deref() != Some("batch") {
        return None;
    }
    if obj.subresource.as_deref().is_some_and(|s| !s.is_empty()) {
        // Status updates are the controllers' bookkeeping, not a write of the template.
        return None;
    }
    let kind = match obj.resource.as_str() {
        "cronjobs" => "CronJob",
        "jobs" => "Job",
        _ => return None,
    };
    matches!(event.verb.as_str(), "create" | "update" | "patch").then_some(kind)
}

impl Observation {
    /// Extract the observation from `event` read at `source`. `Ok(None)` when the event is not
    /// a create, update or patch of a `batch` Job or CronJob that took effect (denied, failed,
    /// dry-run, status subresource, or an earlier stage without an outcome).
    pub fn from_event(
        event: &AuditEvent,
        source: &str,
    ) -> Result<Option<Observation>, ExtractError> {
        let Some(kind) = batch_write_kind(event) else {
            return Ok(None);
        };
        if event.outcome() != Outcome::Allowed || event.is_dry_run() {
            return Ok(None);
        }
        let Some(time_text) = event.time_text() else {
            return Err(ExtractError::MissingTime {
                location: source.to_string(),
                audit_id: event.audit_id.clone(),
            });
        };
        let time: Timestamp = time_text.parse().map_err(|_| ExtractError::BadTime {
            location: source.to_string(),
            audit_id: event.audit_id.clone(),
            text: time_text.chars().take(80).collect(),
        })?;
        let user = event.effective_user();
        let object = template_object(event, kind);
        let mut images: Vec<ImageName> = object.map(images_of).unwrap_or_default();
        images.sort();
        images.dedup();
        let schedule_shape = object
            .filter(|_| kind == "CronJob")
            .and_then(|o| o.pointer("/spec/schedule"))
            .and_then(Value::as_str)
            .map(|s| {
                let tz = object
                    .and_then(|o| o.pointer("/spec/timeZone"))
                    .and_then(Value::as_str);
                ScheduleShape::of(s, tz)
            });
        Ok(Some(Observation {
            source: source.to_string(),
            audit_id: event.audit_id.clone(),
            cluster: event.cluster.clone().unwrap_or_default(),
            namespace: event.namespace().unwrap_or_default().to_string(),
            kind,
            name: event.object_name().map(str::to_string),
            verb: event.verb.clone(),
            time,
            time_text: time_text.to_string(),
            identity: user.username.clone(),
            groups: user.groups.clone(),
            impersonated_by: event
                .impersonated_user
                .as_ref()
                .map(|_| event.user.username.clone()),
            user_agent: event.user_agent.clone(),
            client: Client::from_user_agent(event.user_agent.as_deref()),
            source_ips: event.source_ips.clone(),
            network: event
                .source_ips
                .first()
                .and_then(|ip| network_of(ip))
                .unwrap_or_else(|| UNKNOWN_NETWORK.to_string()),
            images,
            schedule_shape,
            hour_of_week: hour_of_week(time),
        }))
    }
}

/// The hour of the week (UTC) of `time`: 0 is Monday 00:00.
pub fn hour_of_week(time: Timestamp) -> u8 {
    let dt = time.to_zoned(TimeZone::UTC).datetime();
    let day = dt.weekday().to_monday_zero_offset();
    // Both factors are small and in range: day 0..=6, hour 0..=23.
    u8::try_from(i16::from(day) * 24 + i16::from(dt.hour())).unwrap_or(0)
}

/// Name an hour of the week for people: `Sat 03:00 UTC`.
pub fn hour_of_week_label(hour: u8) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let day = DAYS.get(usize::from(hour / 24)).copied().unwrap_or("?");
    format!("{day} {:02}:00 UTC", hour % 24)
}

/// The object whose template shows the images: the stored object (responseObject) when it is a
/// whole object of the right kind, else what the client sent (a whole object or a patch body,
/// whose shape still locates the containers it names).
fn template_object<'e>(event: &'e AuditEvent, kind: &str) -> Option<&'e Value> {
    let whole = |v: &&Value| v.get("kind").and_then(Value::as_str) == Some(kind);
    event
        .response_object
        .as_ref()
        .filter(whole)
        .or(event.request_object.as_ref().filter(|v| v.is_object()))
        .or(event.response_object.as_ref().filter(|v| v.is_object()))
}

fn images_of(object: &Value) -> Vec<ImageName> {
    let Ok(template) = pod_template(object) else {
        return Vec::new();
    };
    containers(template.spec, template.spec_path)
        .iter()
        .filter_map(|c| c.container.get("image").and_then(Value::as_str))
        .filter(|image| !image.trim().is_empty())
        .map(|image| {
            let parsed = ImageRef::parse(image);
            ImageName {
                repository: parsed.full_name(),
                registry: parsed.registry,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients() {
        let c = Client::from_user_agent(Some("kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819"));
        assert_eq!(
            (c.family.as_str(), c.version.as_deref()),
            ("kubectl", Some("1.29"))
        );
        let c = Client::from_user_agent(Some("python-requests/2.31.0"));
        assert_eq!(
            (c.family.as_str(), c.version.as_deref()),
            ("python-requests", Some("2.31"))
        );
        let c = Client::from_user_agent(Some("Go-http-client/2.0"));
        assert_eq!(c.label(), "go-http-client/2.0");
        let c = Client::from_user_agent(Some("Helm/3.14.0"));
        assert_eq!(c.label(), "helm/3.14");
        let c = Client::from_user_agent(Some(
            "argocd-application-controller/v0.0.0 (linux/amd64) kubernetes/$Format",
        ));
        assert_eq!(c.family, "argocd-application-controller");
        let c = Client::from_user_agent(Some("kubectl.exe/v1.30.0 (windows/amd64)"));
        assert_eq!(c.label(), "kubectl/1.30");
        assert_eq!(Client::from_user_agent(None).family, NO_CLIENT);
        assert_eq!(Client::from_user_agent(Some("  ")).family, NO_CLIENT);
        assert_eq!(Client::from_user_agent(Some("curl")).version, None);
        assert_eq!(Client::from_user_agent(Some("x/dev")).version, None);
    }

    #[test]
    fn networks() {
        assert_eq!(network_of("10.1.2.3").as_deref(), Some("10.1.2.0/24"));
        assert_eq!(network_of("10.1.2.3:443").as_deref(), Some("10.1.2.0/24"));
        assert_eq!(
            network_of("::ffff:192.168.7.9").as_deref(),
            Some("192.168.7.0/24")
        );
        assert_eq!(
            network_of("2001:db8:1:2:3:4:5:6").as_deref(),
            Some("2001:db8:1:2::/64")
        );
        assert_eq!(
            network_of("[2001:db8::1]").as_deref(),
            Some("2001:db8::/64")
        );
        assert_eq!(network_of("not an ip"), None);
    }

    #[test]
    fn shapes() {
        assert_eq!(
            ScheduleShape::of("* * * * *", None),
            ScheduleShape::EveryMinute
        );
        assert_eq!(
            ScheduleShape::of("*/5 * * * *", None),
            ScheduleShape::SubHourly
        );
        assert_eq!(ScheduleShape::of("0 * * * *", None), ScheduleShape::Hourly);
        assert_eq!(ScheduleShape::of("0 3 * * *", None), ScheduleShape::Daily);
        assert_eq!(ScheduleShape::of("0 3 * * 1-5", None), ScheduleShape::Daily);
        assert_eq!(
            ScheduleShape::of("0 3 * * 0", None),
            ScheduleShape::WeeklyOrRarer
        );
        assert_eq!(
            ScheduleShape::of("@monthly", None),
            ScheduleShape::WeeklyOrRarer
        );
        assert_eq!(ScheduleShape::of("0 0 30 2 *", None), ScheduleShape::Never);
        assert_eq!(ScheduleShape::of("nonsense", None), ScheduleShape::Invalid);
    }

    #[test]
    fn hours_of_week() {
        // 2024-01-01 was a Monday.
        let t: Timestamp = "2024-01-01T00:30:00Z".parse().expect("time");
        assert_eq!(hour_of_week(t), 0);
        let t: Timestamp = "2024-01-07T23:59:59Z".parse().expect("time");
        assert_eq!(hour_of_week(t), 167);
        assert_eq!(hour_of_week_label(5 * 24 + 3), "Sat 03:00 UTC");
    }

    fn event(json: &str) -> AuditEvent {
        serde_json::from_str(json).expect("test event")
    }

    #[test]
    fn extracts_a_cronjob_create() {
        let e = event(
            r#"{"auditID":"a1","stage":"ResponseComplete","verb":"create",
            "requestURI":"/apis/batch/v1/namespaces/ops/cronjobs",
            "user":{"username":"alice","groups":["devs","system:authenticated"]},
            "sourceIPs":["203.0.113.7","10.0.0.1"],"userAgent":"kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819",
            "objectRef":{"resource":"cronjobs","namespace":"ops","name":"backup","apiGroup":"batch","apiVersion":"v1"},
            "responseStatus":{"code":201},
            "requestObject":{"kind":"CronJob","spec":{"schedule":"0 3 * * *","jobTemplate":{"spec":{"template":{"spec":{
               "containers":[{"name":"a","image":"ghcr.io/acme/backup:1.2"},{"name":"b","image":"busybox"}],
               "initContainers":[{"name":"i","image":"ghcr.io/acme/backup@sha256:ab"}]}}}}}},
            "requestReceivedTimestamp":"2024-01-06T03:10:00.000000Z","cluster":"prod"}"#,
        );
        let o = Observation::from_event(&e, "f.jsonl:1")
            .expect("ok")
            .expect("observed");
        assert_eq!(o.cluster, "prod");
        assert_eq!(o.namespace, "ops");
        assert_eq!(o.kind, "CronJob");
        assert_eq!(o.identity, "alice");
        assert_eq!(o.client.label(), "kubectl/1.29");
        assert_eq!(o.network, "203.0.113.0/24");
        assert_eq!(o.schedule_shape, Some(ScheduleShape::Daily));
        assert_eq!(o.hour_of_week, 5 * 24 + 3);
        let repos: Vec<_> = o.images.iter().map(|i| i.repository.as_str()).collect();
        assert_eq!(
            repos,
            vec!["docker.io/library/busybox", "ghcr.io/acme/backup"]
        );
    }

    #[test]
    fn skips_what_did_not_take_effect() {
        let base = r#""verb":"create","objectRef":{"resource":"jobs","namespace":"d","apiGroup":"batch"},"requestReceivedTimestamp":"2024-01-01T00:00:00Z""#;
        let denied = event(&format!(r#"{{{base},"responseStatus":{{"code":403}}}}"#));
        assert!(Observation::from_event(&denied, "x").expect("ok").is_none());
        let pending = event(&format!(r#"{{{base},"stage":"RequestReceived"}}"#));
        assert!(
            Observation::from_event(&pending, "x")
                .expect("ok")
                .is_none()
        );
        let dry = event(&format!(
            r#"{{{base},"requestURI":"/apis/batch/v1/namespaces/d/jobs?dryRun=All","responseStatus":{{"code":201}}}}"#
        ));
        assert!(Observation::from_event(&dry, "x").expect("ok").is_none());
        let get = event(
            r#"{"verb":"get","objectRef":{"resource":"jobs","apiGroup":"batch"},"responseStatus":{"code":200}}"#,
        );
        assert!(Observation::from_event(&get, "x").expect("ok").is_none());
        let status = event(
            r#"{"verb":"update","objectRef":{"resource":"jobs","subresource":"status","apiGroup":"batch"},"responseStatus":{"code":200}}"#,
        );
        assert!(Observation::from_event(&status, "x").expect("ok").is_none());
        let ok = event(&format!(r#"{{{base},"responseStatus":{{"code":201}}}}"#));
        let o = Observation::from_event(&ok, "x")
            .expect("ok")
            .expect("observed");
        assert!(o.images.is_empty() && o.schedule_shape.is_none());
        assert_eq!(o.client.family, NO_CLIENT);
        assert_eq!(o.network, UNKNOWN_NETWORK);
    }

    #[test]
    fn time_errors_name_the_source_and_field() {
        let e = event(
            r#"{"auditID":"z","verb":"patch","objectRef":{"resource":"cronjobs","apiGroup":"batch"},"responseStatus":{"code":200}}"#,
        );
        let err = Observation::from_event(&e, "audit.log:7").expect_err("no time");
        assert!(err.to_string().contains("audit.log:7"), "{err}");
        let e = event(
            r#"{"auditID":"z","verb":"patch","objectRef":{"resource":"cronjobs","apiGroup":"batch"},"responseStatus":{"code":200},"requestReceivedTimestamp":"yesterday"}"#,
        );
        let err = Observation::from_event(&e, "audit.log:8").expect_err("bad time");
        assert!(
            err.to_string().contains("requestReceivedTimestamp")
                && err.to_string().contains("audit.log:8"),
            "{err}"
        );
    }

    #[test]
    fn patch_bodies_show_their_images() {
        let e = event(
            r#"{"verb":"patch","objectRef":{"resource":"cronjobs","namespace":"d","name":"c","apiGroup":"batch"},
            "responseStatus":{"code":200},"requestReceivedTimestamp":"2024-01-01T00:00:00Z",
            "requestObject":{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"45.9.148.1:5000/m:latest"}]}}}}}}}"#,
        );
        let o = Observation::from_event(&e, "x")
            .expect("ok")
            .expect("observed");
        assert_eq!(o.images.len(), 1);
        assert_eq!(o.images[0].registry, "45.9.148.1:5000");
    }
}
