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
                                   EVENTS: a file of "start_ms moved_ms failover|failback LABEL"
                                   lines; HOSTS: "a=10.77.20.11,b=10.77.20.12,..."; prints each
                                   event's gap and
                                   ends with "failover: longest gap N ms over K failovers, F requests
                                   failed outside the gaps"
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from toyhttp import answer_http, request_http  # noqa: E402  (after the path to samples/lib)

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

    def accept(tcp):
        while True:
            connection, peer = tcp.accept()
            threading.Thread(target=answer_http, args=(connection, peer[0].encode()), daemon=True).start()

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
    return request_http(source, target, n, TIMEOUT, port)[0]


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


# After the address reached its new host, requests may still fail for a moment: those sent just
# before wait out their timeout, and a host that has not forwarded yet may be slow at first. This
# long after the move, an event's window closes.
AFTER_MOVE_MS = 1000


def summary(events_file, hosts, outs):
    """
    EVENTS lines: "START_MS MOVED_MS failover|failback LABEL": when the failure was caused (or, for
    the fail-back, Bouncer restarted) and when the address reached its new host. An event's window
    runs from START_MS to AFTER_MOVE_MS after MOVED_MS.

    A series is one client's requests of one kind; its waits are the times between two answered
    requests in a row. An event's gap is the longest wait of any series that overlaps its window. A
    failed request is inside the gaps when the first failure of its run ended inside a window;
    any other failure (before the first event, or a run that began after a window closed) is a
    failure outside the gaps.
    """
    names = dict(reversed(pair.split("=")) for pair in hosts.split(","))
    events = []
    with open(events_file) as f:
        for line in f:
            started, moved, kind, label = line.split(maxsplit=3)
            events.append((int(started), int(moved) + AFTER_MOVE_MS, kind, label.strip()))
    events.sort()
    series = {}
    for out in outs:
        with open(out) as results:
            for line in results:
                fields = line.split()
                if len(fields) == 5:
                    start, end, kind, outcome, answered_by = fields
                    series.setdefault((out, kind), []).append((int(start), int(end), outcome, answered_by))

    def window_of(ms):
        for i, (opens, closes, _, _) in enumerate(events):
            if opens <= ms <= closes:
                return i
        return None

    gaps = {}  # event index -> (wait, series key)
    inside = {i: 0 for i in range(len(events))}
    outside = []
    total = failed = 0
    answered = {}
    for key, requests in series.items():
        requests.sort()
        total += len(requests)
        previous_ok = requests[0][0] if requests else 0
        run = []  # the failures since the last answer

        def close_wait(a, b):
            for i, (opens, closes, _, _) in enumerate(events):
                if a < closes and b > opens and b - a > gaps.get(i, (0, ""))[0]:
                    gaps[i] = (b - a, key[1])
            if run:
                # By its end: a request sent a moment before the failure fails because of it.
                event = window_of(run[0][1])
                if event is None:
                    outside.extend((start, end, key) for start, end in run)
                else:
                    inside[event] += len(run)

        for start, end, outcome, answered_by in requests:
            if outcome == "ok":
                host = names.get(answered_by, answered_by)
                answered[host] = answered.get(host, 0) + 1
                close_wait(previous_ok, end)
                previous_ok = end
                run = []
            else:
                failed += 1
                run.append((start, end))
        if run:
            close_wait(previous_ok, run[-1][1])

    failovers = []
    for i, (_, _, kind, label) in enumerate(events):
        gap, worst = gaps.get(i, (0, "-"))
        print(f"{kind} {label}: client-visible gap {gap} ms (longest wait, {worst}), {inside[i]} requests failed inside it")
        if kind == "failover":
            failovers.append(gap)
    print(f"requests: {total}, {total - failed} answered (" + ", ".join(f"{n} by {h}" for h, n in sorted(answered.items())) + f"), {failed} failed")
    first = events[0][0] if events else 0
    for start, end, (out, kind) in sorted(outside)[:10]:
        print(f"failed outside the gaps: {kind} from {os.path.basename(out)} at +{start - first} ms, "
              f"{end - start} ms long (times from the first event)")
    print(f"failover: longest gap {max(failovers, default=0)} ms over {len(failovers)} failovers, {len(outside)} requests failed outside the gaps")


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
