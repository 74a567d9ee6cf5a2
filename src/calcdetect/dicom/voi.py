"""The grey-scale lookups of a header: VOI windows and LUTs, and the LUT data of any LUT sequence."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset

from calcdetect.dicom.attributes import first_item, functional_group, get_attribute, text_of
from calcdetect.errors import InvalidHeaderError

__all__ = ["Voi", "lut_array", "read_voi"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Voi:
    """The first VOI transform of the file, as an input range.

    ``low``/``high`` are in modality units (after rescale), the range the VOI
    maps onto the display range; ``function`` is ``LINEAR``,
    ``LINEAR_EXACT``, ``SIGMOID`` (range = the linear ramp with the sigmoid's
    slope at its centre, i.e. centre +- width/2) or ``LUT`` (VOI LUT
    Sequence: the input range over which the LUT rises).
    """

    function: str
    low: float
    high: float


def lut_array(item: Dataset, ds: Dataset, *, path: str) -> tuple[np.ndarray, int, int]:
    """(lut, first mapped input, bits) of a Modality or VOI LUT Sequence item."""
    descriptor = [int(v) for v in get_attribute(item, "LUTDescriptor", [], path=path)]
    if len(descriptor) != 3:
        raise InvalidHeaderError(f"{path}: LUT Descriptor {descriptor!r} must have 3 values.")
    n_entries, first, bits = descriptor
    n_entries = n_entries or 65536
    if first > 32767 and int(get_attribute(ds, "PixelRepresentation", 0, path=path)) == 1:
        first -= 65536  # US/SS ambiguity: signed images have a signed first value
    elem = item["LUTData"]
    if elem.VR == "OW" or isinstance(elem.value, (bytes, bytearray)):
        little = ds.original_encoding[1] is not False
        lut = np.frombuffer(elem.value, dtype="<u2" if little else ">u2")[:n_entries]
    else:
        lut = np.asarray(elem.value, dtype=np.uint16).ravel()[:n_entries]
    if lut.size == 0:
        raise InvalidHeaderError(f"{path}: empty LUT Data in a LUT sequence.")
    return lut, first, bits


def read_voi(ds: Dataset, *, path: str) -> Voi | None:
    """The first VOI window or VOI LUT, as an input range (see :class:`Voi`)."""
    source = ds
    if "WindowCenter" not in ds and "VOILUTSequence" not in ds:
        frame_voi = functional_group(ds, "FrameVOILUTSequence", path=path)
        if frame_voi is None:
            return None
        source = frame_voi
    centre, width = get_attribute(source, "WindowCenter", None, path=path), get_attribute(
        source, "WindowWidth", None, path=path
    )
    if centre is not None and width is not None:
        try:
            c = float(centre[0] if hasattr(centre, "__len__") else centre)
            w = float(width[0] if hasattr(width, "__len__") else width)
        except (TypeError, ValueError, IndexError):
            c, w = math.nan, math.nan
        if math.isfinite(c) and math.isfinite(w) and w > 0:
            function = text_of(source, "VOILUTFunction", path=path).upper() or "LINEAR"
            if function == "LINEAR":
                # PS3.3 C.11.2.1.2.1: the ramp runs from c-0.5-(w-1)/2 to c-0.5+(w-1)/2.
                return Voi(function, c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2)
            # LINEAR_EXACT exactly; SIGMOID approximately: the linear ramp with
            # the sigmoid's slope at its centre spans centre +- width/2.
            return Voi(function, c - w / 2, c + w / 2)
        logger.warning("%s: ignoring unusable VOI window %r/%r", path, centre, width)
    item = first_item(source, "VOILUTSequence", path=path)
    if item is None:
        return None
    lut, first, _ = lut_array(item, ds, path=path)
    changing = np.flatnonzero(lut != lut[0])
    if changing.size == 0:
        return None
    low = first + max(int(changing[0]) - 1, 0)
    last_changing = np.flatnonzero(lut != lut[-1])
    high = first + int(last_changing[-1]) + 1 if last_changing.size else first + lut.size - 1
    return Voi("LUT", float(low), float(high))
