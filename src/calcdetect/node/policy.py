"""Who may talk to the node, and within which limits: the association policy.

Pure rules on plain values (AE titles, addresses), so they are tested without
a network: :func:`parse_allowed_peer` and :func:`parse_destination` read the
command-line forms ``AET[@HOST]`` and ``AET@HOST:PORT``;
:meth:`NodePolicy.rejection` says why an association request must be refused
(or ``None``).  The TLS contexts are built here too, from the files the user
names (:func:`server_tls_context`, :func:`client_tls_context`).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
from dataclasses import dataclass, field

__all__ = [
    "AllowedPeer",
    "Destination",
    "NodePolicy",
    "parse_ae_title",
    "parse_allowed_peer",
    "parse_destination",
    "server_tls_context",
    "client_tls_context",
]

logger = logging.getLogger(__name__)

# DICOM PS3.5 AE: at most 16 characters of the default repertoire, no backslash or control characters
_MAX_AE_CHARS = 16


def parse_ae_title(text: str, *, what: str = "AE title") -> str:
    """Check one AE title (1-16 printable ASCII characters, no backslash); return it stripped.

    Raises
    ------
    ValueError
        Naming the rule and the value.
    """
    title = str(text).strip()
    if not 1 <= len(title) <= _MAX_AE_CHARS:
        raise ValueError(f"{what} must have 1 to {_MAX_AE_CHARS} characters, got {text!r}")
    if any(not (32 <= ord(ch) < 127) or ch == "\\" for ch in title):
        raise ValueError(f"{what} may hold only printable ASCII characters without '\\', got {text!r}")
    return title


def _addresses_of(host: str) -> frozenset[str]:
    """The IP addresses of ``host`` (itself when it is one), resolved once at start-up."""
    try:
        return frozenset({str(ipaddress.ip_address(host))})
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise ValueError(f"host {host!r} cannot be resolved ({exc}); give an IP address instead") from exc
    return frozenset(str(ipaddress.ip_address(info[4][0])) for info in infos)


@dataclass(frozen=True)
class AllowedPeer:
    """A calling AE title that may associate, optionally only from some addresses.

    ``addresses`` empty means: from any address.
    """

    ae_title: str
    host: str = ""
    addresses: frozenset[str] = field(default_factory=frozenset)

    def admits(self, ae_title: str, address: str) -> bool:
        if ae_title != self.ae_title:
            return False
        if not self.addresses:
            return True
        try:
            return str(ipaddress.ip_address(address)) in self.addresses
        except ValueError:
            return False


def parse_allowed_peer(text: str) -> AllowedPeer:
    """``AET`` or ``AET@HOST`` (an IP address or a name resolved now) as an :class:`AllowedPeer`."""
    aet, sep, host = str(text).partition("@")
    title = parse_ae_title(aet, what="--allow AE title")
    if not sep:
        return AllowedPeer(title)
    host = host.strip()
    if not host:
        raise ValueError(f"--allow takes AET or AET@HOST, got {text!r} (empty host)")
    return AllowedPeer(title, host, _addresses_of(host))


@dataclass(frozen=True)
class Destination:
    """Where the node sends its results: a storage SCP."""

    ae_title: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.ae_title}@{self.host}:{self.port}"


def parse_destination(text: str) -> Destination:
    """``AET@HOST:PORT`` as a :class:`Destination`.

    Raises
    ------
    ValueError
        When a part is missing or the port is not 1-65535.
    """
    aet, sep, rest = str(text).partition("@")
    host, sep2, port_text = rest.rpartition(":")
    if not sep or not sep2 or not host:
        raise ValueError(f"--forward takes AET@HOST:PORT, got {text!r}")
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"--forward port must be a number 1-65535, got {port_text!r}") from None
    if not 1 <= port <= 65535:
        raise ValueError(f"--forward port must be a number 1-65535, got {port}")
    return Destination(parse_ae_title(aet, what="--forward AE title"), host.strip("[]"), port)


@dataclass(frozen=True)
class NodePolicy:
    """The node's association rules and limits.

    Attributes
    ----------
    ae_title : str
        The node's own AE title; the called AE title of a request must match it.
    allowed : tuple of AllowedPeer
        Calling AE titles (and hosts) that may associate; empty admits nobody.
    max_pdu_bytes : int
        Largest P-DATA PDU the node receives (0 would mean unlimited: refused here).
    max_instance_bytes : int
        Largest encoded instance stored; larger ones get a failure status.
    max_associations : int
        Concurrent associations; more are rejected (transient, local limit exceeded).
    """

    ae_title: str
    allowed: tuple[AllowedPeer, ...]
    max_pdu_bytes: int = 262_144
    max_instance_bytes: int = 512 * 1024 * 1024
    max_associations: int = 8

    def __post_init__(self) -> None:
        parse_ae_title(self.ae_title, what="--ae-title")
        for name in ("max_pdu_bytes", "max_instance_bytes", "max_associations"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        if self.max_pdu_bytes < 4096:
            raise ValueError(f"max_pdu_bytes must be at least 4096, got {self.max_pdu_bytes}")

    def rejection(self, *, calling_ae: str, called_ae: str, address: str) -> str | None:
        """Why an association request must be rejected, or None when it is admitted."""
        calling, called = str(calling_ae).strip(), str(called_ae).strip()
        if called != self.ae_title:
            return f"called AE title {called!r} is not this node's ({self.ae_title!r})"
        known = [p for p in self.allowed if p.ae_title == calling]
        if not known:
            return f"calling AE title {calling!r} is not on --allow"
        if not any(p.admits(calling, address) for p in known):
            hosts = ", ".join(sorted(p.host for p in known))
            return f"calling AE title {calling!r} is allowed only from {hosts}, not from {address}"
        return None


def server_tls_context(cert_file: str, key_file: str, *, ca_file: str | None = None) -> ssl.SSLContext:
    """TLS (1.2 or later) for the node's listening socket; with ``ca_file``, clients must show a
    certificate signed by that CA (mutual TLS).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    if ca_file:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(ca_file)
    return context


def client_tls_context(ca_file: str, *, cert_file: str | None = None, key_file: str | None = None) -> ssl.SSLContext:
    """TLS for connecting to a peer whose certificate is signed by ``ca_file`` (hostname checked)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert_file:
        context.load_cert_chain(cert_file, key_file)
    return context
