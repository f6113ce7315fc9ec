#!/usr/bin/env bash
# pingate vs nginx vs HAProxy on loopback. Usage: Tests/Benchmarks/compare.sh   (QUICK=1 for a short run)
# Prints a table and writes Tests/Benchmarks/results/latest.json. See Tests/Benchmarks/README.md.
# Exit status: 0 when every correctness criterion held (speed targets are reported, not enforced),
# 1 when one was missed (the table names it), other non-zero when the harness itself could not run.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

# ----------------------------------------------------------------------------- parameters
QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
  : "${DURATION:=3}" "${WARMUP:=1}" "${UPLOAD_BYTES:=268435456}" "${FILL_N:=20000}" "${FILL_WARM:=5000}"
fi
PAIRS=${PAIRS:-3}                       # rounds per scenario; each round runs every proxy once
DURATION=${DURATION:-10}                # seconds per wrk run
WARMUP=${WARMUP:-2}                     # seconds of unrecorded wrk per proxy before a scenario
CONNS=${CONNS:-64}                      # wrk connections
WRK_THREADS=${WRK_THREADS:-1}           # wrk threads (1: leave the other core to the proxy)
WORKERS=${WORKERS:-2}                   # pingate event loops = nginx worker processes = HAProxy threads
UPSTREAM_WORKERS=${UPSTREAM_WORKERS:-2}
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
ALL_SCENARIOS="cached_1k_get cached_64k_get passthrough_1k_get passthrough_tls_1k_get post_4k cache_miss
  cold_1000 upload_1g ratelimit_flood cache_overhead"

UP_PORT=$((BASE_PORT + 1)); PG_PORT=$((BASE_PORT + 2)); NX_PORT=$((BASE_PORT + 3)); SINK_PORT=$((BASE_PORT + 4))
HX_PORT=$((BASE_PORT + 5)); TLS_PORT=$((BASE_PORT + 6))
PROXIES=(pingate nginx haproxy)
API_KEY=bench-api-key-3f9c2a; SECRET_KEY=bench-secret-key-8d41e7; PASSPHRASE=bench-passphrase-not-secret
CLK_TCK=$(getconf CLK_TCK)

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }
warn() { log "warning: $*"; echo "$*" >> "$RAW/warnings.txt"; }
not_run() {  # not_run SCENARIO PROXY REASON — the report shows the scenario as not run for PROXY
  log "not run: $1 for $2: $3"
  printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$RAW/not_run.tsv"
}

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
    # shellcheck disable=SC2086
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

children() { cat "/proc/$1/task/$1/children" 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' | paste -sd, - || true; }

is_ready() {  # is_ready NAME URL EXPECTED_CODE — polls for up to 30 s; 0 ready, 1 not (or exited)
  local name=$1 url=$2 want=$3 code="" deadline=$((SECONDS + 30))
  while ((SECONDS < deadline)); do
    kill -0 "${PIDS[$name]}" 2>/dev/null || return 1
    code=$(curl -sk -o /dev/null -m 2 -w '%{http_code}' "$url" || true)
    [[ $code == "$want" ]] && return 0
    sleep 0.1
  done
  log "$name not ready at $url (last HTTP code $code, wanted $want)"
  return 1
}

wait_ready() {  # wait_ready NAME URL EXPECTED_CODE — dies when not ready
  is_ready "$@" && return 0
  tail -20 "$RUN/$1.log" >&2 || true
  die "$1 did not become ready at $2"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ----------------------------------------------------------------------------- tools
install_tools() {
  local need=()
  command -v wrk >/dev/null || need+=(wrk)
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx)
  command -v haproxy >/dev/null || [[ -x /usr/sbin/haproxy ]] || need+=(haproxy)
  command -v curl >/dev/null || need+=(curl)
  command -v openssl >/dev/null || need+=(openssl)
  command -v python3 >/dev/null || need+=(python3)
  ((${#need[@]})) || return 0
  [[ $SKIP_INSTALL == 1 ]] && die "missing tools: ${need[*]} (SKIP_INSTALL=1)"
  command -v apt-get >/dev/null || die "missing tools: ${need[*]}; install them (apt-get not found)"
  local sudo=""; [[ $(id -u) == 0 ]] || sudo="sudo -n"
  log "installing ${need[*]} with apt-get"
  # Keep Debian from starting the packaged nginx/haproxy services (they would listen on :80).
  local policy_made=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null && $sudo chmod 755 /usr/sbin/policy-rc.d && policy_made=1
  fi
  local rc=0
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null; } || rc=$?
  ((policy_made)) && $sudo rm -f /usr/sbin/policy-rc.d
  ((rc == 0)) || die "apt-get install ${need[*]} failed"
}

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)

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

make_tls() {  # a CA and a server certificate for localhost / 127.0.0.1 / ::1 in $RUN/tls
  TLS_DIR=$RUN/tls
  mkdir -p "$TLS_DIR"
  (
    cd "$TLS_DIR"
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -keyout ca.key -out ca.pem -subj "/CN=pingate bench CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout server.key -out server.csr -subj "/CN=localhost"
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile server.ext -out server.pem
    chmod 644 ca.pem server.pem server.key
  ) > "$RAW/openssl.log" 2>&1 || { cat "$RAW/openssl.log" >&2; die "openssl could not make the test CA"; }
}

ipv6_loopback() { python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; }

# ----------------------------------------------------------------------------- starting things
render() { python3 "$HERE/benchlib.py" render "$@"; }

upstream_of() {  # upstream_of MODE -> "host port scheme"
  case $1 in
    upload) echo "127.0.0.1 $SINK_PORT http" ;;
    tls) echo "localhost $TLS_PORT https" ;;
    *) echo "127.0.0.1 $UP_PORT http" ;;
  esac
}

