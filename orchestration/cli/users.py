"""``mgreen users``: the dashboards' accounts (list, add, passwd, remove).

Passwords are typed twice at a hidden prompt (never an option: it would stay in the shell's
history and in the process list), hashed with bcrypt, and never echoed or logged.
"""

from __future__ import annotations

from contextlib import contextmanager

import click

from dashboards.lib import auth


def _path():
    return auth.auth_file()


def _refuse(exc: Exception) -> None:
    click.echo(click.style("mgreen: ", fg="red", bold=True) + str(exc), err=True)
    raise SystemExit(2)


@contextmanager
def _refused_cleanly():
    """A refused change (an account error, an unreadable file) ends the command with its message, code 2."""
    try:
        yield
    except (auth.AccountError, ValueError) as exc:
        _refuse(exc)


def _password() -> str:
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


@click.group(name="users")
def users() -> None:
    """The dashboards' accounts, in MGREEN_DASHBOARD_AUTH_FILE (roles: direction, commercial, dpo)."""


@users.command(name="list")
def list_accounts() -> None:
    """Every account and its role (never a password or its hash)."""
    try:
        rows = auth.accounts(_path())
    except (ValueError, KeyError, TypeError) as exc:
        _refuse(exc)
    if not rows:
        click.echo(f"No account in {_path()}.")
    for row in rows:
        name = " ".join(p for p in (row["first_name"], row["last_name"]) if p)
        click.echo(f"{row['username']}\t{row['role']}\t{name}\t{row['email']}")


@users.command()
@click.argument("username")
@click.option("--role", type=click.Choice(auth.ROLES), required=True)
@click.option("--first-name", default="", help="Shown in the sidebar (the username otherwise).")
@click.option("--last-name", default="")
@click.option("--email", default="")
def add(username: str, role: str, first_name: str, last_name: str, email: str) -> None:
    """Add an account; the password is asked twice."""
    with _refused_cleanly():
        auth.check_new_account(username, _path())
        auth.add_account(_path(), username, role, _password(), first_name, last_name, email)
    click.echo(f"Account {username} added ({role}) in {_path()}.")


@users.command()
@click.argument("username")
def passwd(username: str) -> None:
    """Change an account's password; the new one is asked twice."""
    with _refused_cleanly():
        auth.require_account(username, _path())
        auth.set_password(_path(), username, _password())
    click.echo(f"Password of {username} changed.")


@users.command()
@click.argument("username")
def remove(username: str) -> None:
    """Remove an account (its open sessions end at their next page load)."""
    with _refused_cleanly():
        auth.remove_account(_path(), username)
    click.echo(f"Account {username} removed.")
