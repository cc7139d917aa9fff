"""A seller's verification through the API and the admin: the check characters, the files by
their content, staff's decision, the six-monthly re-check by the periodic task, and the id
number nowhere but encrypted in its row."""

import logging
from datetime import date, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.files.storage import default_storage, storages
from django.utils import timezone

from certificates import crypto
from certificates.models import SellerVerification, VerificationFile
from notify.models import Notification
from shanhuo.celery import app
from tests.certificates.conftest import decide, pdf, photo, text_file
from tests.factories import company_credit_code, make_listing, make_producer, resident_id

NUMBER = "11010519491231002X"


def submit(api, **fields):
    body = {"kind": "individual_farmer", "name": "李大山", "id_number": NUMBER, **fields}
    return api.upload("/producers/me/verification", {k: v for k, v in body.items()
                                                      if v is not None})


def test_a_farmer_is_verified_by_staff_and_rechecked_six_months_on(owner_api, producer, staff):
    # given: the farm asks with its resident id
    response = submit(owner_api)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    assert response.json()["recheck_due"] is None
    row = SellerVerification.objects.get(producer=producer)
    # when: staff verify it in the admin
    assert decide(staff, "sellerverification", row.pk, "verify").status_code == 302
    # then: verified, due again in six months, and the farm was told
    mine = owner_api.get("/producers/me/verification").json()
    assert mine["status"] == "verified"
    today = timezone.localdate()
    due = date.fromisoformat(mine["recheck_due"])
    assert due.month == (today.month + 5) % 12 + 1 and 181 <= (due - today).days <= 184
    assert mine["text"] == "已核验 · 个人销售自产农副产品，依法无需登记"
    public = owner_api.get(f"/producers/{producer.pk}").json()["verification"]
    assert public["status"] == "verified" and public["kind"] == "individual_farmer"
    assert Notification.objects.filter(user=producer.user, event="verification_result").exists()


def test_a_business_gives_its_credit_code_and_licence(owner_api, producer):
    response = submit(owner_api, kind="company", name="太康县李家果业有限公司", id_number=None,
                      credit_code=company_credit_code(seed=3), files=[pdf(), photo()])
    assert response.status_code == 201, response.content
    files = VerificationFile.objects.filter(verification__producer=producer)
    assert sorted(f.content_type for f in files) == ["application/pdf", "image/png"]
    # in the private storage (like reports), never the public media
    assert all(storages["reports"].exists(f.file.name) for f in files)
    assert all(f.file.name.startswith("certificates/sellers/") for f in files)
    assert not any(default_storage.exists(f.file.name) for f in files)


@pytest.mark.parametrize("fields, field", [
    ({"id_number": NUMBER[:17] + "3"}, "id_number"),  # the check character mistyped
    ({"id_number": "110105194912310021"}, "id_number"),
    ({"kind": "company", "id_number": None, "files": None,
      "credit_code": company_credit_code(seed=4)[:17] + "Y"}, "credit_code"),
    ({"kind": "cooperative", "id_number": None}, "credit_code"),
    ({"kind": "company", "id_number": None, "credit_code": company_credit_code(seed=5)},
     "files"),
])
def test_bad_numbers_are_422_naming_the_field(owner_api, fields, field):
    response = submit(owner_api, **fields)
    assert response.status_code == 422, response.content
    details = response.json()["error"]["details"]
    assert [d["field"] for d in details] == [field]
    assert details[0]["code"] in {"invalid_format", "required"}
    assert NUMBER[:17] not in response.content.decode()
    assert not SellerVerification.objects.exists()


def test_a_file_that_is_not_a_pdf_or_an_image_is_415(owner_api):
    response = submit(owner_api, kind="company", id_number=None,
                      credit_code=company_credit_code(seed=6), files=[text_file()])
    assert response.status_code == 415, response.content
    assert response.json()["error"]["code"] == "unsupported_file"
    assert not SellerVerification.objects.exists()


def test_one_waiting_is_409_and_a_rejection_needs_a_reason(owner_api, producer, staff):
    assert submit(owner_api).status_code == 201
    assert submit(owner_api).status_code == 409
    row = SellerVerification.objects.get(producer=producer)
    decide(staff, "sellerverification", row.pk, "reject")  # no reason: refused
    assert SellerVerification.objects.get(pk=row.pk).status == "pending"
    decide(staff, "sellerverification", row.pk, "reject", "身份证照片看不清")
    mine = owner_api.get("/producers/me/verification").json()
    assert mine["status"] == "rejected" and mine["reason"] == "身份证照片看不清"
    # rejected: the farm submits again
    assert submit(owner_api, id_number=resident_id(seed=9)).status_code == 201


