"""M'green dashboards: the router (page config, login, navigation, shared sidebar)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import streamlit as st
import streamlit_authenticator as stauth

from dashboards.lib import formatting as fmt
from dashboards.lib.auth import load_config, role_of
from dashboards.lib.filters import filter_bar
from dashboards.lib.page import PageContext
from dashboards.lib.queries import publication
from dashboards.lib.warehouse import NotPublishedError, stamp

PAGES_DIR = Path(__file__).resolve().parent / "app_pages"
PARIS = ZoneInfo("Europe/Paris")
STALE_AFTER_HOURS = 36

# (file, title, icon, roles allowed)
PAGES = (
    ("vue_ensemble.py", "Vue d'ensemble", ":material/dashboard:", {"direction", "commercial", "dpo"}),
    ("commandes.py", "Commandes et chiffre d'affaires", ":material/shopping_cart:", {"direction", "commercial"}),
    ("clients.py", "Clients", ":material/groups:", {"direction", "commercial"}),
    ("entonnoir.py", "Entonnoir", ":material/filter_alt:", {"direction", "commercial"}),
    ("aides.py", "Aides et financement", ":material/savings:", {"direction", "commercial"}),
    ("sav.py", "SAV et satisfaction", ":material/build:", {"direction", "commercial"}),
    ("impayes.py", "Impayés", ":material/receipt_long:", {"direction", "commercial"}),
    ("conformite.py", "Conformité", ":material/verified_user:", {"direction", "dpo"}),
)
# Pages whose figures have no département / category / channel dimension.
DIMENSIONLESS = {"Aides et financement", "SAV et satisfaction", "Conformité"}

st.set_page_config(page_title="M'green — Statistiques", page_icon=":material/eco:", layout="wide")

try:
    config = load_config()
except (FileNotFoundError, ValueError) as exc:
    st.error(str(exc))
    st.stop()
except OSError as exc:
    st.error(
        f"Fichier des comptes illisible ({exc.strerror}) : vérifiez ses droits pour le service des tableaux de bord."
    )
    st.stop()

authenticator = stauth.Authenticate(
    config["credentials"], config["cookie"]["name"], config["cookie"]["key"], config["cookie"]["expiry_days"]
)
authenticator.login(
    location="main",
    fields={"Form name": "Connexion", "Username": "Identifiant", "Password": "Mot de passe", "Login": "Se connecter"},
)
if st.session_state.get("authentication_status") is False:
    st.error("Identifiant ou mot de passe incorrect.")
if not st.session_state.get("authentication_status"):
    st.stop()

role = role_of(config, st.session_state.get("username"))
if role is None:
    # A session whose account was removed since (its cookie still valid): no page.
    st.error("Ce compte n'existe plus. Reconnectez-vous avec un compte valide.")
    authenticator.logout("Se déconnecter", location="main")
    st.stop()
pages = [
    st.Page(str(PAGES_DIR / file), title=title, icon=icon, default=(i == 0))
    for i, (file, title, icon, roles) in enumerate(PAGES)
    if role in roles
]
navigation = st.navigation(pages)

try:
    current = stamp()
except NotPublishedError as exc:
    st.error(str(exc))
    st.stop()
info = publication(current)
as_of = info["data_as_of"]
as_of_utc = as_of.to_pydatetime().replace(tzinfo=UTC) if as_of is not None else None

with st.sidebar:
    st.markdown(f"**{st.session_state.get('name') or st.session_state.get('username')}** · rôle {role}")
    if as_of_utc is not None:
        st.markdown(f"Données au **{fmt.day_time(as_of_utc.astimezone(PARIS))}**")
        age_hours = (datetime.now(UTC) - as_of_utc).total_seconds() / 3600
        if age_hours > STALE_AFTER_HOURS:
            st.warning(
                f"Les données ont plus de {STALE_AFTER_HOURS} heures ({age_hours / 24:.0f} jours) : "
                "la dernière exécution nocturne n'a peut-être pas abouti."
            )
    data_day = (as_of_utc.astimezone(PARIS) if as_of_utc else datetime.now(PARIS)).date()
    filters = filter_bar(data_day, show_dimensions=navigation.title not in DIMENSIONLESS)
    authenticator.logout("Se déconnecter", location="sidebar")

st.session_state["mgreen_context"] = PageContext(current, filters, info, data_day)
navigation.run()
