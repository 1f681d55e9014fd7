#!/usr/bin/env bash
# Writes a Bouncer log of about SIZE bytes (default 1G) in the text layout, for timing
# `bouncer report` on it (docs/performance.md, "bouncer report"). Not committed: generate it.
#
#   tests/load/report-log.sh /tmp/bouncer-1g.log [SIZE]      # SIZE: 1G, 200M, 5000000 ...
#   FORMAT=json tests/load/report-log.sh /tmp/bouncer-1g.json
#
# The mix is a busy front door: 8 rules (TCP and UDP, IPv4 and IPv6, one block rule), 50,000
# client addresses, sessions logged with connect and disconnect, UDP flows with bytes/packets,
# refusals by a session limit and by the block rule, a reload summary now and then.
set -euo pipefail
out=${1:?usage: report-log.sh FILE [SIZE]}
size=${2:-1G}
format=${FORMAT:-text}
bytes=$(numfmt --from=iec "$size")

awk -v bytes="$bytes" -v format="$format" '
function ep(a, p) { return a "." p }
function client4(n) { return "198.51." int(n / 250) % 250 "." (n % 250 + 1) }
function client6(n) { return sprintf("2001:db8:%x::%x", int(n / 4096), n % 4096 + 1) }
function head(t,   s, us) {
    s = int(t); us = int((t - s) * 1000000)
    return sprintf("Nov %2d %02d:%02d:%02d (%d.%06d) bouncer[4242]: info: ", 22 + int((s - 1763769600) / 86400), int(s / 3600) % 24, int(s / 60) % 60, s % 60, s, us)
}
function jep(name, a, p) { return sprintf(",\"%s\":{\"address\":\"%s\",\"port\":%d}", name, a, p) }
function line(t, verdict, rule, proto, phase, body, c, cp, l, lp, o, op, g, gp, bfc, btc, reason, dur,   s, ev) {
    ev = proto == "tcp" ? "connect" : "udpassociate"
    if (format == "text") { s = head(t) verdict "(" rule "): " proto "/" ev " " body }
    else {
        s = sprintf("{\"time\":\"%s\",\"level\":\"info\",\"pid\":4242,\"message\":\"%s(%d): %s/%s %s\",\"rule\":%d,\"verdict\":\"%s\",\"protocol\":\"%s\",\"event\":\"%s\",\"phase\":\"%s\"", \
            strftime_iso(t), verdict, rule, proto, ev, body, rule, verdict, proto, ev, phase) \
            jep("client", c, cp) jep("local", l, lp)
        if (o != "") s = s jep("outgoing", o, op) jep("target", g, gp)
        if (phase == "close") s = s sprintf(",\"bytesToClient\":%d,\"bytesFromClient\":%d,\"bytesToTarget\":%d,\"bytesFromTarget\":%d,\"reason\":\"%s\",\"duration\":%.3f", btc, bfc, bfc, btc, reason, dur)
        s = s "}"
    }
    print s
    written += length(s) + 1
}
function strftime_iso(t,   s, us, d) {
    s = int(t); us = int((t - s) * 10000000); d = 22 + int((s - 1763769600) / 86400)
    return sprintf("2025-11-%02dT%02d:%02d:%02d.%07d+00:00", d, int(s / 3600) % 24, int(s / 60) % 60, s % 60, us)
}
BEGIN {
    srand(42)
    split("192.0.2.10 192.0.2.10 192.0.2.11 192.0.2.11 2001:db8::10 192.0.2.12 192.0.2.10 192.0.2.13", listen, " ")
    split("80 443 53 25 80 8080 22 53", lport, " ")
    split("tcp tcp udp tcp tcp tcp tcp udp", proto, " ")
    split("10.1.1.10 10.1.1.10 10.1.1.53 10.1.1.25 2001:db8:1::10 10.1.1.12 - 10.1.1.54", target, " ")
    split("remote peer closed|local client closed|local client closed|i/o timeout|remote peer error (Connection refused)|local client error (Connection reset by peer)", reasons, "|")
    t = 1763820000.0
    while (written < bytes) {
        t += rand() * 0.01
        r = int(rand() * 8) + 1
        n = int(rand() * rand() * 50000)
        c = (listen[r] ~ /:/) ? client6(n) : client4(n)
        cp = 1024 + int(rand() * 64000)
        if (r == 7) { # block rule, TCP
            line(t, "block", r, "tcp", "close", "]: " ep(c, cp) " " ep(listen[r], lport[r]) " -> 0.0.0.0.0 0.0.0.0.0", c, cp, listen[r], lport[r], "", 0, "", 0, 0, 0, "blocked", 0)
            continue
        }
        if (r == 6 && rand() < 0.3) { # pass rule at its session.max
            line(t, "block", r, "tcp", "close", "]: " ep(c, cp) " " ep(listen[r], lport[r]) " -> 0.0.0.0.0 0.0.0.0.0: session limit reached", c, cp, listen[r], lport[r], "", 0, "", 0, 0, 0, "session limit reached", 0)
            continue
        }
        o = (target[r] ~ /:/) ? "2001:db8::1" : "192.0.2.1"
        op = 1024 + int(rand() * 64000)
        if (proto[r] == "tcp") {
            line(t, "pass", r, "tcp", "open", "[: " ep(c, cp) " " ep(listen[r], lport[r]) " -> " ep(o, op) " " ep(target[r], lport[r]), c, cp, listen[r], lport[r], o, op, target[r], lport[r])
            bfc = int(rand() * 2000); btc = int(rand() * 200000); dur = rand() * 30
            reason = reasons[int(rand() * 6) + 1]
            line(t + dur, "pass", r, "tcp", "close", "]: " btc " -> " ep(c, cp) " " ep(listen[r], lport[r]) " -> " bfc ", " bfc " -> " ep(o, op) " " ep(target[r], lport[r]) " -> " btc ": " reason ".  Session duration: " int(dur) "s", c, cp, listen[r], lport[r], o, op, target[r], lport[r], bfc, btc, reason, dur)
        } else {
            pk = int(rand() * 5) + 1; bfc = pk * 40; btc = pk * 96; dur = 30 + rand() * 60
            line(t + dur, "pass", r, "udp", "close", "]: " btc "/" pk " -> " ep(c, cp) " " ep(listen[r], lport[r]) " -> " bfc "/" pk ", " bfc "/" pk " -> " ep(o, op) " " ep(target[r], lport[r]) " -> " btc "/" pk ": i/o timeout.  Session duration: " int(dur) "s", c, cp, listen[r], lport[r], o, op, target[r], lport[r], bfc, btc, "i/o timeout", dur)
        }
        if (rand() < 0.0001) {
            s = (format == "text") ? head(t) "reloaded /etc/bouncer.conf in 3.1 ms: rules: 0 added, 0 removed, 0 changed, 8 unchanged; listeners: 0 opened, 8 kept, 0 closed; log files reopened" \
                : sprintf("{\"time\":\"%s\",\"level\":\"info\",\"pid\":4242,\"message\":\"reloaded\"}", strftime_iso(t))
            print s; written += length(s) + 1
        }
    }
}' > "$out"
ls -l "$out"
