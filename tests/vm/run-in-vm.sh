#!/usr/bin/env bash
# Run one command inside Debian's stock 6.1 kernel, booted under qemu, and exit with its status.
#
#   tests/vm/run-in-vm.sh [--timeout SECONDS] [--file HOST_PATH[:GUEST_PATH]]... -- COMMAND [ARGS...]
#
# Why: the build/CI host kernel (6.18) has no kprobes and refuses fentry loads (lockdown), so those
# code paths cannot be tested there. Debian's 6.1 kernel has kprobes, fentry, BTF and tracefs built
# in and no lockdown when booted without EFI secure boot, so a throwaway VM can test them for real.
#
# What it does:
#   1. installs qemu-system-x86, busybox-static and cpio if missing (as root; see also ./dev deps);
#   2. fetches linux-image-6.1.0-N-amd64 with apt-get download once and caches its vmlinuz;
#   3. builds an initramfs: static busybox, each --file (plus the shared libraries ldd lists for
#      it), and a generated /init that mounts proc/sys/dev/tracefs/debugfs/bpffs/cgroup2, brings
#      up lo, runs COMMAND under a watchdog, prints "KE_VM_EXIT=<status>" and powers off;
#   4. boots it with qemu software emulation (no KVM: it hangs on this host), streaming the serial
#      console to stdout.
#
# --file HOST_PATH[:GUEST_PATH]  copy a file or directory into the guest; GUEST_PATH must be absolute
#                                and defaults to HOST_PATH's absolute path (so binaries that embed
#                                paths of their siblings keep working). Repeatable.
# --timeout SECONDS              wall-clock limit for the VM (boot + command), default 300. The guest
#                                command itself is killed a little earlier so its status still gets
#                                reported.
#
# Exit status: the guest command's, or
#   250  usage error or host setup failure (packages, kernel download, initramfs)
#   251  the VM printed no exit marker (did not boot, panicked, or /init failed)
#   252  the VM hit --timeout before printing the exit marker
#
# Environment:
#   KE_VM_CACHE        cache directory (default /var/cache/kernel-exporter-vm; for non-root users
#                      without write access there: ~/.cache/kernel-exporter-vm)
#   KE_VM_KERNEL_DEB   kernel to boot: a local linux-image .deb, or a package name
#                      (default: the linux-image-6.1.0-N-amd64 that linux-image-amd64 depends on)
#   KE_VM_MEMORY       guest memory in MiB (default 2048)
#   KE_VM_CPUS         guest CPUs (default 2)
#   KE_VM_TCG_THREAD   qemu's TCG threading: multi (default: a host thread per guest CPU) or
#                      single (guest CPUs take turns on one host thread). Use single for tests that
#                      patch hot kernel text: with multi, a guest CPU can keep executing the int3
#                      of a text_poke_bp() that has completed (seen on mutex_lock, see README.md)
#   KE_VM_APPEND       extra kernel command line arguments
#   KE_VM_KEEP=1       keep the temporary directory (initramfs, console log) for debugging
set -euo pipefail

readonly EXIT_SETUP=250 EXIT_NO_MARKER=251 EXIT_TIMEOUT=252
readonly MARKER=KE_VM_EXIT

say() { echo "run-in-vm: $*" >&2; }
die() { say "error: $*"; exit "$EXIT_SETUP"; }
usage() { sed -n '4p' "$0" >&2; exit "$EXIT_SETUP"; }

# ---------------------------------------------------------------------------------------------
# Arguments
timeout_s=300
files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
    --timeout=*) timeout_s=${1#*=}; shift ;;
    --file) [ $# -ge 2 ] || usage; files+=("$2"); shift 2 ;;
    --file=*) files+=("${1#*=}"); shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,39p' "$0"; exit 0 ;;
    *) say "unexpected argument '$1' (the command goes after --)"; usage ;;
  esac
