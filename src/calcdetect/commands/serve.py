"""``calcdetect serve OUT``: a DICOM node that receives mammograms, analyses each study, sends the SR back.

Exit status: 0 after a clean stop (SIGTERM or Ctrl-C); 2 (``EXIT_FATAL``) for
bad arguments, an output folder in use or holding other outputs, an address
that cannot be bound, or unusable TLS files.
"""

from __future__ import annotations

import argparse
import logging
import signal
import ssl
import sys
import threading

from calcdetect.commands.options import add_analysis_options, detector_config, pseudonymize_key

__all__ = ["add_parser", "run"]

logger = logging.getLogger(__name__)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``calcdetect serve`` and its options on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "serve",
        help="run a DICOM node: receive studies (C-STORE), analyse them, send the CAD SR back",
        description=(
            "Listen for DICOM associations from the AE titles given with --allow, store the mammograms "
            "received in OUT/inbox/, analyse each study once nothing new arrived for --study-idle-s, "
            "append the results to OUT's tables (as calcdetect scan writes them) and send the study's CAD SR "
            "to --forward. Stops cleanly on SIGTERM or Ctrl-C."
        ),
    )
    parser.add_argument("out", metavar="OUT", help="output folder (created); one node per folder")
    parser.add_argument("--port", type=int, default=11112, help="TCP port to listen on (default 11112)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only; give the address "
                             "of the network interface the PACS reaches, never 0.0.0.0 without a firewall)")
    parser.add_argument("--ae-title", default="CALCDETECT", help="this node's AE title (default CALCDETECT)")
    parser.add_argument("--allow", action="append", default=[], metavar="AET[@HOST]", required=True,
                        help="a calling AE title allowed to associate, optionally only from HOST; repeat")
    parser.add_argument("--forward", metavar="AET@HOST:PORT",
                        help="storage SCP that receives each study's CAD SR (e.g. the PACS)")
    parser.add_argument("--study-idle-s", type=float, default=30.0, metavar="SECONDS",
                        help="analyse a study once nothing arrived for it for this long (default 30)")
    parser.add_argument("--max-associations", type=int, default=8, metavar="N",
                        help="concurrent associations; more are rejected (default 8)")
    parser.add_argument("--max-pdu-kb", type=int, default=256, metavar="KB",
                        help="largest PDU received, in KiB (default 256)")
    parser.add_argument("--max-instance-mb", type=int, default=512, metavar="MB",
                        help="largest instance stored, in MiB; larger ones get a failure status (default 512)")
    parser.add_argument("--tls-cert", metavar="FILE", help="PEM certificate of this node: listen with TLS")
    parser.add_argument("--tls-key", metavar="FILE", help="PEM private key of --tls-cert")
    parser.add_argument("--tls-ca", metavar="FILE",
                        help="PEM CA certificate(s): callers must present a certificate it signed (mutual TLS)")
    parser.add_argument("--forward-tls-ca", metavar="FILE",
                        help="PEM CA certificate(s) of the --forward destination: send over TLS, checking its "
                             "certificate and host name (with --tls-cert/--tls-key the node also shows its own)")
    add_analysis_options(parser, workers_help="worker processes for the analysis (default 1)",
                         sr_note="; so nothing is forwarded")
    parser.set_defaults(run=run)
    return parser


def _options(args: argparse.Namespace):
    """NodeOptions and ScanSettings from the arguments; ValueError / OSError / ssl.SSLError when unusable."""
    from calcdetect.batch.worker import ScanSettings
    from calcdetect.config import DetectorConfig
    from calcdetect.node.policy import (NodePolicy, client_tls_context, parse_allowed_peer, parse_destination,
                                        server_tls_context)
    from calcdetect.node.service import NodeOptions

    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be 0-65535, got {args.port}")
    if args.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {args.workers}")
    if not args.study_idle_s >= 0:
        raise ValueError(f"--study-idle-s must be >= 0, got {args.study_idle_s}")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ValueError("--tls-cert and --tls-key go together")
    if args.tls_ca and not args.tls_cert:
        raise ValueError("--tls-ca (mutual TLS) needs --tls-cert and --tls-key")
    policy = NodePolicy(
        ae_title=args.ae_title.strip(),
        allowed=tuple(parse_allowed_peer(a) for a in args.allow),
        max_pdu_bytes=args.max_pdu_kb * 1024,
        max_instance_bytes=args.max_instance_mb * 1024 * 1024,
        max_associations=args.max_associations,
    )
    if args.forward_tls_ca and not args.forward:
        raise ValueError("--forward-tls-ca needs --forward")
    tls = server_tls_context(args.tls_cert, args.tls_key, ca_file=args.tls_ca) if args.tls_cert else None
    forward_tls = (client_tls_context(args.forward_tls_ca, cert_file=args.tls_cert, key_file=args.tls_key)
                   if args.forward_tls_ca else None)
    options = NodeOptions(policy=policy, host=args.host, port=args.port, study_idle_s=args.study_idle_s,
                          workers=args.workers, tls=tls, forward_tls=forward_tls,
                          destination=parse_destination(args.forward) if args.forward else None)
    config = detector_config(args) or DetectorConfig.default()
    settings = ScanSettings(config=config, pseudonymize_key=pseudonymize_key(args), overlays=args.overlays,
                            show_rejected=args.show_rejected, timeout_s=args.timeout_s or None)
    return options, settings


def run(args: argparse.Namespace) -> int:
    """Run the node until SIGTERM / Ctrl-C; return EXIT_OK or EXIT_FATAL."""
    import tomllib

    from calcdetect.errors import ScanError
    from calcdetect.exit_status import EXIT_FATAL, EXIT_OK
    from calcdetect.node.analysis import cad_sr_writer
    from calcdetect.node.service import run_node

    if not getattr(args, "verbose", 0):
        logging.getLogger("calcdetect").setLevel(logging.INFO)  # progress of the node on stderr
    logging.getLogger("pynetdicom").setLevel(logging.INFO if getattr(args, "verbose", 0) >= 2 else logging.WARNING)
    try:
        options, settings = _options(args)
    except (ValueError, OSError, ssl.SSLError, TypeError, KeyError, tomllib.TOMLDecodeError) as exc:
        print(f"calcdetect serve: {exc}", file=sys.stderr)
        return EXIT_FATAL
    stop = threading.Event()

    def _stop(signum, _frame) -> None:
        logger.warning("%s received: finishing the analysis in progress, then stopping",
                       signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, _stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        sr_writer = cad_sr_writer(settings.config, pseudonymize_key=settings.pseudonymize_key) if args.sr else None
        run_node(args.out, settings, options, stop=stop, sr_writer=sr_writer)
    except ScanError as exc:
        print(f"calcdetect serve: {exc}", file=sys.stderr)
        return EXIT_FATAL
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return EXIT_OK
