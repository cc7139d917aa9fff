"""The OpenAPI document as client generators need it, made once for every operation.

ninja writes the paths and the models; `document` (called by the one NinjaAPI in shanhuo.api)
adds what holds for every operation, so a new route gets it without a hand edit:

- `operationId` is the view's name (`listing_list`), its tag the section its router names;
- security: `bearer` where a token is required, "bearer or none" (`[{"bearer": []}, {}]`) where
  it is optional, and an explicit `[]` on public operations;
- the statuses each operation can answer with, each with the error envelope whose `code` is an
  enum of the codes the project raises with that status (`error_codes`), `details` typed
  (field errors on 422, stock shortages on 409);
- `If-None-Match`, `ETag` and 304 on every GET (ConditionalGetMiddleware answers them all),
  `Idempotency-Key` and `Idempotent-Replayed` where the view honours the key, `Retry-After` on
  429 and 503;
- money input as a decimal string (a JSON number is refused), inline bodies named, models no
  operation uses (ninja's query models) dropped; `servers` and the licence.
"""

import ast
from functools import cache
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings

from marketplace import errors

REF = "#/components/schemas/"
WRITE_METHODS = {"post", "put", "patch", "delete"}
LICENSE = {"name": "MIT", "identifier": "MIT"}
DECIMAL_STRING = {
    "type": "string",
    "format": "decimal",
    "pattern": r"^-?\d+(\.\d+)?$",
    "examples": ["12.50"],
}
ERROR_DESCRIPTIONS = {
    400: "Malformed request (JSON, multipart, cursor or Idempotency-Key).",
    401: "No token, or a bad, expired or revoked one.",
    403: "Signed in, but the account lacks the role (producer, promoter) this needs.",
    404: "Not found, or not yours to see.",
    409: "Conflict with the current state: stock, state, duplicates, a reused Idempotency-Key.",
    413: "The body is too large.",
    415: "The body's media type is not the one this operation takes.",
    422: "Invalid fields: `details` names each one.",
    429: "Too many requests: wait `Retry-After` seconds.",
    503: "A service we depend on is down for a moment: retry after `Retry-After` seconds.",
}
RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 0},
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "1-255 printable ASCII characters. The same key with the same body replays the first "
        "answer (with `Idempotent-Replayed: true`); with another body it is 409 "
        "`idempotency_key_reused`. Kept at least 24 hours."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[!-~]+$"},
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The `ETag` of an earlier answer: 304 and no body while it still holds.",
    "schema": {"type": "string"},
}
ETAG = {"description": "Entity tag of this answer.", "schema": {"type": "string"}}
REPLAYED = {
    "description": "`true` when this is the stored answer to an earlier request with the same "
                   "Idempotency-Key.",
    "schema": {"type": "string", "enum": ["true"]},
}
APP_DESCRIPTIONS = {
    "marketplace": "Health of the service.",
    "accounts": "Sign-up, sign-in, tokens and the caller's account.",
    "producers": "Places, categories, farms, listings, photos, harvest lots and trace codes.",
    "orders": "Orders, payments and shipments.",
    "promotion": "Promoters, short videos, share links, clicks and commissions.",
    "reports": "Reports built in the background, downloaded through a signed link.",
}


# --- What errors the project raises -----------------------------------------------------------

def _domain_errors() -> dict[str, type[errors.DomainError]]:
    found, todo = {}, [errors.DomainError]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


def _source_files() -> list[Path]:
    base = Path(settings.BASE_DIR)
    files = []
    for config in apps.get_app_configs():
        path = Path(config.path)
        if base in path.parents:
            files.extend(p for p in path.rglob("*.py") if "migrations" not in p.parts)
    return files


def _constant(node: ast.AST | None) -> Any:
    return node.value if isinstance(node, ast.Constant) else None


@cache
def error_codes() -> dict[int, tuple[str, ...]]:
    """Status -> every `code` the project can answer with it: the domain errors' own codes, the
    codes given where they are raised (`Conflict(..., code="x")`, `error_response(409, "x")`)
    in the project's apps, and the envelope handlers' codes."""
    classes = _domain_errors()
    codes: dict[int, set[str]] = {}
    for cls in classes.values():
        codes.setdefault(cls.status, set()).add(cls.code)
    for status, code in errors.HTTP_CODES.items():
        codes.setdefault(status, set()).add(code)
    codes.setdefault(422, set()).add("validation_error")
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            keywords = {k.arg: _constant(k.value) for k in node.keywords}
            if name in classes and isinstance(keywords.get("code"), str):
                codes.setdefault(classes[name].status, set()).add(keywords["code"])
            elif name == "error_response" and len(node.args) >= 2:
                status, code = _constant(node.args[0]), _constant(node.args[1])
                if isinstance(status, int) and isinstance(code, str):
                    codes.setdefault(status, set()).add(code)
    return {status: tuple(sorted(c)) for status, c in sorted(codes.items())}


