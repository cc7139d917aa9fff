import django_filters

from claims.models import Claim


class ClaimFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Claim.Status.choices)

    class Meta:
        model = Claim
        fields = ["status"]
