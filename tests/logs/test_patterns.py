"""Filter patterns, one row per documented form."""

from __future__ import annotations

import pytest

from airlock.logs.patterns import InvalidFilterPattern, compile_pattern

TEXT = "2026-11-25 ERROR [train] Exception: connection reset by peer"
JSON = (
    '{"level": "error", "latency": 250, "user": {"id": 7, "name": "ada"}, '
    '"ok": false, "gone": null}'
)

CASES = [
    ("empty pattern matches everything", "", TEXT, True),
    ("one term", "ERROR", TEXT, True),
    ("terms are case-sensitive", "error", TEXT, False),
    ("all terms must appear", "ERROR Exception", TEXT, True),
    ("a missing term fails", "ERROR Timeout", TEXT, False),
    ("quoted phrase", '"connection reset"', TEXT, True),
    ("quoted phrase in order", '"reset connection"', TEXT, False),
    ("? alternatives: one appears", "?WARN ?ERROR", TEXT, True),
    ("? alternatives: none appears", "?WARN ?DEBUG", TEXT, False),
    ("- exclusion", "ERROR -Exception", TEXT, False),
    ("- exclusion of an absent term", "ERROR -Timeout", TEXT, True),
    ("JSON string equality", '{ $.level = "error" }', JSON, True),
    ("JSON string inequality", '{ $.level != "error" }', JSON, False),
    ("JSON wildcard", '{ $.level = "err*" }', JSON, True),
    ("JSON numeric comparison", "{ $.latency > 100 }", JSON, True),
    ("JSON numeric comparison false", "{ $.latency <= 100 }", JSON, False),
    ("JSON nested path", "{ $.user.id = 7 }", JSON, True),
    ("JSON && needs both", '{ $.level = "error" && $.latency < 100 }', JSON, False),
    ("JSON || needs one", '{ $.level = "info" || $.latency >= 250 }', JSON, True),
    ("JSON IS FALSE", "{ $.ok IS FALSE }", JSON, True),
    ("JSON IS NULL", "{ $.gone IS NULL }", JSON, True),
    ("JSON NOT EXISTS", "{ $.missing NOT EXISTS }", JSON, True),
    ("JSON pattern on a non-JSON message", '{ $.level = "error" }', TEXT, False),
    ("JSON missing field fails a comparison", '{ $.missing = "x" }', JSON, False),
]


@pytest.mark.parametrize(
    ("pattern", "message", "expected"), [pytest.param(p, m, e, id=n) for n, p, m, e in CASES]
)
def test_filter_pattern(pattern: str, message: str, expected: bool) -> None:
    assert compile_pattern(pattern)(message) is expected


@pytest.mark.parametrize("pattern", ['{ $.level = "error" ', "{ level = 1 }", '"unclosed'])
def test_malformed_patterns(pattern: str) -> None:
    with pytest.raises(InvalidFilterPattern):
        compile_pattern(pattern)
