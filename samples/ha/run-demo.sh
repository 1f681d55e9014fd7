#!/usr/bin/env bash
# Two Bouncer hosts, one virtual address, keepalived: the failover, reproduced in network
# namespaces (root, Linux, iproute2, python3, keepalived):
#
#   clients 10.77.20.21-24 ──┐
#   host a  10.77.20.11 ─────┤ switch (a bridge) ── the virtual address 10.77.20.10 and
#   host b  10.77.20.12 ─────┤                      fd00:77:20::10 is on host a or host b
#   target  10.77.20.30 ─────┘
#
# Hosts a and b run Bouncer with samples/ha/bouncer.conf and keepalived with
# samples/ha/keepalived.conf (their addresses and paths replaced by this network's), a the master.
# Clients keep sending TCP requests and UDP queries, over IPv4 and IPv6, to the virtual address the
# whole time. The master fails twice: first Bouncer on it is killed (SIGKILL); after Bouncer is back
# and the address has failed back, its link goes down (the switch port, as a pulled cable).
#
# Prints each event's client-visible gap and ends with
# "failover: longest gap N ms over 2 failovers, F requests failed outside the gaps". Every namespace
# and process it made is removed at the end, also when it fails or is interrupted.
#
#   sudo samples/ha/run-demo.sh
#   BOUNCER="dotnet src/Bouncer.Cli/bin/Release/net10.0/bouncer.dll" samples/ha/run-demo.sh
#
# BOUNCER is the bouncer command line to run (default: published here, Release). SETTLE_SECONDS
# (default 2) is how long the clients run before the first failure and after each event; WORK_DIR
# (default a new temporary directory, kept) receives the logs and configurations; NETNS_TAG
# (default bha) starts the namespaces' names. Exit status 77: namespaces cannot be made here, or
# keepalived or python3 is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/../lib/netns.sh"

settle=${SETTLE_SECONDS:-2}
work=${WORK_DIR:-$(mktemp -d /tmp/bouncer-ha-XXXXXX)}
mkdir -p "$work/a" "$work/b" "$work/clients"

if ! why=$(netns_available); then
    echo "run-demo.sh: cannot make network namespaces here: $why" >&2
    exit 77
fi
command -v python3 >/dev/null || { echo "run-demo.sh: python3 is needed for the target and the clients" >&2; exit 77; }
keepalived=$(command -v keepalived || true)
[ -n "$keepalived" ] || keepalived=$(ls /usr/sbin/keepalived 2>/dev/null || true)
[ -n "$keepalived" ] || { echo "run-demo.sh: keepalived is not installed (Debian: apt-get install keepalived)" >&2; exit 77; }

if [ -n "${BOUNCER:-}" ]; then
    read -ra bouncer <<<"$BOUNCER"
else
    echo "publishing bouncer (Release) to $work/bin ..."
    dotnet publish "$root/src/Bouncer.Cli" -c Release -o "$work/bin" --nologo -v quiet >/dev/null
    bouncer=("$work/bin/bouncer")
fi
# keepalived runs its check by absolute path.
bouncer[0]=$(command -v "${bouncer[0]}")

VIP4=10.77.20.10
VIP6=fd00:77:20::10
TARGET=10.77.20.30
declare -A ADDRESS4=([a]=10.77.20.11 [b]=10.77.20.12)
declare -A ADDRESS6=([a]=fd00:77:20::11 [b]=fd00:77:20::12)
CLIENTS=(21 22 23 24)
python=$(command -v python3)
now_ms() { date +%s%3N; }

# Waits up to $2 seconds for file $1 to contain $3 at least ${4:-1} times.
wait_for() {
    local i count=${4:-1}
    for ((i = 0; i < $2 * 20; i++)); do
        [ "$(grep -c -- "$3" "$1" 2>/dev/null || true)" -ge "$count" ] 2>/dev/null && return 0
        sleep 0.05
    done
    echo "run-demo.sh: '$3' did not appear $count time(s) in $1 within $2 s" >&2
    cat "$1" >&2 || true
    return 1
}

has_vip() { ip -n "$(netns_name "$1")" -4 addr show dev eth-lan | grep -q " $VIP4/"; }

