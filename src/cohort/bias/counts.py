"""The observed 2 x 2 table and the classification accuracy of the microcalcification reading.

The command line takes the table as four counts in the order of the paper's
Table 3 read row by row::

    MC− met−, MC− met+, MC+ met−, MC+ met+        e.g. 34,8,22,17 (OR 3.284)

In bias-analysis terms microcalcification (MC) is the *exposure*, which the
detector (or a reader) may misclassify, and bone metastasis (met) the
*outcome*: "cases" are metastasis-positive patients, "controls" metastasis-
negative ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Counts", "Accuracy", "BetaPrior", "parse_counts"]


@dataclass(frozen=True)
class Counts:
    """A 2 x 2 table MC x metastasis; cells may be non-integer (a corrected table).

    Attributes
    ----------
    mc_neg_met_neg, mc_neg_met_pos, mc_pos_met_neg, mc_pos_met_pos : float
        The four cells, in the command line's order.
    """

    mc_neg_met_neg: float
    mc_neg_met_pos: float
    mc_pos_met_neg: float
    mc_pos_met_pos: float

    @property
    def cells(self) -> tuple[float, float, float, float]:
        """The four cells in the command line's order."""
        return (self.mc_neg_met_neg, self.mc_neg_met_pos, self.mc_pos_met_neg, self.mc_pos_met_pos)

    @property
    def n(self) -> float:
        return float(sum(self.cells))

    @property
    def n_cases(self) -> float:
        """Metastasis-positive patients (the outcome's cases)."""
        return self.mc_neg_met_pos + self.mc_pos_met_pos

    @property
    def n_controls(self) -> float:
        """Metastasis-negative patients."""
        return self.mc_neg_met_neg + self.mc_pos_met_neg

    @property
    def outcome_prevalence(self) -> float:
        """Share of patients with the outcome (metastasis)."""
        return self.n_cases / self.n if self.n else math.nan

    def table(self) -> list[list[float]]:
        """``[[MC− met−, MC− met+], [MC+ met−, MC+ met+]]``, the layout of the paper's Table 3."""
        return [[self.mc_neg_met_neg, self.mc_neg_met_pos], [self.mc_pos_met_neg, self.mc_pos_met_pos]]

    def odds_ratio(self) -> float:
        """``ad / bc``; ``inf`` or 0 with a zero cell, NaN when both products are zero."""
        num = self.mc_neg_met_neg * self.mc_pos_met_pos
        den = self.mc_neg_met_pos * self.mc_pos_met_neg
        if den == 0:
            return math.inf if num > 0 else math.nan
        return num / den

    def woolf_se(self) -> float:
        """Standard error of log OR, ``sqrt(1/a + 1/b + 1/c + 1/d)``; NaN with a cell <= 0."""
        if min(self.cells) <= 0:
            return math.nan
        return math.sqrt(sum(1.0 / x for x in self.cells))

    def as_text(self, decimals: int = 2) -> str:
        """``"34,8,22,17"`` (integers) or the cells rounded to ``decimals``."""
        if all(float(x).is_integer() for x in self.cells):
            return ",".join(str(int(x)) for x in self.cells)
        return ",".join(f"{x:.{decimals}f}" for x in self.cells)


def parse_counts(text: str) -> Counts:
    """Parse ``"A,B,C,D"`` (MC− met−, MC− met+, MC+ met−, MC+ met+).

    Examples
    --------
    >>> parse_counts("34,8,22,17").odds_ratio()  # doctest: +ELLIPSIS
    3.284...
    """
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 4:
        raise ValueError(
            f"--counts needs four comma-separated counts MC-met-,MC-met+,MC+met-,MC+met+ (e.g. 34,8,22,17), got {text!r}"
        )
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"--counts must be whole numbers, got {text!r}") from None
    if any(v < 0 for v in values):
        raise ValueError(f"--counts must not be negative, got {text!r}")
    if sum(values) == 0:
        raise ValueError(f"--counts are all zero: {text!r}")
    return Counts(*values)


def _check_probability(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0 or math.isnan(value):
        raise ValueError(f"{name} must be a probability between 0 and 1, got {value!r}")
    return value


@dataclass(frozen=True)
class Accuracy:
    """Sensitivity and specificity of the MC reading, among cases and among controls.

    Non-differential when the two groups share the values. ``source`` says
    where the values come from (given on the command line, ``calcdetect
    evaluate`` on phantoms, a reader's review, the records' radiologist
    reading), ``counts`` the confusion counts behind them where known
    (``tp, fn, tn, fp``).
    """

    se_cases: float
    sp_cases: float
    se_controls: float
    sp_controls: float
    source: str = "given"
    counts: tuple[int, int, int, int] | None = None

    def __post_init__(self) -> None:
        for name in ("se_cases", "sp_cases", "se_controls", "sp_controls"):
            _check_probability(name, getattr(self, name))

    @classmethod
    def nondifferential(cls, se: float, sp: float, *, source: str = "given",
                        counts: tuple[int, int, int, int] | None = None) -> Accuracy:
        """The same sensitivity and specificity among cases and controls."""
        return cls(se, sp, se, sp, source=source, counts=counts)

    @property
    def differential(self) -> bool:
        return (self.se_cases, self.sp_cases) != (self.se_controls, self.sp_controls)

    def describe(self) -> str:
        """``"SE 0.800, SP 0.950"`` or the four values when differential."""
        if not self.differential:
            return f"SE {self.se_cases:.3f}, SP {self.sp_cases:.3f}"
        return (f"SE {self.se_cases:.3f} / {self.se_controls:.3f}, SP {self.sp_cases:.3f} / {self.sp_controls:.3f} "
                "(metastasis + / −)")


@dataclass(frozen=True)
class BetaPrior:
    """A beta distribution for a sensitivity or specificity.

    From confusion counts with a uniform prior: SE ~ Beta(TP + 1, FN + 1),
    SP ~ Beta(TN + 1, FP + 1) (:meth:`from_counts`).
    """

    alpha: float
    beta: float

    def __post_init__(self) -> None:
        if not (self.alpha > 0 and self.beta > 0) or math.isinf(self.alpha) or math.isinf(self.beta):
            raise ValueError(f"beta distribution parameters must be positive and finite, got ({self.alpha}, {self.beta})")

    @classmethod
    def from_counts(cls, successes: int, failures: int) -> BetaPrior:
        """Beta(successes + 1, failures + 1): the posterior of a proportion under a uniform prior."""
        if successes < 0 or failures < 0:
            raise ValueError(f"counts must not be negative, got {successes}, {failures}")
        return cls(successes + 1.0, failures + 1.0)

    @classmethod
    def parse(cls, text: str) -> BetaPrior:
        """``"a,b"`` -> Beta(a, b)."""
        parts = str(text).split(",")
        if len(parts) != 2:
            raise ValueError(f"a beta distribution is given as 'alpha,beta' (e.g. 41,3), got {text!r}")
        try:
            return cls(float(parts[0]), float(parts[1]))
        except ValueError as exc:
            raise ValueError(f"a beta distribution is given as 'alpha,beta' with positive numbers, got {text!r}") from exc

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    def describe(self) -> str:
        return f"Beta({self.alpha:g}, {self.beta:g})"
