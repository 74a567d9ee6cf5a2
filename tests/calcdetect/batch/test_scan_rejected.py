"""Rejected artefacts end to end: `calcdetect scan` on a real DICOM file of a film-like image.

The image (``film_scene``) holds a true cluster and, elsewhere, a group of one-pixel dust specks
of the same peak contrast.  The specks must be rows of calcifications.csv with ``rejected`` =
``dust``, in no cluster and not counted in images.csv; ``--show-rejected`` crosses them in magenta.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from calcdetect.batch.outputs import CALCIFICATION_COLUMNS
from calcdetect.cli import EXIT_OK, main
from calcdetect.evaluation.truth_files import read_scan_output

SPACING = 0.07
CLUSTER = [(0.0, 0.0), (1.5, 1.0), (-1.0, 2.0), (2.0, -1.5), (-1.8, -1.2)]
CLUSTER_AT, DUST_AT = (12.0, 14.0), (28.0, 26.0)
#: the overlay's colour for rejected candidates (BGR), as documented in docs/outputs.md
MAGENTA_BGR = np.array([220, 60, 220])


def _read(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture
def film_folder(tmp_path, film_scene, dicom_writers) -> Path:
    scene = film_scene(spacing_mm=SPACING, psf_mm=0.07)
    scene.calcs = [(CLUSTER_AT[0] + dy, CLUSTER_AT[1] + dx, 0.12, 400.0) for dy, dx in CLUSTER]
    peak = float(scene.signal().max())
    scene.dust = [(DUST_AT[0] + dy, DUST_AT[1] + dx, peak) for dy, dx in CLUSTER]
    pixels = np.clip(np.rint(scene.render()), 0, 4095).astype(np.uint16)
    ds = dicom_writers.mammogram_dataset(patient_id="FILM-1", spacing_mm=SPACING)
    ds.Rows, ds.Columns = pixels.shape
    ds.PixelData = pixels.tobytes()
    folder = tmp_path / "film"
    dicom_writers.write(ds, folder / "film.dcm")
    return folder


def _within(row: dict, centre: tuple[float, float], offsets, radius_mm: float = 0.5) -> bool:
    y, x = float(row["y_mm"]), float(row["x_mm"])
    return any(np.hypot(y - centre[0] - dy, x - centre[1] - dx) <= radius_mm for dy, dx in offsets)


def _magenta_pixels(png: Path) -> int:
    image = cv2.imread(str(png), cv2.IMREAD_COLOR).astype(int)
    return int((np.abs(image - MAGENTA_BGR).max(axis=2) <= 30).sum())


@pytest.mark.slow
def test_scan_lists_rejected_dust_and_shows_it_on_request(film_folder, tmp_path):
    shown, plain = tmp_path / "shown", tmp_path / "plain"
    assert main(["scan", str(film_folder), "-o", str(shown), "--show-rejected", "--timeout-s", "0", "--no-sr"]) == EXIT_OK
    assert main(["scan", str(film_folder), "-o", str(plain), "--timeout-s", "0", "--no-sr"]) == EXIT_OK

    header, calcs = _read(shown / "calcifications.csv")
    assert tuple(header) == CALCIFICATION_COLUMNS and header[-1] == "rejected"
    dust = [r for r in calcs if r["rejected"] == "dust"]
    kept = [r for r in calcs if r["rejected"] == ""]
    assert dust and all(_within(r, DUST_AT, CLUSTER) for r in dust)
    assert all(r["cluster_id"] == "-1" for r in dust)
    assert {r["rejected"] for r in calcs} <= {"", "dust", "scratch", "scanner_line", "vascular"}
    members = [r for r in kept if r["cluster_id"] != "-1"]
    assert all(_within(r, CLUSTER_AT, CLUSTER) for r in members) and len(members) >= 3

    _, clusters = _read(shown / "clusters.csv")
    assert len(clusters) == 1
    assert np.hypot(float(clusters[0]["row"]) * SPACING - CLUSTER_AT[0],
                    float(clusters[0]["col"]) * SPACING - CLUSTER_AT[1]) < 3.0
    _, images = _read(shown / "images.csv")
    assert images[0]["flag"] == "positive"
    assert int(images[0]["n_calcifications"]) == len(kept)  # the rejected are not counted

    # the tables do not depend on the drawing option
    assert (shown / "calcifications.csv").read_bytes() == (plain / "calcifications.csv").read_bytes()
    # what `calcdetect evaluate` reads leaves the rejected out
    detections, _ = read_scan_output(shown)
    assert len(detections.calcifications) == len(kept)

    overlay_shown = shown / images[0]["overlay"]
    overlay_plain = plain / _read(plain / "images.csv")[1][0]["overlay"]
    assert _magenta_pixels(overlay_shown) > 20 * len(dust) // 2
    assert _magenta_pixels(overlay_plain) == 0


def test_serve_takes_the_same_option(capsys):
    assert main(["serve", "--help"]) == 0
    assert "--show-rejected" in capsys.readouterr().out
