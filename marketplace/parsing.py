"""How the API reads request bodies: only in the media type the operation declares."""

from django.http import HttpRequest
from ninja.parser import Parser

from marketplace.errors import UnsupportedMediaType

FORM_TYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json"))


class MediaTypeParser(Parser):
    """JSON for a JSON body, a form for files and form fields; anything else is 415 (API.md),
    not read as if it were JSON. A request without a Content-Type is read as the operation
    expects."""

    def parse_body(self, request: HttpRequest):
        media_type = request.content_type or ""
        if media_type and not _is_json(media_type):
            # ninja turns any error here into a 400 raised `from` it; errors.on_http_error
            # answers with this cause instead.
            raise UnsupportedMediaType(f"This operation reads application/json, not {media_type}.")
        return super().parse_body(request)

    def parse_querydict(self, data, list_fields, request: HttpRequest):
        media_type = request.content_type or ""
        if (media_type and media_type not in FORM_TYPES and request.method not in {"GET", "HEAD"}
                and (data is request.FILES or data is request.POST)):
            raise UnsupportedMediaType(
                f"This operation reads multipart/form-data, not {media_type}.")
        return super().parse_querydict(data, list_fields, request)
