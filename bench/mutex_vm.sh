#!/usr/bin/env bash
# The mutex collector's cost per mutex_lock call (bench/mutex_cost.cpp), measured in Debian's 6.1
# under qemu: the build host refuses fentry and has no kprobes. Software emulation inflates every
# absolute figure; compare the ratios. Usage: bench/mutex_vm.sh BUILD_DIR [ROUNDS]
set -euo pipefail
BUILD=$(realpath "$1")
ROUNDS=${2:-9}
cd "$(dirname "$0")/.."
tests/vm/run-in-vm.sh --timeout 600 --file "$BUILD/bench/bench_mutex_cost" \
  -- "$BUILD/bench/bench_mutex_cost" "$ROUNDS"
