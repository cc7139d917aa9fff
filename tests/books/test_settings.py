"""PLATFORM_FEE_RATE is checked when the server starts, not at the first sale."""

import os
import subprocess
import sys

import pytest
from django.conf import settings


def load_settings(rate: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBUG": "1", "PLATFORM_FEE_RATE": rate}
    return subprocess.run(
        [sys.executable, "-c", "import shanhuo.settings as s; print(s.PLATFORM_FEE_RATE)"],
        env=env, cwd=settings.BASE_DIR, capture_output=True, text=True,
    )


@pytest.mark.parametrize("rate", ["abc", "-0.01", "0.51", "0.00001", "NaN", "1"])
def test_a_bad_platform_fee_rate_stops_the_server(rate):
    result = load_settings(rate)
    assert result.returncode != 0
    assert ("PLATFORM_FEE_RATE must be a decimal from 0 to 0.50 with at most 4 places"
            in result.stderr)


@pytest.mark.parametrize(("rate", "read"), [("0.05", "0.05"), ("0.006", "0.006"), ("0", "0")])
def test_a_good_platform_fee_rate_is_read_as_a_decimal(rate, read):
    result = load_settings(rate)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == read
