#!/usr/bin/env python3
"""The target, the clients and the arithmetic of samples/ha/run-demo.sh.

  ha.py serve ADDRESS...           the target: answers HTTP-like requests on ADDRESS:80 (TCP) and
                                   DNS-like queries on ADDRESS:53 (UDP) with the address the request
                                   came from, which is the Bouncer host that forwarded it
  ha.py probe tcp|udp ADDRESS PORT one request; prints "answer from ADDRESS PORT: TEXT" (for UDP the
                                   address the reply came from), exit 1 when there is no answer
  ha.py client SOURCE4 SOURCE6 VIP4 VIP6 STOP_FILE OUT
                                   four threads, one per kind (tcp4 udp4 tcp6 udp6), each sends
                                   one request after another to the virtual address until STOP_FILE
                                   exists: TCP on a new connection each (a session through Bouncer),
                                   UDP on one socket per thread (one flow, which re-forms on the
                                   other host after a failover); one line per request to OUT:
                                   start_ms end_ms kind ok|fail answered_by
  ha.py summary EVENTS HOSTS OUT...
                                   EVENTS: a file of "ms failover|failback LABEL" lines; HOSTS:
                                   "a=10.77.20.11,b=10.77.20.12,..."; prints each event's gap and
                                   ends with "failover: longest gap N ms over K failovers, F requests
                                   failed outside the gaps"
"""
import os
import socket
import sys
import threading
import time

IP_FREEBIND = 15
IPV6_FREEBIND = 78
# A request that takes longer than this has failed. It bounds how long a client can stay stuck on
# a host that went away, and so how much a timeout adds to the gap it measures.
TIMEOUT = 0.5
PAUSE = 0.02


def now_ms():
    return int(time.time() * 1000)


