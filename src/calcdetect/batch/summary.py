"""The outcome of a scan, as a value and as the text printed at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ScanSummary", "format_summary"]


@dataclass(frozen=True)
class ScanSummary:
    """What a scan did and where its outputs are.

    Attributes
    ----------
    out_dir : Path
    n_inputs : int
        Files found (each is in exactly one of images.csv / errors.csv).
    n_images, n_positive_images, n_patients, n_positive_patients : int
    n_errors : int
        Rows of errors.csv (duplicates included).
    errors_by_code : dict of str to int
    n_resumed : int
        Files whose earlier record was reused by ``--resume``.
    seconds : float
        Wall time of the whole scan.
    outputs : dict of str to Path
        ``images``, ``calcifications``, ``clusters``, ``patients``, ``errors``,
        ``run`` and, with overlays, ``index``; ``sr`` when CAD SRs were written.
    n_srs : int
        Mammography CAD SRs written (one per study, ``OUT/sr/``).
    """

    out_dir: Path
    n_inputs: int
    n_images: int
    n_positive_images: int
    n_patients: int
    n_positive_patients: int
    n_errors: int
    errors_by_code: dict[str, int] = field(default_factory=dict)
    n_resumed: int = 0
    seconds: float = 0.0
    outputs: dict[str, Path] = field(default_factory=dict)
    n_srs: int = 0

    @property
    def all_analysed(self) -> bool:
        """True when every input file was analysed (errors.csv is empty)."""
        return self.n_errors == 0


def format_summary(summary: ScanSummary) -> str:
    """The lines printed at the end of ``calcdetect scan``."""
    lines = [
        f"files found:        {summary.n_inputs}"
        + (f" ({summary.n_resumed} reused from the interrupted run)" if summary.n_resumed else ""),
        f"images read:        {summary.n_images}",
        f"positive images:    {summary.n_positive_images}",
        f"patients:           {summary.n_patients} ({summary.n_positive_patients} positive)",
    ]
    if summary.n_errors:
        by_code = ", ".join(f"{code} {n}" for code, n in sorted(summary.errors_by_code.items()))
        lines.append(f"not analysed:       {summary.n_errors} ({by_code}) - reasons in {summary.outputs['errors']}")
    else:
        lines.append("not analysed:       0")
    if summary.n_inputs == 0:
        lines.append("warning: no file found in the input folder")
    lines.append(f"outputs:            {summary.out_dir}")
    if "sr" in summary.outputs:
        lines.append(f"CAD SRs:            {summary.n_srs} (one per study) in {summary.outputs['sr']}")
    for name in ("images", "patients", "index"):
        if name in summary.outputs:
            lines.append(f"  {name + ':':<17} {summary.outputs[name]}")
    lines.append(f"time:               {summary.seconds:.1f} s")
    return "\n".join(lines)
