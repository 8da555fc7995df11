"""Starting the Rasa server: our adjustments to Rasa, its HTTP limits, readiness.

- __main__.py: `python -m runtime run ...`, Rasa's command line after the
  adjustments; every start-up path uses it.
- adjustments.py: every change to Rasa's own code, each guarded by the Rasa
  version and a check that the replaced name exists.
- http_limits.py: body size, time limits and the root route of the server.
- readiness.py: start-up timing, warm-up, and "does the action server take
  our calls?".

The top layer: it may import channels/, clinic/ and persistence/; nothing
imports it but the REST channel's /ready route (readiness).
"""
