"""Compressed answers (marketplace.compression): gzip for every response a client accepts it
for, brotli for JSON, and ETags that still give a 304 with or without compression."""

import gzip
import json

import brotli
import pytest

from tests.factories import make_listing, make_producer


@pytest.fixture
def catalog(db):
    producer = make_producer()
    for n in range(20):
        make_listing(producer=producer, title=f"太康县红富士苹果 第{n}批 5斤装")


def test_a_catalog_page_is_gzipped_when_the_client_takes_gzip(api, catalog):
    plain = api.get("/listings")
    zipped = api.get("/listings", HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert json.loads(gzip.decompress(zipped.content)) == plain.json()
    assert len(zipped.content) * 4 < len(plain.content)


def test_json_is_brotli_when_the_client_takes_br(api, catalog):
    plain = api.get("/listings")
    squeezed = api.get("/listings", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert squeezed["Content-Encoding"] == "br"
    assert json.loads(brotli.decompress(squeezed.content)) == plain.json()
    zipped = api.get("/listings", HTTP_ACCEPT_ENCODING="gzip")
    assert len(squeezed.content) < len(zipped.content)


def test_no_compression_without_accept_encoding(api, catalog):
    response = api.get("/listings")
    assert not response.has_header("Content-Encoding")
    assert response.json()["items"]


@pytest.mark.parametrize(("first", "then"), [
    ("", "gzip"), ("gzip", ""), ("gzip", "br"), ("br", ""), ("", ""), ("gzip", "gzip"),
])
def test_an_etag_gives_a_304_with_and_without_compression(api, catalog, first, then):
    # given an ETag from an answer made with one Accept-Encoding
    etag = api.get("/listings", HTTP_ACCEPT_ENCODING=first)["ETag"]
    # when the client asks again with it, with another Accept-Encoding
    again = api.get("/listings", HTTP_ACCEPT_ENCODING=then, HTTP_IF_NONE_MATCH=etag)
    # then nothing changed, so nothing is sent
    assert again.status_code == 304
    assert again.content == b""


def test_a_changed_catalog_is_sent_again_compressed(api, catalog):
    etag = api.get("/listings", HTTP_ACCEPT_ENCODING="gzip")["ETag"]
    make_listing(title="新上架的黄河滩枣")
    again = api.get("/listings", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200
    assert "黄河滩枣" in gzip.decompress(again.content).decode()


def test_html_pages_are_gzipped_not_brotli(api, client, catalog):
    response = client.get("/api/v1/docs", HTTP_ACCEPT_ENCODING="gzip, br")
    assert response["Content-Encoding"] == "gzip"
