"""Input that reaches no rule but could reach the database badly: NUL characters (PostgreSQL
text refuses them), out-of-range ids, absurd dates. Each is a 4xx, never a 500."""

import pytest

pytestmark = pytest.mark.django_db

NUL = "苹果\x00"
BIG = int("9" * 30)


@pytest.mark.parametrize("field", ["title", "description", "story", "growing_method",
                                   "category"])
def test_nul_in_listing_text_is_422(owner_api, listing, field):
    response = owner_api.patch(f"/listings/{listing.pk}", {field: NUL})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == field


@pytest.mark.parametrize("field", ["name", "story", "phone"])
def test_nul_in_producer_text_is_422(owner_api, producer, field):
    response = owner_api.patch(f"/producers/{producer.pk}", {field: NUL})
    assert response.status_code == 422


def test_nul_in_batch_text_is_422(owner_api, listing):
    for body in ({"notes": NUL}, {"lot_code": NUL}, {"certifications": [NUL]}):
        response = owner_api.post(f"/listings/{listing.pk}/batches",
                                  {"harvested_on": "2026-10-01"} | body)
        assert response.status_code == 422, body


@pytest.mark.parametrize("params", [{"q": NUL}, {"category": NUL}, {"region": BIG},
                                    {"producer": BIG}])
def test_odd_catalog_parameters_are_422_naming_the_parameter(api, listing, params):
    response = api.get("/listings", params)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == list(params)


@pytest.mark.parametrize("code", ["%00", "a" * 200, "..%2F..%2Fetc", "苹果"])
def test_odd_trace_codes_are_404(api, categories, code):
    assert api.get(f"/api/v1/trace/{code}").status_code == 404
    assert api.get(f"/trace/{code}").status_code == 404
    assert api.get(f"/trace/{code}/qr.png").status_code == 404


def test_out_of_range_ids_are_422_in_a_path_as_in_a_body(api, owner_api, listing):
    # every path id is typed one way (marketplace.schemas.PathId): 1 to MAX_ID
    for path in (f"/listings/{BIG}", f"/producers/{BIG}", "/listings/0", f"/regions/{BIG}"):
        response = api.get(path)
        assert response.status_code == 422, path
        assert response.json()["error"]["code"] == "validation_error"
    assert owner_api.patch(f"/listings/{listing.pk}",
                           {"origin_region_id": BIG}).status_code == 422


def test_a_harvest_in_year_one_is_422(owner_api, listing):
    response = owner_api.post(f"/listings/{listing.pk}/batches", {"harvested_on": "0001-01-01"})
    assert response.status_code == 422


@pytest.mark.parametrize("content_type", [
    "multipart/form-data",                      # no boundary at all
    "multipart/form-data; boundary=",           # an empty one
    "multipart/form-data; boundary=" + "b" * 300,  # longer than RFC 2046 allows
])
def test_a_multipart_upload_without_a_valid_boundary_is_a_400(owner_api, listing, content_type):
    response = owner_api.post(f"/listings/{listing.pk}/images", b"--x\r\n\r\n",
                              content_type=content_type)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "malformed_request"


def test_a_json_operation_refuses_a_body_of_another_media_type_with_415(owner_api, listing):
    response = owner_api.patch(f"/listings/{listing.pk}", '{"title": "改名"}',
                               content_type="text/plain")
    assert response.status_code == 415, response.content
    assert response.json()["error"]["code"] == "unsupported_media_type"
    listing.refresh_from_db()
    assert listing.title != "改名"

