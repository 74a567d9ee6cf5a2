"""Digitised screen-film phantoms: the film physics, its distractors, its files (docs/phantom-truth.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from calcdetect.phantom import PRESETS, make_phantom
from calcdetect.phantom.acquisition import Exposure, detect
from calcdetect.phantom.film import FilmChain, characteristic_curve
from calcdetect.phantom.visibility import background_spectrum, observer_d_prime

DDSM = PRESETS["film-ddsm-like"]
SPEC = DDSM.film
LOG10_E = math.log10(math.e)


def _hand_logistic(x: float, od_target: float) -> float:
    """The documented curve, derived again: D = 0.2 + 3.8 / (1 + exp(-k (x - x0))), k = 4 * 3.6 / 3.8."""
    k = 4 * 3.6 / 3.8
    x0 = -math.log((od_target - 0.2) / (4.0 - od_target)) / k
    return 0.2 + 3.8 / (1 + math.exp(-k * (x - x0)))


def test_characteristic_curve_is_monotone_and_spans_base_plus_fog_to_dmax():
    x = np.linspace(-4, 4, 2001)
    d = np.asarray(characteristic_curve(x, spec=SPEC, od_target=1.6), float)
    assert (np.diff(d) >= 0).all()  # never decreasing (float32: flat where it has saturated) ...
    assert (np.diff(d[(x > -2) & (x < 2)]) > 0).all()  # ... and strictly increasing over the useful range
    assert d[0] == pytest.approx(0.2, abs=1e-3) and d[-1] == pytest.approx(4.0, abs=1e-3)  # base + fog .. Dmax
    assert float(characteristic_curve(0.0, spec=SPEC, od_target=1.6)) == pytest.approx(1.6, abs=1e-5)
    for xi in (-1.0, -0.3, 0.0, 0.25, 0.8):
        assert float(characteristic_curve(xi, spec=SPEC, od_target=1.6)) == pytest.approx(
            _hand_logistic(xi, 1.6), abs=1e-4)
    grad = np.gradient(d, x)
    assert grad.max() == pytest.approx(3.6, rel=1e-3)  # gamma: the maximum gradient ...
    assert d[int(np.argmax(grad))] == pytest.approx(2.1, abs=0.01)  # ... at mid-density (0.2 + 4.0) / 2
    # one decade more exposure than the AEC aims at (a fatty column, the skin) is near Dmax: film's narrow latitude
    assert float(characteristic_curve(1.0, spec=SPEC, od_target=1.6)) > 3.5


def _hand_grain(od: float, pitch_mm: float) -> float:
    """Siedentopf (variance ∝ net density) and Selwyn (σ ∝ 1/aperture side), 0.025 at D_net = 1, 50 µm;
    scanner: 2e-5 of full-scale transmittance, i.e. log10(e) * 2e-5 * 10**D in density."""
    grain = 0.025 * (0.05 / pitch_mm) * math.sqrt(od - 0.2)
    scan = LOG10_E * 2e-5 * 10**od
    return math.hypot(grain, scan)


@pytest.mark.parametrize("pitch_mm", [0.05, 0.2])
def test_film_grain_follows_optical_density_as_the_model_says(pitch_mm):
    """A flat film at several densities, no quantum noise: the density noise measured vs the hand formula."""
    chain = FilmChain(spec=SPEC, pitch_mm=pitch_mm, n_ref=1000.0, od_target=1.6, max_value=4095)
    rng = np.random.default_rng(1)
    measured, expected = [], []
    for x in (-0.6, -0.2, 0.2, 0.6, 1.2):  # log10 exposure around the AEC's aim
        n = np.full((256, 256), 1000.0 * 10**x, np.float32)
        od = chain.expose(n, rng)
        stored = np.rint(np.clip(1000.0 * od, 0, 4095))  # the 12-bit scanner: 1000 x density
        d_read = stored / 1000.0
        measured.append(float(d_read.std()))
        expected.append(_hand_grain(float(d_read.mean()), pitch_mm))
    for m, e in zip(measured, expected):
        assert m == pytest.approx(math.sqrt(e**2 + 0.001**2 / 12), rel=0.06)
    assert measured[0] < measured[1] < measured[2] < measured[3]  # grows with density ...
    assert measured[4] > 1.5 * measured[3]  # ... and the scanner's noise takes over in the dark film base


def test_film_noise_in_a_flat_phantom_is_quantum_mottle_plus_grain():
    """Whole chain (Poisson, screen blur, curve, grain, scanner) on a flat field vs the independent sum."""
    size, n_mean, blur_px, od_target = 256, 250.0, 1.2, 1.6
    exposure = Exposure(quanta_per_pixel=n_mean, scatter=np.zeros((size, size), np.float32),
                        heel=np.ones(size, np.float32), blur_sigma_px=blur_px, electronic_noise=0.0,
                        film=FilmChain(spec=SPEC, pitch_mm=0.05, n_ref=n_mean, od_target=od_target, max_value=4095))
    od = exposure.film.expose(detect(np.full((size, size), n_mean, np.float32), exposure, np.random.default_rng(2)),
                              np.random.default_rng(3))
    k = 4 * 3.6 / 3.8
    gradient = k * (od_target - 0.2) * (4.0 - od_target) / 3.8  # dD/dlog10 E of the logistic at D
    noise_gain = 1 / (4 * math.pi * blur_px**2)  # white noise through a Gaussian PSF (continuous limit)
    quantum_od = gradient * LOG10_E * math.sqrt(n_mean * noise_gain) / n_mean
    expected = math.hypot(quantum_od, _hand_grain(od_target, 0.05))
    assert float(od.mean()) == pytest.approx(od_target, abs=0.01)
    assert float(od.std()) == pytest.approx(expected, rel=0.06)


def test_d_prime_on_film_matches_a_matched_filter_on_the_generators_own_film_noise():
    """The visibility model's film noise (grain as white noise through the curve's slope) is the noise drawn."""
    size, n_mean, blur_px = 64, 250.0, 1.2
    chain = FilmChain(spec=SPEC, pitch_mm=0.05, n_ref=n_mean, od_target=1.6, max_value=4095)
    exposure = Exposure(quanta_per_pixel=n_mean, scatter=np.zeros((size, size), np.float32),
                        heel=np.ones(size, np.float32), blur_sigma_px=blur_px, electronic_noise=0.0, film=chain)
    yy, xx = np.mgrid[0:size, 0:size]
    delta = np.where((yy - 32) ** 2 + (xx - 32) ** 2 <= 2, -25.0, 0.0)  # a calcification: fewer quanta
    spec = background_spectrum(np.full((size, size), n_mean), n_mean=n_mean, blur_sigma_px=blur_px,
                               electronic_noise=exposure.white_sigma(n_mean))
    _, d_expected = observer_d_prime(delta, spec)
    template = np.conj(np.fft.fft2(delta) * spec.mtf) / spec.nps
    slope = float(chain.density(n_mean * 1.001) - chain.density(n_mean * 0.999)) / (0.002 * n_mean)
    rng = np.random.default_rng(5)

    def statistic(mean_quanta):
        od = chain.expose(detect(mean_quanta.astype(np.float32), exposure, rng), rng)
        return float(np.real((template * np.fft.fft2(od / slope)).sum())) / size**2

    flat = np.full((size, size), n_mean)
    h0 = np.array([statistic(flat) for _ in range(250)])
    h1 = np.array([statistic(flat + delta) for _ in range(250)])
    d_measured = abs(h1.mean() - h0.mean()) / np.sqrt((h0.var() + h1.var()) / 2)
    assert 2.0 < d_expected < 8.0
    assert d_measured == pytest.approx(d_expected, rel=0.15)


# --- film phantoms: distractors, sharpness, files -------------------------------------------------------------

@pytest.fixture(scope="module")
def ddsm_phantoms():
    """Small 0.05 mm film phantoms, each with a visible cluster, both lateralities."""
    return [make_phantom(seed=40 + s, preset="small-film-ddsm-like", with_cluster=True, visibility="visible",
                         laterality="LR"[s % 2], view=("CC", "MLO")[s // 2 % 2]) for s in range(12)]


def _ring(img, r, c, r_in, r_out):
    """Median and robust sigma of the pixels between r_in and r_out from (r, c)."""
    r0, c0 = max(r - r_out, 0), max(c - r_out, 0)
    win = img[r0:r + r_out + 1, c0:c + r_out + 1]
    rr, cc = np.ogrid[: win.shape[0], : win.shape[1]]
    d = np.hypot(rr + r0 - r, cc + c0 - c)
    v = win[(d >= r_in) & (d <= r_out)]
    med = float(np.median(v))
    return med, float(1.4826 * np.median(np.abs(v - med)))


def _inside(img, r, c, margin=10):
    return margin <= r < img.shape[0] - margin and margin <= c < img.shape[1] - margin


def test_film_distractors_are_in_the_truth_and_in_the_pixels_where_it_says(ddsm_phantoms):
    seen = set()
    checked = {"dust": 0, "scratch": 0, "scanner_line": 0, "film_label": 0}
    for ph in ddsm_phantoms:
        img = ph.read_pixels()
        for d in ph.truth["distractors"]:
            seen.add(d["kind"])
            r0, c0, r1, c1 = d["bbox"]
            assert 0 <= r0 <= r1 < img.shape[0] and 0 <= c0 <= c1 < img.shape[1], d
            sign = 1 if d.get("polarity") == "bright" else -1
            if d["kind"] == "dust" and d["opacity"] >= 0.6 and d["diameter_mm"] >= 1.6 * DDSM.spacing_mm:
                # (a smaller or fainter speck spread over 4 pixels can be lost in the grain, as on real film)
                r, c = int(round(d["row"])), int(round(d["col"]))
                bg, sigma = _ring(img, r, c, 5, 9)
                if not _inside(img, r, c) or bg < 1000:  # in the breast (OD < 3.1), not the noisy film base
                    continue
                extreme = img[r0:r1 + 1, c0:c1 + 1].max() if sign > 0 else img[r0:r1 + 1, c0:c1 + 1].min()
                assert sign * (extreme - bg) > 2.5 * sigma, d
                checked["dust"] += 1
            elif d["kind"] == "scratch" and d["opacity"] >= 0.5:
                pts = np.array(d["path_rc"])
                on, off = [], []
                for (ra, ca), (rb, cb) in zip(pts[:-1], pts[1:]):
                    nr, nc = cb - ca, -(rb - ra)  # a normal to the segment
                    norm = math.hypot(nr, nc) or 1.0
                    r, c = int(round((ra + rb) / 2)), int(round((ca + cb) / 2))
                    ro, co = int(round(r + 6 * nr / norm)), int(round(c + 6 * nc / norm))
                    if _inside(img, r, c, 2) and _inside(img, ro, co, 2):
                        on.append(img[r - 1:r + 2, c - 1:c + 2].max() if sign > 0 else img[r - 1:r + 2, c - 1:c + 2].min())
                        off.append(img[ro, co])
                if len(on) >= 5:
                    assert sign * (np.median(on) - np.median(off)) > 0, d
                    checked["scratch"] += 1
            elif d["kind"] == "scanner_line":
                line = img[r0:r1 + 1, c0:c1 + 1]
                if d["subkind"] == "row":
                    beside = img[max(r0 - 3, 0):r0, :] if r0 >= 3 else img[r1 + 1:r1 + 4, :]
                    assert r1 - r0 < 2 and c0 == 0 and c1 == img.shape[1] - 1
                else:
                    beside = img[:, max(c0 - 3, 0):c0] if c0 >= 3 else img[:, c1 + 1:c1 + 4]
                    assert c1 - c0 < 2 and r0 == 0 and r1 == img.shape[0] - 1
                assert sign * (np.mean(line) - np.mean(beside)) > 0, d
                checked["scanner_line"] += 1
            elif d["kind"] == "film_label" and d["subkind"] == "id_blocker":
                assert img[r0:r1 + 1, c0:c1 + 1].mean() > np.percentile(img, 90), d  # clear film, dark print
                checked["film_label"] += 1
    assert {"dust", "vessel"} <= seen
    assert checked["dust"] >= 10 and checked["scratch"] >= 1 and checked["scanner_line"] >= 1, checked


def _neighbour_ratio(img, r, c):
    """(mean of the 4 neighbours - background) / (peak - background) at the brightest pixel near (r, c):
    about exp(-1 / (2 sigma²)) or more for anything blurred by a Gaussian PSF of sigma pixels."""
    win = img[r - 2:r + 3, c - 2:c + 3]
    pr, pc = np.unravel_index(int(np.argmax(win)), win.shape)
    pr, pc = pr + r - 2, pc + c - 2
    bg, sigma = _ring(img, pr, pc, 5, 9)
    peak = img[pr, pc] - bg
    nb = np.mean([img[pr - 1, pc], img[pr + 1, pc], img[pr, pc - 1], img[pr, pc + 1]]) - bg
    return nb / peak, peak / max(sigma, 1e-6)


def test_a_dust_speck_is_sharper_than_the_system_psf_and_a_calcification_is_not(ddsm_phantoms):
    psf_sigma_px = DDSM.blur_sigma_mm / DDSM.spacing_mm  # 1.2 px: screen + scanner optics
    psf_ratio = math.exp(-1 / (2 * psf_sigma_px**2))  # 0.71: a point through the PSF, centred on a pixel
    specks, calcs = [], []
    for ph in ddsm_phantoms:
        img = ph.read_pixels()
        for d in ph.truth["distractors"]:
            r, c = int(round(d["row"])), int(round(d["col"]))
            if d["kind"] == "dust" and d["polarity"] == "bright" and d["opacity"] >= 0.5 and _inside(img, r, c):
                ratio, snr = _neighbour_ratio(img, r, c)
                if snr >= 10:
                    specks.append(ratio)
        for k in ph.truth["calcifications"]:
            if k["d_prime"] >= 8:
                calcs.append(_neighbour_ratio(img, int(round(k["row"])), int(round(k["col"])))[0])
    assert len(specks) >= 15 and len(calcs) >= 10
    assert max(specks) < psf_ratio and np.median(specks) < 0.5  # sharper than anything the chain can image
    assert np.median(calcs) > psf_ratio  # calcifications go through the screen


@pytest.fixture(scope="module")
def mias_full():
    """A full-size 0.2 mm, 8-bit film (1024 x 1024, about a second): room for labels beside the breast."""
    return make_phantom(seed=13, preset="film-mias-like", with_cluster=True, visibility="visible", laterality="R",
                        view="MLO")


@pytest.mark.parametrize("preset, sop_class, bits_allocated, spacing_source", [
    ("small-film-ddsm-like", "1.2.840.10008.5.1.4.1.1.7", 16, "PixelSpacing"),
    ("film-mias-like", "1.2.840.10008.5.1.4.1.1.7", 8, "PixelSpacing"),
    ("small-film-16bit-like", "1.2.840.10008.5.1.4.1.1.1.2", 16,
     "ImagerPixelSpacing/EstimatedRadiographicMagnificationFactor"),
])
def test_film_dicom_reads_back_with_its_spacing_and_polarity(tmp_path, mias_full, preset, sop_class, bits_allocated,
                                                              spacing_source):
    import pydicom

    from calcdetect.io import read_mammogram
    from calcdetect.phantom import write_phantom

    ph = mias_full if preset == "film-mias-like" else make_phantom(seed=3, preset=preset, with_cluster=True,
                                                                  laterality="R", view="MLO")
    p = ph.preset
    dcm, _ = write_phantom(ph, tmp_path, "film")
    ds = pydicom.dcmread(dcm)
    assert ds.SOPClassUID == sop_class and ds.Modality == "MG"
    assert (ds.BitsAllocated, ds.BitsStored) == (bits_allocated, p.bits_stored)
    assert ds.PhotometricInterpretation == p.photometric
    if sop_class.endswith(".7"):  # Secondary Capture of digitised film: no acquisition or detector attributes
        assert ds.ConversionType == "DF"
        for absent in ("PresentationIntentType", "DetectorType", "KVP", "ImagerPixelSpacing", "ManufacturerModelName"):
            assert absent not in ds
    else:
        assert ds.DetectorType == "FILM"
    m = read_mammogram(dcm)
    assert m.spacing_mm == pytest.approx((p.spacing_mm, p.spacing_mm)) and m.spacing_source == spacing_source
    assert (m.view, m.laterality) == ("MLO", "R")
    np.testing.assert_array_equal(m.pixels, ph.read_pixels())
    # polarity: read as denser = brighter, the breast is brighter than the dark film around it
    sd = ph.truth["spacing_mm"][0]
    breast = m.pixels[:, -int(20 / sd):]  # right breast: chest wall on the right
    film_base = m.pixels[:, : int(5 / sd)]
    assert np.median(breast) > np.percentile(film_base, 95)


def test_a_film_with_only_the_nominal_scanned_pixel_spacing_reads(tmp_path):
    import pydicom

    from calcdetect.io import read_mammogram
    from calcdetect.phantom import write_phantom

    dcm, _ = write_phantom(make_phantom(seed=4, preset="small-film-ddsm-like"), tmp_path, "film")
    ds = pydicom.dcmread(dcm)
    del ds.PixelSpacing
    assert [float(v) for v in ds.NominalScannedPixelSpacing] == [0.05, 0.05]
    ds.save_as(tmp_path / "nominal.dcm")
    m = read_mammogram(tmp_path / "nominal.dcm")
    assert m.spacing_mm == pytest.approx((0.05, 0.05)) and m.spacing_source == "NominalScannedPixelSpacing"


def test_labels_lie_beside_the_breast_away_from_the_chest_wall(mias_full):
    img = mias_full.read_pixels()
    labels = [d for d in mias_full.truth["distractors"] if d["kind"] == "film_label"]
    assert {d["subkind"] for d in labels} == {"id_blocker", "lead_marker"}
    for d in labels:
        r0, c0, r1, c1 = d["bbox"]
        assert c1 < img.shape[1] // 2  # right breast: chest wall on the right, labels on the left
        if d["subkind"] == "id_blocker":
            box = img[r0:r1 + 1, c0:c1 + 1]
            assert np.median(box) > 0.9 * img.max()  # clear film ...
            assert (box < 0.5 * img.max()).mean() > 0.02  # ... with dark print on it


@pytest.mark.parametrize("preset", ["small-film-ddsm-like", "small-film-mias-like", "small-film-16bit-like"])
def test_visible_film_calcifications_are_brighter_than_their_surroundings_where_the_truth_says(preset):
    ph = make_phantom(seed=12, preset=preset, with_cluster=True, visibility="visible")
    img = ph.read_pixels()
    cluster = ph.truth["clusters"][0]
    assert cluster["visibility"] == "visible" and cluster["third_d_prime"] >= 6
    sd = ph.truth["spacing_mm"][0]
    r_in, r_out = max(2, int(round(0.5 / sd))), max(4, int(round(1.0 / sd)))
    strong = [c for c in ph.truth["calcifications"] if c["d_prime"] >= 6]
    assert len(strong) >= 3
    for cal in strong:
        r, c = int(round(cal["row"])), int(round(cal["col"]))
        centre = float(img[r - 1:r + 2, c - 1:c + 2].max())
        background, _ = _ring(img, r, c, r_in, r_out)
        assert centre > background, cal
        assert 0.3 * cal["contrast"] < centre - background < 3.0 * cal["contrast"] + 3 * cal["contrast"] / cal["snr"]


def test_film_phantoms_are_deterministic_per_seed_and_carry_their_film_in_the_truth():
    from calcdetect.evaluation.truth_record import PhantomTruth

    a = make_phantom(seed=31, preset="small-film-mix", with_cluster=True)
    b = make_phantom(seed=31, preset="small-film-mix", with_cluster=True)
    c = make_phantom(seed=32, preset="small-film-mix", with_cluster=True)
    assert np.array_equal(a.stored, b.stored) and a.truth == b.truth
    assert not np.array_equal(a.stored, c.stored) if a.stored.shape == c.stored.shape else True
    film = a.truth["film"]
    assert film["characteristic_curve"]["d_min"] == 0.2 and 1.3 <= film["characteristic_curve"]["od_target"] <= 1.9
    record = PhantomTruth.from_dict(a.truth, name="film")  # the frozen record keeps the film block
    assert record.get("film") == film and record.to_dict()["film"] == film


def test_a_film_mix_set_says_which_presets_it_drew(tmp_path, capsys):
    import json

    from calcdetect.cli import main

    assert main(["phantoms", str(tmp_path), "--n", "6", "--seed", "5", "--preset", "small-film-mix"]) == 0
    summary = json.loads((tmp_path / "set_summary.json").read_text())
    assert summary["preset_requested"] == "small-film-mix" and sum(summary["preset_counts"].values()) == 6
    assert set(summary["preset_counts"]) <= {"small-film-ddsm-like", "small-film-mias-like", "small-film-16bit-like"}
    assert "presets (small-film-mix)" in capsys.readouterr().out


def test_a_normal_film_can_hold_a_vascular_tram_track_and_stays_normal():
    ph = make_phantom(seed=2, preset="small-film-ddsm-like", with_cluster=False)
    tracks = [d for d in ph.truth["distractors"] if d["kind"] == "vascular_track"]
    assert ph.truth["has_cluster"] is False and ph.truth["clusters"] == [] and ph.truth["calcifications"] == []
    assert len(tracks) == 1 and 0.3 <= tracks[0]["calcified_fraction"] <= 0.8
    img = ph.read_pixels()
    r0, c0, r1, c1 = tracks[0]["bbox"]
    box = img[r0:r1 + 1, c0:c1 + 1]
    noise = float(np.median(np.abs(np.diff(box, axis=1)))) / 0.954  # robust pixel noise (MAD of differences)
    assert np.percentile(box, 99.5) - np.median(box) > 5 * noise  # the dashes stand out of the tissue
