#!/usr/bin/env bash
# Scrape cost and memory of the loadavg-only page: kernel_exporter next to
# `prometheus-node-exporter --collector.disable-defaults --collector.loadavg`, same run, same
# client (one keep-alive curl, gzip asked for as Prometheus does), rounds interleaved.
# Usage: bench/scrape.sh BUILD_DIR [SCRAPES_PER_ROUND] [ROUNDS]
set -euo pipefail
BUILD=$1
SCRAPES=${2:-3000}
ROUNDS=${3:-3}
WORK=$(mktemp -d /tmp/ke-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

OURS_PORT=29477
NODE_PORT=29100
"$BUILD/kernel_exporter" --web.listen-address=127.0.0.1:$OURS_PORT --no-collector.workqueue \
  --no-collector.softirq 2>"$WORK/ours.log" &
PIDS+=($!); OURS_PID=$!
prometheus-node-exporter --web.listen-address=127.0.0.1:$NODE_PORT \
  --collector.disable-defaults --collector.loadavg 2>"$WORK/node.log" &
PIDS+=($!); NODE_PID=$!
for port in $OURS_PORT $NODE_PORT; do
  for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/metrics" && break; sleep 0.1; done
done

# CPU time of every thread of a process, in ns (schedstat has ns resolution, stat has ticks).
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {printf "%.0f", s}'; }
rss_kib() { awk '/^VmRSS/ {print $2}' /proc/"$1"/status; }

for port in $OURS_PORT $NODE_PORT; do
  for _ in $(seq "$SCRAPES"); do
    printf 'url = "http://127.0.0.1:%s/metrics"\noutput = "/dev/null"\n' "$port"
  done >"$WORK/curl-$port.cfg"
done

# One round: SCRAPES scrapes; prints "cpu_us_per_scrape p50_us p99_us rss_kib".
round() {
  local port=$1 pid=$2 before after
  curl -s -K "$WORK/curl-$port.cfg" -H 'Accept-Encoding: gzip' -w '%{time_total}\n' >/dev/null  # warm
  before=$(cpu_ns "$pid")
  curl -s -K "$WORK/curl-$port.cfg" -H 'Accept-Encoding: gzip' -w '%{time_total}\n' >"$WORK/times"
  after=$(cpu_ns "$pid")
  sort -g "$WORK/times" | awk -v n="$SCRAPES" -v cpu=$((after - before)) -v rss="$(rss_kib "$pid")" \
    '{t[NR] = $1} END {printf "%.1f %.1f %.1f %d\n", cpu / n / 1000, t[int(n * 0.5)] * 1e6, t[int(n * 0.99)] * 1e6, rss}'
}

for r in $(seq "$ROUNDS"); do
  echo "ours $(round $OURS_PORT $OURS_PID)" >>"$WORK/results"
  echo "node $(round $NODE_PORT $NODE_PID)" >>"$WORK/results"
done

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
stat() { awk -v who="$1" -v col="$2" '$1 == who {print $col}' "$WORK/results" | median; }
bytes_ours=$(curl -s -H 'Accept-Encoding: gzip' "http://127.0.0.1:$OURS_PORT/metrics" | wc -c)
bytes_node=$(curl -s -H 'Accept-Encoding: gzip' "http://127.0.0.1:$NODE_PORT/metrics" | wc -c)

printf '# loadavg-only page, %d scrapes x %d rounds, medians\n' "$SCRAPES" "$ROUNDS"
printf '%-22s %14s %14s %8s\n' metric kernel_exporter node_exporter ratio
for spec in "cpu_us_per_scrape 2" "latency_p50_us 3" "latency_p99_us 4" "rss_kib 5"; do
  set -- $spec
  ours=$(stat ours "$2"); node=$(stat node "$2")
  printf '%-22s %14s %14s %8.2f\n' "$1" "$ours" "$node" "$(awk -v a="$ours" -v b="$node" 'BEGIN {print a / b}')"
done
printf '%-22s %14s %14s %8.2f\n' page_bytes_gzip "$bytes_ours" "$bytes_node" "$(awk -v a="$bytes_ours" -v b="$bytes_node" 'BEGIN {print a / b}')"
