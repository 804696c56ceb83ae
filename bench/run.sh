#!/usr/bin/env bash
# Every benchmark, one after the other; figures go to docs/performance.md by hand, with this
# command. Usage: bench/run.sh BUILD_DIR
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
echo "## per-event cost"; "$BUILD/bench/bench_event_cost"
echo; echo "## scrape cost and memory"; bench/scrape.sh "$BUILD"
echo; echo "## start-up"; bench/startup.sh "$BUILD"
echo; echo "## serialization"; bench/serialize.sh "$BUILD"
