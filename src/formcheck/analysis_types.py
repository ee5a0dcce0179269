"""What one analysis produces, for the renderers at the edge (HTML, annotated video, terminal): pure data."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.report.schema import Report
from formcheck.track import PoseTrack


@dataclass(frozen=True)
class KeySeries:
    """A measured series worth plotting, with the band the rules judge it against.

    warn_above/fault_above (or warn_below/fault_below) are thresholds in the series' unit; None where unused.
    angle_points names the three landmarks whose angle this is (drawn on key frames), or () if not an angle.
    """

    name: str
    label: str
    unit: str
    values: np.ndarray  # (T,) aligned with the track's frames, NaN where unmeasured
    rules: tuple[str, ...] = ()
    warn_above: float | None = None
    fault_above: float | None = None
    warn_below: float | None = None
    fault_below: float | None = None
    angle_points: tuple[str, ...] = ()


@dataclass(frozen=True)
class Analysis:
    """The cleaned track, the key series, and the report: everything a renderer needs."""

    track: PoseTrack
    report: Report
    key_series: list[KeySeries] = field(default_factory=list)
    frames: Any = None  # a formcheck.frame_cache.FrameCache of pictures kept from the decode (None for a track)

    def series(self, name: str) -> KeySeries:
        for s in self.key_series:
            if s.name == name:
                return s
        raise KeyError(f"no key series {name!r}; have {', '.join(s.name for s in self.key_series)}")

    def series_for_rule(self, rule: str) -> list[KeySeries]:
        return [s for s in self.key_series if rule in s.rules]
