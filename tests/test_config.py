from pathlib import Path

import pytest

from relance import config


def test_no_database_url_means_sqlite_in_the_data_directory(tmp_path):
    db = config.database(None, tmp_path)
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "relance.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert "synchronous=NORMAL" in db["OPTIONS"]["init_command"]


def test_sqlite_can_flush_every_commit_to_the_disk(tmp_path):
    db = config.database(None, tmp_path, {"RELANCE_SQLITE_SYNCHRONOUS": "full"})
    assert "synchronous=FULL" in db["OPTIONS"]["init_command"]
    with pytest.raises(config.ConfigError, match=r"expected NORMAL .* or FULL"):
        config.database(None, tmp_path, {"RELANCE_SQLITE_SYNCHRONOUS": "OFF"})


def test_the_chosen_synchronous_mode_is_the_one_sqlite_runs_with(tmp_path):
    import sqlite3

    options = config.sqlite_options({"RELANCE_SQLITE_SYNCHRONOUS": "FULL"})
    with sqlite3.connect(tmp_path / "x.sqlite3") as connection:
        connection.executescript(options["init_command"])
        assert connection.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_postgresql_url_is_read_in_full(tmp_path):
    db = config.database("postgres://relance:s%40cret@127.0.0.1:5433/crm?sslmode=disable", tmp_path)
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "crm", "relance", "s@cret", "127.0.0.1", "5433",
    )  # fmt: skip
    assert db["OPTIONS"] == {"sslmode": "disable", "options": "-c jit=off"}


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://x/y", "unsupported scheme"),
        ("postgres://127.0.0.1:5432/", "database name is missing"),
        ("postgres://127.0.0.1:port/db", "port is not a number"),
        ("sqlite://relative.db", "expected sqlite:///absolute"),
    ],
)
def test_a_database_url_we_do_not_understand_is_refused(tmp_path, url, words):
    with pytest.raises(config.ConfigError, match=words):
        config.database(url, tmp_path)


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), ("yes", True), ("off", False), ("", False)]
)
def test_booleans_are_read_strictly(raw, value):
    assert config.env_bool("X", not value, {"X": raw}) is value


def test_a_boolean_we_do_not_understand_is_refused():
    with pytest.raises(config.ConfigError, match="RELANCE_DEBUG='maybe'"):
        config.env_bool("RELANCE_DEBUG", False, {"RELANCE_DEBUG": "maybe"})


def test_the_data_directory_and_secret_key_are_created_once(tmp_path):
    directory = config.data_dir({"RELANCE_DATA_DIR": str(tmp_path / "d")})
    key = config.secret_key(directory, {})
    assert len(key) > 40
    assert config.secret_key(directory, {}) == key
    assert (directory / "secret_key").stat().st_mode & 0o077 == 0


SETTINGS = Path(config.__file__).with_name("settings.py")


def start_with(monkeypatch, tmp_path, **env: str) -> dict:
    """Read settings.py as the program does at start, with these variables set."""
    import runpy

    monkeypatch.setenv("RELANCE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RELANCE_LANGUAGE", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("RELANCE_LANGUAGE", "de", "expected fr or en"),
        ("RELANCE_OUTBOX_LEASE_SECONDS", "0", "expected a whole number from 1 to 86400"),
        ("RELANCE_OUTBOX_LEASE_SECONDS", "-1", "expected a whole number from 1 to 86400"),
        ("RELANCE_SMTP_PORT", "70000", "expected a whole number from 1 to 65535"),
        ("RELANCE_SMTP_TIMEOUT", "-5", "expected a whole number from 1 to 3600"),
        ("RELANCE_SEND_PER_MINUTE", "-1", "expected a whole number, 0 or more"),
        ("RELANCE_SEND_PER_DAY", "-10", "expected a whole number, 0 or more"),
        ("RELANCE_SEND_PER_DOMAIN_PER_MINUTE", "-1", "expected a whole number, 0 or more"),
        ("RELANCE_LOGIN_FAILURE_LIMIT", "-1", "expected a whole number from 1 to 1000"),
        ("RELANCE_LOGIN_FAILURE_LIMIT", "0", "expected a whole number from 1 to 1000"),
        ("RELANCE_LOGIN_COOLOFF_MINUTES", "0", "expected a whole number from 1 to 10080"),
        (
            "RELANCE_BASE_URL",
            "relance.example.com",
            "expected the web app's address, like https://",
        ),
        ("RELANCE_BASE_URL", "ftp://relance.example.com", "expected the web app's address"),
        ("RELANCE_BASE_URL", "https://relance.example.com:99999", "expected the web app's address"),
        ("RELANCE_BASE_URL", "https://relance.example.com/?x=1", "without ?…"),
        ("RELANCE_FROM_EMAIL", "relance", "expected an e-mail address"),
        ("RELANCE_TRUSTED_PROXY", "the-proxy", "expected the TLS proxy's IP address"),
        ("RELANCE_TRUSTED_PROXY_COUNT", "2", "has no meaning without RELANCE_TRUSTED_PROXY"),
    ],
)
def test_a_setting_outside_what_relance_can_use_is_refused_at_start_by_name(
    monkeypatch, tmp_path, name, value, expected
):
    with pytest.raises(config.ConfigError) as refused:
        start_with(monkeypatch, tmp_path, **{name: value})
    assert str(refused.value).startswith(f"{name}={value!r}")
    assert expected in str(refused.value)


