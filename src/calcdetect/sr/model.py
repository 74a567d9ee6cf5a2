"""Typed inputs of a Mammography CAD SR: what one study's report says.

Built from the scan's tables by :mod:`.studies`; turned into SR content by
:mod:`.content` and into a DICOM object by :mod:`.document`.  Positions are
0-based pixel indices of the image as read (row, col; a pixel's centre), as in
``clusters.csv`` and ``calcifications.csv``; :mod:`.coords` converts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SrImage", "SrCalcification", "SrCluster", "Algorithm", "StudyFindings", "StudyHeader"]


@dataclass(frozen=True)
class SrImage:
    """One image of the study in the SR's Image Library (TID 4020).

    ``analysed`` is False for an image of the study that the scan could not
    analyse (a row of ``errors.csv``): it is listed under Failed Detections.
    Spacing and size are those the analysis used; None when unknown (failed
    images).
    """

    sop_instance_uid: str
    sop_class_uid: str
    laterality: str = ""
    view: str = ""
    analysed: bool = True
    rows: int | None = None
    cols: int | None = None
    spacing_row_mm: float | None = None
    spacing_col_mm: float | None = None
    study_date: str = ""
    study_time: str = ""
    content_date: str = ""
    content_time: str = ""
    patient_orientation: tuple[str, str] | None = None
    #: why the image was not analysed (the errors.csv code), empty when analysed
    error: str = ""


@dataclass(frozen=True)
class SrCalcification:
    """A member calcification: centre (0-based pixel indices) and diameter."""

    calcification_id: int
    row_px: float
    col_px: float
    diameter_mm: float


@dataclass(frozen=True)
class SrCluster:
    """A cluster on one image: centroid, inclusive pixel bounding box, score and members.

    ``score_threshold`` is its image's threshold (images.csv ``threshold``: each
    false-positive model has its own): a cluster at or above it is "Presentation
    Required", below it "Presentation Optional", and it anchors the certainty
    mapping (:func:`.coords.certainty_percent`).
    """

    sop_instance_uid: str
    cluster_id: int
    n_calcifications: int
    row_px: float
    col_px: float
    row_min_px: int
    col_min_px: int
    row_max_px: int
    col_max_px: int
    score: float
    score_threshold: float
    members: tuple[SrCalcification, ...] = ()


@dataclass(frozen=True)
class Algorithm:
    """TID 4019 Algorithm Identification."""

    name: str
    version: str
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class StudyFindings:
    """Everything the content tree of one study's SR states."""

    study_instance_uid: str
    images: tuple[SrImage, ...]
    clusters: tuple[SrCluster, ...]
    algorithm: Algorithm
    #: write dates (study, content) into the Image Library; False when pseudonymised
    include_dates: bool = True


@dataclass(frozen=True)
class StudyHeader:
    """Patient and study attributes of the SR, as copied from the study's images.

    With pseudonymisation ``patient_id`` is the pseudonymised key and every
    other identifying attribute is empty.
    """

    study_instance_uid: str
    patient_id: str = ""
    patient_name: str = field(default="", repr=False)
    patient_birth_date: str = field(default="", repr=False)
    patient_sex: str = ""
    study_date: str = ""
    study_time: str = ""
    study_id: str = ""
    accession_number: str = ""
    referring_physician_name: str = field(default="", repr=False)
    study_description: str = ""
