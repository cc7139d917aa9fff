"""The docs stay true: every setting is documented once, the contract in the repository is the
team's contract, every path it names that is built is served, and links between README and
docs/ resolve."""

import ast
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve

pytestmark = pytest.mark.backend_independent  # no database: CI runs them in the PostgreSQL pass

ROOT = Path(settings.BASE_DIR)
DOCS = ROOT / "docs"
API_MD = DOCS / "api.md"

METHOD = r"(?:GET|POST|PUT|PATCH|DELETE)"
# `GET /me`, `GET/PUT /me/notification-preferences`, `PATCH`/`DELETE /producers/me/members/{id}`
ENDPOINT = re.compile(rf"((?:`?{METHOD}`?/)*)`?({METHOD})\s+(/[^\s`]+)")
# the pages for people, named without a method: `/trace/{trace_code}`, `/l/{id}`, `/o/{number}`
PAGE = re.compile(r"`(/(?:trace|l|p|o|benefit|batches)/[^`\s]*)`")
# at the site root, not under /api/v1, although the contract lists them among the API's paths
SITE_ROOT = ("/p/",)
SAMPLE = "1234"  # fills every {placeholder}: digits for <int:>, four characters for /p/{code}

# Paths the contract names that are not built yet, each with the issue that builds it. When an
# issue lands, its paths leave this list (the test fails until they do).
NOT_BUILT_YET = {
    "POST /api/v1/orders/{}/reviews": "issue 25, reviews",
    "POST /api/v1/reviews/{}/media": "issue 25, reviews",
    "PATCH /api/v1/reviews/{}": "issue 25, reviews",
    "POST /api/v1/reviews/{}/follow-up": "issue 25, reviews",
    "POST /api/v1/reviews/{}/reply": "issue 25, reviews",
    "GET /api/v1/listings/{}/reviews": "issue 25, reviews",
    "GET /api/v1/producers/{}/reviews": "issue 25, reviews",
    "GET /o/{}": "issue 29, buying from the link",
}


def _read_by_settings() -> list[str]:
    source = (ROOT / "shanhuo" / "settings.py").read_text()
    return re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', source)


def _documented() -> list[str]:
    text = (DOCS / "configuration.md").read_text()
    return re.findall(r"^\| `([A-Z0-9_]+)` \|", text, flags=re.MULTILINE)


def test_every_setting_read_from_the_environment_is_documented_exactly_once():
    read, documented = Counter(_read_by_settings()), Counter(_documented())

    assert read, "found no env_*() read in shanhuo/settings.py"
    assert sorted(name for name, n in documented.items() if n > 1) == []
    assert sorted(set(read) - set(documented)) == []  # read but not documented
    assert sorted(set(documented) - set(read)) == []  # documented but read by nothing


def test_the_settings_read_each_variable_once():
    """One setting, one read: two reads of a variable could disagree on its default (as
    README once gave LISTING_IMAGE_MAX_PIXELS both 24 M and 40 M)."""
    read = Counter(_read_by_settings())

    assert sorted(name for name, n in read.items() if n > 1) == []


def _literal_defaults() -> dict[str, object]:
    """The defaults settings.py writes as a literal (a number, a product of numbers, a
    string): `env_int("LISTING_IMAGE_MAX_PIXELS", 24_000_000)` -> 24000000."""
    tree = ast.parse((ROOT / "shanhuo" / "settings.py").read_text())
    found = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id.startswith("env_") and len(node.args) >= 2
                and isinstance(node.args[0], ast.Constant)):
            try:
                value = eval(compile(ast.Expression(node.args[1]), "settings", "eval"),
                             {"__builtins__": {}})
            except NameError:
                continue  # a default computed from another setting
            if isinstance(value, int | float | str) and not isinstance(value, bool) and value != "":
                found[node.args[0].value] = value
    return found


def _documented_defaults() -> dict[str, str]:
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| ([^|]*) \|",
                      (DOCS / "configuration.md").read_text(), flags=re.MULTILINE)
    return {name: default for name, default in rows}


def test_each_documented_default_is_the_one_the_code_uses():
    """README once gave LISTING_IMAGE_MAX_PIXELS as both 24 M and 40 M; the code said 24 M."""
    documented = _documented_defaults()
    wrong = []
    for name, value in _literal_defaults().items():
        shown = re.match(r"`([^`]*)`", documented.get(name, ""))
        if shown is None:
            wrong.append((name, value, documented.get(name)))
        elif isinstance(value, str):
            if shown.group(1) != value:
                wrong.append((name, value, shown.group(1)))
        elif float(shown.group(1).replace(",", "")) != value:
            wrong.append((name, value, shown.group(1)))

    assert "LISTING_IMAGE_MAX_PIXELS" in _literal_defaults()
    assert wrong == []


