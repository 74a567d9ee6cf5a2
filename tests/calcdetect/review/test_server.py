"""The review server refuses what it must, and never loses or mangles a saved decision."""

from __future__ import annotations

import csv
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from calcdetect.review.server import make_server
from calcdetect.review.study import load_study


def _request(srv, method: str, path: str, body=None, headers=None):
    conn = http.client.HTTPConnection(*srv.server_address[:2], timeout=10)
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    conn.request(method, path, body=data, headers=headers or {})
    resp = conn.getresponse()
    payload = resp.read()
    conn.close()
    return resp, payload


def _post(srv, route: str, body, token: str | None = None):
    headers = {"Content-Type": "application/json", "X-Review-Token": srv.token if token is None else token}
    return _request(srv, "POST", route, body, headers)


def _flagged(srv):
    image = next(im for p in srv.study.patients for im in p.images if im.clusters)
    return image.sop_instance_uid, image.clusters[0].cluster_id


def test_it_listens_on_loopback_with_a_long_random_token(server, scan_out):
    assert server.server_address[0] == "127.0.0.1"
    assert len(server.token) >= 32
    other = make_server(server.study, server.store, port=0)  # a second server gets another token
    assert other.token != server.token
    other.socket.close()


@pytest.mark.parametrize("path", ["/", "/api/study", "/static/review.js",
                                  "/overlays/{png}", "/?token=", "/?token=wrong", "/?tok={token}"])
def test_get_without_the_token_is_refused(server, path):
    png = server.study.patients[0].images[0].overlay.removeprefix("overlays/")
    resp, body = _request(server, "GET", path.format(png=png, token=server.token))
    assert resp.status == 403 and b"token" in body
    assert server.token.encode() not in body


def test_the_page_and_its_files_need_the_token_and_load_nothing_from_outside(server):
    resp, body = _request(server, "GET", f"/?token={server.token}")
    assert resp.status == 200 and b"review.js" in body
    csp = resp.getheader("Content-Security-Policy")
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert b"http://" not in body and b"https://" not in body and b"//cdn" not in body
    resp, js = _request(server, "GET", "/static/review.js", headers={"X-Review-Token": server.token})
    assert resp.status == 200 and b"fetch(" in js and b"http" not in js


@pytest.mark.parametrize("token", [None, "", "x" * 32])
def test_post_without_the_right_token_is_refused_and_saves_nothing(server, token):
    uid, cid = _flagged(server)
    before = server.store.decisions_path.read_bytes()
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["X-Review-Token"] = token
    resp, _ = _request(server, "POST", "/api/decision", {"sop_instance_uid": uid, "cluster_id": cid,
                                                          "decision": "confirmed"}, headers)
    assert resp.status == 403
    assert server.store.decisions_path.read_bytes() == before


@pytest.mark.parametrize("path", [
    "/overlays/../patients.csv", "/overlays/%2e%2e/patients.csv", "/overlays/%2E%2E%2Fpatients.csv",
    "/overlays/..%2fpatients.csv", "/overlays/..%5cpatients.csv", "/overlays//etc/passwd", "/overlays/%2fetc/passwd",
    "/overlays/%252e%252e/patients.csv", "/../patients.csv", "//etc/passwd", "/patients.csv", "/overlays/index.html",
    "/overlays/./{png}", "/overlays/{key}/../../images.csv", "/overlays/{png}%00.png", "/overlays/evil.png",
    "/static/../patients.csv", "/static/%2e%2e/decisions.py",
])
def test_paths_outside_the_overlays_are_refused(server, scan_out, path):
    (scan_out / "overlays" / "evil.png").symlink_to(scan_out / "patients.csv")  # a link out of overlays/
    png = server.study.patients[0].images[0].overlay.removeprefix("overlays/")
    resp, body = _request(server, "GET", path.format(png=png, key=png.split("/")[0]),
                          headers={"X-Review-Token": server.token})
    assert resp.status == 404
    assert b"patient_key" not in body and b"root:" not in body


def test_an_overlay_and_its_thumbnail_are_served(server, scan_out):
    png = server.study.patients[0].images[0].overlay
    for rel in (png, png.removesuffix(".png") + ".thumb.jpg"):
        resp, body = _request(server, "GET", f"/{rel}?token={server.token}")
        assert resp.status == 200 and body == (scan_out / rel).read_bytes()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"])
def test_other_methods_are_refused(server, method):
    resp, _ = _request(server, method, f"/api/decision?token={server.token}")
    assert resp.status == 405 and resp.getheader("Allow") == "GET, POST"


def test_unknown_methods_are_refused(server):
    resp, _ = _request(server, "BREW", f"/?token={server.token}")
    assert resp.status == 501


