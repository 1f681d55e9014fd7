#!/usr/bin/env bash
# Reload timing: starts the published daemon on a generated 10,000-rule file with 100 listeners
# on loopback, changes one rule and sends SIGHUP a number of times, and reads from each reload's
# summary line how long it took from the signal to the new table in force, and from outside how
# long it took from sending the signal to that line appearing in the log (the time an operator
# or a deploy script waits). Prints every figure (with the resident memory after each reload),
# then the median of each reload's position (first, second, ... after start) over the starts.
#
#   tests/load/reload.sh
#   STARTS=3 RELOADS=8 RULES=10000 LISTENERS=100 FIRST_DELAY=1 GAP=0.5 tests/load/reload.sh
#   BOUNCER_BIN=/path/bouncer tests/load/reload.sh          skip the publish: this executable
#   BOUNCER_DLL=/path/bouncer.dll tests/load/reload.sh      skip the publish: dotnet bouncer.dll
#
# FIRST_DELAY is the time between "started" and the first SIGHUP, GAP the time between a reload's
# summary and the next signal. Every wait is bounded; the daemon is stopped by its PID.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
STARTS=${STARTS:-3}
RELOADS=${RELOADS:-8}
RULES=${RULES:-10000}
LISTENERS=${LISTENERS:-100}
FIRST_DELAY=${FIRST_DELAY:-1}
GAP=${GAP:-0.5}
BASE_PORT=${BASE_PORT:-22100}   # below the ephemeral range, where client sockets of other loads cannot hold it