# state_ms HOST STATE SINCE_MS: the Unix ms at which HOST's ha-notify.sh logged STATE last, if that
# was at or after SINCE_MS.
state_ms() {
    local ms
    ms=$(grep -- " is $2 " "$work/$1/ha.log" | cut -d' ' -f1 | sort -n | tail -n 1)
    [ -n "$ms" ] && [ "$ms" -ge "$3" ] && echo "$ms"
}

# wait_master HOST SINCE_MS SECONDS: waits until HOST holds the virtual address and the other host
# does not, and HOST's hook logged MASTER at or after SINCE_MS; prints that time. The address is
# the truth: the hook runs asynchronously, so when two state changes come within a few ms (the
# first adverts at start cross, and both hosts are MASTER for a moment) their lines may be logged
# in either order.
wait_master() {
    local i other=a ms
    [ "$1" = a ] && other=b
    for ((i = 0; i < $3 * 20; i++)); do
        if has_vip "$1" && ! has_vip "$other" && ms=$(state_ms "$1" MASTER "$2"); then
            echo "$ms"
            return 0
        fi
        sleep 0.05
    done
    echo "run-demo.sh: host $1 did not hold the address alone within $3 s" >&2
    cat "$work/a/ha.log" "$work/b/ha.log" >&2
    return 1
}

netns_init "${NETNS_TAG:-bha}"
netns_switch lan
for ns in a b target clients; do netns_add "$ns"; done
for host in a b; do netns_plug lan "$host" "${ADDRESS4[$host]}/24" "${ADDRESS6[$host]}/64"; done
netns_plug lan target "$TARGET/24" "fd00:77:20::30/64"
client_addresses=()
for n in "${CLIENTS[@]}"; do client_addresses+=("10.77.20.$n/24" "fd00:77:20::$n/64"); done
netns_plug lan clients "${client_addresses[@]}"

netns_spawn target "$work/target.log" "$python" "$here/ha.py" serve "$TARGET"
wait_for "$work/target.log" 10 "serving"

# The sample files with this network's addresses and this run's paths; nothing else changes.
for host in a b; do
    sed -e "s|^logoutput: .*|logoutput: $work/$host/bouncer.log|" \
        -e "s|192\.0\.2\.10|$VIP4|g" -e "s|2001:db8::10|$VIP6|g" \
        -e "s|198\.51\.100\.20|$TARGET|g" -e "s|198\.51\.100\.53|$TARGET|g" \
        "$here/bouncer.conf" >"$work/$host/bouncer.conf"
    sed -e 's|^\$INTERFACE=.*|$INTERFACE=eth-lan|' \
        -e 's|^\$VIP4=.*|$VIP4='"$VIP4/24|" -e 's|^\$VIP6=.*|$VIP6='"$VIP6/64|" \
        -e 's|^\$HEALTH=/usr/local/bin/bouncer |$HEALTH='"${bouncer[*]} |" \
        -e 's|^\$NOTIFY=.*|$NOTIFY='"$here/ha-notify.sh $work/$host/ha.log|" \
        "$here/keepalived.conf" >"$work/$host/keepalived.conf"
    touch "$work/$host/ha.log"
done

declare -A bouncer_pid
start_bouncer() {
    local host=$1 before
    before=$(grep -c "started" "$work/$host/bouncer.log" 2>/dev/null || true)
    netns_spawn "$host" "$work/$host/bouncer.out" "${bouncer[@]}" -f "$work/$host/bouncer.conf" --drain-timeout 1
    bouncer_pid[$host]=$NETNS_LAST_PID
    wait_for "$work/$host/bouncer.log" 30 "started" $((before + 1))
}
declare -A keepalived_pid
start_keepalived() {
    local host=$1 d="$work/$1"
    # Foreground (-n), log to the console (-l, -D) and not to the host's syslog (-G), VRRP only, and
    # pid files of its own so that two keepalived run side by side. `ip netns exec` keeps it, its
    # addresses and its check inside the host's namespace.
    netns_spawn "$host" "$d/keepalived.out" "$keepalived" -n -l -D -G --vrrp -f "$d/keepalived.conf" \
        -p "$d/keepalived.pid" -r "$d/vrrp.pid" -c "$d/checkers.pid" -i "bouncer-$host"
    keepalived_pid[$host]=$NETNS_LAST_PID
}

