"""Mammography CAD SR (DICOM PS3.16 TID 4000): one per study of a scan.

Modules, one job each: :mod:`.codes` (the checked coded concepts),
:mod:`.model` (typed inputs), :mod:`.coords` (pixel indices to SCOORD graphic
data, score to certainty), :mod:`.content` (the TID 4000 content tree),
:mod:`.document` (the SR object and its file), :mod:`.studies` (from a scan's
tables to one SR per study: :func:`write_study_srs`) and :mod:`.reader`
(read an SR back, cluster by cluster).

The entry point for a batch (``calcdetect scan``, ``calcdetect serve``)::

    from calcdetect.sr import write_study_srs
    outcome = write_study_srs(out_dir, tables, dicom_dir=dicom_dir, config=config,
                              pseudonymize_key=None)
    outcome.paths    # {StudyInstanceUID: Path of OUT/sr/<patient_key>/<study uid>.dcm}
    outcome.errors   # errors.csv rows (code sr_not_written) for studies left out

``tables`` is a :class:`calcdetect.batch.outputs.ScanTables`; its image rows
need ``study_instance_uid``, ``series_instance_uid`` and ``sop_class_uid``
(worker records of format 2 have them).  :func:`plan_study_reports` +
:func:`write_study_reports` do the same in two steps.
"""

from .reader import ReadCalcification, ReadCluster, ReadReport, read_cad_sr
from .studies import SR_FOLDER, SrOutcome, SrPlan, StudyReport, plan_study_reports, write_study_reports, write_study_srs

__all__ = [
    "write_study_srs", "plan_study_reports", "write_study_reports", "SrOutcome", "SrPlan", "StudyReport",
    "SR_FOLDER", "read_cad_sr", "ReadReport", "ReadCluster", "ReadCalcification",
]
