"""calcdetect: microcalcification detection on mammogram DICOMs.

Not a medical device.  See the README for what it does and does not do.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
