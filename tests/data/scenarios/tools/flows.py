"""Multi-request flows on top of k8saudit: background noise, controller chains, client actions."""

import datetime as dt
import string

from k8saudit import (
    M, AuditLog, batch_ref, ctrl_reason, delete_success_status, job_object, job_template_from_cronjob, objref,
    owner, status_forbidden, status_notfound, status_object, ts_sec, cronjob_object,
)

ALNUM = string.ascii_lowercase + string.digits
SUFFIX = "bcdfghjklmnpqrstvwxz2456789"  # the apiserver's generateName alphabet


def rand_suffix(rng, n=5):
    return "".join(rng.choice(SUFFIX) for _ in range(n))


class Noise:
    """Routine apiserver traffic: leases, kubelet reads, controller watches, events, status patches."""

    def __init__(self, log: AuditLog, namespaces, extra_agents=True):
        self.log = log
        self.c = log.c
        self.rng = log.rng
        self.namespaces = namespaces
        self.extra_agents = extra_agents
        self.pods = {ns: [f"{self._app()}-{rand_suffix(self.rng, 10)}-{rand_suffix(self.rng)}" for _ in range(3)] for ns in namespaces}
        self.apiserver_lease = f"apiserver-{''.join(self.rng.choice(ALNUM) for _ in range(26))}"

    def _app(self):
        return self.rng.choice(["api", "web", "checkout", "worker", "gateway", "search", "cart", "auth", "billing",
                                "ledger", "notifier", "frontend", "inventory", "orders"])

    def one(self):
        r = self.rng
        c = self.c
        log = self.log
        node = r.choice(c.nodes)
        kind = r.choices(
            ["node_lease", "kcm_lease", "sched_lease", "apiserver_lease", "node_status", "kubelet_get", "kubelet_watch",
             "pod_status", "event", "endpoints", "coredns", "agent", "discovery", "rs_status", "metrics"],
            weights=[18, 6, 6, 4, 5, 10, 6, 7, 6, 5, 4, 6, 3, 3, 3])[0]
        if kind == "node_lease":
            log.request(verb="update", uri=f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{node}?timeout=10s",
                        user=c.node(node), ua=c.kubelet_ua(), ips=[c.node_ips[node]],
                        object_ref=objref("leases", "kube-node-lease", node, "coordination.k8s.io"))
        elif kind == "kcm_lease":
            verb = r.choice(["get", "update"])
            log.request(verb=verb, uri="/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager?timeout=5s",
                        user=c.kcm(), ua=f"kube-controller-manager/{c.version} (linux/amd64) kubernetes/{c.sha}/leader-election",
                        ips=[c.apiserver_ip], object_ref=objref("leases", "kube-system", "kube-controller-manager", "coordination.k8s.io"),
                        annotations={"authorization.k8s.io/reason": 'RBAC: allowed by ClusterRoleBinding "system:kube-controller-manager" of ClusterRole "system:kube-controller-manager" to User "system:kube-controller-manager"'})
        elif kind == "sched_lease":
            verb = r.choice(["get", "update"])
            log.request(verb=verb, uri="/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler?timeout=5s",
                        user=c.scheduler(), ua=f"kube-scheduler/{c.version} (linux/amd64) kubernetes/{c.sha}/leader-election",
                        ips=[c.apiserver_ip], object_ref=objref("leases", "kube-system", "kube-scheduler", "coordination.k8s.io"),
                        annotations={"authorization.k8s.io/reason": 'RBAC: allowed by ClusterRoleBinding "system:kube-scheduler" of ClusterRole "system:kube-scheduler" to User "system:kube-scheduler"'})
        elif kind == "apiserver_lease":
            log.request(verb="update", uri=f"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{self.apiserver_lease}",
                        user=c.apiserver(), ua=f"kube-apiserver/{c.version} (linux/amd64) kubernetes/{c.sha}",
                        ips=["::1"], object_ref=objref("leases", "kube-system", self.apiserver_lease, "coordination.k8s.io"))
        elif kind == "node_status":
            log.request(verb="patch", uri=f"/api/v1/nodes/{node}/status?timeout=10s", user=c.node(node), ua=c.kubelet_ua(),
                        ips=[c.node_ips[node]], object_ref=objref("nodes", None, node, sub="status"))
        elif kind == "kubelet_get":
            ns = r.choice(self.namespaces)
            res, name = r.choice([("pods", r.choice(self.pods[ns])), ("configmaps", "kube-root-ca.crt"),
                                  ("secrets", f"{self._app()}-tls"), ("serviceaccounts", "default")])
            if res == "serviceaccounts":
                uri = f"/api/v1/namespaces/{ns}/serviceaccounts/default/token"
                log.request(verb="create", uri=uri, user=c.node(node), ua=c.kubelet_ua(), ips=[c.node_ips[node]],
                            object_ref=objref("serviceaccounts", ns, "default", sub="token"), code=201)
            else:
                log.request(verb="get", uri=f"/api/v1/namespaces/{ns}/{res}/{name}", user=c.node(node), ua=c.kubelet_ua(),
                            ips=[c.node_ips[node]], object_ref=objref(res, ns, name))
        elif kind == "kubelet_watch":
            ns = r.choice(self.namespaces)
            name = r.choice(["kube-root-ca.crt", f"{self._app()}-config"])
            uri = (f"/api/v1/namespaces/{ns}/configmaps?allowWatchBookmarks=true&fieldSelector=metadata.name%3D{name}"
                   f"&resourceVersion={log.rv - r.randint(1000, 90000)}&timeout={r.randint(5, 9)}m{r.randint(0, 59)}s&timeoutSeconds={r.randint(300, 599)}&watch=true")
            log.request(verb="watch", uri=uri, user=c.node(node), ua=c.kubelet_ua(), ips=[c.node_ips[node]],
                        object_ref=objref("configmaps", ns), latency_ms=r.uniform(300_000, 540_000))
        elif kind == "pod_status":
            ns = r.choice(self.namespaces)
            pod = r.choice(self.pods[ns])
            log.request(verb="patch", uri=f"/api/v1/namespaces/{ns}/pods/{pod}/status", user=c.node(node), ua=c.kubelet_ua(),
                        ips=[c.node_ips[node]], object_ref=objref("pods", ns, pod, sub="status"))
        elif kind == "event":
            ns = r.choice(self.namespaces)
            log.request(verb="create", uri=f"/api/v1/namespaces/{ns}/events", user=c.node(node), ua=c.kubelet_ua(),
                        ips=[c.node_ips[node]], object_ref=objref("events", ns), code=201)
        elif kind == "endpoints":
            ns = r.choice(self.namespaces)
            name = f"{self._app()}-{rand_suffix(r)}"
            log.request(verb="update", uri=f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices/{name}",
                        user=c.ctrl("endpointslice-controller"), ua=c.kcm_ua("endpointslice-controller"), ips=[c.apiserver_ip],
                        object_ref=objref("endpointslices", ns, name, "discovery.k8s.io"),
                        annotations={"authorization.k8s.io/reason": ctrl_reason("endpointslice-controller")})
        elif kind == "coredns":
            pod = f"coredns-{rand_suffix(r, 10)}-{rand_suffix(r)}"
            res = r.choice(["endpointslices", "services", "namespaces"])
            grp, path = ("discovery.k8s.io", "/apis/discovery.k8s.io/v1") if res == "endpointslices" else ("", "/api/v1")
            uri = f"{path}/{res}?allowWatchBookmarks=true&resourceVersion={log.rv - r.randint(100, 9000)}&timeout={r.randint(6, 9)}m{r.randint(0, 59)}s&timeoutSeconds={r.randint(360, 599)}&watch=true"
            log.request(verb="watch", uri=uri, user=c.sa("kube-system", "coredns", pod), ua="coredns/v1.11.1 (linux/amd64) kubernetes/",
                        ips=[c.pod_ip()], object_ref=objref(res, group=grp),
                        annotations={"authorization.k8s.io/reason": rbac_crb("system:coredns", "ServiceAccount", "coredns/kube-system")},
                        latency_ms=r.uniform(360_000, 599_000))
        elif kind == "agent":
            self._agent()
        elif kind == "discovery":
            user = r.choice([c.node(node), c.kcm()])
            uri = r.choice(["/api", "/apis", "/version", "/openapi/v2", "/apis/metrics.k8s.io/v1beta1"])
            log.request(verb="get", uri=uri, user=user, ua=f"kube-controller-manager/{c.version} (linux/amd64) kubernetes/{c.sha}/system:serviceaccount:kube-system:resourcequota-controller" if user["username"].startswith("system:kube") else c.kubelet_ua(),
                        ips=[c.apiserver_ip if user["username"].startswith("system:kube") else c.node_ips[node]])
        elif kind == "rs_status":
            ns = r.choice(self.namespaces)
            name = f"{self._app()}-{rand_suffix(r, 10)}"
            log.request(verb="update", uri=f"/apis/apps/v1/namespaces/{ns}/replicasets/{name}/status",
                        user=c.ctrl("replicaset-controller"), ua=c.kcm_ua("replicaset-controller"), ips=[c.apiserver_ip],
                        object_ref=objref("replicasets", ns, name, "apps", sub="status"),
                        annotations={"authorization.k8s.io/reason": ctrl_reason("replicaset-controller")})
        elif kind == "metrics":
            pod = f"metrics-server-{rand_suffix(r, 10)}-{rand_suffix(r)}"
            log.request(verb="get", uri=f"/api/v1/nodes/{node}/proxy/metrics/resource" if r.random() < 0.3 else "/api/v1/nodes?resourceVersion=0",
                        user=c.sa("kube-system", "metrics-server", pod), ua="metrics-server/v0.7.1 (linux/amd64) kubernetes/$Format",
                        ips=[c.pod_ip()], object_ref=objref("nodes"),
                        annotations={"authorization.k8s.io/reason": rbac_crb("system:metrics-server", "ServiceAccount", "metrics-server/kube-system")})

    def _agent(self):
        r = self.rng
        c = self.c
        ns = r.choice(self.namespaces)
        agent = r.choice(["fluent-bit", "datadog-agent", "cilium", "calico-node", "aws-node", "promtail"])
        pod = f"{agent}-{rand_suffix(r)}"
        node = r.choice(c.nodes)
        agent_ns = {"fluent-bit": "logging", "datadog-agent": "datadog", "cilium": "kube-system", "calico-node": "calico-system",
                    "aws-node": "kube-system", "promtail": "monitoring"}[agent]
        ua = {"fluent-bit": None, "datadog-agent": "datadog-agent/7.52.0", "cilium": "cilium-agent/1.15.4",
              "calico-node": "calico-node/v3.27.2 (linux/amd64) kubernetes/$Format", "aws-node": "aws-node/v1.18.1 (linux/amd64) kubernetes/$Format",
              "promtail": "Go-http-client/2.0"}[agent]
        if agent == "fluent-bit":
            pod_name = r.choice(self.pods[ns])
            self.log.request(verb="get", uri=f"/api/v1/namespaces/{ns}/pods/{pod_name}", user=c.sa(agent_ns, agent, pod), ua=None,
                             ips=[c.node_ips[node]], object_ref=objref("pods", ns, pod_name),
                             annotations={"authorization.k8s.io/reason": rbac_crb(agent, "ServiceAccount", f"{agent}/{agent_ns}")})
        else:
            res = r.choice(["pods", "nodes", "namespaces"])
            uri = f"/api/v1/{res}?fieldSelector=spec.nodeName%3D{node}&limit=500&resourceVersion=0" if res == "pods" else f"/api/v1/{res}?limit=500&resourceVersion=0"
            self.log.request(verb="list", uri=uri, user=c.sa(agent_ns, agent, pod), ua=ua, ips=[c.node_ips[node]],
                             object_ref=objref(res),
                             annotations={"authorization.k8s.io/reason": rbac_crb(agent, "ServiceAccount", f"{agent}/{agent_ns}")})

    def burst(self, n, spread_s=None):
        for _ in range(n):
            self.one()
            if spread_s:
                self.log.t += dt.timedelta(milliseconds=self.rng.randint(0, int(spread_s * 1000 / max(n, 1)) * 2))


