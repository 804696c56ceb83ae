#!/usr/bin/env bash
# Native histograms end to end: one Prometheus 2.42 with --enable-feature=native-histograms
# (asks for protobuf) and one without (asks for OpenMetrics) scrape the same exporter. After a
# pty workload the flush_to_ldisc histogram is frozen, so both must hold the same observations:
# native buckets summed up to each classic bound equal the classic bucket, counts equal.
set -uo pipefail
EXPORTER=$1
WORKLOAD=$2
source "$(dirname "$0")/lib/e2e.bash"
e2e_init

# Schema 3 for workqueue histograms: native buckets eight times finer than the classic ones.
cat >"$WORK/config.yaml" <<'YAML'
collectors:
  workqueue:
    histogram: {schema: 3}
YAML
EXPORTER_PORT=$(free_port)
NATIVE_PORT=$(free_port)
CLASSIC_PORT=$(free_port)
BASE=http://127.0.0.1:$EXPORTER_PORT
start exporter "$EXPORTER" --web.listen-address=127.0.0.1:$EXPORTER_PORT --config.file="$WORK/config.yaml"
wait_http "$BASE/-/ready" || finish

# Every format answers with its content type.
content_type() { curl -fsS -o "$WORK/page.$2" -D - -H "Accept: $1" "$BASE/metrics" | tr -d '\r' | awk -F': ' 'tolower($1) == "content-type" {print $2}'; }
check "protobuf negotiated" [ "$(content_type 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited' pb)" = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited" ]
check "OpenMetrics negotiated" [ "$(content_type 'application/openmetrics-text;version=1.0.0' om)" = "application/openmetrics-text; version=1.0.0; charset=utf-8" ]
check "OpenMetrics ends with # EOF" [ "$(tail -n 1 "$WORK/page.om")" = "# EOF" ]
check "text by default" [ "$(content_type '*/*' txt)" = "text/plain; version=0.0.4; charset=utf-8" ]
check "gzip works for protobuf" bash -c "curl -fsS -H 'Accept-Encoding: gzip' -H 'Accept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited' '$BASE/metrics' | gzip -dc | grep -qa kernel_exporter_build_info"

"$WORKLOAD" pty 2000 || fail "pty workload"

for mode in native classic; do
  port=$NATIVE_PORT; flags=(--enable-feature=native-histograms)
  [ $mode = classic ] && { port=$CLASSIC_PORT; flags=(); }
  cat >"$WORK/$mode.yml" <<YAML
global: {scrape_interval: 1s}
scrape_configs:
  - job_name: kernel
    static_configs: [{targets: ['127.0.0.1:$EXPORTER_PORT']}]
YAML
  start "prometheus-$mode" prometheus --config.file="$WORK/$mode.yml" "${flags[@]}" \
    --storage.tsdb.path="$WORK/tsdb-$mode" --web.listen-address=127.0.0.1:$port
done
wait_http "http://127.0.0.1:$NATIVE_PORT/-/ready" 30 || finish
wait_http "http://127.0.0.1:$CLASSIC_PORT/-/ready" 30 || finish

query() {  # query PORT PROMQL: the JSON result array
  curl -fsS "http://127.0.0.1:$1/api/v1/query" --data-urlencode "query=$2" | jq -c '.data.result'
}
wait_for() {  # wait_for PORT PROMQL: until the query has a result
  local deadline=$((SECONDS + 30))
  while [ $SECONDS -lt $deadline ]; do
    [ "$(query "$1" "$2")" != "[]" ] && return 0
    sleep 0.5
  done
  return 1
}
SERIES='kernel_workqueue_execution_seconds{function="flush_to_ldisc"}'
check "native Prometheus ingests a native histogram" wait_for $NATIVE_PORT "histogram_count($SERIES) > 0"
check "classic Prometheus ingests classic buckets" wait_for $CLASSIC_PORT 'kernel_workqueue_execution_seconds_count{function="flush_to_ldisc"} > 0'
check "native series has no _bucket series" [ "$(query $NATIVE_PORT 'count(kernel_workqueue_execution_seconds_bucket)')" = "[]" ]
check "native quantile" wait_for $NATIVE_PORT "histogram_quantile(0.99, $SERIES) > 0"
check "native histogram of a schema-0 collector" wait_for $NATIVE_PORT 'histogram_count(kernel_softirq_execution_seconds{vector="timer"}) > 0'

# Same observations both ways: native buckets (schema 3) summed to each classic bound.
query $NATIVE_PORT "$SERIES" | jq -c '.[0].histogram[1]' >"$WORK/native.json"
query $CLASSIC_PORT 'kernel_workqueue_execution_seconds_bucket{function="flush_to_ldisc"}' |
  jq -c '[.[] | {le: .metric.le, count: .value[1]}]' >"$WORK/classic.json"
native_count=$(jq -r '.count' "$WORK/native.json")
classic_count=$(query $CLASSIC_PORT 'kernel_workqueue_execution_seconds_count{function="flush_to_ldisc"}' | jq -r '.[0].value[1]')
check "counts equal ($native_count native, $classic_count classic)" [ "$native_count" = "$classic_count" ]
check "counts at least the 2000 round trips" [ "${native_count:-0}" -ge 2000 ]
mismatches=$(jq -n --slurpfile native "$WORK/native.json" --slurpfile classic "$WORK/classic.json" '
  [ $classic[0][] | select(.le != "+Inf") | . as $bucket |
    ([ $native[0].buckets[] | select((.[2] | tonumber) <= ($bucket.le | tonumber)) | .[3] | tonumber ] | add // 0) as $sum |
    select($sum != ($bucket.count | tonumber)) | {le: $bucket.le, classic: $bucket.count, native: $sum} ]')
check "every classic bucket equals the native buckets below it" [ "$mismatches" = "[]" ]
[ "$mismatches" = "[]" ] || echo "$mismatches"
check "native buckets are finer than powers of two (schema 3)" jq -e '[.buckets[] | .[2] | tonumber | log2 | select(. != floor)] | length > 0' "$WORK/native.json"
finish