def test_the_periodic_task_marks_a_due_recheck_expired_and_tells_the_farm(
        owner_api, producer, staff, api):
    listing = make_listing(producer=producer)
    submit(owner_api)
    decide(staff, "sellerverification", SellerVerification.objects.get().pk, "verify")
    card = api.get("/listings").json()["items"][0]
    assert card["id"] == listing.pk and card["verified"] is True
    due = SellerVerification.objects.get().recheck_due
    entry = settings.CELERY_BEAT_SCHEDULE["expire-verifications-and-certificates"]
    app.loader.import_default_modules()  # every app's tasks.py, as a worker loads them
    task = app.tasks[entry["task"]]  # as beat (and `make run`'s embedded beat) runs it

    with time_machine.travel(due - timedelta(days=1), tick=False):
        assert task.apply().get()["verifications"] == 0
    with time_machine.travel(due + timedelta(hours=12), tick=False):
        assert task.apply().get()["verifications"] == 1
        assert task.apply().get()["verifications"] == 0  # once

    assert SellerVerification.objects.get().status == "expired"
    told = Notification.objects.filter(user=producer.user, event="verification_expired")
    assert told.count() == 1
    assert api.get("/listings").json()["items"][0]["verified"] is False
    assert owner_api.get(f"/producers/{producer.pk}").json()["verification"]["status"] == \
        "expired"
    assert submit(owner_api).status_code == 201  # and the farm submits again


def test_someone_without_a_farm_is_403_and_a_farm_without_one_404(buyer_api, other_api):
    assert submit(buyer_api).status_code == 403
    assert other_api.get("/producers/me/verification").status_code == 404


def test_the_id_number_is_nowhere_but_encrypted(owner_api, producer, staff, api, caplog,
                                                capsys):
    caplog.set_level(logging.DEBUG)
    listing = make_listing(producer=producer)
    answers = [submit(owner_api)]
    row = SellerVerification.objects.get()
    answers.append(decide(staff, "sellerverification", row.pk, "verify"))
    answers += [
        owner_api.get("/producers/me/verification"),
        api.get(f"/producers/{producer.pk}"), api.get("/producers"),
        api.get("/listings"), api.get(f"/listings/{listing.pk}"), api.get(f"/l/{listing.pk}"),
        staff.get("/admin/certificates/sellerverification/"),
        staff.get(f"/admin/certificates/sellerverification/{row.pk}/change/"),
        submit(owner_api, id_number=NUMBER[:17] + "1"),  # a mistyped one: the 422
        owner_api.post("/reports", {"kind": "sales", "format": "csv",
                                    "period_start": "2026-01-01", "period_end": "2026-12-31"}),
    ]
    notices = Notification.objects.filter(user=producer.user).values_list("title", "body")
    captured = capsys.readouterr()
    everything = "\n".join([*(a.content.decode() for a in answers), caplog.text,
                            captured.out, captured.err, *(" ".join(n) for n in notices)])

    for part in (NUMBER, NUMBER[:17], NUMBER[6:14] + NUMBER[14:17]):
        assert part not in everything
    assert "110*************2X" in everything  # staff's masked view was in there
    # the row holds a token that only the key opens
    stored = SellerVerification.objects.values_list("number_token", flat=True).get()
    assert NUMBER not in stored and crypto.reveal(stored) == NUMBER


def test_a_self_producing_farmer_without_verification_reads_unverified(api, producer):
    other = make_producer()
    listing = make_listing(producer=other)
    page = api.get(f"/l/{listing.pk}").content.decode()
    assert "商家资质：未核验" in page


def test_make_runs_embedded_beat_expires_a_due_verification(owner_api, staff):
    """`make run` has no `celery beat`: the server's own scheduler runs the task."""
    from datetime import UTC, datetime

    from shanhuo.scheduler import Scheduler

    submit(owner_api)
    decide(staff, "sellerverification", SellerVerification.objects.get().pk, "verify")
    due = SellerVerification.objects.get().recheck_due
    with time_machine.travel(datetime(due.year, due.month, due.day, 6, tzinfo=UTC),
                             tick=False):
        scheduler = Scheduler(settings.CELERY_BEAT_SCHEDULE)
    with time_machine.travel(datetime(due.year, due.month, due.day, 8, tzinfo=UTC),
                             tick=False):
        assert "expire-verifications-and-certificates" in scheduler.run_due()
    assert SellerVerification.objects.get().status == "expired"
