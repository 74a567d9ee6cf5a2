"""Tabulate the effective attenuation of calcifications and breast tissue for each preset's beam.

    .venv/bin/python scripts/make_beam_table.py   # rewrites src/calcdetect/data/beam_attenuation.json

For every beam (anode / filter / kVp) of :data:`calcdetect.phantom.presets.PRESETS`
and a grid of compressed breast thicknesses, the spectrum from ``spekpy``
(Poludniowski's model) is hardened by the breast (50 % glandular, Hammerstein
compositions) and weighted by energy (an energy-integrating detector); the
mass attenuation coefficients come from ``xraydb`` (Elam / XCOM data).  The
effective linear attenuation of a material for a thin object of path ``t0``
is then ``-ln(sum w(E) exp(-mu(E) t0) / sum w(E)) / t0``.

Why a committed table instead of computing at run time: ``spekpy`` takes ~4 s
to import and ~1 s per spectrum, longer than a whole small phantom; the
table is a few kB and makes the generator's contrast exactly reproducible.
``spekpy`` and ``xraydb`` are in the ``physics`` extra of pyproject.toml.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

#: thin-object path (mm) at which the effective coefficients are taken: a typical calcification
PATH_MM = 0.3
#: compressed breast thicknesses (mm) of the table; the generator interpolates between them
THICKNESSES_MM = (20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0)
#: glandular fraction of the breast that hardens the beam
HARDENING_GLANDULAR_FRACTION = 0.5
#: exit window of a mammography tube (beryllium, mm)
BE_WINDOW_MM = 1.0

# elemental composition by weight and density (g/cm³):
# breast tissue after Hammerstein et al., Radiology 130:485 (1979);
# hydroxyapatite Ca10(PO4)6(OH)2 and calcium oxalate monohydrate (whewellite) by formula.
_TISSUE = {
    "adipose": ({"H": 0.112, "C": 0.619, "N": 0.017, "O": 0.251, "P": 0.00025, "S": 0.00025}, 0.93),
    "glandular": ({"H": 0.102, "C": 0.184, "N": 0.032, "O": 0.677, "P": 0.005}, 1.04),
}
MATERIALS = {
    "hydroxyapatite": ("Ca10P6O26H2", 3.06),
    "calcium_oxalate": ("CaC2O4H2O", 1.78),
}


def _formula(weights: dict[str, float]) -> str:
    import xraydb

    return "".join(f"{el}{w / xraydb.atomic_mass(el):.6f}" for el, w in weights.items())


def _mu_per_mm(formula: str, density: float, energy_kev: np.ndarray) -> np.ndarray:
    import xraydb

    return np.asarray(xraydb.material_mu(formula, energy_kev * 1000.0, density=density)) / 10.0


def beam_table(anode: str, filter_material: str, filter_mm: float, kvp: float) -> dict:
    """Effective coefficients (1/mm) for one beam, one entry per thickness of :data:`THICKNESSES_MM`."""
    import spekpy

    s = spekpy.Spek(kvp=kvp, targ=anode, dk=0.25)
    s.filter("Be", BE_WINDOW_MM)
    s.filter(filter_material, filter_mm)
    e, phi = (np.asarray(a, float) for a in s.get_spectrum())
    keep = phi > 0
    e, phi = e[keep], phi[keep]
    mu = {name: _mu_per_mm(_formula(w), rho, e) for name, (w, rho) in _TISSUE.items()}
    mu.update({name: _mu_per_mm(f, rho, e) for name, (f, rho) in MATERIALS.items()})
    g = HARDENING_GLANDULAR_FRACTION
    mu_breast = (1 - g) * mu["adipose"] + g * mu["glandular"]
    out = {"thickness_mm": list(THICKNESSES_MM), "mean_energy_kev": [], **{k: [] for k in mu}}
    for t in THICKNESSES_MM:
        w = phi * np.exp(-mu_breast * t) * e  # behind the breast, energy-integrating detector
        w /= w.sum()
        out["mean_energy_kev"].append(round(float((w * e).sum()), 3))
        for name, m in mu.items():
            eff = -np.log(float((w * np.exp(-m * PATH_MM)).sum())) / PATH_MM
            out[name].append(round(float(eff), 5))
    return out


def main(out: Path) -> None:
    from calcdetect.phantom.presets import PRESETS

    beams = sorted({p.beam for p in PRESETS.values()})
    table = {
        "what": "effective linear attenuation (1/mm) of thin objects behind a compressed breast; "
                "scripts/make_beam_table.py",
        "path_mm": PATH_MM,
        "hardening_glandular_fraction": HARDENING_GLANDULAR_FRACTION,
        "be_window_mm": BE_WINDOW_MM,
        "densities_g_cm3": {k: v[1] for k, v in {**_TISSUE, **MATERIALS}.items()},
        "beams": {},
    }
    for b in beams:
        anode, filt, kvp = b.split("/")
        fm, fmm = filt.split(":")
        table["beams"][b] = beam_table(anode, fm, float(fmm), float(kvp.removesuffix("kV")))
        print(b, table["beams"][b]["mean_energy_kev"][3], table["beams"][b]["hydroxyapatite"][3])
    out.write_text(json.dumps(table, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1
         else Path(__file__).resolve().parents[1] / "src" / "calcdetect" / "data" / "beam_attenuation.json")
