"""Schedule expressions of scheduled rules: `rate(5 minutes)` and AWS's six-field `cron(…)`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
# AWS numbers days of the week 1-7 from Sunday.
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
SEARCH_YEARS = 5


class InvalidSchedule(ValueError):
    """A schedule expression EventBridge would refuse."""


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, _, step_text = part.partition("/")
            if not step_text.isdigit() or int(step_text) == 0:
                raise InvalidSchedule(part)
            step = int(step_text)
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            first, _, last = part.partition("-")
            start, end = _number(first, names), _number(last, names)
        else:
            start = _number(part, names)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise InvalidSchedule(part)
        values.update(range(start, end + 1, step))
    return values


def _number(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise InvalidSchedule(text)
    return int(text)


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: a fixed period, or cron fields."""

    period: timedelta | None = None
    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    days: frozenset[int] | None = None  # None: `?`
    months: frozenset[int] = frozenset()
    weekdays: frozenset[int] | None = None  # None: `?`
    years: frozenset[int] = frozenset()

    def next_after(self, moment: datetime, *, since: datetime | None = None) -> datetime:
        """The first firing strictly after `moment` (a rate counts from `since`)."""
        moment = moment.astimezone(UTC)
        if self.period is not None:
            start = (since or moment).astimezone(UTC)
            elapsed = max(moment - start, timedelta(0))
            periods = int(elapsed / self.period) + 1
            return start + self.period * periods
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        for _ in range(366 * SEARCH_YEARS):
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate > moment:
                            return candidate
            day += timedelta(days=1)
        raise InvalidSchedule("the cron expression never fires")

    def _day_matches(self, day: datetime) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.days is not None and day.day not in self.days:
            return False
        weekday = (day.isoweekday() % 7) + 1  # Sunday 1 … Saturday 7
        return self.weekdays is None or weekday in self.weekdays


def parse_schedule(expression: str) -> Schedule:
    """A `rate(…)` or `cron(…)` expression; InvalidSchedule otherwise."""
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise InvalidSchedule(expression)
        return Schedule(period=timedelta(seconds=value * _UNITS[unit.rstrip("s")]))
    cron = _CRON.match(text)
    if not cron:
        raise InvalidSchedule(expression)
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise InvalidSchedule(expression)
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise InvalidSchedule(expression)  # exactly one of day-of-month and day-of-week is "?"
    try:
        return Schedule(
            minutes=frozenset(_field(minute, 0, 59)),
            hours=frozenset(_field(hour, 0, 23)),
            days=None if dom == "?" else frozenset(_field(dom, 1, 31)),
            months=frozenset(_field(month, 1, 12, _MONTHS)),
            weekdays=None if dow == "?" else frozenset(_field(dow, 1, 7, _DAYS)),
            years=frozenset(_field(year, 1970, 2199)),
        )
    except InvalidSchedule as error:
        raise InvalidSchedule(expression) from error
