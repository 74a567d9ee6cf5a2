"""The coded concepts of the Mammography CAD SR, each checked against PS3.16.

Every code here was looked up, not guessed: the DCM and SCT codes and their
meanings are those of pydicom's copy of the PS3.16 concept dictionaries
(``pydicom.sr.codedict.codes``, generated from the standard), and
``tests/calcdetect/sr/test_codes.py`` asserts that each constant still equals
the dictionary entry, and that the finding types belong to CID 6014
"Mammography Single Image Finding".  The template row each code fills is
named beside it.

Note that the SNOMED-RT codes of older CAD SRs, (F-01775, SRT, "Calcification
Cluster") and (F-01776, SRT, "Individual Calcification"), are today's SNOMED CT
129769006 and 129770007 in CID 6014; this module uses the SNOMED CT ones.
"""

from __future__ import annotations

from pydicom.sr.coding import Code

from calcdetect.vocabulary import Laterality, View

__all__ = [
    "MAMMOGRAPHY_CAD_SR_STORAGE", "TEMPLATE_ID", "MAPPING_RESOURCE",
    "MAMMOGRAPHY_CAD_REPORT", "LANGUAGE_OF_CONTENT", "ENGLISH",
    "IMAGE_LIBRARY", "IMAGE_LATERALITY", "IMAGE_VIEW", "STUDY_DATE", "STUDY_TIME", "CONTENT_DATE",
    "CONTENT_TIME", "HORIZONTAL_PIXEL_SPACING", "VERTICAL_PIXEL_SPACING", "PATIENT_ORIENTATION_ROW",
    "PATIENT_ORIENTATION_COLUMN", "LATERALITY_CODES", "VIEW_CODES",
    "CAD_PROCESSING_AND_FINDINGS_SUMMARY", "ALL_SUCCEEDED_WITH_FINDINGS", "ALL_SUCCEEDED_WITHOUT_FINDINGS",
    "NOT_ALL_SUCCEEDED_WITH_FINDINGS", "NOT_ALL_SUCCEEDED_WITHOUT_FINDINGS", "NONE_SUCCEEDED_WITHOUT_FINDINGS",
    "INDIVIDUAL_IMPRESSION_RECOMMENDATION", "RENDERING_INTENT", "PRESENTATION_REQUIRED",
    "PRESENTATION_OPTIONAL", "SINGLE_IMAGE_FINDING", "CALCIFICATION_CLUSTER", "INDIVIDUAL_CALCIFICATION",
    "ALGORITHM_NAME", "ALGORITHM_VERSION", "ALGORITHM_PARAMETERS", "CERTAINTY_OF_FINDING",
    "NUMBER_OF_CALCIFICATIONS", "CENTER", "OUTLINE", "DIAMETER",
    "SUMMARY_OF_DETECTIONS", "SUMMARY_OF_ANALYSES", "SUCCEEDED", "PARTIALLY_SUCCEEDED", "FAILED",
    "NOT_ATTEMPTED", "SUCCESSFUL_DETECTIONS", "FAILED_DETECTIONS", "DETECTION_PERFORMED",
    "UCUM_MM", "UCUM_PERCENT", "UCUM_NO_UNITS",
]

#: PS3.4 Annex B: Mammography CAD SR Storage
MAMMOGRAPHY_CAD_SR_STORAGE = "1.2.840.10008.5.1.4.1.1.88.50"
#: Content Template Sequence of the root: TID 4000, mapping resource DCMR
TEMPLATE_ID = "4000"
MAPPING_RESOURCE = "DCMR"

# -- TID 4000 Mammography CAD Document Root ---------------------------------
MAMMOGRAPHY_CAD_REPORT = Code("111036", "DCM", "Mammography CAD Report")  # row 1
# TID 1204 Language of Content Item and Descendants (TID 4000 row 2)
LANGUAGE_OF_CONTENT = Code("121049", "DCM", "Language of Content Item and Descendants")
#: CID 5000 "Language" (RFC 5646 tag); the same code highdicom writes (highdicom.sr.templates.DEFAULT_LANGUAGE)
ENGLISH = Code("en-US", "RFC5646", "English (United States)")
IMAGE_LIBRARY = Code("111028", "DCM", "Image Library")  # row 3
SUMMARY_OF_DETECTIONS = Code("111064", "DCM", "Summary of Detections")  # CID 6042 value
SUMMARY_OF_ANALYSES = Code("111065", "DCM", "Summary of Analyses")  # CID 6042 value

# -- TID 4020 CAD Image Library Entry, descriptors of TID 1602 / 1603 -------
IMAGE_LATERALITY = Code("111027", "DCM", "Image Laterality")  # $ImageLaterality = CID 6022 "Side"
IMAGE_VIEW = Code("111031", "DCM", "Image View")  # $ImageView = CID 4014 "View for Mammography"
PATIENT_ORIENTATION_ROW = Code("111044", "DCM", "Patient Orientation Row")
PATIENT_ORIENTATION_COLUMN = Code("111043", "DCM", "Patient Orientation Column")
STUDY_DATE = Code("111060", "DCM", "Study Date")
STUDY_TIME = Code("111061", "DCM", "Study Time")
CONTENT_DATE = Code("111018", "DCM", "Content Date")
CONTENT_TIME = Code("111019", "DCM", "Content Time")
HORIZONTAL_PIXEL_SPACING = Code("111026", "DCM", "Horizontal Pixel Spacing")  # column spacing, mm
VERTICAL_PIXEL_SPACING = Code("111066", "DCM", "Vertical Pixel Spacing")  # row spacing, mm

