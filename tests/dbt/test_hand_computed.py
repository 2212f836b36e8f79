"""A tiny CRM written by hand, whose figures are computed by hand, through the whole nightly job.

Four persons, all first met through the web form in January 2026, all in the Essonne (91):
- P1: contacts 1 and 2 (same email, typed differently). Requests a quote, signs 10,000 EUR
  (heat pump), order 201 installed 15 Feb; deposit invoice paid 25 Jan; balance invoice of
  10,550 EUR partly paid (5,000) and due 18 Mar. Survey answered 10.
- P2: contact 3. Requests a quote, signs 4,000 EUR (water heater), installed 10 Feb; invoice
  of 4,220 EUR never paid, due 13 Mar. Survey answered 5.
- P3: contact 4, phone only. Asks for contact, gets a quote, never signs.
- P4: contacts 5 and 6 (the second has no email and contact 5's phone). Signs 6,000 EUR,
  then cancels the order.
With k = 2:
- persons 4; clients 2 (P4's only order is cancelled); new clients in January 2;
- January orders 2 (+1 cancelled), revenue 14,000 EUR, basket 7,000 EUR, 3 persons;
- funnel, cohort January: prospects 4, demande 2, devis envoyé 4, devis signé 3, installé 2,
  payé 1;
- NPS in February: one promoter, one detractor over two answers: 0; response rate 100 %;
- unpaid at the end of March: 2 invoices, 5,550 + 4,220 = 9,770 EUR still due.
Each figure is checked where it is computed (the aggregates, restricted) and as published:
where disclosure control hides it (below k, or an amount two contributors make), the test
says why.

The night is computed as of 30 November 2026 (the run's one instant, pinned), so these figures
do not depend on the day the test runs: at the real clock, from January 2029 P3 and P4 would be
prospects silent for three years, whom retention purges before the figures are computed.
"""

import sqlite3
from datetime import date, datetime
from decimal import Decimal

import pytest

from synthetic_crm.source import schema_statements
from tests.support.nightly import run_in_place
from tests.support.places import make_place
from tests.support.tables import table_rows

pytestmark = pytest.mark.e2e
# The night's instant (naive UTC): 30 November 2026, 23:00 in Paris.
AS_OF = datetime(2026, 11, 30, 22, 0)

