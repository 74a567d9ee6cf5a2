"""Vendor-like acquisition presets for the synthetic mammograms.

A :class:`VendorPreset` says how a phantom is *acquired and stored*: detector
matrix and pixel spacing, bit depth, photometric interpretation, presentation
intent, transfer syntax, and the detector physics that shape the noise (dose in
quanta per mm², electronic noise, blur).  The names end in ``-like``: they
imitate the kind of file a vendor's system writes, they are not that vendor's
data, and the DICOM ``Manufacturer`` says ``"Synthetic (<name>)"``.

Besides the four full-size vendor presets there are reduced-matrix variants
(``demo-*`` at 0.1 mm, about 2000 x 1600, for the five-minute demo; ``small-*``
about 600 x 480 for fast tests and the committed sample files) that keep each
vendor's encoding, and the pseudo-presets ``"mix"``, ``"demo-mix"`` and
``"small-mix"`` that draw one of a family per image.

The film family (``film-*``, with ``small-film-*`` variants over the same
6 x 4.8 cm field at each preset's own pitch, and the mixes ``"film-mix"`` and
``"small-film-mix"``) is digitised screen-film: a preset with a
:class:`~calcdetect.phantom.film.FilmSpec` (characteristic curve, grain,
scanner encoding, the DICOM object it is written as), scanned at 0.05-0.2 mm
and 8, 12 or 16 bits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Mapping

import numpy as np

from calcdetect.phantom.film import MAMMOGRAPHY_FILM, OD_LINEAR, TRANSMITTANCE_LINEAR, FilmSpec

# transfer syntax UIDs (plain strings: only the writer and calcdetect.io import pydicom)
ExplicitVRLittleEndian = "1.2.840.10008.1.2.1"
ImplicitVRLittleEndian = "1.2.840.10008.1.2"
JPEG2000Lossless = "1.2.840.10008.1.2.4.90"
RLELossless = "1.2.840.10008.1.2.5"

__all__ = [
    "VendorPreset",
    "PRESETS",
    "VENDOR_PRESETS",
    "MIX_FAMILIES",
    "FILM_PRESETS",
    "resolve_preset",
    "FOR_PRESENTATION",
    "FOR_PROCESSING",
]

FOR_PRESENTATION = "FOR PRESENTATION"
FOR_PROCESSING = "FOR PROCESSING"


@dataclass(frozen=True)
class VendorPreset:
    """How a phantom is acquired and stored.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"hologic-like"``.
    rows, cols : int
        Detector matrix (the whole detector; the breast fills part of it).
    spacing_mm : float
        Square detector pixel size (ImagerPixelSpacing), 0.05 to 0.1 mm
        (a film preset: the scan pitch, 0.05 to 0.2 mm).
    bits_stored : int
        12 or 14 (BitsAllocated is always 16); a film preset 8, 12 or 16
        (BitsAllocated 8 for 8 bits).
    photometric : str
        ``"MONOCHROME1"`` (low value = white) or ``"MONOCHROME2"``.
    presentation_intent : str
        ``"FOR PRESENTATION"`` (log + contrast curve) or ``"FOR PROCESSING"``
        (linear in exposure).
    transfer_syntax_uid : str
        How the pixel data are encoded in the file.
    quanta_per_mm2 : float
        Unattenuated detected quanta per mm² (sets the quantum noise level).
    electronic_noise : float
        Standard deviation of the additive electronic noise, in quanta per pixel.
    blur_sigma_mm : float
        Standard deviation of the Gaussian detector point spread function.
    detector_type : str
        DICOM DetectorType: ``"DIRECT"`` (a-Se), ``"SCINTILLATOR"`` (CsI) or
        ``"STORAGE"`` (computed radiography plate).
    model_name : str
        ManufacturerModelName written to the file.
    anode, filter_material : str
        Target and added filter of the tube (element symbols), e.g. ``"W"``
        and ``"Rh"``.
    filter_mm : float
        Added filter thickness.
    kvp : float
        Tube voltage.  Beam and breast thickness set the calcifications'
        contrast (``data/beam_attenuation.json``, from ``scripts/make_beam_table.py``).
    film : FilmSpec, optional
        Set for digitised screen-film (:mod:`calcdetect.phantom.film`): then
        ``quanta_per_mm2`` is the screen's effective absorbed quanta,
        ``blur_sigma_mm`` the screen's and scanner optics' blur together, and
        ``electronic_noise`` is 0 (film grain and scanner noise take its place).
    """

    name: str
    rows: int
    cols: int
    spacing_mm: float
    bits_stored: int
    photometric: str
    presentation_intent: str
    transfer_syntax_uid: str
    quanta_per_mm2: float
    electronic_noise: float
    blur_sigma_mm: float
    detector_type: str
    model_name: str
    anode: str = "W"
    filter_material: str = "Rh"
    filter_mm: float = 0.05
    kvp: float = 29.0
    film: FilmSpec | None = None

    def __post_init__(self) -> None:
        film = self.film is not None
        bits, (lo_mm, hi_mm), side = ((8, 12, 16), (0.05, 0.2), 6000) if film else ((12, 14), (0.05, 0.1), 4096)
        if self.bits_stored not in bits:
            raise ValueError(f"bits_stored must be one of {bits}, got {self.bits_stored!r}")
        if not lo_mm <= self.spacing_mm <= hi_mm:
            raise ValueError(f"spacing_mm must be within {lo_mm}..{hi_mm} mm, got {self.spacing_mm!r}")
        if self.photometric not in ("MONOCHROME1", "MONOCHROME2"):
            raise ValueError(f"photometric must be MONOCHROME1 or MONOCHROME2, got {self.photometric!r}")
        if self.presentation_intent not in (FOR_PRESENTATION, FOR_PROCESSING):
            raise ValueError(f"unknown presentation intent {self.presentation_intent!r}")
        if not (64 <= self.rows <= side and 64 <= self.cols <= side):
            raise ValueError(f"matrix must be within 64..{side} pixels a side, got {self.rows}x{self.cols}")
        if film and (self.presentation_intent != FOR_PRESENTATION or self.electronic_noise != 0
                     or self.film.darker_is_higher != (self.photometric == "MONOCHROME1")):
            raise ValueError(f"film preset {self.name!r}: must be FOR PRESENTATION with electronic_noise 0, and "
                             "MONOCHROME1 exactly when a larger stored value is a darker film")

    @property
    def beam(self) -> str:
        """Key of the beam in the attenuation table: ``"W/Rh:0.05/29kV"``."""
        return f"{self.anode}/{self.filter_material}:{self.filter_mm:g}/{self.kvp:g}kV"

    @property
    def manufacturer(self) -> str:
        """The DICOM Manufacturer: never a real vendor's name."""
        return f"Synthetic ({self.name})"

    @property
    def max_value(self) -> int:
        return (1 << self.bits_stored) - 1

    @property
    def bits_allocated(self) -> int:
        """8 for an 8-bit preset, else 16."""
        return 8 if self.bits_stored <= 8 else 16

    @property
    def quanta_per_pixel(self) -> float:
        return self.quanta_per_mm2 * self.spacing_mm**2


