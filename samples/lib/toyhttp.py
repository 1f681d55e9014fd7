"""The HTTP-like answer of the demos' toy services (samples/migration, samples/ha)."""


def answer_http(connection, body):
    """Reads a request head (at most 4 KiB, 5 s), answers 200 with BODY and closes."""
    with connection:
        connection.settimeout(5)
        request = b""
        while b"\r\n\r\n" not in request and len(request) < 4096:
            chunk = connection.recv(1024)
            if not chunk:
                return
            request += chunk
        connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
