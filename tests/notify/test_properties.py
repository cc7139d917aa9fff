"""Invariants of the small rules, over many inputs: quiet hours always end within a day and
never leave a moment inside them; a phone number is normalised to the same eleven digits
however it is written."""

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notify.phones import mainland_mobile
from notify.quiet import CHINA, quiet_until

pytestmark = pytest.mark.backend_independent

moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31),
                       timezones=st.just(UTC))
minutes = st.builds(time, st.integers(0, 23), st.integers(0, 59))


def inside(moment: datetime, start: time, end: time) -> bool:
    at = moment.astimezone(CHINA).time()
    return (start <= at < end) if start < end else (at >= start or at < end)


@given(moments, minutes, minutes)
def test_quiet_hours_end_within_a_day_at_their_end(now, start, end):
    until = quiet_until(now, start, end)
    if start == end or not inside(now, start, end):
        assert until is None
        return
    assert now < until <= now + timedelta(days=1)
    local = until.astimezone(CHINA)
    assert (local.hour, local.minute, local.second) == (end.hour, end.minute, 0)
    assert not inside(until, start, end)


@given(st.sampled_from("3456789"), st.text("0123456789", min_size=9, max_size=9),
       st.sampled_from(["", "+86", "+86 ", "0086", "86"]), st.sampled_from(["", " ", "-"]))
def test_a_mobile_number_is_the_same_eleven_digits_however_written(second, rest, prefix, gap):
    digits = f"1{second}{rest}"
    written = prefix + gap.join([digits[:3], digits[3:7], digits[7:]])
    assert mainland_mobile(written) == digits


@given(st.text(max_size=40))
def test_anything_else_is_no_number_or_eleven_mobile_digits(raw):
    phone = mainland_mobile(raw)
    assert phone is None or (len(phone) == 11 and phone.isdigit() and phone[1] in "3456789")
