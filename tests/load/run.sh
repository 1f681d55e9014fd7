#!/usr/bin/env bash
# Bouncer load benchmark: the same loads sent directly and through Bouncer, haproxy, nginx stream
# and socat (UDP), in one run, on loopback only. Prints a Markdown report and saves it under
# tests/load/results/.
#
#   tests/load/run.sh                  full run: 3 repeats, medians (about 6-8 minutes)
#   QUICK=1 tests/load/run.sh          1 repeat, short loads (about 2 minutes)
#
# Settings (environment):
#   PROXIES="direct bouncer haproxy nginx socat"   which forwarders to measure
#   TESTS="bulk-up bulk-down rr crr idle udp"     which tests to run
#   REPEATS=3            repeats per cell; the proxy order rotates every repeat
#   BOUNCER_BIN=path     use this bouncer executable (a native binary) instead of publishing
#                        src/Bouncer.Cli
#   BOUNCER_DLL=path     use this framework-dependent bouncer.dll (run as dotnet bouncer.dll)
#   BOUNCER_CMD='...'    run this shell command as "bouncer" instead (a stand-in while the daemon
#                        is unfinished); it sees LISTEN_PORT, TARGET_PORT, PROTO (tcp|udp) and
#                        WORKDIR in its environment and should end with exec
#   PROXY_THREADS=N      nginx workers and haproxy threads (default: number of CPUs)
#   KEEP=1               keep the temporary directory (configs, logs, client output) for a look
#   OUT=file.md          report path (default tests/load/results/load-<time>.md; raw.tsv beside it)
#   BULK_SECS RR_COUNT CRR_COUNT CRR_CONC IDLE_N UDP_SECS UDP_INFLIGHT UDP_SOCKETS UDP_SIZE
#
# Every process is started by this script, wrapped in timeout, and stopped by its PID (or the
# process group that timeout made for it). Temporary files live in one mktemp directory that is
# removed on exit. A failing cell is marked FAIL in the report; the run goes on.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
    REPEATS=${REPEATS:-1}; BULK_SECS=${BULK_SECS:-1}; RR_COUNT=${RR_COUNT:-5000}
    CRR_COUNT=${CRR_COUNT:-2000}; IDLE_N=${IDLE_N:-2000}; UDP_SECS=${UDP_SECS:-1}
else
    REPEATS=${REPEATS:-3}; BULK_SECS=${BULK_SECS:-3}; RR_COUNT=${RR_COUNT:-20000}
    CRR_COUNT=${CRR_COUNT:-6000}; IDLE_N=${IDLE_N:-10000}; UDP_SECS=${UDP_SECS:-3}
fi
CRR_CONC=${CRR_CONC:-4}
UDP_INFLIGHT=${UDP_INFLIGHT:-256}
UDP_SOCKETS=${UDP_SOCKETS:-64}
UDP_SIZE=${UDP_SIZE:-64}
UDP_COUNT=${UDP_COUNT:-50000000}           # the UDP test is bounded by UDP_SECS
COUNT_MAX_SECS=${COUNT_MAX_SECS:-15}      # time bound of the count-bounded tests (rr, crr)
PROXIES=${PROXIES:-"direct bouncer haproxy nginx socat"}
TESTS=${TESTS:-"bulk-up bulk-down rr crr idle udp"}
PROXY_THREADS=${PROXY_THREADS:-$(nproc)}
READY_SECS=${READY_SECS:-30}              # how long a forwarder may take to start listening
CELL_MAX_SECS=${CELL_MAX_SECS:-180}       # hard lifetime of any forwarder process

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=${OUT:-$HERE/results/load-$STAMP.md}
RAW=${OUT%.md}.raw.tsv

log() { printf '%s\n' "$*" >&2; }

# ---------- tools ----------