# --- Components ----------------------------------------------------------------------------

def _error_components(codes: dict[int, tuple[str, ...]]) -> dict[str, dict]:
    any_details = {"description": "More about the error, or null.",
                   "anyOf": [{"type": "object", "additionalProperties": True},
                             {"type": "array", "items": {}}, {"type": "null"}]}
    components = {
        "FieldError": {
            "title": "FieldError", "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string", "description": "`a.b.0` for nested"},
                           "message": {"type": "string"}},
        },
        "StockShortage": {
            "title": "StockShortage", "type": "object", "required": ["listing_id", "available"],
            "properties": {"listing_id": {"type": "integer"},
                           "available": {"type": "integer", "minimum": 0}},
        },
    }
    details_by_status = {
        422: {"description": "One entry per invalid field.",
              "type": "array", "items": {"$ref": REF + "FieldError"}},
        409: {"description": "For `insufficient_stock`: what each short listing has left.",
              "anyOf": [{"type": "array", "items": {"$ref": REF + "StockShortage"}},
                        {"type": "object", "additionalProperties": True},
                        {"type": "null"}]},
    }
    for status, status_codes in codes.items():
        if status < 400:
            continue
        detail_name, body_name = f"Error{status}Detail", f"Error{status}"
        components[detail_name] = {
            "title": detail_name, "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "enum": list(status_codes)},
                "message": {"type": "string", "description": "For people; may change."},
                "details": details_by_status.get(status, any_details),
            },
        }
        components[body_name] = {
            "title": body_name, "type": "object", "required": ["error"],
            "properties": {"error": {"$ref": REF + detail_name}},
        }
    return components


def _error_response(status: int) -> dict:
    response = {
        "description": ERROR_DESCRIPTIONS.get(status, "An error in the envelope."),
        "content": {"application/json": {"schema": {"$ref": f"{REF}Error{status}"}}},
    }
    if status in (429, 503):
        response["headers"] = {"Retry-After": RETRY_AFTER}
    return response


def _decimal_strings(node: Any) -> Any:
    """pydantic's input schema of a Decimal (`number` or `string`) -> a decimal string: a JSON
    number is refused by the money parsers (API.md: never floats)."""
    if isinstance(node, dict):
        any_of = node.get("anyOf")
        types = [s.get("type") for s in any_of if isinstance(s, dict)] if isinstance(
            any_of, list) else []
        if "number" in types and "string" in types:
            rest = {k: v for k, v in node.items() if k != "anyOf"}
            nulls = [s for s in any_of if s.get("type") == "null"]
            if nulls:
                return {**rest, "anyOf": [DECIMAL_STRING, *nulls]}
            return {**rest, **DECIMAL_STRING}
        return {k: _decimal_strings(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_decimal_strings(v) for v in node]
    return node


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF):
            found.add(ref[len(REF):])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _used_only(schema: dict) -> None:
    """Drop models that no operation reaches (ninja registers its query/params models)."""
    components = schema["components"]["schemas"]
    used: set[str] = set()
    _refs(schema["paths"], used)
    todo = list(used)
    while todo:
        found: set[str] = set()
        _refs(components.get(todo.pop(), {}), found)
        todo.extend(found - used)
        used |= found
    for name in list(components):
        if name not in used:
            del components[name]


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


# --- Operations ----------------------------------------------------------------------------

def _security(operation) -> list[dict]:
    callbacks = list(getattr(operation, "auth_callbacks", None) or [])
    if not callbacks:
        return []
    if any(getattr(cb, "openapi_optional", False) for cb in callbacks):
        return [{"bearer": []}, {}]
    return [{"bearer": []}]


