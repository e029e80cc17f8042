//! No input makes the policy core panic: arbitrary JSON shaped like workloads, arbitrary
//! patches, and arbitrary command text (including hostile base64 and pipes).

use jobwarden_policy::template::commands::{ScanContext, scan};
use jobwarden_policy::{
    PatchKind, TemplatePolicy, apply_patch, cronjob_facts, judge_cronjob, judge_object,
    summarize_pod_spec,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Keys that steer the judges into their interesting branches.
const KEYS: &[&str] = &[
    "kind",
    "spec",
    "template",
    "jobTemplate",
    "containers",
    "initContainers",
    "volumes",
    "hostPath",
    "path",
    "securityContext",
    "privileged",
    "capabilities",
    "add",
    "command",
    "args",
    "env",
    "value",
    "name",
    "image",
    "volumeMounts",
    "mountPath",
    "subPath",
    "tolerations",
    "operator",
    "key",
    "nodeSelector",
    "affinity",
    "schedule",
    "successfulJobsHistoryLimit",
    "ttlSecondsAfterFinished",
    "hostPID",
    "serviceAccountName",
    "op",
    "from",
    "$patch",
    "$retainKeys",
    "$deleteFromPrimitiveList/finalizers",
    "metadata",
    "namespace",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just("CronJob".to_string()),
            Just("Job".to_string()),
            Just("Pod".to_string()),
            Just("/".to_string()),
            Just("/spec/containers/0".to_string()),
            Just("add".to_string()),
            Just("replace".to_string()),
            Just("* * * * *".to_string()),
            ".{0,40}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|pairs| {
                let mut m = Map::new();
                for (k, v) in pairs {
                    m.insert(k.to_string(), v);
                }
                Value::Object(m)
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn judges_never_panic(obj in json_value()) {
        let policy = TemplatePolicy::default();
        let _ = judge_object(&obj, &policy);
        let _ = judge_cronjob(&obj);
        let _ = cronjob_facts(&obj);
        let _ = summarize_pod_spec(&obj);
        if let Some(spec) = obj.get("spec") {
            let _ = jobwarden_policy::judge_pod_spec(spec, "spec", Some("ns"), &policy);
            let _ = summarize_pod_spec(spec);
        }
    }

    #[test]
    fn patches_never_panic(base in json_value(), patch in json_value()) {
        for kind in [PatchKind::JsonPatch, PatchKind::MergePatch, PatchKind::StrategicMerge, PatchKind::Apply] {
            let _ = apply_patch(&base, &patch, kind);
            let _ = jobwarden_policy::apply_patch_lenient(&base, &patch, kind);
        }
        let _ = PatchKind::guess(&patch);
    }

    #[test]
    fn hostile_pointers_never_panic(depth in 0usize..5000, index in any::<u64>()) {
        let pointer = format!("{}/{index}", "/a".repeat(depth));
        let patch = json!([{"op": "add", "path": pointer, "value": 1}, {"op": "copy", "from": pointer, "path": "/b"}]);
        let _ = jobwarden_policy::apply_patch_lenient(&Value::Null, &patch, PatchKind::JsonPatch);
    }

    #[test]
    fn scanning_never_panics(text in "(curl |wget |\\| ?sh|base64 -d|echo |\\$\\(|\\x5cx4[0-9]|[A-Za-z0-9+/=]{0,30}|nc -e|/dev/tcp/|;|&&|\\|\\||\n|.){0,40}") {
        let _ = scan(&text, &ScanContext::default());
    }
}