ROWS = {
    "products": [
        ("PAC-AE-11KW", "pompe_a_chaleur_air_eau", "PAC", 11900, 0.055, "2025-01-01 00:00:00"),
        ("BT-200L", "ballon_thermodynamique", "Ballon", 3100, 0.055, "2025-01-01 00:00:00"),
        ("CHG-15KW", "chaudiere_granules", "Chaudière", 14800, 0.055, "2025-01-01 00:00:00"),
    ],
    "contacts": [
        (
            1,
            "Mme",
            "Alpha",
            "Anne",
            "anne.alpha@example.org",
            "0611111111",
            "1 rue A",
            "91000",
            "Évry",
            "formulaire_web",
            None,
            "2026-01-10 09:00:00",
            "2026-01-11 09:00:00",
            "2026-01-11 09:00:00",
        ),
        (
            2,
            "Mme",
            "Alpha",
            "Anne",
            " ANNE.ALPHA@EXAMPLE.ORG ",
            None,
            "1 rue A",
            "91000",
            "Évry",
            "telephone",
            None,
            "2026-03-01 09:00:00",
            None,
            "2026-03-01 09:00:00",
        ),
        (
            3,
            "M.",
            "Beta",
            "Bruno",
            "bruno.beta@example.org",
            "0644444444",
            "2 rue B",
            "91100",
            "Corbeil",
            "formulaire_web",
            None,
            "2026-01-15 09:00:00",
            "2026-01-16 09:00:00",
            "2026-01-16 09:00:00",
        ),
        (
            4,
            "M.",
            "Gamma",
            "Gil",
            None,
            "06 22 22 22 22",
            "3 rue C",
            "91000",
            "Évry",
            "formulaire_web",
            None,
            "2026-01-20 09:00:00",
            "2026-01-20 09:05:00",
            "2026-01-20 09:05:00",
        ),
        (
            5,
            "Mme",
            "Delta",
            "Dora",
            "dora.delta@example.org",
            "0633333333",
            "4 rue D",
            "91200",
            "Athis",
            "formulaire_web",
            None,
            "2026-01-05 09:00:00",
            None,
            "2026-01-05 09:00:00",
        ),
        (
            6,
            "Mme",
            "Delta",
            "Dora",
            None,
            "06 33 33 33 33",
            "4 rue D",
            "91200",
            "Athis",
            "telephone",
            None,
            "2026-02-01 09:00:00",
            None,
            "2026-02-01 09:00:00",
        ),
    ],
    "requests": [
        (1, 1, "devis", "web", "pompe_a_chaleur_air_eau", None, "2026-01-11 09:00:00", "2026-01-11 09:00:00"),
        (2, 3, "devis", "web", "ballon_thermodynamique", None, "2026-01-16 09:00:00", "2026-01-16 09:00:00"),
        (3, 4, "contact", "web", None, None, "2026-01-20 09:05:00", "2026-01-20 09:05:00"),
    ],
    "quotes": [
        (
            101,
            1,
            1,
            "2026-01-11 12:00:00",
            "2026-01-12 09:00:00",
            "2026-01-20 09:00:00",
            "signe",
            "91000",
            10000.00,
            10550.00,
            "2026-01-20 09:00:00",
        ),
        (
            102,
            3,
            1,
            "2026-01-16 12:00:00",
            "2026-01-18 09:00:00",
            "2026-01-25 09:00:00",
            "signe",
            "91100",
            4000.00,
            4220.00,
            "2026-01-25 09:00:00",
        ),
        (
            103,
            4,
            1,
            "2026-01-21 12:00:00",
            "2026-01-25 09:00:00",
            None,
            "envoye",
            "91000",
            3000.00,
            3165.00,
            "2026-01-25 09:00:00",
        ),
        (
            104,
            5,
            1,
            "2026-01-06 12:00:00",
            "2026-01-08 09:00:00",
            "2026-01-28 09:00:00",
            "signe",
            "91200",
            6000.00,
            6330.00,
            "2026-01-28 09:00:00",
        ),
    ],
    "quote_lines": [
        (101, 1, "PAC-AE-11KW", 1, 10000.00, "2026-01-11 12:00:00"),
        (102, 1, "BT-200L", 1, 4000.00, "2026-01-16 12:00:00"),
        (103, 1, "BT-200L", 1, 3000.00, "2026-01-21 12:00:00"),
        (104, 1, "CHG-15KW", 1, 6000.00, "2026-01-06 12:00:00"),
    ],
    "orders": [
        (201, 101, 1, "2026-01-21 09:00:00", "installee", "1 rue A", "91000", "Évry", None, "2026-02-15 16:00:00"),
        (202, 102, 3, "2026-01-26 09:00:00", "installee", "2 rue B", "91100", "Corbeil", None, "2026-02-10 16:00:00"),
        (
            203,
            104,
            5,
            "2026-01-29 09:00:00",
            "annulee",
            "4 rue D",
            "91200",
            "Athis",
            "2026-02-02 09:00:00",
            "2026-02-02 09:00:00",
        ),
    ],
    "installations": [
        (301, 201, 1, "2026-02-15", "2026-02-15 15:00:00", None, "2026-02-15 15:00:00"),
        (302, 202, 1, "2026-02-10", "2026-02-10 15:00:00", None, "2026-02-10 15:00:00"),
    ],
    "invoices": [
        (401, 201, "F2026-000401", "2026-01-22 09:00:00", "2026-02-06", 3000.00, "payee", "2026-01-25 09:00:00"),
        (
            402,
            201,
            "F2026-000402",
            "2026-02-16 09:00:00",
            "2026-03-18",
            10550.00,
            "partiellement_payee",
            "2026-02-20 09:00:00",
        ),
        (403, 202, "F2026-000403", "2026-02-11 09:00:00", "2026-03-13", 4220.00, "en_retard", "2026-03-14 01:00:00"),
    ],
    "payments": [
        (501, 401, "2026-01-25 09:00:00", 3000.00, "carte", None, "1234", "2026-01-25 09:00:00"),
        (502, 402, "2026-02-20 09:00:00", 5000.00, "cheque", None, None, "2026-02-20 09:00:00"),
    ],
    "survey_responses": [
        (601, 1, 201, "2026-02-22 09:00:00", "2026-02-23 09:00:00", 10, None, "2026-02-23 09:00:00"),
        (602, 3, 202, "2026-02-17 09:00:00", "2026-02-20 09:00:00", 5, None, "2026-02-20 09:00:00"),
    ],
}


@pytest.fixture(scope="module")
def hand_run(tmp_path_factory):
    place = make_place(tmp_path_factory.mktemp("hand"))
    place.sqlite.parent.mkdir(parents=True, exist_ok=True)
    place.web_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(place.sqlite)
    for stmt in schema_statements():
        conn.execute(stmt)
    for table, rows in ROWS.items():
        marks = ", ".join("?" * len(rows[0]))
        conn.executemany(f"insert into {table} values ({marks})", rows)
    conn.commit()
    conn.close()
    run_in_place(place, k=2, as_of=AS_OF)
    return place


def test_persons_and_clients(hand_run):
    assert table_rows(hand_run.warehouse, "select count(*) from intermediate.int_persons_resolved")[0][0] == 4
    clients = """
        select {} from mart_clients_monthly where month = '{}' and departement = '{}'"""
    assert table_rows(hand_run.published, clients.format("n_new_clients", "2026-01-01", "Tous")) == [(2,)]
    assert table_rows(hand_run.published, clients.format("n_active_clients", "2026-02-01", "91")) == [(2,)]
    # November, the running month, is provisional: its total only, counts rounded to 2 × k.
    november = "select departement, n_new_clients, n_active_clients from {} where month = '2026-11-01'"
    rows = table_rows(hand_run.published, november.format("mart_clients_monthly"))
    true = {r[0]: r[1:] for r in cells(hand_run, november.format("aggregates.agg_clients_monthly"))}["Tous"]
    assert rows == [("Tous", *(int(n / 4 + 0.5) * 4 for n in true))]
    assert table_rows(
        hand_run.published,
        "select status from publication_periods where mart = 'mart_clients_monthly' and period = '2026-11-01'",
    ) == [("provisoire",)]


