"""Rasa's own command line (``python -m bot.rasa_server run …`` = ``rasa run …``), without jax.

Rasa imports TensorFlow in its core modules whatever the pipeline (our pipeline uses none of it), and
TensorFlow 2.12 imports jax, when installed, only to offer TFLite's conversion of jax functions
(``tensorflow/lite/python/util.py``: ``try: from jax import xla_computation … except ImportError``).
pip installs jax as a requirement of TensorFlow; marking it absent here makes that import fail as if it
were not installed: 100 MB less memory per Rasa process and 0.5 s less start-up (issue 18,
docs/benchmarks.md). Nothing else changes: the arguments go to Rasa's ``main`` as given.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run Rasa's command line with ``sys.argv`` after marking jax absent (``sys.modules["jax"] = None``)."""
    sys.modules.setdefault("jax", None)  # type: ignore[arg-type]  # None: "import jax" raises ImportError
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
