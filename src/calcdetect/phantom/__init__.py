"""Synthetic mammograms with ground truth (``calcdetect phantoms``).

Public API::

    PRESETS                    name -> VendorPreset (digital, and digitised film: film-*)
    FILM_PRESETS               the full-size film presets (film-mix draws one per image)
    make_phantom(seed=..., preset="demo", view="CC", laterality="L", ...,
                 visibility=None | "visible" | "subtle" | "occult" | "any") -> Phantom
    VISIBILITY_CLASSES, REALISTIC_MIX, classify_cluster   (the class rule)
    write_phantom(phantom, out_dir, name) -> (dcm_path, truth_path)
    write_phantom_set(out_dir, n=..., seed=..., preset="mix") -> [dcm paths]
    write_cohort_phantoms(out_dir, records_csv, seed=..., preset="demo") -> [dcm paths]

See ``docs/phantom-truth.md`` for the truth JSON and the module docstrings of
:mod:`.anatomy`, :mod:`.acquisition`, :mod:`.materials`, :mod:`.visibility`,
:mod:`.film` and :mod:`.film_distractors` for the physics.
"""

from __future__ import annotations

from calcdetect.phantom.generate import Phantom, make_phantom
from calcdetect.phantom.dicom_writer import write_phantom
from calcdetect.phantom.presets import FILM_PRESETS, MIX_FAMILIES, PRESETS, VENDOR_PRESETS, VendorPreset
from calcdetect.phantom.sets import read_cohort_records, write_cohort_phantoms, write_phantom_set
from calcdetect.phantom.visibility import REALISTIC_MIX, VISIBILITY_CLASSES, classify_cluster

__all__ = [
    "PRESETS",
    "VENDOR_PRESETS",
    "FILM_PRESETS",
    "MIX_FAMILIES",
    "VendorPreset",
    "Phantom",
    "make_phantom",
    "write_phantom",
    "write_phantom_set",
    "write_cohort_phantoms",
    "read_cohort_records",
    "VISIBILITY_CLASSES",
    "REALISTIC_MIX",
    "classify_cluster",
]