install_missing() {
    local need=() p
    for p in haproxy nginx libnginx-mod-stream socat gcc iproute2; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
    done
    [ ${#need[@]} -eq 0 ] && return 0
    log "installing: ${need[*]}"
    if [ "$(id -u)" != 0 ]; then
        log "need root to install ${need[*]}"
        return 1
    fi
    timeout 600 apt-get update -qq && \
        DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
}

# ---------- working directory, cleanup ----------

WORK=$(mktemp -d /tmp/bouncer-load.XXXXXX)
SERVER_PIDS=()
PROXY_PID=""      # the timeout process that owns the running forwarder's process group
CLIENT_PID=""

stop_proxy() {
    local pid=$PROXY_PID i
    PROXY_PID=""
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null      # timeout passes it on to its whole process group
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL -- "-$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    return 0
}

cleanup() {
    [ -n "$CLIENT_PID" ] && kill -TERM "$CLIENT_PID" 2>/dev/null
    stop_proxy
    local p
    for p in "${SERVER_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${SERVER_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    if [ "${KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A forwarder holds two descriptors per proxied connection; the hard limit here caps the idle test.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
NOFILE=$(ulimit -n)
IDLE_CAP=$(( (NOFILE - 500) / 2 ))
if [ "$IDLE_N" -gt "$IDLE_CAP" ]; then
    log "idle test: $IDLE_N connections need $((2 * IDLE_N)) descriptors in one process; the limit is $NOFILE, so using $IDLE_CAP"
    IDLE_N=$IDLE_CAP
fi

install_missing || log "warning: could not install every peer; their cells will FAIL"

LG=$WORK/loadgen
if ! gcc -O2 -Wall -Wextra -pthread -o "$LG" "$HERE/loadgen.c"; then
    log "cannot build loadgen"
    exit 1
fi

# ---------- bouncer ----------

BOUNCER_ERR=""
BOUNCER_DESC=""
BOUNCER_RUN=()    # the command that starts bouncer; "-f rules.conf" follows
if [ -n "${BOUNCER_CMD:-}" ]; then
    BOUNCER_DESC="stand-in command: \`$BOUNCER_CMD\`"
elif [ -n "${BOUNCER_BIN:-}" ]; then
    [ -x "$BOUNCER_BIN" ] || BOUNCER_ERR="BOUNCER_BIN $BOUNCER_BIN is not an executable"
    BOUNCER_RUN=("$BOUNCER_BIN")
    BOUNCER_DESC="\`$BOUNCER_BIN\`"
elif [ -n "${BOUNCER_DLL:-}" ]; then
    [ -f "$BOUNCER_DLL" ] || BOUNCER_ERR="BOUNCER_DLL $BOUNCER_DLL not found"
    BOUNCER_RUN=(dotnet "$BOUNCER_DLL")
    BOUNCER_DESC="\`dotnet $BOUNCER_DLL\`"
elif [[ " $PROXIES " == *" bouncer "* ]]; then
    # The shipped form: the Native AOT binary (needs clang and zlib1g-dev, as .ci/run installs).
    log "publishing src/Bouncer.Cli (Release, native)"
    if timeout 1200 dotnet publish "$ROOT/src/Bouncer.Cli" -c Release -o "$WORK/bouncer" -nologo -v q \
        > "$WORK/publish.log" 2>&1; then
        BOUNCER_RUN=("$WORK/bouncer/bouncer")
        BOUNCER_DESC="native binary published from $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
    else
        BOUNCER_ERR="dotnet publish failed"
        tail -20 "$WORK/publish.log" >&2
    fi
fi

# ---------- servers ----------

start_server() {   # mode -> sets SERVER_PORT (not in a subshell: the server must stay our child)
    local out=$WORK/server-$1.out i
    "$LG" "$1" 0 3600 > "$out" 2>&1 &
    SERVER_PIDS+=($!)
    for i in $(seq 100); do
        grep -q '^LISTEN port=' "$out" 2>/dev/null && break
        sleep 0.05
    done
    SERVER_PORT=$(sed -n 's/^LISTEN port=//p' "$out")
}
start_server serve-echo; ECHO_PORT=$SERVER_PORT
start_server serve-bulk; BULK_PORT=$SERVER_PORT
start_server serve-udp; UDP_PORT=$SERVER_PORT
if [ -z "$ECHO_PORT" ] || [ -z "$BULK_PORT" ] || [ -z "$UDP_PORT" ]; then
    log "servers did not start"
    exit 1
fi

# ---------- forwarders ----------

test_proto() { [ "$1" = udp ] && echo udp || echo tcp; }

# Which forwarders can do a protocol at all (community haproxy has no UDP; socat is the UDP peer).
applies() {   # proxy proto
    case "$1:$2" in
        haproxy:udp|socat:tcp) return 1 ;;
        *) return 0 ;;
    esac
}

write_haproxy() {   # dir listen target
    local maxconn=$(( (NOFILE - 200) / 2 ))
    cat > "$1/haproxy.cfg" <<EOF
global
    maxconn $maxconn
    nbthread $PROXY_THREADS
defaults
    mode tcp
    maxconn $maxconn
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend fe
    bind 127.0.0.1:$2
    default_backend be
backend be
    server s1 127.0.0.1:$3
EOF
}

write_nginx() {   # dir listen target proto
    local udp="" ptimeout=60s
    [ "$4" = udp ] && { udp=" udp"; ptimeout=10s; }
    cat > "$1/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
master_process on;
worker_processes $PROXY_THREADS;
worker_rlimit_nofile $NOFILE;
pid $1/nginx.pid;
error_log $1/error.log error;
events { worker_connections $NOFILE; }
stream {
    server {
        listen 127.0.0.1:$2$udp;
        proxy_pass 127.0.0.1:$3;
        proxy_connect_timeout 5s;
        proxy_timeout $ptimeout;
    }
}
EOF
}

# Starts a forwarder in the background under timeout; sets PROXY_PID. Returns 1 if it cannot.
start_proxy() {   # proxy proto dir listen target
    local proxy=$1 proto=$2 dir=$3 listen=$4 target=$5
    local cmd=()
    case $proxy in
        bouncer)
            if [ -n "${BOUNCER_CMD:-}" ]; then
                cmd=(env LISTEN_PORT="$listen" TARGET_PORT="$target" PROTO="$proto" WORKDIR="$dir" bash -c "$BOUNCER_CMD")
            else
                [ -z "$BOUNCER_ERR" ] || { echo "$BOUNCER_ERR" > "$dir/why"; return 1; }
                printf 'client pass { from: 0/0 to: 127.0.0.1 port = %s bounce to: 127.0.0.1 port = %s protocol: %s log: error }\n' \
                    "$listen" "$target" "$proto" > "$dir/rules.conf"
                cmd=("${BOUNCER_RUN[@]}" -f "$dir/rules.conf")
            fi ;;
        haproxy) write_haproxy "$dir" "$listen" "$target"; cmd=(haproxy -db -f "$dir/haproxy.cfg") ;;
        nginx) write_nginx "$dir" "$listen" "$target" "$proto"; cmd=(nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log") ;;
        socat)
            cmd=(socat -T 10 "UDP4-LISTEN:$listen,bind=127.0.0.1,fork,reuseaddr" "UDP4:127.0.0.1:$target") ;;
        *) echo "unknown forwarder $proxy" > "$dir/why"; return 1 ;;
    esac
    command -v "${cmd[0]}" > /dev/null || { echo "${cmd[0]} not installed" > "$dir/why"; return 1; }
    timeout -k 5 "$CELL_MAX_SECS" "${cmd[@]}" > "$dir/proxy.out" 2> "$dir/proxy.err" < /dev/null &
    PROXY_PID=$!
}

