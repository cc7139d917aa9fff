"""Quiet hours, in Asia/Shanghai: the end of the quiet period `now` falls in, or None."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
DEFAULT_START = time(22, 0)
DEFAULT_END = time(7, 0)


def quiet_until(now: datetime, start: time | None, end: time | None) -> datetime | None:
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(CHINA)
    at = local.time()
    if start < end:  # within one day, e.g. 12:00-14:00
        inside = start <= at < end
        ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    else:  # across midnight, e.g. 22:00-07:00
        inside = at >= start or at < end
        ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        if at >= start:
            ends += timedelta(days=1)
    return ends if inside else None
