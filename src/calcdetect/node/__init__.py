"""``calcdetect serve``: a DICOM node around the batch engine.

One job per module: :mod:`.policy` (who may associate, limits, TLS),
:mod:`.storage` (Verification + Storage SCP on pynetdicom), :mod:`.inbox`
(durable storage of what was received), :mod:`.assembler` (when a study is
complete), :mod:`.analysis` (the batch engine on a study; the tables of
``scan``), :mod:`.forwarder` (the CAD SR to the PACS, from a queue on disk)
and :mod:`.service` (the whole node).

>>> import threading                                                  # doctest: +SKIP
>>> from calcdetect.batch.worker import ScanSettings                  # doctest: +SKIP
>>> from calcdetect.config import DetectorConfig                      # doctest: +SKIP
>>> policy = NodePolicy("CALCDETECT", (parse_allowed_peer("PACS@127.0.0.1"),))  # doctest: +SKIP
>>> run_node("out/", ScanSettings(DetectorConfig.default()), NodeOptions(policy), stop=threading.Event())  # doctest: +SKIP
"""

from __future__ import annotations

from .policy import AllowedPeer, Destination, NodePolicy, parse_allowed_peer, parse_destination
from .service import NodeOptions, run_node

__all__ = ["AllowedPeer", "Destination", "NodeOptions", "NodePolicy", "parse_allowed_peer",
           "parse_destination", "run_node"]