@pytest.mark.parametrize(("body", "headers", "status"), [
    (b"{not json", {}, 400), (b"[1, 2]", {}, 400), (b'{"cluster_id": 0}', {}, 400),
    (b'{"sop_instance_uid": "1", "cluster_id": 0, "decision": "confirmed"}', {"Content-Type": "text/plain"}, 415),
    (b"x" * 70_000, {}, 413),
])
def test_bad_bodies_are_refused(server, body, headers, status):
    resp, payload = _request(server, "POST", "/api/decision", body,
                             {"Content-Type": "application/json", "X-Review-Token": server.token, **headers})
    assert resp.status == status and "error" in json.loads(payload)


def test_concurrent_decisions_all_land_and_the_files_stay_whole(server):
    uid, cid = _flagged(server)
    big = next(im for p in server.study.patients for im in p.images if im.rows == 2000)
    g = big.geometry
    errors: list[str] = []

    def worker(t: int) -> None:
        for i in range(10):
            x, y = 10 + 20 * t + 0.5, g.top_px + 10 + 20 * i + 0.5  # distinct points on the view
            resp, body = _post(server, "/api/add", {"sop_instance_uid": big.sop_instance_uid, "x_px": x, "y_px": y})
            if resp.status != 200:
                errors.append(body.decode())
            resp, body = _post(server, "/api/decision", {"sop_instance_uid": uid, "cluster_id": cid,
                                                         "decision": ("confirmed", "rejected")[(t + i) % 2]})
            if resp.status != 200:
                errors.append(body.decode())

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with open(server.store.decisions_path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    added = {(r["row_px"], r["col_px"]) for r in rows if r["decision"] == "added"}
    # hand-derived: the 2000 x 1600 image is shown halved, so overlay (x, y) is image (2(y - 84) - 0.5, 2x - 0.5)
    expected = {(f"{2 * (10 + 20 * i + 0.5) - 0.5:.1f}", f"{2 * (10 + 20 * t + 0.5) - 0.5:.1f}")
                for t in range(8) for i in range(10)}
    assert added == expected and len(rows) == 81
    assert [r["decision"] for r in rows if r["cluster_id"] == str(cid)] in (["confirmed"], ["rejected"])
    assert not list(server.store.folder.glob(".*.tmp")), "no temporary file left behind"
    with open(server.store.patients_path, newline="") as fh:
        assert len(list(csv.DictReader(fh))) == len(server.study.patients)


def _start(out: Path, reader: str):
    proc = subprocess.Popen([sys.executable, "-m", "calcdetect.cli", "review", str(out), "--reader", reader,
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("open http://"):
            url = line.split()[1]
            hostport, token = url.removeprefix("http://").split("/?token=")
            host, port = hostport.rsplit(":", 1)
            return proc, host, int(port), token
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"the server did not start: {proc.stderr.read()}")


@pytest.mark.slow
def test_a_killed_server_loses_no_saved_decision(scan_out):
    proc, host, port, token = _start(scan_out, "carol")
    assert host == "127.0.0.1"
    study = load_study(scan_out)
    big = next(im for p in study.patients for im in p.images if im.rows == 2000)
    uid, cid = next((im.sop_instance_uid, im.clusters[0].cluster_id) for p in study.patients for im in p.images
                    if im.clusters)
    try:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        headers = {"Content-Type": "application/json", "X-Review-Token": token}
        bodies = [("/api/decision", {"sop_instance_uid": uid, "cluster_id": cid, "decision": "rejected"})] + [
            ("/api/add", {"sop_instance_uid": big.sop_instance_uid, "x_px": 100.5 + i, "y_px": 300.5})
            for i in range(20)]
        for route, body in bodies:
            conn.request("POST", route, json.dumps(body), headers)
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close(), proc.stderr.close()
    with open(scan_out / "review" / "carol" / "decisions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 21 and sum(r["decision"] == "added" for r in rows) == 20
    # the lock died with the process: a new server resumes with every decision
    proc, host, port, token = _start(scan_out, "carol")
    try:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("GET", f"/api/study?token={token}")
        data = json.loads(conn.getresponse().read())
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
        proc.stdout.close(), proc.stderr.close()
    assert sum(len(p["state"]["decisions"]) for p in data["patients"]) == 21


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_server_stops_cleanly_on_sigterm_and_sigint_even_when_started_ignoring_sigint(scan_out, stop):
    """A service manager sends SIGTERM; a shell's background job starts with SIGINT ignored, which
    Python would keep: the server installs its own handlers and stops either way, lock released."""
    def ignore_sigint() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    proc = subprocess.Popen([sys.executable, "-m", "calcdetect.cli", "review", str(scan_out), "--reader", "dave",
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ignore_sigint)
    try:
        assert proc.stdout.readline().startswith("reviewing ")
        assert proc.stdout.readline().startswith("open http://")
        proc.send_signal(stop)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close(), proc.stderr.close()
    # the reader's lock went with it: the same reader can start again at once
    again, *_ = _start(scan_out, "dave")
    again.send_signal(signal.SIGTERM)
    assert again.wait(20) == 0
    again.stdout.close(), again.stderr.close()
