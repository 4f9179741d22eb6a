"""JSON documents callers send inside a request: policies, events, definitions."""

from __future__ import annotations

import json
from typing import Any


class TooDeep(ValueError):
    """A JSON document nested deeper than the parser's stack allows."""


def load_json(text: str | bytes) -> Any:
    """`json.loads` for caller input: nesting too deep to parse is malformed JSON too.

    The parser signals it with RecursionError, which a caller's `except ValueError`
    for bad JSON would miss (and the request would fail with a 500).
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise TooDeep("the document nests too deeply") from None
