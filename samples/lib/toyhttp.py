"""The HTTP-like requests and answers of the demos' toy services and clients (samples/migration, samples/ha)."""
import socket


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


def request_http(source, target, n, timeout, port=80):
    """Request number N on a new connection from SOURCE (any when empty) to TARGET:PORT.

    Returns (body, bytes sent); raises OSError when there is no whole 200 answer within TIMEOUT.
    """
    request = b"GET /item/%d HTTP/1.0\r\nHost: www.example.net\r\n\r\n" % n
    family = socket.AF_INET6 if ":" in target else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
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
    return body.decode(), len(request)
