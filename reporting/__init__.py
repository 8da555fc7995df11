"""`make report`: what patients ask, read from the tracker store (reporting/__main__.py).

- source.py   where the conversations are (endpoints.yml) and streaming them
- analyze.py  one pass over the events: volume, topics, gaps, safety, bookings
- gaps.py     grouping the unanswered questions by similarity
- svg.py      the charts (inline SVG)
- page.py     the HTML page; pdf.py prints it with headless Chromium
"""
