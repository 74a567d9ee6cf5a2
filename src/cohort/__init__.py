"""cohort: clinical records joined with detected flags, and the association study.

Reproduces and audits Yulian et al. (microcalcification vs bone metastasis).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
