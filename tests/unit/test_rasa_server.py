"""``python -m bot.rasa_server``: Rasa's command line, with TensorFlow working and jax never loaded."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import sys
sys.argv = ["rasa", "--version"]
from bot.rasa_server import main
try:
    main()
except SystemExit:
    pass
import tensorflow
import rasa.utils.tensorflow.callback  # Rasa's own TensorFlow code still imports
print("JAX", sys.modules.get("jax"))
"""


def test_rasa_runs_its_command_line_and_tensorflow_loads_without_jax():
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Rasa Version" in done.stdout
    assert "JAX None" in done.stdout
