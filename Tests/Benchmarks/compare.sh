#!/usr/bin/env bash
# pingate vs nginx on loopback. Usage: Tests/Benchmarks/compare.sh   (QUICK=1 for a short run)
# Prints a table and writes Tests/Benchmarks/results/latest.json. See Tests/Benchmarks/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

# ----------------------------------------------------------------------------- parameters
QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
  : "${DURATION:=3}" "${WARMUP:=1}" "${UPLOAD_BYTES:=268435456}" "${FILL_N:=20000}" "${FILL_WARM:=5000}"
fi
PAIRS=${PAIRS:-3}                       # A/B pairs per scenario (issue: at least 3)
DURATION=${DURATION:-10}                # seconds per wrk run
WARMUP=${WARMUP:-2}                     # seconds of unrecorded wrk per proxy before a scenario
CONNS=${CONNS:-64}                      # wrk connections
WRK_THREADS=${WRK_THREADS:-1}           # wrk threads (1: leave the other core to the proxy)
WORKERS=${WORKERS:-$(nproc)}            # event-loop threads (pingate) = worker processes (nginx)
UPSTREAM_WORKERS=${UPSTREAM_WORKERS:-$(nproc)}
UPLOAD_BYTES=${UPLOAD_BYTES:-1073741824}
COLD_N=${COLD_N:-1000}
FILL_N=${FILL_N:-100000}
FILL_WARM=${FILL_WARM:-20000}
RATE=${RATE:-10}
BURST=${BURST:-10}
BASE_PORT=${BASE_PORT:-18700}
OUT=${OUT:-$HERE/results/latest.json}
RAW=${RAW:-$HERE/results/latest-raw}
PINGATE_BIN=${PINGATE_BIN:-}            # use this binary instead of building
PINGATE_STANDIN=${PINGATE_STANDIN:-}    # "nginx": a second nginx plays pingate (harness dry run)
PINGATE_EXTRA_ARGS=${PINGATE_EXTRA_ARGS:-}
SWIFT_BUILD_FLAGS=${SWIFT_BUILD_FLAGS:-}  # e.g. "--scratch-path .build-bench"
SKIP_INSTALL=${SKIP_INSTALL:-0}
KEEP_RUN=${KEEP_RUN:-0}
SCENARIOS=${SCENARIOS:-}                # subset, e.g. "cached_1k_get upload_1g" (default: all)

UP_PORT=$((BASE_PORT + 1)); PG_PORT=$((BASE_PORT + 2)); NX_PORT=$((BASE_PORT + 3)); SINK_PORT=$((BASE_PORT + 4))
API_KEY=bench-api-key-3f9c2a; SECRET_KEY=bench-secret-key-8d41e7; PASSPHRASE=bench-passphrase-not-secret

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
warn() { log "warning: $*"; echo "$*" >> "$RAW/warnings.txt"; }

# ----------------------------------------------------------------------------- process tracking
declare -A PIDS=()    # name -> pid of every process this script started
RUN=""

stop() {  # stop NAME: TERM, bounded wait, then KILL — by PID only
  local name=$1 pid=${PIDS[$1]:-}
  [[ -n $pid ]] || return 0
  unset "PIDS[$name]"
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    local kids; kids=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true)
    kill -KILL "$pid" $kids 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local name
  for name in "${!PIDS[@]}"; do stop "$name"; done
  if [[ -n $RUN && -d $RUN && $KEEP_RUN != 1 ]]; then rm -rf "$RUN"; fi
  [[ $KEEP_RUN == 1 && -n $RUN ]] && log "kept runtime dir $RUN"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_bg() {  # start_bg NAME LOGFILE CMD...  (no shell wrapper: $! is the process itself)
  local name=$1 logf=$2; shift 2
  "$@" >"$logf" 2>&1 </dev/null &
  PIDS[$name]=$!
}

