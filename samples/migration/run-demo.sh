#!/usr/bin/env bash
# The site move, reproduced in network namespaces (root, Linux, iproute2, python3):
#
#   clients 10.77.11.2-6 ──┐
#   old site   (OLD 10.77.9.10) ──┤ router ├── transition host (NEW 10.77.9.20, Bouncer: NEW -> OLD)
#   new server (gets NEW later) ──┘
#
# 1. Clients use the old address.            2. DNS moves: clients switch to NEW one by one and
#    Bouncer on the transition host forwards them to the old site.
# 3. The service moves: it starts on the new server, NEW moves from the transition host to the
#    new server (the move window), and the operator removes the rules with a reload.
# 4. Clients reach the new server directly.
#
# Prints what happened per phase, `bouncer report` over the transition host's log, and ends with
# "migration: N requests, F failed outside the move window". Every namespace and process it made
# is removed at the end, also when it fails or is interrupted.
#
#   sudo samples/migration/run-demo.sh
#   BOUNCER="dotnet src/Bouncer.Cli/bin/Release/net10.0/bouncer.dll" PHASE_SECONDS=2 samples/migration/run-demo.sh
#
# BOUNCER is the bouncer command line to run (default: published here, Release). PHASE_SECONDS
# (default 5) is the length of each phase; WORK_DIR (default a new temporary directory, kept)
# receives the logs, among them transition/bouncer.log for `bouncer report`; NETNS_TAG (default
# bmig) starts the namespaces' names. Exit status 77: namespaces cannot be made here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/../lib/netns.sh"

phase_seconds=${PHASE_SECONDS:-5}
work=${WORK_DIR:-$(mktemp -d /tmp/bouncer-migration-XXXXXX)}
mkdir -p "$work/transition" "$work/clients"

if ! why=$(netns_available); then
    echo "run-demo.sh: cannot make network namespaces here: $why" >&2
    exit 77
fi
command -v python3 >/dev/null || { echo "run-demo.sh: python3 is needed for the site's services and clients" >&2; exit 77; }

if [ -n "${BOUNCER:-}" ]; then
    read -ra bouncer <<<"$BOUNCER"
else
    echo "publishing bouncer (Release) to $work/bin ..."
    dotnet publish "$root/src/Bouncer.Cli" -c Release -o "$work/bin" --nologo -v quiet >/dev/null
    bouncer=("$work/bin/bouncer")
fi

OLD=10.77.9.10
NEW=10.77.9.20
CLIENTS=(10.77.11.2 10.77.11.3 10.77.11.4 10.77.11.5 10.77.11.6)
now_ms() { date +%s%3N; }
python=$(command -v python3)

# Waits up to $2 seconds for file $1 to contain $3.
wait_for() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        grep -q -- "$3" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "run-demo.sh: '$3' did not appear in $1 within $2 s" >&2
    cat "$1" >&2 || true
    return 1
}

netns_init "${NETNS_TAG:-bmig}"
for ns in router clients old transition new; do netns_add "$ns"; done
netns_link router 10.77.11.1/24 clients 10.77.11.2/24
netns_link router 10.77.12.1/24 old 10.77.12.2/24
netns_link router 10.77.13.1/24 transition 10.77.13.2/24
netns_link router 10.77.14.1/24 new 10.77.14.2/24
for address in "${CLIENTS[@]:1}"; do netns_exec clients ip addr add "$address/24" dev eth-router; done
# /proc/sys/net is per namespace; writing it needs no sysctl (procps) on the host.
netns_exec router sh -c "echo 1 > /proc/sys/net/ipv4/ip_forward"
netns_exec clients ip route add default via 10.77.11.1
netns_exec old ip route add default via 10.77.12.1
netns_exec transition ip route add default via 10.77.13.1
netns_exec new ip route add default via 10.77.14.1
# The service addresses are host routes at the router: moving NEW is moving its route.
netns_exec old ip addr add "$OLD/32" dev lo
netns_exec transition ip addr add "$NEW/32" dev lo
netns_exec router ip route add "$OLD/32" via 10.77.12.2
netns_exec router ip route add "$NEW/32" via 10.77.13.2

netns_spawn old "$work/old.log" "$python" "$here/site.py" serve old "$OLD"
wait_for "$work/old.log" 10 "serving"

rules="$work/transition/bouncer.conf"
cat >"$rules" <<CONF
logoutput: $work/transition/bouncer.log
# A session cut by the address move must still end (and be logged) before the demo stops.
timeout.io.tcp: 5
timeout.tcp_fin_wait: 2
timeout.io.udp: 2
client pass { from: 0/0 to: $NEW port = 80 bounce to: $OLD port = 80 protocol: tcp log: connect disconnect error }
client pass { from: 0/0 to: $NEW port = 53 bounce to: $OLD port = 53 protocol: udp log: disconnect error }
CONF
netns_spawn transition "$work/transition/bouncer.out" "${bouncer[@]}" -f "$rules" --drain-timeout 2
bouncer_pid=$NETNS_LAST_PID
wait_for "$work/transition/bouncer.log" 30 "started"

report() {
    echo "\$ bouncer report --interval ${phase_seconds}s transition/bouncer.log"
    "${bouncer[@]}" report --interval "${phase_seconds}s" "$work/transition/bouncer.log" | sed 's/^/  /'
}

echo "phase 1: clients use the old address $OLD"
t1=$(now_ms)
move_every=$((phase_seconds * 1000 / ${#CLIENTS[@]}))
switch_at=$((t1 + phase_seconds * 1000))
stop="$work/clients/stop"
client_pids=()
for i in "${!CLIENTS[@]}"; do
    netns_spawn clients "$work/clients/${CLIENTS[$i]}.err" "$python" "$here/site.py" client "${CLIENTS[$i]}" "$OLD" "$NEW" \
        $((switch_at + i * move_every)) "$stop" "$work/clients/${CLIENTS[$i]}.txt"
    client_pids+=("$NETNS_LAST_PID")
done
sleep "$phase_seconds"

echo "phase 2: DNS moves to $NEW; one client after another follows (every $((move_every)) ms), through Bouncer to the old site"
t2=$(now_ms)
sleep "$phase_seconds"
sleep "$(awk "BEGIN { print $phase_seconds / 2 }")"
report

echo "phase 3: the service moves: it starts on the new server, $NEW moves there, Bouncer on the transition host stops"
t3=$(now_ms)
netns_spawn new "$work/new.log" "$python" "$here/site.py" serve new "$NEW"
wait_for "$work/new.log" 10 "serving"
move_start=$(now_ms)
ip -n "$(netns_name new)" addr add "$NEW/32" dev lo
ip -n "$(netns_name router)" route replace "$NEW/32" via 10.77.14.2
ip -n "$(netns_name transition)" addr del "$NEW/32" dev lo
move_end=$(now_ms)
echo "  address move: $((move_end - move_start)) ms"
# With its last rule gone the transition host has nothing left to do: a rule file needs at least
# one client rule, so the operator stops Bouncer there instead of reloading an empty file.
netns_stop "$bouncer_pid"
wait_for "$work/transition/bouncer.log" 10 "stopped"
sleep "$phase_seconds"

echo "phase 4: clients reach the new server directly"
t4=$(now_ms)
sleep "$phase_seconds"
touch "$stop"
for pid in "${client_pids[@]}"; do netns_stop "$pid"; done
report

echo "results:"
"$python" "$here/site.py" summary "$move_start" "$move_end" \
    "1 old address=$t1,2 DNS moves=$t2,3 service moves=$t3,4 after the move=$t4" "$work"/clients/*.txt
echo "logs: $work"
