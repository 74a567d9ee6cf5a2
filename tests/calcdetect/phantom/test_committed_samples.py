import csv
import json
from pathlib import Path

import pytest

from calcdetect.io import read_mammogram

DATA = Path(__file__).resolve().parents[3] / "data" / "phantoms"
ROWS = list(csv.DictReader(open(DATA / "manifest.csv"))) if (DATA / "manifest.csv").exists() else []


def test_samples_cover_every_encoding_positive_and_negative():
    assert sum(p.stat().st_size for p in DATA.iterdir()) < 20e6
    syntaxes = {r["transfer_syntax_uid"] for r in ROWS}
    assert {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.5"} <= syntaxes
    assert {r["has_cluster"] for r in ROWS} == {"True", "False"}
    assert {r["presentation_intent"] for r in ROWS} == {"FOR PRESENTATION", "FOR PROCESSING"}


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_each_sample_reads_and_matches_its_truth(row):
    m = read_mammogram(DATA / row["file"])
    truth = json.loads((DATA / row["file"].replace(".dcm", ".truth.json")).read_text())
    assert m.sop_instance_uid == truth["sop_instance_uid"]
    assert m.shape == (truth["rows"], truth["cols"])
    assert (m.view, m.laterality) == (truth["view"], truth["laterality"])
    assert truth["has_cluster"] == bool(truth["clusters"]) == (row["has_cluster"] == "True")


def test_sample_truth_carries_visibility_classes():
    from calcdetect.evaluation.truth_record import PhantomTruth

    classes = set()
    for row in ROWS:
        doc = json.loads((DATA / row["file"].replace(".dcm", ".truth.json")).read_text())
        t = PhantomTruth.from_dict(doc, name=row["file"])
        assert t.visibility_known
        for k in t.clusters:
            d = sorted((c.d_prime for c in t.members(k)), reverse=True)
            # the class follows the rule from the members' d' written beside it
            third = d[2] if len(d) >= 3 else float("-inf")
            expected = "visible" if third >= 6 else "subtle" if third >= 4 else "occult"
            assert k.visibility == expected == row["visibility"]
            classes.add(k.visibility)
    assert classes == {"visible", "subtle", "occult"}
