"""Misbehaving and long-lived TLS clients for serve_test.sh.

idle N PORT       open N TLS connections, send one keep-alive request on each,
                  then time a fresh client's request while they all stay open.
slowloris N PORT [SOURCE [HOLD]]
                  open N TLS connections that send one header byte every 2 s,
                  print how many of the N the server held and how many it
                  refused, wait HOLD seconds (3), then time a fresh client's
                  request (from address SOURCE when given, e.g. 127.0.0.2).
held PORT FILE    open one keep-alive connection, make a request, print the
                  certificate's SHA-256, wait for FILE to appear, make another
                  request on the same connection and print its status.
raw PORT REQUEST  send REQUEST (Python escapes such as \\r\\n are decoded) as it is
                  and print the response: status line, headers, body.
engine PORT CHECK one connection-handling check, printing its result: pipeline,
                  dribble, late_body, expect, keep_alive_max, deadline,
                  refused_body, endless_headers, smuggle_lf, smuggle_fold,
                  smuggle_percent, connection_close_case, expect_drip,
                  parallel_slow (see engine_check).
expect_hold PORT  three uploads dribbling a byte a second after 100 Continue.
plain_expect PORT  the first line answered to an Expect: 100-continue POST over plain HTTP.
plain_smuggle PORT  a POST with a request for a body to the plain-HTTP
                  listener: the responses before it closes.
Prints "fresh_seconds=<t>" (or the held results) on stdout.
"""
import hashlib
import re
import os
import socket
import ssl
import sys
import threading
import time


def make_context():
    # The tests use self-signed certificates; what is checked is the server's
    # behaviour, not its identity. One context: building one loads the CA store.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


CONTEXT = make_context()


def connect(port, source=None):
    raw = socket.create_connection(
        ("127.0.0.1", port), timeout=10, source_address=(source, 0) if source else None)
    return CONTEXT.wrap_socket(raw, server_hostname="localhost")


def request(sock, path="/healthz"):
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    return int(read_response(sock).split(b" ")[1])


