"""The page for people at /benefit/{project_id}: the project, its videos, the running totals,
the latest entries of its public ledger and the charity's registration code (Chinese,
phone-sized, no JavaScript)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from benefit import selectors
from marketplace.errors import NotFound

KIND_NAMES = {"pledge": "认捐", "void": "撤销", "confirm": "确认", "disbursement": "拨付"}


@require_safe
def project_page(request: HttpRequest, project_id: int) -> HttpResponse:
    try:
        project = selectors.project_get(project_id=project_id)
    except NotFound as exc:
        raise Http404("No such project.") from exc
    entries = [{**entry, "kind_name": KIND_NAMES[entry["kind"]]}
               for entry in selectors.latest_entries(project_id=project.pk)]
    response = render(request, "benefit/project.html", {"project": project, "entries": entries})
    response["Cache-Control"] = "no-cache"
    return response
