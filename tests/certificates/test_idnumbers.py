"""The check characters of the numbers a seller proves who they are with: the resident
identity number (ISO 7064 MOD 11-2) and the unified social credit code (GB 32100)."""

import pytest

from certificates.idnumbers import id_check_character, id_number_problem, masked
from certificates.services import _number_checked
from marketplace.errors import ValidationFailed
from tests.factories import company_credit_code, resident_id

pytestmark = pytest.mark.backend_independent

# Specimens published as examples of valid numbers (GB 11643's own, X for a remainder of 2,
# and two widely printed ones).
REAL_IDS = ["11010519491231002X", "440524198001010013", "110101199003074477"]


@pytest.mark.parametrize("number", REAL_IDS)
def test_real_resident_ids_pass(number):
    assert id_number_problem(number) is None


@pytest.mark.parametrize("number", REAL_IDS)
def test_a_mistyped_digit_or_check_character_is_caught(number):
    wrong_check = number[:17] + ("0" if number[17] != "0" else "1")
    swapped = number[:10] + number[11] + number[10] + number[12:]  # two digits of the date
    assert "check character" in id_number_problem(wrong_check)
    if swapped != number:
        assert id_number_problem(swapped) is not None


@pytest.mark.parametrize("number, why", [
    ("1101051949123100", "18 characters"),
    ("11010519491331002X", "birth date"),
    ("1101051949123100AX", "digits"),
    ("11010519491231002Y", "digit or X"),
])
def test_malformed_resident_ids_say_why(number, why):
    assert why in id_number_problem(number)


def test_every_generated_number_passes_and_the_check_character_is_iso_7064():
    assert all(id_number_problem(resident_id(seed=n)) is None for n in range(200))
    assert id_check_character("11010519491231002") == "X"


def test_credit_codes_real_and_mistyped():
    code = company_credit_code(seed=7)
    assert _number_checked(kind="company", id_number=None, credit_code=code)[1] == code
    mistyped = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(ValidationFailed) as caught:
        _number_checked(kind="company", id_number=None, credit_code=mistyped)
    assert caught.value.details[0]["field"] == "credit_code"
    assert mistyped not in str(caught.value.details)


def test_a_problem_never_repeats_the_number_and_staff_see_it_masked():
    number = REAL_IDS[0][:17] + "0"
    assert number not in id_number_problem(number)
    assert masked(REAL_IDS[0]) == "110*************2X"
