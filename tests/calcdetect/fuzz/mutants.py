"""Seeded, damaged copies of the committed sample phantoms, in every transfer syntax the reader claims.

Used by ``test_fuzz_scan.py`` (a few hundred mutants per ``make test``) and by
``scripts/fuzz_scan.py`` (``make fuzz N=10000``).  Loaded by file path (the
test suite runs with ``--import-mode=importlib``), so it imports nothing from
the tests.

How a mutant is made:

1. :func:`base_datasets`: each phantom of ``data/phantoms`` (except the
   demo-size one) is cropped to a small window around its cluster (or its
   centre) -- small images keep a scan of hundreds of files within seconds --
   and encoded once in each syntax of :data:`SYNTAXES` (pydicom's encoders for
   RLE, JPEG-LS and JPEG 2000; python-gdcm for the JPEG processes pydicom
   cannot encode; pydicom's writer for the native and deflated syntaxes).
2. :func:`make_mutant`: a base gets a unique SOP Instance UID (in the file
   meta and the dataset), is written to bytes, and then damaged in one of the
   ways of :data:`DAMAGE_KINDS`, from a seeded generator: the same
   ``(seed, index)`` always gives the same bytes.
"""

from __future__ import annotations

import copy
import io
import json
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom import uid
from pydicom.dataset import Dataset

#: (name, transfer syntax UID, encoder): every syntax calcdetect's reader claims (README).
SYNTAXES: tuple[tuple[str, str, str], ...] = (
    ("explicit-le", uid.ExplicitVRLittleEndian, "native"),
    ("implicit-le", uid.ImplicitVRLittleEndian, "native"),
    ("explicit-be", uid.ExplicitVRBigEndian, "native"),
    ("deflated", uid.DeflatedExplicitVRLittleEndian, "native"),
    ("rle", uid.RLELossless, "pydicom"),
    ("jpeg-ls", uid.JPEGLSLossless, "pydicom"),
    ("jpeg-ls-near", uid.JPEGLSNearLossless, "pydicom"),
    ("j2k-lossless", uid.JPEG2000Lossless, "pydicom"),
    ("j2k", uid.JPEG2000, "pydicom"),
    ("jpeg-lossless-sv1", uid.JPEGLosslessSV1, "gdcm"),
    ("jpeg-lossless", uid.JPEGLossless, "gdcm"),
    ("jpeg-baseline", uid.JPEGBaseline8Bit, "gdcm"),
)

#: the ways files get damaged (issue 17)
DAMAGE_KINDS = ("flip_header", "flip_any", "truncate", "inflate_length", "duplicate_span", "zero_span")

_UID_ROOT = "1.2.826.0.1.3680043.8.498.17"  # pydicom's root, a sub-arc for these mutants
_PIXEL_TAG_LE = b"\xe0\x7f\x10\x00"
_PIXEL_TAG_BE = b"\x7f\xe0\x00\x10"
_ITEM_TAG = b"\xfe\xff\x00\xe0"
_LONG_LENGTH_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}


@dataclass(frozen=True)
class Base:
    """One small phantom encoded in one transfer syntax, ready to be re-written with a new UID."""

    name: str  # e.g. "small-siemens-like_pos_RCC.rle"
    syntax: str
    dataset: Dataset


@dataclass(frozen=True)
class Mutant:
    name: str  # file name: "<index>_<base>_<kind>.dcm"
    base: str
    kind: str
    data: bytes


def _crop(ds: Dataset, truth: dict, *, rows: int, cols: int) -> np.ndarray:
    pixels = ds.pixel_array
    if truth.get("clusters"):
        r0, c0 = truth["clusters"][0]["row"], truth["clusters"][0]["col"]
    else:
        r0, c0 = pixels.shape[0] / 2, pixels.shape[1] / 3  # inside the breast (chest wall at col 0 or end)
    top = int(np.clip(round(r0 - rows / 2), 0, pixels.shape[0] - rows))
    left = int(np.clip(round(c0 - cols / 2), 0, pixels.shape[1] - cols))
    return np.ascontiguousarray(pixels[top : top + rows, left : left + cols])


