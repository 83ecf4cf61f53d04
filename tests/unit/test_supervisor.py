"""The supervisor's command lines, checked against Rasa's own argument parser (nothing is started)."""

from __future__ import annotations


def test_rasa_gets_a_token_that_starts_with_a_dash(tmp_path):
    """A random token can start with "-"; Rasa's argument parser must still take it as the value."""
    from bot.core.settings import Settings
    from bot.ops.children import build_children

    settings = Settings.from_env({"KOMMUN_DATA_DIR": str(tmp_path)}).with_overrides(rasa_token="-abc")
    rasa = next(child for child in build_children(settings, tmp_path / "model.tar.gz") if child.name == "Rasa server")
    from rasa.__main__ import create_argument_parser

    arguments = create_argument_parser().parse_args(rasa.argv[3:])  # after "python -m rasa"
    assert arguments.auth_token == "-abc"
