"""The supervisor's parts: settings of each part's address, command lines checked against Rasa's own
argument parser, what ``run --only`` refuses, and ``--only web`` waiting for Rasa (nothing of ours is started)."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest
import yaml
from aiohttp import web

from bot.core.settings import Settings
from bot.ops.children import build_children, busy_ports, render_endpoints
from bot.ops.supervisor import await_other_hosts, only_problem
from tests.helpers.ports import serving

PRODUCTION = {
    "DATABASE_URL": "postgresql+asyncpg://kommun@db.example/kommun",
    "KOMMUN_RASA_TOKEN": "rasa-secret",
    "KOMMUN_ACTION_TOKEN": "action-secret",
    "KOMMUN_SESSION_SECRET": "c2Vzc2lvbi1zZWNyZXQtb2YtMzItYnl0ZXMtLS0tLS0=",
}


def rasa_arguments(argv: list[str]):
    from rasa.__main__ import create_argument_parser

    return create_argument_parser().parse_args(argv[3:])  # after "python -m rasa"


def test_rasa_gets_a_token_that_starts_with_a_dash(tmp_path):
    """A random token can start with "-"; Rasa's argument parser must still take it as the value."""
    settings = Settings.from_env({"KOMMUN_DATA_DIR": str(tmp_path)}).with_overrides(rasa_token="-abc")
    rasa = next(child for child in build_children(settings, tmp_path / "model.tar.gz") if child.name == "Rasa server")
    assert rasa_arguments(rasa.argv).auth_token == "-abc"


def test_by_default_every_part_listens_on_loopback_and_reaches_the_others_there(tmp_path):
    settings = Settings.from_env({"KOMMUN_DATA_DIR": str(tmp_path), "KOMMUN_RASA_TOKEN": "t"})
    assert (settings.host, settings.rasa_host, settings.action_host) == ("127.0.0.1",) * 3
    assert settings.rasa_urls == ["http://127.0.0.1:5005"]
    assert settings.action_server_url == "http://127.0.0.1:5055"
    children = {child.name: child for child in build_children(settings, tmp_path / "model.tar.gz")}
    assert rasa_arguments(children["Rasa server"].argv).interface == "127.0.0.1"
    assert children["action server"].env["SANIC_HOST"] == "127.0.0.1"
    endpoints = yaml.safe_load(render_endpoints(settings).read_text())
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:5055/webhook"


def test_each_part_binds_its_own_address_and_the_urls_name_the_other_hosts(tmp_path):
    env = {
        **PRODUCTION,
        "KOMMUN_DATA_DIR": str(tmp_path),
        "REDIS_URL": "redis://cache.example:6379/0",
        "KOMMUN_HOST": "10.0.0.2",
        "KOMMUN_RASA_HOST": "10.0.0.5",
        "KOMMUN_RASA_PORT": "6005",
        "KOMMUN_RASA_PROCESSES": "2",
        "KOMMUN_ACTION_HOST": "0.0.0.0",
        "KOMMUN_RASA_URLS": " http://10.0.0.5:6005/, http://10.0.0.5:6006,https://rasa.internal:443",
        "KOMMUN_ACTION_URL": "http://10.0.0.7:5055/",
    }
    settings = Settings.from_env(env)
    assert settings.rasa_urls == ["http://10.0.0.5:6005", "http://10.0.0.5:6006", "https://rasa.internal:443"]
    assert settings.action_server_url == "http://10.0.0.7:5055"
    assert settings.local_rasa_urls == ["http://10.0.0.5:6005", "http://10.0.0.5:6006"]
    assert settings.local_action_url == "http://127.0.0.1:5055"  # bound to every interface: reached on loopback
    assert Settings.from_env(settings.child_env()).rasa_urls == settings.rasa_urls  # children see the same list
    rasa = build_children(settings, tmp_path / "model.tar.gz", ["rasa"])
    assert [rasa_arguments(child.argv).interface for child in rasa] == ["10.0.0.5", "10.0.0.5"]
    assert [rasa_arguments(child.argv).port for child in rasa] == [6005, 6006]
    assert [child.url for child in rasa] == settings.local_rasa_urls
    (actions,) = build_children(settings, None, ["actions"])
    assert actions.env["SANIC_HOST"] == "0.0.0.0" and actions.url == "http://127.0.0.1:5055"
    (web_app,) = build_children(settings, None, ["web"])
    assert web_app.url == "http://10.0.0.2:8080" and web_app.env["KOMMUN_RASA_URLS"] == ",".join(settings.rasa_urls)
    endpoints = yaml.safe_load(render_endpoints(settings).read_text())
    assert endpoints["action_endpoint"]["url"] == "http://10.0.0.7:5055/webhook"  # Rasa calls the other host


