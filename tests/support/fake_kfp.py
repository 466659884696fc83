"""A fake of KFP's v2beta1 REST API: no KFP server runs on this machine.

The real ``kfp.Client`` talks to it over HTTP on 127.0.0.1, so the requests
our code makes are the ones a real server would see.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qs, urlparse


class FakeKfp(BaseHTTPRequestHandler):
    """Just enough of KFP's v2beta1 REST API for upload, list, delete and run."""

    state: dict[str, Any]

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _reply(self, body: Any, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self, method: str) -> None:
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = self._body()
        state = self.state
        state["requests"].append(
            (method, url.path, query, self.headers.get("Authorization"))
        )
        parts = url.path.split("/")[3:]  # after /apis/v2beta1
        if parts == ["healthz"]:
            return self._reply({"multi_user": False})
        if parts == ["pipelines"] and method == "GET":
            predicate = json.loads(query["filter"])["predicates"][0]
            wanted = predicate.get("stringValue", predicate.get("string_value"))
            found = [p for p in state["pipelines"] if p["display_name"] == wanted]
            return self._reply({"pipelines": found} if found else {})
        if parts[:2] == ["pipelines", "upload"]:
            assert b"pipelineInfo" in body  # the package travelled
            pipeline = {
                "pipeline_id": f"p{len(state['pipelines']) + 1}",
                "display_name": query["display_name"],
                "name": query["name"],
            }
            state["pipelines"].append(pipeline)
            state["versions"][pipeline["pipeline_id"]] = []
            self._add_version(
                pipeline["pipeline_id"], query["name"], query["display_name"]
            )
            return self._reply(pipeline)
        if parts[:2] == ["pipelines", "upload_version"]:
            version = self._add_version(
                query["pipelineid"], query["name"], query["display_name"]
            )
            return self._reply(version)
        if parts[0] == "pipelines" and parts[2:3] == ["versions"] and method == "GET":
            versions = state["versions"][parts[1]]
            start = int(query.get("page_token") or 0)
            size = int(query["page_size"])
            page = {"pipeline_versions": versions[start : start + size]}
            if start + size < len(versions):
                page["next_page_token"] = str(start + size)
            return self._reply(page)
        if parts[0] == "pipelines" and method == "DELETE":
            state["versions"][parts[1]] = [
                v
                for v in state["versions"][parts[1]]
                if v["pipeline_version_id"] != parts[3]
            ]
            return self._reply({})
        if parts == ["experiments"] and method == "GET":
            return self._reply({})
        if parts == ["experiments"] and method == "POST":
            experiment = json.loads(body)
            return self._reply({**experiment, "experiment_id": "e1"})
        if parts == ["runs"] and method == "POST":
            state["runs"].append(json.loads(body))
            return self._reply({"run_id": f"r{len(state['runs'])}"})
        return self._reply({"error": "not in the fake"}, 404)

    def _add_version(self, pipeline_id: str, name: str, display: str) -> dict:
        state = self.state
        state["clock"] += 1
        version = {
            "pipeline_id": pipeline_id,
            "pipeline_version_id": f"v{state['clock']}",
            "name": name,
            "display_name": display,
            "created_at": f"2026-01-01T00:00:{state['clock']:02d}Z",
        }
        state["versions"][pipeline_id].append(version)
        return version

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")


def new_state() -> dict[str, Any]:
    """The fake's empty store: requests seen, pipelines, versions and runs."""
    return {"requests": [], "pipelines": [], "versions": {}, "runs": [], "clock": 0}


def serve_kfp(state: dict[str, Any]) -> Iterator[str]:
    """Serve the fake on 127.0.0.1 for as long as the generator is open."""
    handler = type("Handler", (FakeKfp,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
