#!/usr/bin/env python3
"""The site that moves in run-demo.sh: a web-like and a DNS-like service, and clients.

  site.py serve NAME ADDRESS       answers HTTP-like requests on ADDRESS:80 (TCP) and DNS-like
                                   queries on ADDRESS:53 (UDP), naming itself in every answer;
                                   binds with IP_FREEBIND, so it may start before ADDRESS arrives
  site.py client SOURCE OLD NEW SWITCH_MS STOP_FILE OUT
                                   from SOURCE, alternates a TCP request and a UDP query (each on
                                   a new socket, so each is one session or flow through Bouncer)
                                   to OLD until SWITCH_MS (Unix ms: when its DNS cache expires),
                                   then to NEW, until STOP_FILE exists; one line per request to OUT:
                                   start_ms end_ms tcp|udp old|new ok|fail served_by bytes_sent
  site.py summary WINDOW_START_MS WINDOW_END_MS PHASES OUT...
                                   counts per phase (PHASES: name=start_ms,...), then
                                   "migration: N requests, F failed outside the move window"
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from toyhttp import answer_http, request_http  # noqa: E402  (after the path to samples/lib)

IP_FREEBIND = 15
TIMEOUT = 1.0


def now_ms():
    return int(time.time() * 1000)


def serve(name, address):
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
    tcp.bind((address, 80))
    tcp.listen(128)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
    udp.bind((address, 53))

    def answer_queries():
        while True:
            query, client = udp.recvfrom(512)
            udp.sendto(name.encode() + b":" + query, client)

    threading.Thread(target=answer_queries, daemon=True).start()
    print(f"{name}: serving tcp {address}:80 and udp {address}:53", flush=True)
    while True:
        connection, _ = tcp.accept()
        threading.Thread(target=answer_http, args=(connection, name.encode()), daemon=True).start()


def tcp_request(source, target, n):
    return request_http(source, target, n, TIMEOUT)


def udp_query(source, target, n):
    query = b"A? www.example.net #%d" % n
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(TIMEOUT)
        # A port of its own per query: one the kernel picks may repeat within timeout.io.udp, and the
        # query would then join the earlier flow, so flows (what the log counts) and queries differ.
        s.bind((source, 20000 + n % 20000))
        s.connect((target, 53))
        s.send(query)
        answer = s.recv(512)
    served_by, _, echoed = answer.partition(b":")
    if echoed != query:
        raise OSError("bad answer")
    return served_by.decode(), len(query)


def client(source, old, new, switch_ms, stop_file, out):
    switch_ms = int(switch_ms)
    n = 0
    with open(out, "w") as results:
        while not os.path.exists(stop_file):
            n += 1
            use_new = now_ms() >= switch_ms
            target = new if use_new else old
            proto = "tcp" if n % 2 else "udp"
            start = now_ms()
            try:
                served_by, sent = (tcp_request if proto == "tcp" else udp_query)(source, target, n)
                outcome = "ok"
            except OSError:
                served_by, sent, outcome = "-", 0, "fail"
            end = now_ms()
            results.write(f"{start} {end} {proto} {'new' if use_new else 'old'} {outcome} {served_by} {sent}\n")
            results.flush()
            time.sleep(0.02)


def summary(window_start, window_end, phases, outs):
    window_start, window_end = int(window_start), int(window_end)
    bounds = [(name, int(start)) for name, start in (p.split("=") for p in phases.split(","))]
    rows = []
    for out in outs:
        with open(out) as results:
            for line in results:
                fields = line.split()
                if len(fields) == 7:
                    rows.append(fields)
    per_phase = {name: [0, 0, 0, 0] for name, _ in bounds}  # requests, failed, via the transition host, served by new
    failed_outside = 0
    for start, end, proto, target, outcome, served_by, _ in rows:
        start, end = int(start), int(end)
        phase = bounds[0][0]
        for name, begins in bounds:
            if start >= begins:
                phase = name
        counts = per_phase[phase]
        counts[0] += 1
        if outcome != "ok":
            counts[1] += 1
            if end < window_start or start > window_end:
                failed_outside += 1
        elif target == "new" and served_by == "old":
            counts[2] += 1
        elif served_by == "new":
            counts[3] += 1
    for name, _ in bounds:
        requests, failed, via, direct = per_phase[name]
        print(f"  {name}: {requests} requests, {failed} failed, {via} through the transition host, {direct} served by the new server")
    inside = [r for r in rows if r[4] != "ok" and not (int(r[1]) < window_start or int(r[0]) > window_end)]
    print(f"move window: {window_end - window_start} ms, {len(inside)} requests failed inside it "
          f"(tcp {sum(r[2] == 'tcp' for r in inside)}, udp {sum(r[2] == 'udp' for r in inside)})")
    # What went through Bouncer: addressed to the new address and answered by the old site. A
    # request that failed inside the move window may have reached Bouncer too.
    for proto in ("tcp", "udp"):
        via = [r for r in rows if r[2] == proto and r[3] == "new" and r[4] == "ok" and r[5] == "old"]
        print(f"through the transition host: {proto} {len(via)} requests, {sum(int(r[6]) for r in via)} bytes from clients")
    print(f"migration: {len(rows)} requests, {failed_outside} failed outside the move window")


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "serve":
        serve(*args)
    elif mode == "client":
        client(*args)
    elif mode == "summary":
        summary(args[0], args[1], args[2], args[3:])
    else:
        sys.exit(f"unknown mode {mode}")
