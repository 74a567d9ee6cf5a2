"""TLS and mutual TLS, with a CA and certificates made here by `cryptography`."""

from __future__ import annotations

import datetime
import ipaddress
import ssl

import pytest

x509 = pytest.importorskip("cryptography.x509", reason="the TLS tests make their certificates with cryptography")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from calcdetect.node.policy import server_tls_context  # noqa: E402


def _name(cn: str):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject_key, subject: str, issuer_key, issuer: str, *, ca: bool, san=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path, cert, key=None):
    path.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        path.with_suffix(".key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(path.with_suffix(".crt")), str(path.with_suffix(".key"))


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert(ca_key, "test CA", ca_key, "test CA", ca=True)
    server_key, client_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    server = _cert(server_key, "calcdetect", ca_key, "test CA", ca=False,
                   san=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    client = _cert(client_key, "pacs", ca_key, "test CA", ca=False)
    other_key = ec.generate_private_key(ec.SECP256R1())
    other_ca = _cert(other_key, "other CA", other_key, "other CA", ca=True)
    stranger = _cert(client_key, "stranger", other_key, "other CA", ca=False)
    ca_file, _ = _write(d / "ca", ca)
    server_cert, server_key_file = _write(d / "server", server, server_key)
    client_cert, client_key_file = _write(d / "client", client, client_key)
    stranger_cert, _ = _write(d / "stranger", stranger, client_key)
    stranger_key_file = client_key_file
    _write(d / "otherca", other_ca)
    return dict(ca=ca_file, server=(server_cert, server_key_file), client=(client_cert, client_key_file),
                stranger=(stranger_cert, stranger_key_file))


def _client(pki, cert=None):
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=pki["ca"])
    if cert:
        context.load_cert_chain(*cert)
    return (context, "127.0.0.1")


def _echo(kit, port, tls_args):
    assoc = kit.sender_ae("PACS").associate("127.0.0.1", port, ae_title="CALCDETECT", tls_args=tls_args)
    ok = assoc.is_established and assoc.send_c_echo().Status == 0x0000
    if assoc.is_established:
        assoc.release()
    return ok


def test_tls_node_answers_over_tls_only(tmp_path, kit, pki):
    running = kit.start_node(tmp_path / "out", tls=server_tls_context(*pki["server"]))
    try:
        assert _echo(kit, running.port, _client(pki))
        (ds,) = kit.study_of(1)
        assert kit.send(running.port, [ds], tls_args=_client(pki)) == [0x0000]
        assert not _echo(kit, running.port, None)  # plain DICOM to a TLS port: no association
    finally:
        running.stop()


def test_mutual_tls_needs_a_client_certificate_from_the_ca(tmp_path, kit, pki):
    running = kit.start_node(tmp_path / "out", tls=server_tls_context(*pki["server"], ca_file=pki["ca"]))
    try:
        assert _echo(kit, running.port, _client(pki, pki["client"]))
        assert not _echo(kit, running.port, _client(pki))                    # no certificate
        assert not _echo(kit, running.port, _client(pki, pki["stranger"]))   # signed by another CA
    finally:
        running.stop()


def test_the_forwarder_sends_over_mutual_tls_and_not_to_a_destination_it_cannot_verify(tmp_path, kit, pki):
    from pydicom import dcmread
    from pynetdicom import ALL_TRANSFER_SYNTAXES, AE, evt, sop_class

    from calcdetect.node.forwarder import Forwarder
    from calcdetect.node.policy import Destination, client_tls_context

    received = []
    ae = AE(ae_title="PACS")
    ae.add_supported_context(sop_class.DigitalMammographyXRayImageStorageForPresentation, ALL_TRANSFER_SYNTAXES)
    port = kit.free_port()
    server = ae.start_server(("127.0.0.1", port), block=False,
                             ssl_context=server_tls_context(*pki["server"], ca_file=pki["ca"]),  # mutual TLS
                             evt_handlers=[(evt.EVT_C_STORE, lambda e: received.append(e.dataset.SOPInstanceUID) or 0)])
    out = tmp_path / "out"
    (out / "sr").mkdir(parents=True)
    sample = out / "sr" / "object.dcm"
    sample.write_bytes((kit.samples / "small_pos_LCC.dcm").read_bytes())
    destination = Destination("PACS", "127.0.0.1", port)
    try:
        untrusting = Forwarder(out, destination, calling_ae="CALCDETECT",
                               tls=client_tls_context(pki["ca"]))  # no client certificate: refused by the PACS
        untrusting.enqueue([sample], study="s")
        assert untrusting.send_due() == 0
        assert received == []
        trusted = Forwarder(out, destination, calling_ae="CALCDETECT",
                            tls=client_tls_context(pki["ca"], cert_file=pki["client"][0], key_file=pki["client"][1]))
        assert trusted.send_due() == 1
    finally:
        server.shutdown()
    assert received == [dcmread(sample, stop_before_pixels=True).SOPInstanceUID]
