"""The audit trail: every authenticated call recorded, read back with CloudTrail LookupEvents."""

from .operations import api
from .recorder import record, redact

__all__ = ["api", "record", "redact"]
