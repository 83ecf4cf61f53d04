"""The command line on a fresh checkout: a command that reads the database says how to create it."""

from __future__ import annotations

from bot.ops.cli import main


def test_cases_list_without_a_database_says_how_to_create_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KOMMUN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["cases", "list"]) == 1
    error = capsys.readouterr().err
    assert "python -m bot migrate" in error and "OperationalError" not in error
    assert not (tmp_path / "kommun.db").exists()  # reading creates no empty database


def test_cases_list_on_a_database_without_tables_says_how_to_create_them(tmp_path, monkeypatch, capsys):
    (tmp_path / "kommun.db").touch()
    monkeypatch.setenv("KOMMUN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["cases", "list"]) == 1
    assert "has no tables yet: create them with `python -m bot migrate`" in capsys.readouterr().err
