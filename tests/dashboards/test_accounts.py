"""``mgreen users``: accounts added, listed, re-passworded and removed without a hand-written hash;
a password is asked twice, never echoed, never written in clear."""

import stat

import bcrypt
import pytest
import yaml
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from dashboards.lib.auth import load_config
from orchestration.cli import main
from orchestration.project import DASHBOARDS_DIR

PASSWORD = "vert-de-gris-2026"


@pytest.fixture
def users(tmp_path, monkeypatch):
    path = tmp_path / "accounts" / "auth.yaml"
    monkeypatch.setenv("MGREEN_DASHBOARD_AUTH_FILE", str(path))

    def run(*args, typed: str = ""):
        return CliRunner().invoke(main, ["users", *args], input=typed)

    run.path = path
    return run


def stored(path, username):
    return yaml.safe_load(path.read_text(encoding="utf-8"))["credentials"]["usernames"].get(username)


def test_an_account_is_added_with_its_password_typed_twice_and_hashed(users):
    result = users("add", "claire.dpo", "--role", "dpo", "--first-name", "Claire", typed=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    entry = stored(users.path, "claire.dpo")
    assert entry["roles"] == ["dpo"] and entry["first_name"] == "Claire"
    assert bcrypt.checkpw(PASSWORD.encode(), entry["password"].encode())
    assert PASSWORD not in users.path.read_text(encoding="utf-8")
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600
    assert load_config(users.path)["cookie"]["key"]
    listed = users("list")
    assert listed.exit_code == 0 and "claire.dpo\tdpo\tClaire" in listed.output
    assert "$2" not in listed.output


def test_two_different_passwords_add_nothing(users):
    result = users("add", "marc", "--role", "commercial", typed=f"{PASSWORD}\nautre-chose-2026\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert not users.path.exists()


@pytest.mark.parametrize(
    ("args", "typed", "message"),
    [
        (["add", "marc", "--role", "commercial"], "court\ncourt\n", "Password too short"),
        (["add", "Marc Dupont", "--role", "commercial"], "", "Invalid username"),
        (["add", "marc", "--role", "patron"], "", "Invalid value for '--role'"),
        (["passwd", "personne"], "", "No account personne"),
        (["remove", "personne"], "", "No account personne"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(users, args, typed, message):
    users("add", "anne", "--role", "direction", typed=f"{PASSWORD}\n{PASSWORD}\n")
    before = users.path.read_bytes()
    result = users(*args, typed=typed)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert users.path.read_bytes() == before


def test_an_existing_account_is_refused_before_its_password_is_asked(users):
    users("add", "anne", "--role", "direction", typed=f"{PASSWORD}\n{PASSWORD}\n")
    result = users("add", "anne", "--role", "dpo")
    assert result.exit_code == 2 and "exists already" in result.output
    assert "Password" not in result.output
    assert stored(users.path, "anne")["roles"] == ["direction"]


def test_a_password_is_changed_and_an_account_removed(users):
    users("add", "anne", "--role", "direction", typed=f"{PASSWORD}\n{PASSWORD}\n")
    users("add", "paul", "--role", "commercial", typed=f"{PASSWORD}\n{PASSWORD}\n")
    new = "nouveau-mot-de-passe"
    assert users("passwd", "anne", typed=f"{new}\n{new}\n").exit_code == 0
    hashed = stored(users.path, "anne")["password"].encode()
    assert bcrypt.checkpw(new.encode(), hashed) and not bcrypt.checkpw(PASSWORD.encode(), hashed)
    assert users("remove", "anne").exit_code == 0
    assert stored(users.path, "anne") is None and stored(users.path, "paul") is not None


def log_in(username: str, password: str) -> AppTest:
    at = AppTest.from_file(str(DASHBOARDS_DIR / "streamlit_app.py"), default_timeout=60).run()
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    return at


def test_the_dashboards_log_in_an_account_the_command_added(users, monkeypatch):
    users("add", "anne", "--role", "commercial", typed=f"{PASSWORD}\n{PASSWORD}\n")
    monkeypatch.setenv("MGREEN_PUBLISHED_PATH", str(users.path.parent / "missing.duckdb"))
    at = log_in("anne", PASSWORD)
    assert not at.exception
    assert at.session_state["authentication_status"] is True and at.session_state["username"] == "anne"
    # Logged in: what stops the page now is the missing publication, not the password.
    assert [e.value for e in at.error] and "Identifiant ou mot de passe incorrect." not in [e.value for e in at.error]
    at = log_in("anne", "pas-le-bon-mot-de-passe")
    assert "Identifiant ou mot de passe incorrect." in [e.value for e in at.error]


def test_a_session_of_a_removed_account_shows_no_page(users, monkeypatch):
    users("add", "anne", "--role", "direction", typed=f"{PASSWORD}\n{PASSWORD}\n")
    users("add", "paul", "--role", "dpo", typed=f"{PASSWORD}\n{PASSWORD}\n")
    monkeypatch.setenv("MGREEN_PUBLISHED_PATH", str(users.path.parent / "missing.duckdb"))
    at = log_in("anne", PASSWORD)
    assert at.session_state["authentication_status"] is True
    assert users("remove", "anne").exit_code == 0
    at.run()
    assert not at.exception
    assert "Ce compte n'existe plus. Reconnectez-vous avec un compte valide." in [e.value for e in at.error]


def test_a_change_keeps_the_files_mode_so_the_dashboards_still_read_it(users):
    users("add", "anne", "--role", "direction", typed=f"{PASSWORD}\n{PASSWORD}\n")
    users.path.chmod(0o640)  # readable by the dashboards' group
    assert users("passwd", "anne", typed="un-autre-mot-de-passe\nun-autre-mot-de-passe\n").exit_code == 0
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o640
    assert not [p for p in users.path.parent.iterdir() if p.name.startswith(".auth-")]