def _small_native(path: Path, *, rows: int, cols: int) -> Dataset:
    """The phantom at ``path`` cropped to rows x cols, uncompressed (Explicit VR Little Endian)."""
    ds = pydicom.dcmread(path)
    truth = json.loads(path.with_suffix(".truth.json").read_text())
    pixels = _crop(ds, truth, rows=rows, cols=cols)
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        ds.decompress()
    ds.Rows, ds.Columns = pixels.shape
    ds.PixelData = pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()
    ds.file_meta.TransferSyntaxUID = uid.ExplicitVRLittleEndian
    return ds


def _gdcm_encode(ds: Dataset, syntax: str, work: Path) -> Dataset:
    import gdcm  # python-gdcm: the only installed encoder of the JPEG processes 1 and 14

    src, dst = work / "src.dcm", work / "dst.dcm"
    ds.save_as(src, enforce_file_format=True)
    reader = gdcm.ImageReader()
    reader.SetFileName(str(src))
    if not reader.Read():
        raise RuntimeError(f"gdcm cannot read {src}")
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.GetTSType(syntax)))
    change.SetInput(reader.GetImage())
    if not change.Change():
        raise RuntimeError(f"gdcm cannot encode {uid.UID(syntax).name}")
    writer = gdcm.ImageWriter()
    writer.SetFileName(str(dst))
    writer.SetFile(reader.GetFile())
    writer.SetImage(change.GetOutput())
    if not writer.Write():
        raise RuntimeError(f"gdcm cannot write {dst}")
    return pydicom.dcmread(dst)


def _to_8_bit(ds: Dataset) -> Dataset:
    out = copy.deepcopy(ds)
    pixels = ds.pixel_array.astype(np.int64)
    out.PixelData = (pixels >> max(int(ds.BitsStored) - 8, 0)).astype(np.uint8).tobytes()
    out.BitsAllocated, out.BitsStored, out.HighBit = 8, 8, 7
    for keyword in ("WindowCenter", "WindowWidth", "SmallestImagePixelValue", "LargestImagePixelValue"):
        if keyword in out:
            delattr(out, keyword)
    return out


def _encode(native: Dataset, syntax: str, encoder: str, work: Path) -> Dataset:
    ds = copy.deepcopy(native)  # a shallow copy would share file_meta
    if encoder == "native":
        if syntax == uid.ExplicitVRBigEndian:
            pixels = np.frombuffer(ds.PixelData, dtype="<u2" if ds.BitsAllocated == 16 else "u1")
            ds.PixelData = pixels.astype(pixels.dtype.newbyteorder(">")).tobytes()
            plain = Dataset()  # a FileDataset read as little endian refuses to be written big endian
            plain.update(ds)
            plain.file_meta = ds.file_meta
            ds = plain
        ds.file_meta.TransferSyntaxUID = syntax
        return ds
    if encoder == "pydicom":
        kwargs = {"jls_error": 3} if syntax == uid.JPEGLSNearLossless else {}
        if syntax == uid.JPEG2000:
            kwargs = {"j2k_psnr": [60]}
        ds.compress(syntax, **kwargs)
        return ds
    if syntax == uid.JPEGBaseline8Bit:
        ds = _to_8_bit(ds)
    return _gdcm_encode(ds, syntax, work)


def phantom_paths(phantom_dir: Path) -> list[Path]:
    """The small committed phantoms (the demo-size one adds time, not variety)."""
    return sorted(p for p in Path(phantom_dir).glob("*.dcm") if not p.name.startswith("demo-"))


def base_datasets(phantom_dir: Path, *, rows: int = 64, cols: int = 64,
                  syntaxes: tuple[tuple[str, str, str], ...] = SYNTAXES) -> list[Base]:
    """Every small phantom in every syntax of ``syntaxes`` (see the module docstring)."""
    bases = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in phantom_paths(phantom_dir):
            native = _small_native(path, rows=rows, cols=cols)
            for name, syntax, encoder in syntaxes:
                ds = _encode(native, syntax, encoder, Path(tmp))
                bases.append(Base(f"{path.stem}.{name}", syntax, ds))
    return bases


