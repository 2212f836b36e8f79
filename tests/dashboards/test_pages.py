"""AppTest: every page for every role, filters changed, figures equal to the published file."""

import shutil
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.lib import formatting as fmt
from dashboards.lib.auth import DEMO_ACCOUNTS, write_demo_auth_file
from dashboards.lib.compare import add_months
from dashboards.lib.filters import period_for
from dashboards.lib.page import level_to_show
from orchestration.project import DASHBOARDS_DIR
from tests.support.tables import table_rows

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
    """Orders and revenue over the period: the published cells added up (a secret cell is NULL)."""
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


def table_with(at, column):
    """The first table of the page with that column."""
    return next(t.value for t in at.dataframe if column in t.value.columns)


def orders_like_for_like(path, start, end, figure, dep="Tous"):
    """``figure`` of mart_orders_monthly summed over the months start..end where it is published
    both that year and the year before: (this year, the year before)."""
    return table_rows(
        path,
        f"""
        select sum(n.{figure}), sum(b.{figure})
        from mart_orders_monthly n join mart_orders_monthly b
          on b.order_month = n.order_month - interval 1 year and b.departement = n.departement
         and b.product_category = n.product_category and b.acquisition_channel = n.acquisition_channel
        where n.order_month between ? and ? and n.departement = ? and n.product_category = 'Tous'
          and n.acquisition_channel = 'Tous' and n.{figure} is not null and b.{figure} is not null""",
        [start, end, dep],
    )[0]


# The cohorts with ``final``: closed (a provisional cohort's rounded totals make no rate).
FINAL_COHORTS = """
    select c.*, coalesce(p.status <> 'provisoire', true) as final from mart_funnel_cohorts c
    left join publication_periods p on p.mart = 'mart_funnel_cohorts' and p.period = c.cohort_month"""


def delta(at, label):
    return next(m.delta for m in at.metric if m.label == label)


def test_overview_compares_complete_months_with_the_same_months_a_year_before(app, dashboard_env):
    published = dashboard_env["published"]
    start, running = last_twelve_months(published)
    end = add_months(running, -1)
    at = app("direction")
    assert not at.exception, [e.message for e in at.exception] + [e.stack_trace for e in at.exception]
    # The tiles add up the complete months; the running month is shown apart, never compared.
    n, revenue = orders_total(published, start, end)
    assert n is not None and n > 0
    assert metric(at, "Commandes") == fmt.number(n)
    assert metric(at, "Chiffre d'affaires HT") == fmt.euros(revenue)
    # Like for like: the months published both years, against the same months a year before.
    n_now, n_before = orders_like_for_like(published, start, end, "n_orders")
    revenue_now, revenue_before = orders_like_for_like(published, start, end, "revenue_excl_tax_eur")
    assert n_before and revenue_before
    assert delta(at, "Commandes") == f"{fmt.percent(n_now / n_before - 1)} vs N-1"
    assert delta(at, "Chiffre d'affaires HT") == f"{fmt.percent(revenue_now / revenue_before - 1)} vs N-1"
    ((new_clients,),) = table_rows(
        published,
        "select sum(n_new_clients) from mart_clients_monthly where month between ? and ? and departement = 'Tous'",
        [start, end],
    )
    assert metric(at, "Nouveaux clients") == fmt.number(new_clients)
    # Conversion: signed quotes over prospects, on the complete cohorts where both are published.
    ((signed, prospects),) = table_rows(
        published,
        f"""
        select sum(n_devis_signe), sum(n_prospects) from ({FINAL_COHORTS})
        where cohort_month between ? and ? and acquisition_channel = 'Tous'
          and n_devis_signe is not null and n_prospects is not null and final""",
        [start, end],
    )
    assert prospects
    assert metric(at, "Taux de conversion (devis signé / prospects)") == fmt.percent(signed / prospects)
    ((running_orders,),) = table_rows(
        published,
        "select n_orders from mart_orders_monthly where order_month = ? and departement = 'Tous' "
        "and product_category = 'Tous' and acquisition_channel = 'Tous'",
        [running],
    )
    assert metric(at, "Commandes du mois en cours") == fmt.number(running_orders)
    assert not delta(at, "Commandes du mois en cours")
    shown = texts(at) + "\n".join(h.value for h in at.subheader)
    assert f"Mois en cours : {fmt.month_long(running)} (provisoire)" in shown
    assert "11 mois complets) comparé aux mêmes mois un an avant" in shown

    at.sidebar.selectbox(key="filter_periode").select("Année précédente").run()
    last_year = period_for("Année précédente", data_day(published))
    n, _ = orders_total(published, *last_year)
    assert metric(at, "Commandes") == fmt.number(n)
    assert at.query_params["periode"] == "Année précédente"
    assert "Commandes du mois en cours" not in [m.label for m in at.metric]
    at.sidebar.selectbox(key="filter_dep").select("91").run()
    n91, _ = orders_total(published, *last_year, "91")
    assert metric(at, "Commandes") == fmt.number(n91)
    n_now, n_before = orders_like_for_like(published, *last_year, "n_orders", "91")
    # No change is shown against nothing (no month published both years, or none counted then).
    assert delta(at, "Commandes") == (f"{fmt.percent(n_now / n_before - 1)} vs N-1" if n_before else "")
    assert at.query_params["dep"] == "91"

    at.sidebar.selectbox(key="filter_periode").select("Mois en cours").run()
    assert not at.exception
    assert "aucun mois complet" in " ".join(i.value for i in at.info)
    assert metric(at, "Commandes du mois en cours") == fmt.number(running_orders)


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


