"""Damaged files never stop a scan: seeded mutants through the real ``calcdetect scan`` (issue 17).

Six hundred mutants of the committed sample phantoms (64 x 64 crops, every
transfer syntax the reader claims, each with its own SOP Instance UID and one
kind of damage: bytes flipped in a header or anywhere, truncated, a length
field inflated, a span duplicated or zeroed) are scanned by the command line,
in this process, with two worker processes.  Every file must end in exactly
one of images.csv / errors.csv, none as ``internal_error`` (a failure of
calcdetect, not of the file), and the command must return 0 or 3.

``CALCDETECT_FUZZ_SEED`` changes the seed (default 17); ``make fuzz`` runs
many more (scripts/fuzz_scan.py).
"""

from __future__ import annotations

import collections
import os

import pytest

from calcdetect.cli import main

N_MUTANTS = 600
SEED = int(os.environ.get("CALCDETECT_FUZZ_SEED", "17"))


@pytest.fixture(scope="module")
def made(mutants, bases):
    return [mutants.make_mutant(bases, SEED, i) for i in range(N_MUTANTS)]


def test_mutants_cover_every_syntax_and_damage_kind(mutants, bases, made):
    syntaxes = {m.base.rsplit(".", 1)[1] for m in made}
    assert syntaxes == {name for name, _, _ in mutants.SYNTAXES}
    assert {m.kind for m in made} == set(mutants.DAMAGE_KINDS)
    # every mutant is damaged, and the same seed gives the same bytes
    originals = {b.name: b for b in bases}
    for i, m in enumerate(made[:30]):
        intact = mutants.dataset_bytes(originals[m.base].dataset, mutants.mutant_uid(SEED, i))
        assert m.data != intact, m.name
        assert mutants.make_mutant(bases, SEED, i).data == m.data


def test_a_scan_of_hundreds_of_damaged_files_accounts_for_every_file(mutants, made, tmp_path):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for m in made:
        (folder / m.name).write_bytes(m.data)
    names = [m.name for m in made]

    status = main(["scan", str(folder), "-o", str(out), "--workers", "2"])

    outcome, problems = mutants.check_scan_outputs(names, out)
    assert problems == [], f"seed {SEED}: " + "\n".join(problems[:20])
    assert status in (0, 3)
    counts = collections.Counter(code or "analysed" for code in outcome.values())
    print(f"seed {SEED}: {dict(counts)}")
    # the damage reaches the decoders, and some mutants are still good images
    assert counts["analysed"] >= N_MUTANTS // 10 and counts["decode_failed"] >= N_MUTANTS // 20, counts
    assert "duplicate" not in counts  # every mutant has its own SOP Instance UID
