"""Accuracy of predictions against a dataset's labels (what ``evaluate accuracy`` reports).

Labels and predictions are compared as trimmed text, so ``Yes`` and ``"Yes "``
match and numbers compare by their text. Rows without a label are left out
(and counted); so are rows the predictions don't cover.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import LoaderError, ValidationError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EvaluationResult", "evaluate", "load_scorer", "predictions_from_file", "predictions_from_scorer",
           "sample_rows"]

ID_COLUMN = "content_id"


@dataclass(frozen=True)
class EvaluationResult:
    total: int
    correct: int
    classes: list[str]
    precision: dict[str, float | None]
    recall: dict[str, float | None]
    support: dict[str, int]
    confusion: dict[str, dict[str, int]]  # actual -> predicted -> count
    without_label: int = 0
    without_prediction: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "correct": self.correct, "accuracy": self.accuracy, "classes": self.classes,
                "precision": self.precision, "recall": self.recall, "support": self.support,
                "confusion": self.confusion, "without_label": self.without_label,
                "without_prediction": self.without_prediction, **self.extra}


def _text(series: pd.Series) -> pd.Series:
    return series.map(lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v).strip())


def evaluate(labels: pd.Series, predictions: pd.Series) -> EvaluationResult:
    """Compare aligned ``labels`` and ``predictions`` (same index)."""
    truth, guess = _text(labels), _text(predictions.reindex(labels.index))
    without_label = int(truth.isna().sum())
    without_prediction = int((truth.notna() & guess.isna()).sum())
    keep = truth.notna() & guess.notna()
    truth, guess = truth[keep], guess[keep]
    if truth.empty:
        raise ValidationError(
            f"Nothing to evaluate: {without_label} row(s) have no label and {without_prediction} no prediction. "
            "Check that the label column is the right one and that the predictions use the data's content_id "
            "values."
        )
    classes = sorted(set(truth) | set(guess))
    confusion = {a: {p: 0 for p in classes} for a in classes}
    for actual, predicted in zip(truth, guess, strict=True):
        confusion[actual][predicted] += 1
    precision, recall, support = {}, {}, {}
    for c in classes:
        predicted_c = sum(confusion[a][c] for a in classes)
        actual_c = sum(confusion[c].values())
        precision[c] = confusion[c][c] / predicted_c if predicted_c else None
        recall[c] = confusion[c][c] / actual_c if actual_c else None
        support[c] = actual_c
    correct = sum(confusion[c][c] for c in classes)
    return EvaluationResult(len(truth), correct, classes, precision, recall, support, confusion,
                            without_label, without_prediction)


def sample_rows(frame: pd.DataFrame, number: int | None, seed: int | None) -> pd.DataFrame:
    """``number`` rows drawn without replacement (all rows when ``number`` is None or larger)."""
    if number is None or number >= len(frame):
        return frame
    if number < 1:
        raise ValidationError(f"The number of rows to sample must be at least 1, not {number}.")
    return frame.sample(n=number, random_state=seed).sort_index()


def predictions_from_file(path: str | Path, frame: pd.DataFrame) -> pd.Series:
    """Predictions aligned to ``frame``'s rows, from a CSV/Parquet/JSONL file with
    columns ``content_id`` and ``prediction``."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise ValidationError(f"No predictions file at {path}.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            table = pd.read_parquet(path)
        elif suffix in (".jsonl", ".ndjson"):
            table = pd.read_json(path, lines=True, dtype=False)
        else:
            table = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
    except Exception as exc:  # pandas raises many kinds for unreadable files
        raise ValidationError(f"Can't read predictions from {path}: {exc}") from exc
    missing = {ID_COLUMN, "prediction"} - set(table.columns)
    if missing:
        raise ValidationError(f"The predictions file needs columns content_id and prediction; missing "
                              f"{', '.join(sorted(missing))} (it has {', '.join(map(str, table.columns))}).")
    if ID_COLUMN not in frame.columns:
        raise ValidationError("The dataset has no content_id column to match predictions on; "
                              "predict with a scorer callable instead.")
    by_id = dict(zip(_text(table[ID_COLUMN]), table["prediction"], strict=True))
    return pd.Series([by_id.get(i) for i in _text(frame[ID_COLUMN])], index=frame.index, dtype=object)


def load_scorer(spec: str) -> Callable[[pd.DataFrame], Any]:
    """``module:callable`` -> the callable."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValidationError(f"Name a scorer as module:callable (e.g. my_scorer:predict), not {spec!r}.")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise LoaderError(f"Can't import the scorer module {module_name!r}: {exc}") from exc
    scorer = getattr(module, attr, None)
    if not callable(scorer):
        raise LoaderError(f"{module_name!r} has no callable {attr!r}.")
    return scorer


def predictions_from_scorer(scorer: Callable[[pd.DataFrame], Any], frame: pd.DataFrame,
                            batch_size: int = 100) -> pd.Series:
    """Call ``scorer`` on batches of rows; it returns one prediction per row."""
    import pandas as pd

    out: list[Any] = []
    for start in range(0, len(frame), batch_size):
        batch = frame.iloc[start:start + batch_size]
        result = list(scorer(batch))
        if len(result) != len(batch):
            raise ValidationError(f"The scorer returned {len(result)} predictions for a batch of {len(batch)} rows.")
        out.extend(result)
    return pd.Series(out, index=frame.index, dtype=object)
