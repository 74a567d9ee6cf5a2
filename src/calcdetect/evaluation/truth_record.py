"""The ground truth of one phantom as typed, frozen records (``*.truth.json``, ``docs/phantom-truth.md``).

:class:`PhantomTruth` (with :class:`TruthCalcification` and
:class:`TruthCluster`) is what the phantom writer validates before writing and
what evaluation reads; ``from_dict`` / ``to_dict`` convert from and to the
JSON document.  Keys a record does not know are kept in ``extra`` and written
back, so a round trip loses nothing.

Format versions: ``calcdetect-phantom-truth/1`` files (before issue 12) hold
``d_prime`` computed for quantum noise alone; they are read into
``d_prime_quantum``, ``d_prime`` stays None and every cluster's visibility is
``"unknown"`` — it cannot be recomputed without the anatomy the file does not
hold.  From ``/1.1`` on, ``d_prime`` is against the total noise (quantum,
electronic and anatomical) and each cluster has its ``visibility`` class.
``/1.2`` adds each calcification's ``d_prime_0.2mm`` (the same observer in the
image area-averaged to 0.2 mm pixels) and each cluster's ``visibility_0.2mm``
(kept in ``extra``; absent from older files).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "TRUTH_FORMAT",
    "TRUTH_FORMAT_MAJOR",
    "VISIBILITY_UNKNOWN",
    "TruthCalcification",
    "TruthCluster",
    "PhantomTruth",
]

#: major format this module reads (any minor version of it)
TRUTH_FORMAT_MAJOR = "calcdetect-phantom-truth/1"
#: format written now
TRUTH_FORMAT = TRUTH_FORMAT_MAJOR + ".2"
#: class of a cluster from a file that predates visibility classes
VISIBILITY_UNKNOWN = "unknown"
_CLASSES = ("visible", "subtle", "occult", VISIBILITY_UNKNOWN)
_IMAGE_KEYS = ("sop_instance_uid", "rows", "cols", "spacing_mm", "has_cluster", "breast_area_mm2")


def _minor(fmt: str) -> int:
    rest = fmt[len(TRUTH_FORMAT_MAJOR):]
    return int(rest[1:]) if rest.startswith(".") and rest[1:].isdigit() else 0


def _opt_float(v: object) -> float | None:
    return None if v is None else float(v)


def _frozen(d: Mapping) -> Mapping[str, Any]:
    return MappingProxyType(dict(d))


def _bad(name: str, what: str) -> ValueError:
    return ValueError(f"truth {name}: {what} (format: docs/phantom-truth.md)")


@dataclass(frozen=True)
class TruthCalcification:
    """One calcification of a cluster (pixel centre in the image as read; sizes in mm)."""

    id: int
    row: float
    col: float
    diameter_mm: float
    cluster_id: int = -1
    shape: str = ""
    contrast: float = math.nan
    snr: float = math.nan
    d_prime: float | None = None  # against quantum + electronic + anatomical noise (format 1.1)
    d_prime_quantum: float | None = None  # ideal observer, quantum + electronic noise only
    material: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    _KNOWN = ("id", "row", "col", "diameter_mm", "cluster_id", "shape", "contrast", "snr", "d_prime",
              "d_prime_quantum", "material")

    @classmethod
    def from_dict(cls, d: Mapping, *, minor: int = 1) -> TruthCalcification:
        dp, dq = _opt_float(d.get("d_prime")), _opt_float(d.get("d_prime_quantum"))
        if minor < 1:  # format /1: "d_prime" was the quantum-only ideal observer
            dp, dq = None, dp
        return cls(id=int(d["id"]), row=float(d["row"]), col=float(d["col"]), diameter_mm=float(d["diameter_mm"]),
                   cluster_id=int(d.get("cluster_id", -1)), shape=str(d.get("shape", "")),
                   contrast=float(d.get("contrast", math.nan)), snr=float(d.get("snr", math.nan)),
                   d_prime=dp, d_prime_quantum=dq, material=d.get("material"),
                   extra=_frozen({k: v for k, v in d.items() if k not in cls._KNOWN}))

    def to_dict(self) -> dict:
        out = {"id": self.id, "row": self.row, "col": self.col}
        out.update({k: v for k, v in self.extra.items() if k in ("x_mm", "y_mm")})
        out.update({"diameter_mm": self.diameter_mm, "contrast": self.contrast, "snr": self.snr,
                    "d_prime": self.d_prime, "d_prime_quantum": self.d_prime_quantum, "shape": self.shape,
                    "cluster_id": self.cluster_id, "material": self.material})
        out.update({k: v for k, v in self.extra.items() if k not in out})
        return out


@dataclass(frozen=True)
class TruthCluster:
    """One cluster: where, which members, its morphology and how visible it is."""

    cluster_id: int
    row: float
    col: float
    n_calcifications: int
    member_ids: tuple[int, ...] = ()
    morphology: str = ""
    hull_rc: tuple[tuple[float, float], ...] = ()
    visibility: str = VISIBILITY_UNKNOWN  # visible | subtle | occult | unknown
    third_d_prime: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    _KNOWN = ("cluster_id", "row", "col", "n_calcifications", "member_ids", "morphology", "hull_rc", "visibility",
              "third_d_prime")

    def __post_init__(self) -> None:
        if self.visibility not in _CLASSES:
            raise ValueError(f"cluster visibility must be one of {_CLASSES}, got {self.visibility!r}")

    @classmethod
    def from_dict(cls, d: Mapping, *, minor: int = 1) -> TruthCluster:
        members = tuple(int(m) for m in d.get("member_ids", []))
        vis = str(d.get("visibility") or VISIBILITY_UNKNOWN) if minor >= 1 else VISIBILITY_UNKNOWN
        return cls(cluster_id=int(d["cluster_id"]), row=float(d["row"]), col=float(d["col"]),
                   n_calcifications=int(d.get("n_calcifications", len(members))), member_ids=members,
                   morphology=str(d.get("morphology", "")),
                   hull_rc=tuple((float(a), float(b)) for a, b in (d.get("hull_rc") or [])),
                   visibility=vis, third_d_prime=_opt_float(d.get("third_d_prime")) if minor >= 1 else None,
                   extra=_frozen({k: v for k, v in d.items() if k not in cls._KNOWN}))

    def to_dict(self) -> dict:
        out = {"cluster_id": self.cluster_id, "row": self.row, "col": self.col,
               "n_calcifications": self.n_calcifications, "member_ids": list(self.member_ids),
               "morphology": self.morphology, "hull_rc": [list(p) for p in self.hull_rc],
               "visibility": self.visibility, "third_d_prime": self.third_d_prime}
        out.update({k: v for k, v in self.extra.items() if k not in out})
        return out


@dataclass(frozen=True)
class PhantomTruth:
    """Ground truth of one phantom image.

    ``extra`` holds every other top-level key (seed, UIDs, density, preset,
    encoding, ``request`` ...) exactly as found.
    """

    format: str
    sop_instance_uid: str
    rows: int
    cols: int
    spacing_mm: tuple[float, float]
    has_cluster: bool
    breast_area_mm2: float
    calcifications: tuple[TruthCalcification, ...] = ()
    clusters: tuple[TruthCluster, ...] = ()
    distractors: tuple[Mapping[str, Any], ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.has_cluster != bool(self.clusters):
            raise ValueError(f"has_cluster={self.has_cluster} but {len(self.clusters)} cluster(s) listed")

    @property
    def visibility_known(self) -> bool:
        """False for files older than visibility classes (format ``/1``)."""
        return _minor(self.format) >= 1

    def members(self, cluster: TruthCluster) -> tuple[TruthCalcification, ...]:
        return tuple(c for c in self.calcifications if c.cluster_id == cluster.cluster_id)

    def get(self, key: str, default: object = None) -> object:
        """A top-level value of the document by its JSON key (record fields first, then ``extra``)."""
        if key in self.__dataclass_fields__ and key != "extra":
            return getattr(self, key)
        return self.extra.get(key, default)

    @classmethod
    def from_dict(cls, doc: Mapping, *, name: str = "document") -> PhantomTruth:
        """Parse and check one truth document.

        Raises
        ------
        ValueError
            Another format, a missing required key, bad spacing, a distractor
            without a 4-number bbox, or ``has_cluster`` disagreeing with the clusters.
        """
        fmt = str(doc.get("format", ""))
        if fmt != TRUTH_FORMAT_MAJOR and not fmt.startswith(TRUTH_FORMAT_MAJOR + "."):
            raise _bad(name, f"format {fmt!r} is not {TRUTH_FORMAT_MAJOR!r}")
        missing = [k for k in _IMAGE_KEYS if k not in doc]
        if missing:
            raise _bad(name, f"missing key(s) {missing}")
        spacing = doc["spacing_mm"]
        if len(spacing) != 2 or not all(float(s) > 0 for s in spacing):
            raise _bad(name, f"spacing_mm must be two positive numbers, got {spacing!r}")
        for d in doc.get("distractors", []):
            bbox = d.get("bbox")
            if bbox is None or len(bbox) != 4:
                raise _bad(name, f"distractor {d.get('kind')!r} needs a 4-number bbox, got {bbox!r}")
        minor = _minor(fmt)
        known = set(_IMAGE_KEYS) | {"format", "calcifications", "clusters", "distractors"}
        try:
            return cls(
                format=fmt, sop_instance_uid=str(doc["sop_instance_uid"]), rows=int(doc["rows"]),
                cols=int(doc["cols"]), spacing_mm=(float(spacing[0]), float(spacing[1])),
                has_cluster=bool(doc["has_cluster"]), breast_area_mm2=float(doc["breast_area_mm2"]),
                calcifications=tuple(TruthCalcification.from_dict(c, minor=minor) for c in doc.get("calcifications", [])),
                clusters=tuple(TruthCluster.from_dict(k, minor=minor) for k in doc.get("clusters", [])),
                distractors=tuple(_frozen(d) for d in doc.get("distractors", [])),
                extra=_frozen({k: v for k, v in doc.items() if k not in known}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise _bad(name, str(exc)) from exc

    def to_dict(self) -> dict:
        """The JSON document (top-level keys in the order of ``docs/phantom-truth.md``)."""
        out: dict[str, Any] = {"format": self.format}
        head = ("seed", "preset")
        out.update({k: self.extra[k] for k in head if k in self.extra})
        out["sop_instance_uid"] = self.sop_instance_uid
        out.update({k: v for k, v in self.extra.items() if k not in head and k not in ("rows",)})
        out.update({"rows": self.rows, "cols": self.cols, "spacing_mm": list(self.spacing_mm),
                    "breast_area_mm2": self.breast_area_mm2, "has_cluster": self.has_cluster,
                    "calcifications": [c.to_dict() for c in self.calcifications],
                    "clusters": [k.to_dict() for k in self.clusters],
                    "distractors": [dict(d) for d in self.distractors]})
        return out
