import math

import numpy as np
import pytest

from calcdetect.phantom import PRESETS, make_phantom
from calcdetect.phantom.anatomy import power_law_field
from calcdetect.phantom.lesions import MORPHOLOGIES, draw_cluster


def test_same_seed_gives_identical_pixels_and_truth():
    a = make_phantom(seed=11, preset="small", view="MLO", laterality="R")
    b = make_phantom(seed=11, preset="small", view="MLO", laterality="R")
    assert np.array_equal(a.stored, b.stored)
    assert a.truth == b.truth
    assert a.sop_instance_uid == b.sop_instance_uid


def test_different_seeds_differ():
    a = make_phantom(seed=1, preset="small", with_cluster=True)
    b = make_phantom(seed=2, preset="small", with_cluster=True)
    assert not np.array_equal(a.stored, b.stored)
    assert a.sop_instance_uid != b.sop_instance_uid
    assert a.truth["calcifications"] != b.truth["calcifications"]


def test_stored_values_fit_the_bit_depth():
    for name in ("small", "small-ge-like", "small-siemens-like"):
        ph = make_phantom(seed=3, preset=name)
        assert ph.stored.dtype == np.uint16
        assert ph.stored.shape == (PRESETS[name].rows, PRESETS[name].cols)
        assert int(ph.stored.max()) <= PRESETS[name].max_value
        assert len(np.unique(ph.stored)) > 200  # a real image, not a few levels


def _ring_median(img, r, c, r_in, r_out):
    rr, cc = np.ogrid[: img.shape[0], : img.shape[1]]
    d = np.hypot(rr - r, cc - c)
    return float(np.median(img[(d >= r_in) & (d <= r_out)]))


def test_every_visible_calcification_is_brighter_than_its_surroundings(positive_phantoms):
    n_checked = 0
    for ph in positive_phantoms:
        img = ph.read_pixels()
        for cal in ph.truth["calcifications"]:
            r, c = int(round(cal["row"])), int(round(cal["col"]))
            centre = float(img[r - 1:r + 2, c - 1:c + 2].max())
            background = _ring_median(img, r, c, 5, 10)
            if cal["snr"] >= 4:
                n_checked += 1
                assert centre > background, cal
                # the truth's contrast is the size of the bump actually seen (noise-free vs noisy)
                assert 0.3 * cal["contrast"] < centre - background < 3.0 * cal["contrast"] + 3 * (
                    cal["contrast"] / cal["snr"]), cal
    assert n_checked >= 10


def test_cluster_geometry_follows_the_definition(positive_phantoms):
    for ph in positive_phantoms:
        t = ph.truth
        sp = t["spacing_mm"][0]
        assert t["has_cluster"] and len(t["clusters"]) == 1
        cl = t["clusters"][0]
        members = [c for c in t["calcifications"] if c["cluster_id"] == cl["cluster_id"]]
        assert 3 <= cl["n_calcifications"] == len(members) <= 30
        assert cl["member_ids"] == [c["id"] for c in members]
        assert cl["morphology"] in MORPHOLOGIES
        pts = np.array([[c["row"], c["col"]] for c in members]) * sp
        span = max(np.hypot(*(p - q)) for p in pts for q in pts)
        assert span <= math.sqrt(2) * 10 + 0.6  # fits in 1 cm² (square of 10 mm)
        assert cl["area_mm2"] <= 100.0
        for c in members:
            assert 0.05 <= c["diameter_mm"] <= 0.8  # lesion size scale x morphology sizes, clipped
            assert c["x_mm"] == pytest.approx(c["col"] * sp, abs=1e-3)
            assert c["y_mm"] == pytest.approx(c["row"] * sp, abs=1e-3)
            assert 0 <= c["row"] < t["rows"] and 0 <= c["col"] < t["cols"]
            assert c["contrast"] > 0 and c["snr"] > 0


def test_negatives_have_no_cluster_but_have_distractors(negative_phantom):
    t = negative_phantom.truth
    assert t["has_cluster"] is False
    assert t["clusters"] == [] and t["calcifications"] == []
    assert t["distractors"]


def test_distractor_records_are_well_formed():
    kinds = set()
    for s in range(12):
        t = make_phantom(seed=500 + s, preset="small").truth
        for d in t["distractors"]:
            kinds.add(d["kind"])
            r0, c0, r1, c1 = d["bbox"]
            assert 0 <= r0 <= r1 < t["rows"] and 0 <= c0 <= c1 < t["cols"], d
    assert kinds <= {"vascular_track", "coarse_benign", "skin", "single_speck", "marker", "noise_burst", "vessel"}
    assert {"vessel", "skin", "single_speck", "marker"} <= kinds


def test_truth_has_the_documented_keys(positive_phantoms):
    t = positive_phantoms[0].truth
    for key in ("format", "seed", "preset", "sop_instance_uid", "patient_id", "view", "laterality", "rows", "cols",
                "spacing_mm", "density", "photometric", "presentation_intent", "bits_stored",
                "transfer_syntax_uid", "breast_area_mm2", "has_cluster", "calcifications", "clusters",
                "distractors"):
        assert key in t
    # 1.1: d_prime against total noise, visibility; 1.2: the same at 0.2 mm pixels
    assert t["format"] == "calcdetect-phantom-truth/1.2"
    for key in ("id", "row", "col", "x_mm", "y_mm", "diameter_mm", "contrast", "snr", "shape", "cluster_id",
                "d_prime", "d_prime_0.2mm"):
        assert key in t["calcifications"][0]
    assert "visibility_0.2mm" in t["clusters"][0]


