"""Effective X-ray attenuation of calcifications and breast tissue, per beam.

Reads ``calcdetect/data/beam_attenuation.json`` (made by
``scripts/make_beam_table.py`` from ``spekpy`` spectra and ``xraydb``
coefficients): for each preset beam and compressed breast thickness, the
effective linear attenuation (1/mm) of hydroxyapatite (3.06 g/cm³), calcium
oxalate (1.78 g/cm³), adipose and glandular tissue for a thin object behind
the breast.  A calcification *displaces* tissue, so what it adds to the line
integral is ``(mu_calc - mu_tissue) * path``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np

__all__ = ["CALCIFICATION_MATERIALS", "beam_table", "contrast_mu_per_mm"]

#: calcium compounds a calcification can be made of (keys of the table)
CALCIFICATION_MATERIALS = ("hydroxyapatite", "calcium_oxalate")


@lru_cache(maxsize=1)
def _table() -> dict:
    text = resources.files("calcdetect").joinpath("data/beam_attenuation.json").read_text()
    return json.loads(text)


def beam_table(beam: str) -> dict:
    """The tabulated coefficients of one beam (``VendorPreset.beam``).

    Raises
    ------
    ValueError
        If the beam is not in the table (rerun ``scripts/make_beam_table.py``).
    """
    beams = _table()["beams"]
    if beam not in beams:
        raise ValueError(f"beam {beam!r} is not in data/beam_attenuation.json (has {sorted(beams)}); "
                         "run scripts/make_beam_table.py after adding a preset beam")
    return beams[beam]


def contrast_mu_per_mm(beam: str, material: str, *, thickness_mm: float, glandular_fraction: float) -> float:
    """Attenuation a calcification adds per mm of path, over the tissue it displaces.

    Parameters
    ----------
    beam : str
        ``VendorPreset.beam``, e.g. ``"W/Rh:0.05/29kV"``.
    material : str
        One of :data:`CALCIFICATION_MATERIALS`.
    thickness_mm : float
        Compressed breast thickness (hardens the beam); clamped to the table.
    glandular_fraction : float
        Glandular share of the displaced tissue, 0..1.

    Examples
    --------
    >>> mu = contrast_mu_per_mm("W/Rh:0.05/29kV", "hydroxyapatite", thickness_mm=50, glandular_fraction=0.5)
    >>> 1.4 < mu < 1.8
    True
    """
    if material not in CALCIFICATION_MATERIALS:
        raise ValueError(f"material must be one of {CALCIFICATION_MATERIALS}, got {material!r}")
    b = beam_table(beam)
    t = b["thickness_mm"]

    def at(name: str) -> float:
        return float(np.interp(thickness_mm, t, b[name]))

    g = float(np.clip(glandular_fraction, 0.0, 1.0))
    return at(material) - ((1.0 - g) * at("adipose") + g * at("glandular"))
