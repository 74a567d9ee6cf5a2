"""Every mutant that ever broke something, kept as a fixture (docs/decoder-failures.md).

Each test first checks that its fixture still shows the library failure it was
kept for (skipped with the reason when a newer library no longer fails: the
fixture then no longer exercises the path), then that calcdetect reports the
file as the damaged file it is, in the reader and in a real scan, in this
process and with worker processes.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import pixel_array

from calcdetect.cli import main
from calcdetect.errors import DecodeError
from calcdetect.io import read_mammogram

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOOD = Path(__file__).resolve().parents[3] / "data" / "phantoms" / "small_pos_LCC.dcm"

RLE_HEADER_FLIP = FIXTURES / "rle-header-flip.dcm"  # panics at pylibjpeg-rle 2.2.0 src/lib.rs:520
RLE_ZEROED_SPAN = FIXTURES / "rle-zeroed-span.dcm"  # panics at src/lib.rs:487
RLE_PANICS = pytest.mark.parametrize("fixture", [RLE_HEADER_FLIP, RLE_ZEROED_SPAN], ids=lambda p: p.stem)
JPEG_PRECISION_45 = FIXTURES / "jpeg-lossless-precision-45.dcm"
JPEG_DHT_FLIP = FIXTURES / "jpeg-lossless-dht-marker-flip.dcm"
J2K_FLAT = FIXTURES / "j2k-flat-after-zeroed-span.dcm"
UID_CR = FIXTURES / "uid-carriage-return.dcm"  # fuzz seed 3031: a header flip put "\r" in the SOP Instance UID


def _rows(path: Path) -> dict[str, dict]:
    with open(path, newline="") as fh:
        return {row["path"]: row for row in csv.DictReader(fh)}


def _scan(tmp_path: Path, fixture: Path, *options: str) -> tuple[int, dict, dict]:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(fixture, folder / fixture.name)
    shutil.copy(GOOD, folder / "good.dcm")
    out = tmp_path / "out"
    status = main(["scan", str(folder), "-o", str(out), "--no-overlays", *options])
    return status, _rows(out / "images.csv"), _rows(out / "errors.csv")


def _rle_decoder_panics(fixture: Path) -> str | None:
    """pylibjpeg-rle's panic message on an RLE fixture, or None if it no longer panics."""
    try:
        pixel_array(pydicom.dcmread(fixture), decoding_plugin="pylibjpeg")
    except Exception:  # noqa: BLE001 - a clean error: no longer the panic this fixture is for
        return None
    except BaseException as exc:  # noqa: BLE001 - pyo3's PanicException derives from BaseException
        if isinstance(exc, KeyboardInterrupt):
            raise
        return f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
    return None


@RLE_PANICS
def test_rle_panic_falls_back_to_pydicoms_decoder(fixture):
    panic = _rle_decoder_panics(fixture)
    if panic is None:
        pytest.skip("pylibjpeg-rle no longer panics on this fixture; update docs/decoder-failures.md")
    assert panic.startswith("pyo3_runtime.PanicException: index out of bounds")
    ds = pydicom.dcmread(fixture)
    try:  # what pydicom's own (NumPy) RLE decoder makes of it, independently
        expected = pixel_array(ds, decoding_plugin="pydicom")
    except Exception:  # noqa: BLE001 - it cannot decode it either
        expected = None

    if expected is None:  # the header flip: both decoders fail, the panic is named
        with pytest.raises(DecodeError) as caught:
            read_mammogram(fixture)
        message = caught.value.message
        assert caught.value.code == "decode_failed"
        assert "pylibjpeg: pyo3_runtime.PanicException" in message and "index out of bounds" in message
        assert "pydicom:" in message
    else:  # the zeroed span: pydicom's decoder copes, the image is read
        m = read_mammogram(fixture)
        # MONOCHROME2, For Presentation, unsigned: the stored values, high bits above Bits Stored cleared
        assert m.transforms in ((), ("mask_unused_bits",))
        np.testing.assert_array_equal(m.pixels, expected & ((1 << int(ds.BitsStored)) - 1))


def test_the_rle_header_flip_fails_in_both_decoders():
    with pytest.raises(Exception, match="RLE segment"):
        pixel_array(pydicom.dcmread(RLE_HEADER_FLIP), decoding_plugin="pydicom")