def test_visibility_at_0_2_mm_follows_the_members_coarse_d_prime(positive_phantoms):
    """Area-averaging cannot make a calcification easier to see: d' at 0.2 mm pixels is at most the
    native one, and the cluster's class at 0.2 mm is the rule applied to those values."""
    from calcdetect.phantom.visibility import classify_cluster

    for phantom in positive_phantoms:
        t = phantom.truth
        calcs = t["calcifications"]
        assert all(c["d_prime_0.2mm"] <= c["d_prime"] * 1.001 + 1e-3 for c in calcs)
        if t["spacing_mm"][0] < 0.2:
            assert any(c["d_prime_0.2mm"] < 0.95 * c["d_prime"] for c in calcs)
        for k in t["clusters"]:
            members = [c for c in calcs if c["id"] in k["member_ids"]]
            assert k["visibility_0.2mm"] == classify_cluster([c["d_prime_0.2mm"] for c in members])


def test_right_breast_has_its_chest_wall_on_the_right():
    left = make_phantom(seed=9, preset="small", laterality="L", with_cluster=False).read_pixels()
    right = make_phantom(seed=9, preset="small", laterality="R", with_cluster=False).read_pixels()
    cols = left.shape[1]
    assert left[:, : cols // 4].mean() > left[:, -cols // 4:].mean()
    assert right[:, -cols // 4:].mean() > right[:, : cols // 4].mean()


def test_density_and_mix_presets():
    assert make_phantom(seed=4, preset="small", density="d").truth["density"] == "d"
    drawn = {make_phantom(seed=s, preset="small-mix").truth["preset"] for s in range(8)}
    assert len(drawn) >= 2 and all(p.startswith("small") for p in drawn)


@pytest.mark.parametrize("kwargs, match", [
    ({"view": "ML"}, "view"), ({"laterality": "B"}, "laterality"), ({"density": "e"}, "density"),
    ({"preset": "nope"}, "unknown preset"),
])
def test_bad_arguments_name_the_rule(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_phantom(seed=1, **{"preset": "small", **kwargs})


def test_the_same_lesion_appears_in_both_views():
    # visibility "any": no redraw for a class, so the first lesion of the lesion seed is in both views
    cc = make_phantom(seed=1, preset="small", view="CC", with_cluster=True, lesion_seed=42, visibility="any")
    mlo = make_phantom(seed=2, preset="small", view="MLO", with_cluster=True, lesion_seed=42, visibility="any")
    a, b = cc.truth["clusters"][0], mlo.truth["clusters"][0]
    assert a["morphology"] == b["morphology"] and a["n_calcifications"] == b["n_calcifications"]
    assert sorted(c["diameter_mm"] for c in cc.truth["calcifications"]) == sorted(
        c["diameter_mm"] for c in mlo.truth["calcifications"])


def test_clusters_span_3_to_30_calcifications_and_all_morphologies():
    specs = [draw_cluster(np.random.default_rng(s)) for s in range(300)]
    ns = [len(s.calcs) for s in specs]
    assert min(ns) >= 3 and max(ns) <= 30 and max(ns) >= 15
    assert {s.morphology for s in specs} == set(MORPHOLOGIES)
    scale = [s.size_scale for s in specs]
    assert min(scale) < 0.6 and max(scale) > 1.6  # from a few tiny specks to coarse lesions
    mats = [s.material for s in specs]
    assert 0.05 < mats.count("calcium_oxalate") / len(mats) < 0.35  # mostly hydroxyapatite
    amorphous = [s.material for s in specs if s.morphology == "amorphous"]
    assert amorphous.count("calcium_oxalate") > len(amorphous) / 4


def _spectrum_slope(img: np.ndarray, spacing_mm: float, f_lo: float, f_hi: float) -> float:
    img = img - img.mean()
    h, w = img.shape
    power = np.abs(np.fft.fft2(img * np.outer(np.hanning(h), np.hanning(w)))) ** 2
    f = np.hypot(np.fft.fftfreq(h, spacing_mm)[:, None], np.fft.fftfreq(w, spacing_mm)[None, :])
    edges = np.logspace(np.log10(f_lo), np.log10(f_hi), 12)
    lf, lp = [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (f >= lo) & (f < hi)
        if sel.sum() > 3:
            lf.append(np.log(f[sel].mean()))
            lp.append(np.log(power[sel].mean()))
    return float(np.polyfit(lf, lp, 1)[0])


def test_power_law_field_has_slope_minus_three():
    field = power_law_field(np.random.default_rng(0), (512, 512), spacing_mm=0.2)
    assert _spectrum_slope(field, 0.2, 0.02, 1.0) == pytest.approx(-3.0, abs=0.2)


@pytest.mark.parametrize("seed", [0, 1])
def test_background_of_the_image_has_a_power_law_spectrum(seed):
    ph = make_phantom(seed=seed, preset="demo", view="CC", laterality="L", density="c", with_cluster=False)
    img = ph.read_pixels().astype(np.float64)
    rows, cols = img.shape
    roi = img[rows // 2 - 256: rows // 2 + 256, int(cols * 0.15): int(cols * 0.15) + 512]
    assert roi.min() > np.percentile(img, 50) * 0.5  # inside the breast
    # 0.04..1 cycles/mm: anatomy, not the quantum noise floor
    assert _spectrum_slope(roi, 0.1, 0.04, 1.0) == pytest.approx(-3.0, abs=0.5)
