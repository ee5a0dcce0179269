"""The report's data and its JSON form live in formcheck.results (below both the rules and the report); this module
keeps the names importable from here."""
from formcheck.results import (
    EXERCISE_WORDS,
    REPORT_SCHEMA_VERSION,
    SEVERITIES,
    Finding,
    HoldSpan,
    NotJudged,
    Report,
    RepSpan,
    Severity,
)

__all__ = ["EXERCISE_WORDS", "REPORT_SCHEMA_VERSION", "SEVERITIES", "Finding", "HoldSpan", "NotJudged", "Report",
           "RepSpan", "Severity"]
