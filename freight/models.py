from django.db import models
from django.db.models import Q


class FreightTemplate(models.Model):
    """A farm's shipping prices: by weight or by piece, a rule per set of regions and a
    default, free shipping over an amount or a count, and regions it does not send to.

    The rules are one document (`document`), read with the listing in the same row: the
    order's listing lock joins this table, so pricing an order costs no statement of its own.
    Fees are whole fen and regions are `[id, code]` pairs (the id for the API, the GB/T 2260
    code for the lookup), written only by `freight.services.template_put`, which checks them:

        {"rules": [{"regions": [[id, code], ...], "first": [units, fen],
                    "next": [units, fen]}, ...],
         "default": {"first": [units, fen], "next": [units, fen]} | null,
         "free_over": [{"regions": [[id, code], ...], "min_fen": int | null,
                        "min_units": int | null}, ...],
         "no_ship": [[id, code], ...]}
    """

    class Basis(models.TextChoices):
        WEIGHT = "weight", "按重量"
        PIECE = "piece", "按件数"

    producer = models.ForeignKey("producers.Producer", on_delete=models.CASCADE,
                                 related_name="+")
    name = models.CharField(max_length=64)
    basis = models.CharField(max_length=8, choices=Basis.choices)
    document = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["producer", "name"]
        constraints = [
            models.UniqueConstraint(fields=["producer", "name"],
                                    name="freight_template_name_per_producer"),
            models.CheckConstraint(condition=Q(basis__in=["weight", "piece"]),
                                   name="freight_template_basis"),
        ]

    def __str__(self) -> str:
        return self.name
