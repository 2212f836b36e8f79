"""The analyst's map: each dashboard page and the Monday report is a dbt exposure
(dbt_project/models/marts/_exposures.yml) whose depends_on is what its code reads.

What a page reads is computed from the code, not declared twice: the tables in the SQL of each
named query (dashboards/lib/queries.py), and the named queries each page reaches, directly
(``queries.unpaid(...)``, ``year_before(queries.unpaid, ...)``) or through the dashboards'
helpers (``provisional_note`` reads ``publication_periods``). A page given a new query without
its exposure's ref fails here; so does a ref the page no longer reads.
"""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path

import pytest

from orchestration.project import DASHBOARDS_DIR, dbt_project

PAGES_DIR = DASHBOARDS_DIR / "app_pages"
REPORT_DIR = DASHBOARDS_DIR / "report"
ROUTER = DASHBOARDS_DIR / "streamlit_app.py"
QUERIES = "dashboards.lib.queries"
# The published file's tables that the nightly's guard and publication steps write, not dbt:
# no ref can name them, so the exposure's description does (in backquotes).
NOT_DBT = frozenset(
    {"publication", "publication_history", "guard_results", "retention_status", "publication_revisions"}
)
REPORT_EXPOSURE = "monday_report"

Symbol = tuple[str, str]  # (module, top-level name); the name "" is the module's whole body


def module_file(module: str) -> Path:
    return DASHBOARDS_DIR.parent.joinpath(*module.split(".")).with_suffix(".py")


def sql_text(node: ast.expr) -> str:
    """The SQL of a string or f-string (interpolations as ``{}``: no table is interpolated)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return ""


def tables_in(sql: str) -> set[str]:
    """The tables a query reads: names after ``from`` or ``join``, its CTEs left out."""
    sql = re.sub(r"\bextract\s*\(\s*\w+\s+from\b", "extract(", sql, flags=re.I)
    ctes = {name.lower() for name in re.findall(r"\b(\w+)\s+as\s*\(", sql, flags=re.I)}
    return {t.lower() for t in re.findall(r"\b(?:from|join)\s+([A-Za-z_]\w*)", sql, flags=re.I)} - ctes


class Module:
    """One module of the dashboards, as seen by the scan: what each top-level function refers to."""

    def __init__(self, name: str, path: Path):
        self.name = name
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.functions = {n.name: n for n in self.tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        self.module_aliases: dict[str, str] = {}  # local name -> dashboards module
        self.imported: dict[str, Symbol] = {}  # local name -> (dashboards module, name)
        for node in ast.walk(self.tree):  # imports inside functions too
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dashboards"):
                for alias in node.names:
                    local = alias.asname or alias.name
                    if module_file(f"{node.module}.{alias.name}").exists():
                        self.module_aliases[local] = f"{node.module}.{alias.name}"
                    else:
                        self.imported[local] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("dashboards") and alias.asname:
                        self.module_aliases[alias.asname] = alias.name
        # ``q = _queries()``: a name bound to what a local function returns, when that function
        # imports a module (the report's way to import the queries late).
        returns = {
            fn: alias
            for fn, node in self.functions.items()
            for alias in self._function_module_aliases(node)
            if any(
                isinstance(r, ast.Return) and isinstance(r.value, ast.Name) and r.value.id == alias
                for r in ast.walk(node)
            )
        }
        for node in ast.walk(self.tree):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name)
                and node.value.func.id in returns
            ):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.module_aliases[target.id] = self.module_aliases[returns[node.value.func.id]]

    def _function_module_aliases(self, node: ast.AST) -> list[str]:
        return [
            alias.asname or alias.name
            for n in ast.walk(node)
            if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("dashboards")
            for alias in n.names
            if module_file(f"{n.module}.{alias.name}").exists()
        ]

    def body(self, name: str) -> ast.AST:
        return self.tree if name == "" else self.functions[name]

    def refers_to(self, name: str) -> set[Symbol]:
        """The dashboards' functions that ``name`` (a function, or "" for the whole module) names."""
        found: set[Symbol] = set()
        for node in ast.walk(self.body(name)):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                module = self.module_aliases.get(node.value.id)
                if module:
                    found.add((module, node.attr))
            elif isinstance(node, ast.Name):
                if node.id in self.imported:
                    found.add(self.imported[node.id])
                elif node.id in self.functions and node.id != name:
                    found.add((self.name, node.id))
        return found

    def reads(self, name: str) -> set[str]:
        """The tables a function's own SQL reads (``read(stamp, sql, ...)``)."""
        tables: set[str] = set()
        for node in ast.walk(self.body(name)):
            if isinstance(node, ast.Call) and len(node.args) >= 2:
                func = node.func
                if (isinstance(func, ast.Name) and func.id == "read") or (
                    isinstance(func, ast.Attribute) and func.attr == "read"
                ):
                    tables |= tables_in(sql_text(node.args[1]))
        return tables


@cache
def module(name: str, path: Path | None = None) -> Module:
    return Module(name, path or module_file(name))


def tables_read(entries: list[Symbol], extra: dict[str, Path] | None = None) -> set[str]:
    """Every table the code reachable from ``entries`` reads, through the dashboards' modules."""
    extra = extra or {}
    seen: set[Symbol] = set()
    todo = list(entries)
    tables: set[str] = set()
    while todo:
        symbol = todo.pop()
        if symbol in seen:
            continue
        seen.add(symbol)
        name, function = symbol
        path = extra.get(name) or module_file(name)
        if not path.exists():
            continue
        mod = module(name, extra.get(name))
        if function != "" and function not in mod.functions:
            continue  # a constant or a class (queries.STAGE_FIGURES, page.PageContext)
        tables |= mod.reads(function)
        todo += mod.refers_to(function)
    return tables


