"""The unified social credit code (GB 32100-2015): its check character is verified when staff
register a charity."""

import pytest
from django.core.exceptions import ValidationError

from benefit.codes import check_character, code_problem
from benefit.models import Charity
from tests.factories import registration_code

# Codes as printed on real registration certificates (a company in Shenzhen, one in Hangzhou,
# one in Beijing, and the Red Cross Society of China, a social organisation: 53...).
REAL = ["9144030071526726XG", "91330100716105852F", "91110000802100433B", "53100000500021676K"]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_verify(code):
    assert code_problem(code) is None
    assert check_character(code[:17]) == code[17]


@pytest.mark.parametrize("code, why", [
    ("9144030071526726XH", "check character"),  # last character mistyped
    ("9144030071526762XG", "check character"),  # two characters swapped
    ("53100000500021676", "18 characters"),  # one short
    ("53100000500021676KK", "18 characters"),
    ("9144030071526726XO", "not used"),  # O is never used (nor I, S, V, Z)
    ("91AB030071526726XG", "six digits"),  # the region must be digits
    ("", "18 characters"),
])
def test_mistyped_codes_are_refused_with_the_reason(code, why):
    assert why in code_problem(code)


def test_the_factory_makes_valid_codes():
    assert all(code_problem(registration_code(seed=n)) is None for n in range(50))


@pytest.mark.django_db
def test_a_charity_with_a_bad_code_does_not_validate_and_a_good_one_is_stored_upper_case():
    with pytest.raises(ValidationError) as error:
        Charity(name="假基金会", registration_code="53100000500021676A").full_clean()
    assert "registration_code" in error.value.message_dict

    charity = Charity(name="中国红十字会总会", registration_code="53100000500021676k")
    charity.full_clean()
    charity.save()
    assert Charity.objects.get(pk=charity.pk).registration_code == "53100000500021676K"


@pytest.mark.django_db
def test_staff_cannot_register_a_charity_with_a_mistyped_code_in_the_admin(client):
    from tests.factories import make_user

    staff = make_user(username="office")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client.force_login(staff)

    response = client.post("/admin/benefit/charity/add/", {
        "name": "假基金会", "registration_code": "53100000500021676A"})

    assert response.status_code == 200  # the form again, with the error
    assert "check character" in response.content.decode()
    assert not Charity.objects.exists()
