"""How an accuracy evaluation reads in a terminal (``evaluate accuracy``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._base import TextTable

if TYPE_CHECKING:
    from ..evaluation import EvaluationResult

__all__ = ["evaluation_parts"]

ACTUAL = "actual \\ predicted"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _headline(source: str, label: str, rows: int, result: EvaluationResult) -> list[str]:
    counted = f"Label column: {label}; rows: {rows:,}; evaluated: {result.total:,}"
    if result.without_label:
        counted += f"; without label: {result.without_label:,}"
    if result.without_prediction:
        counted += f"; without prediction: {result.without_prediction:,}"
    return [f"Dataset: {source}", counted, f"Accuracy: {result.accuracy:.4f} ({result.correct:,}/{result.total:,})"]


def evaluation_parts(source: str, label: str, rows: int, result: EvaluationResult,
                     profile_id: str | None = None) -> list[str | TextTable]:
    """The report: dataset, label column and counts, accuracy, a per-class table
    (precision, recall, support), the confusion matrix, and the recorded profile."""
    per_class = TextTable(("class", "precision", "recall", "support"), [
        {"class": c, "precision": _ratio(result.precision[c]), "recall": _ratio(result.recall[c]),
         "support": f"{result.support[c]:,}"} for c in result.classes], "Per class")
    matrix = TextTable((ACTUAL, *result.classes), [
        {ACTUAL: actual, **{p: f"{result.confusion[actual][p]:,}" for p in result.classes}}
        for actual in result.classes], "Confusion matrix (rows: actual, columns: predicted)",
        right=tuple(result.classes))
    parts: list[str | TextTable] = [*_headline(source, label, rows, result), per_class, matrix]
    if profile_id is not None:
        parts.append(f"Recorded profile {profile_id} of the evaluated rows.")
    return parts
