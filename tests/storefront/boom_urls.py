"""The site's URLs and error handlers, plus two views that fail: installed only by the tests
of the 500 page (`pytest.mark.urls`), never by the site."""

from django.urls import path

from shanhuo.urls import handler404, handler500  # noqa: F401
from shanhuo.urls import urlpatterns as site


def boom(request):
    raise RuntimeError("a bug on a page for people")


urlpatterns = [path("l/boom", boom), path("api/v1/boom", boom), *site]
