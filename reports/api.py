from django.http import FileResponse, HttpRequest
from ninja import Query, Router, Status

from accounts.auth import bearer
from marketplace.pagination import PageParams, page_schema
from marketplace.schemas import PathId
from reports import selectors, services
from reports.schemas import DownloadQuery, ReportIn, ReportOut

router = Router(tags=["reports"])

_FILE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.post("/reports", response={202: ReportOut}, auth=bearer)
def report_request(request: HttpRequest, payload: ReportIn):
    """Ask for a report of your own data over a period (at most 366 days). It is built in the
    background: poll `GET /reports/{id}` for `progress` and, once `done`, its `download_url`."""
    report = services.report_request(user=request.auth, **payload.dict())
    return Status(202, selectors.report_get(user=request.auth, report_id=report.pk))


@router.get("/reports", response=page_schema(ReportOut), auth=bearer)
def report_list(request: HttpRequest, params: Query[PageParams]):
    """Your reports, newest first."""
    page = selectors.report_list(user=request.auth, params=params)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/reports/{report_id}", response=ReportOut, auth=bearer)
def report_detail(request: HttpRequest, report_id: PathId):
    """Your report; anyone else's is 404."""
    return selectors.report_get(user=request.auth, report_id=report_id)


@router.get(
    "/reports/{report_id}/download", auth=bearer, url_name="report_download",
    openapi_extra={"responses": {200: {"description": "The file (CSV or XLSX).", "content": {
        ctype.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
        for ctype in _FILE_TYPES.values()}}}},
)
def report_download(request: HttpRequest, report_id: PathId, query: Query[DownloadQuery]):
    """The file of a `done` report, streamed, for its owner with the link's token. Anyone
    else: 404. An expired link or a deleted file: `404 report_expired`."""
    report, handle = selectors.report_file_open(
        user=request.auth, report_id=report_id, token=query.token
    )
    response = FileResponse(handle, as_attachment=True, filename=selectors.download_name(report),
                            content_type=_FILE_TYPES[report.format])
    response["Cache-Control"] = "private, no-store"
    return response