# Beams: W/Rh on a-Se systems, Rh/Rh on a CsI system, Mo/Mo on the older
# unit a CR plate is read from (typical screening settings for ~5 cm).
# Dose: ~ 1e5 .. 2e5 detected quanta/mm² unattenuated is the order of a
# screening exposure behind 4-6 cm of breast giving a few hundred to a
# thousand quanta per 0.1 mm pixel; CR has the lowest detective efficiency.
_VENDORS = (
    VendorPreset(
        name="hologic-like", rows=4096, cols=3328, spacing_mm=0.07, bits_stored=12,
        photometric="MONOCHROME2", presentation_intent=FOR_PRESENTATION,
        transfer_syntax_uid=ExplicitVRLittleEndian, quanta_per_mm2=1.6e5,
        electronic_noise=4.0, blur_sigma_mm=0.04, detector_type="DIRECT",
        model_name="Synthetic a-Se FFDM", anode="W", filter_material="Rh", filter_mm=0.05, kvp=29.0,
    ),
    VendorPreset(
        name="ge-like", rows=3062, cols=2394, spacing_mm=0.1, bits_stored=14,
        photometric="MONOCHROME1", presentation_intent=FOR_PRESENTATION,
        transfer_syntax_uid=JPEG2000Lossless, quanta_per_mm2=1.4e5,
        electronic_noise=6.0, blur_sigma_mm=0.075, detector_type="SCINTILLATOR",
        model_name="Synthetic CsI FFDM", anode="Rh", filter_material="Rh", filter_mm=0.025, kvp=29.0,
    ),
    VendorPreset(
        name="siemens-like", rows=3328, cols=2560, spacing_mm=0.085, bits_stored=14,
        photometric="MONOCHROME2", presentation_intent=FOR_PROCESSING,
        transfer_syntax_uid=RLELossless, quanta_per_mm2=1.5e5,
        electronic_noise=5.0, blur_sigma_mm=0.05, detector_type="DIRECT",
        model_name="Synthetic a-Se FFDM (raw)", anode="W", filter_material="Rh", filter_mm=0.05, kvp=28.0,
    ),
    VendorPreset(
        name="fuji-cr-like", rows=4096, cols=3328, spacing_mm=0.05, bits_stored=12,
        photometric="MONOCHROME1", presentation_intent=FOR_PRESENTATION,
        transfer_syntax_uid=ImplicitVRLittleEndian, quanta_per_mm2=1.0e5,
        electronic_noise=3.0, blur_sigma_mm=0.07, detector_type="STORAGE",
        model_name="Synthetic CR plate", anode="Mo", filter_material="Mo", filter_mm=0.03, kvp=28.0,
    ),
)