done
[ $# -gt 0 ] || usage
[[ $timeout_s =~ ^[0-9]+$ ]] && [ "$timeout_s" -ge 10 ] || die "--timeout must be an integer >= 10"

memory=${KE_VM_MEMORY:-2048}
cpus=${KE_VM_CPUS:-2}
tcg_thread=${KE_VM_TCG_THREAD:-multi}
[[ $tcg_thread == multi || $tcg_thread == single ]] ||
  die "KE_VM_TCG_THREAD must be multi or single, not '$tcg_thread'"
is_root() { [ "$(id -u)" -eq 0 ]; }

# ---------------------------------------------------------------------------------------------
# Host packages. Installed here too (not only by ./dev) so the harness works on its own.
ensure_packages() {
  local missing=() package
  for package in qemu-system-x86 busybox-static cpio; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  is_root || die "missing packages: ${missing[*]} (run ./dev deps, or apt-get install them as root)"
  say "installing ${missing[*]}"
  local log
  log=$(mktemp)
  if ! { apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  } </dev/null >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    die "could not install ${missing[*]}"
  fi
  rm -f "$log"
}
ensure_packages

# ---------------------------------------------------------------------------------------------
# Temporary directory: removed on every exit path, together with a still-running qemu.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ke-vm.XXXXXX")
cleanup() {
  local pid
  if [ -s "$tmp/qemu.pid" ]; then
    pid=$(cat "$tmp/qemu.pid")
    # Only our own qemu: the pid file was written by the qemu we started.
    if [ -r "/proc/$pid/comm" ] && grep -q '^qemu' "/proc/$pid/comm"; then kill "$pid" 2>/dev/null || true; fi
  fi
  if [ "${KE_VM_KEEP:-0}" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# Kernel: decide which one, then use the cached vmlinuz or download and extract it once.
cache=${KE_VM_CACHE:-/var/cache/kernel-exporter-vm}

# The 6.1 image that Debian's meta package currently points at; ABI numbers (6.1.0-N) move on with
# every stable update and old ones vanish from the mirror, so never hard-code one.
resolve_package() {
  local pkg
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-6\.1\.0-[0-9]+-amd64$/ { print $2; exit }')
  if [ -z "$pkg" ]; then
    # Not bookworm's meta package (another release, or a backports kernel): take the newest 6.1.
    pkg=$(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
      grep -E '^linux-image-6\.1\.0-[0-9]+-amd64$' | sort -V | tail -n1 || true)
  fi
  echo "$pkg"
}

# Extracts vmlinuz and config from a linux-image .deb into cache entry $2. No modules are needed:
# everything the harness uses (BTF, BPF, kprobes, tracefs, devtmpfs, serial console, gzip
# initramfs) is built into Debian's kernel.
store_kernel() {
  local deb=$1 dest=$2 x="$tmp/deb-x" vmlinuz
  rm -rf "$x" && mkdir -p "$x"
  dpkg -x "$deb" "$x" || die "dpkg -x $deb failed"
  vmlinuz=$(find "$x/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
  [ -n "$vmlinuz" ] || die "no /boot/vmlinuz-* in $deb"
  rm -rf "$dest.new" && mkdir -p "$dest.new"
  cp "$vmlinuz" "$dest.new/vmlinuz"
  cp "$x"/boot/config-* "$dest.new/config" 2>/dev/null || true
  basename "$vmlinuz" | sed 's/^vmlinuz-//' >"$dest.new/release"
  # Renamed into place complete, so readers need no lock.
  rm -rf "$dest" && mv "$dest.new" "$dest"
  rm -rf "$x"
}

download_kernel() {
  say "downloading $pkg (once; cached in $cache)"
  mkdir -p "$tmp/download"
  # apt drops privileges to _apt for downloads; let it write there instead of warning.
  if is_root && id _apt >/dev/null 2>&1; then chmod 755 "$tmp" && chown _apt "$tmp/download"; fi
  (cd "$tmp/download" && apt-get download -q "$pkg" >&2) || die "apt-get download $pkg failed"
  store_kernel "$(ls "$tmp"/download/*.deb)" "$cache/$pkg"
  rm -rf "$tmp/download"
  # Older ABIs are superseded by this one: do not let the cache grow with every kernel update.
  if [ -z "${KE_VM_KERNEL_DEB:-}" ]; then
    find "$cache" -mindepth 1 -maxdepth 1 -type d -name 'linux-image-6.1.0-*-amd64' \
      ! -name "$pkg" -exec rm -rf {} +
  fi
}

# Which kernel: a local .deb, a package name, or by default the current 6.1 package.
deb_file="" pkg=""
if [ -n "${KE_VM_KERNEL_DEB:-}" ] && [ -f "$KE_VM_KERNEL_DEB" ]; then
  deb_file=$KE_VM_KERNEL_DEB
  entry=$(basename "$deb_file" .deb)
else
  pkg=${KE_VM_KERNEL_DEB:-$(resolve_package)}
  if [ -z "$pkg" ] && is_root; then
    apt-get update -qq >&2 || true  # a fresh container may have empty apt lists
    pkg=$(resolve_package)
  fi
  entry=$pkg
fi

if [ -z "$entry" ]; then
  # Offline, or not Debian bookworm: fall back to whatever is cached.
  kernel_dir=$(find "$cache" -mindepth 2 -maxdepth 2 -name vmlinuz -printf '%h\n' 2>/dev/null |
    sort -V | tail -n1)
  [ -n "$kernel_dir" ] || die "apt-cache knows no linux-image-6.1.0-*-amd64 package and nothing is cached in $cache; set KE_VM_KERNEL_DEB to a .deb or a package name"
  say "apt-cache knows no 6.1 kernel; using cached $(basename "$kernel_dir")"
else
  if [ ! -s "$cache/$entry/vmlinuz" ]; then
    # Storing needs a writable cache; non-root users without access to the shared one get their own.
    if ! { mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ]; }; then
      [ -z "${KE_VM_CACHE:-}" ] || die "cache directory $cache is not writable"
      cache=${XDG_CACHE_HOME:-$HOME/.cache}/kernel-exporter-vm
      mkdir -p "$cache" || die "cannot create cache directory $cache"
    fi
  fi
  if [ ! -s "$cache/$entry/vmlinuz" ]; then
    exec 9>"$cache/.lock"
    flock 9  # concurrent runs: one downloads, the others wait and then find it cached
    if [ ! -s "$cache/$entry/vmlinuz" ]; then
      if [ -n "$deb_file" ]; then store_kernel "$deb_file" "$cache/$entry"; else download_kernel; fi
    fi
    exec 9>&-
  fi
  kernel_dir=$cache/$entry
fi
kernel=$kernel_dir/vmlinuz

# ---------------------------------------------------------------------------------------------
# Initramfs
root=$tmp/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc}
busybox=/bin/busybox
[ -x "$busybox" ] || die "$busybox missing (busybox-static)"
cp "$busybox" "$root/bin/busybox"
# One symlink per applet (sh, mount, ip, timeout, ...), at the paths busybox itself reports.
"$busybox" --list-full | while read -r applet; do
  [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
# The kernel opens /dev/console for /init before anything is mounted; without the node /init
# starts with no stdout (kernel warning "unable to open an initial console") until it re-opens the
# console from devtmpfs, see below. Creating the node needs root (and CAP_MKNOD in containers).
if is_root; then mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true; fi
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"

# Copies every shared library ldd lists for $1 (including the dynamic loader) to the same path
# in the guest. Files that are not dynamic ELF objects (scripts, data, static binaries) are skipped
# by ldd itself.
declare -A copied_libs=()
copy_libs() {
  local lib
  while read -r lib; do
    [ -n "$lib" ] || continue
    [ -z "${copied_libs[$lib]:-}" ] || continue
    copied_libs[$lib]=1
    cp -L --parents "$lib" "$root" || die "cannot copy $lib"
  done < <(ldd "$1" 2>/dev/null | awk -v file="$1" '
    /=> not found/ { print "run-in-vm: warning: " $1 " (needed by " file ") not found" > "/dev/stderr"; next }
    $2 == "=>" && $3 ~ /^\// { print $3; next }
    $1 ~ /^\// { print $1 }')
}

for spec in "${files[@]}"; do
  if [[ $spec == *:/* ]]; then
    host=${spec%:/*}
    guest=/${spec##*:/}
  else
    host=$spec
    guest=""
  fi
  [ -e "$host" ] || die "--file $host: no such file or directory"
  host=$(realpath "$host")
  [ -n "$guest" ] || guest=$host
  mkdir -p "$root$(dirname "$guest")"
  if [ -d "$host" ]; then
    mkdir -p "$root$guest"
    cp -RL "$host/." "$root$guest/"
    while IFS= read -r -d '' f; do copy_libs "$f"; done < <(find "$host" -type f \( -perm -u+x -o -name '*.so*' \) -print0)
  else
    cp -L --remove-destination "$host" "$root$guest"
    copy_libs "$host"
  fi
done

# Quotes $1 for sh: '...' with embedded single quotes as '\''.
sh_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
quoted_command=""
for arg in "$@"; do quoted_command+=" $(sh_quote "$arg")"; done

# A watchdog in the guest kills the command min(30, T/2) s before the host-side timeout T (booting
# takes ~6 s), so a hung command still ends with its output and an exit marker (status 143)
# instead of a VM killed from outside.
boot_allowance=$(( timeout_s / 2 < 30 ? timeout_s / 2 : 30 ))
guest_timeout=$(( timeout_s - boot_allowance ))

cat >"$root/init" <<EOF
#!/bin/sh
# PID 1 of the test VM, generated by tests/vm/run-in-vm.sh.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
mount -t devtmpfs devtmpfs /dev
# Console as stdout/stderr even if the initramfs had no /dev/console node; no stdin for tests.
exec </dev/null >/dev/console 2>&1
try() { "\$@" || echo "run-in-vm: warning: '\$*' failed"; }
try mount -t proc proc /proc
try mount -t sysfs sysfs /sys
try mount -t tracefs tracefs /sys/kernel/tracing   # classic tracepoints, kprobe_events
try mount -t debugfs debugfs /sys/kernel/debug
try mount -t bpf bpf /sys/fs/bpf
try mount -t cgroup2 cgroup2 /sys/fs/cgroup
# No tmpfs on /tmp: the initramfs root is writable RAM already, and files copied to their
# host paths (a checkout under /tmp) would be hidden under it.
try mount -t tmpfs tmpfs /run
mkdir -p /dev/pts /dev/shm
try mount -t devpts devpts /dev/pts
try mount -t tmpfs tmpfs /dev/shm
try ip link set lo up
hostname ke-vm
echo "run-in-vm: init started at uptime \$(cut -d' ' -f1 /proc/uptime) s, kernel \$(uname -r)"

set --$quoted_command
"\$@" &
pid=\$!
(
  sleep $guest_timeout
  echo "run-in-vm: guest command still running after ${guest_timeout} s: killing it"
  kill -TERM \$pid 2>/dev/null; sleep 5; kill -KILL \$pid 2>/dev/null
) &
watchdog=\$!
wait \$pid
status=\$?
kill \$watchdog 2>/dev/null
# On a line of its own even if the command's output did not end with a newline.
echo
echo "$MARKER=\$status"
poweroff -f
# Not reached; if it were, init exiting panics the kernel and panic=-1 + -no-reboot end qemu.
EOF
chmod 755 "$root/init"

initrd=$tmp/initrd.gz
# Owned by root in the guest whoever built it; gzip -1: compression level barely changes boot time.
(cd "$root" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet | gzip -1) >"$initrd" ||
  die "cannot build the initramfs"

# ---------------------------------------------------------------------------------------------
# Boot. Console on ttyS0 -> stdout (\r\n turned into \n), also logged to find the exit marker.
# stdin is /dev/null: CI has no TTY, and -nographic would otherwise read the terminal.
# etc/sercon-port=0 keeps SeaBIOS off the serial port (its banner and terminal-reset escape codes
# would otherwise land in the output, and it saves ~0.5 s); qemu warns that the name lacks an
# "opt/" prefix, which SeaBIOS does not read, so that one warning is filtered out.
log=$tmp/console.log
say "booting $(cat "$kernel_dir/release" 2>/dev/null || basename "$kernel_dir") (initramfs $(du -h "$initrd" | cut -f1), timeout ${timeout_s} s)"
start=$EPOCHREALTIME
{
  # --foreground keeps qemu in our process group, so Ctrl-C reaches it. "|| rc=$?": errexit would
  # otherwise end this group before it records a non-zero status (124 = timed out).
  rc=0
  timeout --foreground --kill-after=10 "$timeout_s" \
    qemu-system-x86_64 -m "$memory" -smp "$cpus" -cpu max -accel "tcg,thread=$tcg_thread" \
      -kernel "$kernel" -initrd "$initrd" \
      -append "console=ttyS0 panic=-1 quiet ${KE_VM_APPEND:-}" \
      -nographic -no-reboot -nic none -pidfile "$tmp/qemu.pid" \
      -fw_cfg name=etc/sercon-port,string=0 </dev/null 2>&1 || rc=$?
  { echo "$rc" >"$tmp/qemu.rc"; } 2>/dev/null  # $tmp is gone if we were interrupted
} | sed -u -e 's/\r$//' -e '/fw_cfg item names should be prefixed with "opt\/"/d' | tee "$log" &
# Waiting on a background job (not a foreground pipeline) lets INT/TERM traps run immediately.
wait $! || true
elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
qemu_rc=$(cat "$tmp/qemu.rc" 2>/dev/null || echo "?")

status=$(grep -a "^$MARKER=[0-9]\+\$" "$log" | tail -n1 | cut -d= -f2 || true)
if [ -n "$status" ]; then
  say "guest command exited with status $status (VM wall time ${elapsed} s)"
  exit "$status"
fi
if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
  say "error: the VM did not finish within ${timeout_s} s (no $MARKER line)"
  exit "$EXIT_TIMEOUT"
fi
say "error: the VM stopped without printing $MARKER (qemu exit status $qemu_rc, ${elapsed} s): it did not boot, panicked, or /init failed; KE_VM_APPEND=loglevel=7 shows the kernel's boot messages"
exit "$EXIT_NO_MARKER"
