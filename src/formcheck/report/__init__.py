"""Report: renderings of an analysis (terminal, HTML, annotated video) at the edge; the data is formcheck.results."""
from formcheck.results import REPORT_SCHEMA_VERSION, Finding, HoldSpan, NotJudged, Report, RepSpan

__all__ = ["REPORT_SCHEMA_VERSION", "Finding", "HoldSpan", "NotJudged", "Report", "RepSpan"]
