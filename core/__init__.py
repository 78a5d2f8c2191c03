"""Midstance's analysis core: body landmarks in, running steps and verdicts out.

Pure Python and numpy (plus stdlib sqlite3 for the session store). Nothing here touches a
camera, GPIO or the web; ``device`` and ``web`` build on it.
"""
