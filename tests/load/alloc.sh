# Sourced by run.sh after the main measurements (uses its helpers and settings).
# Shows whether the bouncer allocates managed memory per operation on the data path: for each
# steady load, a fresh bouncer is started, dotnet-counters reads the runtime's GC counters
# (EventCounters of System.Runtime: alloc-rate, gen-0-gc-count, gc-heap-size) over EventPipe for
# the whole load (plus a second either side), and the bytes allocated are divided by the work done.
#
# The shipped native binary leaves EventPipe out (EventSourceSupport, see Bouncer.Cli.csproj), so
# a counter session cannot attach to it. This section publishes the same code as a native binary
# with -p:EventSourceSupport=true and measures that; with BOUNCER_DLL (a framework-dependent
# publish, which keeps EventPipe) it measures that dll instead. Sets ALLOC_NOTE (Markdown).

COUNTERS_VERSION=10.0.750501
ALLOC_DESC=""

alloc_unavailable() {
    ALLOC_NOTE="## Allocation on the data path

Not measured: $1. It needs bouncer built from this tree (not BOUNCER_CMD) and dotnet-counters
$COUNTERS_VERSION from NuGet (\`dotnet tool install dotnet-counters\`)."
}

span() {   # seconds -> dd:hh:mm:ss, the form of dotnet-counters --duration
    printf '00:%02d:%02d:%02d' $(($1 / 3600)) $(($1 / 60 % 60)) $(($1 % 60))
}

# dotnet-counters' CSV (one row per counter per second) -> the summary line the rows below read.
# The first second is left out: it holds the counter session's own start in the daemon (about
# 0.7 MB in the native binary), and the load begins later.
counters_summary() {   # csv
    awk -F, '
        $3 ~ /^Allocation Rate/ && n_alloc++ { allocated += $5; intervals++ }
        $3 ~ /^Gen 0 GC Count/ && n_gen0++ { gen0 += $5 }
        $3 ~ /^GC Heap Size/ { if ($5 > heap) heap = $5 }
        END { if (intervals) printf "ALLOC allocated_bytes=%.0f intervals=%d gen0_gcs=%.0f max_heap_mb=%.1f\n", allocated, intervals, gen0, heap }
    ' "$1"
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
    # The daemon's own start-up work (compiling the file, the reload warm-up's rounds in its first
    # second or so: about 10 MB and four gen0 collections) must be over before the window opens.
    sleep 3
    warm_up "$test" "$port"
    local rss0 res probe_pid window
    rss0=$(tree "$root" rss_kb)
    case $test in
        udp) window=$((UDP_SECS + 3)) ;;
        rr) window=6 ;;
        *) window=$((BULK_SECS + 3)) ;;
    esac
    timeout -k 2 $((window + 30)) "$WORK/tools/dotnet-counters" collect -p "$root" --refresh-interval 1 \
        --duration "$(span "$window")" --format csv -o "$dir/counters.csv" \
        --counters 'EventCounters\System.Runtime[alloc-rate,gen-0-gc-count,gc-heap-size]' > "$dir/probe.out" 2>&1 < /dev/null &
    probe_pid=$!
    sleep 2     # dotnet-counters (itself a .NET tool) is attached and its first interval has started before the load begins
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
    probe=$(counters_summary "$dir/counters.csv" 2>/dev/null)
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
    log "allocation: installing dotnet-counters $COUNTERS_VERSION"
    if ! timeout 600 dotnet tool install dotnet-counters --version "$COUNTERS_VERSION" --tool-path "$WORK/tools" \
        > "$WORK/tools.log" 2>&1; then
        alloc_unavailable "dotnet-counters did not install ($(grep -m1 -iE 'error' "$WORK/tools.log"))"
        return
    fi
    if [ -n "${BOUNCER_DLL:-}" ] && [ -z "${BOUNCER_BIN:-}" ]; then
        ALLOC_DESC="\`dotnet $BOUNCER_DLL\` (must be a -p:PublishAot=false publish: the build output has EventPipe off)"
    else
        log "allocation: publishing src/Bouncer.Cli (Release, native, -p:EventSourceSupport=true)"
        if ! timeout 1200 dotnet publish "$ROOT/src/Bouncer.Cli" -c Release -p:EventSourceSupport=true \
            -o "$WORK/bouncer-eventpipe" -nologo -v q > "$WORK/publish-eventpipe.log" 2>&1; then
            alloc_unavailable "the native publish with EventSourceSupport failed"
            return
        fi
        BOUNCER_RUN=("$WORK/bouncer-eventpipe/bouncer")
        ALLOC_DESC="the native binary published with \`-p:EventSourceSupport=true\` (the shipped one has no EventPipe), from $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
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

Managed bytes the bouncer allocated (runtime counter \`alloc-rate\`, read by dotnet-counters and
summed over the probe window after its first second, which holds the counter session's start; the
window also covers about a second before and after the load) against the work done. A data path
without per-operation allocation shows a small constant, not bytes per MB or per round trip.
Measured: $ALLOC_DESC.

| load | work | allocated bytes | per unit | gen0 GCs | max GC heap | RSS before → after |
|---|---|---|---|---|---|---|
$rows"
}

alloc_measure
