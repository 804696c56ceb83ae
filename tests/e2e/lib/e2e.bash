# Shared by the end-to-end scripts: process control, waiting, assertions.
# Sourced, not run; every script calls `e2e_init` first.

e2e_init() {
  WORK=$(mktemp -d /tmp/ke-e2e.XXXXXX)
  PIDS=()
  FAILURES=0
  trap e2e_cleanup EXIT
}

e2e_cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$FAILURES" -ne 0 ]; then
    echo "--- logs under $WORK"
    for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "== $f"; tail -n 40 "$f"; }; done
  else
    rm -rf "$WORK"
  fi
}

# A TCP port nobody listens on, from a range no standard service uses.
free_port() {
  local port
  for port in $(shuf -i 20000-29999 -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "no free port" >&2; return 1
}

start() {  # start NAME COMMAND...: runs in the background, output in $WORK/NAME.log
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

wait_http() {  # wait_http URL [SECONDS]
  local deadline=$((SECONDS + ${2:-20}))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { fail "no answer from $1"; return 1; }
    sleep 0.1
  done
}

pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
check() {  # check DESCRIPTION COMMAND...
  local description=$1; shift
  if "$@"; then pass "$description"; else fail "$description"; fi
}

finish() {
  if [ "$FAILURES" -ne 0 ]; then echo "$FAILURES check(s) failed"; exit 1; fi
  echo "all checks passed"
}
