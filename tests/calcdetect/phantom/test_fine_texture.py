"""The breast texture continued above the anatomy grid's Nyquist (calcdetect.phantom.fine_texture)."""

import json

import numpy as np
import pytest

from calcdetect.cli import main
from calcdetect.phantom import make_phantom, write_phantom_set
from calcdetect.phantom.anatomy import make_anatomy
from calcdetect.phantom.fine_texture import fine_texture_field, texture_amplitude
from calcdetect.phantom.sets import read_set_summary


def _ring_power(x, spacing_mm, f_lo, f_hi):
    """Mean Hann-windowed periodogram (value² mm²) over lo <= |f| < hi, computed here without the
    module's helper (the window keeps the anatomy's low-frequency power from leaking upwards)."""
    h, w = x.shape
    win = np.outer(np.hanning(h), np.hanning(w))
    power = np.abs(np.fft.fft2((x - x.mean()) * win)) ** 2 * spacing_mm**2 / (win**2).sum()
    f = np.hypot(np.fft.fftfreq(h, spacing_mm)[:, None], np.fft.fftfreq(w, spacing_mm)[None, :])
    ring = (f >= f_lo) & (f < f_hi)
    return float(power[ring].mean()), float(f[ring].mean())


def test_the_field_has_the_asked_power_law_above_the_cut_and_nothing_far_below():
    amplitude, spacing = 2e-4, 0.07
    field = fine_texture_field(np.random.default_rng(1), (1024, 1024), spacing, amplitude, above_per_mm=2.4)
    for f_lo, f_hi in ((2.6, 3.2), (4.0, 5.0), (6.0, 7.0)):
        p, f = _ring_power(field.astype(np.float64), spacing, f_lo, f_hi)
        assert p == pytest.approx(amplitude * f**-3, rel=0.15)
    below, _ = _ring_power(field.astype(np.float64), spacing, 0.1, 1.1)
    assert below < 1e-3 * amplitude * 1.1**-3  # a window's leakage, no texture


def test_the_amplitude_is_read_back_off_a_field_of_known_spectrum():
    grid_mm = 0.2
    tissue = fine_texture_field(np.random.default_rng(2), (512, 512), grid_mm, 3e-4, above_per_mm=0.02)
    inside_everywhere = np.full(tissue.shape, 100.0, np.float32)
    assert texture_amplitude(tissue, inside_everywhere, grid_mm) == pytest.approx(3e-4, rel=0.25)


def test_a_breast_too_small_to_fit_is_refused_with_the_reason():
    edge = np.zeros((40, 40), np.float32)
    edge[18:22, 18:22] = 1.0  # an interior of four grid pixels
    with pytest.raises(ValueError, match="16 to fit"):
        texture_amplitude(np.zeros((40, 40), np.float32), edge, 0.2)


def test_the_texture_adds_the_missing_band_inside_the_breast_only():
    kw = dict(rows=2000, cols=1600, spacing_mm=0.1, view="CC", density="c")
    plain = make_anatomy(np.random.default_rng(3), **kw)
    fine = make_anatomy(np.random.default_rng(3), texture_rng=np.random.default_rng(4), **kw)
    added = (fine.attenuation - plain.attenuation).astype(np.float64)
    assert plain.fine_texture_amplitude is None and fine.fine_texture_amplitude > 0
    assert np.array_equal(plain.mask, fine.mask)
    assert not added[~plain.mask].any()  # outside the breast: untouched
    r, c = (int(v) for v in np.median(np.nonzero(plain.edge_distance_mm > 15), axis=1))
    square = added[r - 128:r + 128, c - 128:c + 128]
    base = plain.attenuation[r - 128:r + 128, c - 128:c + 128].astype(np.float64)
    p_added, f = _ring_power(square, 0.1, 3.0, 4.5)
    p_plain, _ = _ring_power(base, 0.1, 3.0, 4.5)
    # the added band carries the fitted law
    assert p_added == pytest.approx(fine.fine_texture_amplitude * f**-3, rel=0.3)
    assert p_added > 5 * p_plain  # and the plain anatomy had next to nothing there


def test_off_by_default_and_everything_else_drawn_from_the_seed_is_unchanged():
    plain = make_phantom(seed=8, preset="demo", with_cluster=True, visibility="any")
    again = make_phantom(seed=8, preset="demo", with_cluster=True, visibility="any", fine_texture=False)
    fine = make_phantom(seed=8, preset="demo", with_cluster=True, visibility="any", fine_texture=True)
    assert np.array_equal(plain.stored, again.stored) and "fine_texture" not in plain.truth
    assert fine.truth["fine_texture"]["beta"] == 3.0 and fine.truth["fine_texture"]["amplitude"] > 0
    assert not np.array_equal(plain.stored, fine.stored)
    for key in ("distractors", "view", "density", "sop_instance_uid"):
        assert fine.truth[key] == plain.truth[key]
    # the same lesion in the same place (its members' measured contrast is the texture's to change)
    assert [(k["row"], k["col"]) for k in fine.truth["calcifications"]] == \
        [(k["row"], k["col"]) for k in plain.truth["calcifications"]]


def test_no_band_is_missing_at_the_grid_pixel_so_nothing_is_added():
    plain = make_phantom(seed=9, preset="small-film-mias-like", with_cluster=False)
    fine = make_phantom(seed=9, preset="small-film-mias-like", with_cluster=False, fine_texture=True)
    assert np.array_equal(plain.stored, fine.stored)
    assert fine.truth["fine_texture"]["amplitude"] is None


def test_a_set_records_it_and_is_not_reused_for_a_plain_request(tmp_path):
    fine = write_phantom_set(tmp_path, n=2, seed=4, preset="demo", fine_texture=True)
    summary = json.loads((tmp_path / "set_summary.json").read_text())
    assert summary["fine_texture"] is True
    truth = json.loads(fine[0].with_suffix(".truth.json").read_text())
    assert truth["request"]["fine_texture"] is True
    before = fine[0].read_bytes()
    write_phantom_set(tmp_path, n=2, seed=4, preset="demo", reuse_existing=True)
    assert fine[0].read_bytes() != before  # made again, without the texture
    assert "fine_texture" not in json.loads((tmp_path / "set_summary.json").read_text())


def test_cli_writes_a_fine_texture_set_and_refuses_it_for_a_cohort(tmp_path, capsys):
    assert main(["phantoms", str(tmp_path / "set"), "--n", "1", "--preset", "demo", "--fine-texture"]) == 0
    assert read_set_summary(tmp_path / "set")["fine_texture"] is True
    records = tmp_path / "records.csv"
    records.write_text("patient_id,microcalcification\nP1,1\n")
    assert main(["phantoms", str(tmp_path / "cohort"), "--cohort", str(records), "--fine-texture"]) != 0
    assert "--fine-texture applies to a set" in capsys.readouterr().out
