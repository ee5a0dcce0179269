"""Report: the data (schema) and its renderings (terminal, HTML, annotated video) at the edge."""
from formcheck.report.schema import REPORT_SCHEMA_VERSION, Finding, HoldSpan, NotJudged, Report, RepSpan

__all__ = ["REPORT_SCHEMA_VERSION", "Finding", "HoldSpan", "NotJudged", "Report", "RepSpan"]