render_nginx_proxy() {  # render_nginx_proxy NAME PORT MODE -> path
  local name=$1 port=$2 mode=$3 limit="" pass="http://w3ipfs" up=$UP_PORT
  [[ $mode == flood ]] && limit="limit_req zone=flood burst=$BURST nodelay;"
  [[ $mode == tls ]] && pass="https://w3ipfs_tls"
  [[ $mode == upload ]] && up=$SINK_PORT
  render "$HERE/conf/proxy.nginx.conf.in" "$RUN/$name.conf" \
    NAME="$name" RUN="$RUN" WORKERS="$WORKERS" PORT="$port" UPSTREAM_PORT="$up" TLS_PORT="$TLS_PORT" \
    TLS_DIR="$TLS_DIR" PROXY_PASS="$pass" RATE="$RATE" LIMIT_REQ="$limit" API_KEY="$API_KEY" SECRET_KEY="$SECRET_KEY"
  rm -rf "${RUN:?}/$name-cache"
  echo "$RUN/$name.conf"
}

ready_path() { [[ $1 == upload ]] && echo /api/pinning/ || echo /api/pinning/pins/; }

start_nginx_proxy() {  # start_nginx_proxy MODE
  local mode=$1 conf
  conf=$(render_nginx_proxy nginx "$NX_PORT" "$mode")
  start_bg nginx "$RUN/nginx.log" "$NGINX" -p "$RUN" -c "$conf" -e "$RUN/nginx.error.log"
  wait_ready nginx "http://127.0.0.1:$NX_PORT$(ready_path "$mode")" 200
}

start_haproxy() {  # start_haproxy MODE
  local mode=$1 flood="" server_opts="" host port scheme
  read -r host port scheme <<<"$(upstream_of "$mode")"
  if [[ $mode == flood ]]; then
    # Requests over RATE+BURST in the last second are refused (a sliding window, not a token bucket).
    flood="stick-table type ip size 100k expire 60s store http_req_rate(1s)
    http-request track-sc0 src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt $((RATE + BURST)) }"
  fi
  [[ $scheme == https ]] && server_opts="ssl verify required ca-file $TLS_DIR/ca.pem sni str(localhost) verifyhost localhost"
  # HAProxy writes its whole cache area at start (1 GiB: ~3 s) and counts it in its RSS: the full size only
  # where the cache is measured, a small one for the upload (VmHWM) and the flood.
  local cache_mb=16
  [[ $mode == main || $mode == tls ]] && cache_mb=1024
  render "$HERE/conf/proxy.haproxy.cfg.in" "$RUN/haproxy.cfg" \
    WORKERS="$WORKERS" PORT="$HX_PORT" FLOOD="$flood" UPSTREAM="127.0.0.1:$port" SERVER_OPTS="$server_opts" \
    CACHE_MB="$cache_mb" API_KEY="$API_KEY" SECRET_KEY="$SECRET_KEY"
  start_bg haproxy "$RUN/haproxy.log" "$HAPROXY" -db -f "$RUN/haproxy.cfg"
  wait_ready haproxy "http://127.0.0.1:$HX_PORT$(ready_path "$mode")" 200
}

