"""Thresholds: one data file (thresholds.toml) shipped in the package, each value with unit and citation."""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_FILE = Path(__file__).with_name("thresholds.toml")


@dataclass(frozen=True)
class Threshold:
    value: float
    unit: str
    source: str


class Thresholds:
    """Frozen lookup `th["knee_valgus", "fppa_fault_deg"]` -> float; `th.entry(...)` -> Threshold with citation."""

    def __init__(self, table: Mapping[str, Mapping[str, Threshold]]):
        self._table = {rule: dict(entries) for rule, entries in table.items()}

    def __getitem__(self, key: tuple[str, str]) -> float:
        return self.entry(*key).value

    def entry(self, rule: str, name: str) -> Threshold:
        try:
            return self._table[rule][name]
        except KeyError:
            raise KeyError(f"no threshold {rule}.{name}") from None

    def as_dict(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {r: {n: vars(t) for n, t in e.items()} for r, e in self._table.items()}

    @classmethod
    def load(cls, override: str | Path | None = None) -> "Thresholds":
        """The packaged defaults, with values from an override TOML file replacing matching keys."""
        table = _parse(DEFAULT_FILE, tomllib.loads(DEFAULT_FILE.read_text()))
        if override is not None:
            _apply_override(table, Path(override))
        return cls(table)


def _parse(path: Path, data: Mapping[str, Any]) -> dict[str, dict[str, Threshold]]:
    table: dict[str, dict[str, Threshold]] = {}
    for rule, entries in data.items():
        table[rule] = {}
        for name, raw in entries.items():
            try:
                table[rule][name] = Threshold(float(raw["value"]), str(raw["unit"]), str(raw["source"]))
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"{path}: {rule}.{name} needs value, unit and source") from None
    return table


def _apply_override(table: dict[str, dict[str, Threshold]], path: Path) -> None:
    """Replace matching entries of table with the values of a user's TOML file; ValueError (one line) on anything
    that is not a known rule's known threshold with a finite number (not negative when the default is not), or
    that puts a warning limit past its fault limit."""
    if not path.exists():
        raise ValueError(f"{path}: no such thresholds file")
    if not path.is_file():
        raise ValueError(f"{path}: is a directory; give a thresholds .toml file")
    defaults = {rule: dict(entries) for rule, entries in table.items()}
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid TOML ({str(exc).splitlines()[0]})") from None
    for rule, entries in data.items():
        if rule in table and not isinstance(entries, dict):
            raise ValueError(f"{path}: {rule} must be a table: a [{rule}] line, then name = number lines")
        if not isinstance(entries, dict):
            raise ValueError(
                f"{path}: '{rule} = ...' is outside any rule table; put it under its rule, e.g. [knee_valgus]"
            )
        if rule not in table:
            raise ValueError(f"{path}: unknown rule table '[{rule}]'; known: {', '.join(sorted(table))}")
        for name, raw in entries.items():
            if name not in table[rule]:
                raise ValueError(
                    f"{path}: unknown threshold {rule}.{name}; known: {', '.join(sorted(table[rule]))}"
                )
            base = table[rule][name]
            value = raw.get("value") if isinstance(raw, dict) else raw
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ValueError(f"{path}: {rule}.{name} must be a number ({base.unit}), got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{path}: {rule}.{name} must be a finite number ({base.unit}), got {value!r}")
            if value < 0 <= base.value:
                raise ValueError(f"{path}: {rule}.{name} cannot be negative ({base.unit}), got {value!r}")
            source = raw.get("source") if isinstance(raw, dict) else None
            table[rule][name] = Threshold(float(value), base.unit, str(source or f"user override ({path.name})"))
    _check_warn_before_fault(table, defaults, path)


def _check_warn_before_fault(table: dict[str, dict[str, Threshold]], defaults: dict[str, dict[str, Threshold]],
                             path: Path) -> None:
    """ValueError (one line) when a warning limit lies past its fault limit (NAME_warn* and NAME_fault* of one
    rule): a value must reach the warning before the fault. The defaults say which way is worse (a separation
    ratio warns at 0.85 and faults at 0.75, lower being worse); equal limits are allowed (no warning band)."""
    for rule, entries in table.items():
        for warn_name, warn in entries.items():
            fault_name = warn_name.replace("_warn", "_fault", 1)
            if "_warn" not in warn_name or fault_name not in entries:
                continue
            fault = entries[fault_name]
            higher_is_worse = defaults[rule][fault_name].value >= defaults[rule][warn_name].value
            if (warn.value > fault.value) if higher_is_worse else (warn.value < fault.value):
                raise ValueError(
                    f"{path}: {rule}.{warn_name} = {warn.value:g} {warn.unit} lies past "
                    f"{rule}.{fault_name} = {fault.value:g} {fault.unit}; the warning must come "
                    f"{'at or below' if higher_is_worse else 'at or above'} the fault"
                )
