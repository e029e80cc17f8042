//! Who made a request, in the terms the rules need: a control-plane controller, a node,
//! configured trusted automation, an anonymous caller, a service-account token used from inside
//! a pod, another service account, or a person.
//!
//! Classification uses only what the apiserver authenticated (username, groups, `user.extra`),
//! never the user agent or object annotations, which the client chooses.

use crate::config::{Config, glob_match};
use jobwarden_model::{AuditEvent, UserInfo};

/// kube-controller-manager's controllers that legitimately write batch objects or pods, when it
/// runs with `--use-service-account-credentials` (the default in kubeadm and managed clusters).
const BATCH_CONTROLLERS: &[&str] = &[
    "cronjob-controller",
    "job-controller",
    "ttl-after-finished-controller",
    "generic-garbage-collector",
    "namespace-controller",
    "daemon-set-controller",
    "replicaset-controller",
    "statefulset-controller",
    "deployment-controller",
    "resourcequota-controller",
    "pod-garbage-collector",
    "disruption-controller",
];

/// Usernames of control-plane components that act for the whole control plane.
const CONTROL_PLANE_USERS: &[&str] = &[
    "system:kube-controller-manager",
    "system:kube-scheduler",
    "system:apiserver",
];

/// What kind of identity made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorClass {
    /// A kube-controller-manager controller (`cronjob-controller`, `job-controller`, ...) or the
    /// controller manager itself.
    Controller(String),
    /// A kubelet (`system:node:<name>`).
    Node(String),
    /// Automation the config trusts (Argo CD, Flux, Velero, ...), by its configured name.
    TrustedAutomation(String),
    /// `system:anonymous` or the `system:unauthenticated` group.
    Anonymous,
    /// A bound service-account token presented from inside a pod (`user.extra` names the pod).
    PodServiceAccount {
        /// Namespace of the service account.
        namespace: String,
        /// Service-account name.
        name: String,
        /// The pod the token was bound to.
        pod: String,
        /// The node the pod ran on, when recorded.
        node: Option<String>,
    },
    /// A service account whose token is not bound to a pod (a legacy secret token or a token
    /// requested for use outside the cluster, e.g. by CI).
    ServiceAccount {
        /// Namespace of the service account.
        namespace: String,
        /// Service-account name.
        name: String,
    },
    /// A person or an external identity (certificate, OIDC, cloud IAM).
    Human(String),
}

impl ActorClass {
    /// A short label for summaries.
    pub fn label(&self) -> String {
        match self {
            ActorClass::Controller(c) => format!("controller {c}"),
            ActorClass::Node(n) => format!("node {n}"),
            ActorClass::TrustedAutomation(n) => format!("trusted automation ({n})"),
            ActorClass::Anonymous => "anonymous user".to_string(),
            ActorClass::PodServiceAccount {
                namespace,
                name,
                pod,
                ..
            } => format!("service-account token {namespace}/{name} used from pod {pod}"),
            ActorClass::ServiceAccount { namespace, name } => {
                format!("service account {namespace}/{name}")
            }
            ActorClass::Human(u) => format!("user {u}"),
        }
    }

    /// True for control-plane controllers and nodes.
    pub fn is_system(&self) -> bool {
        matches!(self, ActorClass::Controller(_) | ActorClass::Node(_))
    }

    /// True for controllers, nodes and configured automation: identities expected to write
    /// batch objects routinely.
    pub fn is_expected_writer(&self) -> bool {
        self.is_system() || matches!(self, ActorClass::TrustedAutomation(_))
    }
}

/// The classification of one request's identity.
#[derive(Debug, Clone)]
pub struct Identity {
    /// What kind of caller.
    pub class: ActorClass,
    /// The real authenticated user (before impersonation).
    pub authenticated: String,
    /// The user whose permissions applied (the impersonated user, when impersonating).
    pub effective: String,
    /// True when the request impersonated another user.
    pub impersonating: bool,
    /// True when the impersonated user or groups carry cluster-admin power (`system:masters`) or
    /// a control-plane identity.
    pub impersonates_privileged: bool,
    /// The client family from the user agent (`kubectl`, `curl`, ...): informative only.
    pub client: ClientKind,
}

/// The client family, from the user agent. The client chooses its user agent, so this can
/// raise suspicion but never grant trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// kubectl or oc.
    Kubectl,
    /// Helm.
    Helm,
    /// kube-controller-manager and other control-plane binaries.
    ControlPlane,
    /// A generic HTTP tool or library: curl, wget, python-requests, Go's default client, ...
    Scripted,
    /// A Kubernetes SDK used from a program (client-go default agent, OpenAPI-generated clients).
    Sdk,
    /// No user agent recorded.
    Missing,
    /// Anything else (operators with their own agent, browsers, ...).
    Other,
}

