"""A reader's review of a scan: confirm or reject each flagged cluster, add missed ones, decide the patient.

Modules: :mod:`~calcdetect.review.study` (what there is to review),
:mod:`~calcdetect.review.decisions` (the reader's decisions and files),
:mod:`~calcdetect.review.summary` (agreement statistics),
:mod:`~calcdetect.review.server` (the HTTP server) and
:mod:`~calcdetect.review.page` (the page, its script and its data).
"""

from calcdetect.review.decisions import (DECISION_COLUMNS, Decision, DecisionStore, ReaderBusyError, reviewed_call,
                                         validate_reader)
from calcdetect.review.study import Study, load_study
from calcdetect.review.summary import Agreement, agreement, summarize

__all__ = ["DECISION_COLUMNS", "Decision", "DecisionStore", "ReaderBusyError", "reviewed_call", "validate_reader",
           "Study", "load_study", "Agreement", "agreement", "summarize"]
