"""Spacing, laterality, view, identifiers and which objects count as mammograms."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from calcdetect.errors import MissingSpacingError, NotAMammogramError
from calcdetect.io import read_mammogram


def test_identifiers_and_metadata(make_dataset, write_dicom):
    ds = make_dataset(bits_stored=14)
    m = read_mammogram(write_dicom(ds))
    assert m.patient_id == "PAT-0001"
    assert m.sop_instance_uid == ds.SOPInstanceUID
    assert m.study_instance_uid == ds.StudyInstanceUID
    assert m.series_instance_uid == ds.SeriesInstanceUID
    assert m.manufacturer == "TestVendor"
    assert m.bits_stored == 14
    assert m.modality == "MG"
    assert m.presentation_intent == "FOR PRESENTATION"
    assert m.shape == (64, 48)


@pytest.mark.parametrize(
    ("attributes", "spacing", "source"),
    [
        ({"ImagerPixelSpacing": [0.1, 0.08]}, (0.1, 0.08), "ImagerPixelSpacing"),
        (
            {"ImagerPixelSpacing": [0.1, 0.1], "EstimatedRadiographicMagnificationFactor": 1.25},
            (0.08, 0.08),
            "ImagerPixelSpacing/EstimatedRadiographicMagnificationFactor",
        ),
        ({"ImagerPixelSpacing": None, "PixelSpacing": [0.05, 0.05]}, (0.05, 0.05), "PixelSpacing"),
        (
            {"ImagerPixelSpacing": None, "NominalScannedPixelSpacing": [0.2, 0.2]},
            (0.2, 0.2),
            "NominalScannedPixelSpacing",
        ),
        # an unusable first candidate falls through to the next one (logged)
        ({"ImagerPixelSpacing": [0, 0], "PixelSpacing": [0.07, 0.07]}, (0.07, 0.07), "PixelSpacing"),
    ],
)
def test_spacing_sources(make_dataset, write_dicom, attributes, spacing, source):
    m = read_mammogram(write_dicom(make_dataset(**attributes)))
    assert m.spacing_mm == pytest.approx(spacing)
    assert m.spacing_source == source


def test_spacing_from_functional_groups(make_dataset, write_dicom):
    measures = Dataset()
    measures.PixelSpacing = [0.085, 0.085]
    shared = Dataset()
    shared.PixelMeasuresSequence = Sequence([measures])
    ds = make_dataset(ImagerPixelSpacing=None, SharedFunctionalGroupsSequence=Sequence([shared]))
    m = read_mammogram(write_dicom(ds))
    assert m.spacing_mm == pytest.approx((0.085, 0.085))
    assert m.spacing_source == "PixelMeasuresSequence"


def test_missing_spacing_is_an_error_unless_a_default_is_given(make_dataset, write_dicom):
    path = write_dicom(make_dataset(ImagerPixelSpacing=None))
    with pytest.raises(MissingSpacingError, match="default spacing") as info:
        read_mammogram(path)
    assert info.value.code == "no_spacing"

    m = read_mammogram(path, default_spacing_mm=0.07)
    assert m.spacing_mm == (0.07, 0.07) and m.spacing_source == "default"
    m = read_mammogram(path, default_spacing_mm=(0.1, 0.05))
    assert m.spacing_mm == (0.1, 0.05)


def test_default_spacing_is_not_used_when_the_header_has_one(make_dataset, write_dicom):
    m = read_mammogram(write_dicom(make_dataset()), default_spacing_mm=0.5)
    assert m.spacing_mm == pytest.approx((0.07, 0.065)) and m.spacing_source == "ImagerPixelSpacing"


@pytest.mark.parametrize("bad", [0, -1.0, (0.1,), (0.1, float("nan"))])
def test_bad_default_spacing_is_a_value_error(make_dataset, write_dicom, bad):
    with pytest.raises(ValueError, match="default_spacing_mm"):
        read_mammogram(write_dicom(make_dataset()), default_spacing_mm=bad)


def _frame_laterality_group(value: str) -> Sequence:
    anatomy = Dataset()
    anatomy.FrameLaterality = value
    group = Dataset()
    group.FrameAnatomySequence = Sequence([anatomy])
    return Sequence([group])


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"ImageLaterality": "R"}, "R"),
        ({"ImageLaterality": None, "Laterality": "L"}, "L"),
        ({"ImageLaterality": None, "SharedFunctionalGroupsSequence": _frame_laterality_group("R")}, "R"),
        ({"ImageLaterality": "B"}, ""),
        ({"ImageLaterality": None}, ""),
    ],
)
def test_laterality_sources(make_dataset, write_dicom, attributes, expected):
    assert read_mammogram(write_dicom(make_dataset(**attributes))).laterality == expected


@pytest.mark.parametrize(
    ("value", "scheme", "meaning", "expected"),
    [
        ("R-10242", "SRT", "cranio-caudal", "CC"),
        ("R-10226", "SRT", "medio-lateral oblique", "MLO"),
        ("399162004", "SCT", "cranio-caudal", "CC"),
        ("399368009", "SCT", "medio-lateral oblique", "MLO"),
        ("399260004", "SCT", "medio-lateral", "ML"),
        ("R-1024A", "SRT", "cranio-caudal exaggerated laterally", "XCCL"),
        ("99-LOCAL", "99VENDOR", "Latero-medial", "LM"),  # unknown code: by meaning
    ],
)
def test_view_from_view_code_sequence(make_dataset, write_dicom, code_item, value, scheme, meaning, expected):
    ds = make_dataset(ViewPosition=None, ViewCodeSequence=Sequence([code_item(value, scheme, meaning)]))
    assert read_mammogram(write_dicom(ds)).view == expected


def test_view_position_wins_and_is_upper_case(make_dataset, write_dicom, code_item):
    ds = make_dataset(ViewPosition="mlo", ViewCodeSequence=Sequence([code_item("R-10242", "SRT", "cc")]))
    assert read_mammogram(write_dicom(ds)).view == "MLO"


def test_no_view_is_empty(make_dataset, write_dicom):
    assert read_mammogram(write_dicom(make_dataset(ViewPosition=None))).view == ""


@pytest.mark.parametrize(
    ("modality", "body_part", "sop_class"),
    [
        ("MG", None, "1.2.840.10008.5.1.4.1.1.1.2"),
        ("DX", "BREAST", "1.2.840.10008.5.1.4.1.1.1.1"),
        ("CR", "BREAST", "1.2.840.10008.5.1.4.1.1.1"),
        ("", None, "1.2.840.10008.5.1.4.1.1.1.2"),  # MG SOP class, modality left empty
        ("OT", "BREAST", "1.2.840.10008.5.1.4.1.1.7"),  # digitised film as Secondary Capture
    ],
)
def test_mammograms_are_accepted(make_dataset, write_dicom, modality, body_part, sop_class):
    ds = make_dataset(modality=modality, sop_class=sop_class, BodyPartExamined=body_part)
    assert read_mammogram(write_dicom(ds)).shape == (64, 48)


@pytest.mark.parametrize(
    ("modality", "body_part", "sop_class"),
    [
        ("CT", "BREAST", "1.2.840.10008.5.1.4.1.1.2"),
        ("DX", "CHEST", "1.2.840.10008.5.1.4.1.1.1.1"),
        ("CR", None, "1.2.840.10008.5.1.4.1.1.1"),
        ("OT", None, "1.2.840.10008.5.1.4.1.1.7"),
    ],
)
def test_other_images_are_not_mammograms(make_dataset, write_dicom, modality, body_part, sop_class):
    ds = make_dataset(modality=modality, sop_class=sop_class, BodyPartExamined=body_part)
    with pytest.raises(NotAMammogramError, match=f"Modality {modality}") as info:
        read_mammogram(write_dicom(ds))
    assert info.value.code == "not_mammogram"
    assert "Body Part Examined says BREAST" in str(info.value)  # what to do about it


def test_header_values_are_coded_members(make_dataset, write_dicom):
    from calcdetect.vocabulary import Laterality, View

    m = read_mammogram(write_dicom(make_dataset(ImageLaterality="R", ViewPosition="MLO")))
    assert m.laterality is Laterality.R and m.view is View.MLO


def test_a_view_position_outside_cid_4014_is_kept_as_written(make_dataset, write_dicom):
    # vendors write e.g. "RCC"; the file is analysed and its view text kept, not refused
    assert read_mammogram(write_dicom(make_dataset(ViewPosition="RCC"))).view == "RCC"


@pytest.mark.parametrize(
    ("attributes", "film"),
    [
        ({"ConversionType": "DF"}, True),  # Secondary Capture of a digitised film
        ({"DetectorType": "FILM"}, True),  # MG / DX object of a scanned film
        ({"ConversionType": "WSD"}, False),  # a workstation's capture says nothing about film
        ({"DetectorType": "DIRECT"}, False),
        ({}, False),
    ],
)
def test_the_header_says_whether_the_image_is_scanned_film(make_dataset, write_dicom, attributes, film):
    m = read_mammogram(write_dicom(make_dataset(**attributes)))
    assert m.digitised_film is film
