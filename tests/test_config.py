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
