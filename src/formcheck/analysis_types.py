"""What one analysis produces lives in formcheck.results; this module keeps Analysis and KeySeries importable from
here."""
from formcheck.results import Analysis, KeySeries

__all__ = ["Analysis", "KeySeries"]
