"""Read a Mammography CAD SR back into clusters and members (tests, and anyone checking an SR).

Independent of how :mod:`.content` builds the tree: it walks the Content
Sequence with pydicom, resolves the by-reference SELECTED FROM / HAS
PROPERTIES relationships through the observation ids (PS3.3 C.17.3.2.2: the
Referenced Content Item Identifier lists the 1-based position of each
ancestor, from the root), and converts SCOORDs back to 0-based pixel
indices with :mod:`.coords`.  Any SR of this SOP class with Calcification
Cluster findings in the TID 4000 layout is read, not only calcdetect's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pydicom
from pydicom.dataset import Dataset

from .coords import point_to_index, polyline_to_bbox

__all__ = ["ReadCluster", "ReadCalcification", "ReadReport", "read_cad_sr"]

_CLUSTER = ("129769006", "SCT")
_INDIVIDUAL = ("129770007", "SCT")
_FINDING = ("111059", "DCM")


@dataclass(frozen=True)
class ReadCalcification:
    sop_instance_uid: str
    row_px: float
    col_px: float
    diameter_mm: float | None


@dataclass(frozen=True)
class ReadCluster:
    sop_instance_uid: str
    row_px: float
    col_px: float
    bbox_px: tuple[int, int, int, int]  # row_min, col_min, row_max, col_max (inclusive)
    n_calcifications: int | None
    certainty_percent: float | None
    rendering_intent: str
    members: tuple[ReadCalcification, ...]


@dataclass(frozen=True)
class ReadReport:
    """What a Mammography CAD SR says, in calcdetect's terms."""

    sop_class_uid: str
    study_instance_uid: str
    patient_id: str
    images: dict[str, dict]  # SOP Instance UID -> {laterality, view, spacing...}
    findings_summary: str  # code value of (111017, DCM)
    detections_summary: str  # code value of (111064, DCM)
    analyses_summary: str  # code value of (111065, DCM)
    clusters: tuple[ReadCluster, ...]
    failed_images: tuple[str, ...]


def _concept(item: Dataset, keyword: str = "ConceptNameCodeSequence") -> tuple[str, str]:
    seq = item.get(keyword)
    if not seq:
        return ("", "")
    return (str(seq[0].CodeValue), str(seq[0].CodingSchemeDesignator))


def _index(root: Dataset) -> dict[tuple[int, ...], Dataset]:
    """Every content item by its observation id (root = (1,))."""
    found = {(1,): root}
    stack = [((1,), root)]
    while stack:
        ident, item = stack.pop()
        for k, child in enumerate(item.get("ContentSequence", []), start=1):
            found[(*ident, k)] = child
            stack.append(((*ident, k), child))
    return found


def _children(item: Dataset, name: tuple[str, str]) -> list[Dataset]:
    return [c for c in item.get("ContentSequence", []) if _concept(c) == name]


def _num(item: Dataset, name: tuple[str, str]) -> float | None:
    for child in _children(item, name):
        return float(child.MeasuredValueSequence[0].NumericValue)
    return None


def _image_of(scoord: Dataset, index: dict) -> str:
    for rel in scoord.get("ContentSequence", []):
        if rel.RelationshipType == "SELECTED FROM":
            target = index[tuple(int(v) for v in rel.ReferencedContentItemIdentifier)] \
                if "ReferencedContentItemIdentifier" in rel else rel
            return str(target.ReferencedSOPSequence[0].ReferencedSOPInstanceUID)
    raise ValueError("a SCOORD without SELECTED FROM an image")


def _scoord(item: Dataset, name: tuple[str, str]) -> Dataset | None:
    found = _children(item, name)
    return found[0] if found else None


def _member(item: Dataset, index: dict) -> ReadCalcification:
    centre = _scoord(item, ("111010", "DCM"))
    row, col = point_to_index(centre.GraphicData)
    return ReadCalcification(_image_of(centre, index), row, col, _num(item, ("81827009", "SCT")))


def _cluster(item: Dataset, index: dict) -> ReadCluster:
    centre, outline = _scoord(item, ("111010", "DCM")), _scoord(item, ("111041", "DCM"))
    row, col = point_to_index(centre.GraphicData)
    n = _num(item, ("111038", "DCM"))
    intents = _children(item, ("111056", "DCM"))
    members = tuple(_member(c, index) for c in item.get("ContentSequence", [])
                    if _concept(c) == _FINDING and _concept(c, "ConceptCodeSequence") == _INDIVIDUAL)
    return ReadCluster(
        sop_instance_uid=_image_of(centre, index), row_px=row, col_px=col,
        bbox_px=polyline_to_bbox(outline.GraphicData), n_calcifications=None if n is None else int(n),
        certainty_percent=_num(item, ("111012", "DCM")),
        rendering_intent=_concept(intents[0], "ConceptCodeSequence")[0] if intents else "",
        members=members,
    )


def read_cad_sr(path: str | os.PathLike) -> ReadReport:
    """Read a Mammography CAD SR file.

    Returns
    -------
    ReadReport
        Clusters in document order, each with its members.
    """
    ds = pydicom.dcmread(os.fspath(path))
    index = _index(ds)
    images = {}
    library = [c for c in ds.ContentSequence if _concept(c) == ("111028", "DCM")][0]
    for entry in library.ContentSequence:
        uid = str(entry.ReferencedSOPSequence[0].ReferencedSOPInstanceUID)
        described = {}
        for d in entry.get("ContentSequence", []):
            name = str(d.ConceptNameCodeSequence[0].CodeMeaning)
            if d.ValueType == "CODE":
                described[name] = str(d.ConceptCodeSequence[0].CodeValue)
            elif d.ValueType == "NUM":
                described[name] = float(d.MeasuredValueSequence[0].NumericValue)
            else:
                described[name] = str(d.get("TextValue", d.get("Date", d.get("Time", ""))))
        images[uid] = described
    top = {_concept(c): c for c in ds.ContentSequence}
    summary = top[("111017", "DCM")]
    clusters = []
    for impression in summary.get("ContentSequence", []):
        for finding in impression.get("ContentSequence", []):
            if _concept(finding) == _FINDING and _concept(finding, "ConceptCodeSequence") == _CLUSTER:
                clusters.append(_cluster(finding, index))
    failed = []
    detections = top[("111064", "DCM")]
    for group in detections.get("ContentSequence", []):
        if _concept(group) == ("111025", "DCM"):
            for performed in group.ContentSequence[:1]:
                for rel in performed.get("ContentSequence", []):
                    if "ReferencedContentItemIdentifier" in rel:
                        target = index[tuple(int(v) for v in rel.ReferencedContentItemIdentifier)]
                        failed.append(str(target.ReferencedSOPSequence[0].ReferencedSOPInstanceUID))
    return ReadReport(
        sop_class_uid=str(ds.SOPClassUID), study_instance_uid=str(ds.StudyInstanceUID),
        patient_id=str(ds.get("PatientID", "")), images=images,
        findings_summary=_concept(summary, "ConceptCodeSequence")[0],
        detections_summary=_concept(detections, "ConceptCodeSequence")[0],
        analyses_summary=_concept(top[("111065", "DCM")], "ConceptCodeSequence")[0],
        clusters=tuple(clusters), failed_images=tuple(failed),
    )
