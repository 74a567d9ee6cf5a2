"""Deterministic DICOM UIDs for phantoms (the same phantom always gets the same UIDs)."""

from __future__ import annotations

import uuid

__all__ = ["phantom_uid"]

_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://calcdetect.invalid/phantom")


def phantom_uid(*parts: object) -> str:
    """A DICOM UID ``2.25.<int>`` from a name-based (version 5) UUID of ``parts``.

    Deterministic: the same parts give the same UID.  (pydicom's
    ``generate_uid(prefix=None, entropy_srcs=...)`` ignores the entropy and
    returns a random UUID, so it cannot be used for reproducible phantoms.)

    Examples
    --------
    >>> phantom_uid("study", 1) == phantom_uid("study", 1)
    True
    """
    return f"2.25.{uuid.uuid5(_UID_NAMESPACE, chr(31).join(map(str, parts))).int}"
