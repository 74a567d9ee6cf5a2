"""Measuring the detector against phantom ground truth.

``truth_record`` (one phantom's truth as frozen records), ``truth`` (truth
and detections as tables), ``by_visibility`` (figures per visibility class), ``truth_files`` (reading them, the
truth-file naming rule), ``match`` (detections to truth), ``froc`` (FROC / ROC
curves), ``breakdown`` (sensitivity by stratum), ``scoring`` (:func:`evaluate`,
everything together), ``calibration`` (choosing the operating point on
phantoms) and ``reference`` (the naive baseline detector the benchmarks and
measurements compare against).
"""

from __future__ import annotations

from calcdetect.evaluation.scoring import EvaluationResult, evaluate
from calcdetect.evaluation.truth import Detections, TruthSet, truth_from_dicts
from calcdetect.evaluation.truth_record import PhantomTruth, TruthCalcification, TruthCluster
from calcdetect.evaluation.truth_files import read_scan_output, read_truth_dir, truth_path_for

__all__ = ["evaluate", "EvaluationResult", "Detections", "TruthSet", "truth_from_dicts",
           "read_scan_output", "read_truth_dir", "truth_path_for", "PhantomTruth", "TruthCalcification",
           "TruthCluster"]
