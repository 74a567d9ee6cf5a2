"""cohort.bias against published worked examples whose numbers are cited.

* Simple exposure misclassification: the smoking / breast cancer case-control
  data of Fink & Lash (Cancer Causes Control 2003;14:497–503), the textbook's
  worked example (Lash, Fox & Fink), and Chu et al. (Ann Epidemiol
  2006;16:834–841); expected values as asserted in episensr's test suite
  (tests/testthat/test-misclass.R: OR 0.9491, CI 0.7896–1.1408; differential
  OR 237.0529; Chu CI 3.2825–7.6909), at episensr's tolerance 1e-4.
* E-values: VanderWeele & Ding (Ann Intern Med 2017;167:268–274), breastfeeding
  and infant death, RR 3.9 (95% CI 1.8–8.7): E-value about 7.26, 3.0 for the
  lower limit; and the
  examples in episensr's tests/testthat/test-confounders.evalue.R (RR 10.73,
  CI 8.02–14.36: 20.947 / 15.523; common-outcome OR 1.47, CI 1.12–1.93:
  RR 1.212 / 1.058, E 1.720 / 1.307; RR 0.8, CI 0.71–0.91 against a true 1.2:
  2.366 / 1.967).

episensr's 2 x 2 is cases/non-cases by exposed/unexposed ``[[a, b], [c, d]]``;
in this project's order that is ``d, b, c, a`` (MC− met−, MC− met+, MC+ met−, MC+ met+).
"""

from __future__ import annotations

import pytest

from cohort.bias.counts import Accuracy, Counts
from cohort.bias.evalue import evalue_or, evalue_rr
from cohort.bias.simple import correct


def _episensr(a, b, c, d) -> Counts:
    return Counts(d, b, c, a)


FINK_LASH = _episensr(215, 1449, 668, 4296)


def test_fink_lash_observed_odds_ratio():
    r = correct(FINK_LASH, Accuracy(1, 1, 1, 1))
    assert (r.odds_ratio, r.ci_low, r.ci_high) == pytest.approx((0.9542, 0.8093, 1.1252), abs=1e-4)


def test_fink_lash_nondifferential_se_078_sp_099():
    r = correct(FINK_LASH, Accuracy.nondifferential(0.78, 0.99))
    assert r.possible
    assert (r.odds_ratio, r.ci_low, r.ci_high) == pytest.approx((0.9491, 0.7896, 1.1408), abs=1e-4)


def test_fink_lash_differential():
    # episensr bias_parms c(.13, .78, .91, 1): Se cases, Se non-cases, Sp cases, Sp non-cases
    r = correct(FINK_LASH, Accuracy(se_cases=0.13, sp_cases=0.91, se_controls=0.78, sp_controls=1.0))
    assert r.odds_ratio == pytest.approx(237.0529, abs=1e-4)


def test_chu_2006_interval():
    r = correct(_episensr(126, 92, 71, 224), Accuracy.nondifferential(0.94, 0.97))
    assert (r.ci_low, r.ci_high) == pytest.approx((3.2825, 7.6909), abs=1e-4)


def test_vanderweele_ding_breastfeeding_example():
    e = evalue_or(3.9, 1.8, 8.7, rare=True)  # a risk ratio: no conversion
    assert e.evalue_estimate == pytest.approx(7.26, abs=0.005)
    assert e.evalue_ci == pytest.approx(3.0, abs=0.005)


@pytest.mark.parametrize(
    ("est", "lo", "hi", "kwargs", "expected"),
    [
        (10.73, 8.02, 14.36, {"rare": True}, (20.947, 15.523)),
        (0.8, 0.71, 0.91, {"rare": True, "true": 1.2}, (2.366, 1.967)),
        (1.47, 1.12, 1.93, {"rare": False}, (1.720, 1.307)),
    ],
)
def test_episensr_evalue_examples(est, lo, hi, kwargs, expected):
    e = evalue_or(est, lo, hi, **kwargs)
    assert (e.evalue_estimate, e.evalue_ci) == pytest.approx(expected, abs=1e-3)  # episensr's tolerance


def test_common_outcome_conversion_is_square_root():
    e = evalue_or(1.47, 1.12, 1.93, rare=False)
    assert (e.rr, e.rr_low) == pytest.approx((1.212, 1.058), abs=1e-3)
    assert e.conversion == "sqrt" and "sqrt(OR)" in e.conversion_note


def test_evalue_rr_below_one_uses_the_inverse():
    assert evalue_rr(0.5) == pytest.approx(evalue_rr(2.0))
