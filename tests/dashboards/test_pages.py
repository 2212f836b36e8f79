"""AppTest: every page for every role, filters changed, figures equal to the published file."""

import shutil
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.lib import formatting as fmt
from dashboards.lib.auth import DEMO_ACCOUNTS, write_demo_auth_file
from dashboards.lib.filters import period_for
from orchestration.project import DASHBOARDS_DIR
from tests.conftest import table_rows

APP = str(DASHBOARDS_DIR / "streamlit_app.py")
PAGES = {
    "vue_ensemble.py": "Vue d'ensemble",
    "commandes.py": "Commandes et chiffre d'affaires",
    "clients.py": "Clients",
    "entonnoir.py": "Entonnoir d'acquisition",
    "aides.py": "Aides et financement",
    "sav.py": "SAV et satisfaction",
    "impayes.py": "Impayés",
    "conformite.py": "Conformité",
}
ALLOWED = {
    "direction": set(PAGES),
    "commercial": set(PAGES) - {"conformite.py"},
    "dpo": {"vue_ensemble.py", "conformite.py"},
}


@pytest.fixture(scope="module")
def dashboard_env(published_place, tmp_path_factory):
    folder = tmp_path_factory.mktemp("dash")
    published = folder / "marts.duckdb"
    shutil.copyfile(published_place.published, published)
    auth = folder / "auth.yaml"
    write_demo_auth_file(auth)
    return {"published": published, "auth": auth}


@pytest.fixture
def app(dashboard_env, monkeypatch):
    monkeypatch.setenv("MGREEN_PUBLISHED_PATH", str(dashboard_env["published"]))
    monkeypatch.setenv("MGREEN_DASHBOARD_AUTH_FILE", str(dashboard_env["auth"]))

    def login(role: str, password: str | None = None) -> AppTest:
        account = next(a for a in DEMO_ACCOUNTS if a.role == role)
        at = AppTest.from_file(APP, default_timeout=60).run()
        at.text_input[0].input(account.username)
        at.text_input[1].input(password or account.password)
        at.button[0].click().run()
        return at

    return login


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]
    parts += [str(m.value) for m in at.metric] + [e.value for e in at.error] + [w.value for w in at.warning]
    return "\n".join(parts)


def test_a_wrong_password_shows_no_figure(app):
    at = app("direction", password="not-the-password")
    assert "Identifiant ou mot de passe incorrect." in [e.value for e in at.error]
    assert not at.metric and not at.title


@pytest.mark.parametrize("role", ["direction", "commercial", "dpo"])
def test_each_role_sees_its_pages_and_they_render(app, role):
    at = app(role)
    assert not at.exception
    for page, title in PAGES.items():
        if page in ALLOWED[role]:
            at.switch_page(f"app_pages/{page}").run()
            assert not at.exception, (page, [e.message for e in at.exception])
            assert at.title[0].value == title
            assert "Données au" in texts(at)
        else:
            # The router never registers a page the role may not see.
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(f"app_pages/{page}")


def orders_total(path, start, end, dep="Tous"):
    return table_rows(
        path,
        """
        select sum(n_orders), sum(revenue_excl_tax_eur) from mart_orders_monthly
        where order_month between ? and ? and departement = ? and product_category = 'Tous'
        and acquisition_channel = 'Tous'""",
        [start, end, dep],
    )[0]


def data_day(path) -> date:
    """The day the pages' periods are counted from: the data's date, in Paris."""
    (as_of,) = table_rows(path, "select data_as_of from publication")[0]
    return as_of.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris")).date()


def last_twelve_months(path) -> tuple[date, date]:
    """The period the pages open on (period_for has its own tests in test_formatting.py)."""
    return period_for("12 derniers mois", data_day(path))


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_overview_tiles_equal_the_published_figures_and_follow_the_filters(app, dashboard_env):
    at = app("direction")
    n, revenue = orders_total(dashboard_env["published"], *last_twelve_months(dashboard_env["published"]))
    assert metric(at, "Commandes") == fmt.number(n)
    assert metric(at, "Chiffre d'affaires HT") == fmt.euros(revenue)
    at.sidebar.selectbox(key="filter_periode").select("Année précédente").run()
    last_year = period_for("Année précédente", data_day(dashboard_env["published"]))
    n, _ = orders_total(dashboard_env["published"], *last_year)
    assert metric(at, "Commandes") == fmt.number(n)
    assert at.query_params["periode"] == "Année précédente"
    at.sidebar.selectbox(key="filter_dep").select("91").run()
    n91, _ = orders_total(dashboard_env["published"], *last_year, "91")
    assert metric(at, "Commandes") == fmt.number(n91)
    assert at.query_params["dep"] == "91"