def orders_cells(path, period, departement="Tous", category="Tous"):
    """{month label: (n_orders, n_orders_secret)} of one cell series of mart_orders_monthly."""
    rows = table_rows(
        path,
        """
        select order_month, n_orders, n_orders_secret from mart_orders_monthly
        where order_month between ? and ? and departement = ? and product_category = ?
          and acquisition_channel = 'Tous' order by order_month""",
        [*period, departement, category],
    )
    return {fmt.month(m): (n, secret) for m, n, secret in rows}


def test_secret_cells_read_secret_statistique_and_zeros_read_zero(app, dashboard_env):
    published = dashboard_env["published"]
    period = last_twelve_months(published)
    # The département with the most orders in secret over the period the page opens on (the
    # test CRM moves with the clock: no fixed département has one every day).
    ((departement, n_secret),) = table_rows(
        published,
        """
        select departement, count(*) filter (where n_orders_secret) from mart_orders_monthly
        where product_category = 'Tous' and acquisition_channel = 'Tous' and departement <> 'Tous'
          and order_month between ? and ?
        group by all order by 2 desc, departement limit 1""",
        list(period),
    )
    assert n_secret > 0
    at = app("direction")
    at.switch_page("app_pages/commandes.py").run()
    at.sidebar.selectbox(key="filter_dep").select(departement).run()
    table = table_with(at, "Commandes")
    expected = orders_cells(published, period, departement)
    assert list(table["Mois"]) == list(expected)
    for shown, (n, secret) in zip(table["Commandes"], expected.values()):
        # A secret cell is NULL with its flag: never shown as a number, never as zero.
        assert shown == (fmt.SECRET if secret else fmt.number(n))
    assert (table["Commandes"] == fmt.SECRET).sum() == n_secret
    assert "moins de 5 personnes" in texts(at)
    assert at.get("download_button")