WORK=$(mktemp -d /tmp/bouncer-reload.XXXXXX)
DAEMON_PID=""
STAMP_PID=""
cleanup() {
    [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
    [ -n "$STAMP_PID" ] && { pkill -P "$STAMP_PID" 2>/dev/null; kill "$STAMP_PID" 2>/dev/null; }
    [ -n "${KEEP:-}" ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "${BOUNCER_BIN:-}" ]; then
    RUN=("$BOUNCER_BIN")
elif [ -n "${BOUNCER_DLL:-}" ]; then
    RUN=(dotnet "$BOUNCER_DLL")
else
    # The shipped form, the Native AOT binary (needs clang and zlib1g-dev).
    echo "publishing src/Bouncer.Cli (Release, native)" >&2
    timeout 1200 dotnet publish "$ROOT/src/Bouncer.Cli" -c Release -o "$WORK/bouncer" -nologo -v q >&2 || exit 1
    RUN=("$WORK/bouncer/bouncer")
fi

# The rule file: rule i listens on one of LISTENERS ports of 127.0.0.1 and decides for one client
# network; the kinds of options people write are spread over the rules. $1 is the target port of
# rule 1, the rule each reload changes.
generate() {
    awk -v rules="$RULES" -v listeners="$LISTENERS" -v base="$BASE_PORT" -v first="$1" 'BEGIN {
        print "logoutput: stderr\ntimeout.io: 60\ntimeout.connect: 10\n"
        for (i = 0; i < rules; i++) {
            port = base + (i % listeners)
            from = sprintf("10.%d.%d.0/24", int(i / 256) % 256, i % 256)
            target = (i == 0) ? first : 8000 + (i % 1000)
            printf "# rule %d\nclient pass {\n  from: %s port >= 1024 to: 127.0.0.1 port = %d\n", i + 1, from, port
            printf "  bounce to: 127.0.0.1 port = %d\n", target
            if (i % 3 == 0) print "  protocol: tcp\n  log: connect disconnect error\n  session.max: 100"
            else if (i % 3 == 1) print "  timeout.io: 300\n  session.throttle: 10/60"
            else print "  protocol: udp\n  log: connect"
            print "}"
        }
    }' > "$WORK/rules.conf.new" && mv "$WORK/rules.conf.new" "$WORK/rules.conf"
}

# Runs the daemon in place of the calling (background) shell, so $! is its PID: the native
# executable when BOUNCER_BIN is set, else the assembly through dotnet.
run_daemon() {
    exec "${RUN[@]}" "$@"
}

# Copies the daemon's log, each line prefixed with the moment it was read ($EPOCHREALTIME), so a
# reload's time can be taken from outside: tail -F wakes on inotify, within a millisecond or so.
stamp_log() {
    tail -n +1 -F "$WORK/daemon.log" 2>/dev/null | while IFS= read -r line; do
        printf '%s %s\n' "$EPOCHREALTIME" "$line"
    done > "$WORK/stamped.log"
}

# Waits (bounded) until the log holds at least $2 lines matching $1.
wait_lines() {
    local pattern=$1 want=$2 i
    for i in $(seq 1 600); do
        [ "$(grep -c -- "$pattern" "$WORK/daemon.log")" -ge "$want" ] && return 0
        kill -0 "$DAEMON_PID" 2>/dev/null || { echo "bouncer exited:" >&2; tail -3 "$WORK/daemon.log" >&2; return 1; }
        sleep 0.05
    done
    echo "timed out waiting for '$pattern' ($want)" >&2
    tail -5 "$WORK/daemon.log" >&2
    return 1
}

: > "$WORK/times.tsv"
for start in $(seq 1 "$STARTS"); do
    generate 9000
    : > "$WORK/daemon.log"
    stamp_log &
    STAMP_PID=$!
    run_daemon -f "$WORK/rules.conf" > /dev/null 2> "$WORK/daemon.log" &
    DAEMON_PID=$!
    wait_lines " started: " 1 || exit 1
    sleep "$FIRST_DELAY"
    for reload in $(seq 1 "$RELOADS"); do
        generate $((9000 + reload))
        sent=$EPOCHREALTIME
        kill -HUP "$DAEMON_PID"
        wait_lines "reloaded " "$reload" || exit 1
        ms=$(grep "reloaded " "$WORK/daemon.log" | sed -n "${reload}p" | sed -E 's/.* in ([0-9.]+) ms.*/\1/')
        rss=$(awk '/^VmRSS:/ { print int($2 / 1024) }' "/proc/$DAEMON_PID/status" 2>/dev/null)
        faults=$(awk '{ print $10 }' "/proc/$DAEMON_PID/stat" 2>/dev/null)
        seen=""
        for i in $(seq 1 100); do
            seen=$(grep "reloaded " "$WORK/stamped.log" | sed -n "${reload}p" | awk '{ print $1 }')
            [ -n "$seen" ] && break
            sleep 0.01
        done
        outside=$(awk -v a="$sent" -v b="$seen" 'BEGIN { if (b == "") print "?"; else printf "%.1f", (b - a) * 1000 }')
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$start" "$reload" "$ms" "${rss:-?}" "${faults:-?}" "$outside" >> "$WORK/times.tsv"
        sleep "$GAP"
    done
    grep -q "1 changed, $((RULES - 1)) unchanged" "$WORK/daemon.log" || { echo "unexpected summary:" >&2; grep "reloaded " "$WORK/daemon.log" | tail -1 >&2; exit 1; }
    kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=""
    pkill -P "$STAMP_PID" 2>/dev/null; kill "$STAMP_PID" 2>/dev/null; wait "$STAMP_PID" 2>/dev/null; STAMP_PID=""
done

echo "$RULES rules, $LISTENERS listeners, $STARTS starts x $RELOADS reloads, first HUP ${FIRST_DELAY}s after start"
echo "start reload ms rss_mb minor_faults outside_ms"
cat "$WORK/times.tsv"
echo "median per reload position (ms):"
for reload in $(seq 1 "$RELOADS"); do
    awk -F'\t' -v r="$reload" '$2 == r { print $3 }' "$WORK/times.tsv" | sort -n |
        awk -v r="$reload" '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "  reload %d: %.1f\n", r, m }'
done
for column in 3 6; do
    awk -F'\t' -v c="$column" '{ print $c }' "$WORK/times.tsv" | grep -v '?' | sort -n |
        awk -v c="$column" '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
            printf "all, %s: median %.1f, max %.1f\n", (c == 3 ? "daemon (ms)" : "outside (ms)"), m, v[NR] }'
done
