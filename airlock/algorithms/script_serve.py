"""A framework model server: the user's inference script, as framework containers run it.

`python -m airlock.algorithms.script_serve --port P --model-dir DIR --code-dir CODE
--program inference.py --framework xgboost|sklearn`. The script's `model_fn`,
`input_fn`, `predict_fn` and `output_fn` are used where it defines them, the
container's defaults where it does not: the XGBoost container loads `xgboost-model`
(scikit-learn has no default `model_fn`, as in its container); input is decoded
from CSV, JSON or libsvm, predictions come from `model.predict` (a booster predicts
in place), and output is encoded as CSV or JSON. An exception in the user's code
is answered 500 with its message (the runtime reports a ModelError).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from airlock.algorithms.serve import MODEL_FILE, encode, parse_rows, serve


def load_script(code_dir: Path, program: str) -> ModuleType:
    """The user's module, importable with its own folder on the path."""
    sys.path.insert(0, str(code_dir))
    spec = importlib.util.spec_from_file_location(Path(program).stem, code_dir / program)
    if spec is None or spec.loader is None:
        raise ImportError(f"{program} is not a Python file in {code_dir}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Handlers:
    """The four functions, the script's or the defaults."""

    def __init__(self, script: ModuleType, framework: str) -> None:
        self.script = script
        self.framework = framework

    def model_fn(self, model_dir: str) -> Any:
        if hasattr(self.script, "model_fn"):
            return self.script.model_fn(model_dir)
        if self.framework == "xgboost":
            import xgboost as xgb

            booster = xgb.Booster()
            booster.load_model(str(Path(model_dir) / MODEL_FILE))
            booster.set_param({"nthread": 1})  # as the built-in server: one request, one thread
            return booster
        raise NotImplementedError(
            "Please provide a model_fn implementation in the inference script: the "
            "scikit-learn container has no default model loader."
        )

    def input_fn(self, body: bytes, content_type: str) -> Any:
        if hasattr(self.script, "input_fn"):
            return self.script.input_fn(body, content_type)
        return parse_rows(body, content_type)

    def predict_fn(self, data: Any, model: Any) -> Any:
        if hasattr(self.script, "predict_fn"):
            return self.script.predict_fn(data, model)
        if hasattr(model, "inplace_predict"):
            return model.inplace_predict(data)
        return model.predict(data)

    def output_fn(self, prediction: Any, accept: str) -> tuple[bytes, str]:
        if hasattr(self.script, "output_fn"):
            result = self.script.output_fn(prediction, accept)
            if isinstance(result, tuple):
                body, kind = result
            else:
                body, kind = result, accept
            return body if isinstance(body, bytes) else str(body).encode(), kind
        import numpy as np

        return encode(np.asarray(prediction), accept)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A framework model server.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--code-dir", type=Path, required=True)
    parser.add_argument("--program", required=True)
    parser.add_argument("--framework", choices=("xgboost", "sklearn"), required=True)
    args = parser.parse_args(argv)
    try:
        handlers = Handlers(load_script(args.code_dir, args.program), args.framework)
        model = handlers.model_fn(str(args.model_dir))
    except Exception as error:
        print(f"Could not load the model: {type(error).__name__}: {error}", file=sys.stderr)
        return 2

    def score(body: bytes, content_type: str, accept: str) -> tuple[bytes, str]:
        data = handlers.input_fn(body, content_type)
        return handlers.output_fn(handlers.predict_fn(data, model), accept)

    serve(score, args.port, args.program)
    return 0


if __name__ == "__main__":
    sys.exit(main())