def test_orders_are_published_one_dimension_at_a_time(app, dashboard_env):
    """A département and a category chosen together: the mart does not cross them, so the page
    keeps the département, says so, and shows the département's figures."""
    published = dashboard_env["published"]
    period = last_twelve_months(published)
    category = table_rows(
        published,
        """
        select product_category from mart_orders_monthly
        where departement = 'Tous' and acquisition_channel = 'Tous' and product_category <> 'Tous'
          and order_month between ? and ?
        group by all order by sum(n_orders) desc nulls last, product_category limit 1""",
        list(period),
    )[0][0]
    at = app("direction")
    at.switch_page("app_pages/commandes.py").run()
    at.sidebar.selectbox(key="filter_cat").select(category).run()
    by_category = orders_cells(published, period, category=category)
    assert list(table_with(at, "Commandes")["Commandes"]) == [
        fmt.SECRET if secret else fmt.number(n) for n, secret in by_category.values()
    ]
    assert not at.warning
    at.sidebar.selectbox(key="filter_dep").select("92").run()
    assert any("une dimension à la fois" in w.value for w in at.warning)
    by_dep = orders_cells(published, period, departement="92")
    assert list(table_with(at, "Commandes")["Commandes"]) == [
        fmt.SECRET if secret else fmt.number(n) for n, secret in by_dep.values()
    ]


def test_cancelled_orders_retention_has_cut_into_are_not_read_as_secret(app, dashboard_env, monkeypatch, tmp_path):
    copy = tmp_path / "marts.duckdb"
    shutil.copyfile(dashboard_env["published"], copy)
    period = last_twelve_months(copy)
    conn = duckdb.connect(str(copy))
    # As the mart writes it for a month the prospects' retention has cut into: the count NULL,
    # without its secret flag.
    month = conn.execute(
        "select max(order_month) from mart_orders_monthly where departement = 'Tous' and product_category = 'Tous' "
        "and acquisition_channel = 'Tous' and not n_orders_secret and not n_orders_cancelled_secret "
        "and order_month in (select period from publication_periods where mart = 'mart_orders_monthly' "
        "and status = 'définitif')"
    ).fetchone()[0]
    conn.execute(
        "update mart_orders_monthly set n_orders_cancelled = null, n_orders_cancelled_secret = false "
        "where order_month = ?",
        [month],
    )
    purged = {
        fmt.month(m)
        for (m,) in conn.execute(
            """
            select order_month from mart_orders_monthly
            where departement = 'Tous' and product_category = 'Tous' and acquisition_channel = 'Tous'
              and order_month between ? and ? and n_orders_cancelled is null and not n_orders_cancelled_secret""",
            list(period),
        ).fetchall()
    }
    secret = {
        fmt.month(m)
        for (m,) in conn.execute(
            """
            select order_month from mart_orders_monthly
            where departement = 'Tous' and product_category = 'Tous' and acquisition_channel = 'Tous'
              and order_month between ? and ? and n_orders_cancelled_secret""",
            list(period),
        ).fetchall()
    }
    conn.close()
    assert fmt.month(month) in purged
    monkeypatch.setenv("MGREEN_PUBLISHED_PATH", str(copy))
    at = app("direction")
    at.switch_page("app_pages/commandes.py").run()
    table = table_with(at, "Annulées")
    row = table[table["Mois"] == fmt.month(month)]
    assert list(row["Annulées"]) == [fmt.RETENTION]
    assert list(row["Commandes"]) != [fmt.SECRET]
    assert set(table[table["Annulées"] == fmt.RETENTION]["Mois"]) == purged
    assert set(table[table["Annulées"] == fmt.SECRET]["Mois"]) == secret
    assert "trois ans après leur dernier contact" in texts(at)