impl ClientKind {
    /// Classify a user agent string.
    pub fn from_user_agent(ua: Option<&str>) -> ClientKind {
        let Some(ua) = ua.map(str::trim).filter(|u| !u.is_empty()) else {
            return ClientKind::Missing;
        };
        let lower = ua.to_ascii_lowercase();
        let first = lower.split(['/', ' ']).next().unwrap_or("");
        match first {
            "kubectl" | "oc" | "kubectl.exe" => ClientKind::Kubectl,
            "helm" => ClientKind::Helm,
            "kube-controller-manager" | "kube-scheduler" | "kube-apiserver" | "kubelet" | "k3s" => {
                ClientKind::ControlPlane
            }
            "curl" | "wget" | "python-requests" | "python-urllib" | "go-http-client" | "okhttp"
            | "axios" | "node-fetch" | "undici" | "libwww-perl" | "httpie" | "aiohttp"
            | "python-httpx" | "httpx" | "powershell" | "ruby" | "java" | "apache-httpclient"
            | "postmanruntime" | "insomnia" => ClientKind::Scripted,
            "openapi-generator" | "swagger-codegen" | "kubernetes-client" | "fabric8"
            | "kubernetes" => ClientKind::Sdk,
            _ if lower.contains("python-requests")
                || lower.contains("curl/")
                || lower.contains("powershell/") =>
            {
                ClientKind::Scripted
            }
            _ => ClientKind::Other,
        }
    }

    /// A short name for evidence.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Kubectl => "kubectl",
            ClientKind::Helm => "helm",
            ClientKind::ControlPlane => "control-plane",
            ClientKind::Scripted => "scripted-http-client",
            ClientKind::Sdk => "sdk",
            ClientKind::Missing => "missing",
            ClientKind::Other => "other",
        }
    }
}

/// Split `system:serviceaccount:<ns>:<name>`.
pub fn service_account_of(username: &str) -> Option<(&str, &str)> {
    let rest = username.strip_prefix("system:serviceaccount:")?;
    let (ns, name) = rest.split_once(':')?;
    (!ns.is_empty() && !name.is_empty()).then_some((ns, name))
}

fn extra_first<'a>(user: &'a UserInfo, key: &str) -> Option<&'a str> {
    user.extra
        .get(key)
        .and_then(|v| v.first())
        .map(String::as_str)
}

/// True when `user` matches any of the patterns, by username or by group.
pub fn matches_any(patterns: &[String], user: &UserInfo) -> bool {
    patterns
        .iter()
        .any(|p| glob_match(p, &user.username) || user.groups.iter().any(|g| glob_match(p, g)))
}

/// Classify the identity of a request.
pub fn classify(event: &AuditEvent, config: &Config) -> Identity {
    let user = event.effective_user();
    let impersonating = event.impersonated_user.is_some();
    let impersonates_privileged = event.impersonated_user.as_ref().is_some_and(|imp| {
        imp.groups.iter().any(|g| g == "system:masters")
            || CONTROL_PLANE_USERS.contains(&imp.username.as_str())
            || service_account_of(&imp.username)
                .is_some_and(|(ns, name)| ns == "kube-system" && BATCH_CONTROLLERS.contains(&name))
    });
    // Impersonating a controller must not earn a controller's exemptions: the class is the
    // real, authenticated actor's; the impersonated identity is kept for display and rules.
    let class = if impersonating {
        classify_user(&event.user, config)
    } else {
        classify_user(user, config)
    };
    Identity {
        class,
        authenticated: event.user.username.clone(),
        effective: user.username.clone(),
        impersonating,
        impersonates_privileged,
        client: ClientKind::from_user_agent(event.user_agent.as_deref()),
    }
}