# Digitised screen-film (docs/phantom-truth.md, "Digitised film"): a Mo/Mo
# 28 kV beam (the film era's), an 18 x 24 cm film (the 0.2 mm preset padded
# square as mini-MIAS is), a screen + scanner-optics blur wider than a digital
# detector's, and ~0.8e5 effective absorbed quanta/mm² (a screen-film system's
# lower detective efficiency at a screening dose; an assumption of the order
# of the digital presets' halved).  The scanners: a 12-bit one storing
# 1000 x density (higher = darker: MONOCHROME1), an 8-bit one storing
# 255 (1 - D / 3.2) as mini-MIAS did, a 16-bit one linear in transmittance.
_FILM_COMMON = dict(
    presentation_intent=FOR_PRESENTATION, quanta_per_mm2=0.8e5, electronic_noise=0.0, detector_type="FILM",
    anode="Mo", filter_material="Mo", filter_mm=0.03, kvp=28.0,
)
_FILMS = (
    VendorPreset(
        name="film-ddsm-like", rows=4800, cols=3600, spacing_mm=0.05, bits_stored=12, photometric="MONOCHROME1",
        transfer_syntax_uid=ExplicitVRLittleEndian, blur_sigma_mm=0.06, model_name="Synthetic film digitiser 12-bit",
        film=FilmSpec(encoding=OD_LINEAR, gl_at_od0=0.0, gl_per_od=1000.0,
                      spacing_attributes=("PixelSpacing", "NominalScannedPixelSpacing")),
        **_FILM_COMMON,
    ),
    VendorPreset(
        name="film-mias-like", rows=1024, cols=1024, spacing_mm=0.2, bits_stored=8, photometric="MONOCHROME2",
        transfer_syntax_uid=ImplicitVRLittleEndian, blur_sigma_mm=0.06, model_name="Synthetic film digitiser 8-bit",
        film=FilmSpec(encoding=OD_LINEAR, gl_at_od0=255.0, gl_per_od=-255.0 / 3.2,
                      spacing_attributes=("PixelSpacing",)),
        **_FILM_COMMON,
    ),
    VendorPreset(
        name="film-16bit-like", rows=2400, cols=1800, spacing_mm=0.1, bits_stored=16, photometric="MONOCHROME2",
        transfer_syntax_uid=ExplicitVRLittleEndian, blur_sigma_mm=0.07, model_name="Synthetic film digitiser 16-bit",
        film=FilmSpec(encoding=TRANSMITTANCE_LINEAR, gl_at_od0=65535.0, dicom_object=MAMMOGRAPHY_FILM,
                      spacing_attributes=("ImagerPixelSpacing", "PixelSpacing")),
        **_FILM_COMMON,
    ),
)
#: the full-size film presets, in a fixed order
FILM_PRESETS: tuple[str, ...] = tuple(p.name for p in _FILMS)


