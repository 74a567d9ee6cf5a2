"""The pure parts: command-line forms, association rules, study idle timers."""

from __future__ import annotations

import pytest

from calcdetect.node.assembler import StudyAssembler
from calcdetect.node.policy import NodePolicy, parse_allowed_peer, parse_destination


@pytest.mark.parametrize("text, title, host", [("PACS", "PACS", ""), (" MG1@127.0.0.1", "MG1", "127.0.0.1")])
def test_allowed_peer_forms(text, title, host):
    peer = parse_allowed_peer(text)
    assert (peer.ae_title, peer.host) == (title, host)


@pytest.mark.parametrize("text, match", [
    ("", "1 to 16 characters"), ("A" * 17, "1 to 16 characters"), ("BAD\\AE", "without"), ("PACS@", "empty host"),
])
def test_bad_allowed_peers_name_the_rule(text, match):
    with pytest.raises(ValueError, match=match):
        parse_allowed_peer(text)


def test_destination_form():
    d = parse_destination("ORTHANC@pacs.example:4242")
    assert (d.ae_title, d.host, d.port, str(d)) == ("ORTHANC", "pacs.example", 4242, "ORTHANC@pacs.example:4242")
    for bad in ("ORTHANC", "ORTHANC@host", "ORTHANC@host:0", "ORTHANC@host:x", "@host:4242"):
        with pytest.raises(ValueError):
            parse_destination(bad)


def test_rejection_reasons():
    policy = NodePolicy("CALCDETECT", (parse_allowed_peer("PACS"), parse_allowed_peer("MG1@10.0.0.5")))
    assert policy.rejection(calling_ae="PACS", called_ae="CALCDETECT", address="192.0.2.1") is None
    assert policy.rejection(calling_ae="MG1", called_ae="CALCDETECT", address="10.0.0.5") is None
    assert "only from 10.0.0.5" in policy.rejection(calling_ae="MG1", called_ae="CALCDETECT", address="10.0.0.6")
    assert "not on --allow" in policy.rejection(calling_ae="OTHER", called_ae="CALCDETECT", address="10.0.0.5")
    assert "called AE title" in policy.rejection(calling_ae="PACS", called_ae="ANY", address="10.0.0.5")
    assert "not on --allow" in NodePolicy("CALCDETECT", ()).rejection(
        calling_ae="PACS", called_ae="CALCDETECT", address="127.0.0.1")  # nobody is allowed by default


def test_limits_must_be_sensible():
    with pytest.raises(ValueError, match="max_pdu_bytes must be at least 4096"):
        NodePolicy("CALCDETECT", (), max_pdu_bytes=100)
    with pytest.raises(ValueError, match="max_associations"):
        NodePolicy("CALCDETECT", (), max_associations=0)


def test_a_study_is_due_after_its_idle_time_and_each_instance_restarts_the_timer():
    now = [0.0]
    assembler = StudyAssembler(idle_s=30, clock=lambda: now[0])
    assembler.touch("A")
    now[0] = 10.0
    assembler.touch("B")
    now[0] = 29.0
    assembler.touch("A")          # a late instance of A
    now[0] = 40.0
    assert assembler.due() == ["B"]
    assert assembler.due() == []  # handed out once
    now[0] = 59.0
    assert assembler.due() == ["A"]
    assert assembler.waiting == []
