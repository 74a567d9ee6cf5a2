"""Calcification contrast from physics, and d′ against the total noise, checked by hand and by xraydb."""

import json
import math
from importlib import resources

import numpy as np
import pytest

from calcdetect.phantom import make_phantom
from calcdetect.phantom.materials import contrast_mu_per_mm
from calcdetect.phantom.presets import PRESETS, VENDOR_PRESETS
from calcdetect.phantom.visibility import background_spectrum, observer_d_prime


def test_white_noise_d_prime_is_signal_over_sigma():
    # one pixel of +30 quanta in white noise of variance n = 100: d' = 30 / 10 = 3 (no blur, no electronics)
    flat = np.full((64, 64), 100.0)
    spec = background_spectrum(flat, n_mean=100.0, blur_sigma_px=0.0, electronic_noise=0.0)
    delta = np.zeros((5, 5))
    delta[2, 2] = 30.0
    d, d_q = observer_d_prime(delta, spec)
    assert d == pytest.approx(3.0, rel=1e-6) and d_q == pytest.approx(3.0, rel=1e-6)


def test_anatomical_texture_adds_to_the_noise():
    # a background with white texture of variance 100 on top of quantum variance 100: d' = 30 / sqrt(200)
    rng = np.random.default_rng(3)
    textured = 100.0 + 10.0 * rng.standard_normal((128, 128))
    spec = background_spectrum(textured, n_mean=100.0, blur_sigma_px=0.0, electronic_noise=0.0)
    delta = np.zeros((5, 5))
    delta[2, 2] = 30.0
    d, d_q = observer_d_prime(delta, spec)
    assert d_q == pytest.approx(3.0, rel=1e-6)
    assert d == pytest.approx(30.0 / math.sqrt(200.0), rel=0.1)


def test_effective_attenuation_agrees_with_xraydb_at_the_mean_energy():
    xraydb = pytest.importorskip("xraydb", reason="xraydb (test extra) checks the committed beam table")
    table = json.loads(resources.files("calcdetect").joinpath("data/beam_attenuation.json").read_text())
    for beam, b in table["beams"].items():
        e_kev = b["mean_energy_kev"][3]  # behind 50 mm
        mono = xraydb.material_mu("Ca10P6O26H2", e_kev * 1000, density=3.06) / 10
        assert b["hydroxyapatite"][3] == pytest.approx(mono, rel=0.2), beam
        ox = xraydb.material_mu("CaC2O4H2O", e_kev * 1000, density=1.78) / 10
        assert b["calcium_oxalate"][3] == pytest.approx(ox, rel=0.2), beam
        assert 18.0 < e_kev < 24.0, beam  # mammography beams behind a breast


def test_contrast_falls_with_harder_beams_and_lighter_minerals():
    beam = PRESETS["hologic-like"].beam
    ha = contrast_mu_per_mm(beam, "hydroxyapatite", thickness_mm=50, glandular_fraction=0.5)
    ox = contrast_mu_per_mm(beam, "calcium_oxalate", thickness_mm=50, glandular_fraction=0.5)
    assert 0.3 < ox / ha < 0.45  # 1.78 vs 3.06 g/cm³ and fewer Ca atoms per gram
    thick = contrast_mu_per_mm(beam, "hydroxyapatite", thickness_mm=80, glandular_fraction=0.5)
    assert thick < ha  # beam hardening
    mo = contrast_mu_per_mm(PRESETS["fuji-cr-like"].beam, "hydroxyapatite", thickness_mm=50, glandular_fraction=0.5)
    assert mo > ha  # Mo/Mo is softer than W/Rh
    # a 0.1 mm hydroxyapatite calcification: primary contrast 1 - exp(-mu t) ~ 15 %, cf. ~20 % at 19 keV
    assert 0.10 < 1 - math.exp(-ha * 0.1) < 0.22


@pytest.mark.slow
def test_beam_table_is_what_the_script_makes(tmp_path):
    pytest.importorskip("spekpy", reason="spekpy (test extra) regenerates the beam table")
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parents[3] / "scripts" / "make_beam_table.py"
    runpy.run_path(str(script), run_name="not_main")["main"](tmp_path / "t.json")
    made = json.loads((tmp_path / "t.json").read_text())
    committed = json.loads(resources.files("calcdetect").joinpath("data/beam_attenuation.json").read_text())
    assert made == committed


def test_size_and_contrast_go_together_and_truth_carries_the_class():
    ph = make_phantom(seed=21, preset="small", with_cluster=True, visibility="any")
    calcs = ph.truth["calcifications"]
    k = ph.truth["clusters"][0]
    d = np.array([c["diameter_mm"] for c in calcs])
    dp = np.array([c["d_prime"] for c in calcs])
    assert len(calcs) >= 3
    if d.std() > 0.02:  # bigger calcifications are more visible in the same lesion
        assert np.corrcoef(d, dp)[0, 1] > 0.5
    assert all(c["d_prime"] <= c["d_prime_quantum"] * 1.2 for c in calcs)  # anatomy only adds noise
    assert k["visibility"] in ("visible", "subtle", "occult")
    third = sorted(dp, reverse=True)[2]
    assert k["third_d_prime"] == pytest.approx(third, abs=1e-3)


@pytest.mark.parametrize("wanted", ["visible", "subtle", "occult"])
def test_redraw_gives_the_class_asked_for_deterministically(wanted):
    a = make_phantom(seed=40, preset="small-ge-like", with_cluster=True, visibility=wanted)
    b = make_phantom(seed=40, preset="small-ge-like", with_cluster=True, visibility=wanted)
    assert a.truth["clusters"][0]["visibility"] == wanted
    assert a.truth == b.truth and np.array_equal(a.stored, b.stored)


def test_vendor_beams_are_in_the_table():
    for name in VENDOR_PRESETS:
        contrast_mu_per_mm(PRESETS[name].beam, "hydroxyapatite", thickness_mm=45, glandular_fraction=0.3)


def test_d_prime_matches_a_matched_filter_on_the_generators_own_noise():
    """Monte Carlo: noise drawn by acquisition.detect (Poisson limit, blur, electronic noise);
    the prewhitening matched-filter statistic's mean shift over its spread is d'."""
    from calcdetect.phantom.acquisition import Exposure, detect

    size, n_mean = 64, 400.0
    exp = Exposure(quanta_per_pixel=n_mean, scatter=np.zeros((size, size), np.float32),
                   heel=np.ones(size, np.float32), blur_sigma_px=1.0, electronic_noise=5.0)
    yy, xx = np.mgrid[0:size, 0:size]
    delta = np.where((yy - 32) ** 2 + (xx - 32) ** 2 <= 2, 25.0, 0.0)  # a 5-pixel disc, +25 quanta
    spec = background_spectrum(np.full((size, size), n_mean), n_mean=n_mean, blur_sigma_px=1.0, electronic_noise=5.0)
    _, d_expected = observer_d_prime(delta, spec)
    template = np.conj(np.fft.fft2(delta) * spec.mtf) / spec.nps
    rng = np.random.default_rng(5)

    def statistic(mean_quanta):
        x = detect(mean_quanta.astype(np.float32), exp, rng)
        return float(np.real((template * np.fft.fft2(x)).sum())) / size**2

    flat = np.full((size, size), n_mean)
    h0 = np.array([statistic(flat) for _ in range(300)])
    h1 = np.array([statistic(flat + delta) for _ in range(300)])
    d_measured = (h1.mean() - h0.mean()) / np.sqrt((h0.var() + h1.var()) / 2)
    assert 2.0 < d_expected < 8.0
    assert d_measured == pytest.approx(d_expected, rel=0.15)
