#!/usr/bin/env bash
# End to end: the real exporter, scraped by a real Prometheus 2.42 on loopback; its output
# linted by promtool; HTTP behaviour checked with curl.
set -uo pipefail
EXPORTER=$1
source "$(dirname "$0")/lib/e2e.bash"
e2e_init

EXPORTER_PORT=$(free_port)
PROMETHEUS_PORT=$(free_port)
BASE=http://127.0.0.1:$EXPORTER_PORT
start exporter "$EXPORTER" --web.listen-address=127.0.0.1:$EXPORTER_PORT
wait_http "$BASE/-/ready" || finish

# Exposition: promtool reports nothing, every self-metric is there.
curl -fsS "$BASE/metrics" >"$WORK/metrics.txt"
check "promtool check metrics is clean" bash -c "promtool check metrics <'$WORK/metrics.txt' >'$WORK/promtool.log' 2>&1 && ! [ -s '$WORK/promtool.log' ]"
[ -s "$WORK/promtool.log" ] && cat "$WORK/promtool.log"
for family in kernel_exporter_build_info kernel_exporter_collector_up \
  kernel_exporter_scrape_collector_duration_seconds kernel_exporter_scrape_collector_success \
  kernel_exporter_bpf_program_info kernel_exporter_bpf_dropped_events_total \
  kernel_exporter_label_folded_events_total kernel_load1 kernel_load5 kernel_load15 \
  kernel_runnable_tasks kernel_tasks kernel_workqueue_execution_seconds \
  kernel_workqueue_queue_latency_seconds kernel_softirq_execution_seconds \
  kernel_tasklet_execution_seconds; do
  check "HELP and TYPE for $family" grep -q "^# TYPE $family " "$WORK/metrics.txt"
done
check "every collector up" bash -c "! grep -q '^kernel_exporter_collector_up{.*} 0' '$WORK/metrics.txt'"
check "no timestamps on samples" bash -c "! grep -vE '^#' '$WORK/metrics.txt' | sed -E 's/\\{.*\\}//' | awk 'NF != 2' | grep -q ."

# HTTP behaviour.
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "landing page links the metrics" bash -c "curl -fsS '$BASE/' | grep -q 'href=\"/metrics\"'"
check "unknown path is 404" [ "$(code "$BASE/nope")" = 404 ]
check "POST is 405" [ "$(code -X POST "$BASE/metrics")" = 405 ]
check "healthy" [ "$(code "$BASE/-/healthy")" = 200 ]
check "gzip when asked" bash -c "curl -fsS -H 'Accept-Encoding: gzip' -D '$WORK/headers' -o '$WORK/page.gz' '$BASE/metrics' && grep -qi '^content-encoding: gzip' '$WORK/headers' && gzip -dc '$WORK/page.gz' | grep -q '^kernel_load1 '"
check "malformed request is 4xx" bash -c "printf 'GARBAGE\r\n\r\n' | timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$EXPORTER_PORT; cat >&3; head -c 12 <&3' | grep -qE 'HTTP/1.[01] 4'"

# A real Prometheus scrapes it.
cat >"$WORK/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: kernel
    static_configs: [{targets: ['127.0.0.1:$EXPORTER_PORT']}]
YAML
start prometheus prometheus --config.file="$WORK/prometheus.yml" \
  --storage.tsdb.path="$WORK/tsdb" --web.listen-address=127.0.0.1:$PROMETHEUS_PORT
wait_http "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" 30 || finish

query() {  # query PROMQL: prints the first value, empty when no series
  curl -fsS "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/query" --data-urlencode "query=$1" |
    jq -r '.data.result[0].value[1] // empty'
}
wait_query() {  # wait_query PROMQL: until it has a result
  local deadline=$((SECONDS + 30)) value
  while [ $SECONDS -lt $deadline ]; do
    value=$(query "$1")
    [ -n "$value" ] && { echo "$value"; return 0; }
    sleep 0.5
  done
  return 1
}
check "Prometheus sees the target up" [ "$(wait_query 'up{job="kernel"} == 1')" = 1 ]
check "load average ingested" wait_query 'kernel_load1'
check "workqueue histogram ingested" wait_query 'sum(kernel_workqueue_execution_seconds_count) > 0'
check "softirq timer histogram ingested" wait_query 'kernel_softirq_execution_seconds_count{vector="timer"} > 0'
check "quantile over the classic buckets" wait_query 'histogram_quantile(0.99, sum by (le) (rate(kernel_softirq_execution_seconds_bucket[5s]))) > 0'
check "collector success reported" [ "$(wait_query 'min(kernel_exporter_scrape_collector_success)')" = 1 ]
finish
