"""The report's data and its JSON form live in formcheck.results (below both the rules and the report); this module
keeps the names importable from here."""
from formcheck.exercises import EXERCISE_WORDS
from formcheck.results import (
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
