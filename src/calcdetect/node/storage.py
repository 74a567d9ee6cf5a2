"""The DICOM side of the node: Verification and Storage SCP on pynetdicom.

What it accepts
    Association requests that pass :class:`.policy.NodePolicy` (called AE,
    calling AE on ``--allow``, its host, the association limit); others get an
    A-ASSOCIATE-RJ and a log line.  Presentation contexts: Verification and
    the storage SOP classes of the images the reader analyses (Digital
    Mammography and Breast Projection X-Ray, For Presentation / For Processing,
    and DX / CR, which the reader accepts when they are of the breast), in the
    transfer syntaxes its decoders read.  Any other SOP class is refused at
    negotiation (the context is rejected; pynetdicom answers "abstract syntax
    not supported").

What a C-STORE does
    The encoded instance (as sent, never re-encoded) is written to
    ``inbox/.incoming`` and flushed, read by the same reader ``scan`` uses
    (:func:`calcdetect.io.read_mammogram`: header, pixel decoding, spacing),
    then moved into ``inbox/<study>/``; only then is *success* returned.  An
    instance the reader refuses, or one over the size limit, gets a failure
    status (``0xA700`` too large, ``0xA900`` not a mammogram or not an image,
    ``0xC000`` cannot be understood) with the error code in the Error
    Comment, and the ``errors.csv`` row is recorded through ``on_refused``;
    the association goes on.  No Patient Name is logged: only AE titles,
    addresses and UIDs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)
from pynetdicom import AE, evt
from pynetdicom import sop_class

from calcdetect.errors import PASS_THROUGH, CalcdetectError, ImageTooLargeError, InternalError
from calcdetect.io import read_mammogram

from .inbox import Inbox, StoredInstance
from .policy import NodePolicy

__all__ = ["ACCEPTED_SOP_CLASSES", "ACCEPTED_TRANSFER_SYNTAXES", "Refusal", "StorageNode", "failure_status"]

logger = logging.getLogger(__name__)

#: storage SOP classes of the images the reader analyses
ACCEPTED_SOP_CLASSES: tuple[str, ...] = (
    sop_class.DigitalMammographyXRayImageStorageForPresentation,
    sop_class.DigitalMammographyXRayImageStorageForProcessing,
    sop_class.BreastProjectionXRayImageStorageForPresentation,
    sop_class.BreastProjectionXRayImageStorageForProcessing,
    sop_class.DigitalXRayImageStorageForPresentation,
    sop_class.DigitalXRayImageStorageForProcessing,
    sop_class.ComputedRadiographyImageStorage,
)
#: transfer syntaxes the reader's decoders (pydicom + pylibjpeg / gdcm) read
ACCEPTED_TRANSFER_SYNTAXES: tuple[str, ...] = (
    ExplicitVRLittleEndian, ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian,
    JPEGLossless, JPEGLosslessSV1, JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLSLossless, JPEGLSNearLossless,
    JPEG2000Lossless, JPEG2000, RLELossless,
)

# failure statuses of PS3.4 Annex B.2.3 (Storage Service Class), by reader error code
_OUT_OF_RESOURCES = 0xA700
_DOES_NOT_MATCH = 0xA900
_CANNOT_UNDERSTAND = 0xC000
_STATUS_BY_CODE = {
    "too_large": _OUT_OF_RESOURCES,
    "not_mammogram": _DOES_NOT_MATCH,
    "non_image": _DOES_NOT_MATCH,
    "multiframe": _DOES_NOT_MATCH,
    "dicomdir": _DOES_NOT_MATCH,
}
_MAX_COMMENT = 64  # Error Comment is LO


@dataclass(frozen=True)
class Refusal:
    """An instance answered with a failure status: what ``errors.csv`` says about it."""

    study: str
    rel_path: str
    size_bytes: int
    code: str
    message: str
    status: int


def failure_status(code: str, message: str) -> Dataset:
    """The C-STORE response status for a reader error ``code`` (Error Comment: code and message start)."""
    status = Dataset()
    status.Status = _STATUS_BY_CODE.get(code, _CANNOT_UNDERSTAND)
    status.ErrorComment = f"{code}: {message}"[:_MAX_COMMENT].encode("ascii", "replace").decode()
    return status


def _uids(path: Path, fallback_sop: str) -> tuple[str, str]:
    """(Study, SOP Instance UID) from the header, or fallbacks when it cannot be read."""
    try:
        ds = dcmread(path, stop_before_pixels=True, specific_tags=["StudyInstanceUID", "SOPInstanceUID"])
        return str(ds.get("StudyInstanceUID", "") or ""), str(ds.get("SOPInstanceUID", "") or fallback_sop)
    except Exception:  # noqa: BLE001 - a header pydicom cannot parse is reported by the reader
        return "", fallback_sop


class StorageNode:
    """The pynetdicom application entity of the node and its event handlers.

    Parameters
    ----------
    inbox : Inbox
    policy : NodePolicy
    on_stored : callable
        Called with each :class:`StoredInstance` after it is on disk (before the response).
    on_refused : callable
        Called with each :class:`Refusal` (before the response).
    default_spacing_mm : float, optional
        As for ``scan``: the spacing of images whose header has none.
    """

    def __init__(self, inbox: Inbox, policy: NodePolicy, *, on_stored: Callable[[StoredInstance], None],
                 on_refused: Callable[[Refusal], None], default_spacing_mm: float | None = None) -> None:
        self.inbox = inbox
        self.policy = policy
        self._on_stored = on_stored
        self._on_refused = on_refused
        self._default_spacing_mm = default_spacing_mm
        self.ae = self._make_ae()
        self._server = None

    def _make_ae(self) -> AE:
        ae = AE(ae_title=self.policy.ae_title)
        ae.maximum_pdu_size = self.policy.max_pdu_bytes
        ae.maximum_associations = self.policy.max_associations
        ae.require_called_aet = True  # checked in _on_requested too; kept as a second lock
        ae.add_supported_context(sop_class.Verification)
        for uid in ACCEPTED_SOP_CLASSES:
            ae.add_supported_context(uid, list(ACCEPTED_TRANSFER_SYNTAXES))
        return ae

    # -- serving ----------------------------------------------------------
    def start(self, host: str, port: int, *, ssl_context=None) -> int:
        """Listen on ``host:port`` in background threads; return the port bound (useful with 0)."""
        handlers = [
            (evt.EVT_REQUESTED, self._on_requested),
            (evt.EVT_C_ECHO, self._on_echo),
            (evt.EVT_C_STORE, self._on_store),
            (evt.EVT_ACCEPTED, self._on_accepted),
        ]
        self._server = self.ae.start_server((host, port), block=False, evt_handlers=handlers,
                                            ssl_context=ssl_context)
        return int(self._server.server_address[1])

    def stop(self) -> None:
        """Stop listening and end the open associations (their unanswered instances are resent)."""
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    @property
    def n_associations(self) -> int:
        return len([a for a in self.ae.active_associations if a.is_acceptor])

    # -- handlers -----------------------------------------------------------
    def _on_requested(self, event) -> None:
        assoc = event.assoc
        request = assoc.requestor.primitive
        address = str(assoc.requestor.address)
        reason = self.policy.rejection(calling_ae=str(request.calling_ae_title),
                                       called_ae=str(request.called_ae_title), address=address)
        if reason is None:
            return
        # PS3.8 9.3.4: rejected-permanent, by the service user; calling / called AE title not recognised
        diagnostic = 0x07 if "called AE title" in reason else 0x03
        logger.warning("association from %s rejected: %s", address, reason)
        assoc.acse.send_reject(0x01, 0x01, diagnostic)
        assoc.kill()  # as pynetdicom's own rejections: returns once the peer has the A-ASSOCIATE-RJ

    def _on_accepted(self, event) -> None:
        assoc = event.assoc
        logger.info("association from %s (%s) accepted", assoc.requestor.ae_title, assoc.requestor.address)

    def _on_echo(self, event) -> int:
        return 0x0000

    def _on_store(self, event) -> int | Dataset:
        try:
            return self._store(event)
        except PASS_THROUGH:
            raise
        except BaseException:  # noqa: BLE001 - one instance must never stop the association or the node;
            # BaseException: a compiled decoder's panic (pyo3 PanicException) is one too (issue 17)
            logger.exception("unexpected error while storing an instance")
            return failure_status(InternalError.code, "unexpected error in calcdetect serve; see its log")

    def _store(self, event) -> int | Dataset:
        sop_uid = str(event.request.AffectedSOPInstanceUID or "")
        data = event.encoded_dataset(include_meta=True)
        if len(data) > self.policy.max_instance_bytes:
            message = (f"the instance has {len(data)} bytes, over the node's limit of "
                       f"{self.policy.max_instance_bytes}; raise --max-instance-mb if such images are expected")
            return self._refuse("", sop_uid, len(data), ImageTooLargeError.code, message)
        incoming = self.inbox.write_incoming(data)
        try:
            mammogram = read_mammogram(incoming, default_spacing_mm=self._default_spacing_mm)
        except CalcdetectError as exc:
            study_uid, sop_uid = _uids(incoming, sop_uid)
            self.inbox.discard(incoming)
            message = exc.message.removeprefix(f"{incoming}: ")
            return self._refuse(study_uid, sop_uid, len(data), exc.code, message)
        except BaseException:
            self.inbox.discard(incoming)
            raise
        stored = self.inbox.accept(incoming, study_uid=mammogram.study_instance_uid,
                                   sop_uid=mammogram.sop_instance_uid or sop_uid)
        del mammogram
        logger.info("stored %s from %s%s", stored.rel_path, event.assoc.requestor.ae_title,
                    "" if stored.new else " (already received)")
        self._on_stored(stored)
        return 0x0000

    def _refuse(self, study_uid: str, sop_uid: str, size: int, code: str, message: str) -> Dataset:
        rel = self.inbox.instance_rel_path(study_uid, sop_uid)
        status = failure_status(code, message)
        refusal = Refusal(rel.split("/")[0], rel, size, code, message, int(status.Status))
        logger.warning("refused %s (status 0x%04X): %s", rel, refusal.status, code)
        self._on_refused(refusal)
        return status
