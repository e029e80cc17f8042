"""Building blocks for realistic kube-apiserver v1.29 audit logs.

Used by generate_scenarios.py to write the acceptance scenarios under
tests/data/scenarios/ and examples/audit-demo.jsonl. Objects are built in
the Go struct field order the apiserver serialises them in; Go maps
(labels, annotations, user.extra, audit annotations) are emitted with sorted
keys, and '<', '>', '&' are escaped as \\u003c, \\u003e, \\u0026 like
encoding/json does.
"""

import datetime as dt
import json
import random
import uuid


def M(d):
    """A Go map: keys sorted, as encoding/json writes them."""
    return dict(sorted(d.items()))


def gojson(obj):
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def ts_micro(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ts_sec(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------
# identities


class Cluster:
    """Per-scenario cluster flavour: versions, nodes, IPs, uids."""

    def __init__(self, rng, flavour=None):
        self.rng = rng
        self.flavour = flavour or rng.choice(["kubeadm", "eks", "gke", "rke2", "onprem"])
        patch = rng.choice([2, 3, 4, 5, 6, 8, 10])
        self.version = f"v1.29.{patch}"
        if self.flavour == "eks":
            self.version += f"-eks-{rng.choice(['2f008fe', 'ae9a62a', '4d1b5c8'])}"
        elif self.flavour == "gke":
            self.version += f"-gke.{rng.choice([1100, 1302, 1540])}"
        elif self.flavour == "rke2":
            self.version += "+rke2r1"
        self.sha = "%07x" % rng.getrandbits(28)
        self.kubelet_sha = self.sha
        n = rng.randint(3, 6)
        self.nodes = [self.node_name(i) for i in range(n)]
        self.apiserver_ip = f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.{rng.randint(2, 250)}"
        self.node_ips = {nd: f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.{rng.randint(2, 250)}" for nd in self.nodes}
        self.pod_cidr = rng.choice(["10.244", "10.42", "100.96", "172.16", "192.168"])
        self.sa_uids = {}
        self.pod_uids = {}

    def node_name(self, i):
        r = self.rng
        if self.flavour == "eks":
            return f"ip-10-{r.randint(0, 3)}-{r.randint(0, 255)}-{r.randint(2, 250)}.{r.choice(['eu-west-1', 'us-east-2', 'ap-southeast-1'])}.compute.internal"
        if self.flavour == "gke":
            return f"gke-prod-{r.choice(['default', 'pool-1', 'highmem'])}-pool-{'%08x' % r.getrandbits(32)}-{''.join(r.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(4))}"
        if self.flavour == "rke2":
            return f"rke2-agent-{i + 1:02d}"
        if self.flavour == "onprem":
            return f"k8s-{r.choice(['wrk', 'node', 'compute'])}-{r.randint(10, 99)}.{r.choice(['dc1', 'ams2', 'fra'])}.corp.internal"
        return f"worker-{i + 1}"

    def pod_ip(self):
        r = self.rng
        return f"{self.pod_cidr}.{r.randint(0, 254)}.{r.randint(2, 254)}"

    def uid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def kcm_ua(self, controller):
        return f"kube-controller-manager/{self.version} (linux/amd64) kubernetes/{self.sha}/system:serviceaccount:kube-system:{controller}"

    def kubelet_ua(self):
        return f"kubelet/{self.version} (linux/amd64) kubernetes/{self.sha}"

    def kubectl_ua(self, os_arch=None, minor=None):
        r = self.rng
        os_arch = os_arch or r.choice(["linux/amd64", "darwin/arm64", "darwin/arm64", "windows/amd64"])
        minor = minor or r.choice(["1.29.1", "1.29.3", "1.30.2", "1.28.4", "1.31.0"])
        return f"kubectl/v{minor} ({os_arch}) kubernetes/{'%07x' % r.getrandbits(28)}"

    # users ---------------------------------------------------------------
    def sa(self, ns, name, pod=None, node=None):
        key = (ns, name)
        if key not in self.sa_uids:
            self.sa_uids[key] = self.uid()
        u = {
            "username": f"system:serviceaccount:{ns}:{name}",
            "uid": self.sa_uids[key],
            "groups": ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"],
        }
        if pod:
            if pod not in self.pod_uids:
                self.pod_uids[pod] = self.uid()
            u["extra"] = M({
                "authentication.kubernetes.io/pod-name": [pod],
                "authentication.kubernetes.io/pod-uid": [self.pod_uids[pod]],
            })
        return u

    def ctrl(self, name):
        return self.sa("kube-system", name)

    def node(self, name):
        return {"username": f"system:node:{name}", "groups": ["system:nodes", "system:authenticated"]}

    def kcm(self):
        return {"username": "system:kube-controller-manager", "groups": ["system:authenticated"]}

    def scheduler(self):
        return {"username": "system:kube-scheduler", "groups": ["system:authenticated"]}

    def apiserver(self):
        return {"username": "system:apiserver", "uid": self.uid(), "groups": ["system:authenticated", "system:masters"]}


def human_oidc(email, groups):
    return {"username": f"oidc:{email}", "groups": [f"oidc:{g}" for g in groups] + ["system:authenticated"]}


def kubeadm_admin():
    # kubeadm >= 1.29 admin.conf: group kubeadm:cluster-admins (not system:masters)
    return {"username": "kubernetes-admin", "groups": ["kubeadm:cluster-admins", "system:authenticated"]}


def rbac_reason_crb(binding, role, kind, subject):
    return f'RBAC: allowed by ClusterRoleBinding "{binding}" of ClusterRole "{role}" to {kind} "{subject}"'


def rbac_reason_rb(binding, ns, role_kind, role, kind, subject):
    return f'RBAC: allowed by RoleBinding "{binding}/{ns}" of {role_kind} "{role}" to {kind} "{subject}"'


def ctrl_reason(name):
    return rbac_reason_crb(f"system:controller:{name}", f"system:controller:{name}", "ServiceAccount", f"{name}/kube-system")


# --------------------------------------------------------------------------
# objects (Go field order)


def container(name, image, command=None, args=None, env=None, resources=None, mounts=None, sc=None,
              pull=None, workdir=None, ports=None):
    c = {"name": name, "image": image}
    if command is not None:
        c["command"] = command
    if args is not None:
        c["args"] = args
    if workdir:
        c["workingDir"] = workdir
    if ports:
        c["ports"] = ports
    if env:
        c["env"] = [{"name": k, "value": v} if not isinstance(v, dict) else {"name": k, "valueFrom": v} for k, v in env]
    c["resources"] = resources or {}
    if mounts:
        c["volumeMounts"] = mounts
    c["terminationMessagePath"] = "/dev/termination-log"
    c["terminationMessagePolicy"] = "File"
    tag = image.rsplit("/", 1)[-1]
    if pull is None:
        pull = "IfNotPresent" if (":" in tag and not tag.endswith(":latest")) or "@sha256:" in image else "Always"
    c["imagePullPolicy"] = pull
    if sc is not None:
        c["securityContext"] = sc
    return c


def res(cpu_req=None, mem_req=None, cpu_lim=None, mem_lim=None):
    r = {}
    lim = {}
    if cpu_lim:
        lim["cpu"] = cpu_lim
    if mem_lim:
        lim["memory"] = mem_lim
    req = {}
    if cpu_req:
        req["cpu"] = cpu_req
    if mem_req:
        req["memory"] = mem_req
    if lim:
        r["limits"] = M(lim)
    if req:
        r["requests"] = M(req)
    return r


def mount(name, path, ro=None):
    m = {"name": name}
    if ro:
        m["readOnly"] = True
    m["mountPath"] = path
    return m


def hostpath_vol(name, path, typ=""):
    return {"name": name, "hostPath": {"path": path, "type": typ}}


def cm_vol(name, cm):
    return {"name": name, "configMap": {"name": cm, "defaultMode": 420}}


def secret_vol(name, secret):
    return {"name": name, "secret": {"secretName": secret, "defaultMode": 420}}


def emptydir_vol(name):
    return {"name": name, "emptyDir": {}}


def pvc_vol(name, claim):
    return {"name": name, "persistentVolumeClaim": {"claimName": claim}}


def sc_restricted(uid=None):
    sc = {"capabilities": {"drop": ["ALL"]}}
    if uid is not None:
        sc["runAsUser"] = uid
    sc["runAsNonRoot"] = True
    sc["readOnlyRootFilesystem"] = True
    sc["allowPrivilegeEscalation"] = False
    return sc


def podspec(containers, restart="OnFailure", volumes=None, sa=None, host_pid=False, host_net=False, host_ipc=False,
            psc=None, node_selector=None, tolerations=None, priority_class=None, init=None, automount=None,
            node_name=None, image_pull_secrets=None, affinity=None, grace=30, active_deadline=None):
    s = {}
    if volumes:
        s["volumes"] = volumes
    if init:
        s["initContainers"] = init
    s["containers"] = containers
    s["restartPolicy"] = restart
    s["terminationGracePeriodSeconds"] = grace
    if active_deadline:
        s["activeDeadlineSeconds"] = active_deadline
    s["dnsPolicy"] = "ClusterFirstWithHostNet" if host_net else "ClusterFirst"
    if node_selector:
        s["nodeSelector"] = M(node_selector)
    if sa:
        s["serviceAccountName"] = sa
        s["serviceAccount"] = sa
    if automount is not None:
        s["automountServiceAccountToken"] = automount
    if node_name:
        s["nodeName"] = node_name
    if host_net:
        s["hostNetwork"] = True
    if host_pid:
        s["hostPID"] = True
    if host_ipc:
        s["hostIPC"] = True
    s["securityContext"] = psc or {}
    if image_pull_secrets:
        s["imagePullSecrets"] = [{"name": n} for n in image_pull_secrets]
    if affinity:
        s["affinity"] = affinity
    s["schedulerName"] = "default-scheduler"
    if tolerations:
        s["tolerations"] = tolerations
    if priority_class:
        s["priorityClassName"] = priority_class
    return s


def template(spec, labels=None, annotations=None):
    md = {"creationTimestamp": None}
    if labels:
        md["labels"] = M(labels)
    if annotations:
        md["annotations"] = M(annotations)
    return {"metadata": md, "spec": spec}


def meta(name=None, ns=None, uid=None, rv=None, gen=None, created=None, labels=None, annotations=None, owners=None,
         generate_name=None, finalizers=None, deletion=None):
    m = {}
    if name:
        m["name"] = name
    if generate_name:
        m["generateName"] = generate_name
    if ns:
        m["namespace"] = ns
    if uid:
        m["uid"] = uid
    if rv:
        m["resourceVersion"] = rv
    if gen:
        m["generation"] = gen
    m["creationTimestamp"] = created
    if deletion:
        m["deletionTimestamp"] = deletion
        m["deletionGracePeriodSeconds"] = 0
    if labels:
        m["labels"] = M(labels)
    if annotations:
        m["annotations"] = M(annotations)
    if owners:
        m["ownerReferences"] = owners
    if finalizers:
        m["finalizers"] = finalizers
    return m


def owner(kind, name, uid, api="batch/v1", controller=True, block=True):
    o = {"apiVersion": api, "kind": kind, "name": name, "uid": uid}
    if controller is not None:
        o["controller"] = controller
    if block is not None:
        o["blockOwnerDeletion"] = block
    return o


def job_spec(tmpl, ttl=None, backoff=6, parallelism=1, completions=1, active_deadline=None, selector_uid=None,
             completion_mode="NonIndexed"):
    s = {"parallelism": parallelism, "completions": completions}
    if active_deadline:
        s["activeDeadlineSeconds"] = active_deadline
    s["backoffLimit"] = backoff
    if selector_uid:
        s["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": selector_uid}}
    s["template"] = tmpl
    if ttl is not None:
        s["ttlSecondsAfterFinished"] = ttl
    s["completionMode"] = completion_mode
    s["suspend"] = False
    s["podReplacementPolicy"] = "TerminatingOrFailed"
    return s


def job_controller_labels(uid, name):
    return {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": uid,
        "job-name": name,
    }


def job_object(name, ns, pod_spec, *, tmpl_labels=None, tmpl_annotations=None, labels=None, annotations=None,
               owners=None, ttl=None, backoff=6, parallelism=1, completions=1, active_deadline=None, server=None,
               generate_name=None):
    """A batch/v1 Job as the apiserver stores it. server=(uid, rv, created) adds server-set fields."""
    if server:
        uid, rv, created = server
        all_labels = dict(labels or {})
        all_labels.update(job_controller_labels(uid, name))
        tl = dict(tmpl_labels or {})
        tl.update(job_controller_labels(uid, name))
        tmpl = template(pod_spec, tl, tmpl_annotations)
        md = meta(name, ns, uid, rv, 1, created, all_labels, annotations, owners, generate_name=generate_name)
        spec = job_spec(tmpl, ttl, backoff, parallelism, completions, active_deadline, selector_uid=uid)
        return {"kind": "Job", "apiVersion": "batch/v1", "metadata": md, "spec": spec, "status": {}}
    tmpl = template(pod_spec, tmpl_labels, tmpl_annotations)
    md = meta(name, ns, labels=labels, annotations=annotations, owners=owners, generate_name=generate_name)
    return {"kind": "Job", "apiVersion": "batch/v1", "metadata": md,
            "spec": job_spec(tmpl, ttl, backoff, parallelism, completions, active_deadline), "status": {}}


def cronjob_object(name, ns, schedule, pod_spec, *, tmpl_labels=None, tmpl_annotations=None, job_labels=None,
                   job_annotations=None, labels=None, annotations=None, ttl=None, backoff=6, suspend=False,
                   concurrency="Allow", success_hist=3, failed_hist=1, tz=None, starting_deadline=None,
                   active_deadline=None, server=None, gen=1, status=None):
    jt_md = {"creationTimestamp": None}
    if job_labels:
        jt_md["labels"] = M(job_labels)
    if job_annotations:
        jt_md["annotations"] = M(job_annotations)
    tmpl = template(pod_spec, tmpl_labels, tmpl_annotations)
    js = {}
    if active_deadline:
        js["activeDeadlineSeconds"] = active_deadline
    js["backoffLimit"] = backoff
    js["template"] = tmpl
    if ttl is not None:
        js["ttlSecondsAfterFinished"] = ttl
    spec = {"schedule": schedule}
    if tz:
        spec["timeZone"] = tz
    if starting_deadline:
        spec["startingDeadlineSeconds"] = starting_deadline
    spec["concurrencyPolicy"] = concurrency
    spec["suspend"] = suspend
    spec["jobTemplate"] = {"metadata": jt_md, "spec": js}
    spec["successfulJobsHistoryLimit"] = success_hist
    spec["failedJobsHistoryLimit"] = failed_hist
    if server:
        uid, rv, created = server
        md = meta(name, ns, uid, rv, gen, created, labels, annotations)
    else:
        md = meta(name, ns, labels=labels, annotations=annotations)
    return {"kind": "CronJob", "apiVersion": "batch/v1", "metadata": md, "spec": spec, "status": status or {}}


def job_template_from_cronjob(cj):
    """(pod_spec, tmpl_labels, tmpl_annotations, job_labels, job_annotations, ttl, backoff, active_deadline)."""
    js = cj["spec"]["jobTemplate"]["spec"]
    jt_md = cj["spec"]["jobTemplate"]["metadata"]
    t = js["template"]
    return dict(
        pod_spec=t["spec"],
        tmpl_labels=t["metadata"].get("labels"),
        tmpl_annotations=t["metadata"].get("annotations"),
        labels=jt_md.get("labels"),
        annotations=jt_md.get("annotations"),
        ttl=js.get("ttlSecondsAfterFinished"),
        backoff=js.get("backoffLimit", 6),
        active_deadline=js.get("activeDeadlineSeconds"),
    )


def status_ok(code=200):
    return {"metadata": {}, "code": code}


def status_forbidden(user, verb, resource, group, ns=None):
    where = f' in the namespace "{ns}"' if ns else " at the cluster scope"
    gpart = f'{resource}.{group}' if group else resource
    msg = f'{gpart} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API group "{group}"{where}'
    return {"metadata": {}, "status": "Failure", "message": msg, "reason": "Forbidden",
            "details": M({"group": group, "kind": resource}) if group else {"kind": resource}, "code": 403}


def status_notfound(resource, group, name):
    gpart = f"{resource}.{group}" if group else resource
    d = {"name": name}
    if group:
        d["group"] = group
    d["kind"] = resource
    return {"metadata": {}, "status": "Failure", "message": f'{gpart} "{name}" not found', "reason": "NotFound",
            "details": d, "code": 404}


def status_object(st):
    o = {"kind": "Status", "apiVersion": "v1"}
    o.update(st)
    return o


def delete_success_status(name, group, kind, uid):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": {"name": name, "group": group, "kind": kind, "uid": uid}}


# --------------------------------------------------------------------------
# the log writer


class AuditLog:
    def __init__(self, cluster, start, stages=False):
        self.c = cluster
        self.rng = cluster.rng
        self.t = start
        self.lines = []
        self.stages = stages
        self.rv = self.rng.randint(1_200_000, 98_000_000)
        self.ids = set()
        self._pre_ticked = False

    def begin(self):
        """Advance the clock now, so server-set timestamps computed before request() match its receive time."""
        self.tick()
        self._pre_ticked = True

    def next_rv(self):
        self.rv += self.rng.randint(1, 40)
        return str(self.rv)

    def tick(self, lo_ms=5, hi_ms=900):
        self.t += dt.timedelta(microseconds=self.rng.randint(lo_ms * 1000, hi_ms * 1000))

    def gap(self, seconds):
        self.t += dt.timedelta(seconds=seconds, microseconds=self.rng.randint(0, 999_999))

    def new_id(self):
        while True:
            i = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            if i not in self.ids:
                self.ids.add(i)
                return i

    def request(self, *, verb, uri, user, ua, ips, object_ref=None, level="Metadata", code=200, status=None,
                req=None, resp=None, annotations=None, impersonated=None, stages=None, latency_ms=None,
                audit_id=None):
        """Emit one request (optionally RequestReceived + ResponseComplete); returns its auditID."""
        aid = audit_id or self.new_id()
        if self._pre_ticked:
            self._pre_ticked = False
        else:
            self.tick()
        if latency_ms is None:
            latency_ms = self.rng.uniform(0.8, 6.0) if verb in ("get", "update", "patch") else self.rng.uniform(2, 40)
        latency = dt.timedelta(microseconds=int(latency_ms * 1000))
        if latency > dt.timedelta(seconds=30):
            # a long watch: its ResponseComplete is written now, it was received minutes ago
            received, done = self.t - latency, self.t
        else:
            received, done = self.t, self.t + latency
        use_stages = self.stages if stages is None else stages

        def base(stage):
            e = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": level, "auditID": aid, "stage": stage,
                 "requestURI": uri, "verb": verb, "user": user}
            if impersonated and stage != "RequestReceived":
                e["impersonatedUser"] = impersonated
            e["sourceIPs"] = ips
            if ua is not None:
                e["userAgent"] = ua
            if object_ref is not None:
                ref = object_ref
                if stage == "RequestReceived" and verb == "create" and "subresource" not in ref:
                    # the name of a created object is only known once the body is decoded
                    ref = {k: v for k, v in ref.items() if k != "name"}
                e["objectRef"] = ref
            return e

        if use_stages and done - received < dt.timedelta(seconds=30):
            e = base("RequestReceived")
            e["requestReceivedTimestamp"] = ts_micro(received)
            e["stageTimestamp"] = ts_micro(received)
            self.lines.append(gojson(e))
        e = base("ResponseComplete")
        e["responseStatus"] = status or status_ok(code)
        if req is not None and level in ("Request", "RequestResponse"):
            e["requestObject"] = req
        if resp is not None and level == "RequestResponse":
            e["responseObject"] = resp
        e["requestReceivedTimestamp"] = ts_micro(received)
        e["stageTimestamp"] = ts_micro(done)
        ann = {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
        if annotations:
            ann.update(annotations)
        e["annotations"] = M(ann)
        self.t = max(self.t, done)
        self.lines.append(gojson(e))
        return aid

    def write(self, path):
        with open(path, "w", encoding="utf-8") as f:
            for line in self.lines:
                f.write(line + "\n")


def objref(resource, ns=None, name=None, group="", version="v1", sub=None, uid=None, rv=None):
    o = {"resource": resource}
    if ns:
        o["namespace"] = ns
    if name:
        o["name"] = name
    if uid:
        o["uid"] = uid
    o["apiGroup"] = group
    o["apiVersion"] = version
    if rv:
        o["resourceVersion"] = rv
    if sub:
        o["subresource"] = sub
    return o


def batch_ref(resource, ns=None, name=None, sub=None, uid=None):
    return objref(resource, ns, name, "batch", "v1", sub, uid)


def new_rng(seed):
    return random.Random(seed)
