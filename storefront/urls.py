from django.urls import path

from storefront import views

app_name = "storefront"

urlpatterns = [
    path("trace/<str:trace_code>", views.trace_page, name="trace"),
    path("trace/<str:trace_code>/qr.png", views.trace_qr, name="trace-qr"),
    path("l/<int:listing_id>", views.listing_page, name="listing"),
    path("favicon.ico", views.favicon, name="favicon"),
]