def read_response(sock):
    """One response, read by its Content-Length (the server may keep the
    connection open after it, even when it said Connection: close)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError("connection closed")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body[:length]


def raw(port, text):
    sock = connect(port)
    sock.sendall(text.encode("latin-1").decode("unicode_escape").encode("latin-1"))
    sys.stdout.write(read_response(sock).decode("latin-1").replace("\r\n", "\n") + "\n")
    sock.close()


def fresh_client_seconds(port, source=None):
    start = time.monotonic()
    sock = connect(port, source)
    status = request(sock)
    sock.close()
    if status != 200:
        raise RuntimeError(f"fresh client got {status}")
    return time.monotonic() - start


def idle(count, port):
    held = []
    for _ in range(count):
        sock = connect(port)
        request(sock)
        held.append(sock)
    print(f"fresh_seconds={fresh_client_seconds(port):.3f}")
    # Are the idle ones still open, i.e. not simply dropped to make room?
    alive = sum(1 for s in held[:20] if request(s) == 200)
    print(f"still_served={alive}")


def start_drip(socks, interval):
    """Sends one byte on every socket each `interval` seconds until the
    returned event is set."""
    stop = threading.Event()

    def drip():
        while not stop.is_set():
            for s in socks:
                try:
                    s.sendall(b"X")
                except OSError:
                    pass
            stop.wait(interval)

    threading.Thread(target=drip, daemon=True).start()
    return stop


def expect_uploads(port, count):
    """`count` POSTs that announce a 100-byte body and wait for 100 Continue."""
    socks = []
    for _ in range(count):
        s = connect(port)
        s.sendall(b"POST /api/v1/locations HTTP/1.1\r\nHost: localhost\r\n"
                  b"Expect: 100-continue\r\nContent-Length: 100\r\n\r\n")
        socks.append(s)
    return socks


def slowloris(count, port, source=None, hold=3.0):
    socks, refused = [], 0
    for _ in range(count):
        try:
            sock = connect(port)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
            socks.append(sock)
        except OSError:  # refused during the handshake (per-address cap)
            refused += 1
    print(f"held={len(socks)} refused={refused}", flush=True)
    stop = start_drip(socks, 2)
    time.sleep(hold)
    print(f"fresh_seconds={fresh_client_seconds(port, source):.3f}")
    stop.set()


def held(port, flag_file):
    sock = connect(port)
    status = request(sock)
    der = sock.getpeercert(binary_form=True)
    print(f"first_status={status} cert={hashlib.sha256(der).hexdigest()}", flush=True)
    deadline = time.monotonic() + 30
    while not os.path.exists(flag_file) and time.monotonic() < deadline:
        time.sleep(0.1)
    print(f"second_status={request(sock)}", flush=True)


def status_of(response):
    return int(response.split(b" ")[1])


def closed_by_server(sock, within):
    """Seconds until the server closed the connection, or None."""
    start = time.monotonic()
    sock.settimeout(within)
    try:
        while sock.recv(4096):
            pass
    except (socket.timeout, TimeoutError):
        return None
    except OSError:
        pass
    return time.monotonic() - start


def responses_until_close(sock, within=5):
    """Every response the server sends before it closes the connection."""
    sock.settimeout(within)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, TimeoutError):
        data += b"<still open>"
    except OSError:
        pass
    return data


SMUGGLED = b"GET /__test/slow?ms=7 HTTP/1.1\r\nHost: localhost\r\n\r\n"


def engine_check(port, check):
    get = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
    post = (b"POST /api/v1/locations HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nContent-Length: 2\r\n")
    sock = connect(port)
    if check == "pipeline":
        # Three requests in one write: three answers, in order.
        sock.sendall(get + b"GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n" + get)
        print(" ".join(str(status_of(read_response(sock))) for _ in range(3)))
    elif check == "dribble":
        # A request one byte at a time, well within the read timeout.
        for byte in get:
            sock.sendall(bytes([byte]))
            time.sleep(0.01)
        print(status_of(read_response(sock)))
    elif check == "late_body":
        # The body after a pause, then another request on the connection:
        # the body was read as this request's, not taken for the next.
        sock.sendall(post + b"\r\n")
        time.sleep(0.3)
        sock.sendall(b"{}")
        first = status_of(read_response(sock))
        sock.sendall(get)
        print(first, status_of(read_response(sock)))
    elif check == "expect":
        sock.sendall(post + b"Expect: 100-continue\r\n\r\n")
        sock.settimeout(5)
        interim = sock.recv(4096)
        sock.sendall(b"{}")
        print(interim.split(b"\r\n")[0].decode(), status_of(read_response(sock)))
    elif check == "keep_alive_max":
        # keep_alive_max_count = 3: the third answer says close, and does.
        answers = []
        for _ in range(3):
            sock.sendall(get)
            answers.append(read_response(sock))
        closes = [b"Connection: close" in answer for answer in answers]
        print(f"closes={closes} closed={closed_by_server(sock, 5) is not None}")
    elif check == "deadline":
        # Headers that never finish: cut at the read timeout.
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        seconds = closed_by_server(sock, 15)
        print("never" if seconds is None else f"closed_after={seconds:.1f}")
    elif check == "refused_body":
        # A body over max_body_bytes, sent whole before reading (as most
        # clients do) while the server refuses it unread: the client must
        # be able to finish sending and then read the 413, not be reset.
        sock.sendall(b"POST /api/v1/locations HTTP/1.1\r\nHost: localhost\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 3000000\r\n\r\n")
        try:
            for _ in range(300):
                sock.sendall(b"x" * 10000)
            response = read_response(sock)
            print(status_of(response), b"Connection: close" in response)
        except (OSError, RuntimeError) as error:
            print(f"failed: {error!r}")
    elif check == "endless_headers":
        # A header block far over the limit that never ends: answered 431
        # from what arrived, not after the read timeout.
        start = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n" + b"X-B: b\r\n" * 5000)
        status = status_of(read_response(sock))
        print(status, "fast" if time.monotonic() - start < 1.5 else "slow")
    elif check in ("smuggle_lf", "smuggle_fold", "smuggle_percent", "connection_close_case"):
        # Framing cpp-httplib would read differently from a lenient proxy:
        # one 400 that closes, and the embedded request never runs.
        length = str(len(SMUGGLED)).encode()
        line = {"smuggle_lf": b"Content-Length: " + length + b"\n",
                "smuggle_fold": b"Content-Length:\r\n " + length + b"\r\n",
                "smuggle_percent": b"Content-Length: %" + b"%".join(
                    b"%x" % c for c in length) + b"\r\n",
                "connection_close_case": b"Connection: Keep-Alive, Close\r\n"
                                         b"Content-Length: 2\r\n"}[check]
        body = b"{}" if check == "connection_close_case" else SMUGGLED
        sock.sendall(b"POST /api/v1/locations HTTP/1.1\r\nHost: localhost\r\n"
                     b"Content-Type: application/json\r\n" + line + b"\r\n" + body)
        data = responses_until_close(sock)
        statuses = [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", data)]
        print(f"statuses={statuses} close={b'Connection: close' in data} "
              f"open={data.endswith(b'<still open>')}")
    elif check == "expect_drip":
        # Clients that send Expect: 100-continue, then their body a byte a
        # second: waiting for them holds no thread, so a new client is
        # served at once.
        held = expect_uploads(port, 20)
        interim = held[0].recv(4096).split(b"\r\n")[0].decode()
        stop = start_drip(held, 1)
        time.sleep(2.5)
        print(f"interim={interim} fresh_seconds={fresh_client_seconds(port):.3f}")
        stop.set()
    elif check == "parallel_slow":
        # More slow requests than worker threads still run side by side.
        start = time.monotonic()
        def slow():
            s = connect(port)
            s.sendall(b"GET /__test/slow?ms=1500 HTTP/1.1\r\nHost: localhost\r\n\r\n")
            statuses.append(status_of(read_response(s)))
            s.close()
        statuses = []
        threads = [threading.Thread(target=slow) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(f"statuses={sorted(statuses)} seconds={time.monotonic() - start:.1f}")
    sock.close()


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "idle":
        idle(int(sys.argv[2]), int(sys.argv[3]))
    elif mode == "slowloris":
        source = sys.argv[4] if len(sys.argv) > 4 else None
        hold = float(sys.argv[5]) if len(sys.argv) > 5 else 3.0
        slowloris(int(sys.argv[2]), int(sys.argv[3]), source, hold)
    elif mode == "held":
        held(int(sys.argv[2]), sys.argv[3])
    elif mode == "expect_hold":
        # Three uploads after 100 Continue, a byte a second, for up to 30 s.
        start_drip(expect_uploads(int(sys.argv[2]), 3), 1)
        print("holding", flush=True)
        time.sleep(30)
    elif mode == "plain_expect":
        # The 100 Continue comes at once on a plain socket too.
        raw_sock = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=3)
        raw_sock.sendall(b"POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n"
                         b"Expect: 100-continue\r\n\r\n")
        try:
            print(raw_sock.recv(4096).split(b"\r\n")[0].decode())
        except OSError as error:
            print(f"no interim response: {error!r}")
    elif mode == "plain_smuggle":
        raw_sock = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=10)
        raw_sock.sendall(b"POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
                         + str(len(SMUGGLED)).encode() + b"\r\n\r\n" + SMUGGLED)
        data = responses_until_close(raw_sock)
        print(f"responses={data.count(b'HTTP/1.1 ')} smuggled={b'__test' in data} "
              f"open={data.endswith(b'<still open>')}")
    elif mode == "engine":
        engine_check(int(sys.argv[2]), sys.argv[3])
    elif mode == "raw":
        raw(int(sys.argv[2]), sys.argv[3])
