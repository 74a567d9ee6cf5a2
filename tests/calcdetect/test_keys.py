import pytest

from calcdetect.keys import patient_key


@pytest.mark.parametrize(
    "raw",
    ["../../etc/passwd", "a/b\\c", "Ünïcødé 患者", "..", ".", "x" * 500, "PAT 001", "\x00evil"],
)
def test_key_is_filesystem_safe(raw):
    key = patient_key(raw)
    assert key not in {"", ".", ".."}
    assert all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in key)
    assert len(key) <= 64


def test_readable_ids_are_kept_and_changed_ids_do_not_collide():
    assert patient_key("PAT-001") == "PAT-001"
    assert patient_key("a/b") != patient_key("a_b")
    assert patient_key("") == patient_key(None) == "unknown"


def test_pseudonymised_key_depends_on_secret_and_hides_id():
    a = patient_key("PAT-001", pseudonymize_key="s1")
    assert a == patient_key("PAT-001", pseudonymize_key="s1")
    assert a != patient_key("PAT-001", pseudonymize_key="s2")
    assert "PAT" not in a and len(a) == 17
