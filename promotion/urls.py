from django.urls import re_path

from promotion.views import promo_redirect

urlpatterns = [
    re_path(r"^p/(?P<code>[A-Za-z0-9]{4,16})/?$", promo_redirect, name="promo-redirect"),
]
