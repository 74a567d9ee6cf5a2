"""The names of the statistical tests that ``cohort`` reports.

The ``test`` column of ``table1.csv``/``table3.csv`` and ``adjusted.csv``,
the ``reported_test`` of :class:`~cohort.stats.TwoByTwoResult` and
:class:`~cohort.stats_rxc.RxCResult`, and the alternatives the audit lists
all use these names.  :class:`StatTest` is a :class:`~enum.StrEnum` (see
:mod:`calcdetect.vocabulary`): a member is written exactly as its text, and
``StatTest("Fisher")`` accepts the plain string.

>>> StatTest("Yates") == "yates"
True
"""

from __future__ import annotations

from calcdetect.vocabulary import CodedValue

__all__ = ["StatTest"]


class StatTest(CodedValue):
    """A test of association, by the name the tables and the audit print."""

    PEARSON = "pearson"  # Pearson chi-square, no continuity correction
    YATES = "yates"  # chi-square with Yates' continuity correction (2 x 2)
    FISHER = "fisher"  # Fisher's exact test, two-sided (2 x 2)
    FISHER_FREEMAN_HALTON = "fisher-freeman-halton"  # exact test of an R x C table
    LIKELIHOOD_RATIO = "likelihood ratio"  # G-squared
    MANTEL_HAENSZEL = "mantel-haenszel chi2 (continuity corrected)"  # stratified 2 x 2 tables
    WALD = "wald"  # Wald test of a logistic-regression coefficient

    @classmethod
    def _noun(cls) -> str:
        return "test"
