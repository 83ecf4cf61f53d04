"""Benchmarks, run through ``python -m bot bench…`` (``make bench…``) from the project's root.

- the load benchmark (``python -m bot bench``): :mod:`tools.bench.runner`;
- understanding per language (``bench-nlu``): :mod:`tools.bench.nlu`;
- language detection (``bench-langid``): :mod:`tools.bench.langid`;
- typed conversations and safety triage on the stack (``bench-dialogue``): :mod:`tools.bench.dialogue`.

Nothing here is imported by the runtime (``bot/``, ``actions/``): the commands import it when they run.
"""