@pytest.mark.parametrize(
    "value", ["10.0.0.5:5005", "http://10.0.0.5:5005/webhooks", "ftp://x:1", ",", "http://a:1,http://a:1"]
)
def test_rasa_urls_that_are_no_list_of_base_urls_are_refused(value):
    with pytest.raises(ValueError, match="KOMMUN_RASA_URLS"):
        Settings.from_env({"KOMMUN_RASA_URLS": value})


def test_a_part_alone_needs_postgresql_and_the_shared_secrets_from_the_environment(tmp_path):
    embedded = Settings.from_env({"KOMMUN_DATA_DIR": str(tmp_path)})
    assert "DATABASE_URL=postgresql" in only_problem(embedded, "web")
    settings = Settings.from_env({**PRODUCTION, "KOMMUN_DATA_DIR": str(tmp_path)})
    assert [only_problem(settings, part) for part in ("web", "rasa", "actions")] == [None, None, None]
    problem = only_problem(settings.with_overrides(rasa_token="", session_secret=""), "web")
    assert "KOMMUN_RASA_TOKEN, KOMMUN_SESSION_SECRET" in problem and "same value on every host" in problem
    assert only_problem(settings.with_overrides(rasa_token=""), "actions") is None  # the action server needs it not
    assert "KOMMUN_ACTION_TOKEN" in only_problem(settings.with_overrides(action_token=""), "rasa")
    assert not list(tmp_path.glob("*.token"))  # nothing was generated into the data directory


def test_busy_ports_looks_only_at_the_parts_run_here_on_their_own_address():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        settings = Settings(rasa_port=port, action_port=port, port=port, rasa_host="127.0.0.1")
        assert busy_ports(settings, ["rasa"]) == [f"127.0.0.1:{port}"]
        assert busy_ports(settings.with_overrides(rasa_host="127.0.0.3", host="127.0.0.2"), ["rasa", "web"]) == []


async def test_the_web_app_alone_waits_for_rasa_and_says_so_until_it_answers(capsys):
    """``--only web`` never gives up on Rasa: it says what it waits for, then that all answer."""
    answering = asyncio.Event()

    async def status(request: web.Request) -> web.Response:
        if not answering.is_set():
            return web.json_response({}, status=503)
        return web.json_response({"model_file": "m.tar.gz"})

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/status", status)
    app.router.add_get("/health", health)
    async with serving(app) as url:
        settings = Settings(rasa_url_list=(url,), action_url=url, rasa_token="t")
        async with aiohttp.ClientSession() as http:
            waiting = asyncio.create_task(await_other_hosts(settings, http, asyncio.Event()))
            for _ in range(100):
                await asyncio.sleep(0.05)
                if "waiting for" in capsys.readouterr().out:
                    break
            else:
                pytest.fail("no message about waiting for Rasa")
            assert not waiting.done()
            answering.set()
            await asyncio.wait_for(waiting, 10)
        assert f"Rasa at {url}" in capsys.readouterr().out


def test_run_only_without_the_shared_secrets_stops_with_what_to_set(tmp_path, monkeypatch, capsys):
    from bot.ops.cli import main
    from tests.helpers.stack import NOT_INHERITED

    for name in (*NOT_INHERITED, "KOMMUN_SESSION_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KOMMUN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", PRODUCTION["DATABASE_URL"])  # nothing connects: it stops before
    monkeypatch.setenv("KOMMUN_ACTION_TOKEN", "action-secret")
    assert main(["run", "--only", "rasa"]) == 1
    error = capsys.readouterr().err
    assert "--only rasa needs KOMMUN_RASA_TOKEN in the environment, the same value on every host" in error
    assert not list(tmp_path.glob("*.token"))