def test_clients_read_provisional_months_as_such_and_add_up_the_published_new_clients(app, dashboard_env):
    published = dashboard_env["published"]
    period = last_twelve_months(published)
    rows = table_rows(
        published,
        """
        select c.month, c.n_new_clients, c.n_new_clients_secret, p.status
        from mart_clients_monthly c join publication_periods p on p.mart = 'mart_clients_monthly' and p.period = c.month
        where c.month between ? and ? and c.departement = 'Tous' order by c.month""",
        list(period),
    )
    at = app("direction")
    at.switch_page("app_pages/clients.py").run()
    assert not at.exception
    table = table_with(at, "Nouveaux clients")
    assert list(table["Mois"]) == [
        fmt.month(m) + (" (provisoire)" if status == "provisoire" else "") for m, _, _, status in rows
    ]
    assert list(table["Nouveaux clients"]) == [fmt.SECRET if secret else fmt.number(n) for _, n, secret, _ in rows]
    assert any(status == "provisoire" for *_, status in rows) and any(status == "définitif" for *_, status in rows)
    assert "Provisoire : " in texts(at)
    ((first, left_out),) = table_rows(
        published,
        "select min(month), count(*) filter (where n_new_clients is null) from mart_clients_monthly "
        "where departement = 'Tous' and month <= ?",
        [period[1]],
    )
    assert f"somme des nouveaux clients publiés depuis {fmt.month(first)}" in texts(at)
    assert (f"{left_out} mois en secret statistique" in texts(at)) == (left_out > 0)


def test_no_rate_is_made_of_a_provisional_months_rounded_totals(app, dashboard_env):
    published = dashboard_env["published"]
    _, running = last_twelve_months(published)
    ((answers, promoters, detractors, status),) = table_rows(
        published,
        """
        select n_answers, n_promoters, n_detractors, p.status from mart_satisfaction_monthly s
        join publication_periods p on p.mart = 'mart_satisfaction_monthly' and p.period = s.month
        where s.month = ?""",
        [running],
    )
    # The running month publishes rounded totals (which would make an NPS, 0 when its promoters
    # and detractors round to 0): the page makes none of them.
    assert status == "provisoire" and answers is not None and promoters is not None and detractors is not None
    at = app("direction")
    at.switch_page("app_pages/sav.py").run()
    at.sidebar.selectbox(key="filter_periode").select("Mois en cours").run()
    assert not at.exception
    assert metric(at, "NPS de la période") == fmt.NOT_PUBLISHED
    assert metric(at, "Taux de réponse") == fmt.NOT_PUBLISHED


def test_aid_totals_that_leave_secret_months_out_say_so(app, dashboard_env):
    published = dashboard_env["published"]
    start, end = last_twelve_months(published)
    ((submitted, secret),) = table_rows(
        published,
        "select sum(n_dossiers_submitted), count(*) filter (where n_dossiers_submitted_secret) "
        "from mart_aid_dossiers_monthly where submitted_month between ? and ? and aid_scheme = 'Tous'",
        [start, end],
    )
    at = app("direction")
    at.switch_page("app_pages/aides.py").run()
    assert not at.exception
    tile = next(m for m in at.metric if m.label == "Dossiers déposés")
    assert tile.value == fmt.number(submitted)
    # No bound is claimed: a cell hidden to protect another may hold any value.
    assert tile.delta == (f"partiel : {secret} mois en secret statistique non comptés" if secret else "")
    assert "hors cellules en secret statistique (le total réel est donc plus élevé" in texts(at)


def test_income_categories_are_quarterly_with_their_own_threshold(app, dashboard_env):
    published = dashboard_env["published"]
    start, end = last_twelve_months(published)
    figures = ("n_dossiers_submitted", "n_dossiers_granted", "n_dossiers_refused", "n_dossiers_paid")
    figures += ("requested_eur", "granted_eur")
    rows = table_rows(
        published,
        f"""
        select mpr_income_category, sum(n_dossiers_submitted),
               {" + ".join(f"count(*) filter (where {f}_secret)" for f in figures)}
        from mart_aid_dossiers_quarterly
        where aid_scheme = 'maprimerenov' and mpr_income_category <> 'Tous'
          and submitted_quarter between date_trunc('quarter', cast(? as date)) and ?
        group by 1""",
        [start, end],
    )
    assert rows
    n_secret = sum(s for *_, s in rows)
    at = app("direction")
    at.switch_page("app_pages/aides.py").run()
    assert any("par catégorie de revenus, par trimestre" in h.value for h in at.subheader)
    table = next(t.value for t in at.dataframe if fmt.MPR_CATEGORIES["bleu"] in set(t.value.iloc[:, 0]))
    assert dict(zip(table["Libellé"], table["Déposés"])) == {
        fmt.MPR_CATEGORIES[c]: (fmt.SECRET if n is None else fmt.number(n)) for c, n, _ in rows
    }
    assert dict(zip(table["Libellé"], table["Cellules en secret"])) == {fmt.MPR_CATEGORIES[c]: s for c, _, s in rows}
    # Held to k = 11 (fiscal data), and said so.
    assert "au moins 11 personnes" in texts(at)
    assert (n_secret > 0) == (f"{n_secret} cellules en secret statistique (moins de 11 personnes)" in texts(at))


