"""SSRF: what the metadata fetcher and the short-link resolver refuse, against a fake platform
on loopback that is reachable only when a test setting allows it."""

import pytest

from promotion import oembed, safe_fetch
from promotion.oembed import VideoUnavailable, fetch_metadata, resolve_short_link
from promotion.safe_fetch import FetchFailed, FetchRefused, public_address

pytestmark = pytest.mark.backend_independent  # no database: CI runs it in the PostgreSQL pass

WATCH = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
OEMBED = {
    "title": "  果园里的 红富士\n采摘  ",
    "author_name": "someone",
    "thumbnail_url": "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg",
    "html": '<iframe src="https://evil.example/"></iframe><script>alert(1)</script>',
}


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.8.9.10", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "0.0.0.0", "255.255.255.255", "224.0.0.251", "240.0.0.1", "198.18.0.1",
        "::1", "::", "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.0.0.1", "64:ff9b::7f00:1",
        "2002:7f00:1::1", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "ff02::1",
        "fec0::1", "::7f00:1", "64:ff9b:1::7f00:1",
        "not-an-address",
    ],
)
def test_private_loopback_link_local_reserved_and_mapped_addresses_are_not_public(address):
    assert public_address(address) is False


@pytest.mark.parametrize("address", ["8.8.8.8", "142.250.72.14", "2001:4860:4860::8888"])
def test_public_addresses_are_public(address):
    assert public_address(address) is True


def test_loopback_is_refused_without_the_test_setting(fake_platform, settings):
    # given the fake platform on 127.0.0.1, and the setting off (as in production)
    settings.OEMBED_ENDPOINTS = {"youtube": "https://www.youtube.com/oembed?url={url}"}
    fake_platform.route("www.youtube.com", "/oembed", body=OEMBED)
    # when / then: refused before any connection is made
    with pytest.raises(FetchRefused, match="non-public address"):
        fetch_metadata("youtube", WATCH)
    assert fake_platform.requests == []


def test_the_fixed_endpoint_gives_title_and_thumbnail_only(fake_platform, settings):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.route("www.youtube.com", "/oembed", body=OEMBED)

    metadata = fetch_metadata("youtube", WATCH)

    assert metadata.title == "果园里的 红富士 采摘"
    assert metadata.thumbnail_url == "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg"
    assert not hasattr(metadata, "html")
    [(host, path)] = fake_platform.requests
    assert host == "www.youtube.com"
    assert path.startswith("/oembed?format=json&url=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3D")


def test_an_address_list_with_one_private_address_is_refused(fake_platform, settings):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.dns["www.youtube.com"] = ["127.0.0.1", "10.1.2.3"]
    fake_platform.route("www.youtube.com", "/oembed", body=OEMBED)
    with pytest.raises(FetchRefused):
        fetch_metadata("youtube", WATCH)
    assert fake_platform.requests == []


def test_ipv4_mapped_loopback_is_refused_even_with_loopback_allowed_for_v4(fake_platform,
                                                                             settings):
    # the test setting lets 127.0.0.1 through; the same address in IPv6 clothing stays refused
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.route("www.youtube.com", "/oembed", body=OEMBED)
    fake_platform.dns["www.youtube.com"] = "::ffff:127.0.0.1"
    with pytest.raises(FetchRefused, match="non-public"):
        fetch_metadata("youtube", WATCH)
    assert fake_platform.requests == []


def test_the_name_is_resolved_once_and_the_checked_address_is_used(fake_platform, settings,
                                                                     monkeypatch):
    # DNS rebinding: a second lookup would answer a private address; there is none.
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.route("www.youtube.com", "/oembed", body=OEMBED)
    answers = iter([[("127.0.0.1", fake_platform.port)], [("10.0.0.7", fake_platform.port)]])
    calls = []

    def rebinding(host, port):
        calls.append(host)
        return next(answers)

    monkeypatch.setattr(safe_fetch, "resolve", rebinding)
    assert fetch_metadata("youtube", WATCH).title
    assert calls == ["www.youtube.com"]


def test_a_redirect_from_the_oembed_endpoint_is_not_followed(fake_platform, settings):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.dns["metadata.internal"] = "169.254.169.254"
    fake_platform.redirect("www.youtube.com", "/oembed", "https://metadata.internal/latest")
    with pytest.raises(FetchRefused, match="redirect"):
        fetch_metadata("youtube", WATCH)
    assert len(fake_platform.requests) == 1


def test_an_answer_over_the_size_cap_is_refused(fake_platform, settings):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    settings.OEMBED_MAX_BYTES = 1024
    big = {**OEMBED, "padding": "x" * 5000}
    fake_platform.route("www.youtube.com", "/oembed", body=big)
    with pytest.raises(FetchRefused, match="cap"):
        fetch_metadata("youtube", WATCH)
    # and without a Content-Length the body is still cut at the cap
    fake_platform.route("www.youtube.com", "/oembed", body=big, send_length=False)
    with pytest.raises(FetchRefused, match="cap"):
        fetch_metadata("youtube", WATCH)


def test_a_server_that_does_not_answer_times_out(fake_platform, settings):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    settings.OEMBED_TIMEOUT = 0.3
    fake_platform.hang("www.youtube.com", "/oembed")
    with pytest.raises(FetchFailed, match="timed out"):
        fetch_metadata("youtube", WATCH)


def test_a_server_that_answers_a_byte_at_a_time_is_cut_off_at_the_timeout(fake_platform,
                                                                          settings):
    # each read is well inside the socket timeout, the whole answer is not: the timeout is
    # for the exchange, so the worker is not held for as long as the server likes
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    settings.OEMBED_TIMEOUT = 0.3
    fake_platform.drip("www.youtube.com", "/oembed", interval=0.05, lines=90)  # 4.5 s in all
    with pytest.raises(FetchFailed, match="timed out"):
        fetch_metadata("youtube", WATCH)
    assert fake_platform.dripped < 90


