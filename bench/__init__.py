"""Benchmarks for ``make bench``: each module prints figures measured side by side in one run."""
