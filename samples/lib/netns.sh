# shellcheck shell=bash
# Network namespaces for Bouncer's demos and their tests: make namespaces and veth pairs, run
# processes in them, and remove all of it again, by name and by PID, also when the script is
# interrupted or fails. Source it, then call netns_init once:
#
#   . samples/lib/netns.sh
#   netns_init demo                  # names start with "demo-<short id>-"; cleanup runs on exit
#   netns_add router; netns_add host
#   netns_link router 10.77.1.1/24 host 10.77.1.2/24
#   netns_spawn host /tmp/server.log python3 server.py
#   netns_exec host ip route add default via 10.77.1.1
#   netns_switch lan; netns_plug lan host 10.77.2.2/24 fd00:77:2::2/64   # hosts on one segment
#
# Needs root and iproute2 (`ip netns`). netns_available says whether both are there.

NETNS_PREFIX=""
NETNS_NAMES=()
NETNS_PIDS=()
NETNS_LINKS=0

# True when namespaces can be made here (root, `ip netns` works); otherwise prints why on stdout.
netns_available() {
    if [ "$(id -u)" -ne 0 ]; then echo "not root"; return 1; fi
    if ! command -v ip >/dev/null 2>&1; then echo "ip (iproute2) is not installed"; return 1; fi
    local probe="netns-probe-$$"
    if ! ip netns add "$probe" 2>/dev/null; then echo "ip netns add failed (no CAP_SYS_ADMIN or no namespace support)"; return 1; fi
    ip netns del "$probe"
    return 0
}

# netns_init TAG: a prefix unique to this run, and cleanup on exit, Ctrl-C and termination.
netns_init() {
    NETNS_PREFIX="$1-$(printf '%04x' $((RANDOM % 65536)))"
    trap netns_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# The full name of namespace NAME.
netns_name() { echo "$NETNS_PREFIX-$1"; }

# netns_add NAME: a namespace with its loopback up.
netns_add() {
    local ns; ns=$(netns_name "$1")
    ip netns add "$ns"
    NETNS_NAMES+=("$ns")
    ip -n "$ns" link set lo up
}

# netns_link A ADDR_A B ADDR_B: a veth pair between namespaces A and B, each end with its address
# (CIDR). The ends are called eth-B in A and eth-A in B (cut to 15 characters).
netns_link() {
    local a; a=$(netns_name "$1")
    local b; b=$(netns_name "$3")
    NETNS_LINKS=$((NETNS_LINKS + 1))
    local tmp_a="vna$$x$NETNS_LINKS" tmp_b="vnb$$x$NETNS_LINKS"
    local name_a="eth-${3:0:11}" name_b="eth-${1:0:11}"
    ip link add "${tmp_a:0:15}" type veth peer name "${tmp_b:0:15}"
    ip link set "${tmp_a:0:15}" netns "$a" name "$name_a"
    ip link set "${tmp_b:0:15}" netns "$b" name "$name_b"
    ip -n "$a" addr add "$2" dev "$name_a"
    ip -n "$b" addr add "$4" dev "$name_b"
    ip -n "$a" link set "$name_a" up
    ip -n "$b" link set "$name_b" up
}

# netns_switch NAME: namespace NAME with a bridge "br0" in it, up: a switch that netns_plug joins
# namespaces to. STP is off (ports forward at once) and so is multicast snooping, so VRRP adverts
# and IPv6 neighbour messages reach every port.
netns_switch() {
    netns_add "$1"
    local ns; ns=$(netns_name "$1")
    ip -n "$ns" link add br0 type bridge stp_state 0 mcast_snooping 0
    ip -n "$ns" link set br0 up
}

# netns_plug SWITCH HOST ADDR...: a veth pair from namespace HOST to the switch SWITCH. The HOST end
# is eth-SWITCH with the addresses (CIDR; IPv6 ones without duplicate address detection, so they
# work at once); the switch end is port-HOST in br0. `netns_unplug SWITCH HOST` sets the switch
# end down: a pulled cable, as the host sees it (no carrier).
netns_plug() {
    local switch; switch=$(netns_name "$1")
    local host; host=$(netns_name "$2")
    local port="port-${2:0:10}" dev="eth-${1:0:11}" address
    shift 2
    # Made inside the namespaces: nothing appears in the host's namespace, even for a moment.
    ip -n "$switch" link add "$port" type veth peer name "$dev" netns "$host"
    ip -n "$switch" link set "$port" master br0 up
    for address in "$@"; do
        case "$address" in
            *:*) ip -n "$host" addr add "$address" dev "$dev" nodad ;;
            *) ip -n "$host" addr add "$address" dev "$dev" ;;
        esac
    done
    ip -n "$host" link set "$dev" up
}

netns_unplug() { ip -n "$(netns_name "$1")" link set "port-${2:0:10}" down; }
netns_replug() { ip -n "$(netns_name "$1")" link set "port-${2:0:10}" up; }

# netns_exec NAME COMMAND...: runs COMMAND in namespace NAME and waits for it.
netns_exec() {
    local ns; ns=$(netns_name "$1")
    shift
    ip netns exec "$ns" "$@"
}

# netns_spawn NAME LOG COMMAND...: starts COMMAND in namespace NAME in the background, output to
# LOG; its PID is in NETNS_LAST_PID and is ended by netns_cleanup.
netns_spawn() {
    local ns; ns=$(netns_name "$1")
    local log="$2"
    shift 2
    ip netns exec "$ns" "$@" >"$log" 2>&1 &
    NETNS_LAST_PID=$!
    NETNS_PIDS+=("$NETNS_LAST_PID")
}

# netns_stop PID [SIGNAL]: signals one spawned process and waits (at most 10 s) for it to end.
netns_stop() {
    local pid="$1" signal="${2:-TERM}" i
    kill "-$signal" "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 0
}

# Ends every process this script spawned (by PID), then any process still inside one of its
# namespaces (by the namespace's PID list), then removes the namespaces (their veth ends go with them).
netns_cleanup() {
    local status=$? pid ns
    trap - EXIT INT TERM
    set +e # a process that is already gone must not stop the cleanup of the rest
    for pid in "${NETNS_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${NETNS_PIDS[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        # Reaped here, so that bash does not report the job it killed.
        { kill -KILL "$pid" && wait "$pid"; } 2>/dev/null
    done
    for ns in "${NETNS_NAMES[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
        ip netns del "$ns" 2>/dev/null
    done
    NETNS_NAMES=()
    NETNS_PIDS=()
    return $status
}
