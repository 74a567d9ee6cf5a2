"""Reading header attributes so that a damaged value is a clear error, never a crash.

Every reader of :mod:`calcdetect.dicom` goes through these: a value pydicom
cannot convert becomes an :class:`~calcdetect.errors.InvalidHeaderError` that
names the attribute and the file.
"""

from __future__ import annotations

from typing import Any

from pydicom.dataset import Dataset

from calcdetect.errors import InvalidHeaderError

__all__ = ["get_attribute", "text_of", "first_item", "functional_group", "sop_class_of", "int_of"]


def get_attribute(ds: Dataset, keyword: str, default: Any = None, *, path: str = "") -> Any:
    """``ds.keyword`` or ``default``; a value pydicom cannot convert is an InvalidHeaderError."""
    try:
        value = ds.get(keyword, default)
    except Exception as exc:  # pydicom raises ValueError/TypeError/... on bad values
        raise InvalidHeaderError(
            f"{path}: attribute {keyword} has a value that cannot be read ({exc}); "
            "the file header is damaged."
        ) from exc
    return default if value is None else value


def text_of(ds: Dataset, keyword: str, *, path: str) -> str:
    """The value as stripped text; a multi-valued one joined by backslashes."""
    value = get_attribute(ds, keyword, "", path=path)
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        value = "\\".join(str(v) for v in value)
    return str(value).strip()


def first_item(ds: Dataset, keyword: str, *, path: str) -> Dataset | None:
    """The first item of a sequence, or None when it is missing or empty."""
    seq = get_attribute(ds, keyword, None, path=path)
    if seq is None or len(seq) == 0:
        return None
    return seq[0]


def functional_group(ds: Dataset, keyword: str, *, path: str) -> Dataset | None:
    """First item of ``keyword`` in the shared, else the first per-frame, functional group."""
    for groups in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        group = first_item(ds, groups, path=path)
        if group is not None:
            item = first_item(group, keyword, path=path)
            if item is not None:
                return item
    return None


def sop_class_of(ds: Dataset, *, path: str) -> str:
    """SOP Class UID, else the file meta's Media Storage SOP Class UID."""
    sop = text_of(ds, "SOPClassUID", path=path)
    if not sop and getattr(ds, "file_meta", None) is not None:
        sop = str(ds.file_meta.get("MediaStorageSOPClassUID", "")).strip()
    return sop


def int_of(ds: Dataset, keyword: str, *, path: str, default: int | None = None) -> int:
    """A required integer attribute (``default`` when absent); missing or not a number is an InvalidHeaderError."""
    value = get_attribute(ds, keyword, default, path=path)
    if value is None or value == "":
        raise InvalidHeaderError(f"{path}: required attribute {keyword} is missing.")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidHeaderError(f"{path}: {keyword} {value!r} is not an integer.") from exc
