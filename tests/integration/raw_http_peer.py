#!/usr/bin/env python3
"""Misbehaving HTTP peers for check-headers' transport tests, on 127.0.0.1.

  raw_http_peer.py respond PORT FILE [LOG]  answer every request with FILE's bytes, then
                                            close; append each request head to LOG
  raw_http_peer.py trickle PORT          a status line, then one byte every 0.2 s, forever
  raw_http_peer.py slowproxy PORT TARGET relay to 127.0.0.1:TARGET, the answer one byte every 0.2 s
"""
import socket
import sys
import threading
import time


def read_request_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def respond(conn, payload, log):
    head = read_request_head(conn)
    if log:
        with open(log, "ab") as f:
            f.write(head)
    conn.sendall(payload)
    conn.shutdown(socket.SHUT_WR)
    time.sleep(0.2)


def trickle(conn):
    read_request_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    while True:
        conn.sendall(b"X")
        time.sleep(0.2)


def slowproxy(conn, target):
    upstream = socket.create_connection(("127.0.0.1", target))

    def forward():
        while True:
            chunk = conn.recv(4096)
            if not chunk:
                return
            upstream.sendall(chunk)

    threading.Thread(target=forward, daemon=True).start()
    while True:
        chunk = upstream.recv(4096)
        if not chunk:
            return
        for byte in chunk:
            conn.sendall(bytes([byte]))
            time.sleep(0.2)


def serve(handler):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", int(sys.argv[2])))
    listener.listen(16)

    def guarded(conn):
        try:
            handler(conn)
        except OSError:
            pass
        finally:
            conn.close()

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=guarded, args=(conn,), daemon=True).start()


def main():
    mode = sys.argv[1]
    if mode == "respond":
        with open(sys.argv[3], "rb") as f:
            payload = f.read()
        log = sys.argv[4] if len(sys.argv) > 4 else None
        serve(lambda conn: respond(conn, payload, log))
    elif mode == "trickle":
        serve(trickle)
    elif mode == "slowproxy":
        target = int(sys.argv[3])
        serve(lambda conn: slowproxy(conn, target))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
