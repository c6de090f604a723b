"""How an accuracy evaluation reads in a terminal (``evaluate accuracy``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._base import TextTable

if TYPE_CHECKING:
    from ..evaluation import EvaluationResult

__all__ = ["evaluation_parts"]

ACTUAL = "actual \\ predicted"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _headline(report: Mapping[str, Any], result: EvaluationResult) -> list[str]:
    rows, population = report["rows"], report.get("population") or report["rows"]
    evaluated = f"rows: {rows:,}" if rows == population else f"a sample of {rows:,} of {population:,} rows"
    if report.get("seed") is not None:
        evaluated += f" (seed {report['seed']}; --random-seed {report['seed']} draws it again)"
    counted = f"Label column: {report['label_column']}; {evaluated}; evaluated: {result.total:,}"
    if result.without_label:
        counted += f"; without label: {result.without_label:,}"
    if result.without_prediction:
        counted += f"; without prediction: {result.without_prediction:,}"
    return [f"Dataset: {report['dataset']}", *_snapshot(report), counted, *_matching(report),
            f"Accuracy: {result.accuracy:.4f} ({result.correct:,}/{result.total:,})"]


def _snapshot(report: Mapping[str, Any]) -> list[str]:
    """Which snapshot (exact data) was evaluated, and how to evaluate the same rows again."""
    if not report.get("snapshot"):
        return []
    built = report.get("built_at")
    when = f", built {built[:10]} {built[11:16]} UTC" if built else ""
    return [f"Snapshot: {report['snapshot']}{when}",
            f"  (--dataset {report['snapshot']} evaluates these rows again)"]


def _matching(report: Mapping[str, Any]) -> list[str]:
    """How predictions met the rows, when they came from a file."""
    how = report.get("matched_by")
    if not how or how == "scorer":
        return []
    line = f"Predictions matched by {how}"
    counts = [(report.get("unmatched_predictions"), "prediction id(s) not in the data"),
              (report.get("duplicate_prediction_ids"), "prediction id(s) listed more than once (first used)"),
              (report.get("duplicate_data_ids"), "id(s) repeated in the data")]
    found = [f"{n:,} {what}" for n, what in counts if n]
    return [line + (": " + "; ".join(found) if found else "") + "."]


def evaluation_parts(report: Mapping[str, Any], result: EvaluationResult) -> list[str | TextTable]:
    """The report: dataset, label column, sample and seed, how predictions were matched,
    accuracy, hints, a per-class table (precision, recall, support), the confusion
    matrix, and the recorded profile. ``report`` is what ``evaluate accuracy --json``
    prints (``dataset``, ``snapshot`` (the pinned reference of the data evaluated),
    ``sha256``, ``built_at``, ``label_column``, ``rows``, ``population``, ``seed``,
    ``profile_id``, ``profile_kind``, ``matched_by`` and the match counts)."""
    per_class = TextTable(("class", "precision", "recall", "support"), [
        {"class": c, "precision": _ratio(result.precision[c]), "recall": _ratio(result.recall[c]),
         "support": f"{result.support[c]:,}"} for c in result.classes], "Per class")
    matrix = TextTable((ACTUAL, *result.classes), [
        {ACTUAL: actual, **{p: f"{result.confusion[actual][p]:,}" for p in result.classes}}
        for actual in result.classes], "Confusion matrix (rows: actual, columns: predicted)",
        right=tuple(result.classes))
    hints = [f"Hint: {h}" for h in result.extra.get("hints", [])]
    parts: list[str | TextTable] = [*_headline(report, result), *hints, per_class, matrix]
    if report.get("profile_id") is not None:
        kind = "an evaluation-sample profile" if report.get("profile_kind") == "sample" else "a profile"
        parts.append(f"Recorded {kind} ({report['profile_id']}) of the evaluated rows.")
    return parts
