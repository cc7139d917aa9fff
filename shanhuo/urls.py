from pathlib import Path

import ninja
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.urls import include, path, re_path
from django.views.static import serve

from accounts.admin_login import admin_login
from marketplace.errors import error_response
from shanhuo.api import api
from storefront import views as storefront_views

# The docs page's Swagger UI comes from ninja's own static files, served here in production too
# (a few files under `static/ninja/`): no CDN, which phones in China often cannot reach.
NINJA_STATIC = Path(ninja.__file__).parent / "static" / "ninja"

admin.site.site_header = "山货 Shanhuo 管理后台"
admin.site.site_title = "山货 Shanhuo"
admin.site.index_title = "后台管理"

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/login/", admin_login),  # the admin's own, behind the brute-force lock-out
    re_path(rf"^{settings.STATIC_URL.strip('/')}/ninja/(?P<path>[\w.-]+)$", serve,
            {"document_root": NINJA_STATIC}),
    path("admin/", admin.site.urls),
    path("", include("storefront.urls")),
    path("", include("promotion.urls")),
    path("", include("benefit.urls")),
    path("", include("certificates.urls")),
]

if settings.BENCH_CEILINGS:  # `make bench` only: the hand-written ceilings it measures against
    urlpatterns.insert(0, path("_ceiling/", include("bench.ceilings")))

if settings.DEBUG or getattr(settings, "SERVE_MEDIA", False):
    media_prefix = settings.MEDIA_URL.strip("/")
    urlpatterns += [
        re_path(rf"^{media_prefix}/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    ]


def not_found(request: HttpRequest, exception=None):
    if request.path.startswith("/api/"):
        return error_response(404, "not_found", "No such endpoint.")
    return storefront_views.page_not_found(request, exception)


def server_error(request: HttpRequest):
    if request.path.startswith("/api/"):
        return error_response(500, "internal_error", "Something went wrong on our side.")
    return storefront_views.server_error(request)


handler404 = not_found
handler500 = server_error
