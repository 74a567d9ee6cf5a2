"""Filesystem-safe patient keys, shared by ``calcdetect scan`` and ``cohort``.

The raw PatientID never appears in a path: it may hold ``../``, slashes,
unicode or a name.  Both packages derive the key with :func:`patient_key`, so
the per-patient flags of a scan join with clinical records by the same rule.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

__all__ = ["patient_key"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_MAX_READABLE = 48


def patient_key(patient_id: str | None, *, pseudonymize_key: str | None = None) -> str:
    """Derive a filesystem-safe key from a DICOM PatientID.

    Parameters
    ----------
    patient_id : str or None
        The raw PatientID (0010,0020). Empty or missing ids map to ``"unknown"``.
    pseudonymize_key : str, optional
        Secret for a keyed hash (HMAC-SHA256). With it the key is
        ``"p" + 16 hex digits`` and reveals nothing of the id; the same secret
        gives the same key in every output and in ``cohort``.

    Returns
    -------
    str
        Only ``[A-Za-z0-9_-]``, at most 64 characters, never ``.`` or ``..``.
        Without a secret, readable ids stay readable (``"PAT-001"`` is kept);
        any id that had to be changed gets a short digest of the original so
        two different ids never collide.

    Examples
    --------
    >>> patient_key("PAT-001")
    'PAT-001'
    >>> patient_key("../../etc/passwd")[:12]
    'etc_passwd_h'
    """
    raw = "" if patient_id is None else str(patient_id).strip()
    if pseudonymize_key is not None:
        digest = hmac.new(pseudonymize_key.encode(), raw.encode(), hashlib.sha256)
        return "p" + digest.hexdigest()[:16]
    if not raw:
        return "unknown"
    ascii_id = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    safe = _UNSAFE.sub("_", ascii_id).strip("_")[:_MAX_READABLE]
    if safe == raw:
        return safe
    digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
    return f"{safe}_h{digest}" if safe else f"h{digest}"
