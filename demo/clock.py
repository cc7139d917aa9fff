"""The demo's past. Farms listed weeks ago, a promoter's links before the orders that came
through them, an order received long enough ago for its commission to settle: each is made by
running the services with the clock set back (time-machine, from the development extras that
`make install` installs), so every timestamp is one the product itself would have written."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

import time_machine
from django.utils import timezone

FARMS_LISTED = 40  # days ago: the demo farms and their listings
PROMOTER_JOINED = 35  # days ago: the promoter, their videos and links


def moment(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@contextmanager
def on(day: date, hour: int = 10) -> Iterator[date]:
    """Run the block on that day, the clock ticking from `hour` o'clock; yields the day."""
    with time_machine.travel(moment(day, hour), tick=True):
        yield day


def days_ago(days: int, hour: int = 10):
    return on(timezone.localdate() - timedelta(days=days), hour)