def rbac_crb(role, kind, subject):
    return f'RBAC: allowed by ClusterRoleBinding "{role}" of ClusterRole "{role}" to {kind} "{subject}"'


# --------------------------------------------------------------------------
# controller chains


class Batch:
    """Batch-object flows (CronJob -> Job -> Pod) with stored state for consistent uids."""

    def __init__(self, log: AuditLog, noise: Noise | None = None):
        self.log = log
        self.c = log.c
        self.rng = log.rng
        self.noise = noise
        self.cronjobs = {}  # (ns, name) -> stored object
        self.jobs = {}

    def pad(self, n=None):
        if self.noise:
            self.noise.burst(n if n is not None else self.rng.randint(2, 7))

    def stored_cronjob(self, ns, name, schedule, pod_spec, created_at, **kw):
        """Register a CronJob that already existed before the log starts."""
        uid = self.c.uid()
        obj = cronjob_object(name, ns, schedule, pod_spec, server=(uid, str(self.log.rv - self.rng.randint(10_000, 900_000)), ts_sec(created_at)), **kw)
        self.cronjobs[(ns, name)] = obj
        return obj

    def create_cronjob(self, *, ns, name, schedule, pod_spec, user, ua, ips, uri_query="?fieldManager=kubectl-create&fieldValidation=Strict",
                       code=201, impersonated=None, reason=None, extra_ann=None, req_override=None, dry_run=False, **kw):
        req = req_override or cronjob_object(name, ns, schedule, pod_spec, **kw)
        self.log.begin()
        uid = self.c.uid()
        rv = self.log.next_rv()
        resp = cronjob_object(name, ns, schedule, pod_spec, server=(uid, rv, ts_sec(self.log.t)), **kw)
        if dry_run:
            resp["metadata"].pop("resourceVersion", None)
        elif code < 300:
            self.cronjobs[(ns, name)] = resp
        ann = {}
        if reason:
            ann["authorization.k8s.io/reason"] = reason
        if extra_ann:
            ann.update(extra_ann)
        return self.log.request(verb="create", uri=f"/apis/batch/v1/namespaces/{ns}/cronjobs{uri_query}", user=user, ua=ua, ips=ips,
                                object_ref=batch_ref("cronjobs", ns, name), level="RequestResponse", code=code, req=req,
                                resp=resp, annotations=ann, impersonated=impersonated, stages=None)

    def create_job(self, *, ns, name, pod_spec, user, ua, ips, uri_query="?fieldManager=kubectl-create&fieldValidation=Strict",
                   reason=None, impersonated=None, extra_ann=None, generate_name=None, req_override=None, **kw):
        req = req_override or job_object(name if not generate_name else None, ns, pod_spec, generate_name=generate_name, **kw)
        self.log.begin()
        uid = self.c.uid()
        rv = self.log.next_rv()
        real_name = name or f"{generate_name}{rand_suffix(self.rng)}"
        resp = job_object(real_name, ns, pod_spec, server=(uid, rv, ts_sec(self.log.t)), generate_name=generate_name, **kw)
        self.jobs[(ns, real_name)] = resp
        ann = {}
        if reason:
            ann["authorization.k8s.io/reason"] = reason
        if extra_ann:
            ann.update(extra_ann)
        aid = self.log.request(verb="create", uri=f"/apis/batch/v1/namespaces/{ns}/jobs{uri_query}", user=user, ua=ua, ips=ips,
                               object_ref=batch_ref("jobs", ns, None if generate_name else real_name), level="RequestResponse",
                               code=201, req=req, resp=resp, annotations=ann, impersonated=impersonated)
        return aid, resp

    def tick(self, ns, name, scheduled_at, run=True, succeed=True, pod_ann=None):
        """cronjob-controller creates the Job for one schedule tick; job-controller runs it."""
        cj = self.cronjobs[(ns, name)]
        c = self.c
        t = job_template_from_cronjob(cj)
        job_name = f"{name}-{int(scheduled_at.timestamp()) // 60}"
        ann = dict(t["annotations"] or {})
        ann["batch.kubernetes.io/cronjob-scheduled-timestamp"] = scheduled_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        own = [owner("CronJob", name, cj["metadata"]["uid"])]
        aid, job = self.create_job(ns=ns, name=job_name, pod_spec=t["pod_spec"], user=c.ctrl("cronjob-controller"),
                                   ua=c.kcm_ua("cronjob-controller"), ips=[c.apiserver_ip], uri_query="",
                                   reason=ctrl_reason("cronjob-controller"), owners=own, labels=t["labels"],
                                   annotations=ann, tmpl_labels=t["tmpl_labels"], tmpl_annotations=t["tmpl_annotations"],
                                   ttl=t["ttl"], backoff=t["backoff"], active_deadline=t["active_deadline"])
        self.log.tick(1, 30)
        self.cronjob_status(ns, name)
        if run:
            self.pad(self.rng.randint(0, 3))
            self.run_job(ns, job_name, succeed=succeed, pod_ann=pod_ann)
        return aid, job

    def cronjob_status(self, ns, name):
        c = self.c
        return self.log.request(verb="update", uri=f"/apis/batch/v1/namespaces/{ns}/cronjobs/{name}/status",
                                user=c.ctrl("cronjob-controller"), ua=c.kcm_ua("cronjob-controller"), ips=[c.apiserver_ip],
                                object_ref=batch_ref("cronjobs", ns, name, sub="status"),
                                annotations={"authorization.k8s.io/reason": ctrl_reason("cronjob-controller")})

    def run_job(self, ns, job_name, succeed=True, pod_ann=None, parallel=1):
        """job-controller creates pods, kubelet reports, job status updated."""
        c = self.c
        job = self.jobs[(ns, job_name)]
        juid = job["metadata"]["uid"]
        tmpl = job["spec"]["template"]
        pods = []
        for _ in range(parallel):
            pod_req = pod_from_template(tmpl, ns, job_name, juid)
            pod_name = f"{job_name}-{rand_suffix(self.rng)}"
            self.log.begin()
            pod_resp = pod_server_view(self, pod_req, pod_name)
            ann = {"authorization.k8s.io/reason": ctrl_reason("job-controller"),
                   "pod-security.kubernetes.io/enforce-policy": "privileged:latest"}
            self.log.request(verb="create", uri=f"/api/v1/namespaces/{ns}/pods", user=c.ctrl("job-controller"),
                             ua=c.kcm_ua("job-controller"), ips=[c.apiserver_ip], object_ref=objref("pods", ns),
                             level="RequestResponse", code=201, req=pod_req, resp=pod_resp, annotations=ann)
            pods.append(pod_name)
        self.log.tick(2, 60)
        self.job_status(ns, job_name)
        for pod in pods:
            node = self.rng.choice(c.nodes)
            self.log.request(verb="create", uri=f"/api/v1/namespaces/{ns}/pods/{pod}/binding", user=c.scheduler(),
                             ua=f"kube-scheduler/{c.version} (linux/amd64) kubernetes/{c.sha}/scheduler", ips=[c.apiserver_ip],
                             object_ref=objref("pods", ns, pod, sub="binding"), code=201,
                             annotations={"authorization.k8s.io/reason": 'RBAC: allowed by ClusterRoleBinding "system:kube-scheduler" of ClusterRole "system:kube-scheduler" to User "system:kube-scheduler"'})
            self.pad(self.rng.randint(1, 4))
            self.log.gap(self.rng.randint(1, 4))
            self.log.request(verb="patch", uri=f"/api/v1/namespaces/{ns}/pods/{pod}/status", user=c.node(node), ua=c.kubelet_ua(),
                             ips=[c.node_ips[node]], object_ref=objref("pods", ns, pod, sub="status"))
        self.pad(self.rng.randint(2, 6))
        self.log.gap(self.rng.randint(3, 25))
        for pod in pods:
            node = self.rng.choice(c.nodes)
            self.log.request(verb="patch", uri=f"/api/v1/namespaces/{ns}/pods/{pod}/status", user=c.node(node), ua=c.kubelet_ua(),
                             ips=[c.node_ips[node]], object_ref=objref("pods", ns, pod, sub="status"))
            self.log.request(verb="patch", uri=f"/api/v1/namespaces/{ns}/pods/{pod}", user=c.ctrl("job-controller"),
                             ua=c.kcm_ua("job-controller"), ips=[c.apiserver_ip], object_ref=objref("pods", ns, pod),
                             annotations={"authorization.k8s.io/reason": ctrl_reason("job-controller")})
        self.job_status(ns, job_name)
        if succeed:
            self.log.request(verb="create", uri=f"/api/v1/namespaces/{ns}/events", user=c.ctrl("job-controller"),
                             ua=c.kcm_ua("job-controller"), ips=[c.apiserver_ip], object_ref=objref("events", ns), code=201,
                             annotations={"authorization.k8s.io/reason": ctrl_reason("job-controller")})
        return pods

    def job_status(self, ns, job_name):
        c = self.c
        return self.log.request(verb="update", uri=f"/apis/batch/v1/namespaces/{ns}/jobs/{job_name}/status",
                                user=c.ctrl("job-controller"), ua=c.kcm_ua("job-controller"), ips=[c.apiserver_ip],
                                object_ref=batch_ref("jobs", ns, job_name, sub="status"),
                                annotations={"authorization.k8s.io/reason": ctrl_reason("job-controller")})

    def delete_job(self, ns, job_name, user, ua, ips, reason, propagation="Background", preconditions=False, level="RequestResponse"):
        job = self.jobs.get((ns, job_name))
        uid = job["metadata"]["uid"] if job else self.c.uid()
        req = {"kind": "DeleteOptions", "apiVersion": "batch/v1"}
        if preconditions:
            req["preconditions"] = {"uid": uid, "resourceVersion": job["metadata"]["resourceVersion"] if job else self.log.next_rv()}
        req["propagationPolicy"] = propagation
        if propagation == "Foreground" and job:
            resp = dict(job)
            resp["metadata"] = dict(job["metadata"])
            md = resp["metadata"]
            new = {}
            for k, v in md.items():
                new[k] = v
                if k == "creationTimestamp":
                    new["deletionTimestamp"] = ts_sec(self.log.t)
                    new["deletionGracePeriodSeconds"] = 0
            new["resourceVersion"] = self.log.next_rv()
            new["finalizers"] = ["foregroundDeletion"]
            resp["metadata"] = new
        else:
            resp = delete_success_status(job_name, "batch", "jobs", uid)
        return self.log.request(verb="delete", uri=f"/apis/batch/v1/namespaces/{ns}/jobs/{job_name}", user=user, ua=ua, ips=ips,
                                object_ref=batch_ref("jobs", ns, job_name), level=level, req=req, resp=resp,
                                annotations={"authorization.k8s.io/reason": reason})

    def gc_pods(self, ns, pods):
        c = self.c
        for pod in pods:
            self.log.request(verb="delete", uri=f"/api/v1/namespaces/{ns}/pods/{pod}", user=c.ctrl("generic-garbage-collector"),
                             ua=c.kcm_ua("generic-garbage-collector"), ips=[c.apiserver_ip], object_ref=objref("pods", ns, pod),
                             annotations={"authorization.k8s.io/reason": ctrl_reason("generic-garbage-collector")})

    def patch_cronjob(self, *, ns, name, patch, new_obj_fn, user, ua, ips, reason, query="?fieldManager=kubectl-patch",
                      impersonated=None, dry_run=False):
        """Patch an existing CronJob; new_obj_fn(old_copy) mutates and returns the stored object."""
        import copy
        old = self.cronjobs[(ns, name)]
        new = new_obj_fn(copy.deepcopy(old))
        new["metadata"]["resourceVersion"] = self.log.next_rv()
        new["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
        if not dry_run:
            self.cronjobs[(ns, name)] = new
        return self.log.request(verb="patch", uri=f"/apis/batch/v1/namespaces/{ns}/cronjobs/{name}{query}", user=user, ua=ua,
                                ips=ips, object_ref=batch_ref("cronjobs", ns, name), level="RequestResponse", req=patch,
                                resp=new, annotations={"authorization.k8s.io/reason": reason}, impersonated=impersonated)

    def get_cronjob(self, ns, name, user, ua, ips, reason):
        return self.log.request(verb="get", uri=f"/apis/batch/v1/namespaces/{ns}/cronjobs/{name}", user=user, ua=ua, ips=ips,
                                object_ref=batch_ref("cronjobs", ns, name), annotations={"authorization.k8s.io/reason": reason})

    def forbidden(self, *, verb, resource, ns, user, ua, ips, name=None, group="batch", level="RequestResponse"):
        st = status_forbidden(user["username"], verb, resource, group, ns)
        path = f"/apis/{group}/v1" if group else "/api/v1"
        uri = f"{path}/namespaces/{ns}/{resource}" if ns else f"{path}/{resource}"
        if name and verb != "create":
            uri += f"/{name}"
        if verb == "create":
            uri += "?fieldManager=kubectl-create&fieldValidation=Strict" if ua and ua.startswith("kubectl") else ""
        ref = objref(resource, ns, name if verb != "create" else None, group, "v1")
        return self.log.request(verb=verb, uri=uri, user=user, ua=ua, ips=ips, object_ref=ref, level=level, status=st,
                                resp=status_object(st) if level == "RequestResponse" else None,
                                annotations={"authorization.k8s.io/decision": "forbid", "authorization.k8s.io/reason": ""})

    def notfound(self, *, resource, ns, name, user, ua, ips, reason, group="batch"):
        st = status_notfound(resource, group, name)
        path = f"/apis/{group}/v1" if group else "/api/v1"
        return self.log.request(verb="get", uri=f"{path}/namespaces/{ns}/{resource}/{name}", user=user, ua=ua, ips=ips,
                                object_ref=objref(resource, ns, name, group, "v1"), status=st,
                                annotations={"authorization.k8s.io/reason": reason})


def pod_from_template(tmpl, ns, job_name, job_uid):
    """What job-controller sends: the template plus generateName, ownerReference and tracking finalizer."""
    labels = dict(tmpl["metadata"].get("labels") or {})
    md = {"generateName": f"{job_name}-", "namespace": ns, "creationTimestamp": None, "labels": M(labels)}
    if tmpl["metadata"].get("annotations"):
        md["annotations"] = tmpl["metadata"]["annotations"]
    md["ownerReferences"] = [owner("Job", job_name, job_uid)]
    md["finalizers"] = ["batch.kubernetes.io/job-tracking"]
    return {"kind": "Pod", "apiVersion": "v1", "metadata": md, "spec": tmpl["spec"], "status": {}}


def pod_server_view(batch, pod_req, pod_name):
    import copy
    rng = batch.rng
    pod = copy.deepcopy(pod_req)
    md = pod["metadata"]
    new_md = {"name": pod_name}
    for k, v in md.items():
        new_md[k] = v
        if k == "namespace":
            new_md["uid"] = batch.c.uid()
            new_md["resourceVersion"] = batch.log.next_rv()
    new_md["creationTimestamp"] = ts_sec(batch.log.t)
    pod["metadata"] = {k: new_md[k] for k in ["name", "generateName", "namespace", "uid", "resourceVersion", "creationTimestamp",
                                             "labels", "annotations", "ownerReferences", "finalizers"] if k in new_md}
    spec = pod["spec"]
    token_vol = {"name": f"kube-api-access-{rand_suffix(rng)}", "projected": {"sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}],
        "defaultMode": 420}}
    if spec.get("automountServiceAccountToken") is not False:
        spec.setdefault("volumes", [])
        vols = list(spec.get("volumes") or []) + [token_vol]
        new_spec = {"volumes": vols}
        new_spec.update({k: v for k, v in spec.items() if k != "volumes"})
        spec = new_spec
        for ctr in spec["containers"]:
            mounts = list(ctr.get("volumeMounts") or []) + [{"name": token_vol["name"], "readOnly": True,
                                                            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
            new_c = {}
            inserted = False
            for k, v in ctr.items():
                if k == "volumeMounts":
                    new_c[k] = mounts
                    inserted = True
                    continue
                if k == "terminationMessagePath" and not inserted:
                    new_c["volumeMounts"] = mounts
                    inserted = True
                new_c[k] = v
            ctr.clear()
            ctr.update(new_c)
    if "serviceAccountName" not in spec:
        out = {}
        for k, v in spec.items():
            if k == "nodeName" or k == "hostNetwork" or k == "hostPID" or k == "hostIPC" or k == "securityContext":
                if "serviceAccountName" not in out:
                    out["serviceAccountName"] = "default"
                    out["serviceAccount"] = "default"
            out[k] = v
        spec = out
    spec.setdefault("tolerations", [])
    spec["tolerations"] = list(spec["tolerations"]) + [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
    spec["priority"] = 0
    spec["enableServiceLinks"] = True
    spec["preemptionPolicy"] = "PreemptLowerPriority"
    pod["spec"] = spec
    qos = "BestEffort"
    for ctr in spec["containers"]:
        if ctr.get("resources"):
            qos = "Burstable"
    pod["status"] = {"phase": "Pending", "qosClass": qos}
    return pod
