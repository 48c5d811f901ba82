#!/usr/bin/env python3
"""A registry front for the pull tests: listens on 127.0.0.1:PORT and forwards GET/HEAD /v2/... to
the real registry on 127.0.0.1:UPSTREAM. Only for tests, inside the test's network namespace.

  regproxy.py PORT UPSTREAM bearer [USER:PASS]
      A Bearer-token registry. /v2/... without "Authorization: Bearer TOKEN" is answered 401 with
      WWW-Authenticate: Bearer realm="http://127.0.0.1:PORT/token",service="gph-test",
      scope="repository:REPO:pull". GET /token?service=gph-test&scope=repository:REPO:pull gives
      {"token": TOKEN} (a random one per run); with USER:PASS the token request must carry that
      Basic authorization, else 401. Each token request is logged to stderr ("token scope=...
      basic=yes|no"), never the password.
  regproxy.py PORT UPSTREAM die BYTES
      A registry that dies mid-pull: the first blob answer larger than BYTES is sent with its full
      Content-Length, cut after BYTES bytes, and the whole process exits at once.
"""
import base64, http.server, json, os, secrets, sys, urllib.error, urllib.parse, urllib.request

PORT, UPSTREAM, MODE = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ARG = sys.argv[4] if len(sys.argv) > 4 else ""
TOKEN = secrets.token_hex(16)
SERVICE = "gph-test"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def token(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        scope = q.get("scope", [""])[0]
        basic = self.headers.get("Authorization", "").startswith("Basic ")
        print("token scope=%s service=%s basic=%s" % (scope, q.get("service", [""])[0], "yes" if basic else "no"),
              file=sys.stderr, flush=True)
        if q.get("service", [""])[0] != SERVICE or not scope.startswith("repository:") or not scope.endswith(":pull"):
            return self.answer(400, b'{"errors":[{"code":"bad service or scope"}]}')
        if ARG:
            want = "Basic " + base64.b64encode(ARG.encode()).decode()
            if self.headers.get("Authorization", "") != want:
                return self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                                   [("WWW-Authenticate", 'Basic realm="gph-test"')])
        self.answer(200, json.dumps({"token": TOKEN, "expires_in": 300}).encode(),
                    [("Content-Type", "application/json")])

    def forward(self):
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("accept",)}
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (UPSTREAM, self.path), headers=headers,
                                     method=self.command)
        try:
            up = urllib.request.urlopen(req)
        except urllib.error.HTTPError as e:
            up = e
        self.send_response(up.status if hasattr(up, "status") else up.code)
        length = None
        for k, v in up.headers.items():
            if k.lower() in ("content-type", "content-length", "docker-content-digest", "location"):
                self.send_header(k, v)
            if k.lower() == "content-length":
                length = int(v)
        self.end_headers()
        if self.command == "HEAD":
            return
        cut = MODE == "die" and "/blobs/" in self.path and length is not None and length > int(ARG)
        sent = 0
        while True:
            chunk = up.read(16384)
            if not chunk:
                break
            if cut and sent + len(chunk) > int(ARG):
                self.wfile.write(chunk[: int(ARG) - sent])
                self.wfile.flush()
                print("died after %s bytes of %s" % (ARG, self.path), file=sys.stderr, flush=True)
                os._exit(0)
            self.wfile.write(chunk)
            sent += len(chunk)

    def do_GET(self):
        if self.path.startswith("/token"):
            return self.token()
        if MODE == "bearer" and self.headers.get("Authorization", "") != "Bearer " + TOKEN:
            repo = self.path[len("/v2/"):].split("/manifests/")[0].split("/blobs/")[0] if self.path.startswith("/v2/") else ""
            ch = 'Bearer realm="http://127.0.0.1:%d/token",service="%s"' % (PORT, SERVICE)
            if repo and repo != self.path[len("/v2/"):]:
                ch += ',scope="repository:%s:pull"' % repo
            return self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', [("WWW-Authenticate", ch)])
        self.forward()

    do_HEAD = do_GET


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
