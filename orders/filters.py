import django_filters

from orders.models import Order, Shipment


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Order.Status.choices)

    class Meta:
        model = Order
        fields = ["status"]


class ShipmentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Shipment.Status.choices)

    class Meta:
        model = Shipment
        fields = ["status"]