def family_of(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def serve(addresses):
    def answer_queries(udp):
        while True:
            query, client = udp.recvfrom(512)
            udp.sendto(client[0].encode() + b" " + query, client)

    def answer(connection, peer):
        with connection:
            connection.settimeout(5)
            request = b""
            while b"\r\n\r\n" not in request and len(request) < 4096:
                chunk = connection.recv(1024)
                if not chunk:
                    return
                request += chunk
            body = peer.encode()
            connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    def accept(tcp):
        while True:
            connection, peer = tcp.accept()
            threading.Thread(target=answer, args=(connection, peer[0]), daemon=True).start()

    threads = []
    for address in addresses:
        family = family_of(address)
        tcp = socket.socket(family, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind((address, 80))
        tcp.listen(128)
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.bind((address, 53))
        threads.append(threading.Thread(target=accept, args=(tcp,), daemon=True))
        threads.append(threading.Thread(target=answer_queries, args=(udp,), daemon=True))
    for thread in threads:
        thread.start()
    print(f"target: serving tcp port 80 and udp port 53 on {' '.join(addresses)}", flush=True)
    while True:
        time.sleep(3600)


def tcp_request(source, target, n, port=80):
    request = b"GET /item/%d HTTP/1.0\r\nHost: www.example.net\r\n\r\n" % n
    with socket.socket(family_of(target), socket.SOCK_STREAM) as s:
        s.settimeout(TIMEOUT)
        if source:
            s.bind((source, 0))
        s.connect((target, port))
        s.sendall(request)
        response = b""
        while True:
            chunk = s.recv(1024)
            if not chunk:
                break
            response += chunk
    head, _, body = response.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.0 200 OK") or not body:
        raise OSError("bad response")
    return body.decode()


def udp_query(s, n):
    """One query on socket S; answers to earlier queries that arrive late are skipped."""
    query = b"A? www.example.net #%d" % n
    s.send(query)
    deadline = time.monotonic() + TIMEOUT
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise OSError("no answer")
        s.settimeout(left)
        answer = s.recv(512)
        answered_by, _, echoed = answer.partition(b" ")
        if echoed == query:
            return answered_by.decode()


def probe(kind, address, port):
    port = int(port)
    try:
        if kind == "tcp":
            text, source = tcp_request(None, address, 1, port), address
        else:
            with socket.socket(family_of(address), socket.SOCK_DGRAM) as s:
                s.settimeout(TIMEOUT * 4)
                s.sendto(b"A? www.example.net #1", (address, port))
                answer, source = s.recvfrom(512)
                text, source = answer.decode(errors="replace"), source[0]
    except OSError as e:
        print(f"no answer from {address} {port}: {e}", flush=True)
        sys.exit(1)
    print(f"answer from {source} {port}: {text}", flush=True)


def client(source4, source6, vip4, vip6, stop_file, out):
    lock = threading.Lock()
    results = open(out, "w")

    def record(start, kind, outcome, answered_by):
        with lock:
            results.write(f"{start} {now_ms()} {kind} {outcome} {answered_by}\n")
            results.flush()

    def tcp_loop(kind, source, vip):
        n = 0
        while not os.path.exists(stop_file):
            n += 1
            start = now_ms()
            try:
                record(start, kind, "ok", tcp_request(source, vip, n))
            except OSError:
                record(start, kind, "fail", "-")
            time.sleep(PAUSE)

    def udp_loop(kind, source, vip):
        # One socket for the whole run: the same client address and port, so Bouncer sees one
        # flow, and after a failover the other host starts a new flow for it (the flow re-forms).
        s = socket.socket(family_of(vip), socket.SOCK_DGRAM)
        s.bind((source, 0))
        s.connect((vip, 53))
        n = 0
        while not os.path.exists(stop_file):
            n += 1
            start = now_ms()
            try:
                record(start, kind, "ok", udp_query(s, n))
            except OSError:
                record(start, kind, "fail", "-")
            time.sleep(PAUSE)

    threads = [
        threading.Thread(target=tcp_loop, args=("tcp4", source4, vip4)),
        threading.Thread(target=udp_loop, args=("udp4", source4, vip4)),
        threading.Thread(target=tcp_loop, args=("tcp6", source6, vip6)),
        threading.Thread(target=udp_loop, args=("udp6", source6, vip6)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.close()


def summary(events_file, hosts, outs):
    """
    A series is one client's requests of one kind. Its waits are the times between two answered
    requests in a row. The gap of an event (a failover or the fail-back) is the longest wait of
    any series that ended after the event and before the next one; the requests that failed inside
    that longest wait of their series are the event's failures. Any other failure, also a second
    outage of the same series after the same event, is a failure outside the gaps.
    """
    names = dict(reversed(pair.split("=")) for pair in hosts.split(","))
    events = []
    with open(events_file) as f:
        for line in f:
            ms, kind, label = line.split(maxsplit=2)
            events.append((int(ms), kind, label.strip()))
    events.sort()
    series = {}
    for out in outs:
        with open(out) as results:
            for line in results:
                fields = line.split()
                if len(fields) == 5:
                    start, end, kind, outcome, answered_by = fields
                    series.setdefault((out, kind), []).append((int(start), int(end), outcome, answered_by))

    def event_of(ms):
        index = None
        for i, (at, _, _) in enumerate(events):
            if ms >= at:
                index = i
        return index

    longest = {}  # event index -> (wait, a, b, series key)
    waits_of = {}  # series key -> list of (a, b)
    total = failed = 0
    answered = {}
    for key, requests in series.items():
        requests.sort()
        total += len(requests)
        previous_ok = None
        waits = []
        for start, end, outcome, answered_by in requests:
            if outcome == "ok":
                answered[names.get(answered_by, answered_by)] = answered.get(names.get(answered_by, answered_by), 0) + 1
                if previous_ok is not None:
                    waits.append((previous_ok, end))
                previous_ok = end
            else:
                failed += 1
        waits_of[key] = waits
        for a, b in waits:
            event = event_of(b)
            if event is None:
                continue
            best = longest.get((event, key))
            if best is None or b - a > best[1] - best[0]:
                longest[(event, key)] = (a, b)

    inside = {i: 0 for i in range(len(events))}
    outside = 0
    for key, requests in series.items():
        for start, end, outcome, _ in requests:
            if outcome == "ok":
                continue
            event = event_of(end)
            window = longest.get((event, key)) if event is not None else None
            if window is not None and window[0] <= start and end <= window[1]:
                inside[event] += 1
            else:
                outside += 1

    failovers = []
    for i, (at, kind, label) in enumerate(events):
        gap, worst = 0, "-"
        for (event, key), (a, b) in longest.items():
            if event == i and b - a > gap:
                gap, worst = b - a, key[1]
        print(f"{kind} {label}: client-visible gap {gap} ms (longest wait, {worst}), {inside[i]} requests failed inside it")
        if kind == "failover":
            failovers.append(gap)
    print(f"requests: {total}, {total - failed} answered (" + ", ".join(f"{n} by {h}" for h, n in sorted(answered.items())) + f"), {failed} failed")
    print(f"failover: longest gap {max(failovers, default=0)} ms over {len(failovers)} failovers, {outside} requests failed outside the gaps")


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "serve":
        serve(args)
    elif mode == "probe":
        probe(*args)
    elif mode == "client":
        client(*args)
    elif mode == "summary":
        summary(args[0], args[1], args[2:])
    else:
        sys.exit(f"unknown mode {mode}")
