#!/usr/bin/env bash
# Start-up: from exec to every collector loaded and attached (the exporter's own measurement,
# logged as duration_ms) and to /-/ready answering, with the default configuration (plus FLAGS,
# e.g. --collector.mutex); median of RUNS.
# Usage: bench/startup.sh BUILD_DIR [RUNS [FLAGS...]]
set -euo pipefail
BUILD=$1
RUNS=${2:-7}
shift $(( $# < 2 ? $# : 2 ))
PORT=29478
LOG=$(mktemp /tmp/ke-startup.XXXXXX)
trap 'rm -f "$LOG"' EXIT
loads=() readies=()
for _ in $(seq "$RUNS"); do
  start=$(date +%s%N)
  "$BUILD/kernel_exporter" --web.listen-address=127.0.0.1:$PORT "$@" 2>"$LOG" &
  pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$PORT/-/ready"; do sleep 0.002; done
  ready=$(( ($(date +%s%N) - start) / 1000000 ))
  kill "$pid"; wait "$pid" || true
  sleep 1  # let the kernel finish freeing the previous instance's programs
  loads+=("$(grep 'collectors loaded' "$LOG" | grep -o 'duration_ms=[0-9]*' | cut -d= -f2)")
  readies+=("$ready")
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
printf '# start-up, default collectors%s, median of %d runs\n' "${*:+ and $*}" "$RUNS"
printf 'load_and_attach_ms %s\nexec_to_ready_ms %s\n' "$(median "${loads[@]}")" "$(median "${readies[@]}")"
