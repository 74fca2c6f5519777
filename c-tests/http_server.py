#!/usr/bin/env python3
"""Loopback HTTP server for the C tests of http_request and remote manifest modules.

Usage: python3 http_server.py [PLUGINS_DIR]

Binds 127.0.0.1 on a free port, prints the port alone on the first line of stdout, then
serves until its stdin reaches end of file (the test closes it, or dies) or it gets SIGTERM.
It never runs longer than ten minutes. Request lines are logged to stderr.

Routes:
  GET  /hello            200 "hello", header X-Test: yes
  POST /echo             200 with the request body; the request's X-Req header is sent back
                         as X-Req, and the request method as X-Method
  any  /missing          404 "nope"
  GET  /big?n=N          200 with N bytes of 'a'
  GET  /redirect-denied  302 to http://localhost:<port>/hello (a host name, not 127.0.0.1)
  GET  /redirect-ok      302 to /hello
  GET  /slow             sleeps 3 s, then 200 "slow"
  GET  /never            never answers: keeps the connection open and silent
  GET  /stalled-body     200 with Content-Length 100, sends 5 bytes of the body, then nothing
  GET  /plugin/<name>    200 with the file <name> of PLUGINS_DIR, or 404
  anything else          404 "not found"
"""

import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PLUGINS_DIR = (
    sys.argv[1]
    if len(sys.argv) > 1
    else os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugins")
)
PLUGIN_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
MAX_LIFETIME_SECONDS = 600
NEVER = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        sys.stderr.write("http_server: %s\n" % (format % args))

    def reply(self, status, body=b"", headers=()):
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout test); nothing to do.
            self.close_connection = True

    def handle_any(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        path = url.path
        port = self.server.server_address[1]

        if path == "/hello" and self.command == "GET":
            self.reply(200, b"hello", [("X-Test", "yes")])
        elif path == "/echo" and self.command == "POST":
            self.reply(
                200,
                body,
                [("X-Req", self.headers.get("X-Req", "")), ("X-Method", self.command)],
            )
        elif path == "/missing":
            self.reply(404, b"nope")
        elif path == "/big" and self.command == "GET":
            try:
                n = int(parse_qs(url.query).get("n", ["0"])[0])
            except ValueError:
                n = -1
            if n < 0:
                self.reply(400, b"bad n")
            else:
                self.reply(200, b"a" * n)
        elif path == "/redirect-denied" and self.command == "GET":
            self.reply(302, headers=[("Location", "http://localhost:%d/hello" % port)])
        elif path == "/redirect-ok" and self.command == "GET":
            self.reply(302, headers=[("Location", "/hello")])
        elif path == "/slow" and self.command == "GET":
            time.sleep(3)
            self.reply(200, b"slow")
        elif path == "/never" and self.command == "GET":
            NEVER.wait(MAX_LIFETIME_SECONDS)
            self.close_connection = True
        elif path == "/stalled-body" and self.command == "GET":
            try:
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                self.wfile.write(b"start")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
            NEVER.wait(MAX_LIFETIME_SECONDS)
            self.close_connection = True
        elif path.startswith("/plugin/") and self.command == "GET":
            name = path[len("/plugin/"):]
            file = os.path.join(PLUGINS_DIR, name)
            if PLUGIN_NAME.match(name) and os.path.isfile(file):
                with open(file, "rb") as f:
                    self.reply(200, f.read(), [("Content-Type", "application/wasm")])
            else:
                self.reply(404, b"no such plugin")
        else:
            self.reply(404, b"not found")

    do_GET = handle_any
    do_POST = handle_any
    do_PUT = handle_any
    do_DELETE = handle_any
    do_HEAD = handle_any


def exit_at_end_of_stdin():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=exit_at_end_of_stdin, daemon=True).start()
    deadline = threading.Timer(MAX_LIFETIME_SECONDS, lambda: os._exit(2))
    deadline.daemon = True
    deadline.start()
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
