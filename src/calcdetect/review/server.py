"""The review page's HTTP server: loopback, one random token, a handful of routes.

Standard library only (:class:`http.server.ThreadingHTTPServer`): the page is
used by one reader on their own machine, and nothing here needs more.

Every request must carry the token, as the ``token`` query parameter or the
``X-Review-Token`` header (compared in constant time); without it the answer is
403 and nothing else is said.  Routes:

========  ===================  =================================================
GET       ``/``                the review page
GET       ``/static/<name>``   its script and style sheet (no external resource)
GET       ``/overlays/<path>`` a ``.png``/``.jpg`` under ``OUT/overlays`` only
GET       ``/api/study``       patients, images, clusters and the reader's state
POST      ``/api/decision``    ``{sop_instance_uid, cluster_id, decision}``
POST      ``/api/add``         ``{sop_instance_uid, x_px, y_px}`` (overlay pixels)
POST      ``/api/remove``      ``{sop_instance_uid, row_px, col_px}``
POST      ``/api/call``        ``{patient_key, call}``
POST      ``/api/reviewed``    ``{patient_key}``
========  ===================  =================================================

Other methods get 405.  A path that leaves ``OUT/overlays`` (``..``, an
absolute path, percent-encoded separators or dots, a symbolic link out) gets
404.  POST bodies are JSON (``Content-Type: application/json``, at most 64 KiB).
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from calcdetect.review.decisions import DecisionStore
from calcdetect.review.page import STATIC_FILES, decorate_state, render_page, study_payload
from calcdetect.review.study import Study

__all__ = ["ReviewServer", "make_server"]

log = logging.getLogger(__name__)

_MAX_BODY = 64 * 1024
_TYPES = {".png": "image/png", ".jpg": "image/jpeg"}
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class ReviewServer(ThreadingHTTPServer):
    """A threading HTTP server that knows the study, the reader's store and the token."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], *, study: Study, store: DecisionStore, token: str) -> None:
        if ":" in address[0]:  # an IPv6 address, e.g. --host ::1
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.study = study
        self.store = store
        self.token = token
        self.overlays_dir = (study.out_dir / "overlays").resolve()

    @property
    def url(self) -> str:
        """The address to open, token included."""
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/?token={self.token}"

    def server_close(self) -> None:
        super().server_close()
        self.store.close()


def make_server(study: Study, store: DecisionStore, *, host: str = "127.0.0.1", port: int = 8765,
                token: str | None = None) -> ReviewServer:
    """A ready-to-serve :class:`ReviewServer` (``port=0``: a free port); call ``serve_forever()``."""
    return ReviewServer((host, port), study=study, store=store, token=token or secrets.token_urlsafe(24))


