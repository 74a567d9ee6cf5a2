"""`cohort bias`, and the bias analysis inside `cohort analyze` / `cohort reproduce`, end to end on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cohort.cli import main

REPO = Path(__file__).resolve().parents[3]
RECORDS = REPO / "data" / "cohort" / "records.csv"
OUTPUTS = ("bias.csv", "bias_grid.csv", "bias_grid.png", "evalues.csv", "power.csv", "report.md", "report.html")


def test_cohort_bias_writes_every_output(tmp_path, capsys):
    out = tmp_path / "b"
    argv = ["bias", "--counts", "34,8,22,17", "--se", "0.9", "--sp", "0.95", "--se-beta", "41,3", "--sp-beta", "45,5",
            "--draws", "10000", "--power-simulations", "300", "-o", str(out)]
    assert main(argv) == 0
    assert all((out / name).is_file() for name in OUTPUTS)
    assert (out / "bias_grid.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bias = pd.read_csv(out / "bias.csv")
    simple = bias[bias.analysis == "simple, non-differential"].iloc[0]
    # hand: met+ MC+ = (17 - 0.05 * 25) / 0.85, met- MC+ = (22 - 0.05 * 56) / 0.85
    d, c = 15.75 / 0.85, 19.2 / 0.85
    assert simple.odds_ratio == pytest.approx((56 - c) * d / ((25 - d) * c))
    prob = bias[bias.analysis.str.startswith("probabilistic")]
    assert len(prob) == 2 and set(prob.n_draws) == {10000}
    assert set(bias.columns) >= {"analysis", "odds_ratio", "ci_low", "ci_high", "interval", "n_draws", "n_impossible"}
    grid = pd.read_csv(out / "bias_grid.csv")
    assert len(grid) == 51 * 51 and grid.odds_ratio.isna().any()
    report = (out / "report.md").read_text("utf-8")
    assert "bias_grid.png" in report and "given on the command line" in report
    assert "0.578" in capsys.readouterr().out  # the tipping point, also in the summary


def test_cohort_bias_differential_and_impossible(tmp_path):
    out = tmp_path / "d"
    argv = ["bias", "--counts", "34,8,22,17", "--se-cases", "0.6", "--sp-cases", "0.5", "--se-controls", "0.65",
            "--sp-controls", "0.5", "--power-simulations", "200", "-o", str(out)]
    assert main(argv) == 0
    row = pd.read_csv(out / "bias.csv").query("analysis == 'simple, differential'").iloc[0]
    assert not row.possible and pd.isna(row.odds_ratio) and row.mc_neg_met_pos == pytest.approx(-20)
    assert "impossible" in (out / "report.md").read_text("utf-8")


def test_cohort_bias_reads_accuracy_from_evaluate_metrics(tmp_path):
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"patient": {"n_tp": 30, "n_fn": 10, "n_tn": 38, "n_fp": 2, "auc": 0.8}}))
    out = tmp_path / "m"
    assert main(["bias", "--counts", "34,8,22,17", "--accuracy", str(metrics), "--records", str(RECORDS),
                 "--power-simulations", "200", "-o", str(out)]) == 0
    bias = pd.read_csv(out / "bias.csv")
    assert bias.source.str.contains("calcdetect evaluate").any()
    assert "Beta(31, 11)" in bias.query("analysis.str.startswith('probabilistic')", engine="python").note.iloc[0]
    power = pd.read_csv(out / "power.csv")
    assert set(power.analysis) == {"crude", "stage-adjusted"} and set(power.method) == {"closed form", "simulation"}


@pytest.mark.parametrize("extra, message", [
    (["--se", "0.9", "--sp", "0.9", "--draws", "5000"], "between 10000"),
    (["--se", "0.9", "--sp", "0.9", "--draws", "100000000"], "between 10000"),
    (["--se-cases", "0.9"], "all four"),
    ([], "say how accurate"),
    (["--se", "0.9"], "both --se and --sp"),
    (["--se-beta", "41"], "alpha,beta"),
])
def test_cohort_bias_bad_input_exits_2_with_a_message(tmp_path, caplog, extra, message):
    if "--se-beta" in extra:
        extra = [*extra, "--sp-beta", "45,5"]
    assert main(["bias", "--counts", "34,8,22,17", *extra, "-o", str(tmp_path / "x")]) == 2
    assert message in caplog.text


def test_detector_bias_prefers_the_accuracy_file_to_the_radiologist_reading(tmp_path):
    from cohort.bias.integrate import detector_bias
    from cohort.join import Agreement

    summary = tmp_path / "review.csv"
    summary.write_text("source,tp,fn,tn,fp\nreader review (alice),30,9,38,4\n")
    records = pd.read_csv(RECORDS, dtype=str)
    nan = float("nan")
    agreement = Agreement(n=81, both_positive=34, detector_only=0, radiologist_only=5, both_negative=42,
                          kappa=nan, kappa_ci_low=nan, kappa_ci_high=nan, sensitivity=34 / 39, sensitivity_ci_low=nan,
                          sensitivity_ci_high=nan, specificity=1.0, specificity_ci_low=nan, specificity_ci_high=nan)
    r = detector_bias([[34, 13], [22, 12]], records, agreement=agreement, accuracy_file=summary, n_draws=2000)
    assert r.accuracy.source == "reader review (alice)" and r.accuracy.counts == (30, 9, 38, 4)
    assert r.priors.se_cases.alpha == 31 and r.simple.possible
    r2 = detector_bias([[34, 13], [22, 12]], records, agreement=agreement, n_draws=2000)
    assert r2.accuracy.counts == (34, 5, 42, 0) and "radiologist reading (n = 81" in r2.source
    r3 = detector_bias([[34, 13], [22, 12]], records, n_draws=2000)
    assert r3.simple is None and r3.probabilistic is None and "none available" in r3.source


def _patients(records: pd.DataFrame, flags: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"patient_key": records.patient_id, "n_images": 2, "n_positive_images": 0,
                         "n_clusters": 0, "max_score": 0.0, "flag": flags.values})


@pytest.mark.slow
def test_analyze_with_detector_flags_runs_the_bias_analysis(tmp_path):
    rec = pd.read_csv(RECORDS, dtype=str)
    flags = rec.microcalcification.copy()
    flips = rec.index[(rec.microcalcification == "positive") & (rec.bone_metastasis == "positive")][:5]
    flags.loc[flips] = "negative"  # misses 5 of 39 MC+: SE 34/39, SP 1 against the radiologist
    _patients(rec, flags).to_csv(tmp_path / "patients.csv", index=False)
    out = tmp_path / "rep"
    assert main(["analyze", "--records", str(RECORDS), "--flags", str(tmp_path / "patients.csv"), "-o", str(out)]) == 0
    bias = pd.read_csv(out / "bias.csv")
    simple = bias[bias.analysis == "simple, non-differential"].iloc[0]
    assert simple.se_met_pos == pytest.approx(34 / 39) and simple.sp_met_pos == 1.0
    # detector table [[34, 13], [22, 12]]; hand: MC+ met+ = 12 / (34/39), MC+ met- = 22 / (34/39)
    d, c = 12 * 39 / 34, 22 * 39 / 34
    assert [simple.mc_pos_met_pos, simple.mc_pos_met_neg] == pytest.approx([d, c])
    assert simple.odds_ratio == pytest.approx((56 - c) * d / ((25 - d) * c))
    assert "radiologist reading (n = 81" in simple.source
    evalues = pd.read_csv(out / "evalues.csv")
    assert evalues.estimate.str.contains("stage-adjusted").any() and set(evalues.conversion) == {"sqrt"}
    assert "How much of the association is the detector's?" in (out / "report.md").read_text("utf-8")


@pytest.mark.slow
def test_analyze_with_radiologist_reading_has_no_bias_outputs(tmp_path):
    out = tmp_path / "rad"
    assert main(["analyze", "--records", str(RECORDS), "--mc-source", "radiologist", "-o", str(out)]) == 0
    assert not (out / "bias.csv").exists()


@pytest.mark.slow
def test_reproduce_applies_the_bias_analysis_to_the_paper(tmp_path):
    out = tmp_path / "repro"
    assert main(["reproduce", "-o", str(out)]) == 0
    ev = pd.read_csv(out / "evalues.csv").set_index("estimate")
    printed = ev.loc["crude, as printed in the paper"]
    rr = 3.284 ** 0.5  # common outcome (25/81): square root; hand E-value RR + sqrt(RR (RR - 1))
    assert printed.evalue_estimate == pytest.approx(rr + (rr * (rr - 1)) ** 0.5)
    assert (ev.filter(like="reconstruction", axis=0).evalue_ci == 1.0).all()  # every adjusted CI includes 1
    tips = pd.read_csv(out / "bias.csv").set_index("analysis")
    assert tips.loc["tipping point: se_met_neg", "se_met_neg"] == pytest.approx(22 * 25 / (17 * 56))
    assert "How large would the reading error have to be?" in (out / "report.md").read_text("utf-8")


def test_cohort_bias_zero_cell_is_reported_not_a_crash(tmp_path):
    out = tmp_path / "z"
    assert main(["bias", "--counts", "10,0,5,7", "--se", "0.9", "--sp", "0.95", "--se-beta", "41,3", "--sp-beta", "45,5",
                 "--draws", "10000", "-o", str(out)]) == 0
    bias = pd.read_csv(out / "bias.csv").set_index("analysis")
    # hand: met+ MC+ = (7 - 0.05 * 7) / 0.85 = 7.82 > 7 patients: MC- met+ = -0.82, impossible
    assert bias.loc["simple, non-differential", "mc_neg_met_pos"] == pytest.approx(7 - 6.65 / 0.85)
    assert bias.loc["probabilistic, systematic error", "n_impossible"] == 10000
    assert "not positive and finite" in pd.read_csv(out / "evalues.csv").note.iloc[0]
    assert pd.read_csv(out / "power.csv").method.tolist() == ["not computed"]
