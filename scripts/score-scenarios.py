#!/usr/bin/env python3
"""Run `jobwarden hunt --format jsonl` over every scenario in tests/data/scenarios and score it
against expected.json: attacks must cite their auditIDs at >= min_severity, benign files must
produce nothing at medium or above. Prints one line per scenario and a total; exits 1 on a miss.

Usage: scripts/score-scenarios.py [path/to/jobwarden] [scenario-dir]
"""
import json, subprocess, sys, os

SEV = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
exe = sys.argv[1] if len(sys.argv) > 1 else "target/debug/jobwarden"
root = sys.argv[2] if len(sys.argv) > 2 else "tests/data/scenarios"
spec = json.load(open(os.path.join(root, "expected.json")))
bad = 0
for name, sc in sorted(spec["scenarios"].items()):
    path = os.path.join(root, name)
    args = [exe, "hunt", "--format", "jsonl", "--min-severity", "info", "--quiet", path]
    if sc["kind"] == "needs-config":
        # Scored with the documented config beside the scenario: it must then be quiet.
        args += ["--config", path.replace(".jsonl", ".config.yaml")]
    out = subprocess.run(args, capture_output=True, text=True)
    alerts = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
    kind = sc["kind"]
    if kind == "attack":
        need = SEV[sc.get("min_severity", "medium")]
        cited = {e.get("audit_id") for a in alerts if SEV[a["severity"]] >= need for e in a["evidence"]}
        missing = [i for i in sc["must_cite"] if i not in cited]
        ok = not missing
        detail = f"missing {missing}" if missing else f"{sum(SEV[a['severity']] >= need for a in alerts)} alerts >= {sc.get('min_severity','medium')}"
    else:
        loud = [a for a in alerts if SEV[a["severity"]] >= 2]
        ok = not loud
        detail = "quiet" if ok else "; ".join(f"{a['severity']} {a['rule']['id']} {a['summary'][:110]}" for a in loud)
    bad += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
print(f"{len(spec['scenarios']) - bad} passed, {bad} failed")
sys.exit(1 if bad else 0)
