"""cohort: clinical records joined with detected flags, and the association study.

Reproduces and audits Yulian et al. (microcalcification vs bone metastasis).

The public API, importable from the package itself::

    from cohort import load_records, join_records, table3, analyze_2x2, load_published

    records = load_records("clinical.xlsx", schema="my-columns.toml")
    joined = join_records(records, "scan-out/patients.csv")
    print(table3(joined.data).rows)
    print(analyze_2x2([[34, 8], [22, 17]]).odds_ratio)

Names are loaded on first use (``import cohort`` stays cheap).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name -> module that defines it
_PUBLIC = {
    "load_records": "cohort.records",
    "RecordsResult": "cohort.records",
    "RecordsError": "cohort.records",
    "join_records": "cohort.join",
    "JoinResult": "cohort.join",
    "table1": "cohort.tables",
    "table2": "cohort.tables",
    "table3": "cohort.tables",
    "analyze_2x2": "cohort.stats",
    "adjusted_estimates": "cohort.adjusted",
    "load_published": "cohort.published",
    "audit_paper": "cohort.audit",
    "analyze": "cohort.commands.analyze",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    # PEP 562 lazy loading, as in calcdetect/__init__.py
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'cohort' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
