"""Form rules: one small module per fault, each a pure function (RuleContext) -> RuleOutcome.

A new rule is one new file whose function is decorated with `@register(name, exercises=..., words=...)` (from
formcheck.rules.base) plus its name in RULE_MODULES below.
"""
from __future__ import annotations

import importlib

from formcheck.exercises import EXERCISES, VIEWS
from formcheck.rules.base import (
    RULES,
    RuleContext,
    RuleOutcome,
    RuleSpec,
    register,
    rule_words,
    rules_for,
    run_rules,
)

RULE_MODULES = (
    "lumbar_arch",
    "hip_lockout",
    "knee_valgus",
    "hip_sway",
    "neck_flexion",
    "stance_asymmetry",
    "hold_timer",
)
for _module in RULE_MODULES:
    importlib.import_module(f"formcheck.rules.{_module}")



__all__ = ["EXERCISES", "RULES", "VIEWS", "RuleContext", "RuleOutcome", "RuleSpec", "register", "rule_words",
           "rules_for", "run_rules"]