def test_the_proxy_settings_are_read_and_checked(monkeypatch, tmp_path):
    plain = start_with(monkeypatch, tmp_path)
    assert (plain["RELANCE_TRUSTED_PROXY"], plain["RELANCE_BASE_URL"]) == (
        "",
        "http://localhost:8000",
    )
    behind = start_with(
        monkeypatch, tmp_path, RELANCE_TRUSTED_PROXY=" [::1] ", RELANCE_TRUSTED_PROXY_COUNT="2",
        RELANCE_BASE_URL="https://relance.example.com/",
    )  # fmt: skip
    assert behind["RELANCE_TRUSTED_PROXY"] == "::1"
    assert behind["RELANCE_TRUSTED_PROXY_COUNT"] == 2
    assert behind["RELANCE_TRUSTED_PROXY_HEADERS"] == ("x-forwarded-for", "x-forwarded-proto")
    assert behind["RELANCE_BASE_URL"] == "https://relance.example.com"
    assert behind["SECURE_PROXY_SSL_HEADER"] is None  # Django reads the scheme waitress set
    with pytest.raises(config.ConfigError, match="RELANCE_TRUSTED_PROXY_COUNT='11'"):
        start_with(
            monkeypatch,
            tmp_path,
            RELANCE_TRUSTED_PROXY="127.0.0.1",
            RELANCE_TRUSTED_PROXY_COUNT="11",
        )
    with pytest.raises(config.ConfigError, match="or forwarded alone"):
        start_with(monkeypatch, tmp_path, RELANCE_TRUSTED_PROXY="127.0.0.1",
                   RELANCE_TRUSTED_PROXY_COUNT="1",
                   RELANCE_TRUSTED_PROXY_HEADERS="forwarded,x-forwarded-for")  # fmt: skip


def test_a_setting_is_refused_in_the_readers_language(monkeypatch, tmp_path):
    config.use_language("fr")
    try:
        with pytest.raises(config.ConfigError) as refused:
            start_with(monkeypatch, tmp_path, RELANCE_OUTBOX_LEASE_SECONDS="0")
    finally:
        config.use_language(None)
    assert str(refused.value) == (
        "RELANCE_OUTBOX_LEASE_SECONDS='0' : attendu un nombre entier de 1 à 86400"
    )
    assert config.message_language({"LANG": "fr_FR.UTF-8"}) == "fr"
    assert config.message_language({"RELANCE_LANGUAGE": "en", "LANG": "fr_FR.UTF-8"}) == "en"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://localhost:8000", "localhost"),
        ("https://127.0.0.1", "localhost"),
        ("https://[::1]:8443", "localhost"),
        ("https://relance.localhost", "localhost"),
        ("http://relance.example.com", "http"),
        ("https://relance.example.com", None),
    ],
)
def test_links_that_would_not_work_for_candidates_are_recognised(url, problem):
    assert config.base_url_problem(url) == problem