def mutant_uid(seed: int, index: int) -> str:
    return f"{_UID_ROOT}.{seed}.{index + 1}"


def dataset_bytes(ds: Dataset, sop_uid: str) -> bytes:
    """``ds`` written as a DICOM file (preamble, meta, its own syntax) with ``sop_uid``."""
    ds = copy.copy(ds)
    ds.file_meta = copy.deepcopy(ds.file_meta)
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
    buf = io.BytesIO()
    syntax = uid.UID(ds.file_meta.TransferSyntaxUID)
    if syntax == uid.ExplicitVRBigEndian:  # a plain Dataset (see _encode) may change its byte order
        ds.save_as(buf, implicit_vr=False, little_endian=False, enforce_file_format=True)
    else:
        ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def _length_fields(data: bytes, syntax: str) -> list[tuple[int, int, str]]:
    """(offset, size, byte order) of the length fields of top-level elements and pixel data items."""
    fields = []
    try:
        ds = pydicom.dcmread(io.BytesIO(data), defer_size=0, stop_before_pixels=False)
    except Exception:  # noqa: BLE001 - an unparsable base has no fields to inflate
        return fields
    big = syntax == uid.ExplicitVRBigEndian
    implicit = syntax == uid.ImplicitVRLittleEndian
    deflated = syntax == uid.DeflatedExplicitVRLittleEndian
    for group, is_meta in ((ds.file_meta, True), (ds, False)):
        if deflated and not is_meta:
            continue  # offsets in the inflated stream, not in the file
        for tag in list(group.keys()):
            elem = group.get_item(tag, keep_deferred=True)
            tell = getattr(elem, "value_tell", None)
            if tell is None:
                continue
            vr = elem.VR or ""
            long_len = (implicit and not is_meta) or vr in _LONG_LENGTH_VRS
            order = ">" if big and not is_meta else "<"
            fields.append((tell - 4, 4, order) if long_len else (tell - 2, 2, order))
    start = data.rfind(_PIXEL_TAG_BE if big else _PIXEL_TAG_LE)
    if uid.UID(syntax).is_encapsulated and start >= 0:
        pos = data.find(_ITEM_TAG, start)
        while pos >= 0:
            fields.append((pos + 4, 4, "<"))
            pos = data.find(_ITEM_TAG, pos + 8)
    return [f for f in fields if 0 <= f[0] and f[0] + f[1] <= len(data)]


def _header_positions(data: bytes, syntax: str, rng: np.random.Generator) -> np.ndarray:
    """Byte offsets of a header: the DICOM header or, as often, the codestream header of an encapsulated frame.

    The codestream header is the first 64 bytes of the first fragment: the RLE
    header (segment count and offsets), the JPEG markers up to the scan, the
    JPEG 2000 SIZ segment.  It is chosen half of the time because it is much
    shorter than the DICOM header, and decoders trust it more.
    """
    pix = data.rfind(_PIXEL_TAG_BE if syntax == uid.ExplicitVRBigEndian else _PIXEL_TAG_LE)
    end = pix if pix > 132 else min(len(data), 1024)
    if uid.UID(syntax).is_encapsulated and pix > 132 and data[pix + 12 : pix + 16] == _ITEM_TAG and rng.random() < 0.5:
        offsets_length = int.from_bytes(data[pix + 16 : pix + 20], "little")  # Basic Offset Table item
        fragment = pix + 20 + offsets_length + 8
        if fragment < len(data):
            return np.arange(fragment, min(fragment + 64, len(data)))
    return np.arange(end)


