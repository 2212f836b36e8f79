"""Login (hashed passwords from a configuration file, streamlit-authenticator) and roles.

Roles: ``direction`` sees everything, ``commercial`` everything but the compliance page,
``dpo`` the compliance page and the overview. The file is YAML:

    credentials: {usernames: {<user>: {first_name, last_name, email, password: <bcrypt>, roles: [<role>]}}}
    cookie: {name, key, expiry_days}

In production, Streamlit's ``st.login`` with the company's OIDC provider can replace it.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

ROLES = ("direction", "commercial", "dpo")
AUTH_FILE_ENV = "MGREEN_DASHBOARD_AUTH_FILE"


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


def auth_file() -> Path:
    from orchestration.project import DATA_DIR

    return Path(os.environ.get(AUTH_FILE_ENV) or DATA_DIR / "dashboards" / "auth.yaml")


def write_demo_auth_file(path: Path) -> None:
    """The demo accounts, passwords hashed with bcrypt, and a random cookie key."""
    import streamlit_authenticator as stauth

    config = {
        "credentials": {
            "usernames": {
                a.username: {
                    "first_name": a.first_name,
                    "last_name": a.last_name,
                    "email": f"{a.username}@mgreen.example",
                    "password": stauth.Hasher.hash(a.password),
                    "roles": [a.role],
                }
                for a in DEMO_ACCOUNTS
            }
        },
        "cookie": {"name": "mgreen_dashboards", "key": secrets.token_urlsafe(32), "expiry_days": 1},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=True), encoding="utf-8")
    path.chmod(0o600)


def load_config(path: Path | None = None) -> dict:
    path = path or auth_file()
    if not path.exists():
        raise FileNotFoundError(
            f"Fichier des comptes introuvable : {path}. `mgreen demo` crée des comptes de démonstration ; "
            f"sinon indiquez votre fichier avec {AUTH_FILE_ENV}."
        )
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
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