nginx_workers() { cat "/proc/$1/task/$1/children" 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' | paste -sd, - || true; }

wait_ready() {  # wait_ready NAME URL EXPECTED_CODE — 100 x 0.1 s
  local name=$1 url=$2 want=$3 code i
  for i in $(seq 100); do
    kill -0 "${PIDS[$name]}" 2>/dev/null || { tail -20 "$RUN/$name.log" >&2 || true; die "$name exited during start-up"; }
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" || true)
    [[ $code == "$want" ]] && return 0
    sleep 0.1
  done
  tail -20 "$RUN/$name.log" >&2 || true
  die "$name not ready at $url (last HTTP code $code, wanted $want)"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ----------------------------------------------------------------------------- tools
install_tools() {
  local need=() t
  command -v wrk >/dev/null || need+=(wrk)
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx)
  command -v curl >/dev/null || need+=(curl)
  command -v python3 >/dev/null || need+=(python3)
  ((${#need[@]})) || return 0
  [[ $SKIP_INSTALL == 1 ]] && die "missing tools: ${need[*]} (SKIP_INSTALL=1)"
  command -v apt-get >/dev/null || die "missing tools: ${need[*]}; install them (apt-get not found)"
  local sudo=""; [[ $(id -u) == 0 ]] || sudo="sudo -n"
  log "installing ${need[*]} with apt-get"
  # Keep Debian from starting the packaged nginx service (it would listen on :80).
  local policy_made=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null && $sudo chmod 755 /usr/sbin/policy-rc.d && policy_made=1
  fi
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  local rc=$?
  ((policy_made)) && $sudo rm -f /usr/sbin/policy-rc.d
  ((rc == 0)) || die "apt-get install ${need[*]} failed"
}

NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# ----------------------------------------------------------------------------- pingate build & flags
build_pingate() {
  if [[ -n $PINGATE_STANDIN ]]; then log "pingate stand-in: $PINGATE_STANDIN (harness dry run, not pingate)"; return; fi
  if [[ -n $PINGATE_BIN ]]; then [[ -x $PINGATE_BIN ]] || die "PINGATE_BIN=$PINGATE_BIN is not executable"; return; fi
  log "building pingate (swift build -c release --product pingate $SWIFT_BUILD_FLAGS)"
  # shellcheck disable=SC2086
  (cd "$ROOT" && swift build -c release --product pingate $SWIFT_BUILD_FLAGS >&2) || die "release build failed"
  # shellcheck disable=SC2086
  PINGATE_BIN="$(cd "$ROOT" && swift build -c release --product pingate $SWIFT_BUILD_FLAGS --show-bin-path)/pingate"
  [[ -x $PINGATE_BIN ]] || die "no binary at $PINGATE_BIN"
}

SERVE_HELP=""
has_flag() { grep -qE -- "(^|[][[:space:],/])$1([][[:space:]=,/]|$)" <<<"$SERVE_HELP"; }

make_vault() {
  [[ -n $PINGATE_STANDIN ]] && return
  VAULT=$RUN/vault
  PINGATE_PASSPHRASE=$PASSPHRASE "$PINGATE_BIN" vault init --vault "$VAULT" >/dev/null
  chmod 600 "$VAULT"
  printf %s "$API_KEY" | PINGATE_PASSPHRASE=$PASSPHRASE "$PINGATE_BIN" vault set api_key --vault "$VAULT" >/dev/null
  printf %s "$SECRET_KEY" | PINGATE_PASSPHRASE=$PASSPHRASE "$PINGATE_BIN" vault set secret_key --vault "$VAULT" >/dev/null
}

# ----------------------------------------------------------------------------- starting things
render_proxy_conf() {  # render_proxy_conf NAME PORT UPSTREAM_PORT MODE -> path
  local name=$1 port=$2 up=$3 mode=$4 limit=""
  [[ $mode == flood ]] && limit="limit_req zone=flood burst=$BURST nodelay;"
  python3 "$HERE/benchlib.py" render "$HERE/conf/proxy.nginx.conf.in" "$RUN/$name.conf" \
    NAME="$name" RUN="$RUN" WORKERS="$WORKERS" PORT="$port" UPSTREAM_PORT="$up" RATE="$RATE" \
    LIMIT_REQ="$limit" API_KEY="$API_KEY" SECRET_KEY="$SECRET_KEY"
  rm -rf "$RUN/$name-cache"
  echo "$RUN/$name.conf"
}

ready_path() { [[ $1 == upload ]] && echo /api/pinning/ || echo /api/pinning/pins/; }

start_nginx_proxy() {  # start_nginx_proxy MODE   (main | upload | flood)
  local mode=$1 up=$UP_PORT conf
  [[ $mode == upload ]] && up=$SINK_PORT
  conf=$(render_proxy_conf nginx "$NX_PORT" "$up" "$mode")
  start_bg nginx "$RUN/nginx.log" "$NGINX" -p "$RUN" -c "$conf" -e "$RUN/nginx.error.log"
  wait_ready nginx "http://127.0.0.1:$NX_PORT$(ready_path "$mode")" 200
}

start_pingate() {  # start_pingate MODE   (main | upload | flood | fill)
  local mode=$1 up=$UP_PORT
  [[ $mode == upload ]] && up=$SINK_PORT
  if [[ -n $PINGATE_STANDIN ]]; then
    local conf; conf=$(render_proxy_conf pingate "$PG_PORT" "$up" "$mode")
    start_bg pingate "$RUN/pingate.log" "$NGINX" -p "$RUN" -c "$conf" -e "$RUN/pingate.error.log"
    wait_ready pingate "http://127.0.0.1:$PG_PORT$(ready_path "$mode")" 200
    return
  fi
  local args=(serve --vault "$VAULT" --listen "127.0.0.1:$PG_PORT" --upstream "http://127.0.0.1:$up" --log-level warning)
  has_flag --threads && args+=(--threads "$WORKERS")
  has_flag --cache-ttl && args+=(--cache-ttl 300)
  has_flag --no-access-log && args+=(--no-access-log)
  has_flag --max-connections && args+=(--max-connections 8192)   # nginx: worker_connections 8192
  if [[ $mode == fill ]] && has_flag --cache-max-bytes; then args+=(--cache-max-bytes $((1 << 30))); fi
  if [[ $mode == flood ]]; then args+=(--rate-limit "$RATE"); has_flag --burst && args+=(--burst "$BURST"); fi
  # shellcheck disable=SC2206
  [[ -n $PINGATE_EXTRA_ARGS ]] && args+=($PINGATE_EXTRA_ARGS)
  echo "pingate ${args[*]}" >> "$RAW/commands.txt"
  PINGATE_PASSPHRASE=$PASSPHRASE start_bg pingate "$RUN/pingate.log" "$PINGATE_BIN" "${args[@]}"
  wait_ready pingate "http://127.0.0.1:$PG_PORT/_pingate/healthz" 200
}

start_proxies() { stop pingate; stop nginx; start_pingate "$1"; start_nginx_proxy "$1"; MODE=$1; }

rss_pids() {  # processes whose VmHWM/VmRSS count for PROXY
  local pid=${PIDS[$1]}
  if [[ $1 == nginx || -n $PINGATE_STANDIN ]]; then nginx_workers "$pid"; else echo "$pid"; fi
}

proxy_port() { [[ $1 == pingate ]] && echo "$PG_PORT" || echo "$NX_PORT"; }

SEQ=0
want() { [[ -z $SCENARIOS || " $SCENARIOS " == *" $1 "* ]]; }
record_order() { SEQ=$((SEQ + 1)); echo "$SEQ $1 $2 $3 $(date +%s)" >> "$RAW/order.log"; }

# ----------------------------------------------------------------------------- scenarios
wrk_run() {  # wrk_run OUTFILE SECONDS URL [HEADER]
  local out=$1 secs=$2 url=$3 hdr=${4:-}
  local args=(-t"$WRK_THREADS" -c"$CONNS" -d"${secs}s" --latency --timeout 5s)
  [[ -n $hdr ]] && args+=(-H "$hdr")
  wrk "${args[@]}" "$url" > "$out" 2>&1 || warn "wrk failed for $url (see $out)"
}

wrk_scenario() {  # wrk_scenario NAME PATH [HEADER]
  local name=$1 path=$2 hdr=${3:-} proxy i
  mkdir -p "$RAW/$name"
  log "scenario $name: $PAIRS x (pingate, nginx), ${DURATION}s each, wrk -t$WRK_THREADS -c$CONNS"
  for proxy in pingate nginx; do
    [[ -n ${PIDS[$proxy]:-} ]] || continue
    wrk_run "$RAW/$name/warmup-$proxy.log" "$WARMUP" "http://127.0.0.1:$(proxy_port $proxy)$path" "$hdr"
  done
  for ((i = 0; i < PAIRS; i++)); do
    for proxy in pingate nginx; do
      [[ -n ${PIDS[$proxy]:-} ]] || continue
      record_order "$name" "$proxy" "$i"
      wrk_run "$RAW/$name/$proxy-$i.txt" "$DURATION" "http://127.0.0.1:$(proxy_port $proxy)$path" "$hdr"
    done
  done
}

check_hit() {  # check_hit PROXY PATH — second GET must be a cache hit
  local proxy=$1 path=$2 url hdrs
  url="http://127.0.0.1:$(proxy_port "$proxy")$path"
  curl -s -o /dev/null -m 5 "$url" || true
  hdrs=$(curl -s -D - -o /dev/null -m 5 "$url" | tr -d '\r' || true)
  echo "$proxy $path: $(head -1 <<<"$hdrs"); $(grep -iE '^(cache-status|x-cache):' <<<"$hdrs" | paste -sd' ' -)" >> "$RAW/sanity.txt"
  if ! grep -qiE '^(cache-status: *pingate; *hit|x-cache: *hit)' <<<"$hdrs"; then
    warn "$proxy: second GET of $path was not a cache hit ($(grep -iE '^(cache-status|x-cache):' <<<"$hdrs" | head -1))"
  fi
}

upload_scenario() {
  local proxy i
  mkdir -p "$RAW/upload_1g"
  log "scenario upload_1g: $PAIRS x (pingate, nginx), $UPLOAD_BYTES bytes chunked each; proxies restarted per run (VmHWM)"
  for ((i = 0; i < PAIRS; i++)); do
    for proxy in pingate nginx; do
      stop "$proxy"
      if [[ $proxy == pingate ]]; then start_pingate upload; else start_nginx_proxy upload; fi
      record_order upload_1g "$proxy" "$i"
      python3 "$HERE/loadgen.py" upload --port "$(proxy_port "$proxy")" --bytes "$UPLOAD_BYTES" \
        --rss-pids "$(rss_pids "$proxy")" --out "$RAW/upload_1g/$proxy-$i.json" \
        || warn "upload through $proxy (run $i) failed: $(tr -d '\n' < "$RAW/upload_1g/$proxy-$i.json" | head -c 300)"
    done
  done
}

cold_scenario() {
  local proxy i tag
  mkdir -p "$RAW/cold_1000"
  log "scenario cold_1000: $PAIRS x (pingate, nginx), $COLD_N concurrent GETs of one fresh URL"
  for ((i = 0; i < PAIRS; i++)); do
    for proxy in pingate nginx; do
      tag="$(date +%s%N)-$proxy-$i"
      record_order cold_1000 "$proxy" "$i"
      python3 "$HERE/loadgen.py" cold --port "$(proxy_port "$proxy")" --path "/api/pinning/cold-$tag" --n "$COLD_N" \
        --upstream-log "$RUN/upstream-cold.log" --out "$RAW/cold_1000/$proxy-$i.json" || warn "cold client failed ($proxy $i)"
    done
  done
}

flood_scenario() {
  local proxy codes
  log "scenario ratelimit_flood: pingate --rate-limit $RATE --burst $BURST vs nginx limit_req rate=${RATE}r/s burst=$BURST nodelay"
  stop pingate; stop nginx
  if [[ -z $PINGATE_STANDIN ]] && ! has_flag --rate-limit; then
    warn "pingate serve has no --rate-limit flag: flood measured for nginx only"
  else
    start_pingate flood
  fi
  start_nginx_proxy flood
  for proxy in pingate nginx; do
    [[ -n ${PIDS[$proxy]:-} ]] || continue
    codes=$(for _ in $(seq 40); do curl -s -o /dev/null -m 2 -H 'Cache-Control: no-store' -w '%{http_code}\n' \
      "http://127.0.0.1:$(proxy_port $proxy)/api/pinning/pins/"; done | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')
    echo "flood $proxy 40 sequential GETs: $codes" >> "$RAW/sanity.txt"
    grep -q '×429' <<<"$codes" || warn "$proxy answered no 429 to 40 quick GETs over a ${RATE}/s limit: $codes"
  done
  wrk_scenario ratelimit_flood /api/pinning/pins/ 'Cache-Control: no-store'
}

overhead_scenario() {
  log "scenario cache_overhead: pingate only, $FILL_N distinct small entries (after $FILL_WARM unstored warm-up GETs)"
  stop pingate; stop nginx
  start_pingate fill
  local admin=/_pingate/cache
  [[ -n $PINGATE_STANDIN ]] && admin=""
  if [[ -z $PINGATE_STANDIN ]] && ! has_flag --cache-max-bytes; then
    warn "pingate serve has no --cache-max-bytes flag: $FILL_N entries may not fit the default cache bound"
  fi
  python3 "$HERE/loadgen.py" overhead --port "$PG_PORT" --pid "$(rss_pids pingate | cut -d, -f1)" --n "$FILL_N" \
    --warm "$FILL_WARM" --admin-path "$admin" --out "$RAW/cache_overhead.json" || warn "overhead fill failed"
  stop pingate
}

# ----------------------------------------------------------------------------- main
main() {
  install_tools
  python3 "$HERE/benchlib.py" --self-test >/dev/null || die "benchlib self-test failed (python3 $HERE/benchlib.py --self-test)"
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  ((PAIRS >= 3)) || log "PAIRS=$PAIRS (< 3: fewer pairs than the issue asks for)"
  local p
  for p in "$UP_PORT" "$PG_PORT" "$NX_PORT" "$SINK_PORT"; do port_free "$p" || die "127.0.0.1:$p is in use (set BASE_PORT)"; done

  build_pingate
  rm -rf "$RAW"; mkdir -p "$RAW"
  RUN=$(mktemp -d "${TMPDIR:-/tmp}/pingate-bench.XXXXXX")
  chmod 755 "$RUN"   # nginx workers run as an unprivileged user when started by root
  mkdir -p "$RUN/tmp"
  : > "$RUN/upstream-cold.log"

  if [[ -z $PINGATE_STANDIN ]]; then
    SERVE_HELP=$("$PINGATE_BIN" serve --help 2>&1 || true)
    printf '%s\n' "$SERVE_HELP" > "$RAW/pingate-serve-help.txt"
    has_flag --threads || { [[ $WORKERS == "$(nproc)" ]] || warn "pingate has no --threads flag; it uses System.coreCount event loops while nginx gets WORKERS=$WORKERS"; }
    make_vault
  fi

  python3 "$HERE/benchlib.py" bodies "$RUN/www" >/dev/null
  python3 "$HERE/benchlib.py" render "$HERE/conf/upstream.nginx.conf.in" "$RUN/upstream.conf" \
    RUN="$RUN" WORKERS="$UPSTREAM_WORKERS" PORT="$UP_PORT" API_KEY="$API_KEY" SECRET_KEY="$SECRET_KEY"
  start_bg upstream "$RUN/upstream.log" "$NGINX" -p "$RUN" -c "$RUN/upstream.conf" -e "$RUN/upstream.error.log"
  wait_ready upstream "http://127.0.0.1:$UP_PORT/api/pinning/pins/" 401   # no credentials -> 401
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "pinning_api_key: $API_KEY" -H "pinning_secret_key: $SECRET_KEY" \
    "http://127.0.0.1:$UP_PORT/api/pinning/pins/")
  [[ $code == 200 ]] || die "upstream answered $code with credentials"
  echo "upstream: 401 without credentials, $code with" >> "$RAW/sanity.txt"
  start_bg sink "$RUN/sink.log" python3 "$HERE/loadgen.py" sink --port "$SINK_PORT" --api-key "$API_KEY" --secret-key "$SECRET_KEY"

  start_proxies main
  check_hit pingate /api/pinning/pins/;    check_hit nginx /api/pinning/pins/
  check_hit pingate /api/pinning/pins64k/; check_hit nginx /api/pinning/pins64k/

  if want cached_1k_get; then wrk_scenario cached_1k_get /api/pinning/pins/; fi
  if want cached_64k_get; then wrk_scenario cached_64k_get /api/pinning/pins64k/; fi
  if want passthrough_1k_get; then wrk_scenario passthrough_1k_get /api/pinning/pins/ 'Cache-Control: no-store'; fi
  if want cold_1000; then cold_scenario; fi
  wait_ready sink "http://127.0.0.1:$SINK_PORT/" 401
  if want upload_1g; then upload_scenario; fi
  if want ratelimit_flood; then flood_scenario; fi
  if want cache_overhead; then overhead_scenario; fi
  stop pingate; stop nginx; stop sink; stop upstream

  local pg_desc="${PINGATE_BIN}" pg_version="n/a" pg_built="n/a"
  if [[ -n $PINGATE_STANDIN ]]; then pg_desc="STAND-IN:$PINGATE_STANDIN"; else
    pg_version=$("$PINGATE_BIN" --version 2>/dev/null | head -1 || true)
    pg_built=$(date -u -r "$PINGATE_BIN" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || true)
  fi
  python3 "$HERE/benchlib.py" report --raw "$RAW" --out "$OUT" --root "$ROOT" \
    --param pingate="$pg_desc" --param pingate_version="$pg_version" --param pingate_binary_built="$pg_built" --param nginx="$("$NGINX" -v 2>&1 | sed 's/.*: //')" \
    --param wrk="wrk -t$WRK_THREADS -c$CONNS -d${DURATION}s --latency (warm-up ${WARMUP}s)" \
    --param pairs="$PAIRS" --param workers="$WORKERS" --param upstream_workers="$UPSTREAM_WORKERS" \
    --param upload_bytes="$UPLOAD_BYTES" --param cold_n="$COLD_N" --param fill_n="$FILL_N" \
    --param rate_limit="${RATE}/s burst $BURST" --param quick="$QUICK" \
    --param pingate_threads_flag="$( [[ -z $PINGATE_STANDIN ]] && has_flag --threads && echo yes || echo no)"
  log "JSON: $OUT   raw outputs: $RAW"
}

main "$@"