def _shared_contract() -> Path | None:
    """The team's contract, `../shared/API.md` seen from the checkout or a folder above it
    (a worktree sits one level deeper than the main checkout); SHANHUO_SHARED_API names it."""
    named = os.environ.get("SHANHUO_SHARED_API")
    if named:
        return Path(named)
    for folder in [ROOT, *ROOT.parents]:
        candidate = folder.parent / "shared" / "API.md"
        if candidate.is_file():
            return candidate
    return None


def test_the_contract_in_the_repository_is_the_teams_contract():
    shared = _shared_contract()
    if shared is None or not shared.is_file():
        pytest.skip("the team's shared API.md is not on this machine: nothing to compare with")

    assert API_MD.read_bytes() == shared.read_bytes(), (
        f"docs/api.md differs from {shared}: copy it (cp {shared} docs/api.md)")


def _key(path: str) -> str:
    """A path with its placeholders blank, to compare `{id}` with `{listing_id}`."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def contract_endpoints() -> set[tuple[str, str]]:
    """(method, full path) of every endpoint the contract names, query strings dropped and
    `a|b` alternatives of a last segment expanded."""
    text = API_MD.read_text()
    found = set()
    for match in ENDPOINT.finditer(text):
        methods = re.findall(METHOD, match.group(1)) + [match.group(2)]
        path = match.group(3).split("?", 1)[0].rstrip(".,;:")
        if not path.startswith("/api/v1") and not path.startswith(SITE_ROOT):
            path = "/api/v1" + path
        head, _, last = path.rpartition("/")
        for alternative in last.split("|"):
            for method in methods:
                found.add((method, _key(f"{head}/{alternative}")))
    for match in PAGE.finditer(text):
        found.add(("GET", _key(match.group(1))))
    return found


def _served_operations() -> dict[str, set[str]]:
    from shanhuo.api import api

    schema = api.get_openapi_schema()
    return {_key(path): {method.upper() for method in operations}
            for path, operations in schema["paths"].items()}


def _resolves(path: str) -> bool:
    try:
        resolve(path.replace("{}", SAMPLE))
    except Resolver404:
        return False
    return True


def _served(method: str, path: str, operations: dict[str, set[str]]) -> bool:
    if path in operations:
        return method in operations[path]
    return _resolves(path)  # the schema and docs pages, the pages for people, /p/


def test_the_contract_names_the_endpoints_it_should():
    """The parsing below finds what it must, so an empty answer means something."""
    endpoints = contract_endpoints()

    assert {("GET", "/api/v1/me"), ("PUT", "/api/v1/me/notification-preferences"),
            ("PATCH", "/api/v1/producers/me/members/{}"),
            ("POST", "/api/v1/listings/{}/videos/{}/hide"), ("GET", "/p/{}"),
            ("GET", "/trace/{}/qr.png"), ("POST", "/api/v1/orders/quote")} <= endpoints
    assert not any("?" in path for _, path in endpoints)


def test_every_endpoint_of_the_contract_is_served_except_those_not_built_yet():
    operations = _served_operations()
    missing = sorted(f"{method} {path}" for method, path in contract_endpoints()
                     if not _served(method, path, operations))

    assert [name for name in missing if name not in NOT_BUILT_YET] == []


def test_the_list_of_endpoints_not_built_yet_shrinks_as_they_land():
    operations = _served_operations()
    named = {f"{method} {path}" for method, path in contract_endpoints()}
    built = [name for name in NOT_BUILT_YET
             if name in named and _served(*name.split(" ", 1), operations)]
    stale = [name for name in NOT_BUILT_YET if name not in named]

    assert built == [], "served now: take them out of NOT_BUILT_YET"
    assert stale == [], "no longer in the contract: take them out of NOT_BUILT_YET"


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _anchors(path: Path) -> set[str]:
    """GitHub's anchors of a Markdown file's headings."""
    anchors = set()
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            title = re.sub(r"[^\w\- ]", "", title)
            anchors.add(title.replace(" ", "-"))
    return anchors


@pytest.mark.parametrize("document", _markdown_files(), ids=lambda p: p.name)
def test_links_between_readme_and_docs_resolve(document):
    broken = []
    for target in LINK.findall(document.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: outside the repository
        file, _, anchor = target.partition("#")
        linked = (document.parent / file).resolve() if file else document
        unknown_anchor = bool(anchor) and linked.suffix == ".md" and linked.exists() \
            and anchor not in _anchors(linked)
        if not linked.exists() or unknown_anchor:
            broken.append(target)

    assert broken == []


def test_readme_links_every_document_in_docs():
    readme = (ROOT / "README.md").read_text()

    assert [p.name for p in DOCS.glob("*.md") if f"(docs/{p.name})" not in readme] == []


def test_readme_is_the_front_door():
    """What a newcomer needs, and little else: the two commands, a map of the apps, links. The
    reference lives in docs/, so README does not grow back to the 66 KB it once was."""
    readme = (ROOT / "README.md").read_text()
    commands = readme.split("## The two commands", 1)[1].split("\n## ", 1)[0]

    assert "make run" in commands and "make test" in commands
    assert "## A map of the apps" in readme
    assert len(readme.encode()) < 12_000
