#!/usr/bin/env bash
# Start-up time, idle memory and size of the two builds of bouncer: the Native AOT binary (the
# shipped form) and the framework-dependent publish (-p:PublishAot=false), on the same rule file.
# Each round starts each build once, in alternating order, and reads from its log the time from
# the start to the "started" line (every listener bound), then its resident set (VmRSS) after
# IDLE seconds of idling. Prints every figure, then the medians.
#
#   tests/load/startup.sh
#   ROUNDS=20 IDLE=5 CONF=samples/quickstart.conf tests/load/startup.sh
#   NATIVE=/path/bouncer FDD=/path/fdd-dir tests/load/startup.sh     skip the two publishes
#
# Every wait is bounded; each daemon is stopped by its PID.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ROUNDS=${ROUNDS:-20}
IDLE=${IDLE:-5}
CONF=${CONF:-$ROOT/samples/quickstart.conf}

WORK=$(mktemp -d /tmp/bouncer-startup.XXXXXX)
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${NATIVE:-}" ]; then
    echo "publishing the native binary" >&2
    timeout 1200 dotnet publish "$ROOT/src/Bouncer.Cli" -c Release -o "$WORK/native" -nologo -v q >&2 || exit 1
    NATIVE=$WORK/native/bouncer
fi
if [ -z "${FDD:-}" ]; then
    echo "publishing the framework-dependent build" >&2
    timeout 900 dotnet publish "$ROOT/src/Bouncer.Cli" -c Release -p:PublishAot=false -o "$WORK/fdd" -nologo -v q >&2 || exit 1
    FDD=$WORK/fdd
fi
[ -x "$NATIVE" ] || { echo "no executable $NATIVE" >&2; exit 1; }
[ -f "$FDD/bouncer.dll" ] || { echo "no bouncer.dll in $FDD" >&2; exit 1; }

# One start: sets RESULT to "milliseconds-to-started rss-kb", or FAIL. (Not run in a $(...)
# subshell, so that PID stays visible to the exit trap.)
start_once() {
    local fifo=$WORK/log.fifo line t0 t1 rss=""
    rm -f "$fifo" && mkfifo "$fifo"
    t0=$EPOCHREALTIME
    "$@" -f "$CONF" > /dev/null 2> "$fifo" &
    PID=$!
    exec 3< "$fifo"
    t1=""
    while IFS= read -r -t 10 line <&3; do
        if [[ $line == *" started: "* ]]; then
            t1=$EPOCHREALTIME
            break
        fi
    done
    if [ -n "$t1" ]; then
        sleep "$IDLE"
        rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status")
    fi
    kill "$PID" 2>/dev/null
    wait "$PID" 2>/dev/null
    PID=""
    exec 3<&-
    if [ -z "$t1" ] || [ -z "$rss" ]; then
        RESULT=FAIL
    else
        RESULT=$(awk -v a="${t0/./}" -v b="${t1/./}" -v r="$rss" 'BEGIN { printf "%.1f %d", (b - a) / 1000, r }')
    fi
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: > "$WORK/native.tsv"
: > "$WORK/fdd.tsv"
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="native fdd"; else order="fdd native"; fi
    for build in $order; do
        if [ "$build" = native ]; then start_once "$NATIVE"; else start_once "$FDD/bouncer"; fi
        echo "round $round $build: $RESULT" >&2
        [ "$RESULT" != FAIL ] && echo "$RESULT" >> "$WORK/$build.tsv"
    done
done

runtime_dir=$(dotnet --list-runtimes | awk '/^Microsoft.NETCore.App / { v = $2; p = $3 } END { gsub(/[][]/, "", p); print p "/" v }')
echo
echo "| build | start to \"started\" (median) | VmRSS after ${IDLE} s idle (median) | size |"
echo "|---|---|---|---|"
for build in native fdd; do
    ms=$(cut -d' ' -f1 "$WORK/$build.tsv" | median)
    kb=$(cut -d' ' -f2 "$WORK/$build.tsv" | median)
    if [ "$build" = native ]; then
        size="$(stat -c %s "$NATIVE") B binary"
    else
        size="$(du -sb --exclude='*.pdb' "$FDD" | cut -f1) B without .pdb, plus the shared runtime ($(du -sb "$runtime_dir" | cut -f1) B)"
    fi
    echo "| $build ($(wc -l < "$WORK/$build.tsv") starts) | $ms ms | $(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }') MiB | $size |"
done
