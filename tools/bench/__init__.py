"""Benchmarks, run through ``python -m bot bench…`` (``make bench…``) from the project's root.

The load benchmark (``python -m bot bench``), one module per part:

- :mod:`~tools.bench.scenario`: the conversation mix, what residents type, one conversation;
- :mod:`~tools.bench.responses`: which catalog response a bot message is;
- :mod:`~tools.bench.channels`: the stack's chat WebSocket and bare Rasa's REST webhook, turn by turn;
- :mod:`~tools.bench.stats`: the bookkeeping of a run (turns, latencies, errors, lost messages);
- :mod:`~tools.bench.sampler`: the processes of a run (started, RSS and CPU sampled, stopped);
- :mod:`~tools.bench.services`: the production profile's Redis keys (free ports, the PostgreSQL
  administrator, the stack's start and readiness and the chat socket client: ``tests/helpers``);
- :mod:`~tools.bench.runner`: one run (a stack profile, or bare ``rasa run``);
- :mod:`~tools.bench.report`: the targets and the reports;
- :mod:`~tools.bench.load`: the command (every run, the report, the files written).

Units: times are seconds unless a name ends in ``_ms`` (milliseconds); memory is bytes in the JSON
figures and MB (10^6 bytes) in the tables; throughput is turns per second.

The long conversation (``python -m bot bench --growth``, issue 18): :mod:`~tools.bench.growth` (the
script of one resident's 200 turns, the figures per block of 20 turns, the report),
:mod:`~tools.bench.growth_run` (against the stack's profiles and bare ``rasa run``, with the tracker's
size read through Rasa's HTTP API) and :mod:`~tools.bench.inprocess` (``--in-process``: Rasa's Agent
in the benchmark's own process, CPU time per turn, cProfile of the first and the last 20 turns).

The others: understanding per language (``bench-nlu``, :mod:`tools.bench.nlu`), language detection
(``bench-langid``, :mod:`tools.bench.langid`), typed conversations and safety triage on the stack
(``bench-dialogue``, :mod:`tools.bench.dialogue`).

Nothing here is imported by the runtime (``bot/``, ``actions/``): the commands import it when they run.
The helpers shared with the tests live in ``tests/helpers`` and are imported from there (never the
other way round: nothing in ``tests/`` imports ``tools/`` but the tests of the benchmarks themselves).
"""
