"""The admin's sign-in page behind the lock-out of accounts.lockout: a locked (account,
address) pair or address, or a slowed account, gets 429 with Retry-After and the page saying
when to try again, without its password being checked (so a guess made during the lock tells
nothing, even a right one)."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape

from accounts.lockout import admit, record_failure, record_success, username_account
from marketplace.visitors import client_address


def admin_login(request: HttpRequest, extra_context=None) -> HttpResponse:
    if request.method != "POST":
        return admin.site.login(request, extra_context)
    address = client_address(request)
    account = username_account(request.POST.get("username", "")[:150])
    wait = admit(address=address, account=account)
    if wait:
        response = HttpResponse(
            "<!doctype html><html lang=\"zh-hans\"><meta charset=\"utf-8\">"
            "<title>登录尝试过多</title><h1>登录尝试过多 (too many sign-in attempts)</h1>"
            f"<p>请在 {escape(wait)} 秒后再试。Try again in {escape(wait)} seconds.</p></html>",
            status=429, content_type="text/html; charset=utf-8")
        response["Retry-After"] = str(wait)
        return response
    response = admin.site.login(request, extra_context)
    if response.status_code == 302:  # signed in
        record_success(address=address, account=account)
    else:  # the form again: a wrong password, an inactive or non-staff account
        record_failure(address=address, account=account)
    return response
