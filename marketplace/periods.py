"""A period of days asked for by a client (reports, a cooperative's member sales): one rule for
every endpoint that takes `period_start` and `period_end`. This module imports nothing of the
project but the error envelope."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from marketplace.errors import ValidationFailed

MAX_PERIOD_DAYS = 366
# Dates a period may cover (a bound, so that day arithmetic never leaves the calendar).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


def period_check(start: date, end: date) -> None:
    """422 naming the field for a period outside 2000-2999, ending before it starts, or longer
    than MAX_PERIOD_DAYS."""
    if start < FIRST_DAY or start > LAST_DAY:
        raise ValidationFailed({"period_start": "The period must lie between 2000 and 2999."})
    if end < FIRST_DAY or end > LAST_DAY:
        raise ValidationFailed({"period_end": "The period must lie between 2000 and 2999."})
    if end < start:
        raise ValidationFailed({"period_end": "The period ends before it starts."})
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationFailed(
            {"period_end": f"A period covers at most {MAX_PERIOD_DAYS} days."}
        )


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period's days in Asia/Shanghai (TIME_ZONE) as [from, to) instants."""
    zone = timezone.get_default_timezone()
    return (datetime.combine(start, time.min, tzinfo=zone),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone))
