"""Login (hashed passwords from a configuration file, streamlit-authenticator) and roles.

Roles: ``direction`` sees everything, ``commercial`` everything but the compliance page,
``dpo`` the compliance page and the overview. The file is YAML:

    credentials: {usernames: {<user>: {first_name, last_name, email, password: <bcrypt>, roles: [<role>]}}}
    cookie: {name, key, expiry_days}

Accounts are managed with ``mgreen users`` (``add_account``, ``set_password``, ``remove_account``,
``accounts`` below); docs/dashboards.md describes an OIDC set-up instead.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from dashboards.lib.config import AUTH_FILE_ENV, auth_file

ROLES = ("direction", "commercial", "dpo")


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    first_name: str
    last_name: str


# Demo only (documented in the README); a real deployment writes its own file.
DEMO_ACCOUNTS = (
    DemoAccount("direction", "demo-direction-2026", "direction", "Direction", "Démo"),
    DemoAccount("commercial", "demo-commercial-2026", "commercial", "Commercial", "Démo"),
    DemoAccount("dpo", "demo-dpo-2026", "dpo", "DPO", "Démo"),
)


MIN_PASSWORD_LENGTH = 12
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


class AccountError(ValueError):
    """A change of accounts refused (``mgreen users``): the message says why, never with a password."""


def _hash(password: str) -> str:
    """bcrypt, as streamlit-authenticator checks it (without importing Streamlit in the CLI)."""
    import bcrypt

    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")


def _empty_config() -> dict:
    return {
        "credentials": {"usernames": {}},
        "cookie": {"name": "mgreen_dashboards", "key": secrets.token_urlsafe(32), "expiry_days": 1},
    }


def _write(path: Path, config: dict) -> None:
    """Replace the file at once (a reader sees the old file or the new one, even after a power
    cut), with the old file's mode and group (a new file: readable by its owner only), so that
    the dashboards' service keeps reading it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.stat() if path.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=".auth-", dir=path.parent)
    try:
        os.fchmod(fd, stat.S_IMODE(old.st_mode) if old else 0o600)
        if old and old.st_gid != os.getegid():
            try:
                os.fchown(fd, -1, old.st_gid)
            except PermissionError:
                pass  # not a member of that group: the mode still says who may read
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(yaml.safe_dump(config, allow_unicode=True, sort_keys=True))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_demo_auth_file(path: Path) -> None:
    """The demo accounts, passwords hashed with bcrypt, and a random cookie key."""
    config = _empty_config()
    config["credentials"]["usernames"] = {
        a.username: {
            "first_name": a.first_name,
            "last_name": a.last_name,
            "email": f"{a.username}@mgreen.example",
            "password": _hash(a.password),
            "roles": [a.role],
        }
        for a in DEMO_ACCOUNTS
    }
    _write(path, config)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Password too short: at least {MIN_PASSWORD_LENGTH} characters.")
    if password != password.strip():
        raise AccountError("A password may not begin or end with a space.")


def _existing(path: Path) -> dict:
    return load_config(path) if path.exists() else _empty_config()


@contextmanager
def _changing(path: Path):
    """The accounts, read then written back under a lock: two changes at once never lose one."""
    from filelock import FileLock

    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(path.parent / f".{path.name}.lock"):
        config = _existing(path)
        yield config
        _write(path, config)


def accounts(path: Path) -> list[dict]:
    """Every account without its hash: username, first and last name, e-mail, role."""
    users = load_config(path)["credentials"]["usernames"] if path.exists() else {}
    return [
        {
            "username": name,
            "first_name": entry.get("first_name", ""),
            "last_name": entry.get("last_name", ""),
            "email": entry.get("email", ""),
            "role": entry["roles"][0],
        }
        for name, entry in sorted(users.items())
    ]


def check_new_account(username: str, path: Path) -> None:
    """Refuse a username that is invalid or taken (before a password is asked for it)."""
    if not USERNAME.match(username):
        raise AccountError(
            f"Invalid username {username!r}: 2 to 40 characters, lower-case letters, digits, '.', '_' or '-'."
        )
    if path.exists() and username in load_config(path)["credentials"]["usernames"]:
        raise AccountError(f"The account {username} exists already (`mgreen users passwd` changes its password).")


def require_account(username: str, path: Path) -> None:
    if not path.exists() or username not in load_config(path)["credentials"]["usernames"]:
        raise AccountError(f"No account {username} in {path}.")


def add_account(
    path: Path, username: str, role: str, password: str, first_name: str = "", last_name: str = "", email: str = ""
) -> None:
    """A new account (the file is created, with a random cookie key, if there is none)."""
    check_new_account(username, path)
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r} (roles: {', '.join(ROLES)}).")
    check_password(password)
    with _changing(path) as config:
        users = config["credentials"]["usernames"]
        if username in users:
            raise AccountError(f"The account {username} exists already (`mgreen users passwd` changes its password).")
        users[username] = {
            "first_name": first_name or username,
            "last_name": last_name,
            "email": email,
            "password": _hash(password),
            "roles": [role],
        }


def _known(config: dict, path: Path, username: str) -> dict:
    users = config["credentials"]["usernames"]
    if username not in users:
        raise AccountError(f"No account {username} in {path}.")
    return users


def set_password(path: Path, username: str, password: str) -> None:
    check_password(password)
    with _changing(path) as config:
        _known(config, path, username)[username]["password"] = _hash(password)


def remove_account(path: Path, username: str) -> None:
    with _changing(path) as config:
        del _known(config, path, username)[username]


def load_config(path: Path | None = None) -> dict:
    path = path or auth_file()
    if not path.exists():
        raise FileNotFoundError(
            f"Fichier des comptes introuvable : {path}. `mgreen users add` crée un compte (et le fichier), "
            f"`mgreen demo` des comptes de démonstration ; un autre fichier s'indique avec {AUTH_FILE_ENV}."
        )
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["credentials"]["usernames"] = config["credentials"].get("usernames") or {}
    for user, entry in config["credentials"]["usernames"].items():
        roles = [r for r in entry.get("roles") or [] if r in ROLES]
        if not roles:
            raise ValueError(f"Le compte {user} n'a aucun rôle connu ({', '.join(ROLES)}).")
        if not str(entry.get("password", "")).startswith("$2"):
            raise ValueError(f"Le mot de passe du compte {user} n'est pas haché (bcrypt attendu).")
    return config


def role_of(config: dict, username: str | None) -> str | None:
    if not username:
        return None
    entry = config["credentials"]["usernames"].get(username)
    return entry["roles"][0] if entry else None
