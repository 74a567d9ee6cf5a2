"""Typed values passed between the stages of calcdetect.

``io`` produces a :class:`Mammogram`; ``detect`` turns its pixels into an
:class:`ImageResult` of :class:`Calcification` and :class:`Cluster`; ``batch``
writes them out.  Positions are in pixels of the analysed image (row, col,
0-based, centre of the pixel) and physical sizes carry ``_mm`` in their names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from calcdetect.vocabulary import Laterality, View

__all__ = ["Mammogram", "Calcification", "Cluster", "ImageResult"]


@dataclass(frozen=True, eq=False)
class Mammogram:
    """One mammogram, read and normalised.

    Attributes
    ----------
    pixels : ndarray of float32, shape (rows, cols)
        Denser tissue (and calcium) is brighter, whatever the source
        photometric interpretation or presentation intent.
    spacing_mm : (float, float)
        Physical pixel size (row, col) at the detector plane, corrected for
        magnification where the header says so.
    laterality : Laterality
        ``"L"``, ``"R"`` or ``""`` when unknown; a plain string is accepted
        and normalised (``"left"`` becomes ``Laterality.L``).
    view : View or str
        ``"CC"``, ``"MLO"``, ... or ``""`` when unknown; a plain string is
        normalised to a :class:`View`, and text that is no CID 4014 view
        (a vendor's ``"RCC"``) is kept as it is.
    patient_id, study_instance_uid, series_instance_uid, sop_instance_uid : str
        Identifiers from the header (PatientID is never written to a path).
    manufacturer : str
    presentation_intent : str
        ``"FOR PRESENTATION"``, ``"FOR PROCESSING"`` or ``""``.
    bits_stored : int
        Original bit depth.
    transforms : tuple of str
        What was done to reach ``pixels`` (e.g. ``"rescale"``, ``"invert"``,
        ``"log"``), in order, so results can be explained.
    spacing_source : str
        Which attribute gave ``spacing_mm`` (e.g. ``"ImagerPixelSpacing"``) or
        ``"default"`` when the caller's default was used.
    voi_window : (float, float) or None
        (center, width) of the first VOI window, in ``pixels`` units, for
        display only.
    transfer_syntax_uid : str
    path : str
    voi_lut_function : str
        ``"LINEAR"``, ``"LINEAR_EXACT"``, ``"SIGMOID"`` or ``"LUT"`` (a VOI LUT
        Sequence) for the VOI that ``voi_window`` stands for; ``""`` when the
        file has none.  ``voi_window`` is then the equivalent linear window
        (for SIGMOID: the ramp with the sigmoid's slope at its centre).
    photometric_interpretation : str
        As in the file (``"MONOCHROME1"`` or ``"MONOCHROME2"``), before any
        inversion.
    modality : str
        ``"MG"``, ``"DX"`` or ``"CR"``.
    sop_class_uid : str
        SOP Class UID of the image (for references to it, e.g. in a CAD SR).
    digitised_film : bool
        The header says this is scanned screen-film (Conversion Type ``DF`` or
        Detector Type ``FILM``; :func:`calcdetect.dicom.header.says_digitised_film`).
    """

    pixels: np.ndarray
    spacing_mm: tuple[float, float]
    laterality: Laterality = Laterality.UNKNOWN
    view: View | str = View.UNKNOWN
    patient_id: str = ""
    study_instance_uid: str = ""
    series_instance_uid: str = ""
    sop_instance_uid: str = ""
    manufacturer: str = ""
    presentation_intent: str = ""
    bits_stored: int = 0
    transforms: tuple[str, ...] = ()
    spacing_source: str = ""
    voi_window: tuple[float, float] | None = None
    transfer_syntax_uid: str = ""
    path: str = ""
    voi_lut_function: str = ""
    photometric_interpretation: str = ""
    modality: str = ""
    sop_class_uid: str = ""
    digitised_film: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "laterality", Laterality(self.laterality))
        object.__setattr__(self, "view", View.from_header(self.view))

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.pixels.shape)  # type: ignore[return-value]


@dataclass(frozen=True)
class Calcification:
    """One detected calcification (a bright, small, compact spot).

    ``contrast`` is in the units of the analysed pixels (top-hat height);
    ``snr`` is the best difference-of-Gaussians response over that level's
    noise, from the image's own noise model.  ``cluster_id`` is -1
    for a calcification that belongs to no cluster.  ``rejected`` is empty
    for a calcification, else why the classifier's candidate was rejected as
    an artefact (``dust``, ``scratch``, ``scanner_line``, ``vascular``:
    :mod:`calcdetect.detector.rejection`); a rejected one is in no cluster.
    """

    row_px: float
    col_px: float
    diameter_mm: float
    contrast: float
    snr: float
    area_px: int = 0
    elongation: float = 1.0
    cluster_id: int = -1
    compactness: float = 1.0
    #: the false-positive classifier's probability that this is a calcification
    probability: float = 1.0
    #: why it was rejected as an artefact ("" = not rejected)
    rejected: str = ""
    #: direction of the long axis, degrees from the column (x) axis towards the row (y, down) axis, in
    #: (-90, 90]; meaningless for a round one (``elongation`` near 1)
    orientation_deg: float = 0.0


@dataclass(frozen=True)
class Cluster:
    """A group of calcifications (BI-RADS style: several within 1 cm²)."""

    cluster_id: int
    n_calcifications: int
    row_px: float
    col_px: float
    bbox_px: tuple[int, int, int, int]  # (row_min, col_min, row_max, col_max), inclusive
    area_mm2: float
    score: float


@dataclass(frozen=True)
class ImageResult:
    """What the detector found on one image.

    ``score`` is the best cluster score (0 when there is no cluster) and
    ``flag`` is ``score >= threshold``, the operating point of the model that
    scored the image (:func:`calcdetect.detector.fp_model.threshold_for`).  ``rejected_calcifications``
    are candidates the classifier accepted and the artefact tests rejected
    (each with its ``rejected`` reason); they count nowhere else.  ``search_outline_rc``
    outlines the part of the breast that was searched (the breast less the skin band and, on
    MLO, the pectoral muscle), so that a reader can see what was not.
    """

    calcifications: tuple[Calcification, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    score: float = 0.0
    flag: bool = False
    #: the image threshold that applied: ``config.image_threshold``, or ``image_threshold_coarse``
    #: when the coarse-pixel model scored the image (``coarse_model``); their ``_film`` twins for an
    #: image taken for scanned screen-film (``digitised_film``)
    threshold: float = 0.0
    coarse_model: bool = False
    breast_area_mm2: float = 0.0
    #: candidates measured, and how many were rejected for each reason
    n_candidates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    #: the image's fitted noise curve (:meth:`calcdetect.detector.noise_model.NoiseCurve.to_dict`)
    noise_model: dict = field(default_factory=dict, compare=False)
    timings_s: dict[str, float] = field(default_factory=dict, compare=False)
    #: accepted by the classifier, then rejected as artefacts (never clustered)
    rejected_calcifications: tuple[Calcification, ...] = ()
    #: the image's own blur (:meth:`calcdetect.detector.point_spread.PointSpread.to_dict`)
    point_spread: dict = field(default_factory=dict, compare=False)
    #: where the detector searched (:func:`calcdetect.detector.mask.search_outline_rc`): closed
    #: polygons of (row, col) vertices in pixels of the image, on the edge of the search region;
    #: empty when nothing was searched or the result predates it.  For drawing only: not written
    #: to the scan's records or CSV files.
    search_outline_rc: tuple[tuple[tuple[float, float], ...], ...] = field(default=(), compare=False)
    #: the image was treated as scanned screen-film (:func:`calcdetect.detector.pipeline.treated_as_film`)
    digitised_film: bool = False
