"""The world of the benefit tests: the books tests' `Market` (two farms, a promoter linked to
the first farm's listing, a buyer, driven through the real services), a charity with one of its
people, its village school project, and helpers that pledge through the API."""

from decimal import Decimal

import pytest

from benefit.models import PublicEntry
from ledger.models import Account
from tests.books.conftest import Market
from tests.factories import client_for, make_charity, make_project, make_user


@pytest.fixture(autouse=True)
def benefit_settings(settings):
    settings.PAYMENT_SANDBOX_WEBHOOK_SECRET = "test-webhook-secret"
    settings.PAYMENT_PROVIDERS = ["sandbox"]
    settings.SHIPPING_FEE_FLAT = Decimal("10.00")
    settings.SHIPPING_FREE_THRESHOLD = Decimal("99.00")
    settings.RETURN_WINDOW_DAYS = 7
    settings.PLATFORM_FEE_RATE = Decimal("0.05")
    settings.BENEFIT_ORDER_REF_KEY = "test-order-ref-key"
    return settings


class World(Market):
    def __init__(self):
        super().__init__()
        self.worker = make_user(username="school_worker")
        self.charity = make_charity(members=[self.worker])
        self.project = make_project(charity=self.charity)

    def pledge(self, farm_index: int = 0, *, kind: str = "fixed", value: str = "1.00",
               project=None):
        listing = self.listings[farm_index]
        response = client_for(listing.producer.user).put(
            f"/listings/{listing.pk}/benefit",
            {"project_id": (project or self.project).pk, "kind": kind, "value": value})
        assert response.status_code == 200, response.content
        return response.json()

    def promoter_pledge(self, percent: str = "50"):
        response = client_for(self.promoter.user).put(
            "/promoters/me/benefit", {"project_id": self.project.pk, "percent": percent})
        assert response.status_code == 200, response.content
        return response.json()

    def project_fen(self, bucket: str, project=None) -> int:
        account = Account.objects.filter(kind="benefit_project",
                                         holder_id=(project or self.project).pk,
                                         bucket=bucket).first()
        return account.balance_fen if account else 0

    def entries(self, project=None) -> list[tuple[str, int]]:
        return list(PublicEntry.objects.filter(project=project or self.project)
                    .order_by("seq").values_list("kind", "amount_fen"))


@pytest.fixture
def world(db) -> World:
    return World()
