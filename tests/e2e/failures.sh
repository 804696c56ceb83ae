#!/usr/bin/env bash
# Bad input gets a clear error and loses nothing: configuration errors, bad flags, and
# collectors that cannot attach while the others keep serving.
set -uo pipefail
EXPORTER=$1
source "$(dirname "$0")/lib/e2e.bash"
e2e_init

cat >"$WORK/bad.yaml" <<'YAML'
collectors:
  workqueue:
    label_limit: 0
    colour: blue
  softirq:
    filters:
      vector:
        include: ["(unclosed"]
YAML
"$EXPORTER" --config.file="$WORK/bad.yaml" >"$WORK/bad.log" 2>&1
check "bad config exits 2" [ $? -eq 2 ]
check "error names file, line and key (label_limit)" grep -q "$WORK/bad.yaml:3:.*collectors.workqueue.label_limit" "$WORK/bad.log"
check "every error is reported (unknown key)" grep -q "$WORK/bad.yaml:4:.*collectors.workqueue.colour" "$WORK/bad.log"
check "every error is reported (bad regex)" grep -q "$WORK/bad.yaml:8:.*collectors.softirq.filters.vector.include" "$WORK/bad.log"

"$EXPORTER" --config.check --config.file="$WORK/bad.yaml" >"$WORK/check.log" 2>&1
check "--config.check fails on a bad file" [ $? -eq 2 ]
check "--config.check lists all three errors" [ "$(grep -c "$WORK/bad.yaml:" "$WORK/check.log")" -ge 3 ]
"$EXPORTER" --config.check >"$WORK/check-default.log" 2>&1
check "--config.check passes the embedded default" [ $? -eq 0 ]
"$EXPORTER" --no-such-flag >"$WORK/flag.log" 2>&1
check "unknown flag exits 2" [ $? -eq 2 ]
check "unknown flag is named" grep -q -- "--no-such-flag" "$WORK/flag.log"
"$EXPORTER" --config.file="$WORK/missing.yaml" >"$WORK/missing.log" 2>&1
check "missing config file exits 2" [ $? -eq 2 ]

# Refuse every hook the tracepoint collectors have: they go down, loadavg keeps serving.
PORT=$(free_port)
start degraded "$EXPORTER" --web.listen-address=127.0.0.1:$PORT \
  --bpf.disable-hooks=tp_btf,raw_tp,tracepoint --no-collector.softirq
wait_http "http://127.0.0.1:$PORT/-/ready" || finish
curl -fsS "http://127.0.0.1:$PORT/metrics" >"$WORK/degraded.txt"
check "unavailable collector reported down" grep -q '^kernel_exporter_collector_up{collector="workqueue"} 0' "$WORK/degraded.txt"
check "its programs report hook none" grep -q 'kernel_exporter_bpf_program_info{collector="workqueue",program="execute_start",hook="none"} 1' "$WORK/degraded.txt"
check "other collectors keep serving" grep -q '^kernel_load1 ' "$WORK/degraded.txt"
check "disabled collector absent" bash -c "! grep -q 'collector=\"softirq\"' '$WORK/degraded.txt'"
check "the reason is logged" grep -q 'disabled by --bpf.disable-hooks' "$WORK/degraded.log"
check "landing page shows the reason" bash -c "curl -fsS http://127.0.0.1:$PORT/ | grep -q 'disabled by --bpf.disable-hooks'"
finish