for host in a b; do start_bouncer "$host"; done
t=$(now_ms)
for host in a b; do start_keepalived "$host"; done
wait_master a "$t" 30 >/dev/null
# Stays so: b has settled as BACKUP too.
sleep 1
wait_master a "$t" 1 >/dev/null
echo "host a is MASTER and holds $VIP4 and $VIP6; host b is BACKUP"

# One answer of each kind before the clients start; a few tries, as a Bouncer that has not
# forwarded anything yet may be slow to answer its very first session (a JIT build compiles then).
for kind in "tcp $VIP4 80" "udp $VIP4 53" "tcp $VIP6 80" "udp $VIP6 53"; do
    for try in 1 2 3 4 5; do
        # shellcheck disable=SC2086 # the words of $kind are the probe's arguments
        if answer=$(netns_exec clients "$python" "$here/ha.py" probe $kind); then break; fi
        [ "$try" -lt 5 ] || { echo "run-demo.sh: $answer" >&2; exit 1; }
    done
    echo "  $answer"
done

events="$work/events"
: >"$events"
stop="$work/clients/stop"
client_pids=()
for n in "${CLIENTS[@]}"; do
    netns_spawn clients "$work/clients/$n.err" "$python" "$here/ha.py" client "10.77.20.$n" "fd00:77:20::$n" "$VIP4" "$VIP6" \
        "$stop" "$work/clients/$n.txt"
    client_pids+=("$NETNS_LAST_PID")
done
echo "clients: ${#CLIENTS[@]}, each with TCP and UDP over IPv4 and IPv6 to the virtual address, one request after another"
sleep "$settle"

echo "failover 1: Bouncer on host a is killed (SIGKILL)"
t=$(now_ms)
# Waited for here, so that bash reports nothing about the job it killed.
{ kill -KILL "${bouncer_pid[a]}" && wait "${bouncer_pid[a]}"; } 2>/dev/null || true
master=$(wait_master b "$t" 10)
echo "$t $master failover 1-bouncer-killed" >>"$events"
echo "  b is MASTER after $((master - t)) ms (a's check failed, a went FAULT and gave the address up)"
sleep "$settle"

echo "fail-back: Bouncer on host a starts again; a takes the address back once its check passed twice"
t=$(now_ms)
start_bouncer a
master=$(wait_master a "$t" 20)
echo "$t $master failback bouncer-restarted" >>"$events"
echo "  a is MASTER after $((master - t)) ms, b is BACKUP after $(($(state_ms b BACKUP "$t" || echo "$t") - t)) ms"
sleep "$settle"

echo "failover 2: host a's link goes down (its switch port)"
t=$(now_ms)
netns_unplug lan a
master=$(wait_master b "$t" 10)
echo "$t $master failover 2-link-down" >>"$events"
echo "  b is MASTER after $((master - t)) ms (it heard no advert from a for 3 intervals)"
sleep "$settle"

touch "$stop"
sleep 1
for pid in "${client_pids[@]}"; do netns_stop "$pid"; done
for host in a b; do netns_stop "${keepalived_pid[$host]}"; done
for host in a b; do netns_stop "${bouncer_pid[$host]}"; done

echo "state changes (ha-notify.sh on each host):"
for host in a b; do sed "s/^\([0-9]*\) [^ ]* [^ ]*: /\1 $host: /" "$work/$host/ha.log"; done | sort -n |
    while read -r ms rest; do printf '  %s.%03d %s\n' "$(date -d "@$((ms / 1000))" +%T)" $((ms % 1000)) "$rest"; done
echo "results:"
"$python" "$here/ha.py" summary "$events" \
    "a=${ADDRESS4[a]},b=${ADDRESS4[b]},a=${ADDRESS6[a]},b=${ADDRESS6[b]}" "$work"/clients/*.txt
echo "logs: $work"
