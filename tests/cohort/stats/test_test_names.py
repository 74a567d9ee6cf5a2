"""The statistical tests' names: a StrEnum that the tables write as plain text."""

from __future__ import annotations

import pandas as pd
import pytest

from cohort.adjusted import adjusted_estimates
from cohort.stats import analyze_2x2, analyze_rxc
from cohort.vocabulary import StatTest


def test_plain_names_are_accepted():
    assert StatTest("Fisher") is StatTest.FISHER
    assert StatTest(" fisher-freeman-halton ") is StatTest.FISHER_FREEMAN_HALTON
    assert StatTest("likelihood ratio") is StatTest.LIKELIHOOD_RATIO


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"test must be one of 'pearson', 'yates', 'fisher'.*got 'anova'"):
        StatTest("anova")


def test_the_reported_test_is_a_member_equal_to_its_name():
    # 2 x 2 with all expected counts >= 5: the SPSS rule reports Yates' chi-square
    r = analyze_2x2([[34, 8], [22, 17]])
    assert r.reported_test is StatTest.YATES and r.reported_test == "yates"
    # a cell expected below 5: Fisher's exact test
    assert analyze_2x2([[1, 9], [8, 2]]).reported_test is StatTest.FISHER
    assert analyze_2x2([[34, 8], [22, 17]], rule="pearson").reported_test is StatTest.PEARSON
    assert analyze_rxc([[17, 6], [19, 28], [0, 4], [6, 1]]).reported_test is StatTest.FISHER_FREEMAN_HALTON


def test_the_test_column_is_written_as_plain_text(tmp_path):
    rows = [(mc, met, stage) for stage in ("I", "II") for mc in ("negative", "positive")
            for met in ("negative", "positive") for _ in range(6 + (mc == met) * 4)]
    data = pd.DataFrame(rows, columns=["microcalcification", "bone_metastasis", "stage"])
    table = adjusted_estimates(data, mc_column="microcalcification", outcome="bone_metastasis", stratum="stage")
    table.to_csv(tmp_path / "adjusted.csv", index=False)
    written = pd.read_csv(tmp_path / "adjusted.csv").set_index("analysis")["test"]
    assert written["crude"] == "yates"
    assert written["mantel-haenszel"] == "mantel-haenszel chi2 (continuity corrected)"
    assert set(written["logistic"]) == {"wald"}