# Waits (with ss, which sends no traffic) until the port is listening; fails if the forwarder exits.
wait_listening() {   # proto port
    local flag=-ltn end=$((SECONDS + READY_SECS))
    [ "$1" = udp ] && flag=-lun
    while [ $SECONDS -le $end ]; do
        [ -n "$(ss -H "$flag" "sport = :$2" 2>/dev/null)" ] && return 0
        kill -0 "$PROXY_PID" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# The forwarder itself: timeout's child (timeout stays out of the numbers).
proxy_root() { cat "/proc/$PROXY_PID/task/$PROXY_PID/children" 2>/dev/null | awk '{print $1}'; }

tree() {   # pid field -> value from loadgen proc-tree (rss_kb, pss_kb, cpu_ms)
    [ -n "$1" ] || { echo 0; return; }
    "$LG" proc-tree "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p"
}

field() { tr ' ' '\n' <<< "$1" | sed -n "s/^$2=//p"; }

now_ms() { date +%s%3N; }

# ---------- one cell ----------

record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RAW"; }   # test proxy repeat metric value

client() {   # seconds-bound args... -> runs loadgen under timeout, prints its RESULT line
    local bound=$1; shift
    timeout -k 2 "$bound" "$LG" "$@" 2>&1 | grep '^RESULT' | tail -1
}

warm_up() {   # test port
    case $1 in
        bulk-up) client 10 bulk 127.0.0.1 "$2" up 0.3 ;;
        bulk-down) client 10 bulk 127.0.0.1 "$2" down 0.3 ;;
        rr|idle) client 10 rr 127.0.0.1 "$2" 500 3 ;;
        crr) client 10 crr 127.0.0.1 "$2" 300 3 "$CRR_CONC" ;;
        udp) client 10 udp 127.0.0.1 "$2" 3000 1 "$UDP_INFLIGHT" "$UDP_SOCKETS" "$UDP_SIZE" ;;
    esac > /dev/null
}