def page_tables(path: Path) -> set[str]:
    """What a page reads: its own code, and the router that runs before it (the publication)."""
    name = f"dashboards.app_pages.{path.stem}"
    router = "dashboards.streamlit_app"
    return tables_read([(name, ""), (router, "")], {name: path})


def report_tables() -> set[str]:
    return tables_read([(f"dashboards.report.{p.stem}", "") for p in sorted(REPORT_DIR.glob("*.py"))])


def page_files() -> list[Path]:
    return sorted(p for p in PAGES_DIR.glob("*.py") if p.stem != "__init__")


def manifest() -> dict:
    return json.loads(dbt_project().manifest_path.read_text())


def exposures(nodes: dict) -> dict[str, dict]:
    return {e["name"]: e for e in nodes["exposures"].values()}


def models(nodes: dict) -> dict[str, str]:
    """unique_id -> name of every dbt model."""
    return {uid: n["name"] for uid, n in nodes["nodes"].items() if n["resource_type"] == "model"}


def expected(tables: set[str], model_names: set[str]) -> tuple[set[str], set[str]]:
    """(the dbt models read, the publication's own tables read); any other table is unknown."""
    unknown = tables - model_names - NOT_DBT
    assert not unknown, (
        f"{sorted(unknown)}: read by the dashboards, neither a dbt model nor one of the publication's own "
        "tables (NOT_DBT): add it to NOT_DBT if the nightly writes it outside dbt"
    )
    return tables & model_names, tables & NOT_DBT


def check(exposure: dict | None, what: str, tables: set[str], nodes: dict) -> None:
    assert exposure is not None, f"{what} has no exposure in dbt_project/models/marts/_exposures.yml"
    names = models(nodes)
    refs, others = expected(tables, set(names.values()))
    assert refs, f"{what}: the scan found no dbt model read (is the scan broken?)"
    declared = {names[uid] for uid in exposure["depends_on"]["nodes"] if uid in names}
    assert not refs - declared, (
        f"{what} reads {sorted(refs - declared)}: add them to the depends_on of {exposure['name']}"
    )
    assert not declared - refs, f"{what} no longer reads {sorted(declared - refs)}: remove them from {exposure['name']}"
    missing = {t for t in others if f"`{t}`" not in exposure["description"]}
    assert not missing, (
        f"{what} reads {sorted(missing)} (not dbt models): name them in {exposure['name']}'s description"
    )
    assert exposure["owner"]["name"] and exposure["owner"]["email"], exposure["name"]


@pytest.mark.parametrize("page", page_files(), ids=lambda p: p.stem)
def test_every_page_is_an_exposure_of_what_it_reads(page):
    nodes = manifest()
    exposure = exposures(nodes).get(f"dashboard_{page.stem}")
    check(exposure, f"dashboards/app_pages/{page.name}", page_tables(page), nodes)
    assert exposure["type"] == "dashboard"
    assert exposure["config"]["meta"]["page"] == f"dashboards/app_pages/{page.name}"


def test_the_monday_report_is_an_exposure_of_what_it_reads():
    nodes = manifest()
    exposure = exposures(nodes).get(REPORT_EXPOSURE)
    check(exposure, "the Monday report (dashboards/report/)", report_tables(), nodes)
    assert exposure["type"] == "application"


def test_no_exposure_outlives_its_page():
    pages = {f"dashboard_{p.stem}" for p in page_files()}
    assert set(exposures(manifest())) == pages | {REPORT_EXPOSURE}


def test_each_exposure_names_the_roles_that_see_its_page():
    """config.meta.roles as the router gives pages to roles (streamlit_app.PAGES)."""
    tree = ast.parse(ROUTER.read_text(encoding="utf-8"))
    (pages,) = [
        ast.literal_eval(n.value)
        for n in tree.body
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "PAGES" for t in n.targets)
    ]
    found = exposures(manifest())
    assert len(pages) == len(page_files())
    for file, title, _, roles in pages:
        exposure = found[f"dashboard_{Path(file).stem}"]
        assert set(exposure["config"]["meta"]["roles"]) == roles, file
        assert exposure["label"] == title, file


def test_the_scan_sees_queries_called_directly_passed_along_and_through_helpers(tmp_path):
    """A page the scan has never seen: a query called, one passed to ``year_before``, and a
    helper that reads ``publication_periods``."""
    page = tmp_path / "nouvelle_page.py"
    page.write_text(
        "from dashboards.lib import queries as q\n"
        "from dashboards.lib.page import context, provisional_note, year_before\n"
        "ctx = context()\n"
        "data = q.financing(ctx.stamp, None, None)\n"
        "before = year_before(q.after_sales, ctx.stamp, None, None)\n"
        "provisional_note('mart_financing_monthly')\n"
    )
    assert page_tables(page) == {
        "mart_financing_monthly",
        "mart_after_sales_monthly",
        "publication_periods",
        "publication",  # the router's
    }
    assert tables_in("with months as (select 1) select * from months join mart_x using (m)") == {"mart_x"}
    assert tables_in("select extract(year from order_month) from mart_y") == {"mart_y"}
