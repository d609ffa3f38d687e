#!/usr/bin/env bash
# Measures node log collection over generated logs: throughput (MB/s) and
# peak memory (maximum resident set size, from /usr/bin/time -v).
# Usage: scripts/measure-collect-logs.sh [MIB]   (default 1024 = 1 GiB)
# The acceptance bound is a peak RSS of at most 64 MB whatever the size.
set -euo pipefail
MIB=${1:-1024}
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }
cargo build --release --example collect_logs >&2
BIN=target/release/examples/collect_logs
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/root" "$WORK/out"
echo "generating $MIB MiB of logs in $WORK/root ..." >&2
"$BIN" generate "$WORK/root" "$MIB"
sync
/usr/bin/time -v "$BIN" collect "$WORK/root" "$WORK/out" >"$WORK/result" 2>"$WORK/time"
cat "$WORK/result"
RSS_KB=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$WORK/time")
echo "cpu_user_s=$(awk -F': ' '/User time/ {print $2}' "$WORK/time")"
echo "cpu_system_s=$(awk -F': ' '/System time/ {print $2}' "$WORK/time")"
echo "peak_rss_kb=$RSS_KB"
echo "peak_rss_mb=$(( RSS_KB / 1024 ))"
if [ "$RSS_KB" -gt $((64 * 1024)) ]; then
    echo "FAIL: peak RSS above 64 MB" >&2
    exit 1
fi