def test_cohort_funnel_adds_up_published_cells_and_pairs_its_rates(app, dashboard_env):
    published = dashboard_env["published"]
    period = list(last_twelve_months(published))
    figures = {
        "prospect": "n_prospects",
        "demande": "n_demande",
        "devis_envoye": "n_devis_envoye",
        "devis_signe": "n_devis_signe",
        "installe": "n_installe",
        "paye": "n_paye",
    }
    at = app("direction")
    at.switch_page("app_pages/entonnoir.py").run()
    table = table_with(at, "Étape")
    assert list(table["Étape"]) == [fmt.STAGES[s] for s in figures]
    for stage, column in figures.items():
        ((persons, part, whole),) = table_rows(
            published,
            f"""
            select sum({column}),
                   sum({column}) filter (where n_prospects is not null and final),
                   sum(n_prospects) filter (where {column} is not null and final)
            from ({FINAL_COHORTS}) where cohort_month between ? and ? and acquisition_channel = 'Tous'""",
            period,
        )
        row = table[table["Étape"] == fmt.STAGES[stage]]
        assert list(row["Personnes"]) == [fmt.number(persons)]
        assert list(row["Taux"]) == [fmt.percent(part / whole) if whole else fmt.SECRET]
    # Per cohort: a provisional cohort's rounded totals make no rate.
    provisional = {
        fmt.month(p)
        for (p,) in table_rows(
            published,
            "select period from publication_periods where mart = 'mart_funnel_cohorts' and status = 'provisoire' "
            "and period between ? and ?",
            period,
        )
    }
    per_cohort = table_with(at, "Cohorte")
    shown = per_cohort[per_cohort["Cohorte"].isin(provisional)]
    assert len(shown) == len(provisional) > 0
    assert (shown[fmt.STAGES["devis_signe"]] == fmt.NOT_PUBLISHED).all()


def test_web_funnel_tables_speak_french(app, dashboard_env):
    published = dashboard_env["published"]
    at = app("direction")
    at.switch_page("app_pages/entonnoir.py").run()
    tables = {t.value.columns[0]: t.value for t in at.dataframe if t.value.columns[0] in ("Source", "Appareil")}
    sessions = dict(
        table_rows(
            published,
            """
            select utm_source, sum(n_sessions) from mart_web_funnel_monthly
            where utm_source <> 'Tous' and device = 'Tous' and session_month between ? and ? group by 1""",
            list(last_twelve_months(published)),
        )
    )
    assert set(tables["Source"]["Source"]) == {fmt.WEB_SOURCES[code] for code in sessions}
    assert dict(zip(tables["Source"]["Source"], tables["Source"]["Sessions"])) == {
        fmt.WEB_SOURCES[code]: (fmt.SECRET if n is None else fmt.number(n)) for code, n in sessions.items()
    }
    assert set(tables["Appareil"]["Appareil"]) <= set(fmt.DEVICES.values())
    assert list(tables["Source"].columns[1:]) == [
        "Sessions",
        "Avec formulaire",
        "Simulation",
        "Devis",
        "Contact",
        "Rendez-vous",
    ]
    # The web marts count sessions, not persons.
    assert "moins de 5 sessions" in texts(at)


