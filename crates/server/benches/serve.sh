#!/usr/bin/env bash
# Loopback benchmark of `jobwarden serve` (bounded in time; prints figures).
#
#   1. admission latency p50/p99 at a fixed request rate (default 2,000 requests/s) on /validate
#   2. audit ingest: EventList batches (default 400 events) on /audit as fast as acknowledged,
#      then the time until the detection thread has worked the spool off.
#
# Load tool: wrk (Debian: apt-get install -y wrk). The rate is held with wrk's Lua delay():
# each of CONNS connections waits between a response and its next request, so the rate is
# CONNS / (delay + latency). A 2 s calibration run measures the mean latency first and the delay
# becomes CONNS*1000/RATE minus it; the figure line prints the rate actually reached.
#
# Env: SERVE (server command; default builds the `jobwarden` binary in PROFILE and runs `jobwarden serve`), PROFILE
# (release|debug, default release), DURATION (per phase, default 10s), RATE, CONNS, BATCH,
# PORT, FSYNC (always|interval|never, default interval).
set -euo pipefail

DURATION=${DURATION:-10s}
RATE=${RATE:-2000}
CONNS=${CONNS:-20}
BATCH=${BATCH:-400}
PORT=${PORT:-18443}
FSYNC=${FSYNC:-interval}
PROFILE=${PROFILE:-release}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)

command -v wrk >/dev/null || { echo "serve.sh: wrk is missing: apt-get install -y wrk" >&2; exit 2; }
command -v openssl >/dev/null || { echo "serve.sh: openssl (CLI) is missing" >&2; exit 2; }

if [ -z "${SERVE:-}" ]; then
  target=${CARGO_TARGET_DIR:-$root/target}
  flag=""; [ "$PROFILE" = release ] && flag="--release"
  (cd "$root" && nice cargo build -q $flag -p jobwarden --bin jobwarden)
  SERVE="$target/$PROFILE/jobwarden serve"
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -keyout "$work/key.pem" -out "$work/cert.pem" -subj /CN=localhost \
  -addext subjectAltName=IP:127.0.0.1,DNS:localhost 2>/dev/null
token=bench-$RANDOM$RANDOM
printf '%s\n' "$token" > "$work/token"

$SERVE --listen "127.0.0.1:$PORT" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --token-file "$work/token" --spool-dir "$work/spool" --alerts-file "$work/alerts.jsonl" \
  --fsync "$FSYNC" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  curl -skf "https://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -skf "https://127.0.0.1:$PORT/readyz" >/dev/null || { echo "server did not start:"; cat "$work/server.log"; exit 1; }

# A clean CronJob review (the common case) as the admission body.
cat > "$work/review.json" <<'JSON'
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"bench","kind":{"group":"batch","version":"v1","kind":"CronJob"},"resource":{"group":"batch","version":"v1","resource":"cronjobs"},"name":"nightly","namespace":"reports","operation":"CREATE","userInfo":{"username":"oidc:alice","groups":["system:authenticated"]},"object":{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"nightly","namespace":"reports"},"spec":{"schedule":"30 1 * * *","jobTemplate":{"spec":{"ttlSecondsAfterFinished":3600,"template":{"spec":{"restartPolicy":"Never","securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"main","image":"registry.example.org/team/report:1.2.3","securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}}}]}}}}}},"dryRun":false}}
JSON

# An EventList of BATCH events: mostly pod reads (Metadata level), every 20th a CronJob create.
{
  printf '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":['
  for i in $(seq 1 "$BATCH"); do
    [ "$i" -gt 1 ] && printf ','
    if [ $((i % 20)) -eq 0 ]; then
      printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"AUDITID-%d","stage":"ResponseComplete","requestURI":"/apis/batch/v1/namespaces/reports/cronjobs","verb":"create","user":{"username":"oidc:alice","groups":["system:authenticated"]},"sourceIPs":["10.0.0.1"],"userAgent":"kubectl/v1.31.0","objectRef":{"resource":"cronjobs","namespace":"reports","name":"nightly-%d","apiGroup":"batch","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"nightly-%d","namespace":"reports"},"spec":{"schedule":"30 1 * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"m","image":"registry.example.org/r:1"}]}}}}}},"requestReceivedTimestamp":"2026-11-27T10:00:00.000000Z","stageTimestamp":"2026-11-27T10:00:00.010000Z"}' "$i" "$i" "$i"
    else
      printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"AUDITID-%d","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/apps/pods/web-%d","verb":"get","user":{"username":"system:serviceaccount:apps:web","groups":["system:serviceaccounts","system:authenticated"]},"sourceIPs":["10.0.3.4"],"userAgent":"app/1.0","objectRef":{"resource":"pods","namespace":"apps","name":"web-%d","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-11-27T10:00:00.000000Z","stageTimestamp":"2026-11-27T10:00:00.001000Z"}' "$i" "$i" "$i"
    fi
  done
  printf ']}'
} > "$work/events.json"