start_pingate() {  # start_pingate MODE [SCENARIO] — returns 1 (scenario recorded as not run) when it cannot
  local mode=$1 scenario=${2:-} host port scheme
  read -r host port scheme <<<"$(upstream_of "$mode")"
  if [[ -n $PINGATE_STANDIN ]]; then
    local conf; conf=$(render_nginx_proxy pingate "$PG_PORT" "$mode")
    start_bg pingate "$RUN/pingate.log" "$NGINX" -p "$RUN" -c "$conf" -e "$RUN/pingate.error.log"
    wait_ready pingate "http://127.0.0.1:$PG_PORT$(ready_path "$mode")" 200
    return 0
  fi
  local args=(serve --vault "$VAULT" --listen "127.0.0.1:$PG_PORT" --upstream "$scheme://$host:$port" --log-level warning)
  if [[ $mode == tls ]]; then
    if ! has_flag --upstream-ca-file; then
      not_run "$scenario" pingate "pingate serve has no --upstream-ca-file flag"
      return 1
    fi
    args+=(--upstream-ca-file "$TLS_DIR/ca.pem")
  fi
  has_flag --threads && args+=(--threads "$WORKERS")
  has_flag --cache-ttl && args+=(--cache-ttl 300)
  has_flag --cache-max-bytes && args+=(--cache-max-bytes $((1 << 30)))   # HAProxy: total-max-size 1024 MB
  has_flag --no-access-log && args+=(--no-access-log)
  has_flag --max-connections && args+=(--max-connections 8192)   # nginx: worker_connections 8192
  if [[ $mode == flood ]]; then args+=(--rate-limit "$RATE"); has_flag --burst && args+=(--burst "$BURST"); fi
  # shellcheck disable=SC2206
  [[ -n $PINGATE_EXTRA_ARGS ]] && args+=($PINGATE_EXTRA_ARGS)
  echo "pingate ${args[*]}" >> "$RAW/commands.txt"
  PINGATE_PASSPHRASE=$PASSPHRASE start_bg pingate "$RUN/pingate.log" "$PINGATE_BIN" "${args[@]}"
  if is_ready pingate "http://127.0.0.1:$PG_PORT/_pingate/healthz" 200; then return 0; fi
  local reason; reason=$(grep -v '^[[:space:]]*$' "$RUN/pingate.log" | tail -1 | cut -c1-300)
  stop pingate
  if [[ -n $scenario ]]; then
    not_run "$scenario" pingate "pingate did not start: ${reason:-no output}"
    return 1
  fi
  tail -20 "$RUN/pingate.log" >&2 || true
  die "pingate did not start in mode $mode"
}

start_proxy() {  # start_proxy PROXY MODE [SCENARIO]
  local t0=$EPOCHREALTIME rc=0
  case $1 in
    pingate) start_pingate "$2" "${3:-}" || rc=$? ;;
    nginx) start_nginx_proxy "$2" ;;
    haproxy) start_haproxy "$2" ;;
  esac
  echo "start $1 $2: rc=$rc after $(python3 -c "print(round($EPOCHREALTIME - $t0, 2))") s" >> "$RAW/starts.log"
  return "$rc"
}

MODE=""
start_proxies() {  # start_proxies MODE [SCENARIO] — restarts all three; pingate may end up not running
  local p
  for p in "${PROXIES[@]}"; do stop "$p"; done
  for p in "${PROXIES[@]}"; do start_proxy "$p" "$1" "${2:-}" || true; done
  MODE=$1
}

running() { [[ -n ${PIDS[$1]:-} ]]; }

rss_pids() {  # processes whose VmHWM/VmRSS count for PROXY (nginx: its workers)
  local pid=${PIDS[$1]}
  if [[ $1 == nginx || ( $1 == pingate && -n $PINGATE_STANDIN ) ]]; then children "$pid"; else echo "$pid"; fi
}

