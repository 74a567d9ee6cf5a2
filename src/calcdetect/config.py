"""The detector's configuration: one frozen dataclass, every size in millimetres.

Sizes are physical so that one configuration serves every vendor and pixel
spacing; :func:`mm_to_px` is the single place where they become pixels.
:meth:`DetectorConfig.default` loads the calibrated defaults shipped in
``calcdetect/data/default_config.json`` (written by ``calcdetect calibrate``).

There is one default, the calibrated one: the field defaults of
:class:`DetectorConfig` are read from that file, so ``DetectorConfig()``,
``DetectorConfig.default()`` and ``DetectorConfig.from_dict({})`` are the same
configuration, and a partial configuration changes only the keys it names.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["DetectorConfig", "mm_to_px", "DEFAULT_CONFIG_RESOURCE", "LOG_OFFSET_BACKGROUND_NOISE",
           "LOG_OFFSET_RANGE", "THRESHOLD_FIELD"]

#: package resource holding the calibrated defaults
DEFAULT_CONFIG_RESOURCE = "data/default_config.json"


def _shipped_defaults() -> dict[str, Any]:
    # Read once at import: the defaults are immutable package data, and a
    # missing file or key is a broken install that must fail loudly here.
    text = resources.files("calcdetect").joinpath(DEFAULT_CONFIG_RESOURCE).read_text(encoding="utf-8")
    return json.loads(text)


_SHIPPED = _shipped_defaults()


def mm_to_px(length_mm: float, spacing_mm: float) -> float:
    """Convert a physical length to (fractional) pixels along one axis.

    Parameters
    ----------
    length_mm : float
        Length in millimetres.
    spacing_mm : float
        Pixel spacing along the axis, in millimetres (must be > 0).

    Examples
    --------
    >>> mm_to_px(0.8, 0.1)
    8.0
    """
    if not spacing_mm > 0:
        raise ValueError(f"pixel spacing must be a positive number of mm, got {spacing_mm!r}")
    return float(length_mm) / float(spacing_mm)


# name -> (minimum, maximum) allowed value, inclusive; None = unbounded
_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "tophat_size_mm": (0.2, 5.0),
    "scale_min_mm": (0.005, 1.0),
    "scale_ratio": (1.1, 3.0),
    "n_scales": (1, 12),
    "scale_floor_px": (0.3, 3.0),
    "max_diameter_mm": (0.1, 10.0),
    "snr_threshold": (0.5, 100.0),
    "spot_sigma_mm": (0.01, 1.0),
    "spot_min_spacing_mm": (0.0, 100.0),
    "line_source_snr": (0.0, 100.0),
    "line_source_length_mm": (0.01, 5.0),
    "min_separation_mm": (0.0, 5.0),
    "max_candidates": (1, 10_000_000),
    "noise_tile_mm": (1.0, 100.0),
    "local_noise_mm": (0.0, 20.0),
    "mask_spacing_mm": (0.05, 5.0),
    "skin_margin_mm": (0.0, 50.0),
    "pectoral_margin_mm": (0.0, 50.0),
    "accept_probability": (0.0, 1.0),
    "cluster_min_count": (2, 1000),
    "cluster_area_mm2": (1.0, 10_000.0),
    "image_threshold": (0.0, None),
    "image_threshold_coarse": (0.0, None),
    "image_threshold_film": (0.0, None),
    "image_threshold_film_coarse": (0.0, None),
    "dust_z": (0.0, 1000.0),
    "psf_margin": (0.1, 1.0),
    "line_z": (0.0, 1000.0),
    "scanner_line_min_mm": (0.0, 10_000.0),
    "scratch_min_length_mm": (0.0, 1000.0),
    "vascular_min_length_mm": (0.0, 1000.0),
    "vascular_row_count": (0, 1000),
}

#: fields holding text, not numbers
_TEXT_FIELDS = ("fp_model", "fp_model_coarse", "cluster_model", "calibration_seeds", "calibration_date",
                "calibration_note", "image_family", "mask_log_offset")

#: the values of ``mask_log_offset``: today's, and the one the shipped coarse model's candidates were found with
LOG_OFFSET_BACKGROUND_NOISE, LOG_OFFSET_RANGE = "background_noise", "range_1e-3"

#: text fields with a fixed set of values
_CHOICES: dict[str, tuple[str, ...]] = {"image_family": ("auto", "film", "digital"),
                                         "mask_log_offset": (LOG_OFFSET_BACKGROUND_NOISE, LOG_OFFSET_RANGE)}


#: the field holding an image threshold, by (the coarse-pixel model scored the image, the image is
#: taken for scanned screen-film): :func:`calcdetect.detector.fp_model.threshold_for`
THRESHOLD_FIELD = {(False, False): "image_threshold", (True, False): "image_threshold_coarse",
                   (False, True): "image_threshold_film", (True, True): "image_threshold_film_coarse"}
#: each general image threshold and its twin for scanned screen-film
_FILM_TWIN = {THRESHOLD_FIELD[coarse, False]: THRESHOLD_FIELD[coarse, True] for coarse in (False, True)}


@dataclass(frozen=True)
class DetectorConfig:
    """Every parameter of the detector (sizes in mm, thresholds unitless).

    Attributes
    ----------
    tophat_size_mm : float
        Width of the square structuring element of the white top-hat (the
        morphological contrast of each candidate); bright structures narrower
        than this pass, tissue does not.
    scale_min_mm, scale_ratio, n_scales : float, float, int
        The blob scales: Gaussian sigmas ``scale_min_mm * scale_ratio**k``
        for ``k = 0 .. n_scales`` (``n_scales`` difference-of-Gaussians levels).
    scale_floor_px : float
        No scale below this many pixels (a coarser image gets fewer levels).
        0.5: the blur a sampled image already holds (the scale-space
        convention).  At 0.6 a 0.2 mm image's finest level started at 0.6 px
        and left 1-2 px calcifications in tissue texture below the candidate
        threshold: on the development set, visible clusters with three
        members among the candidates at 0.2 mm 0.82 -> 0.875 (native
        resolution unchanged, 7 % more candidates).
    max_diameter_mm : float
        Objects wider than this are coarse (benign calcifications, markers):
        the scale of the ``mid_ratio`` feature.
    snr_threshold : float
        Candidate threshold on each level's response over that level's noise
        (the image's own noise model, raised by the texture of its tile):
        low, the classifier decides.
    spot_sigma_mm, spot_min_spacing_mm : float, float
        The prewhitened spot filter (:mod:`calcdetect.detector.spot`): the
        Gaussian spot it is matched to, and the pixel spacing from which on
        it runs beside the DoG levels (its peaks are candidates too, its SNR
        is a feature).  At 0.15 mm and coarser the DoG levels sit on the
        pixel floor; at finer pixels one spectrum per image did worse than
        them.  A spacing above any image's switches it off.
    line_source_snr, line_source_length_mm : float, float
        The thin-line response (:mod:`calcdetect.detector.ridge`), a
        candidate source beside the DoG levels for fine linear branching
        calcifications, at pixels finer than
        :data:`calcdetect.detector.ridge.LINE_MAX_SPACING_MM`: its peaks
        with an SNR (over its own noise and texture, as a level's) of at
        least ``line_source_snr`` are candidates, and every candidate's SNR
        on it is the ``line_snr`` feature; 0 switches it off.  The line is
        the finest blob scale wide and ``line_source_length_mm`` (a
        Gaussian sigma) long.
    min_separation_mm : float
        Peaks closer than this are one candidate.
    max_candidates : int
        Hard cap on candidates per image (the strongest are kept).
    noise_tile_mm : float
        Side of the regions in which each level's texture noise (over the
        noise model's) is measured: the candidate threshold is in those units.
    local_noise_mm : float
        Window of the local texture feature (0 disables it).
    mask_spacing_mm : float
        Working resolution of the breast mask, pectoral search and noise model.
    mask_log_offset : str
        The offset under the logarithm on which the breast mask separates a
        film's breast from its background: ``"background_noise"`` (the
        background's own noise, since 2026-12-01, history step 11) or
        ``"range_1e-3"`` (1e-3 of the image's range, before; on 16-bit film
        it cut the breast's periphery off).  The second is for training:
        the shipped ``fp_model_coarse`` was trained on candidates found with
        it, its recipe records it, and so ``calcdetect train --coarse``
        rebuilds that model.
    skin_margin_mm : float
        Candidates closer than this to the breast edge are skin artefacts.
    pectoral_margin_mm : float
        Band beyond the pectoral muscle edge (MLO) where candidates are ignored.
    accept_probability : float
        A candidate whose classifier probability reaches this is a calcification.
    cluster_min_count : int
        Calcifications needed for a cluster (BI-RADS style).
    cluster_area_mm2 : float
        They must lie within a disc of this area around a member.
    image_threshold : float
        Operating point of the images ``fp_model`` scores (pixels finer than
        ``spot_min_spacing_mm``): an image is positive when its best cluster
        score (by default the cluster model's probability; see
        ``cluster_model``) is at least this.
    image_threshold_coarse : float
        The same for the images ``fp_model_coarse`` scores (``spot_min_spacing_mm``
        and coarser): each model's scores have their own operating point
        (:func:`calcdetect.detector.fp_model.threshold_for`).
    image_threshold_film, image_threshold_film_coarse : float
        The same two for images taken for scanned screen-film (``image_family``):
        film is held to fewer flagged normals (issue 18's 5 %) than digital.  A
        configuration that gives ``image_threshold`` (``image_threshold_coarse``)
        but not its film twin sets both to the value it gives, as before the
        twins existed.
    dust_z : float
        A candidate sharper than a point seen through the image's own blur
        (estimated from its noise, :mod:`calcdetect.detector.point_spread`) by
        this many standard deviations is rejected as ``dust`` (0: test off).
    psf_margin : float
        The speck test assumes a PSF this fraction of the estimated one (a
        tolerance for a non-Gaussian PSF and for the estimate).
    line_z : float
        Robust z a scanner line (row/column) or a line through a candidate
        must reach (0: line and tram-track tests off).
    scanner_line_min_mm : float
        Shortest row/column run that is a scanner line.
    scratch_min_length_mm : float
        A thin continuous line running ``scratch_min_length_mm / 2`` both ways
        from a candidate makes it a ``scratch`` (rays of that length are also
        the tram-track test's).
    vascular_min_length_mm : float
        A line of dashes with a parallel rail over this length is ``vascular``
        (0: off).
    vascular_row_count : int
        ``vascular_row_count`` or more accepted candidates in a row over
        ``vascular_min_length_mm``, with no rail seen, are ``vascular`` too
        (0: off, the default: calcifications in a linear or segmental
        distribution are themselves suspicious, and on the fresh test phantoms
        at 0.2 mm the rule took a true cluster with the candidates along it).
    fp_model : str
        False-positive model: empty for the one shipped in the package, or a
        path ``PATH`` to ``PATH.txt`` + ``PATH.json`` written by ``calcdetect train``.
    fp_model_coarse : str
        The same for images at ``spot_min_spacing_mm`` and coarser (empty:
        the shipped ``fp_model_coarse``, trained with the spot filter's
        candidates and ``spot_snr``; ``calcdetect train --coarse``).
    cluster_model : str
        How a cluster is scored: empty (the default) for the shipped cluster
        model's probability (:mod:`calcdetect.detector.cluster_model`), a path
        ``PATH`` to one written by ``calcdetect train OUT --clusters``, or
        ``"top-sum"`` for the sum of its ``cluster_min_count`` highest member
        probabilities (the default until 2026-12-02).  The scores of a model run
        0-1, those of ``"top-sum"`` 0-3: each needs its own thresholds, so a
        configuration file that changes this key must give both
        ``image_threshold`` and ``image_threshold_coarse`` too (history steps 13
        and 14).
    image_family : str
        Whether an image is scanned screen-film, which picks its thresholds
        (the ``_film`` twins) and is the candidate feature ``digitised_film``
        (which no shipped model reads): ``"auto"`` (the default)
        takes it from each file's header
        (:func:`calcdetect.dicom.header.says_digitised_film`), ``"film"`` or
        ``"digital"`` says it for every image, e.g. for films converted to
        DICOM without Conversion Type ``DF``.
    calibration_seeds, calibration_date, calibration_note : str
        Where the image thresholds came from.
    """

    tophat_size_mm: float = _SHIPPED["tophat_size_mm"]
    scale_min_mm: float = _SHIPPED["scale_min_mm"]
    scale_ratio: float = _SHIPPED["scale_ratio"]
    n_scales: int = _SHIPPED["n_scales"]
    scale_floor_px: float = _SHIPPED["scale_floor_px"]
    max_diameter_mm: float = _SHIPPED["max_diameter_mm"]
    snr_threshold: float = _SHIPPED["snr_threshold"]
    spot_sigma_mm: float = _SHIPPED["spot_sigma_mm"]
    spot_min_spacing_mm: float = _SHIPPED["spot_min_spacing_mm"]
    line_source_snr: float = _SHIPPED["line_source_snr"]
    line_source_length_mm: float = _SHIPPED["line_source_length_mm"]
    min_separation_mm: float = _SHIPPED["min_separation_mm"]
    max_candidates: int = _SHIPPED["max_candidates"]
    noise_tile_mm: float = _SHIPPED["noise_tile_mm"]
    local_noise_mm: float = _SHIPPED["local_noise_mm"]
    mask_spacing_mm: float = _SHIPPED["mask_spacing_mm"]
    mask_log_offset: str = _SHIPPED["mask_log_offset"]
    skin_margin_mm: float = _SHIPPED["skin_margin_mm"]
    pectoral_margin_mm: float = _SHIPPED["pectoral_margin_mm"]
    accept_probability: float = _SHIPPED["accept_probability"]
    cluster_min_count: int = _SHIPPED["cluster_min_count"]
    cluster_area_mm2: float = _SHIPPED["cluster_area_mm2"]
    image_threshold: float = _SHIPPED["image_threshold"]
    image_threshold_coarse: float = _SHIPPED["image_threshold_coarse"]
    image_threshold_film: float = _SHIPPED["image_threshold_film"]
    image_threshold_film_coarse: float = _SHIPPED["image_threshold_film_coarse"]
    dust_z: float = _SHIPPED["dust_z"]
    psf_margin: float = _SHIPPED["psf_margin"]
    line_z: float = _SHIPPED["line_z"]
    scanner_line_min_mm: float = _SHIPPED["scanner_line_min_mm"]
    scratch_min_length_mm: float = _SHIPPED["scratch_min_length_mm"]
    vascular_min_length_mm: float = _SHIPPED["vascular_min_length_mm"]
    vascular_row_count: int = _SHIPPED["vascular_row_count"]
    fp_model: str = _SHIPPED["fp_model"]
    fp_model_coarse: str = _SHIPPED["fp_model_coarse"]
    cluster_model: str = _SHIPPED["cluster_model"]
    image_family: str = _SHIPPED["image_family"]
    calibration_seeds: str = _SHIPPED["calibration_seeds"]
    calibration_date: str = _SHIPPED["calibration_date"]
    calibration_note: str = _SHIPPED["calibration_note"]

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in _TEXT_FIELDS:
                if not isinstance(value, str):
                    raise ValueError(f"{f.name} must be a string, got {value!r}")
                if f.name in _CHOICES and value not in _CHOICES[f.name]:
                    raise ValueError(f"{f.name} must be one of {', '.join(_CHOICES[f.name])}, got {value!r}")
                continue
            integer = f.type in ("int", int)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{f.name} must be a number, got {value!r}")
            if integer and float(value) != int(value):
                raise ValueError(f"{f.name} must be a whole number, got {value!r}")
            if not math.isfinite(float(value)):
                raise ValueError(f"{f.name} must be finite, got {value!r}")
            lo, hi = _BOUNDS[f.name]
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                raise ValueError(f"{f.name} must be in [{lo}, {hi}], got {value!r}")
            object.__setattr__(self, f.name, int(value) if integer else float(value))

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as a JSON-safe dict (field name -> value)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DetectorConfig:
        """Build a configuration from a dict such as :meth:`to_dict` returns.

        Missing keys take the calibrated defaults (:meth:`default`).  Unknown keys or bad values
        raise :class:`ValueError` naming them.
        """
        if not isinstance(data, dict):
            raise ValueError(f"a detector configuration must be a JSON object, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown detector configuration key(s): {', '.join(unknown)}")
        # a configuration written before film had its own thresholds (a site's calibration) meant its
        # thresholds for every image: its film twins follow it
        data = {**{film: data[digital] for digital, film in _FILM_TWIN.items() if digital in data}, **data}
        missing = [k for k in ("image_threshold", "image_threshold_coarse") if k not in data]
        if data.get("cluster_model", _SHIPPED["cluster_model"]) != _SHIPPED["cluster_model"] and missing:
            # the calibrated thresholds belong to the shipped cluster score; another score has another
            # scale (top-sum 0-3, a model 0-1), so taking them would flag almost every image or none
            raise ValueError(
                f"cluster_model {data['cluster_model']!r} needs its own {' and '.join(missing)}: the calibrated "
                f"ones ({_SHIPPED['image_threshold']:g}, {_SHIPPED['image_threshold_coarse']:g}) belong to the "
                "shipped cluster model. Give both (for \"top-sum\" the ones calibrated for it were 0.954 and "
                "1.308); `calcdetect calibrate --normals DIR --base FILE` replaces them with ones chosen on your "
                "own normal images")
        return cls(**data)

    @classmethod
    def from_file(cls, path: str) -> DetectorConfig:
        """Read a JSON or (by its ``.toml`` suffix) TOML file of configuration keys.

        Keys the file does not name keep their calibrated defaults.
        """
        text = Path(path).read_text("utf-8")
        data = tomllib.loads(text) if str(path).lower().endswith(".toml") else json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the file must hold a mapping of configuration keys")
        return cls.from_dict(data)

    @classmethod
    def from_json(cls, path: str) -> DetectorConfig:
        """Read a configuration written by :meth:`to_json` or ``calcdetect calibrate``."""
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))

    def to_json(self) -> str:
        """Return the configuration as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def default(cls) -> DetectorConfig:
        """The calibrated defaults shipped with the package (the same as ``DetectorConfig()``)."""
        return cls()

    def replace(self, **changes: Any) -> DetectorConfig:
        """Return a copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes)
