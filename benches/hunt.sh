#!/usr/bin/env bash
# Benchmark `jobwarden hunt` on a large generated audit log.
#
# Usage: benches/hunt.sh [SIZE]            (default 1G; also JOBWARDEN_BENCH_SIZE)
# Env:   JOBWARDEN_BENCH_SEED   generator seed (default 42)
#        JOBWARDEN_BENCH_THREADS thread count for the "all threads" run (default: nproc)
#        JOBWARDEN_BENCH_DIR    where to put the log (default: a temp dir, removed at exit)
#        JOBWARDEN_BENCH_KEEP=1 keep the temp dir
#        CARGO_TARGET_DIR       honoured when locating the release binaries
#
# Builds release binaries, generates SIZE bytes with jobwarden-loadgen, then runs
# `jobwarden hunt --format jsonl` once with --threads 1 and once with all threads, printing
# MB/s (10^6 bytes), events/s and peak RSS for each, the ratio between them, and how many of the
# injected attacks were cited by an alert of severity medium or above.
set -euo pipefail

size="${1:-${JOBWARDEN_BENCH_SIZE:-1G}}"
seed="${JOBWARDEN_BENCH_SEED:-42}"
threads_all="${JOBWARDEN_BENCH_THREADS:-$(nproc)}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

echo "== building release binaries" >&2
(cd "$root" && cargo build --release -p jobwarden -p jobwarden-loadgen)
jobwarden="$target_dir/release/jobwarden"
loadgen="$target_dir/release/jobwarden-loadgen"
for bin in "$jobwarden" "$loadgen"; do
    if [[ ! -x "$bin" ]]; then
        echo "error: $bin was not built" >&2
        exit 1
    fi
done

if [[ -n "${JOBWARDEN_BENCH_DIR:-}" ]]; then
    work="$JOBWARDEN_BENCH_DIR"
    mkdir -p "$work"
else
    work="$(mktemp -d "${TMPDIR:-/tmp}/jobwarden-bench.XXXXXX")"
    if [[ "${JOBWARDEN_BENCH_KEEP:-0}" != 1 ]]; then
        trap 'rm -rf "$work"' EXIT
    fi
fi
log="$work/audit-$size-seed$seed.jsonl"
manifest="$work/attacks-$size-seed$seed.jsonl"

if [[ ! -s "$log" || ! -s "$manifest" ]]; then
    echo "== generating $size of audit log (seed $seed) into $log" >&2
    "$loadgen" --size "$size" --seed "$seed" -o "$log" --attacks-manifest "$manifest"
fi
bytes="$(stat -c %s "$log")"
events="$(wc -l <"$log")"
# Read the file once so both runs start from a warm page cache.
cat "$log" >/dev/null

have_time=0
if [[ -x /usr/bin/time ]]; then
    have_time=1
fi

# run LABEL THREADS: runs hunt, sets secs, rss_kb and found for the caller.
run() {
    local label="$1" threads="$2"
    local out="$work/alerts-$label.jsonl" err="$work/stderr-$label.txt" tfile="$work/time-$label.txt"
    local status=0 start end
    echo "== hunt --threads $threads ($label)" >&2
    if [[ "$have_time" == 1 ]]; then
        /usr/bin/time -f '%e %M' -o "$tfile" \
            "$jobwarden" hunt --format jsonl --threads "$threads" "$log" >"$out" 2>"$err" || status=$?
        # A non-zero exit adds a "Command exited with ..." line before the figures.
        read -r secs rss_kb < <(tail -n 1 "$tfile")
    else
        start="$(date +%s.%N)"
        "$jobwarden" hunt --format jsonl --threads "$threads" "$log" >"$out" 2>"$err" || status=$?
        end="$(date +%s.%N)"
        secs="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')"
        rss_kb="n/a"
    fi
    # hunt may exit non-zero when alerts are found (--fail-on); only a crash is fatal.
    if ((status > 2)); then
        echo "error: hunt ($label) exited with $status; stderr:" >&2
        cat "$err" >&2
        exit 1
    fi
    found=0
    local total=0 id
    while read -r id; do
        total=$((total + 1))
        # Not `grep -q`: under pipefail its early exit would SIGPIPE the first grep.
        if grep -F "\"audit_id\":\"$id\"" "$out" | grep -E '"severity":"(medium|high|critical)"' >/dev/null; then
            found=$((found + 1))
        fi
    done < <(sed -n 's/.*"audit_id":"\([^"]*\)".*/\1/p' "$manifest")
    attacks_total="$total"
    echo "   hunt summary (stderr, last lines):" >&2
    tail -n 5 "$err" | sed 's/^/     /' >&2
}

report() {
    local label="$1" threads="$2" secs="$3" rss_kb="$4" found="$5"
    awk -v label="$label" -v t="$threads" -v s="$secs" -v b="$bytes" -v e="$events" -v r="$rss_kb" \
        -v f="$found" -v n="$attacks_total" 'BEGIN {
        s += 0
        if (s <= 0) s = 0.001
        mbs = b / 1e6 / s
        rss = (r == "n/a") ? "n/a" : sprintf("%.1f MB", r / 1024)
        printf "%-12s threads=%-3d %8.3f s %9.1f MB/s %8.1f MB/s/thread %12.0f events/s  peak RSS %s  attacks cited %d/%d\n",
            label, t, s, mbs, mbs / t, e / s, rss, f, n
    }'
}

run single 1
single_secs="$secs" single_rss="$rss_kb" single_found="$found"
run all "$threads_all"
all_secs="$secs" all_rss="$rss_kb" all_found="$found"

echo
echo "input: $log"
awk -v b="$bytes" -v e="$events" 'BEGIN { printf "input size: %.1f MB, %d events (%.0f bytes/event)\n", b / 1e6, e, b / e }'
report "one-thread" 1 "$single_secs" "$single_rss" "$single_found"
report "all-threads" "$threads_all" "$all_secs" "$all_rss" "$all_found"
awk -v a="$single_secs" -v b="$all_secs" -v t="$threads_all" 'BEGIN {
    a += 0; b += 0
    if (b <= 0) b = 0.001
    printf "ratio: all-threads is %.2fx faster than one thread (%d threads, %.0f%% scaling efficiency)\n", a / b, t, 100 * a / b / t
}'