@pytest.mark.parametrize("options", [["--workers", "1", "--timeout-s", "0"], ["--workers", "2"]],
                         ids=["in-process", "worker-pool"])
def test_rle_header_flip_does_not_stop_a_scan(tmp_path, options):
    if _rle_decoder_panics(RLE_HEADER_FLIP) is None:
        pytest.skip("pylibjpeg-rle no longer panics on this fixture")

    status, images, errors = _scan(tmp_path, RLE_HEADER_FLIP, *options)

    assert status == 3
    assert list(images) == ["good.dcm"]
    assert list(errors) == [RLE_HEADER_FLIP.name] and errors[RLE_HEADER_FLIP.name]["error"] == "decode_failed"
    assert "PanicException" in errors[RLE_HEADER_FLIP.name]["message"]


GDCM_CRASHES = pytest.mark.parametrize(
    ("fixture", "gdcm_says", "we_say"),
    [(JPEG_PRECISION_45, "Must downscale data from 45 bits to 16", "sample precision of 45 bits"),
     (JPEG_DHT_FLIP, "gdcm::Exception", "gdcm: not tried, the JPEG header is malformed")],
    ids=["precision-45", "dht-marker-flip"],
)


@GDCM_CRASHES
def test_gdcm_still_kills_the_process_on_the_fixture(fixture, gdcm_says, we_say):
    """The premise of the next tests: python-gdcm crashes the process (run in a child)."""
    code = (f"import pydicom; from pydicom.pixels import pixel_array; "
            f"pixel_array(pydicom.dcmread({str(fixture)!r}), decoding_plugin='gdcm')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    if done.returncode >= 0:
        pytest.skip(f"python-gdcm no longer crashes on this fixture (exit {done.returncode}); "
                    "update docs/decoder-failures.md")
    assert gdcm_says in done.stderr + done.stdout


@GDCM_CRASHES
def test_gdcm_never_sees_the_fixture_in_the_reader(fixture, gdcm_says, we_say):
    # in a child process: should GDCM see this file again, the crash fails this test, not the suite
    code = ("from calcdetect.io import read_mammogram\n"
            "from calcdetect.errors import DecodeError\n"
            "try:\n"
            f"    read_mammogram({str(fixture)!r})\n"
            "except DecodeError as exc:\n"
            "    print(exc.code, exc.message)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, f"the reader died (exit {done.returncode}): {done.stderr[-500:]}"
    assert done.stdout.startswith("decode_failed ") and we_say in done.stdout


@GDCM_CRASHES
def test_gdcm_crasher_is_decode_failed_in_a_scan_not_a_dead_worker(tmp_path, fixture, gdcm_says, we_say):
    status, images, errors = _scan(tmp_path, fixture, "--workers", "2")

    assert status == 3 and list(images) == ["good.dcm"]
    assert errors[fixture.name]["error"] == "decode_failed" and we_say in errors[fixture.name]["message"]


def test_image_that_decodes_to_a_constant_is_analysed(tmp_path):
    assert np.ptp(read_mammogram(J2K_FLAT).pixels) == 0  # the premise: a zeroed span, a flat image

    status, images, errors = _scan(tmp_path, J2K_FLAT, "--workers", "1", "--timeout-s", "0")

    assert status == 0 and errors == {}
    assert images[J2K_FLAT.name]["n_clusters"] == "0" and images[J2K_FLAT.name]["flag"] == "negative"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_carriage_return_in_a_header_value_does_not_split_its_csv_row(tmp_path, workers):
    """csv readers and pandas end a row at a bare CR, which Python's csv writer does not quote
    with "\\n" line ends: the damaged UID once split its images.csv row in two and shifted every
    later cell of it into the wrong column."""
    import pandas as pd

    uid = str(pydicom.dcmread(UID_CR, stop_before_pixels=True).SOPInstanceUID)
    assert "\r" in uid  # the premise: the reader keeps the value as it is (VR UI, invalid)

    status, images, errors = _scan(tmp_path, UID_CR, "--workers", workers)

    assert status == 0 and errors == {} and set(images) == {UID_CR.name, "good.dcm"}
    assert images[UID_CR.name]["sop_instance_uid"] == uid and images[UID_CR.name]["flag"] in ("positive", "negative")
    frame = pd.read_csv(tmp_path / "out" / "images.csv", dtype=str)
    assert len(frame) == 2 and set(frame.sop_instance_uid) == {uid, images["good.dcm"]["sop_instance_uid"]}
