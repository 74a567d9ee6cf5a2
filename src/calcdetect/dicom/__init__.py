"""Internals of :mod:`calcdetect.io`, split by role.

* :mod:`calcdetect.dicom.sniff` -- is this file DICOM, and read its header
  once (pixel data deferred), spotting empty and truncated files;
* :mod:`calcdetect.dicom.header` -- what kind of object it is (mammogram,
  DICOMDIR, structured report, tomosynthesis, ...) and the attributes the
  reader needs (geometry, spacing, laterality, view, grey-scale pipeline);
* :mod:`calcdetect.dicom.decode` -- pixel data to an integer array through
  pydicom's decoders, refusing decompression bombs first;
* :mod:`calcdetect.dicom.normalise` -- pure array functions: stored values to
  float32 "denser is brighter", and display windows.

Only :mod:`calcdetect.io` is public; import from there.
"""

__all__: list[str] = []
