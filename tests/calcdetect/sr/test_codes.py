"""Every coded concept of the CAD SR equals the PS3.16 dictionary entry (pydicom's copy of it)."""

from __future__ import annotations

import pydicom.sr._cid_dict as cid_dict
import pydicom.sr._concepts_dict as concepts_dict
import pytest
from pydicom.sr.coding import Code

from calcdetect.sr import codes


def _meanings(scheme: str, value: str) -> set[str]:
    """Every meaning the dictionary gives ``value`` (a few codes have two, e.g. 399162004)."""
    return {entry[value][0].replace("\u200b", "")  # the dictionary keeps zero-width spaces
            for entry in concepts_dict.concepts.get(scheme, {}).values() if value in entry}


def _cid(number: int) -> set[tuple[str, str]]:
    members = set()
    for scheme, names in cid_dict.cid_concepts[number].items():
        for name in names:
            members.update((value, scheme) for value in concepts_dict.concepts[scheme][name])
    return members


ALL_CODES = [(name, value) for name, value in vars(codes).items() if isinstance(value, Code)]
ALL_CODES += [(f"LATERALITY_CODES[{k}]", v) for k, v in codes.LATERALITY_CODES.items()]
ALL_CODES += [(f"VIEW_CODES[{k}]", v) for k, v in codes.VIEW_CODES.items()]


@pytest.mark.parametrize("name, code", ALL_CODES, ids=[n for n, _ in ALL_CODES])
def test_code_is_the_standard_one(name, code):
    if code.scheme_designator == "RFC5646":
        assert (code.value, code.meaning) == ("en-US", "English (United States)")  # as highdicom writes it
        return
    assert code.meaning in _meanings(code.scheme_designator, code.value), name


@pytest.mark.parametrize("cid, members", [
    (6014, [codes.CALCIFICATION_CLUSTER, codes.INDIVIDUAL_CALCIFICATION]),  # Mammography Single Image Finding
    (6047, [codes.ALL_SUCCEEDED_WITH_FINDINGS, codes.ALL_SUCCEEDED_WITHOUT_FINDINGS,
            codes.NOT_ALL_SUCCEEDED_WITH_FINDINGS, codes.NOT_ALL_SUCCEEDED_WITHOUT_FINDINGS,
            codes.NONE_SUCCEEDED_WITHOUT_FINDINGS]),  # CAD Processing and Findings Summary
    (6042, [codes.SUCCEEDED, codes.PARTIALLY_SUCCEEDED, codes.FAILED, codes.NOT_ATTEMPTED]),  # Result Status
    (6034, [codes.PRESENTATION_REQUIRED, codes.PRESENTATION_OPTIONAL]),  # CAD Output Intended Use
    (6022, list(codes.LATERALITY_CODES.values())),  # Side
    (4014, list(codes.VIEW_CODES.values())),  # View for Mammography
    (6048, [codes.CERTAINTY_OF_FINDING]),  # CAD Operating Point Axis Label (the certainty item)
])
def test_values_belong_to_their_context_group(cid, members):
    group = _cid(cid)
    for code in members:
        assert (code.value, code.scheme_designator) in group, (cid, code)


def test_old_snomed_rt_codes_are_not_used():
    used = {c.value for _, c in ALL_CODES}
    assert not used & {"F-01775", "F-01776"}
