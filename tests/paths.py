"""Where tests find data that lives outside the repository."""

from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CONFORMANCE = SHARED / "conformance"