def damage(data: bytes, kind: str, rng: np.random.Generator, *, syntax: str) -> bytes:
    """``data`` damaged in the way ``kind`` (one of :data:`DAMAGE_KINDS`) says."""
    buf = bytearray(data)
    n = len(buf)
    if kind in ("flip_header", "flip_any"):
        positions = _header_positions(data, syntax, rng) if kind == "flip_header" else np.arange(n)
        for pos in rng.choice(positions, size=int(rng.integers(1, 5))):
            buf[int(pos)] ^= int(rng.integers(1, 256))
    elif kind == "truncate":
        del buf[int(rng.integers(1, n)) :]
    elif kind == "inflate_length":
        fields = _length_fields(data, syntax)
        if not fields:
            return damage(data, "flip_header", rng, syntax=syntax)
        offset, size, order = fields[int(rng.integers(len(fields)))]
        fmt = order + ("H" if size == 2 else "I")
        (old,) = struct.unpack_from(fmt, buf, offset)
        top = (1 << (8 * size)) - 1
        choice = int(rng.integers(3))
        new = [min(old + int(rng.integers(1, 4096)), top), min(2 * old + 2, top), top - int(rng.integers(0, 2))][choice]
        struct.pack_into(fmt, buf, offset, new)
    elif kind in ("duplicate_span", "zero_span"):
        start = int(rng.integers(0, n))
        length = int(min(rng.integers(1, 513), n - start))
        if kind == "zero_span":
            buf[start : start + length] = bytes(length)
        else:
            at = int(rng.integers(0, n))
            buf[at:at] = buf[start : start + length]
    else:
        raise ValueError(f"unknown damage kind {kind!r}; use one of {DAMAGE_KINDS}")
    return bytes(buf)


def make_mutant(bases: list[Base], seed: int, index: int) -> Mutant:
    """Mutant number ``index`` of run ``seed``: always the same bytes for the same arguments."""
    rng = np.random.default_rng([seed, index])
    base = bases[int(rng.integers(len(bases)))]
    kind = DAMAGE_KINDS[int(rng.integers(len(DAMAGE_KINDS)))]
    data = damage(dataset_bytes(base.dataset, mutant_uid(seed, index)), kind, rng, syntax=base.syntax)
    return Mutant(f"{index:06d}_{base.name}_{kind}.dcm", base.name, kind, data)


def write_mutants(bases: list[Base], folder: Path, *, seed: int, start: int, count: int) -> Iterator[Mutant]:
    """Write mutants ``start .. start+count-1`` of run ``seed`` into ``folder``; yield each."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(start, start + count):
        mutant = make_mutant(bases, seed, index)
        (folder / mutant.name).write_bytes(mutant.data)
        yield mutant


#: errors.csv rows about a study, not a file (the CAD SR work in main adds ``sr_not_written``,
#: naming one of the study's files, which is also in images.csv)
STUDY_LEVEL_CODES = frozenset({"sr_not_written"})


def check_scan_outputs(names: list[str], out_dir: Path) -> tuple[dict[str, str], list[str]]:
    """Check a scan of ``names`` (file names in the scanned folder) against issue 17's guarantees.

    Returns
    -------
    (dict, list of str)
        Error code (``""`` for an analysed image) by file name, and every
        problem found: a file in neither or both of images.csv / errors.csv,
        a row for a file that was not scanned, an ``internal_error`` row.
    """
    import csv

    def rows(name: str) -> list[dict]:
        with open(out_dir / name, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    outcome: dict[str, str] = {}
    problems = []
    for table in ("images.csv", "errors.csv"):
        for row in rows(table):
            if row.get("error") in STUDY_LEVEL_CODES:
                continue
            path = row["path"]
            if path in outcome:
                problems.append(f"{path}: listed twice (images.csv and errors.csv, or twice in one)")
            outcome[path] = row.get("error", "") if table == "errors.csv" else ""
            if row.get("error") == "internal_error":
                problems.append(f"{path}: internal_error: {row.get('message', '')}")
    problems += [f"{name}: in neither images.csv nor errors.csv" for name in names if name not in outcome]
    problems += [f"{path}: listed but not scanned" for path in outcome if path not in set(names)]
    return outcome, problems
