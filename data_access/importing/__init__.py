"""Import of the monthly data files (docs/metrics.md §6, docs/architecture.md §4): templates, validation, all-or-nothing writes, audit.

No Streamlit here: the Data page and `python -m data_access import` both call run_import.
"""

from data_access.importing.messages import Problem, line, message
from data_access.importing.readers import Upload, uploads_from_paths
from data_access.importing.runner import ImportReport, PartSummary, run_import
from data_access.importing.specs import KIND_ORDER, SPECS

__all__ = [
    "KIND_ORDER",
    "SPECS",
    "ImportReport",
    "PartSummary",
    "Problem",
    "Upload",
    "line",
    "message",
    "run_import",
    "uploads_from_paths",
]
