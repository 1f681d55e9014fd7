# Turns run.sh's raw results (test, proxy, repeat, metric, value; tab-separated) into Markdown tables.
# Usage: awk -F'\t' -v proxies="direct bouncer haproxy nginx socat" -v reps=3 -f report.awk raw.tsv
# Works with mawk and gawk (no gawk-only functions).

function median(key,    n, i, j, t, a) {
    n = cnt[key]
    for (i = 1; i <= n; i++) a[i] = val[key, i]
    for (i = 2; i <= n; i++) {          # insertion sort: a handful of repeats
        t = a[i]
        for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
        a[j + 1] = t
    }
    if (n % 2) return a[(n + 1) / 2]
    return (a[n / 2] + a[n / 2 + 1]) / 2
}

function num(v) {
    if (v >= 100) return sprintf("%.0f", v)
    if (v >= 10) return sprintf("%.1f", v)
    return sprintf("%.2f", v)
}

function has(t, p, m) { return ((t SUBSEP p SUBSEP m) in cnt) }

function is_peer(p) { return p != "direct" && p != "bouncer" }

# Best peer value of a row: the highest when higher is better, else the lowest.
function best_peer(t, m, higher,    i, p, v, best, found) {
    found = 0
    for (i = 1; i <= np; i++) {
        p = plist[i]
        if (!is_peer(p) || !has(t, p, m)) continue
        v = median(t SUBSEP p SUBSEP m)
        if (!found || (higher && v > best) || (!higher && v < best)) { best = v; bestname = p; found = 1 }
    }
    return found ? best : ""
}

function status_note(t, p) {
    if (!((t SUBSEP p) in fails)) return ""   # test with "in": a lookup would create the entry
    return sprintf(" [%d FAIL]", fails[t SUBSEP p])
}

function cell(t, p, m, ratios, higher,    v, d, b, s, r) {
    if (!has(t, p, m)) {
        if ((t SUBSEP p) in fails) return "FAIL"
        return "n/a"
    }
    v = median(t SUBSEP p SUBSEP m)
    s = num(v)
    r = ""
    if (ratios && p != "direct" && has(t, "direct", m)) {
        d = median(t SUBSEP "direct" SUBSEP m)
        if (d > 0) r = sprintf("d %.2f×", v / d)
    }
    if (ratios && !is_peer(p) && p != "direct") {
        b = best_peer(t, m, higher)
        if (b != "" && b > 0) r = r (r != "" ? ", " : "") sprintf("p %.2f× %s", v / b, bestname)
    }
    if (r != "") s = s " (" r ")"
    return s status_note(t, p)
}

function header(first,    i, line, sep) {
    line = "| " first; sep = "|---"
    for (i = 1; i <= np; i++) { line = line " | " plist[i]; sep = sep "|---" }
    print line " |"
    print sep "|"
}

{
    if ($4 == "status") {
        if ($5 == "FAIL") fails[$1 SUBSEP $2]++
        next
    }
    k = $1 SUBSEP $2 SUBSEP $4
    val[k, ++cnt[k]] = $5
}

END {
    np = split(proxies, plist, " ")
    nrows = split("bulk-up:mb_s:1:1:TCP bulk upload, MB/s|bulk-down:mb_s:1:1:TCP bulk download, MB/s|" \
                  "rr:p50_us:0:1:TCP 64 B round trip p50, µs|rr:p99_us:0:1:TCP 64 B round trip p99, µs|" \
                  "crr:conn_s:1:1:TCP connections/s|idle:rss_kb_conn:0:1:Idle connection RSS, KB/conn|" \
                  "idle:pss_kb_conn:0:1:Idle connection PSS, KB/conn|udp:pps:1:1:UDP replies/s (closed loop)|" \
                  "udp:loss_pct:0:0:UDP loss, %", rows, "|")
    print "## Results"
    print ""
    header("test")
    for (i = 1; i <= nrows; i++) {
        split(rows[i], f, ":")
        t = f[1]; m = f[2]; higher = f[3] + 0; ratios = f[4] + 0
        line = "| " f[5]
        any = 0
        for (j = 1; j <= np; j++) {
            c = cell(t, plist[j], m, ratios, higher)
            if (c != "n/a") any = 1
            line = line " | " c
        }
        if (any) print line " |"
    }
    print ""
    print "## Forwarder cost during each test"
    print ""
    print "Median CPU of the forwarder's process tree in % of one core over the measured load, and its RSS in MB at the end of it."
    print ""
    header("test")
    ntests = split("bulk-up bulk-down rr crr idle udp", tests, " ")
    for (i = 1; i <= ntests; i++) {
        t = tests[i]
        line = "| " t
        any = 0
        for (j = 1; j <= np; j++) {
            p = plist[j]
            if (has(t, p, "cpu_pct")) {
                line = line " | " sprintf("%.0f%% / %s MB", median(t SUBSEP p SUBSEP "cpu_pct"), num(median(t SUBSEP p SUBSEP "rss_mb")))
                any = 1
            } else {
                line = line " | " ((t SUBSEP p) in fails ? "FAIL" : "n/a")
            }
        }
        if (any) print line " |"
    }
}
