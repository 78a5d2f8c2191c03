"""The one NaN-to-JSON cleaner of device and web: what it gives is valid strict JSON."""

from __future__ import annotations

import json
import math

import numpy as np

from common.jsonsafe import clean


def test_non_finite_numbers_become_null():
    cleaned = clean({"a": math.nan, "b": [math.inf, -math.inf, 1.5], "c": np.float64("nan")})
    assert cleaned == {"a": None, "b": [None, None, 1.5], "c": None}
    json.dumps(cleaned, allow_nan=False)  # raises on any NaN left


def test_numpy_values_become_python_values():
    cleaned = clean({"n": np.int64(3), "x": np.float32(0.5), "arr": np.array([1.0, np.nan])})
    assert cleaned == {"n": 3, "x": 0.5, "arr": [1.0, None]}
    assert type(cleaned["n"]) is int and type(cleaned["x"]) is float


def test_nested_tuples_become_lists_and_strings_stay():
    assert clean(("a", ("b", b"c"), {"k": (1, 2)})) == ["a", ["b", b"c"], {"k": [1, 2]}]


def test_keys_json_cannot_hold_become_strings():
    cleaned = clean({np.int64(7): 1, "s": 2, 3: 3})
    assert cleaned == {"7": 1, "s": 2, 3: 3}
    assert json.loads(json.dumps(cleaned)) == {"7": 1, "s": 2, "3": 3}
