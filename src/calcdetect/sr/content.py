"""The content tree of a Mammography CAD SR (PS3.16 TID 4000 and its sub-templates).

Each content item is made with highdicom's content item classes (they check
value types, codes, units and graphic data); the tree is then assembled from
plain pydicom datasets, because the SCOORD -> IMAGE references of this IOD
are *by reference* (Referenced Content Item Identifier pointing into the
Image Library, TID 4017 row 8 / TID 4021), which highdicom's
``ContentSequence`` does not accept.

The tree (observation ids in brackets; k = an image's place in the library)::

    [1] CONTAINER Mammography CAD Report (TID 4000, template DCMR 4000)
    [1.1] HAS CONCEPT MOD CODE Language of Content Item and Descendants = en-US (TID 1204)
    [1.2] CONTAINS CONTAINER Image Library
      [1.2.k] CONTAINS IMAGE (TID 4020) + HAS ACQ CONTEXT laterality, view, patient
              orientation, study / content dates and times, horizontal / vertical pixel spacing
    [1.3] CONTAINS CODE CAD Processing and Findings Summary = CID 6047 value (TID 4001)
      INFERRED FROM CONTAINER Individual Impression/Recommendation (TID 4003), one per cluster
        HAS CONCEPT MOD CODE Rendering Intent
        CONTAINS CODE Single Image Finding = Calcification Cluster (TID 4006)
          HAS CONCEPT MOD CODE Rendering Intent
          HAS PROPERTIES TEXT Algorithm Name / Version / Parameters (TID 4019)
          HAS PROPERTIES NUM Certainty of Finding (%)
          HAS PROPERTIES SCOORD Center (POINT)    > R-SELECTED FROM [1.2.k]  (TID 4021)
          HAS PROPERTIES SCOORD Outline (POLYLINE) > R-SELECTED FROM [1.2.k]
          HAS PROPERTIES NUM Number of calcifications
          INFERRED FROM CODE Single Image Finding = Individual Calcification, per member
            HAS CONCEPT MOD CODE Rendering Intent = Presentation Optional
            HAS PROPERTIES TEXT Algorithm Name / Version (TID 4019)
            HAS PROPERTIES SCOORD Center (POINT) > R-SELECTED FROM [1.2.k]
            HAS PROPERTIES NUM Diameter (mm)
    [1.4] CONTAINS CODE Summary of Detections = Succeeded / Partially Succeeded / Failed
      INFERRED FROM CONTAINER Successful Detections / Failed Detections (TID 4015)
        CONTAINS CODE Detection Performed = Calcification Cluster / Individual Calcification (TID 4017)
          HAS PROPERTIES TEXT Algorithm Name / Version / Parameters (TID 4019)
          R-HAS PROPERTIES [1.2.k] for every image it ran on (or failed on)
    [1.5] CONTAINS CODE Summary of Analyses = Not Attempted (no TID 4016 sub-tree)

Every relationship above is one that PS3.3 Table A.35.5-2 allows for this
IOD (dciodvfy and dcmtk check them).  The shape and order follow the PS3.16
tables and the informative examples of PS3.17 Annex E (E.3.1: a report
without findings; E.3.2: Individual Calcifications nested in their
Calcification Cluster after its Center, Outline and Number of Calcifications);
docs/outputs.md lists the details that could not be checked against the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import highdicom as hd
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.sr.coding import Code

from . import codes
from .coords import bbox_polyline, center_point, certainty_percent
from .model import Algorithm, SrCluster, SrImage, StudyFindings

__all__ = ["build_content", "findings_summary_code", "detections_summary_code"]

_R = hd.sr.RelationshipTypeValues
#: observation id of the Image Library: the second child of the root (the language is first)
_LIBRARY_ID = (1, 2)


def _node(item: hd.sr.ContentItem, children: Iterable[Dataset] = ()) -> Dataset:
    """A plain pydicom copy of a highdicom content item, with ``children`` as its Content Sequence."""
    node = Dataset()
    for element in item:
        node.add(element)
    children = list(children)
    if children:
        node.ContentSequence = DicomSequence(children)
    return node


def _by_reference(relationship: str, target: Sequence[int]) -> Dataset:
    """A by-reference relationship to the content item with observation id ``target``."""
    node = Dataset()
    node.RelationshipType = relationship
    node.ReferencedContentItemIdentifier = [int(v) for v in target]
    return node


def _code(name: Code, value: Code, relationship: str) -> hd.sr.CodeContentItem:
    return hd.sr.CodeContentItem(name=name, value=value, relationship_type=relationship)


def _num(name: Code, value: float, unit: Code, relationship: str = _R.HAS_PROPERTIES) -> Dataset:
    return _node(hd.sr.NumContentItem(name=name, value=value, unit=unit, relationship_type=relationship))


def _text(name: Code, value: str, relationship: str) -> Dataset:
    return _node(hd.sr.TextContentItem(name=name, value=value, relationship_type=relationship))


def _algorithm_items(algorithm: Algorithm, *, with_parameters: bool = True) -> list[Dataset]:
    """TID 4019 rows 1-3 as HAS PROPERTIES of the finding or detection they identify."""
    items = [
        _text(codes.ALGORITHM_NAME, algorithm.name, _R.HAS_PROPERTIES),
        _text(codes.ALGORITHM_VERSION, algorithm.version, _R.HAS_PROPERTIES),
    ]
    if with_parameters:
        items += [_text(codes.ALGORITHM_PARAMETERS, p, _R.HAS_PROPERTIES) for p in algorithm.parameters]
    return items


def _scoord(name: Code, graphic_type: str, data, image_ref: Sequence[int]) -> Dataset:
    item = hd.sr.ScoordContentItem(name=name, graphic_type=graphic_type, graphic_data=data,
                                   relationship_type=_R.HAS_PROPERTIES)
    return _node(item, [_by_reference(_R.SELECTED_FROM.value, image_ref)])


def _image_entry(image: SrImage, *, include_dates: bool) -> Dataset:
    """TID 4020 CAD Image Library Entry: the IMAGE and its TID 1602/1603 descriptors."""
    image_item = hd.sr.ImageContentItem(
        name=codes.IMAGE_LIBRARY,  # replaced below: a library IMAGE has no concept name
        referenced_sop_class_uid=image.sop_class_uid,
        referenced_sop_instance_uid=image.sop_instance_uid,
        relationship_type=_R.CONTAINS,
    )
    acq = _R.HAS_ACQ_CONTEXT
    # in the order of TID 4020 (order significant): laterality, view, patient orientation,
    # study date / time, content date / time, horizontal / vertical pixel spacing
    descriptors: list[Dataset] = []
    if image.laterality in codes.LATERALITY_CODES:
        descriptors.append(_node(_code(codes.IMAGE_LATERALITY, codes.LATERALITY_CODES[image.laterality], acq)))
    if image.view in codes.VIEW_CODES:
        descriptors.append(_node(_code(codes.IMAGE_VIEW, codes.VIEW_CODES[image.view], acq)))
    if image.patient_orientation is not None:
        row, column = image.patient_orientation
        descriptors.append(_text(codes.PATIENT_ORIENTATION_ROW, row, acq))
        descriptors.append(_text(codes.PATIENT_ORIENTATION_COLUMN, column, acq))
    if include_dates:
        for name, value, cls in ((codes.STUDY_DATE, image.study_date, hd.sr.DateContentItem),
                                 (codes.STUDY_TIME, image.study_time, hd.sr.TimeContentItem),
                                 (codes.CONTENT_DATE, image.content_date, hd.sr.DateContentItem),
                                 (codes.CONTENT_TIME, image.content_time, hd.sr.TimeContentItem)):
            if value:
                descriptors.append(_dated(cls, name, value))
    if image.spacing_col_mm is not None and image.spacing_row_mm is not None:
        descriptors.append(_num(codes.HORIZONTAL_PIXEL_SPACING, round(image.spacing_col_mm, 6), codes.UCUM_MM, acq))
        descriptors.append(_num(codes.VERTICAL_PIXEL_SPACING, round(image.spacing_row_mm, 6), codes.UCUM_MM, acq))
    node = _node(image_item, descriptors)
    del node.ConceptNameCodeSequence
    return node


def _dated(cls, name: Code, value: str) -> Dataset:
    """A DATE or TIME descriptor from the DA / TM text of the image header."""
    return _node(cls(name=name, value=value, relationship_type=_R.HAS_ACQ_CONTEXT))


def _calcification_finding(member, algorithm: Algorithm, image_ref: Sequence[int]) -> Dataset:
    """TID 4006 for one member: Individual Calcification with its centre and diameter."""
    finding = _code(codes.SINGLE_IMAGE_FINDING, codes.INDIVIDUAL_CALCIFICATION, _R.INFERRED_FROM)
    return _node(finding, [
        _node(_code(codes.RENDERING_INTENT, codes.PRESENTATION_OPTIONAL, _R.HAS_CONCEPT_MOD)),
        *_algorithm_items(algorithm, with_parameters=False),
        _scoord(codes.CENTER, "POINT", center_point(member.row_px, member.col_px), image_ref),
        _num(codes.DIAMETER, round(float(member.diameter_mm), 4), codes.UCUM_MM),
    ])


def _rendering_intent(cluster: SrCluster) -> Code:
    return codes.PRESENTATION_REQUIRED if cluster.score >= cluster.score_threshold else codes.PRESENTATION_OPTIONAL


def _cluster_impression(cluster: SrCluster, findings: StudyFindings, image_ref: Sequence[int]) -> Dataset:
    """TID 4003 holding the TID 4006 Calcification Cluster finding of one cluster."""
    intent = _rendering_intent(cluster)
    certainty = certainty_percent(cluster.score, threshold=cluster.score_threshold)
    outline = bbox_polyline(cluster.row_min_px, cluster.col_min_px, cluster.row_max_px, cluster.col_max_px)
    finding = _node(_code(codes.SINGLE_IMAGE_FINDING, codes.CALCIFICATION_CLUSTER, _R.CONTAINS), [
        _node(_code(codes.RENDERING_INTENT, intent, _R.HAS_CONCEPT_MOD)),
        *_algorithm_items(findings.algorithm),
        _num(codes.CERTAINTY_OF_FINDING, round(certainty, 4), codes.UCUM_PERCENT),
        _scoord(codes.CENTER, "POINT", center_point(cluster.row_px, cluster.col_px), image_ref),
        _scoord(codes.OUTLINE, "POLYLINE", outline, image_ref),
        _num(codes.NUMBER_OF_CALCIFICATIONS, int(cluster.n_calcifications), codes.UCUM_NO_UNITS),
        *(_calcification_finding(m, findings.algorithm, image_ref) for m in cluster.members),
    ])
    container = hd.sr.ContainerContentItem(name=codes.INDIVIDUAL_IMPRESSION_RECOMMENDATION, is_content_continuous=False,
                                           relationship_type=_R.INFERRED_FROM)
    return _node(container, [_node(_code(codes.RENDERING_INTENT, intent, _R.HAS_CONCEPT_MOD)), finding])


def findings_summary_code(findings: StudyFindings) -> Code:
    """CID 6047 value of (111017, DCM, "CAD Processing and Findings Summary")."""
    n_ok = sum(image.analysed for image in findings.images)
    if n_ok == 0:
        return codes.NONE_SUCCEEDED_WITHOUT_FINDINGS
    all_ok = n_ok == len(findings.images)
    if findings.clusters:
        return codes.ALL_SUCCEEDED_WITH_FINDINGS if all_ok else codes.NOT_ALL_SUCCEEDED_WITH_FINDINGS
    return codes.ALL_SUCCEEDED_WITHOUT_FINDINGS if all_ok else codes.NOT_ALL_SUCCEEDED_WITHOUT_FINDINGS


def detections_summary_code(findings: StudyFindings) -> Code:
    """CID 6042 value of (111064, DCM, "Summary of Detections")."""
    n_ok = sum(image.analysed for image in findings.images)
    if n_ok == len(findings.images):
        return codes.SUCCEEDED
    return codes.FAILED if n_ok == 0 else codes.PARTIALLY_SUCCEEDED


def _detections(findings: StudyFindings, refs: dict[str, tuple[int, ...]]) -> Dataset:
    """TID 4000 Summary of Detections with TID 4015 / 4017 beneath it."""
    summary = _code(codes.SUMMARY_OF_DETECTIONS, detections_summary_code(findings), _R.CONTAINS)
    groups = []
    for container_code, analysed in ((codes.SUCCESSFUL_DETECTIONS, True), (codes.FAILED_DETECTIONS, False)):
        images = [image for image in findings.images if image.analysed == analysed]
        if not images:
            continue
        performed = [
            _node(_code(codes.DETECTION_PERFORMED, kind, _R.CONTAINS), [
                *_algorithm_items(findings.algorithm),
                *(_by_reference(_R.HAS_PROPERTIES.value, refs[image.sop_instance_uid]) for image in images),
            ])
            for kind in (codes.CALCIFICATION_CLUSTER, codes.INDIVIDUAL_CALCIFICATION)
        ]
        container = hd.sr.ContainerContentItem(name=container_code, is_content_continuous=False,
                                               relationship_type=_R.INFERRED_FROM)
        groups.append(_node(container, performed))
    return _node(summary, groups)


def build_content(findings: StudyFindings) -> Dataset:
    """The SR Document Content of one study: the root CONTAINER and its tree.

    Parameters
    ----------
    findings : StudyFindings
        Images (analysed and failed), clusters with their members, algorithm.

    Returns
    -------
    pydicom.dataset.Dataset
        Value Type, Concept Name, Continuity Of Content, Content Template
        Sequence (DCMR 4000) and Content Sequence, to be merged into the SR
        dataset (:func:`calcdetect.sr.document.build_document`).

    Raises
    ------
    ValueError
        When a cluster refers to an image that is not in ``findings.images``
        or the study has no image.
    """
    if not findings.images:
        raise ValueError("a Mammography CAD SR needs at least one image in its Image Library")
    refs = {image.sop_instance_uid: (*_LIBRARY_ID, k) for k, image in enumerate(findings.images, start=1)}
    missing = sorted({c.sop_instance_uid for c in findings.clusters} - refs.keys())
    if missing:
        raise ValueError(f"clusters refer to images missing from the Image Library: {missing}")
    library = hd.sr.ContainerContentItem(name=codes.IMAGE_LIBRARY, is_content_continuous=False,
                                         relationship_type=_R.CONTAINS)
    summary = _code(codes.CAD_PROCESSING_AND_FINDINGS_SUMMARY, findings_summary_code(findings), _R.CONTAINS)
    root = hd.sr.ContainerContentItem(name=codes.MAMMOGRAPHY_CAD_REPORT, is_content_continuous=False,
                                      template_id=codes.TEMPLATE_ID)
    content = _node(root, [
        _node(_code(codes.LANGUAGE_OF_CONTENT, codes.ENGLISH, _R.HAS_CONCEPT_MOD)),
        _node(library, [_image_entry(image, include_dates=findings.include_dates) for image in findings.images]),
        _node(summary, [_cluster_impression(c, findings, refs[c.sop_instance_uid]) for c in findings.clusters]),
        _detections(findings, refs),
        _node(_code(codes.SUMMARY_OF_ANALYSES, codes.NOT_ATTEMPTED, _R.CONTAINS)),
    ])
    return content