#: CID 6022 "Side", by the ``laterality`` of images.csv
LATERALITY_CODES = {
    Laterality.L: Code("80248007", "SCT", "Left breast"),
    Laterality.R: Code("73056007", "SCT", "Right breast"),
}
#: CID 4014 "View for Mammography", by the ``view`` of images.csv (ViewPosition terms)
VIEW_CODES = {
    View.CC: Code("399162004", "SCT", "cranio-caudal"),
    View.MLO: Code("399368009", "SCT", "medio-lateral oblique"),
    View.ML: Code("399260004", "SCT", "medial-lateral"),
    View.LM: Code("399352003", "SCT", "latero-medial"),
    View.LMO: Code("399099002", "SCT", "latero-medial oblique"),
    View.FB: Code("399196006", "SCT", "caudo-cranial"),
    View.SIO: Code("399188001", "SCT", "superolateral to inferomedial oblique"),
    View.ISO: Code("441555000", "SCT", "inferomedial to superolateral oblique"),
    View.XCCL: Code("399192008", "SCT", "cranio-caudal exaggerated laterally"),
    View.XCCM: Code("399101009", "SCT", "cranio-caudal exaggerated medially"),
}

# -- TID 4001 Overall Impression/Recommendation, CID 6047 -------------------
CAD_PROCESSING_AND_FINDINGS_SUMMARY = Code("111017", "DCM", "CAD Processing and Findings Summary")
ALL_SUCCEEDED_WITHOUT_FINDINGS = Code("111241", "DCM", "All algorithms succeeded; without findings")
ALL_SUCCEEDED_WITH_FINDINGS = Code("111242", "DCM", "All algorithms succeeded; with findings")
NOT_ALL_SUCCEEDED_WITHOUT_FINDINGS = Code("111243", "DCM", "Not all algorithms succeeded; without findings")
NOT_ALL_SUCCEEDED_WITH_FINDINGS = Code("111244", "DCM", "Not all algorithms succeeded; with findings")
NONE_SUCCEEDED_WITHOUT_FINDINGS = Code("111245", "DCM", "No algorithms succeeded; without findings")

# -- TID 4003 Individual Impression/Recommendation, TID 4006 Single Image Finding
INDIVIDUAL_IMPRESSION_RECOMMENDATION = Code("111034", "DCM", "Individual Impression/Recommendation")
RENDERING_INTENT = Code("111056", "DCM", "Rendering Intent")  # CID 6034 "CAD Output Intended Use"
PRESENTATION_REQUIRED = Code("111150", "DCM", "Presentation Required: Rendering device is expected to present")
PRESENTATION_OPTIONAL = Code("111151", "DCM", "Presentation Optional: Rendering device may present")
SINGLE_IMAGE_FINDING = Code("111059", "DCM", "Single Image Finding")  # value: CID 6014
CALCIFICATION_CLUSTER = Code("129769006", "SCT", "Calcification Cluster")  # CID 6014
INDIVIDUAL_CALCIFICATION = Code("129770007", "SCT", "Individual Calcification")  # CID 6014
CERTAINTY_OF_FINDING = Code("111012", "DCM", "Certainty of Finding")  # NUM, % 0-100
NUMBER_OF_CALCIFICATIONS = Code("111038", "DCM", "Number of calcifications")
# TID 4021 Mammography CAD Geometry
CENTER = Code("111010", "DCM", "Center")  # SCOORD POINT
OUTLINE = Code("111041", "DCM", "Outline")  # SCOORD POLYLINE
# TID 1400 Linear Measurement of a member calcification (CID 7470 "Linear Measurement")
DIAMETER = Code("81827009", "SCT", "Diameter")

# -- TID 4019 Algorithm Identification ---------------------------------------
ALGORITHM_NAME = Code("111001", "DCM", "Algorithm Name")
ALGORITHM_VERSION = Code("111003", "DCM", "Algorithm Version")
ALGORITHM_PARAMETERS = Code("111002", "DCM", "Algorithm Parameters")

# -- TID 4015 CAD Detections Performed / TID 4017, CID 6042 -----------------
SUCCEEDED = Code("111222", "DCM", "Succeeded")
PARTIALLY_SUCCEEDED = Code("111223", "DCM", "Partially Succeeded")
FAILED = Code("111224", "DCM", "Failed")
NOT_ATTEMPTED = Code("111225", "DCM", "Not Attempted")
SUCCESSFUL_DETECTIONS = Code("111063", "DCM", "Successful Detections")
FAILED_DETECTIONS = Code("111025", "DCM", "Failed Detections")
DETECTION_PERFORMED = Code("111022", "DCM", "Detection Performed")

# -- units -------------------------------------------------------------------
UCUM_MM = Code("mm", "UCUM", "mm")
UCUM_PERCENT = Code("%", "UCUM", "Percent")
UCUM_NO_UNITS = Code("1", "UCUM", "no units")
