"""Sending through the company's SMTP server, configured by one URL:

    MGREEN_SMTP_URL   smtp://[user[:password]@]host[:port][?starttls=1]   or   smtps://… (TLS)
    MGREEN_REPORT_TO  addresses, separated by commas
    MGREEN_REPORT_FROM  the sender (by default the SMTP user if it is an address)

A user (and its password) is accepted only over TLS (smtps, or starttls=1). A password holding
``/``, ``?``, ``#`` or ``@`` is percent-encoded in the URL (``%2F``, ``%3F``, ``%23``, ``%40``).
Errors name the host and port and the server's reason, never the password.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

SMTP_URL = "MGREEN_SMTP_URL"
REPORT_TO = "MGREEN_REPORT_TO"
REPORT_FROM = "MGREEN_REPORT_FROM"


class ReportConfigurationError(ValueError):
    """The report cannot be sent as configured (the message says what to set)."""


@dataclass(frozen=True)
class Mailer:
    host: str
    port: int
    tls: bool  # implicit TLS (smtps)
    starttls: bool
    user: str | None
    password: str | None
    sender: str
    recipients: list[str]

    def __repr__(self) -> str:  # never the password
        return f"Mailer({self.host}:{self.port}, to {len(self.recipients)} recipient(s))"

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        try:
            if self.tls:
                server = smtplib.SMTP_SSL(self.host, self.port, timeout=30, context=context)
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=30)
            with server:
                if self.starttls:
                    server.starttls(context=context)
                if self.user:
                    server.login(self.user, self.password or "")
                server.send_message(message, from_addr=self.sender, to_addrs=self.recipients)
        except (OSError, smtplib.SMTPException) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            if self.password:
                reason = reason.replace(self.password, "***")
            raise RuntimeError(f"Sending the report through {self.host}:{self.port} failed ({reason}).") from None


def missing(environ=os.environ) -> list[str]:
    """The settings the report needs and lacks (empty: it can be sent)."""
    return [name for name in (SMTP_URL, REPORT_TO) if not (environ.get(name) or "").strip()]


def mailer(environ=os.environ) -> Mailer:
    lacking = missing(environ)
    if lacking:
        raise ReportConfigurationError(f"The Monday report is not configured: set {' and '.join(lacking)}.")
    url = urlsplit(environ[SMTP_URL].strip())
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise ReportConfigurationError(
            f"{SMTP_URL} must read smtp://host[:port] or smtps://host[:port] (scheme {url.scheme!r} given)."
        )
    try:
        port = url.port or (465 if url.scheme == "smtps" else 25)
    except ValueError:
        raise ReportConfigurationError(f"{SMTP_URL} has an invalid port.") from None
    user = unquote(url.username) if url.username else None
    recipients = [a.strip() for a in environ[REPORT_TO].split(",") if a.strip()]
    if not all("@" in a for a in recipients):
        raise ReportConfigurationError(f"{REPORT_TO} must list e-mail addresses separated by commas.")
    tls = url.scheme == "smtps"
    starttls = parse_qs(url.query).get("starttls", ["0"])[0] in ("1", "true", "yes")
    if user and not (tls or starttls):
        raise ReportConfigurationError(
            f"{SMTP_URL} gives a user but no encryption: use smtps:// or add ?starttls=1, so that the password "
            "never travels in clear."
        )
    sender = (environ.get(REPORT_FROM) or "").strip() or (user if user and "@" in user else "")
    if "@" not in sender:
        raise ReportConfigurationError(f"Set {REPORT_FROM} to the report's sender address.")
    return Mailer(
        url.hostname,
        port,
        tls,
        starttls,
        user,
        unquote(url.password) if url.password else None,
        sender,
        recipients,
    )
