"""Review overlays (full-resolution insets) and overlays/index.html, including in a real headless browser."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from calcdetect.batch import scan_folder
from calcdetect.batch.html_index import render_index_html
from calcdetect.batch.overlay import encode_png, encode_thumbnail, render_overlay
from calcdetect.results import Calcification, Cluster, ImageResult, Mammogram

SPECKS_RC = [(200, 150), (204, 156), (207, 149)]


def speck_image(*, specks: bool = True) -> Mammogram:
    """Flat noisy tissue with three single-pixel (0.1 mm) specks."""
    rng = np.random.default_rng(0)
    pixels = (1000 + rng.normal(0, 5, size=(400, 300))).astype(np.float32)
    pixels[:, :20] = 0  # background strip beyond the "skin"
    for r, c in SPECKS_RC if specks else ():
        pixels[r, c] += 150
    return Mammogram(pixels=pixels, spacing_mm=(0.1, 0.1), laterality="R", view="MLO", patient_id="P")


def speck_result() -> ImageResult:
    calcs = tuple(Calcification(r, c, 0.1, 150.0, 30.0, cluster_id=0) for r, c in SPECKS_RC)
    cluster = Cluster(0, 3, 203.7, 151.7, (200, 149, 207, 156), 0.5, 12.0)
    return ImageResult(calcs, (cluster,), 12.0, True)


def test_single_pixel_specks_are_visible_in_the_inset():
    result = speck_result()
    kwargs = dict(patient_key="KEY-1", window=(0.0, 1100.0), max_overview_px=150)
    with_specks = render_overlay(speck_image(), result, **kwargs)
    without = render_overlay(speck_image(specks=False), result, **kwargs)
    assert with_specks.dtype == np.uint8 and with_specks.ndim == 3 and with_specks.shape == without.shape
    # The overview is downscaled 400 -> 133 rows, so a one-pixel speck is averaged
    # away there; in the inset each is shown at full resolution, enlarged.
    grey = (with_specks[..., 0] == with_specks[..., 1]) & (with_specks[..., 1] == with_specks[..., 2])
    lit = grey & (with_specks[..., 0] >= 250) & (without.max(axis=2) < 150)
    rows, cols = np.nonzero(lit)
    overview_width = 300 // 3  # 400 rows into at most 150: reduced by an integer factor of 3
    assert len(rows) >= len(SPECKS_RC) * 4, "each speck: at least 2x2 white pixels"
    assert cols.min() > overview_width, "white specks only in the inset panel"


def test_overlay_without_clusters_and_encoders_round_trip():
    mammogram = speck_image()
    image = render_overlay(mammogram, ImageResult(), patient_key="KEY-2", window=(0.0, 1100.0))
    decoded = cv2.imdecode(np.frombuffer(encode_png(image), np.uint8), cv2.IMREAD_COLOR)
    assert np.array_equal(decoded, image)  # PNG is lossless
    thumb = cv2.imdecode(np.frombuffer(encode_thumbnail(image, height_px=100), np.uint8), cv2.IMREAD_COLOR)
    assert thumb.shape[0] == 100


def _rows():
    images = [
        {"path": "a", "patient_key": "NEG-1", "laterality": "L", "view": "CC", "score": 0.0, "flag": "negative",
         "n_clusters": 0, "overlay": "overlays/NEG-1/1.2.3.png"},
        {"path": "b", "patient_key": "POS-1", "laterality": "R", "view": "<b>MLO</b>", "score": 7.5,
         "threshold": 0.854, "flag": "positive", "n_clusters": 1, "overlay": "overlays/POS-1/1.2.4.png"},
        {"path": "c", "patient_key": "POS-1", "laterality": "R", "view": "CC", "score": 1.0, "flag": "negative",
         "n_clusters": 0, "overlay": ""},
    ]
    patients = [
        {"patient_key": "NEG-1", "n_images": 1, "n_positive_images": 0, "n_clusters": 0, "max_score": 0.0,
         "flag": "negative"},
        {"patient_key": "POS-1", "n_images": 2, "n_positive_images": 1, "n_clusters": 1, "max_score": 7.5,
         "flag": "positive"},
    ]
    return images, patients


def test_index_lists_positives_first_and_escapes_header_values():
    images, patients = _rows()
    page = render_index_html(images, patients, n_errors=2)
    assert page.index('data-key="POS-1"') < page.index('data-key="NEG-1"')
    assert "<b>MLO</b>" not in page and "&lt;b&gt;MLO&lt;/b&gt;" in page
    assert 'href="POS-1/1.2.4.png"' in page and 'src="POS-1/1.2.4.thumb.jpg"' in page
    assert "2 file(s) not analysed" in page and "errors.csv" in page
    # the threshold the image was read at, where images.csv has it (rows of older scans do not)
    assert "score 7.500 (flag at 0.854)" in page and "score 1.000 &middot;" in page
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page), "no external resources"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_index_in_headless_chromium(good_folder, tmp_path):
    out = tmp_path / "out"
    scan_folder(good_folder, out)
    with open(out / "images.csv", newline="") as fh:
        images = list(csv.DictReader(fh))
    n_pos = sum(r["flag"] == "positive" for r in images)
    assert 0 < n_pos < len(images), "the test folder must hold both kinds"
    index = out / "overlays" / "index.html"
    for target in re.findall(r'(?:src|href)="([^"]+)"', index.read_text()):
        assert (index.parent / target).is_file(), target

    # the page's script runs in the browser: a filter from the URL hides the negatives
    dom = _chromium(tmp_path, "--dump-dom", f"{index.as_uri()}?flag=positive").stdout
    assert f'<span id="shown">{n_pos}</span>' in dom
    figures = re.findall(r'<figure class="([^"]*)" data-flag="(\w+)"', dom)
    assert len(figures) == len(images)
    assert all(("hidden" in cls) == (flag != "positive") for cls, flag in figures)

    shot = tmp_path / "index.png"
    _chromium(tmp_path, "--window-size=1200,900", f"--screenshot={shot}", index.as_uri())
    picture = cv2.imread(str(shot))
    assert picture is not None and picture.shape[:2] == (900, 1200)
    assert picture.std() > 10  # rendered content, not a blank page