def _statuses(method: str, path: str, op: dict, security: list[dict], operation) -> set[int]:
    # any operation may meet a database or storage that is briefly down (ServiceUnavailable)
    statuses = {503}
    has_body = "requestBody" in op
    params = op.get("parameters", [])
    if has_body or params:
        statuses.add(422)
    if has_body:
        statuses |= {400, 413, 415}
    if any(p.get("name") == "cursor" for p in params):
        statuses.add(400)
    if security and {} not in security:
        statuses |= {401, 403}
    if "{" in path:
        statuses.add(404)
    if method in WRITE_METHODS and security:
        statuses.add(409)
    if getattr(operation, "throttle_objects", None):
        statuses.add(429)
    return statuses


def _operation(method: str, path: str, op: dict, operation, codes, components) -> None:
    view = operation.view_func if operation is not None else None
    # the section is the one its router names (`Router(tags=[...])`, an app's name): the API's
    # sections, which name the modules of clients' generated code, stay put when a view moves
    # between apps
    app = view.__module__.split(".")[0] if view is not None else "marketplace"
    op["tags"] = op.get("tags", [])[:1] or [app]
    security = _security(operation) if operation is not None else []
    op["security"] = security
    params = op.setdefault("parameters", [])
    responses = op["responses"] = {str(k): v for k, v in op["responses"].items()}

    for status in sorted(_statuses(method, path, op, security, operation)):
        responses.setdefault(str(status), _error_response(status))
    # an error status a view declares itself (`response={401: ErrorOut}`) gets its envelope
    for status in list(responses):
        declared = responses[status].get("content", {}).get("application/json", {})
        if (status.isdigit() and int(status) in codes
                and declared.get("schema", {}).get("$ref") == REF + "ErrorOut"):
            responses[status] = _error_response(int(status))
    # 4XX stays as the envelope for the statuses no operation lists (405, an unexpected one)
    responses["4XX"] = {"description": "Any other error, in the envelope.",
                        "content": {"application/json": {"schema": {"$ref": REF + "ErrorOut"}}}}
    success = [s for s in responses if s.startswith("2")]

    if method == "get":
        params.append(IF_NONE_MATCH)
        for status in success:
            responses[status].setdefault("headers", {})["ETag"] = ETAG
        responses.setdefault("304", {"description": "Not modified: the `If-None-Match` ETag "
                                                    "still holds. No body.",
                                     "headers": {"ETag": ETAG}})
    if getattr(view, "honours_idempotency_key", False):
        params.append(IDEMPOTENCY_KEY)
        for status in success:
            responses[status].setdefault("headers", {})["Idempotent-Replayed"] = REPLAYED
    if not params:
        del op["parameters"]

    # inline bodies get a name a generator can use
    name = _camel(op["operationId"])
    for media in op.get("requestBody", {}).get("content", {}).values():
        body = media.get("schema", {})
        if "properties" in body:
            components[f"{name}Body"] = {**body, "title": f"{name}Body"}
            media["schema"] = {"$ref": f"{REF}{name}Body"}
    for status, response in responses.items():
        for media in response.get("content", {}).values():
            body = media.get("schema", {})
            if "properties" in body:
                title = f"{name}Response{status}"
                components[title] = {**body, "title": title}
                media["schema"] = {"$ref": REF + title}


def document(schema: dict, operations: dict[str, Any]) -> dict:
    """Apply the rules above to ninja's document; `operations` maps operationId -> Operation."""
    codes = error_codes()
    components = schema.setdefault("components", {})
    models = components.setdefault("schemas", {})
    models.update(_error_components(codes))
    models["ErrorOut"] = {
        "title": "ErrorOut", "type": "object", "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message", "details"],
            "title": "ErrorDetail",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "details": {}}}},
    }
    models.pop("ErrorDetail", None)
    components["securitySchemes"] = {"bearer": {
        "type": "http", "scheme": "bearer",
        "description": "`Authorization: Bearer <token>` from POST /auth/token or /auth/register.",
    }}
    used_apps = set()
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                _operation(method, path, op, operations.get(op["operationId"]), codes, models)
                used_apps.update(op["tags"])
    schema["paths"] = _decimal_strings(schema["paths"])
    # money out is a string too (ninja's encoder), so the rule holds for every model
    components["schemas"] = _decimal_strings(models)
    _used_only(schema)
    schema["tags"] = [{"name": app, "description": APP_DESCRIPTIONS.get(
        app, apps.get_app_config(app).verbose_name)} for app in sorted(used_apps)]
    schema["servers"] = [{"url": settings.SITE_URL, "description": "This server (SITE_URL)"}]
    schema["info"]["license"] = LICENSE
    return schema

