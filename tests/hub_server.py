"""A small Hugging Face Hub look-alike on 127.0.0.1, for the download tests.

It answers the two kinds of request ``huggingface_hub`` makes for a model: the repository
listing ``GET /api/models/{repo}/revision/{rev}`` (JSON with ``sha`` and ``siblings``) and
``HEAD``/``GET /{repo}/resolve/{rev}/{file}`` (with ``X-Repo-Commit``, ``ETag`` and
``Content-Length``, ``Range`` honoured for resumed downloads), and the Hub's ``X-Error-Code``
on a missing repository, revision or file. ``faults`` make a file fail: ``"error"`` answers
its download with 500, ``"cut"`` sends half of it and closes the connection (every time),
``"cut_once"`` does that only the first time. Every request is recorded in ``requests``.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import threading
import urllib.parse

__all__ = ["FakeHub", "folder_files"]

_API = re.compile(r"^/api/models/(.+)/revision/([^/]+)$")
_RESOLVE = re.compile(r"^/(.+?)/resolve/([^/]+)/(.+)$")


def folder_files(folder) -> dict:
    """Every file under ``folder`` as ``{relative/posix/path: bytes}``."""
    out = {}
    for root, _, names in os.walk(folder):
        for n in names:
            path = os.path.join(root, n)
            out[os.path.relpath(path, folder).replace(os.sep, "/")] = open(path, "rb").read()
    return out


class FakeHub:
    """``with FakeHub() as hub:`` serves ``hub.add(repo_id, files)`` repositories at ``hub.url``."""

    def __init__(self):
        self.repos = {}  # repo_id -> {"revisions": {name: sha}, "commits": {sha: {path: bytes}}}
        self.faults = {}
        self.requests = []
        self._cut = set()

    def add(self, repo_id, files, revision="main", commit=None) -> str:
        """Publish ``files`` (``{path: bytes}``) as a new commit of ``repo_id`` on branch
        ``revision`` (its hash ``commit``, else one made from the files); returns the hash."""
        sha = commit or hashlib.sha1(repr((repo_id, sorted(files.items()))).encode()).hexdigest()
        repo = self.repos.setdefault(repo_id, {"revisions": {}, "commits": {}})
        repo["commits"][sha] = dict(files)
        repo["revisions"][revision] = sha
        return sha

    # ---- serving -------------------------------------------------------------------------
    def _commit(self, repo_id, rev):
        repo = self.repos.get(repo_id)
        if repo is None:
            return None, "RepoNotFound"
        sha = repo["revisions"].get(rev, rev if rev in repo["commits"] else None)
        return (sha, None) if sha else (None, "RevisionNotFound")

    def _handler(self):
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _fail(self, status, code):
                self.send_response(status)
                self.send_header("X-Error-Code", code)
                self.send_header("X-Error-Message", code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _route(self, body):
                path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
                hub.requests.append((self.command, path))
                m = _API.match(path)
                if m and self.command == "GET":
                    sha, err = hub._commit(m.group(1), m.group(2))
                    if err:
                        return self._fail(404, err)
                    files = hub.repos[m.group(1)]["commits"][sha]
                    data = json.dumps({"id": m.group(1), "modelId": m.group(1), "sha": sha, "private": False,
                                       "siblings": [{"rfilename": f} for f in sorted(files)]}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    return self.wfile.write(data)
                m = _RESOLVE.match(path)
                if not m:
                    return self._fail(404, "RepoNotFound")
                repo_id, rev, name = m.groups()
                sha, err = hub._commit(repo_id, rev)
                if err:
                    return self._fail(404, err)
                files = hub.repos[repo_id]["commits"][sha]
                if name not in files:
                    return self._fail(404, "EntryNotFound")
                data = files[name]
                fault = hub.faults.get(name)
                if body and fault == "error":
                    return self._fail(500, "InternalError")
                start = 0
                rng = self.headers.get("Range")
                if body and rng and rng.startswith("bytes="):
                    start = int(rng[len("bytes="):].split("-")[0])
                self.send_response(206 if start else 200)
                self.send_header("X-Repo-Commit", sha)
                self.send_header("ETag", '"%s"' % hashlib.sha256(data).hexdigest())
                self.send_header("Content-Length", str(len(data) - start))
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                if not body:
                    return None
                cut = fault == "cut" or (fault == "cut_once" and name not in hub._cut)
                if cut:
                    hub._cut.add(name)
                    self.wfile.write(data[start:start + max(1, (len(data) - start) // 2)])
                    self.wfile.flush()
                    self.close_connection = True
                    return None
                return self.wfile.write(data[start:])

            def do_GET(self):
                self._route(body=True)

            def do_HEAD(self):
                self._route(body=False)

        return Handler

    def __enter__(self):
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