def test_the_compliance_page_speaks_french_to_the_dpo(app, dashboard_env, monkeypatch, tmp_path):
    # A run whose guard found an exception and a failure (a published file holds none: it
    # would not have been published), so that the page's table of them has rows.
    published = tmp_path / "marts.duckdb"
    shutil.copyfile(dashboard_env["published"], published)
    conn = duckdb.connect(str(published))
    reason = "Identifie l'exécution qui a publié le fichier, pas une personne."
    conn.execute(
        "insert into guard_results values ('r1', now(), 'published file', 'publication', 'key_column', 'run_id', "
        "true, 0, ?), ('r1', now(), 'warehouse', 'mart_orders_monthly', 'count_below_k', 'n_orders', false, 2, null)",
        [reason],
    )
    rules = {r for (r,) in conn.execute("select distinct rule from guard_results").fetchall()}
    ((figures, pinned),) = conn.execute(
        "select count(*), sum(failing) from guard_results where rule = 'audit_interval' "
        "and run_id = (select run_id from publication)"
    ).fetchall()
    conn.close()
    # Every rule the guard ran has its French label (an unknown one would show its identifier).
    assert rules <= set(fmt.GUARD_RULES), rules - set(fmt.GUARD_RULES)
    monkeypatch.setenv("MGREEN_PUBLISHED_PATH", str(published))
    at = app("dpo")
    at.switch_page("app_pages/conformite.py").run()
    assert not at.exception
    identifiers = set(fmt.GUARD_RULES) | set(fmt.GUARD_TARGETS) | set(fmt.TABLES) | {"True", "False"}
    for table in at.dataframe:
        shown = {str(v) for v in table.value.to_numpy().ravel()} | {str(c) for c in table.value.columns}
        assert not shown & identifiers, shown & identifiers
    found = table_with(at, "Motif de l'exception")
    assert set(zip(found["Cible"], found["Tableau"], found["Règle"], found["Résultat"])) == {
        ("Fichier publié", "Publication", fmt.GUARD_RULES["key_column"], "exception"),
        ("Entrepôt (marts)", "Commandes", fmt.GUARD_RULES["count_below_k"], "échec"),
    }
    assert reason in set(found["Motif de l'exception"])
    assert figures > 0 and pinned == 0
    assert f"Audit de l'attaquant (publication en cours) : {figures} chiffres" in texts(at)
    assert "aucune cellule secrète n'est recalculable" in texts(at)


def test_conformity_page_shows_k_and_the_guard_runs(app):
    at = app("dpo")
    at.switch_page("app_pages/conformite.py").run()
    assert metric(at, "Seuil de secret statistique (k)") == "5 personnes"
    assert metric(at, "Seuil pour les catégories de revenus") == "11 personnes"
    runs = at.dataframe[0].value
    # A first publication holds its warehouse pass; the pass on a file itself, made once the file
    # is complete, reaches the next publication.
    assert "Entrepôt (marts)" in set(runs["Cible"]) and set(runs["Cible"]) <= {"Entrepôt (marts)", "Fichier publié"}
    assert (runs["Échecs"] == 0).all()