class _Refused(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Handler(BaseHTTPRequestHandler):
    server: ReviewServer
    server_version = "calcdetect-review"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    # -- plumbing --------------------------------------------------------------
    def log_message(self, format: str, *args) -> None:  # noqa: A002  (BaseHTTPRequestHandler's name)
        # never log the token: the request line holds it
        log.debug("%s %s", self.address_string(), (format % args).replace(self.server.token, "<token>"))

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, *, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", _CSP)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, obj: object, status: HTTPStatus = HTTPStatus.OK) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json; charset=utf-8")

    def _error(self, status: HTTPStatus, message: str, *, extra: dict | None = None) -> None:
        self._send(status, json.dumps({"error": message}).encode(), "application/json; charset=utf-8", extra=extra)

    def _authorised(self, query: dict[str, list[str]]) -> bool:
        given = self.headers.get("X-Review-Token") or (query.get("token") or [""])[0]
        return secrets.compare_digest(given.encode(), self.server.token.encode())

    def _route(self):
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if not self._authorised(query):
            raise _Refused(HTTPStatus.FORBIDDEN, "missing or wrong token: open the address printed by "
                                                 "'calcdetect review'")
        return parts.path

    # -- methods ---------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        try:
            path = self._route()
            if path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, render_page(reader=self.server.store.reader, token=self.server.token).encode(),
                           "text/html; charset=utf-8")
            elif path.startswith("/static/") and path[len("/static/"):] in STATIC_FILES:
                body, ctype = STATIC_FILES[path[len("/static/"):]]
                self._send(HTTPStatus.OK, body, ctype)
            elif path == "/api/study":
                self._json(study_payload(self.server.study, self.server.store))
            elif path.startswith("/overlays/"):
                file = self._overlay_file(path[len("/overlays/"):])
                self._send(HTTPStatus.OK, file.read_bytes(), _TYPES[file.suffix.lower()])
            else:
                raise _Refused(HTTPStatus.NOT_FOUND, "not found")
        except _Refused as exc:
            self._error(exc.status, str(exc))

    def do_POST(self) -> None:  # noqa: N802
        try:
            path = self._route()
            handler = {"/api/decision": self._decision, "/api/add": self._add, "/api/remove": self._remove,
                       "/api/call": self._call, "/api/reviewed": self._reviewed}.get(path)
            body = self._body()  # read it whatever the route, so the connection stays in step
            if handler is None:
                raise _Refused(HTTPStatus.NOT_FOUND, "not found")
            try:
                state = handler(body)
            except (KeyError, TypeError, ValueError) as exc:
                raise _Refused(HTTPStatus.BAD_REQUEST, f"{type(exc).__name__}: {exc}") from None
            except OSError as exc:  # disk full, folder removed: say so, the reader must know it is not saved
                log.error("could not save: %s", exc)
                raise _Refused(HTTPStatus.INTERNAL_SERVER_ERROR, f"NOT SAVED: {exc}") from None
            self._json(decorate_state(self.server.study, state))
        except _Refused as exc:
            self._error(exc.status, str(exc))

    def _refuse_method(self) -> None:
        self._error(HTTPStatus.METHOD_NOT_ALLOWED, f"method {self.command} is not served",
                    extra={"Allow": "GET, POST"})

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = do_HEAD = _refuse_method

    # -- helpers ---------------------------------------------------------------
    def _body(self) -> dict:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            raise _Refused(HTTPStatus.BAD_REQUEST, "bad Content-Length") from None
        if length > _MAX_BODY or length < 0:
            self.close_connection = True
            raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"a request body is at most {_MAX_BODY} bytes")
        raw = self.rfile.read(length)
        if self.headers.get_content_type() != "application/json":
            raise _Refused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "POST bodies are application/json")
        try:
            body = json.loads(raw or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _Refused(HTTPStatus.BAD_REQUEST, f"body is not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise _Refused(HTTPStatus.BAD_REQUEST, "body must be a JSON object")
        return body

    def _overlay_file(self, rel: str) -> Path:
        not_found = _Refused(HTTPStatus.NOT_FOUND, "not found")
        # refuse encoded characters outright: overlay names are [A-Za-z0-9_.-] and '/'
        if "%" in rel or "\\" in rel or "\x00" in rel:
            raise not_found
        parts = unquote(rel).split("/")
        if any(p in ("", ".", "..") for p in parts):
            raise not_found
        root = self.server.overlays_dir
        file = (root / Path(*parts)).resolve()
        if not file.is_relative_to(root) or file.suffix.lower() not in _TYPES or not file.is_file():
            raise not_found
        return file

    def _decision(self, body: dict) -> dict:
        decision = body.get("decision")
        return self.server.store.decide(str(body["sop_instance_uid"]), int(body["cluster_id"]),
                                        None if decision in (None, "", "none") else str(decision))

    def _add(self, body: dict) -> dict:
        uid = str(body["sop_instance_uid"])
        image = self.server.study.image(uid)
        if image is None:
            raise ValueError(f"no image with SOP Instance UID {uid!r} in this scan")
        if image.geometry is None:
            raise ValueError("this image's overlay has no known geometry: a cluster cannot be placed on it")
        position = image.geometry.to_image(float(body["x_px"]), float(body["y_px"]))
        if position is None:
            raise ValueError("click on the whole-breast view (left part of the overlay), not on the legend or "
                             "an inset")
        return self.server.store.add(uid, *position)

    def _remove(self, body: dict) -> dict:
        return self.server.store.remove_added(str(body["sop_instance_uid"]), float(body["row_px"]),
                                              float(body["col_px"]))

    def _call(self, body: dict) -> dict:
        call = body.get("call")
        return self.server.store.set_call(str(body["patient_key"]), None if call in (None, "", "auto") else str(call))

    def _reviewed(self, body: dict) -> dict:
        return self.server.store.mark_reviewed(str(body["patient_key"]))
