"""The coded values calcdetect reads and writes: view, laterality and flag.

Each is a :class:`~enum.StrEnum`, so a member *is* its text: it compares
equal to the plain string, formats, joins, hashes and is written to CSV and
JSON exactly as that string (``f"{Flag.POSITIVE}" == "positive"``).  Every
function that takes one of these values still takes the plain string;
``View("cc")``, ``Laterality("left")`` and ``Flag("Positive")`` normalise it,
and a value outside the vocabulary raises a :class:`ValueError` that names
the allowed values.

>>> View("mlo"), Laterality("right"), Flag.of(True)
(<View.MLO: 'MLO'>, <Laterality.R: 'R'>, <Flag.POSITIVE: 'positive'>)
>>> Laterality("B")
Traceback (most recent call last):
...
ValueError: laterality must be one of 'L', 'R' (or '' when unknown), got 'B'
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CodedValue", "View", "Laterality", "Flag"]


class CodedValue(StrEnum):
    """A closed set of coded text values that also accepts their plain strings.

    A plain string is looked up with surrounding white space removed and
    case ignored; subclasses may add synonyms (:meth:`_aliases`, keyed by the
    upper-case text) and name the noun the error message uses (:meth:`_noun`).
    """

    @classmethod
    def _noun(cls) -> str:
        return cls.__name__.lower()

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {}

    @classmethod
    def _missing_(cls, value: object) -> CodedValue:
        if isinstance(value, str):
            key = value.strip()
            key = cls._aliases().get(key.upper(), key).casefold()
            for member in cls:
                if member.value.casefold() == key:
                    return member
        allowed = ", ".join(repr(m.value) for m in cls if m.value)
        unknown = " (or '' when unknown)" if any(not m.value for m in cls) else ""
        raise ValueError(f"{cls._noun()} must be one of {allowed}{unknown}, got {value!r}")


class View(CodedValue):
    """Mammographic view: the DICOM ViewPosition terms of CID 4014 "View for Mammography".

    ``UNKNOWN`` (``""``) is a file that names no view.
    """

    CC = "CC"
    MLO = "MLO"
    ML = "ML"
    LM = "LM"
    LMO = "LMO"
    FB = "FB"
    SIO = "SIO"
    ISO = "ISO"
    XCCL = "XCCL"
    XCCM = "XCCM"
    UNKNOWN = ""

    @classmethod
    def from_header(cls, text: str) -> View | str:
        """The member for a header's view text, or the text itself when it is not a CID 4014 term.

        A file is never refused for an unusual ViewPosition (vendors write
        e.g. ``"RCC"``): the outputs then keep the file's own text, as they
        always have.
        """
        try:
            return cls(text)
        except ValueError:
            return text


class Laterality(CodedValue):
    """Which breast: ``L`` or ``R`` (also read from ``left``/``right``); ``UNKNOWN`` is ``""``."""

    L = "L"
    R = "R"
    UNKNOWN = ""

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"LEFT": "L", "RIGHT": "R"}


class Flag(CodedValue):
    """The detector's call on an image or a patient, as the ``flag`` columns write it."""

    POSITIVE = "positive"
    NEGATIVE = "negative"

    @classmethod
    def of(cls, flagged: bool) -> Flag:
        """``POSITIVE`` when ``flagged``, else ``NEGATIVE``."""
        return cls.POSITIVE if flagged else cls.NEGATIVE
