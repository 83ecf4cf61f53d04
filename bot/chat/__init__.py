"""The chat between residents, Rasa and case officers, inside the web app process.

``intake`` takes residents' messages (start, resume, receive, language), ``delivery`` sends them to
Rasa (in order, with locks and retries) and stores the replies, ``notify`` fans events out to open
sockets through the ``hub`` (in process, or over Redis), ``rasa_client`` talks to Rasa's HTTP API.
"""
