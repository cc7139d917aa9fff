"""The HTTP client every test speaks to the API with."""

import re

from django.test import Client

# pages for people at the site root that share a first segment with API paths
_SITE_PAGES = re.compile(r"^/benefit/\d+$|^/batches/\d+/certificates/\d+\.png$|^/favicon\.ico$")


class ApiClient(Client):
    """Django's test client speaking JSON to /api/v1 with an optional bearer token."""

    def __init__(self, token: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.token = token

    def _headers(self, headers):
        headers = dict(headers or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return headers

    def _url(self, path: str) -> str:
        """API paths may be given without the /api/v1 prefix; site pages are left alone."""
        if path.startswith(("/api/", "/trace/", "/p/", "/l/", "/admin/", "/media/", "/static/")):
            return path
        if _SITE_PAGES.match(path):
            return path
        return f"/api/v1{path}"

    def get(self, path, data=None, headers=None, **extra):
        return super().get(self._url(path), data, headers=self._headers(headers), **extra)

    def post(self, path, data=None, headers=None, content_type="application/json", **extra):
        return super().post(self._url(path), data, content_type=content_type,
                            headers=self._headers(headers), **extra)

    def patch(self, path, data=None, headers=None, content_type="application/json", **extra):
        return super().patch(self._url(path), data, content_type=content_type,
                             headers=self._headers(headers), **extra)

    def put(self, path, data=None, headers=None, content_type="application/json", **extra):
        return super().put(self._url(path), data, content_type=content_type,
                           headers=self._headers(headers), **extra)

    def delete(self, path, data=None, headers=None, **extra):
        return super().delete(self._url(path), data, headers=self._headers(headers), **extra)

    def upload(self, path, files: dict, headers=None, **extra):
        """multipart/form-data POST (photos)."""
        return super().post(self._url(path), files, headers=self._headers(headers), **extra)
