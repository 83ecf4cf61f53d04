"""The whole stack as `make run` starts it, once per test session, for the tests in this folder."""

from __future__ import annotations

import socket

import pytest
import yaml

from bot.core.settings import PROJECT_ROOT
from tests.helpers.ports import free_port
from tests.helpers.ready import StackExited, wait_listening
from tests.helpers.stack import stack_env, stack_url, start_stack, stop_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The whole stack as `make run` starts it (SQLite, one Rasa), once per test session.

    Yields ``{url, env, process, data_dir, embed_port}``: ``embed_port`` is a free port whose origin
    ``http://127.0.0.1:<embed_port>`` the stack's profile allows to embed the widget. At the end,
    Ctrl-C (SIGINT) must stop every process: exit code 0, no port left open.
    """
    data_dir = tmp_path_factory.mktemp("stack")
    embed_port = free_port()
    profile_data = yaml.safe_load((PROJECT_ROOT / "profiles" / "example.yml").read_text(encoding="utf-8"))
    profile_data["widget"] = {"allowed_origins": [f"http://127.0.0.1:{embed_port}"]}
    profile_path = data_dir / "profile.yml"
    profile_path.write_text(yaml.safe_dump(profile_data, allow_unicode=True), encoding="utf-8")
    env = stack_env(data_dir, KOMMUN_PROFILE=str(profile_path))
    process = start_stack(env)
    try:  # the web app is up long before Rasa: the tests wait for Rasa themselves
        wait_listening(int(env["KOMMUN_PORT"]), process)
    except StackExited:
        pytest.fail((data_dir / "supervisor.log").read_text())
    yield {"url": stack_url(env), "env": env, "process": process, "data_dir": data_dir, "embed_port": embed_port}
    # Ctrl-C stops every process: checked here, after the last test that uses the stack.
    assert process.poll() is None, "the supervisor died during the tests"
    assert stop_stack(process) == 0
    for port in ("KOMMUN_PORT", "KOMMUN_RASA_PORT", "KOMMUN_ACTION_PORT"):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", int(env[port]))) != 0, f"{port} still open after Ctrl-C"
    assert (data_dir / "logs" / "rasa.log").exists()