fn classify_user(user: &UserInfo, config: &Config) -> ActorClass {
    let name = user.username.as_str();
    if name == "system:anonymous" || user.groups.iter().any(|g| g == "system:unauthenticated") {
        return ActorClass::Anonymous;
    }
    if CONTROL_PLANE_USERS.contains(&name) {
        return ActorClass::Controller(name.trim_start_matches("system:").to_string());
    }
    if let Some(node) = name.strip_prefix("system:node:")
        && (user.groups.iter().any(|g| g == "system:nodes") || user.groups.is_empty())
    {
        return ActorClass::Node(node.to_string());
    }
    if let Some((ns, sa)) = service_account_of(name)
        && ns == "kube-system"
        && BATCH_CONTROLLERS.contains(&sa)
    {
        return ActorClass::Controller(sa.to_string());
    }
    if let Some(t) = config.trusted_automation.iter().find(|t| {
        t.users.iter().any(|p| glob_match(p, name))
            || t.groups
                .iter()
                .any(|p| user.groups.iter().any(|g| glob_match(p, g)))
    }) {
        return ActorClass::TrustedAutomation(t.name.clone());
    }
    if let Some((ns, sa)) = service_account_of(name) {
        if let Some(pod) = extra_first(user, "authentication.kubernetes.io/pod-name") {
            return ActorClass::PodServiceAccount {
                namespace: ns.to_string(),
                name: sa.to_string(),
                pod: pod.to_string(),
                node: extra_first(user, "authentication.kubernetes.io/node-name")
                    .map(str::to_string),
            };
        }
        return ActorClass::ServiceAccount {
            namespace: ns.to_string(),
            name: sa.to_string(),
        };
    }
    ActorClass::Human(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(json: &str) -> AuditEvent {
        serde_json::from_str(json).expect("valid test event")
    }

    #[test]
    fn controllers_nodes_and_pods() {
        let cfg = Config::default();
        let c = classify(
            &ev(r#"{"user":{"username":"system:serviceaccount:kube-system:cronjob-controller"}}"#),
            &cfg,
        );
        assert_eq!(c.class, ActorClass::Controller("cronjob-controller".into()));
        let n = classify(
            &ev(r#"{"user":{"username":"system:node:n1","groups":["system:nodes"]}}"#),
            &cfg,
        );
        assert_eq!(n.class, ActorClass::Node("n1".into()));
        let p = classify(
            &ev(
                r#"{"user":{"username":"system:serviceaccount:web:app","extra":{"authentication.kubernetes.io/pod-name":["web-1"]}},"userAgent":"python-requests/2.31"}"#,
            ),
            &cfg,
        );
        assert!(matches!(p.class, ActorClass::PodServiceAccount { ref pod, .. } if pod == "web-1"));
        assert_eq!(p.client, ClientKind::Scripted);
        let a = classify(
            &ev(r#"{"user":{"username":"system:anonymous","groups":["system:unauthenticated"]}}"#),
            &cfg,
        );
        assert_eq!(a.class, ActorClass::Anonymous);
        let t = classify(
            &ev(
                r#"{"user":{"username":"system:serviceaccount:argocd:argocd-application-controller","extra":{"authentication.kubernetes.io/pod-name":["argocd-application-controller-0"]}}}"#,
            ),
            &cfg,
        );
        assert_eq!(t.class, ActorClass::TrustedAutomation("Argo CD".into()));
    }

    #[test]
    fn a_controller_name_in_another_namespace_is_not_a_controller() {
        let cfg = Config::default();
        let c = classify(
            &ev(r#"{"user":{"username":"system:serviceaccount:default:cronjob-controller"}}"#),
            &cfg,
        );
        assert!(matches!(c.class, ActorClass::ServiceAccount { .. }));
    }

    #[test]
    fn impersonating_a_controller_keeps_the_real_actors_class() {
        let cfg = Config::default();
        let i = classify(
            &ev(
                r#"{"user":{"username":"dev"},"impersonatedUser":{"username":"system:serviceaccount:kube-system:cronjob-controller"}}"#,
            ),
            &cfg,
        );
        assert_eq!(i.class, ActorClass::Human("dev".into()));
        assert!(i.impersonates_privileged);
        assert_eq!(
            ClientKind::from_user_agent(Some("Mozilla/5.0 (X11; Linux x86_64) Chrome/124")),
            ClientKind::Other
        );
    }

    #[test]
    fn impersonation_of_masters() {
        let cfg = Config::default();
        let i = classify(
            &ev(
                r#"{"user":{"username":"dev"},"impersonatedUser":{"username":"admin","groups":["system:masters"]}}"#,
            ),
            &cfg,
        );
        assert!(i.impersonating && i.impersonates_privileged);
        assert_eq!(i.effective, "admin");
        assert_eq!(i.authenticated, "dev");
    }

    #[test]
    fn user_agents() {
        assert_eq!(
            ClientKind::from_user_agent(Some("kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819")),
            ClientKind::Kubectl
        );
        assert_eq!(
            ClientKind::from_user_agent(Some("curl/8.4.0")),
            ClientKind::Scripted
        );
        assert_eq!(
            ClientKind::from_user_agent(Some("Go-http-client/2.0")),
            ClientKind::Scripted
        );
        assert_eq!(ClientKind::from_user_agent(None), ClientKind::Missing);
        assert_eq!(
            ClientKind::from_user_agent(Some("Helm/3.14.0")),
            ClientKind::Helm
        );
    }
}
