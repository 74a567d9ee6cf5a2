"""Mammography CAD SR (DICOM PS3.16 TID 4000) for the studies of a scan."""