def cells(place, sql: str) -> list[tuple]:
    """The true cells behind a mart, in the restricted warehouse (aggregates schema)."""
    return table_rows(place.warehouse, sql)


def test_orders_and_revenue(hand_run):
    january = """
        from {} where order_month = '2026-01-01' and departement = 'Tous'
        and product_category = 'Tous' and acquisition_channel = 'Tous'"""
    assert cells(
        hand_run,
        "select n_orders, n_orders_cancelled, revenue_excl_tax_eur, average_basket_eur "
        + january.format("aggregates.agg_orders_monthly"),
    ) == [(2, 1, Decimal("14000.00"), 7000.0)]
    # Published: the two orders. One cancelled order is below k (2); the revenue has two
    # contributors, so each would know the other's (p % rule): both secret, the basket with it.
    rows = table_rows(
        hand_run.published,
        "select n_orders, n_orders_cancelled, n_orders_cancelled_secret, revenue_excl_tax_eur, "
        "revenue_excl_tax_eur_secret, average_basket_eur_secret " + january.format("mart_orders_monthly"),
    )
    assert rows == [(2, None, True, None, True, True)]
    # One order per category: below k, secret; the chaudière's only order was cancelled.
    categories = table_rows(
        hand_run.published,
        """
        select product_category, n_orders, n_orders_secret, n_orders_cancelled_secret from mart_orders_monthly
        where order_month = '2026-01-01' and departement = 'Tous' and acquisition_channel = 'Tous'
        and product_category in ('ballon_thermodynamique', 'chaudiere_granules', 'pompe_a_chaleur_air_eau')
        order by 1""",
    )
    assert categories == [
        ("ballon_thermodynamique", None, True, False),
        ("chaudiere_granules", 0, False, True),
        ("pompe_a_chaleur_air_eau", None, True, False),
    ]


def test_funnel_stages(hand_run):
    stages = "n_prospects, n_demande, n_devis_envoye, n_devis_signe, n_installe, n_paye"
    january = " from {} where cohort_month = '2026-01-01' and acquisition_channel = 'Tous'"
    assert cells(hand_run, f"select {stages}" + january.format("aggregates.agg_funnel_cohorts")) == [(4, 2, 4, 3, 2, 1)]
    # Published: one payer is below k; three signed of four prospects would say that exactly
    # one prospect (P3) never signed, so devis signé is secret too.
    rows = table_rows(
        hand_run.published,
        f"select {stages}, n_devis_signe_secret, n_paye_secret, median_days_to_signature, "
        "median_days_signature_to_installation" + january.format("mart_funnel_cohorts"),
    )
    # Signed 20 Jan -> installed 15 Feb (26 days); 25 Jan -> 10 Feb (16 days): median 21.
    # First contact to signature: P1 10 -> 20 Jan and P2 15 -> 25 Jan (10 days each), P4
    # longer (signed 28 Jan): median 10.
    assert rows == [(4, 2, 4, None, 2, None, True, True, 10.0, 21.0)]


def test_nps(hand_run):
    february = " from {} where month = '2026-02-01'"
    assert cells(
        hand_run,
        "select n_answers, n_promoters, n_detractors, nps" + february.format("aggregates.agg_satisfaction_monthly"),
    ) == [(2, 1, 1, 0.0)]
    # One promoter and one detractor: each below k, secret, and the NPS made of them too.
    rows = table_rows(
        hand_run.published,
        "select n_answers, response_rate, n_promoters_secret, n_detractors_secret, nps, nps_secret"
        + february.format("mart_satisfaction_monthly"),
    )
    assert rows == [(2, 1.0, True, True, None, True)]


def test_unpaid_at_month_end(hand_run):
    rows = table_rows(
        hand_run.published,
        """
        select month, n_invoices_unpaid, amount_unpaid_eur_secret from mart_unpaid_monthly
        where departement = 'Tous' and month in ('2026-02-01', '2026-03-01') order by month""",
    )
    # End of February: nothing is past due yet (due 13 and 18 March). End of March: two
    # invoices of two debtors, 5,550 + 4,220 EUR: the amount is secret (each debtor would read
    # the other's from it), true in the warehouse.
    assert rows == [(date(2026, 2, 1), 0, False), (date(2026, 3, 1), 2, True)]
    assert cells(
        hand_run,
        "select amount_unpaid_eur from aggregates.agg_unpaid_monthly where month = '2026-03-01' and departement = 'Tous'",
    ) == [(Decimal("9770.00"),)]
