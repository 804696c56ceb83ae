#!/usr/bin/env bash
# Self-test of tests/vm/run-in-vm.sh (CTest: vm.selftest). Checks that the harness boots Debian's
# 6.1 kernel, that the guest has BTF and tracefs, that a kprobe and an fentry program really load,
# attach and fire there (the reason the VM exists), and that a hung guest command is killed by the
# watchdog with its status and output reported.
#
# On the host it also runs the same probe loader and only prints the outcome: on the 6.18 CI
# kernel fentry is refused (EPERM, lockdown) and kprobes are absent (CONFIG_KPROBES off).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
harness=$here/run-in-vm.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ke-vm-selftest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

failures=0
pass() { echo "selftest: PASS: $*"; }
fail() { echo "selftest: FAIL: $*"; failures=$((failures + 1)); }

# --- Build the probe loader (system clang + libbpf, as for the project's own BPF code) ----------
for tool in clang gcc; do
  command -v "$tool" >/dev/null || { echo "selftest: $tool missing (run ./dev deps)"; exit 1; }
done
# -idirafter: <asm/types.h> lives in the multiarch include dir, which clang -target bpf does not
# search by itself. __TARGET_ARCH_x86 tells bpf_tracing.h how to read kprobe registers.
clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -idirafter /usr/include/x86_64-linux-gnu \
  -c "$here/probe_check.bpf.c" -o "$tmp/probe_check.bpf.o"
gcc -O2 -Wall -Wextra -o "$tmp/probe_check" "$here/probe_check.c" -lbpf

# --- Host: document why the VM is needed (informational only) ---------------------------------
echo "selftest: host kernel $(uname -r):"
host_out=$("$tmp/probe_check" "$tmp/probe_check.bpf.o" 2>/dev/null || true)
sed 's/^/  host: /' <<<"$host_out"
if grep -q '^fentry: load failed: Operation not permitted' <<<"$host_out" &&
   grep -q '^kprobe: .*failed' <<<"$host_out"; then
  echo "selftest: host: as expected, fentry is refused (EPERM) and kprobes are unavailable here"
else
  echo "selftest: host: note: this host no longer matches 'fentry EPERM, no kprobes' (see docs)"
fi

# --- Guest: one boot runs every check --------------------------------------------------------
cat >"$tmp/guest-check.sh" <<'EOF'
#!/bin/sh
echo "guest: kernel $(uname -r)"
case "$(uname -r)" in 6.1.*) echo "guest: kernel-is-6.1 yes" ;; *) echo "guest: kernel-is-6.1 no" ;; esac
[ -e /sys/kernel/btf/vmlinux ] && echo "guest: btf yes" || echo "guest: btf no"
[ -e /sys/kernel/tracing/available_events ] && echo "guest: tracefs yes" || echo "guest: tracefs no"
[ -e /sys/kernel/tracing/kprobe_events ] && echo "guest: kprobe_events yes" || echo "guest: kprobe_events no"
/opt/probe_check /opt/probe_check.bpf.o
EOF
chmod +x "$tmp/guest-check.sh"

echo "selftest: booting the VM"
start=$EPOCHREALTIME
set +e
bash "$harness" --timeout 180 \
  --file "$tmp/probe_check:/opt/probe_check" \
  --file "$tmp/probe_check.bpf.o:/opt/probe_check.bpf.o" \
  --file "$tmp/guest-check.sh:/opt/guest-check.sh" \
  -- /opt/guest-check.sh 2>&1 | tee "$tmp/vm.log"
status=${PIPESTATUS[0]}
set -e
echo "selftest: VM run took $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"

log=$(tr -d '\r' <"$tmp/vm.log")
[ "$status" -eq 0 ] && pass "harness exited 0" || fail "harness exited $status"
grep -q '^guest: kernel-is-6.1 yes' <<<"$log" && pass "guest kernel is 6.1" ||
  fail "guest kernel is not 6.1"
grep -q '^guest: btf yes' <<<"$log" && pass "/sys/kernel/btf/vmlinux exists in the guest" ||
  fail "/sys/kernel/btf/vmlinux missing in the guest"
grep -q '^guest: tracefs yes' <<<"$log" && pass "tracefs mounted in the guest" ||
  fail "tracefs not mounted in the guest"
counts=$(grep -o '^fentry hits=[0-9]* kprobe hits=[0-9]*' <<<"$log" | tail -n1 || true)
fentry_hits=$(sed -n 's/^fentry hits=\([0-9]*\) .*/\1/p' <<<"$counts")
kprobe_hits=$(sed -n 's/.* kprobe hits=\([0-9]*\)$/\1/p' <<<"$counts")
[ "${fentry_hits:-0}" -gt 0 ] && pass "fentry loaded, attached and fired in the guest ($fentry_hits hits)" ||
  fail "fentry did not fire in the guest (${counts:-no counts printed})"
[ "${kprobe_hits:-0}" -gt 0 ] && pass "kprobe loaded, attached and fired in the guest ($kprobe_hits hits)" ||
  fail "kprobe did not fire in the guest (${counts:-no counts printed})"

# --- Guest watchdog: a hung command is killed, its output and status still reported -----------
echo "selftest: checking the guest watchdog (a command that never ends)"
# --timeout 40: the guest watchdog fires 20 s after /init starts, leaving ~14 s of slack on the
# host-side timeout even on a slow runner.
set +e
bash "$harness" --timeout 40 -- sh -c 'echo still-alive; sleep 600' 2>&1 | tee "$tmp/hang.log"
status=${PIPESTATUS[0]}
set -e
# 143 = 128 + SIGTERM from the watchdog.
[ "$status" -eq 143 ] && pass "hung command killed by the watchdog, status 143 reported" ||
  fail "hung command: expected status 143, got $status"
grep -q '^still-alive' "$tmp/hang.log" && pass "guest output streamed to stdout" ||
  fail "guest output missing from stdout"

if [ "$failures" -gt 0 ]; then
  echo "selftest: $failures check(s) failed"
  exit 1
fi
echo "selftest: all checks passed"