def test_filters_come_from_the_url(app, dashboard_env, monkeypatch):
    account = next(a for a in DEMO_ACCOUNTS if a.role == "direction")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["periode"] = "Année précédente"
    at.query_params["dep"] = "92"
    at.run()
    at.text_input[0].input(account.username)
    at.text_input[1].input(account.password)
    at.button[0].click().run()
    assert at.sidebar.selectbox(key="filter_periode").value == "Année précédente"
    assert at.sidebar.selectbox(key="filter_dep").value == "92"


def test_suppressed_cells_read_secret_statistique(app, dashboard_env):
    # The département and category with the most months in secret over the period the page
    # opens on (the test CRM moves with the clock: no fixed pair has one every day).
    departement, category = table_rows(
        dashboard_env["published"],
        """
        select departement, product_category from mart_orders_monthly
        where is_suppressed and acquisition_channel = 'Tous' and departement <> 'Tous'
          and product_category <> 'Tous' and order_month between ? and ?
        group by all order by count(*) desc, departement, product_category limit 1""",
        list(last_twelve_months(dashboard_env["published"])),
    )[0]
    at = app("direction")
    at.switch_page("app_pages/commandes.py").run()
    at.sidebar.selectbox(key="filter_dep").select(departement).run()
    at.sidebar.selectbox(key="filter_cat").select(category).run()
    table = at.dataframe[0].value
    assert (table["Commandes"] == "secret statistique").any()
    assert not (table["Commandes"] == "0").any()
    assert at.get("download_button")


def test_cancelled_orders_retention_has_cut_into_are_not_read_as_secret(app, dashboard_env, monkeypatch, tmp_path):
    copy = tmp_path / "marts.duckdb"
    shutil.copyfile(dashboard_env["published"], copy)
    conn = duckdb.connect(str(copy))
    # As the mart writes it for a month the prospects' retention has cut into: an open cell without its count.
    month = conn.execute(
        "select max(order_month) from mart_orders_monthly where departement = 'Tous' and product_category = 'Tous' "
        "and acquisition_channel = 'Tous' and not is_suppressed"
    ).fetchone()[0]
    conn.execute("update mart_orders_monthly set n_orders_cancelled = null where order_month = ?", [month])
    conn.close()
    monkeypatch.setenv("MGREEN_PUBLISHED_PATH", str(copy))
    at = app("direction")
    at.switch_page("app_pages/commandes.py").run()
    table = at.dataframe[0].value
    row = table[table["Mois"] == fmt.month(month)]
    assert list(row["Annulées"]) == [fmt.RETENTION]
    assert list(row["Commandes"]) != [fmt.SECRET]
    assert (table["Annulées"] != fmt.RETENTION).sum() == len(table) - 1
    assert "trois ans après leur dernier contact" in texts(at)


def test_web_funnel_tables_speak_french(app, dashboard_env):
    at = app("direction")
    at.switch_page("app_pages/entonnoir.py").run()
    tables = {t.value.columns[0]: t.value for t in at.dataframe if t.value.columns[0] in ("Source", "Appareil")}
    sources = set(
        table_rows(
            dashboard_env["published"],
            "select distinct utm_source from mart_web_funnel_by_source_monthly where utm_source <> 'Tous'",
        )
    )
    assert set(tables["Source"]["Source"]) == {fmt.WEB_SOURCES[code] for (code,) in sources}
    assert set(tables["Appareil"]["Appareil"]) <= set(fmt.DEVICES.values())
    assert list(tables["Source"].columns[1:3]) == ["Sessions", "Avec formulaire"]
    # The web marts count sessions, not persons.
    assert "moins de 5 sessions" in texts(at)


def test_conformity_page_shows_k_and_the_guard_runs(app):
    at = app("dpo")
    at.switch_page("app_pages/conformite.py").run()
    assert metric(at, "Seuil de secret statistique (k)") == "5 personnes"
    runs = at.dataframe[0].value
    # A first publication holds its warehouse pass; the pass on a file itself, made once the file
    # is complete, reaches the next publication.
    assert "Entrepôt (marts)" in set(runs["Cible"]) and set(runs["Cible"]) <= {"Entrepôt (marts)", "Fichier publié"}
    assert (runs["Échecs"] == 0).all()


@pytest.mark.parametrize("as_of, stale", [(datetime(2026, 1, 1), True), (None, False)])
def test_stale_data_warning_appears_after_36_hours(app, dashboard_env, monkeypatch, tmp_path, as_of, stale):
    copy = tmp_path / "marts.duckdb"
    shutil.copyfile(dashboard_env["published"], copy)
    conn = duckdb.connect(str(copy))
    conn.execute("update publication set data_as_of = ?", [as_of or datetime.now(UTC).replace(tzinfo=None)])
    conn.close()
    monkeypatch.setenv("MGREEN_PUBLISHED_PATH", str(copy))
    at = app("direction")
    assert any("plus de 36 heures" in w.value for w in at.warning) == stale
