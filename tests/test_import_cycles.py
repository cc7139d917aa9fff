"""The apps stand on one ladder, and no module imports, at load time, a module that imports it
back.

The ladder (LADDER, written once, lowest first): an app imports only apps on the rungs below
its own, at load time and inside function bodies alike, and none on its own rung. When a lower
app must cause something above it, the higher app calls down (checkout places, pays and
cancels an order by calling each app's services). The kernel (`marketplace`) is at the
bottom, the project (`shanhuo`: settings, urls, the NinjaAPI, the Celery app) at the top, so
nothing of the apps imports it.

A cycle works only as long as the modules happen to be loaded in one order; the next import
added elsewhere breaks start-up with a half-initialised module. Services import their tasks at
the top, a task imports its service inside its body; the error envelope lives in a module that
imports nothing of the project (marketplace.errors).
"""

from pathlib import Path

import pytest

from tests.import_graph import Import, cycles, import_graph, imports, project_modules

pytestmark = pytest.mark.backend_independent  # no database: CI runs it in the PostgreSQL pass

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. Apps on one rung import none of each other; apps not written yet may be named.
LADDER: list[tuple[str, ...]] = [
    ("marketplace",),  # the kernel: errors, money, pagination, idempotency, compiled SQL, ...
    ("outbox",),  # side effects recorded with the change, handed to Celery after commit
    ("notify",),  # tells a person: any app hands it an event, a person and the words
    ("accounts",),  # users and sign-in (a sign-in code is sent through notify)
    ("ledger",),  # double entry, knowing no domain
    ("freight",),
    ("producers",),
    ("orders",),
    ("promotion",),
    ("benefit",),
    ("books",),  # the posting rules, payouts and statements, on the ledger
    ("payments",),
    ("claims", "reviews", "certificates"),
    ("checkout",),  # an order's life, calling each app in written order
    ("storefront", "reports"),
    ("demo", "bench", "tools"),
    ("shanhuo",),  # the project: nothing imports it
]


def project_packages() -> list[str]:
    """Every top-level package of the checkout except the tests themselves."""
    return sorted(
        path.parent.name for path in ROOT.glob("*/__init__.py") if path.parent.name != "tests"
    )


def task_imports_its_service(importer: str, imported: str) -> bool:
    """The one deferred import the layout asks for: `app.tasks` imports `app.services` inside
    the task's body (and `app.services` imports `app.tasks` at the top)."""
    app, _, module = importer.rpartition(".")
    return module == "tasks" and imported == f"{app}.services"


def _project_graph(**options) -> dict[str, set[str]]:
    packages = project_packages()
    assert {"marketplace", "orders", "producers", "promotion"} <= set(packages)
    return import_graph(project_modules(ROOT, packages), **options)


def _message(found: list[list[str]]) -> str:
    return "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def test_no_module_imports_itself_back_when_loaded():
    found = cycles(_project_graph())

    assert found == [], _message(found)


def test_no_cycle_hides_in_a_function_body_except_a_task_importing_its_service():
    found = cycles(_project_graph(deferred=True, allowed=task_imports_its_service))

    assert found == [], _message(found)


def test_the_walk_sees_the_imports_that_make_the_rules():
    """The edges the rules rely on are seen, so an empty answer above means something."""
    graph = _project_graph(deferred=True)

    assert "promotion.tasks" in graph["promotion.services"]  # services import tasks at the top
    assert "promotion.services" in graph["promotion.tasks"]  # ... tasks their service in the body
    assert "promotion.services" not in _project_graph()["promotion.tasks"]
    assert "marketplace.errors" in graph["marketplace.middleware"]
    assert graph["marketplace.errors"] == set()  # the envelope imports nothing of ours
    assert "shanhuo.api" not in graph["producers.api"]


def _package(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_cycle_is_found_and_named(tmp_path):
    # given a package whose services and tasks import each other at the top, through
    # three different spellings of an import
    _package(tmp_path, {
        "shop/__init__.py": "",
        "shop/services.py": "from shop import tasks\n\ndef place():\n    tasks.notify()\n",
        "shop/tasks.py": "import shop.notify\n",
        "shop/notify.py": "from .services import place\n",
        "shop/api.py": "from shop.services import place\n",
    })

    found = cycles(import_graph(project_modules(tmp_path, ["shop"])))

    assert found == [["shop.notify", "shop.services", "shop.tasks", "shop.notify"]]


def test_the_old_layout_is_a_cycle_through_a_function_body(tmp_path):
    # given services that import their task inside a function and a task module that imports
    # the services at the top (what orders, producers and promotion did)
    _package(tmp_path, {
        "shop/__init__.py": "",
        "shop/services.py": "def place():\n    from shop.tasks import notify\n    notify()\n",
        "shop/tasks.py": "from shop import services\n",
    })
    modules = project_modules(tmp_path, ["shop"])

    assert cycles(import_graph(modules)) == []  # it loads, in this order
    assert cycles(import_graph(modules, deferred=True, allowed=task_imports_its_service)) == [
        ["shop.services", "shop.tasks", "shop.services"]
    ]


def test_imports_run_later_are_not_cycles(tmp_path):
    # given the same two modules, where the task imports its service inside its body and a
    # type-only import sits under TYPE_CHECKING
    _package(tmp_path, {
        "shop/__init__.py": "",
        "shop/services.py": "from shop import tasks\n",
        "shop/tasks.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from shop import services\n"
            "def notify():\n    from shop.services import place\n    place()\n"
        ),
    })

    modules = project_modules(tmp_path, ["shop"])

    assert cycles(import_graph(modules)) == []
    assert cycles(import_graph(modules, deferred=True, allowed=task_imports_its_service)) == []


