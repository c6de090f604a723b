"""Accuracy of predictions against a dataset's labels (what ``evaluate accuracy`` reports).

Labels and predictions are compared as trimmed text, so ``Yes`` and ``"Yes "``
match and numbers compare by their text; ``normalize=True`` also ignores case
and runs of spaces (``HAM`` = ``ham``). Rows without a label are left out (and
counted); so are rows the predictions don't cover. When predicted and true
labels share no value at all, the result carries a hint saying so.

Predictions from a file are matched to the data by an id column (``content_id``
by default, or the one named), or by row order when neither file has an id
column (said in ``Predictions.how``). Ids in the predictions that the data
doesn't have, and ids listed more than once, are counted, never silently used.
"""

from __future__ import annotations

import importlib
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import LoaderError, ValidationError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EvaluationResult", "Predictions", "evaluate", "load_scorer", "new_seed", "predictions_from_file",
           "predictions_from_scorer", "sample_rows"]

ID_COLUMN = "content_id"
PREDICTION_COLUMN = "prediction"
#: numpy's seeds are unsigned 32-bit integers.
MAX_SEED = 2**32 - 1


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


def _text(series: pd.Series, normalize: bool = False) -> pd.Series:
    def one(value: Any) -> str | None:
        if value is None or (isinstance(value, float) and value != value):
            return None
        text = str(value).strip()
        return " ".join(text.split()).casefold() if normalize else text

    return series.map(one)


def evaluate(labels: pd.Series, predictions: pd.Series, *, normalize: bool = False) -> EvaluationResult:
    """Compare aligned ``labels`` and ``predictions`` (same index); ``normalize``
    compares them ignoring case and runs of spaces."""
    truth, guess = _text(labels, normalize), _text(predictions.reindex(labels.index), normalize)
    without_label = int(truth.isna().sum())
    without_prediction = int((truth.notna() & guess.isna()).sum())
    keep = truth.notna() & guess.notna()
    truth, guess = truth[keep], guess[keep]
    if truth.empty:
        raise ValidationError(
            f"Nothing to evaluate: {without_label} row(s) have no label and {without_prediction} no prediction. "
            "Check that the label column is the right one and that the predictions' ids are the data's ids "
            "(--id-column)."
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
    hints = _hints(set(truth), set(guess), normalize)
    return EvaluationResult(len(truth), correct, classes, precision, recall, support, confusion,
                            without_label, without_prediction, {"hints": hints} if hints else {})


def _hints(truth: set[str], guess: set[str], normalize: bool) -> list[str]:
    """What to say when the predictions can't be right by construction."""
    if truth & guess:
        return []
    shown = f"predicted ({_few(guess)}) and true labels ({_few(truth)}) share no value"
    fold = {" ".join(v.split()).casefold() for v in truth} & {" ".join(v.split()).casefold() for v in guess}
    if fold and not normalize:
        return [(f"The {shown}; they differ only in case or spacing: rerun with --normalize-labels "
                "(Python: normalize=True) to compare them that way.")]
    return [f"The {shown}: check --label-column and that the predictions are for this score."]


def _few(values: set[str], shown: int = 5) -> str:
    listed = ", ".join(sorted(values)[:shown])
    return listed + (f" and {len(values) - shown} more" if len(values) > shown else "")


def new_seed() -> int:
    """A fresh random seed (reported, so a sample can be drawn again)."""
    return secrets.randbelow(MAX_SEED + 1)


def sample_rows(frame: pd.DataFrame, number: int | None, seed: int) -> pd.DataFrame:
    """``number`` rows drawn without replacement with ``seed`` (all rows when
    ``number`` is None or larger); the same seed draws the same rows."""
    if number is None or number >= len(frame):
        return frame
    if number < 1:
        raise ValidationError(f"The number of rows to sample must be at least 1, not {number}.")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValidationError(f"The random seed must be a whole number from 0 to {MAX_SEED}, not {seed!r}.")
    return frame.sample(n=number, random_state=seed).sort_index()


@dataclass(frozen=True)
class Predictions:
    """Predictions aligned to the data's rows, and how they were matched.

    ``how`` says which id column (or row order) matched them; ``unmatched``
    counts prediction rows whose id the data doesn't have; ``duplicates`` counts
    ids listed more than once in the predictions (the first is used) and
    ``data_duplicates`` ids repeated in the data (each row gets the prediction).
    """

    values: pd.Series
    how: str
    unmatched: int = 0
    duplicates: int = 0
    data_duplicates: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"matched_by": self.how, "unmatched_predictions": self.unmatched,
                "duplicate_prediction_ids": self.duplicates, "duplicate_data_ids": self.data_duplicates}


def _read_table(path: Path, encoding: str | None) -> pd.DataFrame:
    """The predictions file, read as the built-in FileItems loader reads data (encodings,
    byte offsets of undecodable text, rows with missing or extra fields)."""
    from .loaders import TrustPolicy, materialize

    config = {"class": "FileItems", "path": path.name, **({"encoding": encoding} if encoding else {})}
    return materialize(config, trust=TrustPolicy(data_roots=(path.resolve().parent,)))


