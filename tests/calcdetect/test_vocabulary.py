"""The coded values (view, laterality, flag) as StrEnums that still take plain strings."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest

from calcdetect.results import Mammogram
from calcdetect.vocabulary import Flag, Laterality, View


@pytest.mark.parametrize("enum, text, member", [
    (View, "CC", View.CC), (View, " mlo ", View.MLO), (View, "xccl", View.XCCL), (View, "", View.UNKNOWN),
    (Laterality, "L", Laterality.L), (Laterality, "r", Laterality.R), (Laterality, "Left", Laterality.L),
    (Laterality, "RIGHT", Laterality.R), (Laterality, "", Laterality.UNKNOWN),
    (Flag, "positive", Flag.POSITIVE), (Flag, "Negative ", Flag.NEGATIVE),
])
def test_plain_strings_are_accepted_and_normalised(enum, text, member):
    assert enum(text) is member
    assert enum(member) is member


@pytest.mark.parametrize("enum, bad, allowed", [
    (View, "RCC", ["'CC'", "'MLO'", "'XCCM'", "'' when unknown"]),
    (Laterality, "B", ["'L'", "'R'", "'' when unknown"]),
    (Flag, "maybe", ["'positive'", "'negative'"]),
    (Flag, None, ["'positive'", "'negative'"]),
])
def test_a_bad_value_names_the_allowed_values(enum, bad, allowed):
    with pytest.raises(ValueError) as info:
        enum(bad)
    message = str(info.value)
    assert repr(bad) in message
    assert all(a in message for a in allowed), message


def test_flag_of_a_decision():
    assert Flag.of(True) is Flag.POSITIVE and Flag.of(False) is Flag.NEGATIVE
    assert Flag.of(np.bool_(True)) is Flag.POSITIVE


def test_members_are_their_text_wherever_they_are_written():
    plain = {"flag": "positive", "laterality": "L", "view": "MLO", "unknown": ""}
    coded = {"flag": Flag.POSITIVE, "laterality": Laterality.L, "view": View.MLO, "unknown": View.UNKNOWN}
    assert json.dumps(coded) == json.dumps(plain)
    for a, b in zip(coded.values(), plain.values()):
        assert f"{a}" == b and str(a) == b and a == b and hash(a) == hash(b)
        assert f"{a:>4}" == f"{b:>4}"

    def csv_text(row):
        buf = io.StringIO()
        csv.writer(buf).writerow(row.values())
        return buf.getvalue()

    def pandas_text(row):
        return pd.DataFrame([row]).to_csv(index=False)

    assert csv_text(coded) == csv_text(plain)
    assert pandas_text(coded) == pandas_text(plain)
    assert sorted([View.MLO, "CC", View.LM]) == ["CC", "LM", "MLO"]


def test_mammogram_normalises_plain_strings():
    pixels = np.zeros((4, 4), np.float32)
    m = Mammogram(pixels=pixels, spacing_mm=(0.1, 0.1), laterality="left", view="mlo")
    assert m.laterality is Laterality.L and m.view is View.MLO
    assert Mammogram(pixels=pixels, spacing_mm=(0.1, 0.1)).view is View.UNKNOWN
    # a vendor's ViewPosition outside CID 4014 is kept as written, as the outputs always had it
    assert Mammogram(pixels=pixels, spacing_mm=(0.1, 0.1), view="RCC").view == "RCC"
    with pytest.raises(ValueError, match="laterality must be one of 'L', 'R'"):
        Mammogram(pixels=pixels, spacing_mm=(0.1, 0.1), laterality="both")