def test_conformity_page_shows_erasures_and_purges_by_month_secret_below_k(app, dashboard_env, monkeypatch, tmp_path):
    copy = tmp_path / "marts.duckdb"
    shutil.copyfile(dashboard_env["published"], copy)
    conn = duckdb.connect(str(copy))
    secret = conn.execute(
        "select month from mart_compliance_monthly where rule = 'effacement' and n_removed_secret order by month desc"
    ).fetchall()
    if not secret:
        # The small test CRM may have no erasure: one is written as the mart writes a count
        # from 1 to k - 1, NULL with its flag.
        month = conn.execute(
            "select max(month) from mart_compliance_monthly where rule = 'effacement' and n_removed = 0"
        ).fetchone()[0]
        conn.execute(
            "update mart_compliance_monthly set n_removed = null, n_removed_secret = true "
            "where rule = 'effacement' and month = ?",
            [month],
        )
    else:
        month = secret[0][0]
    ((erased, purged, n_secret, erasures_secret),) = conn.execute(
        """
        select sum(n_removed) filter (where rule = 'effacement'), sum(n_removed) filter (where rule <> 'effacement'),
               count(*) filter (where n_removed_secret),
               count(*) filter (where n_removed_secret and rule = 'effacement')
        from mart_compliance_monthly"""
    ).fetchall()
    # Every cell of the months where something was removed, as the page should write it.
    cells = conn.execute(
        """
        select month, rule, n_removed, n_removed_secret from mart_compliance_monthly
        where month in (select month from mart_compliance_monthly where n_removed > 0 or n_removed_secret)
        order by month desc"""
    ).fetchall()
    conn.close()
    monkeypatch.setenv("MGREEN_PUBLISHED_PATH", str(copy))
    at = app("dpo")
    at.switch_page("app_pages/conformite.py").run()
    assert not at.exception
    # The tiles add up the published cells only.
    assert metric(at, "Personnes effacées (mois publiés)") == fmt.number(erased or 0)
    erasures_tile = next(m for m in at.metric if m.label == "Personnes effacées (mois publiés)")
    assert f"{erasures_secret} mois en secret statistique (de 1 à 4 chacun)" in erasures_tile.help
    assert metric(at, "Lignes purgées (mois publiés)") == fmt.number(purged)
    assert f"{n_secret} cellules en secret statistique (moins de 5 personnes ou lignes)" in texts(at)
    table = table_with(at, fmt.COMPLIANCE_RULES["effacement"])
    assert list(table.columns) == ["Mois", *fmt.COMPLIANCE_RULES.values()]
    row = table[table["Mois"] == fmt.month(month)]
    assert list(row[fmt.COMPLIANCE_RULES["effacement"]]) == [fmt.below(5)]
    assert fmt.below(5) == "<\u00a05"
    shown = {(r["Mois"], rule): r[rule] for _, r in table.iterrows() for rule in fmt.COMPLIANCE_RULES.values()}
    assert shown == {
        (fmt.month(m), fmt.COMPLIANCE_RULES[rule]): (fmt.below(5) if secret else fmt.number(n))
        for m, rule, n, secret in cells
    }
    assert fmt.SECRET not in set(shown.values())


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


def test_conformity_page_sets_each_retention_rules_oldest_kept_against_its_limit(app, dashboard_env):
    conn = duckdb.connect(str(dashboard_env["published"]), read_only=True)
    status = conn.execute("select rule, months, cutoff, oldest_kept_month, past_limit from retention_status").fetchall()
    conn.close()
    assert {rule for rule, *_ in status} == set(fmt.RETENTION_CLOCKS)
    at = app("dpo")
    at.switch_page("app_pages/conformite.py").run()
    assert not at.exception
    table = table_with(at, "Plus ancienne donnée conservée")
    shown = {
        r["Règle"]: (r["Durée"], r["Supprimé si antérieur au"], r["Plus ancienne donnée conservée"], r["État"])
        for _, r in table.iterrows()
    }
    assert shown == {
        fmt.RETENTION_CLOCKS[rule]: (
            fmt.duration(months),
            fmt.day(limit),
            fmt.NO_VALUE if oldest is None else fmt.month_long(oldest),
            "dans la limite",
        )
        for rule, months, limit, oldest, past in status
    }
    # Nothing kept is older than the month of its limit, and the run kept nothing past it.
    assert all(oldest is None or oldest >= limit.date().replace(day=1) for _, _, limit, oldest, _ in status)
    assert {past for *_, past in status} == {0}
    assert fmt.duration(36) == "3 ans" and fmt.duration(13) == "13 mois"


