"""A vendor's presentation processing of the phantoms: linear, invertible, only where a vendor applies it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from calcdetect.cli import main
from calcdetect.phantom import make_phantom
from calcdetect.phantom.presentation import PRESENTATION_PROCESSING, enhance, process_presentation
from calcdetect.phantom.sets import _request, read_set_summary, write_phantom_set

RECIPES = [name for name in PRESENTATION_PROCESSING if name != "none"]


@pytest.mark.parametrize("recipe", RECIPES)
def test_processing_is_linear_up_to_a_constant(recipe):
    """So the ideal observer's d' -- the truth's visibility -- is that of the image before it (the
    median of the ``multiscale`` recipe's trend band only shifts the whole image)."""
    rng = np.random.default_rng(3)
    a = rng.normal(1000, 50, (256, 200)).astype(np.float32)
    b = rng.normal(0, 20, (256, 200)).astype(np.float32)
    residual = enhance(a + 3 * b, spacing_mm=0.1, recipe=recipe) - enhance(a, spacing_mm=0.1, recipe=recipe) \
        - 3 * enhance(b, spacing_mm=0.1, recipe=recipe)
    assert float(np.ptp(residual)) < 1e-2 * float(np.abs(3 * b).max())


@pytest.mark.parametrize("recipe", RECIPES)
def test_processing_is_invertible(recipe):
    """Its transfer function (the spectrum of its impulse response) is at least 0.5 at every
    frequency: nothing is removed that a prewhitening observer could use."""
    impulse = np.zeros((512, 512), np.float32)
    impulse[256, 256] = 1.0
    response = enhance(impulse, spacing_mm=0.1, recipe=recipe)
    gain = np.abs(np.fft.fft2(np.fft.ifftshift(response)))
    assert gain.min() >= 0.45
    assert gain.max() > 1.5  # and it does enhance detail


def test_none_is_the_image_and_an_unknown_recipe_is_refused():
    stored = np.arange(12, dtype=np.uint16).reshape(3, 4)
    assert process_presentation(stored, spacing_mm=0.1, max_value=4095, recipe="none") is stored
    with pytest.raises(ValueError, match="presentation_processing must be one of none, usm, multiscale"):
        process_presentation(stored, spacing_mm=0.1, max_value=4095, recipe="sharpen")
    with pytest.raises(ValueError, match="presentation_processing must be one of"):
        make_phantom(seed=1, preset="small", presentation_processing="sharpen")


def test_a_presentation_phantom_is_processed_with_the_same_truth():
    plain = make_phantom(seed=5, preset="small", with_cluster=True)
    processed = make_phantom(seed=5, preset="small", with_cluster=True, presentation_processing="usm")
    assert plain.preset.presentation_intent == "FOR PRESENTATION"
    assert not np.array_equal(plain.stored, processed.stored)
    assert processed.stored.dtype == np.uint16 and int(processed.stored.max()) <= plain.preset.max_value
    assert processed.truth["presentation_processing"] == "usm"
    assert "presentation_processing" not in plain.truth
    for key in ("calcifications", "clusters", "distractors"):
        assert processed.truth[key] == plain.truth[key]
    # the burned-in label is drawn after the processing, as a modality burns it in: as bright as before
    bright = plain.stored == plain.stored.max()
    assert np.array_equal(processed.stored[bright], plain.stored[bright])


@pytest.mark.parametrize("preset", ["small-siemens-like", "small-film-mias-like"])
def test_raw_and_film_images_are_left_as_they_are(preset):
    plain = make_phantom(seed=5, preset=preset, with_cluster=False)
    asked = make_phantom(seed=5, preset=preset, with_cluster=False, presentation_processing="multiscale")
    assert np.array_equal(plain.stored, asked.stored)
    assert "presentation_processing" not in asked.truth


def test_a_set_records_the_processing_and_a_cache_of_plain_images_is_not_reused(tmp_path):
    write_phantom_set(tmp_path, n=2, seed=9, preset="small")
    plain = (tmp_path / "phantom_0000.dcm").read_bytes()
    write_phantom_set(tmp_path, n=2, seed=9, preset="small", reuse_existing=True,
                      presentation_processing="multiscale")
    assert (tmp_path / "phantom_0000.dcm").read_bytes() != plain
    assert read_set_summary(tmp_path)["presentation_processing"] == "multiscale"
    truth = json.loads((tmp_path / "phantom_0000.truth.json").read_text())
    assert truth["request"]["presentation_processing"] == "multiscale"
    # a set without it asks what older caches asked: no new key
    assert "presentation_processing" not in _request({"preset": "small", "presentation_processing": "none"})


def test_cli_writes_a_processed_set_and_refuses_it_for_a_cohort(tmp_path, capsys):
    assert main(["phantoms", str(tmp_path / "set"), "--n", "1", "--preset", "small",
                 "--presentation-processing", "usm"]) == 0
    assert read_set_summary(tmp_path / "set")["presentation_processing"] == "usm"
    records = tmp_path / "records.csv"
    records.write_text("patient_id,microcalcification\nP1,1\n")
    assert main(["phantoms", str(tmp_path / "cohort"), "--cohort", str(records),
                 "--presentation-processing", "usm"]) != 0
    assert "--presentation-processing applies to a set" in capsys.readouterr().out