cpu_pids() {  # processes whose CPU time counts for PROXY (nginx: master and workers)
  local pid=${PIDS[$1]} kids
  kids=$(children "$pid")
  echo "$pid${kids:+,$kids}"
}

cpu_ticks() {  # cpu_ticks PROXY -> utime+stime (clock ticks) summed over its processes
  local total=0 pid stat fields
  for pid in $(cpu_pids "$1" | tr , ' '); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    read -r -a fields <<<"${stat##*) }"   # fields[0] is field 3 (state): utime = field 14, stime = field 15
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}

write_cpu() {  # write_cpu FILE TICKS_BEFORE TICKS_AFTER PIDS
  printf '{"ticks": %d, "clk_tck": %d, "pids": "%s"}\n' "$(($3 - $2))" "$CLK_TCK" "$4" > "$1"
}

proxy_port() { case $1 in pingate) echo "$PG_PORT" ;; nginx) echo "$NX_PORT" ;; haproxy) echo "$HX_PORT" ;; esac; }

rotation() {  # rotation ROUND -> the proxies in this round's order (each proxy leads one round in three)
  local n=${#PROXIES[@]} k
  for ((k = 0; k < n; k++)); do echo "${PROXIES[$(((k + $1) % n))]}"; done
}

SEQ=0
want() { [[ -z $SCENARIOS || " $SCENARIOS " == *" $1 "* ]]; }
record_order() { SEQ=$((SEQ + 1)); echo "$SEQ $1 $2 $3 $(date +%s)" >> "$RAW/order.log"; }

# ----------------------------------------------------------------------------- scenarios
wrk_run() {  # wrk_run OUTFILE SECONDS URL [HEADER] [SCRIPT]
  local out=$1 secs=$2 url=$3 hdr=${4:-} script=${5:-}
  local args=(-t"$WRK_THREADS" -c"$CONNS" -d"${secs}s" --latency --timeout 5s)
  [[ -n $hdr ]] && args+=(-H "$hdr")
  [[ -n $script ]] && args+=(-s "$HERE/lua/$script")
  wrk "${args[@]}" "$url" > "$out" 2>&1 || warn "wrk failed for $url (see $out)"
}

wrk_scenario() {  # wrk_scenario NAME PATH [HEADER] [SCRIPT]
  local name=$1 path=$2 hdr=${3:-} script=${4:-} proxy i before after
  mkdir -p "$RAW/$name"
  log "scenario $name: $PAIRS rounds x (${PROXIES[*]}), ${DURATION}s each, wrk -t$WRK_THREADS -c$CONNS"
  for proxy in "${PROXIES[@]}"; do
    running "$proxy" || continue
    BENCH_MISS_PREFIX="/api/pinning/m/$name-$proxy-warm-$(date +%s%N)-" \
      wrk_run "$RAW/$name/warmup-$proxy.log" "$WARMUP" "http://127.0.0.1:$(proxy_port "$proxy")$path" "$hdr" "$script"
  done
  for ((i = 0; i < PAIRS; i++)); do
    for proxy in $(rotation "$i"); do
      running "$proxy" || continue
      record_order "$name" "$proxy" "$i"
      before=$(cpu_ticks "$proxy")
      BENCH_MISS_PREFIX="/api/pinning/m/$name-$proxy-$i-$(date +%s%N)-" \
        wrk_run "$RAW/$name/$proxy-$i.txt" "$DURATION" "http://127.0.0.1:$(proxy_port "$proxy")$path" "$hdr" "$script"
      after=$(cpu_ticks "$proxy")
      write_cpu "$RAW/$name/$proxy-$i.cpu.json" "$before" "$after" "$(cpu_pids "$proxy")"
    done
  done
}

check_hit() {  # check_hit PROXY PATH — the second GET must be a cache hit
  local proxy=$1 path=$2 url hdrs
  url="http://127.0.0.1:$(proxy_port "$proxy")$path"
  curl -s -o /dev/null -m 5 "$url" || true
  hdrs=$(curl -s -D - -o /dev/null -m 5 "$url" | tr -d '\r' || true)
  echo "$proxy $path: $(head -1 <<<"$hdrs"); $(grep -iE '^(cache-status|x-cache|age):' <<<"$hdrs" | paste -sd' ' -)" >> "$RAW/sanity.txt"
  # pingate: Cache-Status; nginx: X-Cache; HAProxy adds Age only to answers from its cache.
  local hit='^(cache-status: *pingate; *hit|x-cache: *hit)'
  [[ $proxy == haproxy ]] && hit='^age: *[0-9]+'
  if ! grep -qiE "$hit" <<<"$hdrs"; then
    warn "$proxy: second GET of $path was not a cache hit ($(grep -iE '^(cache-status|x-cache|age):' <<<"$hdrs" | head -1))"
  fi
}

tls_scenario() {
  local name=passthrough_tls_1k_get
  log "scenario $name: upstream https://localhost:$TLS_PORT (CA made by openssl), verified by every proxy"
  start_proxies tls "$name"
  local p code
  for p in "${PROXIES[@]}"; do
    running "$p" || continue
    code=$(curl -s -o /dev/null -m 5 -H 'Cache-Control: no-store' -w '%{http_code}' "http://127.0.0.1:$(proxy_port "$p")/api/pinning/pins/" || true)
    echo "$name $p: GET through the TLS upstream -> $code" >> "$RAW/sanity.txt"
    if [[ $code != 200 && $p == pingate ]]; then
      not_run "$name" pingate "GET through the https upstream answered $code: $(curl -s -m 5 -H 'Cache-Control: no-store' "http://127.0.0.1:$PG_PORT/api/pinning/pins/" | head -c 200)"
      stop pingate
    fi
  done
  wrk_scenario "$name" /api/pinning/pins/ 'Cache-Control: no-store'
}

loadgen_run() {  # loadgen_run SCENARIO PROXY INDEX ARGS... — one loadgen.py run with CPU accounting
  local name=$1 proxy=$2 i=$3; shift 3
  local before after
  record_order "$name" "$proxy" "$i"
  before=$(cpu_ticks "$proxy")
  python3 "$HERE/loadgen.py" "$@" --out "$RAW/$name/$proxy-$i.json" \
    || warn "$name through $proxy (run $i) failed: $(tr -d '\n' < "$RAW/$name/$proxy-$i.json" 2>/dev/null | head -c 300)"
  after=$(cpu_ticks "$proxy")
  write_cpu "$RAW/$name/$proxy-$i.cpu.json" "$before" "$after" "$(cpu_pids "$proxy")"
}

upload_scenario() {
  local proxy p i
  mkdir -p "$RAW/upload_1g"
  log "scenario upload_1g: $PAIRS rounds x (${PROXIES[*]}), $UPLOAD_BYTES bytes chunked each; each proxy restarted before its upload"
  for p in "${PROXIES[@]}"; do stop "$p"; done
  MODE=""
  for ((i = 0; i < PAIRS; i++)); do
    for proxy in $(rotation "$i"); do
      stop "$proxy"
      start_proxy "$proxy" upload upload_1g || continue
      loadgen_run upload_1g "$proxy" "$i" upload --port "$(proxy_port "$proxy")" --bytes "$UPLOAD_BYTES" \
        --rss-pids "$(rss_pids "$proxy")"
      stop "$proxy"
    done
  done
}

cold_scenario() {
  local proxy i
  mkdir -p "$RAW/cold_1000"
  log "scenario cold_1000: $PAIRS rounds x (${PROXIES[*]}), $COLD_N concurrent GETs of one fresh URL"
  for ((i = 0; i < PAIRS; i++)); do
    for proxy in $(rotation "$i"); do
      running "$proxy" || continue
      loadgen_run cold_1000 "$proxy" "$i" cold --port "$(proxy_port "$proxy")" \
        --path "/api/pinning/cold-$(date +%s%N)-$proxy-$i" --n "$COLD_N" --upstream-log "$RUN/upstream-cold.log"
    done
  done
}

flood_scenario() {
  local proxy codes
  log "scenario ratelimit_flood: pingate --rate-limit $RATE --burst $BURST, nginx limit_req rate=${RATE}r/s burst=$BURST nodelay, HAProxy sc_http_req_rate(0) > $((RATE + BURST)) -> 429"
  for proxy in "${PROXIES[@]}"; do stop "$proxy"; done
  if [[ -z $PINGATE_STANDIN ]] && ! has_flag --rate-limit; then
    not_run ratelimit_flood pingate "pingate serve has no --rate-limit flag"
  else
    start_pingate flood ratelimit_flood || true
  fi
  start_nginx_proxy flood
  start_haproxy flood
  MODE=flood
  for proxy in "${PROXIES[@]}"; do
    running "$proxy" || continue
    codes=$(for _ in $(seq 40); do curl -s -o /dev/null -m 2 -H 'Cache-Control: no-store' -w '%{http_code}\n' \
      "http://127.0.0.1:$(proxy_port "$proxy")/api/pinning/pins/"; done | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')
    echo "flood $proxy 40 sequential GETs: $codes" >> "$RAW/sanity.txt"
    grep -q '×429' <<<"$codes" || warn "$proxy answered no 429 to 40 quick GETs over a ${RATE}/s limit: $codes"
  done
  wrk_scenario ratelimit_flood /api/pinning/pins/ 'Cache-Control: no-store'
}

overhead_scenario() {
  local p
  log "scenario cache_overhead: pingate only, $FILL_N distinct small entries (after $FILL_WARM unstored warm-up GETs)"
  for p in "${PROXIES[@]}"; do stop "$p"; done
  MODE=""
  start_pingate fill cache_overhead || return 0
  local admin=/_pingate/cache
  [[ -n $PINGATE_STANDIN ]] && admin=""
  if [[ -z $PINGATE_STANDIN ]] && ! has_flag --cache-max-bytes; then
    warn "pingate serve has no --cache-max-bytes flag: $FILL_N entries may not fit the default cache bound"
  fi
  local before after
  before=$(cpu_ticks pingate)
  python3 "$HERE/loadgen.py" overhead --port "$PG_PORT" --pid "$(rss_pids pingate | cut -d, -f1)" --n "$FILL_N" \
    --warm "$FILL_WARM" --admin-path "$admin" --out "$RAW/cache_overhead.json" || warn "overhead fill failed"
  after=$(cpu_ticks pingate)
  write_cpu "$RAW/cache_overhead.cpu.json" "$before" "$after" "$(cpu_pids pingate)"
  stop pingate
}

# ----------------------------------------------------------------------------- main
main() {
  install_tools
  python3 "$HERE/benchlib.py" --self-test >/dev/null || die "benchlib self-test failed (python3 $HERE/benchlib.py --self-test)"
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  ((PAIRS >= 3)) || log "PAIRS=$PAIRS (< 3: fewer rounds than the issue asks for)"
  local p s
  for s in $SCENARIOS; do [[ " $(echo $ALL_SCENARIOS) " == *" $s "* ]] || die "unknown scenario $s (known: $(echo $ALL_SCENARIOS))"; done
  for p in "$UP_PORT" "$PG_PORT" "$NX_PORT" "$SINK_PORT" "$HX_PORT" "$TLS_PORT"; do
    port_free "$p" || die "127.0.0.1:$p is in use (set BASE_PORT)"
  done

  build_pingate
  rm -rf "$RAW"; mkdir -p "$RAW"
  RUN=$(mktemp -d "${TMPDIR:-/tmp}/pingate-bench.XXXXXX")
  chmod 755 "$RUN"   # nginx workers run as an unprivileged user when started by root
  mkdir -p "$RUN/tmp"
  : > "$RUN/upstream-cold.log"
  make_tls

  if [[ -z $PINGATE_STANDIN ]]; then
    SERVE_HELP=$("$PINGATE_BIN" serve --help 2>&1 || true)
    printf '%s\n' "$SERVE_HELP" > "$RAW/pingate-serve-help.txt"
    has_flag --threads || [[ $WORKERS == "$(nproc)" ]] \
      || warn "pingate has no --threads flag; it uses $(nproc) event loops (one per core) while nginx and HAProxy get WORKERS=$WORKERS"
    make_vault
  fi

  python3 "$HERE/benchlib.py" bodies "$RUN/www" >/dev/null
  local v6=""
  ipv6_loopback && v6="listen [::1]:$TLS_PORT ssl backlog=4096;"
  render "$HERE/conf/upstream.nginx.conf.in" "$RUN/upstream.conf" \
    RUN="$RUN" WORKERS="$UPSTREAM_WORKERS" PORT="$UP_PORT" TLS_PORT="$TLS_PORT" TLS_LISTEN_V6="$v6" TLS_DIR="$TLS_DIR" \
    API_KEY="$API_KEY" SECRET_KEY="$SECRET_KEY"
  start_bg upstream "$RUN/upstream.log" "$NGINX" -p "$RUN" -c "$RUN/upstream.conf" -e "$RUN/upstream.error.log"
  wait_ready upstream "http://127.0.0.1:$UP_PORT/api/pinning/pins/" 401   # no credentials -> 401
  local code tls_code
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "pinning_api_key: $API_KEY" -H "pinning_secret_key: $SECRET_KEY" \
    "http://127.0.0.1:$UP_PORT/api/pinning/pins/")
  [[ $code == 200 ]] || die "upstream answered $code with credentials"
  tls_code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TLS_DIR/ca.pem" -H "pinning_api_key: $API_KEY" \
    -H "pinning_secret_key: $SECRET_KEY" "https://localhost:$TLS_PORT/api/pinning/pins/" || true)
  [[ $tls_code == 200 ]] || die "TLS upstream answered '$tls_code' with credentials (verified against the test CA)"
  echo "upstream: 401 without credentials, $code with; TLS origin (verified): $tls_code" >> "$RAW/sanity.txt"
  start_bg sink "$RUN/sink.log" python3 "$HERE/loadgen.py" sink --port "$SINK_PORT" --api-key "$API_KEY" --secret-key "$SECRET_KEY"

  start_proxies main
  for p in "${PROXIES[@]}"; do check_hit "$p" /api/pinning/pins/; check_hit "$p" /api/pinning/pins64k/; done

  if want cached_1k_get; then wrk_scenario cached_1k_get /api/pinning/pins/; fi
  if want cached_64k_get; then wrk_scenario cached_64k_get /api/pinning/pins64k/; fi
  if want passthrough_1k_get; then wrk_scenario passthrough_1k_get /api/pinning/pins/ 'Cache-Control: no-store'; fi
  if want post_4k; then wrk_scenario post_4k /api/pinning/pinByHash '' post4k.lua; fi
  if want cache_miss; then wrk_scenario cache_miss /api/pinning/m/ '' miss.lua; fi
  if want cold_1000; then cold_scenario; fi
  if want passthrough_tls_1k_get; then tls_scenario; fi
  wait_ready sink "http://127.0.0.1:$SINK_PORT/" 401
  if want upload_1g; then upload_scenario; fi
  if want ratelimit_flood; then flood_scenario; fi
  if want cache_overhead; then overhead_scenario; fi
  for p in "${PROXIES[@]}" sink upstream; do stop "$p"; done

  local pg_desc="${PINGATE_BIN}" pg_version="n/a" pg_built="n/a"
  if [[ -n $PINGATE_STANDIN ]]; then pg_desc="STAND-IN:$PINGATE_STANDIN"; else
    pg_version=$("$PINGATE_BIN" --version 2>/dev/null | head -1 || true)
    pg_built=$(date -u -r "$PINGATE_BIN" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || true)
  fi
  local rc=0
  python3 "$HERE/benchlib.py" report --raw "$RAW" --out "$OUT" --root "$ROOT" \
    --param pingate="$pg_desc" --param pingate_version="$pg_version" --param pingate_binary_built="$pg_built" \
    --param nginx="$("$NGINX" -v 2>&1 | sed 's/.*: //')" --param haproxy="$("$HAPROXY" -v 2>&1 | head -1)" \
    --param wrk="wrk -t$WRK_THREADS -c$CONNS -d${DURATION}s --latency (warm-up ${WARMUP}s)" \
    --param pairs="$PAIRS" --param workers="$WORKERS" --param upstream_workers="$UPSTREAM_WORKERS" \
    --param upload_bytes="$UPLOAD_BYTES" --param cold_n="$COLD_N" --param fill_n="$FILL_N" \
    --param rate_limit="${RATE}/s burst $BURST" --param quick="$QUICK" --param scenarios="${SCENARIOS:-all}" \
    --param pingate_threads_flag="$( [[ -z $PINGATE_STANDIN ]] && has_flag --threads && echo yes || echo no)" || rc=$?
  log "JSON: $OUT   raw outputs: $RAW"
  return "$rc"
}

main "$@"