def test_a_cycle_through_a_class_body_or_a_try_is_found(tmp_path):
    _package(tmp_path, {
        "shop/__init__.py": "",
        "shop/a.py": "try:\n    from shop.b import B\nexcept ImportError:\n    B = None\n",
        "shop/b.py": "class B:\n    from shop import a\n",
    })

    assert cycles(import_graph(project_modules(tmp_path, ["shop"]))) == [
        ["shop.a", "shop.b", "shop.a"]
    ]


def test_the_storefront_reads_promotion_only_through_the_selectors_promotion_exposes():
    """"A listing's videos" is promotion's rule: the storefront asks promotion.selectors for
    it and never queries promotion's tables itself (nor does producers)."""
    graph = _project_graph(deferred=True)

    readers = sorted(name for name, imported in graph.items()
                     if name.startswith(("producers.", "storefront."))
                     and "promotion.models" in imported)

    assert readers == []
    assert "promotion.selectors" in graph["storefront.selectors"]


def test_the_kernel_imports_no_app_and_no_app_imports_the_project():
    """`marketplace` (the kernel) is imported by every app and imports none of them; `shanhuo`
    (the project: settings, urls, the one NinjaAPI, the Celery app) wires the apps and nothing
    of theirs imports it, not even inside a function."""
    graph = _project_graph(deferred=True)
    top = {name: name.split(".")[0] for name in graph}

    kernel_imports = sorted(f"{name} -> {imported}" for name, targets in graph.items()
                            if top[name] == "marketplace" for imported in targets
                            if top[imported] != "marketplace")
    project_importers = sorted(f"{name} -> {imported}" for name, targets in graph.items()
                               if top[name] != "shanhuo" for imported in targets
                               if top[imported] == "shanhuo")

    assert kernel_imports == []
    assert project_importers == []


# --- The ladder ---------------------------------------------------------------------------------

def rungs(ladder: list[tuple[str, ...]]) -> dict[str, int]:
    """app -> its rung (0 is the bottom)."""
    named = [app for rung in ladder for app in rung]
    assert len(named) == len(set(named)), f"an app is on the ladder twice: {sorted(named)}"
    return {app: height for height, rung in enumerate(ladder) for app in rung}


def ladder_breaks(edges: list[Import], ladder: list[tuple[str, ...]], root: Path) -> list[str]:
    """Each import of an app by an app not above it on `ladder`, named by file and line."""
    height = rungs(ladder)
    breaks = []
    for edge in edges:
        importer, imported = edge.importer.split(".")[0], edge.imported.split(".")[0]
        if importer != imported and height[imported] >= height[importer]:
            where = "same rung as" if height[imported] == height[importer] else "above"
            breaks.append(f"{edge.path.relative_to(root)}:{edge.line}: {edge.importer} imports "
                          f"{edge.imported}{' (in a function)' if edge.deferred else ''}: "
                          f"{imported} is {where} {importer} on the ladder")
    return breaks


def test_every_app_is_on_the_ladder():
    missing = sorted(set(project_packages()) - set(rungs(LADDER)))

    assert missing == [], f"apps not on LADDER (tests/test_import_cycles.py): {missing}"


def test_every_import_runs_down_the_ladder_even_inside_a_function():
    edges = imports(project_modules(ROOT, project_packages()), deferred=True)

    found = ladder_breaks(edges, LADDER, ROOT)

    assert found == [], "imports against the ladder:\n" + "\n".join(found)


def test_a_step_up_the_ladder_is_named_by_its_file_and_line(tmp_path):
    # given a low app whose function imports a high one, and two apps on one rung
    _package(tmp_path, {
        "low/__init__.py": "",
        "low/services.py": "import low\n\ndef place():\n    from high.services import fee\n",
        "high/__init__.py": "",
        "high/services.py": "from low import services\n",
        "left/__init__.py": "from right import x\n",
        "right/__init__.py": "x = 1\n",
    })
    ladder = [("low",), ("high",), ("left", "right")]
    modules = project_modules(tmp_path, ["low", "high", "left", "right"])

    found = ladder_breaks(imports(modules, deferred=True), ladder, tmp_path)

    assert found == [
        "left/__init__.py:1: left imports right: right is same rung as left on the ladder",
        "low/services.py:4: low.services imports high (in a function): high is above low on "
        "the ladder",
        "low/services.py:4: low.services imports high.services (in a function): high is above "
        "low on the ladder",
    ]
