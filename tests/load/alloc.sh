# Sourced by run.sh after the main measurements (uses its helpers and settings).
# Shows whether the bouncer allocates managed memory per operation on the data path: for each
# steady load, a fresh bouncer is started, AllocProbe reads its GC counters over EventPipe for
# the whole load (plus a second either side), and the bytes allocated are divided by the work done.
# Sets ALLOC_NOTE (Markdown).

alloc_unavailable() {
    ALLOC_NOTE="## Allocation on the data path

Not measured: $1. It needs a bouncer started as \`dotnet bouncer.dll\` (not BOUNCER_CMD) and
tests/load/AllocProbe built from NuGet (Microsoft.Diagnostics.NETCore.Client, TraceEvent)."
}

alloc_run() {   # test secs-of-load -> prints "work unit allocated gen0 heap rss0 rss1" or FAIL reason
    local test=$1 dir=$WORK/alloc-$1 target proto port root
    proto=$(test_proto "$test")
    mkdir -p "$dir"
    case $test in
        bulk-*) target=$BULK_PORT ;;
        udp) target=$UDP_PORT ;;
        *) target=$ECHO_PORT ;;
    esac
    port=$("$LG" free-port "$proto")
    start_proxy bouncer "$proto" "$dir" "$port" "$target" || { echo "FAIL cannot start"; return; }
    if ! wait_listening "$proto" "$port"; then
        stop_proxy
        echo "FAIL not listening"
        return
    fi
    root=$(proxy_root)
    warm_up "$test" "$port"
    local rss0 res probe_pid window
    rss0=$(tree "$root" rss_kb)
    case $test in
        udp) window=$((UDP_SECS + 3)) ;;
        rr) window=6 ;;
        *) window=$((BULK_SECS + 3)) ;;
    esac
    timeout -k 2 $((window + 30)) dotnet "$WORK/probe/AllocProbe.dll" "$root" "$window" > "$dir/probe.out" 2>&1 &
    probe_pid=$!
    sleep 1.5   # the session is up and the first interval has started before the load begins
    case $test in
        bulk-up) res=$(client $((BULK_SECS + 20)) bulk 127.0.0.1 "$port" up "$BULK_SECS") ;;
        rr) res=$(client 20 rr 127.0.0.1 "$port" "$RR_COUNT" 3) ;;   # fits in the probe window
        udp) res=$(client $((UDP_SECS + 20)) udp 127.0.0.1 "$port" "$UDP_COUNT" "$UDP_SECS" "$UDP_INFLIGHT" \
                   "$UDP_SOCKETS" "$UDP_SIZE") ;;
    esac
    wait "$probe_pid"
    local rss1 probe
    rss1=$(tree "$root" rss_kb)
    stop_proxy
    probe=$(grep '^ALLOC' "$dir/probe.out" | tail -1)
    if [ "$(field "$res" ok)" != 1 ] || [ -z "$probe" ]; then
        echo "FAIL load: ${res:-none}; probe: ${probe:-$(tail -c 200 "$dir/probe.out" | tr '\n' ' ')}"
        return
    fi
    local work unit
    case $test in
        bulk-up) work="$(awk -v b="$(field "$res" bytes)" 'BEGIN{printf "%.0f", b/1e6}') MB"; unit="MB" ;;
        rr) work="$(field "$res" ops) round trips"; unit="round trip" ;;
        udp) work="$(field "$res" recv) datagrams"; unit="datagram" ;;
    esac
    echo "$work|$unit|$(field "$probe" allocated_bytes)|$(field "$probe" gen0_gcs)|$(field "$probe" max_heap_mb)|$rss0|$rss1"
}

alloc_measure() {
    [[ " $PROXIES " == *" bouncer "* ]] || { alloc_unavailable "bouncer not in PROXIES"; return; }
    [ -z "${BOUNCER_CMD:-}" ] || { alloc_unavailable "bouncer is the stand-in command BOUNCER_CMD"; return; }
    [ -z "$BOUNCER_ERR" ] || { alloc_unavailable "$BOUNCER_ERR"; return; }
    log "allocation: building tests/load/AllocProbe"
    if ! timeout 600 dotnet build "$HERE/AllocProbe" -c Release -o "$WORK/probe" -nologo -v q > "$WORK/probe-build.log" 2>&1; then
        alloc_unavailable "AllocProbe did not build ($(grep -m1 -E 'error' "$WORK/probe-build.log"))"
        return
    fi
    local rows="" test r work unit bytes gen0 heap rss0 rss1
    for test in bulk-up rr udp; do
        log "allocation: $test"
        r=$(alloc_run "$test")
        if [[ $r == FAIL* ]]; then
            rows="$rows| $test | FAIL: ${r#FAIL } | | | | | |
"
            continue
        fi
        IFS='|' read -r work unit bytes gen0 heap rss0 rss1 <<< "$r"
        rows="$rows| $test | $work | $bytes | $(awk -v b="$bytes" -v w="${work%% *}" 'BEGIN{printf "%.2f", (w > 0 ? b/w : 0)}') B/$unit | $gen0 | $heap MB | $((rss0 / 1024)) → $((rss1 / 1024)) MB |
"
    done
    ALLOC_NOTE="## Allocation on the data path

Managed bytes the bouncer allocated (runtime counter \`alloc-rate\`, summed over the probe window,
which also covers about a second before and after the load) against the work done. A data path
without per-operation allocation shows a small constant, not bytes per MB or per round trip.

| load | work | allocated bytes | per unit | gen0 GCs | max GC heap | RSS before → after |
|---|---|---|---|---|---|---|
$rows"
}

alloc_measure