def _id_text(series: pd.Series) -> pd.Series:
    """Ids as text; whole-number floats (an int column with a blank cell) lose their ``.0``."""
    def one(value: Any) -> str | None:
        if value is None or (isinstance(value, float) and value != value):
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()

    return series.map(one)


def predictions_from_file(path: str | Path, frame: pd.DataFrame, id_column: str | None = None,
                          encoding: str | None = None) -> Predictions:
    """Predictions aligned to ``frame``'s rows, from a CSV/Parquet/JSONL file with a
    ``prediction`` column, matched on ``id_column`` (default ``content_id``) when the
    file has it, else by row order when neither the file nor the data has an id
    column and both have the same number of rows. ``encoding`` is the file's text
    encoding (default utf-8)."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"No predictions file at {path}.")
    table = _read_table(path, encoding)
    columns = ", ".join(map(str, table.columns))
    if PREDICTION_COLUMN not in table.columns:
        raise ValidationError(f"The predictions file {path} needs a `prediction` column (it has {columns}).")
    key = id_column or ID_COLUMN
    if key in table.columns and key in frame.columns:
        return _by_id(table, frame, key)
    if id_column or key in table.columns or key in frame.columns:
        where = "the predictions file" if key not in table.columns else "the dataset"
        raise ValidationError(f"Can't match predictions on {key!r}: {where} has no such column "
                              f"(predictions: {columns}; data: {', '.join(map(str, frame.columns))}). "
                              "Name the id column both have with --id-column.")
    if len(table) != len(frame):
        raise ValidationError(f"Neither file has an id column, and {path} has {len(table):,} predictions for "
                              f"{len(frame):,} rows, so they can't be matched by row order. Add an id column to "
                              "both and pass --id-column.")
    import pandas as pd

    values = pd.Series(list(table[PREDICTION_COLUMN]), index=frame.index, dtype=object)
    return Predictions(values, "row order (neither file has an id column)")


def _by_id(table: pd.DataFrame, frame: pd.DataFrame, key: str) -> Predictions:
    import pandas as pd

    ids = _id_text(table[key])
    duplicates = int(ids.dropna().duplicated().sum())
    by_id: dict[str, Any] = {}
    for identifier, value in zip(ids, table[PREDICTION_COLUMN], strict=True):
        if identifier is not None and identifier not in by_id:
            by_id[identifier] = value
    data_ids = _id_text(frame[key])
    unmatched = len(set(by_id) - set(data_ids.dropna()))
    values = pd.Series([by_id.get(i) for i in data_ids], index=frame.index, dtype=object)
    return Predictions(values, f"the {key!r} column", unmatched, duplicates, int(data_ids.dropna().duplicated().sum()))


def load_scorer(spec: str) -> Callable[[pd.DataFrame], Any]:
    """``module:callable`` -> the callable. The module is imported as ``python -m``
    would: the current directory comes first on the import path."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValidationError(f"Name a scorer as module:callable (e.g. my_scorer:predict), not {spec!r}.")
    here = str(Path.cwd())
    if here not in sys.path:  # kept, as python -m keeps it: the scorer may import its neighbours later
        sys.path.insert(0, here)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise LoaderError(f"Can't import the scorer module {module_name!r} (looked in {here} and the installed "
                          f"packages): {exc}") from exc
    except Exception as exc:  # the scorer's own module failed while importing
        raise LoaderError(f"Importing the scorer module {module_name!r} failed: {type(exc).__name__}: {exc}") from exc
    scorer = getattr(module, attr, None)
    if not callable(scorer):
        import difflib

        names = [n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n, None))]
        close = difflib.get_close_matches(attr, names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else (f" Its callables: {', '.join(names[:10])}." if names
                                                              else "")
        raise LoaderError(f"{module_name!r} has no callable {attr!r}.{hint}")
    return scorer


def predictions_from_scorer(scorer: Callable[[pd.DataFrame], Any], frame: pd.DataFrame,
                            batch_size: int = 100) -> pd.Series:
    """Call ``scorer`` on batches of rows; it returns one prediction per row."""
    import pandas as pd

    out: list[Any] = []
    for start in range(0, len(frame), batch_size):
        batch = frame.iloc[start:start + batch_size]
        try:
            result = list(scorer(batch))
        except Exception as exc:  # the scorer is the user's code: say where it failed, in one line
            name = getattr(scorer, "__qualname__", repr(scorer))
            first = str(exc).splitlines()[0][:300] if str(exc) else ""
            raise LoaderError(f"The scorer {name} failed on rows {start:,} to {start + len(batch) - 1:,}: "
                              f"{type(exc).__name__}: {first} (--debug shows its traceback).") from exc
        if len(result) != len(batch):
            raise ValidationError(f"The scorer returned {len(result)} predictions for a batch of {len(batch)} rows.")
        out.extend(result)
    return pd.Series(out, index=frame.index, dtype=object)