def test_a_certificate_for_another_name_is_refused(fake_platform, settings):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    settings.OEMBED_ENDPOINTS = {"youtube": "https://youtube.com/oembed?url={url}"}
    fake_platform.dns["youtube.com"] = "127.0.0.1"  # the certificate does not name it
    with pytest.raises(FetchFailed):
        fetch_metadata("youtube", WATCH)


@pytest.mark.parametrize(
    "url",
    [
        "http://www.youtube.com/oembed",
        "https://www.youtube.com:8443/oembed",
        "https://user@www.youtube.com/oembed",
        "https://evil.example/oembed",
        "ftp://www.youtube.com/oembed",
    ],
)
def test_fetch_refuses_other_schemes_ports_userinfo_and_hosts(url, fake_platform, settings):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    with pytest.raises(FetchRefused):
        safe_fetch.fetch(url, host_allowed=lambda h: h == "www.youtube.com", timeout=1,
                         max_bytes=1024)
    assert fake_platform.requests == []


def test_not_found_and_non_json_answers_mean_no_such_public_video(fake_platform, settings):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.route("www.youtube.com", "/oembed", status=404, body="Not Found")
    with pytest.raises(VideoUnavailable):
        fetch_metadata("youtube", WATCH)
    fake_platform.route("www.youtube.com", "/oembed", body="<html>hello</html>")
    with pytest.raises(VideoUnavailable):
        fetch_metadata("youtube", WATCH)
    # JSON nested deeper than the parser goes (a RecursionError, not a ValueError)
    fake_platform.route("www.youtube.com", "/oembed", body="[" * 50000)
    with pytest.raises(VideoUnavailable):
        fetch_metadata("youtube", WATCH)


@pytest.mark.parametrize(
    ("thumbnail", "kept"),
    [
        ("https://i.ytimg.com/vi/x/hqdefault.jpg", True),
        ("https://yt3.ggpht.com/a.jpg", True),
        ("http://i.ytimg.com/vi/x/hqdefault.jpg", False),
        ("https://169.254.169.254/latest/meta-data", False),
        ("https://i.ytimg.com.evil.example/x.jpg", False),
        ("https://user@i.ytimg.com/x.jpg", False),
        ("javascript:alert(1)", False),
        (None, False),
        (12, False),
    ],
)
def test_a_thumbnail_is_kept_only_on_the_platforms_image_hosts(thumbnail, kept):
    assert (oembed.safe_thumbnail("youtube", thumbnail) == thumbnail) is kept


# --- Short links, hop by hop -------------------------------------------------------------------

def test_a_short_link_is_followed_hop_by_hop_to_the_video(fake_platform, settings):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.redirect("b23.tv", "/aB3dE9x", "https://b23.tv/next1")
    fake_platform.redirect(
        "b23.tv", "/next1",
        "https://www.bilibili.com/video/BV1GJ411x7h7?p=2&share_source=copy&spm_id_from=1",
    )
    parsed = resolve_short_link("bilibili", "https://b23.tv/aB3dE9x")
    assert parsed.external_id == "BV1GJ411x7h7?p=2"
    assert parsed.canonical_url == "https://www.bilibili.com/video/BV1GJ411x7h7?p=2"
    assert [h for h, _ in fake_platform.requests] == ["b23.tv", "b23.tv"]


@pytest.mark.parametrize(
    "location",
    [
        "https://evil.example/video/BV1GJ411x7h7",
        "https://www.bilibili.com.evil.example/x",
        "http://www.bilibili.com/read/cv1",  # not https
        "https://127.0.0.1/x",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",  # another platform
        "https://www.bilibili.com/a b",  # not a URL a request can carry: refused, not retried
    ],
)
def test_a_short_link_hop_off_the_platform_is_refused(location, fake_platform, settings):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.redirect("b23.tv", "/aB3dE9x", location)
    with pytest.raises(FetchRefused):
        resolve_short_link("bilibili", "https://b23.tv/aB3dE9x")
    assert len(fake_platform.requests) == 1


@pytest.mark.parametrize("location", ["https://[evil.example/x", "//[::1"])
def test_a_short_link_to_a_malformed_url_leads_nowhere(location, fake_platform, settings):
    # an error the task knows (the video fails), not a ValueError that leaves it pending
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.redirect("b23.tv", "/aB3dE9x", location)
    with pytest.raises(VideoUnavailable):
        resolve_short_link("bilibili", "https://b23.tv/aB3dE9x")
    assert len(fake_platform.requests) == 1


def test_a_short_link_hop_to_a_private_address_is_refused(fake_platform, settings):
    # the next hop is on the platform's domain, but its name resolves to a private address
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.dns["internal.bilibili.com"] = "10.0.0.8"
    fake_platform.redirect("b23.tv", "/aB3dE9x", "https://internal.bilibili.com/x")
    with pytest.raises(FetchRefused, match="non-public"):
        resolve_short_link("bilibili", "https://b23.tv/aB3dE9x")


def test_a_redirect_loop_stops_after_the_hop_limit(fake_platform, settings):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    settings.SHORT_LINK_MAX_HOPS = 3
    fake_platform.redirect("b23.tv", "/loop", "/loop")
    with pytest.raises(VideoUnavailable, match="3 hops"):
        resolve_short_link("bilibili", "https://b23.tv/loop")
    assert len(fake_platform.requests) == 3
