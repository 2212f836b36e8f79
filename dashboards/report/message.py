"""The Monday report as an e-mail: HTML with its charts inline (PNG, rendered by vl-convert
without a browser), and a plain-text part for clients that show no HTML."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from html import escape

import pandas as pd

from dashboards.lib import charts
from dashboards.lib import formatting as fmt
from dashboards.report.figures import PARIS, Report

STYLE = (
    "font-family: Arial, sans-serif; color: #1b1b1b;",
    "border-collapse: collapse; margin: 8px 0 16px;",
    "padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: right;",
)


def chart_png(report: Report) -> bytes:
    """Orders by month over the twelve complete months, the same months a year before as a line."""
    import vl_convert

    before = report.orders_before
    if before is not None and not before.empty:
        before = before.assign(month=[d + pd.DateOffset(years=1) for d in pd.to_datetime(before["month"])])
    chart = charts.monthly_bars(report.orders, "n_orders", "Commandes par mois (N et N-1)", previous=before)
    return vl_convert.vegalite_to_png(chart.properties(width=560).to_json(), scale=1.5)


def _table(title: str, rows, head: tuple[str, ...]) -> str:
    body_style, table_style, cell = STYLE
    header = "".join(f'<th style="{cell}">{escape(h)}</th>' for h in head)
    lines = []
    for row in rows:
        cells = "".join(
            f'<td style="{cell}{" text-align: left;" if i == 0 else ""}">{escape(str(v))}</td>'
            for i, v in enumerate(row)
        )
        lines.append(f"<tr>{cells}</tr>")
    return f'<h3>{escape(title)}</h3><table style="{table_style}"><tr>{header}</tr>{"".join(lines)}</table>'


def subject(report: Report) -> str:
    return f"M'green — chiffres de la semaine (données au {fmt.day(report.data_as_of.astimezone(PARIS))})"


def build(report: Report, sender: str, recipients: list[str]) -> EmailMessage:
    stamp = fmt.day_time(report.data_as_of.astimezone(PARIS))
    month = fmt.month_long(report.month)
    months = f"{fmt.month(pd.Timestamp(report.month) - pd.DateOffset(months=11))} – {fmt.month(report.month)}"
    head = ("Indicateur", "Valeur", "Un an avant (N-1)", "Variation", "")
    month_rows = [(f.label, f.value, f.before, f.change, f.note) for f in report.month_figures]
    year_rows = [(f.label, f.value, f.before, f.change, f.note) for f in report.year_figures]
    running = fmt.month_long(report.running)
    step = 2 * report.k
    warning = (
        f"<p style='color:#b00020'>Attention : les données ont plus de 36 heures (au {escape(stamp)}) ; "
        "la dernière exécution nocturne n'a peut-être pas abouti.</p>"
        if report.stale
        else ""
    )
    cid = make_msgid(domain="mgreen.report")
    provisional = " (provisoire : totaux arrondis, pas encore clos)" if report.month_provisional else ""
    html = (
        f'<html><body style="{STYLE[0]}">'
        f"<h2>M'green — chiffres de la semaine</h2><p>Données au <b>{escape(stamp)}</b>.</p>{warning}"
        + _table(f"Dernier mois complet : {month}{provisional}", month_rows, head)
        + _table(f"12 mois complets : {months}", year_rows, head)
        + f'<img src="cid:{cid[1:-1]}" alt="Commandes par mois" width="600">'
        + _table(
            f"Mois en cours : {running} (provisoire, au {report.day})",
            report.running_figures,
            ("Indicateur", "Depuis le 1er"),
        )
        + "<p style='font-size:12px;color:#555'>Chaque variation compare les mêmes mois, publiés les deux années. "
        f"« {fmt.SECRET} » : moins de {report.k} personnes, la valeur n'est pas publiée. Le mois en cours est "
        f"provisoire : totaux arrondis à {step} près (montants à 10 000 € près), jamais comparés. "
        "Chiffres tirés du fichier publié, comme les tableaux de bord.</p></body></html>"
    )
    text = "\n".join(
        [f"M'green — chiffres de la semaine (données au {stamp})", "", f"Dernier mois complet : {month}{provisional}"]
        + [f"  {f.label} : {f.value} (N-1 : {f.before}) {f.change}".rstrip() for f in report.month_figures]
        + ["", f"12 mois complets : {months}"]
        + [f"  {f.label} : {f.value} (N-1 : {f.before}) {f.change}".rstrip() for f in report.year_figures]
        + ["", f"Mois en cours : {running} (provisoire, au {report.day})"]
        + [f"  {label} : {value}" for label, value in report.running_figures]
    )
    message = EmailMessage()
    message["Subject"] = subject(report)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message.get_payload()[1].add_related(chart_png(report), "image", "png", cid=cid)
    return message