@pytest.mark.parametrize("chosen", [None, "Mois", "Trimestre"])
def test_aids_by_scheme_offer_the_quarter_where_most_months_are_secret(app, dashboard_env, chosen):
    published = dashboard_env["published"]
    start, end = last_twelve_months(published)
    levels = {
        "Mois": ("mart_aid_dossiers_monthly", "submitted_month", "?", "true"),
        "Trimestre": (
            "mart_aid_dossiers_quarterly",
            "submitted_quarter",
            "date_trunc('quarter', cast(? as date))",
            "mpr_income_category = 'Tous'",
        ),
    }
    shares, sums_by = {}, {}
    for level, (mart, period, first, where) in levels.items():
        rows = table_rows(
            published,
            f"""
            select aid_scheme, sum(n_dossiers_submitted), count(*) filter (where n_dossiers_submitted_secret), count(*)
            from {mart} where {period} between {first} and ? and aid_scheme <> 'Tous' and {where}
            group by 1""",
            [start, end],
        )
        shares[level] = sum(s for *_, s, _ in rows) / sum(n for *_, n in rows)
        sums_by[level] = {fmt.SCHEMES[c]: (fmt.SECRET if n is None else fmt.number(n)) for c, n, _, _ in rows}
    expected_default = level_to_show(shares)
    at = app("direction")
    at.switch_page("app_pages/aides.py").run()
    radio = at.radio(key="aides_niveau")
    assert radio.value == expected_default
    if chosen:
        radio.set_value(chosen).run()
    assert not at.exception
    level = chosen or expected_default
    table = next(t.value for t in at.dataframe if fmt.SCHEMES["maprimerenov"] in set(t.value.iloc[:, 0]))
    assert dict(zip(table["Libellé"], table["Déposés"])) == sums_by[level]
    assert f"{fmt.percent(shares['Mois'])} par mois ; {fmt.percent(shares['Trimestre'])} par trimestre" in texts(at)
    assert ("le détail est proposé par trimestre" in texts(at)) == (expected_default == "Trimestre")


@pytest.mark.parametrize(
    "hidden, opened",
    [
        ({"Mois": 0.9, "Trimestre": 0.6}, "Trimestre"),  # most months hidden, the quarter hides less
        ({"Mois": 0.4, "Trimestre": 0.1}, "Mois"),  # most months shown: the finest level
        ({"Mois": 0.9, "Trimestre": 0.95}, "Mois"),  # the quarter hides more
        ({"Mois": 0.9, "Trimestre": None}, "Mois"),  # no closed quarter
        ({"Mois": None, "Trimestre": 0.2}, "Mois"),  # no closed month: nothing to choose from
        ({"Mois": 1.0, "Trimestre": 0.8, "Année": 0.3}, "Année"),  # the coarser that hides least
    ],
)
def test_a_page_opens_on_the_finest_level_unless_most_of_it_is_hidden(hidden, opened):
    assert level_to_show(hidden) == opened


def test_after_sales_open_on_every_category_together_where_most_category_months_are_secret(app, dashboard_env):
    published = dashboard_env["published"]
    start, end = last_twelve_months(published)
    ((by_category, together),) = table_rows(
        published,
        """
        select avg(case when n_tickets_opened_secret then 1 else 0 end) filter (where ticket_category <> 'Tous'),
               avg(case when n_tickets_opened_secret then 1 else 0 end) filter (where ticket_category = 'Tous')
        from mart_after_sales_monthly m join publication_periods p
          on p.mart = 'mart_after_sales_monthly' and p.period = m.month and p.status <> 'provisoire'
        where m.month between ? and ?""",
        [start, end],
    )
    shares = {"Par catégorie": by_category, "Toutes catégories": together}
    at = app("direction")
    at.switch_page("app_pages/sav.py").run()
    assert not at.exception
    assert at.radio(key="sav_niveau").value == level_to_show(shares)
    assert f"{fmt.percent(by_category)} par catégorie ; {fmt.percent(together)} toutes catégories" in texts(at)
    at.radio(key="sav_niveau").set_value("Toutes catégories").run()
    assert not at.exception