def _small_film(p: VendorPreset) -> VendorPreset:
    """The same film and scanner over a 60 x 48 mm field (fast tests)."""
    return replace(p, name=f"small-{p.name}", rows=int(round(60 / p.spacing_mm)), cols=int(round(48 / p.spacing_mm)))


def _reduced(p: VendorPreset, prefix: str, rows: int, cols: int) -> VendorPreset:
    return replace(p, name=f"{prefix}-{p.name}", rows=rows, cols=cols, spacing_mm=0.1,
                   blur_sigma_mm=max(p.blur_sigma_mm, 0.05))


def _build() -> dict[str, VendorPreset]:
    presets: dict[str, VendorPreset] = {p.name: p for p in _VENDORS}
    hologic = presets["hologic-like"]
    # "demo": a realistic smaller matrix (20 x 16 cm at 0.1 mm) for the demo.
    presets["demo"] = replace(hologic, name="demo", rows=2000, cols=1600, spacing_mm=0.1,
                              blur_sigma_mm=0.05)
    # "small": a 6 x 4.8 cm field for fast tests.
    presets["small"] = replace(hologic, name="small", rows=600, cols=480, spacing_mm=0.1,
                               blur_sigma_mm=0.05)
    for p in _VENDORS:
        presets[f"demo-{p.name}"] = _reduced(p, "demo", 2000, 1600)
        presets[f"small-{p.name}"] = _reduced(p, "small", 600, 480)
    for p in _FILMS:
        presets[p.name] = p
        presets[f"small-{p.name}"] = _small_film(p)
    return presets


#: name -> preset (read-only mapping; the four vendor presets, "demo", "small",
#: "demo-<vendor>" / "small-<vendor>" reduced variants, the film presets and
#: their "small-film-*" variants).
PRESETS: Mapping[str, VendorPreset] = MappingProxyType(_build())

#: the full-size vendor presets, in a fixed order.
VENDOR_PRESETS: tuple[str, ...] = tuple(p.name for p in _VENDORS)

#: pseudo-preset -> presets it draws from, one per image.
MIX_FAMILIES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "mix": VENDOR_PRESETS,
    "demo-mix": ("demo",) + tuple(f"demo-{n}" for n in VENDOR_PRESETS),
    "small-mix": ("small",) + tuple(f"small-{n}" for n in VENDOR_PRESETS),
    "film-mix": FILM_PRESETS,
    "small-film-mix": tuple(f"small-{n}" for n in FILM_PRESETS),
})


def resolve_preset(name: str, rng: np.random.Generator | None = None) -> VendorPreset:
    """Return the preset called ``name``; a mix name draws one with ``rng``.

    Raises
    ------
    ValueError
        If the name is neither a preset nor a mix (the message lists them).
    """
    if name in PRESETS:
        return PRESETS[name]
    if name in MIX_FAMILIES:
        if rng is None:
            raise ValueError(f"preset {name!r} is a mix: pass an rng to draw from it")
        family = MIX_FAMILIES[name]
        return PRESETS[family[int(rng.integers(len(family)))]]
    known = ", ".join(sorted(PRESETS) + sorted(MIX_FAMILIES))
    raise ValueError(f"unknown preset {name!r}; choose one of: {known}")
