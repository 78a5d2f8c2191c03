"""The TFLite interpreter: LiteRT (``ai_edge_litert``) when installed, else ``tflite_runtime``.

Both use XNNPACK as their default CPU delegate, so nothing else needs configuring.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import numpy as np

from device.pose.models import ModelError

try:
    from ai_edge_litert.interpreter import Interpreter

    RUNTIME = "ai_edge_litert"
except ImportError:  # the Pi's Python 3.11 with numpy < 2 may carry tflite_runtime instead
    from tflite_runtime.interpreter import Interpreter  # type: ignore[no-redef]

    RUNTIME = "tflite_runtime"


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, elementwise: the models' score and visibility logits as
    probabilities."""
    return 1.0 / (1.0 + np.exp(-x))


class Model:
    """One TFLite model with a float32 input: ``outputs = model(tensor)``.

    ``outputs`` are the model's output tensors in its own order, as numpy views into the
    interpreter's buffers: use them before the next call and do not keep them.
    """

    def __init__(self, path: Path, threads: int = 2):
        try:
            with _quiet_stderr():
                self.interpreter = Interpreter(
                    model_path=str(path), num_threads=max(1, int(threads))
                )
                self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{path}: not a usable TFLite model ({first})") from None
        inp = self.interpreter.get_input_details()[0]
        self.input_index = inp["index"]
        self.input_shape = tuple(int(n) for n in inp["shape"])
        outs = sorted(self.interpreter.get_output_details(), key=lambda d: _order(d["name"]))
        # views into the interpreter's own buffers: no copy of the 640 kB heatmap per frame
        self._outputs = [self.interpreter.tensor(d["index"]) for d in outs]

    def __call__(self, tensor: np.ndarray) -> list[np.ndarray]:
        """Run the model on one (1, H, W, 3) float32 tensor."""
        self.interpreter.set_tensor(self.input_index, tensor)
        self.interpreter.invoke()
        return [view() for view in self._outputs]


@contextlib.contextmanager
def _quiet_stderr():
    """Silence the runtime's native "INFO: Created TensorFlow Lite XNNPACK delegate" line, so
    a command's stderr holds only our own one-line messages."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no usable fd 2 (embedded interpreter): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _order(name: str) -> int:
    # Outputs are named Identity, Identity_1, ...: MediaPipe's graphs index them in that order.
    tail = name.rsplit("_", 1)[-1]
    return int(tail) if name.startswith("Identity_") and tail.isdigit() else 0
