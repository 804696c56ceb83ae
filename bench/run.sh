#!/usr/bin/env bash
# Every benchmark, one after the other; figures go to docs/performance.md by hand, with this
# command. Usage: bench/run.sh BUILD_DIR
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
# bpftrace (the slab and lock comparisons) attaches classic tracepoints: tracefs is needed.
[ -d /sys/kernel/tracing/events ] || mount -t tracefs tracefs /sys/kernel/tracing
echo "## per-event cost"; "$BUILD/bench/bench_event_cost"
echo; echo "## lock contention cost (two CPUs, next to bpftrace)"; "$BUILD/bench/bench_lock_cost"
echo; echo "## mutex cost per mutex_lock (Debian 6.1 under qemu)"; bench/mutex_vm.sh "$BUILD"
echo; echo "## scrape cost and memory"; bench/scrape.sh "$BUILD"
echo; echo "## start-up"; bench/startup.sh "$BUILD"
echo; echo "## start-up with the mutex collector (fentry refused here)"
bench/startup.sh "$BUILD" 7 --collector.mutex
echo; echo "## serialization"; bench/serialize.sh "$BUILD"