# Idle test: hold IDLE_N verified connections and sample the forwarder tree while they are held.
run_idle() {   # port root dir -> prints RESULT line plus rss/pss per connection fields
    local port=$1 root=$2 dir=$3 i
    local rss0 pss0 rss1 pss1
    rss0=$(tree "$root" rss_kb); pss0=$(tree "$root" pss_kb)
    LOADGEN_HARD_SECONDS=200 timeout -k 2 200 "$LG" idle 127.0.0.1 "$port" "$IDLE_N" 120 > "$dir/idle.out" 2>&1 &
    CLIENT_PID=$!
    for i in $(seq 1500); do
        grep -q '^READY' "$dir/idle.out" && break
        kill -0 "$CLIENT_PID" 2>/dev/null || break
        sleep 0.1
    done
    if grep -q '^READY' "$dir/idle.out"; then
        sleep 0.5
        rss1=$(tree "$root" rss_kb); pss1=$(tree "$root" pss_kb)
    fi
    # Release the connections: signal loadgen itself, the child of timeout.
    kill -USR1 "$(cat "/proc/$CLIENT_PID/task/$CLIENT_PID/children" 2>/dev/null | awk '{print $1}')" 2>/dev/null
    wait "$CLIENT_PID"
    CLIENT_PID=""
    local res verified
    res=$(grep '^RESULT' "$dir/idle.out" | tail -1)
    verified=$(field "$res" verified)
    if [ -n "$root" ] && [ -n "${rss1:-}" ] && [ "${verified:-0}" -gt 0 ]; then
        res="$res rss_kb_conn=$(awk -v a="$rss0" -v b="$rss1" -v n="$verified" 'BEGIN{printf "%.2f", (b-a)/n}')"
        res="$res pss_kb_conn=$(awk -v a="$pss0" -v b="$pss1" -v n="$verified" 'BEGIN{printf "%.2f", (b-a)/n}')"
    fi
    echo "$res"
}

HEADLINE=(bulk-up:mb_s bulk-down:mb_s rr:p50_us rr:p99_us crr:conn_s idle:rss_kb_conn idle:pss_kb_conn
          udp:pps udp:loss_pct)

run_cell() {   # test proxy repeat
    local test=$1 proxy=$2 rep=$3
    local proto; proto=$(test_proto "$test")
    local dir=$WORK/cell-$rep-$test-$proxy
    mkdir -p "$dir"
    local target
    case $test in
        bulk-*) target=$BULK_PORT ;;
        udp) target=$UDP_PORT ;;
        *) target=$ECHO_PORT ;;
    esac
    local port=$target root=""
    if [ "$proxy" != direct ]; then
        port=$("$LG" free-port "$proto")
        if ! start_proxy "$proxy" "$proto" "$dir" "$port" "$target"; then
            fail_cell "$test" "$proxy" "$rep" "$(cat "$dir/why" 2>/dev/null)"
            return
        fi
        if ! wait_listening "$proto" "$port"; then
            local why="still not listening after ${READY_SECS}s"
            kill -0 "$PROXY_PID" 2>/dev/null || { wait "$PROXY_PID"; why="exited with status $? before listening"; }
            fail_cell "$test" "$proxy" "$rep" "$why on $proto/$port: $(tail -c 300 "$dir/proxy.err" | tr '\n\t' '  ')"
            stop_proxy
            return
        fi
        root=$(proxy_root)
    fi
    warm_up "$test" "$port"
    local cpu0 t0 res
    cpu0=$(tree "$root" cpu_ms); t0=$(now_ms)
    case $test in
        bulk-up) res=$(client $((BULK_SECS + 20)) bulk 127.0.0.1 "$port" up "$BULK_SECS") ;;
        bulk-down) res=$(client $((BULK_SECS + 20)) bulk 127.0.0.1 "$port" down "$BULK_SECS") ;;
        rr) res=$(client $((COUNT_MAX_SECS + 10)) rr 127.0.0.1 "$port" "$RR_COUNT" "$COUNT_MAX_SECS") ;;
        crr) res=$(client $((COUNT_MAX_SECS + 10)) crr 127.0.0.1 "$port" "$CRR_COUNT" "$COUNT_MAX_SECS" "$CRR_CONC") ;;
        udp) res=$(client $((UDP_SECS + 20)) udp 127.0.0.1 "$port" "$UDP_COUNT" "$UDP_SECS" "$UDP_INFLIGHT" \
                   "$UDP_SOCKETS" "$UDP_SIZE") ;;
        idle) res=$(run_idle "$port" "$root" "$dir") ;;
    esac
    local t1 cpu1 rss
    t1=$(now_ms); cpu1=$(tree "$root" cpu_ms); rss=$(tree "$root" rss_kb)
    stop_proxy
    echo "$res" > "$dir/result"
    if [ "$(field "$res" ok)" != 1 ]; then
        fail_cell "$test" "$proxy" "$rep" "${res:-no RESULT line}"
        return
    fi
    record "$test" "$proxy" "$rep" status ok
    local h m v shown=""
    for h in "${HEADLINE[@]}"; do
        [ "${h%%:*}" = "$test" ] || continue
        m=${h#*:}
        v=$(field "$res" "$m")
        [ -n "$v" ] && record "$test" "$proxy" "$rep" "$m" "$v" && shown="$shown $m=$v"
    done
    if [ -n "$root" ]; then
        record "$test" "$proxy" "$rep" cpu_pct "$(awk -v c=$((cpu1 - cpu0)) -v w=$((t1 - t0)) 'BEGIN{printf "%.0f", (w > 0 ? 100*c/w : 0)}')"
        record "$test" "$proxy" "$rep" rss_mb "$(awk -v r="$rss" 'BEGIN{printf "%.1f", r/1024}')"
    fi
    log "  $test $proxy:$shown"
}

