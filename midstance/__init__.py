"""The ``midstance`` command line: the top of the house, assembling ``device`` and ``web``."""
