"""The ledger in the back office, read-only: entries are written by postings only (and the
database refuses changes anyway)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ledger.amounts import yuan
from ledger.models import Account, Entry, LedgerTransaction
from marketplace.admin import ReadOnlyAdmin


def yuan_column(field: str, description: str):
    @admin.display(description=description, ordering=field)
    def show(self, obj) -> str:
        return f"¥{yuan(getattr(obj, field))}"

    return show


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "kind", "holder_id", "bucket", "balance"]
    list_filter = ["kind", "bucket"]
    search_fields = ["name"]
    balance = yuan_column("balance_fen", "余额")


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ["seq", "account", "kind", "amount", "shipment_id", "memo", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    amount = yuan_column("amount_fen", "金额")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("account").order_by("seq")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "key", "kind", "order_id", "memo", "created_at"]
    list_filter = ["kind"]
    search_fields = ["key", "memo"]
    inlines = [EntryInline]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["seq", "transaction", "account", "kind", "amount", "order_id", "memo",
                    "created_at"]
    list_filter = ["kind", "account__kind"]
    search_fields = ["transaction__key", "memo"]
    list_select_related = ["account", "transaction"]
    amount = yuan_column("amount_fen", "金额")