fail_cell() {   # test proxy repeat reason
    record "$1" "$2" "$3" status FAIL
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$WORK/failures"
    log "  $1 $2: FAIL ($4)"
}

# ---------- the run ----------

mkdir -p "$(dirname "$OUT")"
: > "$RAW"
: > "$WORK/failures"
read -r -a ALL <<< "$PROXIES"
START=$SECONDS
for rep in $(seq "$REPEATS"); do
    shift_by=$(( (rep - 1) % ${#ALL[@]} ))
    order=("${ALL[@]:$shift_by}" "${ALL[@]:0:$shift_by}")
    log "repeat $rep/$REPEATS, order: ${order[*]}"
    for test in $TESTS; do
        for proxy in "${order[@]}"; do
            applies "$proxy" "$(test_proto "$test")" || continue
            [ "$proxy" = direct ] && [ "$test" = idle ] && continue   # nothing between client and server to weigh
            run_cell "$test" "$proxy" "$rep"
        done
    done
done
ELAPSED=$((SECONDS - START))

# ---------- allocation on the data path (bouncer under steady load) ----------

ALLOC_NOTE=""
. "$HERE/alloc.sh"

# ---------- report ----------

{
    echo "# Bouncer load benchmark ($STAMP)"
    echo
    echo "Loopback only, $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), kernel $(uname -r)."
    echo "Medians of $REPEATS repeat(s), proxy order rotated every repeat; run took ${ELAPSED}s. Commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)."
    echo
    echo "- bouncer: ${BOUNCER_DESC:-not run}${BOUNCER_ERR:+ ($BOUNCER_ERR)}"
    echo "- haproxy: $(haproxy -v 2>/dev/null | head -1 | awk '{print $3}'), nbthread $PROXY_THREADS; nginx: $(nginx -v 2>&1 | sed 's/.*nginx\///') stream, $PROXY_THREADS workers; socat: $(socat -V 2>/dev/null | awk '/socat version/{print $3}') (UDP4-LISTEN fork)"
    echo "- bulk: 1 stream, ${BULK_SECS}s each way, every byte checked; rr: $RR_COUNT × 64 B round trips on one connection; crr: $CRR_COUNT × (connect, 64 B echo, close), $CRR_CONC at a time; idle: $IDLE_N connections each verified by a round trip, forwarder tree RSS/PSS while held minus before; udp: closed loop, $UDP_INFLIGHT × $UDP_SIZE B datagrams in flight over $UDP_SOCKETS source ports for ${UDP_SECS}s, no reply within 200 ms = lost."
    echo "- Cells: median, then (d ratio to direct, p ratio to the best peer in that row). Higher is better for MB/s, conn/s and dgram/s; lower is better for µs, KB and loss."
    echo
    awk -F'\t' -v proxies="$PROXIES" -v reps="$REPEATS" -f "$HERE/report.awk" "$RAW"
    echo
    if [ -s "$WORK/failures" ]; then
        echo "## Failures"
        echo
        awk -F'\t' '{ printf "- %s / %s / repeat %s: %s\n", $1, $2, $3, $4 }' "$WORK/failures"
        echo
    fi
    [ -n "$ALLOC_NOTE" ] && printf '%s\n' "$ALLOC_NOTE"
} > "$OUT"
cat "$OUT"
log "report: $OUT (raw: $RAW)"
