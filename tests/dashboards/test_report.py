"""The Monday report: built from the published file only, e-mailed through a local SMTP server
(aiosmtpd), skipped with a clear reason when no SMTP server is configured."""

import email
import os
from datetime import UTC
from email import policy
from pathlib import Path

import dagster as dg
import pytest
from aiosmtpd.controller import Controller

from dashboards.lib import formatting as fmt
from dashboards.lib.compare import add_months
from dashboards.report import monday_report
from dashboards.report.figures import PARIS
from dashboards.report.smtp import ReportConfigurationError, mailer
from orchestration.defs.report.jobs import monday_report_job, monday_report_schedule
from orchestration.project import REPO_ROOT
from tests.support.streamlit_server import free_port
from tests.support.tables import table_rows


class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


def settings(port: int) -> dict:
    return {
        "MGREEN_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "MGREEN_REPORT_TO": "direction@example.fr, dg@example.fr",
        "MGREEN_REPORT_FROM": "statistiques@example.fr",
    }


def published_cell(path: Path, sql: str, params: list):
    ((value,),) = table_rows(path, sql, params)
    return value


def test_the_report_arrives_with_the_published_figures_and_its_chart(published_place, smtp_server):
    port, inbox = smtp_server
    published = published_place.published
    monday_report(published, environ=settings(port))
    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["direction@example.fr", "dg@example.fr"]
    assert envelope.mail_from == "statistiques@example.fr"
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    html = message.get_body(("html",)).get_content()
    kept = Path(os.environ.get("MGREEN_ARTIFACTS_DIR", REPO_ROOT / "artifacts"))
    kept.mkdir(parents=True, exist_ok=True)
    (kept / "monday-report.html").write_text(html, encoding="utf-8")
    # The stamp, the last complete month's orders and the same month a year before, as published.
    ((as_of,),) = table_rows(published, "select data_as_of from publication")
    day = as_of.replace(tzinfo=UTC).astimezone(PARIS)
    assert f"Données au <b>{fmt.day_time(day)}</b>" in html
    assert message["Subject"] == f"M'green — chiffres de la semaine (données au {fmt.day(day)})"
    month = add_months(day.date().replace(day=1), -1)
    orders = "select n_orders from mart_orders_monthly where order_month = ? and departement = 'Tous' and product_category = 'Tous' and acquisition_channel = 'Tous'"
    now, before = (
        published_cell(published, orders, [month]),
        published_cell(published, orders, [add_months(month, -12)]),
    )
    assert now is not None and before
    change = ("+" if now > before else "") + fmt.percent(now / before - 1)
    row = f'Commandes</td><td style="padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: right;">{fmt.number(now)}</td>'
    assert row in html
    assert f">{fmt.number(before)}</td>" in html and f">{change}</td>" in html
    # The last complete month is still provisional on the 4th (its orders close on the 16th).
    status = published_cell(
        published, "select status from publication_periods where mart = 'mart_orders_monthly' and period = ?", [month]
    )
    provisional = " (provisoire : totaux arrondis, pas encore clos)" if status == "provisoire" else ""
    assert f"Dernier mois complet : {fmt.month_long(month)}{provisional}</h3>" in html
    # The chart is inline: a PNG part whose Content-ID the HTML refers to.
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f'src="cid:{images[0]["Content-ID"].strip("<>")}"' in html
    assert "Commandes" in message.get_body(("plain",)).get_content()


def test_the_schedule_skips_without_an_smtp_server_and_runs_with_one(monkeypatch, smtp_server, published_place):
    for name in ("MGREEN_SMTP_URL", "MGREEN_REPORT_TO"):
        monkeypatch.delenv(name, raising=False)
    skipped = monday_report_schedule(dg.build_schedule_context())
    assert isinstance(skipped, dg.SkipReason)
    assert "MGREEN_SMTP_URL and MGREEN_REPORT_TO not set" in skipped.skip_message
    port, inbox = smtp_server
    for name, value in settings(port).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MGREEN_PUBLISHED_PATH", str(published_place.published))
    assert isinstance(monday_report_schedule(dg.build_schedule_context()), dg.RunRequest)
    assert monday_report_job.execute_in_process().success
    assert len(inbox.envelopes) == 1


def test_a_job_without_settings_fails_and_names_them(monkeypatch, published_place):
    for name in ("MGREEN_SMTP_URL", "MGREEN_REPORT_TO"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MGREEN_PUBLISHED_PATH", str(published_place.published))
    result = monday_report_job.execute_in_process(raise_on_error=False)
    assert not result.success
    assert "set MGREEN_SMTP_URL and MGREEN_REPORT_TO" in str(result.failure_data_for_node("send_monday_report").error)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example.fr", "must read smtp://host"),
        ("smtp://mail.example.fr:notaport", "invalid port"),
        ("smtp://robot:secret@mail.example.fr:587", "no encryption"),
    ],
)
def test_a_wrong_smtp_url_is_refused_with_a_message(url, message):
    with pytest.raises(ReportConfigurationError, match=message):
        mailer({"MGREEN_SMTP_URL": url, "MGREEN_REPORT_TO": "a@example.fr", "MGREEN_REPORT_FROM": "b@example.fr"})


def test_an_unreachable_server_fails_without_showing_the_password(published_place):
    closed = free_port()
    environ = {
        "MGREEN_SMTP_URL": f"smtp://robot%40example.fr:mot-de-passe-smtp@127.0.0.1:{closed}?starttls=1",
        "MGREEN_REPORT_TO": "direction@example.fr",
    }
    with pytest.raises(RuntimeError) as failure:
        monday_report(published_place.published, environ=environ)
    assert f"127.0.0.1:{closed}" in str(failure.value)
    assert "mot-de-passe-smtp" not in str(failure.value) and "mot-de-passe-smtp" not in repr(mailer(environ))
    # The sender defaults to the SMTP user when it is an address.
    assert mailer(environ).sender == "robot@example.fr"


def test_the_report_can_be_written_to_a_file_without_sending(published_place, tmp_path):
    out = tmp_path / "report.eml"
    monday_report(published_place.published, environ={}, output=out, send=False)
    message = email.message_from_bytes(out.read_bytes(), policy=policy.default)
    assert "Dernier mois complet" in message.get_body(("html",)).get_content()