delay_ms=$(awk -v c="$CONNS" -v r="$RATE" 'BEGIN { printf "%.3f", c * 1000 / r }')
write_review_lua() {
cat > "$work/review.lua" <<LUA
local f = io.open("$work/review.json", "rb"); wrk.body = f:read("*a"); f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
function delay() return $delay_ms end
LUA
}
write_review_lua
# Unique auditIDs per request, or the server's de-duplication drops every repeat. The template
# is split once at each marker and each request joins the pieces around a fresh prefix: a
# `gsub` over the 236 KB body cost wrk more CPU than the server spent on the batch.
cat > "$work/audit.lua" <<LUA
local f = io.open("$work/events.json", "rb"); local template = f:read("*a"); f:close()
local pieces = {}
local start = 1
while true do
  local s, e = string.find(template, "AUDITID-", start, true)
  if not s then break end
  pieces[#pieces + 1] = string.sub(template, start, s - 1)
  start = e + 1
end
local tail = string.sub(template, start)
local counter = 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
local n = 0
local parts = {}
request = function()
  n = n + 1
  local prefix = "t" .. tid .. "r" .. n .. "-"
  local k = 0
  for i = 1, #pieces do
    parts[k + 1] = pieces[i]; parts[k + 2] = prefix; k = k + 2
  end
  parts[k + 1] = tail
  return wrk.format("POST", "/audit", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $token"}, table.concat(parts))
end
LUA

# Calibration: the mean latency at the nominal delay, in ms.
wrk -t2 -c"$CONNS" -d2s -s "$work/review.lua" "https://127.0.0.1:$PORT/validate" > "$work/wrk-calibrate.txt"
mean_ms=$(awk '/^ +Latency/ { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }; print v }' "$work/wrk-calibrate.txt")
delay_ms=$(awk -v d="$delay_ms" -v m="${mean_ms:-0}" 'BEGIN { x = d - m; if (x < 0) x = 0; printf "%.3f", x }')
write_review_lua
echo "== admission: $RATE requests/s target, $CONNS connections, $DURATION (delay ${delay_ms} ms after a mean latency of ${mean_ms} ms)"
wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$work/review.lua" "https://127.0.0.1:$PORT/validate" | tee "$work/wrk-validate.txt"
p50=$(awk '/^ +50%/ {print $2}' "$work/wrk-validate.txt")
p99=$(awk '/^ +99%/ {print $2}' "$work/wrk-validate.txt")
rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk-validate.txt")
echo "FIGURE admission: ${rps} req/s, p50 ${p50}, p99 ${p99} (target p99 < 2ms at 2000 req/s)"

echo "== audit ingest: $BATCH events per batch, 4 connections, $DURATION, fsync=$FSYNC"
start=$(date +%s.%N)
wrk -t2 -c4 -d"$DURATION" -s "$work/audit.lua" "https://127.0.0.1:$PORT/audit" | tee "$work/wrk-audit.txt"
batches=$(awk '/requests in/ {print $1}' "$work/wrk-audit.txt")
secs=$(awk '/requests in/ {sub(/s,$/, "", $4); print $4}' "$work/wrk-audit.txt")
refused=$(awk '/Non-2xx/ {print $5}' "$work/wrk-audit.txt"); refused=${refused:-0}
# Wait (bounded) for the detection thread to work the spool off.
for _ in $(seq 600); do
  depth=$(curl -sk -H "Authorization: Bearer $token" "https://127.0.0.1:$PORT/metrics" | awk '/^jobwarden_spool_depth_bytes/ {print $2}')
  [ "${depth:-1}" = 0 ] && break
  sleep 0.1
done
end=$(date +%s.%N)
curl -sk -H "Authorization: Bearer $token" "https://127.0.0.1:$PORT/metrics" | grep -E '^jobwarden_(audit_events|duplicate_audit_events)' || true
awk -v n="$BATCH" -v total="$batches" -v secs="$secs" -v r="$refused" -v s="$start" -v e="$end" 'BEGIN {
  acked = (total - r) * n
  printf "FIGURE audit ingest: %.0f events/s acknowledged (%d batches of %d in %.2f s; %d more refused with 429), %.0f events/s processed end to end (all %.0f events judged %.1f s after the first was sent)\n", acked / secs, total - r, n, secs, r, acked / (e - s), acked, e - s
}'
echo "alerts written: $(wc -l < "$work/alerts.jsonl" 2>/dev/null || echo 0)"
