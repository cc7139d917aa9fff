"""Pages for people (not JSON): the trace page a QR label opens, the label itself, the
listing page a share link lands on, the favicon, and the 404 and 500 pages of them all."""

from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from marketplace.errors import NotFound
from marketplace.schemas import MAX_ID
from marketplace.visitors import client_address
from producers import services
from producers.tracecodes import qr_png
from storefront import selectors, trace


def count_look(request: HttpRequest):
    """The trace page's look counter for this request: a GET by a person counts (once a day);
    a HEAD (a link checker) does not."""
    if request.method != "GET":
        return None
    return lambda batch_id: services.trace_look(
        batch_id=batch_id, address=client_address(request),
        user_agent=request.headers.get("User-Agent", ""))


@require_safe
def trace_page(request: HttpRequest, trace_code: str) -> HttpResponse:
    try:
        view = selectors.trace_view(trace_code=trace_code, look=count_look(request))
    except NotFound as exc:
        raise Http404("No harvest lot has this trace code.") from exc
    context = trace.trace_page_context(view)
    response = render(request, "storefront/trace.html", context)
    # Every look must reach us to be counted: no shared cache; a phone that has the page gets
    # a 304 while nothing but the count changed.
    response["Cache-Control"] = "no-cache"
    response["ETag"] = trace.etag(context, "html")
    return response


@require_safe
def trace_qr(request: HttpRequest, trace_code: str) -> HttpResponse:
    """The QR label (PNG) that opens the trace page. Fetching it is not a scan."""
    try:
        selectors.trace_batch(trace_code=trace_code)
    except NotFound as exc:
        raise Http404("No harvest lot has this trace code.") from exc
    response = HttpResponse(qr_png(trace_code), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Disposition"] = f'inline; filename="trace-{trace_code}.png"'
    return response


@require_safe
def listing_page(request: HttpRequest, listing_id: int) -> HttpResponse:
    """/l/{id}: the listing for a person who tapped a share link (`/p/{code}` lands here), on a
    phone, with no JavaScript: photos, price, the farm and its story, its own videos, and a
    link that opens the app; what one unit costs to send to `?region=<id>` (else the
    signed-in person's last shipping region) and the 不发货地区 by name."""
    region = request.GET.get("region", "")
    region_id = None
    if region:  # not a region id (or out of range): no such region, which the page says
        region_id = int(region) if region.isascii() and region.isdigit() and \
            len(region) <= 19 and int(region) <= MAX_ID else 0
    user = request.user if request.user.is_authenticated else None
    try:
        context = selectors.listing_page(listing_id=listing_id, region_id=region_id, viewer=user)
    except NotFound as exc:
        raise Http404("No such listing.") from exc
    context["certificates"] = trace.certificates_shown(context["certificates"])
    return render(request, "storefront/listing.html", context)


FAVICON = (Path(__file__).parent / "static" / "storefront" / "favicon.ico").read_bytes()


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, from here (no CDN): phones ask for it whatever the page links."""
    response = HttpResponse(FAVICON, content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=604800"
    return response


# What a 404 on each page for people says: the title, what it may mean, where to go next.
NOT_FOUND = {
    "trace": ("没有找到这个溯源码",
              ["山货没有登记过这个溯源码。"],
              ["若是手动输入的，请对照标签逐个核对字母和数字，或直接扫描标签上的二维码。",
               "若是扫码打开的，这个标签可能是复制或伪造的：请先不要食用，联系卖家，"
               "并在山货 App 或下单的平台上反映。"]),
    "l": ("这件商品不存在或已下架",
          ["农户可能已下架这件商品，或者链接在复制时被截断了。"],
          ["回到分享给您的视频或群聊，重新点开链接。",
           "在山货 App 里搜索这家农户，看看其他在售商品。"]),
    "p": ("这个分享链接已失效",
          ["链接可能已被删除，或者在复制时被截断了。"],
          ["回到分享给您的视频或群聊，重新点开链接。", "在山货 App 里搜索商品名称。"]),
    "benefit": ("没有找到这个公益项目",
                ["项目可能已结束或尚未公开，或者链接不完整。"],
                ["从商品页的“公益认捐”重新进入。"]),
    "o": ("没有找到这个订单",
          ["订单号可能有误，或者这个订单不属于当前登录的手机号。"],
          ["用下单时的手机号登录后再打开。", "在山货 App 的“我的订单”里查看。"]),
}
NOT_FOUND_ELSE = ("页面不存在", ["这个地址没有对应的页面。"],
                  ["检查链接是否完整，或回到分享给您的视频或群聊重新点开。"])
SERVER_ERROR = ("服务暂时出错", ["这不是您的问题：山货的服务器出了点故障，我们已经收到记录。"],
                ["稍等一两分钟后刷新页面。",
                 "若已付款，钱款和订单都不会丢失，可稍后在订单里查看。"])


def _error_page(status: int, page: tuple[str, list[str], list[str]],
                code: str = "") -> HttpResponse:
    # No request context: the page renders even when what failed was the session or the
    # database.
    title, lines, steps = page
    html = render_to_string("storefront/error.html", {
        "status": status, "title": title, "lines": lines, "steps": steps, "code": code})
    return HttpResponse(html, status=status, content_type="text/html; charset=utf-8")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The Chinese, phone-sized 404 page of every page for people (handler404 for every path
    outside /api/): what the missing thing may mean, and where to go next."""
    first, _, rest = request.path.lstrip("/").partition("/")
    page = NOT_FOUND.get(first, NOT_FOUND_ELSE) if rest else NOT_FOUND_ELSE
    return _error_page(404, page, code=rest.partition("/")[0] if first == "trace" else "")


def server_error(request: HttpRequest) -> HttpResponse:
    """The Chinese 500 page (handler500 for every path outside /api/)."""
    return _error_page(500, SERVER_ERROR)
