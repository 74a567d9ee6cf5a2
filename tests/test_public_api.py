"""The public faces of both packages: every advertised name resolves, and the README's examples run."""

from __future__ import annotations

from pathlib import Path

import pytest

import calcdetect
import cohort

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "phantoms"


@pytest.mark.parametrize("package", [calcdetect, cohort])
def test_every_public_name_resolves(package):
    for name in package.__all__:
        assert getattr(package, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        package.nonexistent  # noqa: B018


def test_calcdetect_example_runs_on_a_committed_sample(tmp_path):
    from calcdetect import DetectorConfig, detect, detect_mammogram, read_mammogram, scan_folder

    mammogram = read_mammogram(SAMPLES / "small_pos_LCC.dcm")
    result = detect_mammogram(mammogram)
    assert isinstance(result, calcdetect.ImageResult) and result.flag == (result.score >= DetectorConfig().image_threshold)
    # the same as the array call with what the header says (a digital image here)
    same = detect(mammogram.pixels, spacing_mm=mammogram.spacing_mm, view=mammogram.view, config=DetectorConfig(),
                  digitised_film=mammogram.digitised_film)
    assert (same.score, len(same.calcifications)) == (result.score, len(result.calcifications))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.dcm").write_bytes((SAMPLES / "small_pos_LCC.dcm").read_bytes())
    summary = scan_folder(tmp_path / "in", tmp_path / "out", overlays=False)
    assert summary.n_images == 1 and summary.n_errors == 0


def test_cohort_example_gives_the_papers_headline():
    from cohort import analyze_2x2

    result = analyze_2x2([[34, 8], [22, 17]])
    assert round(result.odds_ratio.estimate, 3) == 3.284
