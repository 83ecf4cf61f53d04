"""Running and administering the assistant: the command line, the supervisor, model training, the plain-language gate.

``python -m bot`` (:mod:`bot.ops.cli`) parses the command; ``run`` is the supervisor, which trains the
model when its inputs changed (:mod:`bot.ops.training`) and starts the action server, Rasa and the web
app as child processes. Not imported by any of those processes.
"""
