//! Synthetic batch-write events for the baseline tests.
#![allow(dead_code)]

use jobwarden_model::AuditEvent;
use serde_json::json;

/// One batch write to build.
#[derive(Clone)]
pub struct Write {
    pub cluster: &'static str,
    pub namespace: String,
    pub kind: &'static str,
    pub name: String,
    pub user: String,
    pub groups: Vec<String>,
    pub user_agent: String,
    pub ip: String,
    pub images: Vec<String>,
    pub schedule: Option<String>,
    pub time: jiff::Timestamp,
}

impl Write {
    pub fn cronjob(namespace: &str, name: &str, user: &str, time: jiff::Timestamp) -> Write {
        Write {
            cluster: "prod",
            namespace: namespace.to_string(),
            kind: "CronJob",
            name: name.to_string(),
            user: user.to_string(),
            groups: vec!["system:authenticated".to_string()],
            user_agent: "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819".to_string(),
            ip: "10.20.0.15".to_string(),
            images: vec!["registry.corp.example/team/app:1.0".to_string()],
            schedule: Some("0 3 * * *".to_string()),
            time,
        }
    }

    pub fn job(namespace: &str, name: &str, user: &str, time: jiff::Timestamp) -> Write {
        Write {
            kind: "Job",
            schedule: None,
            ..Write::cronjob(namespace, name, user, time)
        }
    }

    pub fn event(&self, seq: u64) -> AuditEvent {
        let containers: Vec<_> = self
            .images
            .iter()
            .enumerate()
            .map(|(i, image)| json!({"name": format!("c{i}"), "image": image}))
            .collect();
        let pod = json!({"spec": {"containers": containers, "restartPolicy": "Never"}});
        let object = if self.kind == "CronJob" {
            json!({"apiVersion": "batch/v1", "kind": "CronJob",
                   "metadata": {"name": self.name, "namespace": self.namespace},
                   "spec": {"schedule": self.schedule.clone().unwrap_or_default(),
                            "jobTemplate": {"spec": {"template": pod}}}})
        } else {
            json!({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": self.name, "namespace": self.namespace},
                   "spec": {"template": pod}})
        };
        let resource = if self.kind == "CronJob" {
            "cronjobs"
        } else {
            "jobs"
        };
        let value = json!({
            "auditID": format!("00000000-0000-0000-0000-{seq:012}"),
            "stage": "ResponseComplete",
            "level": "RequestResponse",
            "verb": "create",
            "requestURI": format!("/apis/batch/v1/namespaces/{}/{resource}", self.namespace),
            "user": {"username": self.user, "groups": self.groups},
            "sourceIPs": [self.ip],
            "userAgent": self.user_agent,
            "objectRef": {"resource": resource, "namespace": self.namespace, "name": self.name,
                          "apiGroup": "batch", "apiVersion": "v1"},
            "responseStatus": {"metadata": {}, "code": 201},
            "requestObject": object,
            "responseObject": object,
            "requestReceivedTimestamp": self.time.to_string(),
            "stageTimestamp": self.time.to_string(),
            "cluster": self.cluster,
        });
        serde_json::from_value(value).expect("synthetic event deserialises")
    }
}

pub fn at(text: &str) -> jiff::Timestamp {
    text.parse().expect("test time")
}

/// A benign fortnight starting Monday 2024-01-01: Argo CD creates CronJobs in `payments` at
/// any hour, alice creates Jobs in `ops` on weekdays 09:00-17:00 UTC with kubectl from the VPN,
/// and the cronjob-controller creates a Job for every CronJob run in both namespaces.
pub fn benign_stream(days: i64) -> Vec<Write> {
    let start = at("2024-01-01T00:00:00Z");
    let mut out = Vec::new();
    for day in 0..days {
        for hour in 0..24i64 {
            let t = start
                .checked_add(jiff::SignedDuration::from_hours(day * 24 + hour))
                .expect("in range");
            if hour % 6 == 0 {
                let mut w = Write::cronjob(
                    "payments",
                    &format!("settle-{day}-{hour}"),
                    "system:serviceaccount:argocd:argocd-application-controller",
                    t,
                );
                w.user_agent = "argocd-application-controller/v2.10.4+f89d2b2 (linux/amd64) kubernetes/$Format".into();
                w.ip = "10.0.5.17".into();
                w.groups = vec![
                    "system:serviceaccounts".into(),
                    "system:serviceaccounts:argocd".into(),
                ];
                w.images = vec![
                    "ghcr.io/acme/settle:2.1".into(),
                    "ghcr.io/acme/sidecar:1".into(),
                ];
                out.push(w);
            }
            for ns in ["payments", "ops"] {
                let mut w = Write::job(
                    ns,
                    &format!("tick-{day}-{hour}"),
                    "system:serviceaccount:kube-system:cronjob-controller",
                    t,
                );
                w.user_agent = "kube-controller-manager/v1.29.2 (linux/amd64) kubernetes/4b8e819/system:serviceaccount:kube-system:cronjob-controller".into();
                w.ip = "172.18.0.2".into();
                w.images = if ns == "payments" {
                    vec!["ghcr.io/acme/settle:2.1".into()]
                } else {
                    vec!["registry.corp.example/team/app:1.0".into()]
                };
                out.push(w);
            }
            let weekday = day % 7 < 5;
            if weekday && (9..17).contains(&hour) {
                out.push(Write::job(
                    "ops",
                    &format!("adhoc-{day}-{hour}"),
                    "alice",
                    t,
                ));
            }
        }
    }
    out
}
