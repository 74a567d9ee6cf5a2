"""Which files a scan takes as inputs, and in which order."""

from __future__ import annotations

import os

from calcdetect.batch.discover import discover_inputs


def test_every_file_recursively_sorted_without_outputs_or_phantom_sidecars(tmp_path):
    root = tmp_path / "in"
    for rel in ["b/IM2", "a/IM1", "a/sub/1.2.3", "notes.txt", "ph/p_0000.dcm", "ph/p_0000.truth.json",
                "ph/manifest.csv", "ph/set_summary.json", "other/manifest.csv", "out/images.csv", ".hidden"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x" * len(rel))
    os.symlink(root / "a", root / "link-to-dir")  # not followed: no loops, no duplicates
    os.symlink(root / "b" / "IM2", root / "link-to-file")
    found = discover_inputs(root, exclude=(root / "out",))
    assert [f.rel_path for f in found] == [
        ".hidden", "a/IM1", "a/sub/1.2.3", "b/IM2", "link-to-file", "notes.txt", "other/manifest.csv",
        "ph/p_0000.dcm",
    ]
    assert all(f.is_regular for f in found)
    assert len({f.job_id for f in found}) == len(found)
    assert found[1].size_bytes == len("a/IM1")


def test_dangling_link_is_kept_as_a_non_regular_input(tmp_path):
    os.symlink(tmp_path / "gone", tmp_path / "dangling")
    (found,) = discover_inputs(tmp_path)
    assert found.rel_path == "dangling" and not found.is_regular
