"""A real scan output for the review tests: the committed sample phantoms, scanned once per session.

``small-ge-like_neg_RCC`` is given the patient of ``small-ge-like_pos_LMLO`` (a copy,
PatientID rewritten with pydicom), so one patient has two images, one flagged.  In the copy
of ``demo-ge-like_pos_LCC`` the cluster's calcifications are painted out (each replaced by the
median of the ring around it), so it is a cluster the detector misses, for the reader to add: these tests are
about the review, and must not depend on what a particular detector version finds.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pydicom
import pytest

from calcdetect.cli import main
from calcdetect.review.decisions import DecisionStore
from calcdetect.review.server import make_server
from calcdetect.review.study import load_study

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "phantoms"
#: the demo-size phantom whose cluster is painted out in the copy: 2000 x 1600, the "missed" one
MISSED_FILE = "demo-ge-like_pos_LCC"


def _paint_out_the_cluster(path: Path, truth: dict) -> None:
    """Each member calcification replaced by the median of the ring around it (no new edges)."""
    ds = pydicom.dcmread(path)
    ds.decompress(generate_instance_uid=False)  # whatever the encoding, the copy is uncompressed; same UID
    pixels = ds.pixel_array.copy()
    rows, cols = np.indices(pixels.shape)
    spacing = float(truth["spacing_mm"][0])
    for calc in truth["calcifications"]:
        if calc.get("cluster_id", -1) < 0:
            continue
        radius = calc.get("diameter_mm", 0.5) / spacing / 2 + 3
        r, c = calc["row"], calc["col"]
        box = (slice(max(int(r - 3 * radius), 0), int(r + 3 * radius) + 1),
               slice(max(int(c - 3 * radius), 0), int(c + 3 * radius) + 1))
        d = np.hypot(rows[box] - r, cols[box] - c)
        patch = pixels[box]
        patch[d <= radius] = np.median(patch[(d > radius) & (d <= 2 * radius)])
    ds.PixelData = pixels.tobytes()
    ds.save_as(path)


@pytest.fixture(scope="session")
def scanned(tmp_path_factory) -> Path:
    archive = tmp_path_factory.mktemp("archive")
    for dcm in SAMPLES.glob("*.dcm"):
        shutil.copy(dcm, archive / dcm.name)
    moved = archive / "small-ge-like_neg_RCC.dcm"
    target = pydicom.dcmread(archive / "small-ge-like_pos_LMLO.dcm", stop_before_pixels=True).PatientID
    ds = pydicom.dcmread(moved)
    ds.PatientID = target
    ds.save_as(moved)
    truth = json.loads((SAMPLES / f"{MISSED_FILE}.truth.json").read_text())
    _paint_out_the_cluster(archive / f"{MISSED_FILE}.dcm", truth)
    out = tmp_path_factory.mktemp("scan") / "out"
    assert main(["scan", str(archive), "-o", str(out), "--workers", "1"]) == 0
    return out


@pytest.fixture
def scan_out(scanned: Path, tmp_path: Path) -> Path:
    """A fresh copy of the scan output, for a test to write its review into."""
    out = tmp_path / "out"
    shutil.copytree(scanned, out, ignore=shutil.ignore_patterns(".work"))
    return out


@pytest.fixture
def missed_truth() -> dict:
    return json.loads((SAMPLES / f"{MISSED_FILE}.truth.json").read_text())


@pytest.fixture
def server(scan_out):
    """The review server on a free loopback port, for reader alice, in a thread."""
    study = load_study(scan_out)
    srv = make_server(study, DecisionStore(study, "alice"), port=0)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)
