"""How comparisons look: configuration diffs and profile comparisons (drift).

``ConfigDiff`` and ``ProfileComparison`` (from ``diff``) are read by attribute,
never imported at run time, so ``diff`` can use these for its reprs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..formats import to_yaml
from ._base import STYLE, TextTable, esc, html_table
from ._profiles import subject_text

if TYPE_CHECKING:
    from ..diff import AnswerShift, ConfigDiff, ProfileComparison

__all__ = ["comparison_html", "comparison_notes", "comparison_parts", "comparison_text", "diff_html", "diff_table",
           "diff_text"]


# --- configuration diffs -------------------------------------------------------------------------


def diff_text(diff: ConfigDiff) -> str:
    """``ConfigDiff(...)`` with one line per change: kind, path, old -> new."""
    if not diff:
        return "ConfigDiff(no differences)"
    lines = [f"  {c.kind:<8} {c.path_text}: {c.old!r} -> {c.new!r}" for c in diff]
    return "ConfigDiff(\n" + "\n".join(lines) + "\n)"


def _snippet(value: Any) -> str:
    if value is None:
        return ""
    text = to_yaml(value).strip().removesuffix("...")
    return f"<pre class='pds-pre'>{esc(text.strip())}</pre>"


def diff_html(diff: ConfigDiff, a_label: str = "A", b_label: str = "B") -> str:
    """A ConfigDiff as an HTML table, one colored row per changed path (values as YAML)."""
    if not diff:
        return (f"{STYLE}<div class='pds-card pds-muted'>No differences: {esc(a_label)} and {esc(b_label)} "
                "have the same configuration.</div>")
    rows = [[f"<code>{esc(c.path_text)}</code>", esc(c.kind), _snippet(c.old), _snippet(c.new)] for c in diff]
    return STYLE + html_table(["path", "change", esc(a_label), esc(b_label)], rows, [f"pds-{c.kind}" for c in diff])


def diff_table(diff: ConfigDiff, a_label: str, b_label: str) -> TextTable:
    """``versions diff``: one row per changed path (path, change, old, new)."""
    rows = [{"path": c.path_text, "change": c.kind, "old": c.old, "new": c.new} for c in diff]
    return TextTable(("path", "change", "old", "new"), rows, f"{a_label} -> {b_label}",
                     empty=f"No differences between {a_label} and {b_label}.")


# --- profile comparisons -------------------------------------------------------------------------


def _row_change(comparison: ProfileComparison) -> str:
    pct = comparison.row_change_pct
    return f"{comparison.rows_a:,} -> {comparison.rows_b:,}" + (f" ({pct:+.1f}%)" if pct is not None else "")


def _p_value(shift: AnswerShift) -> str:
    return f"{shift.chi2_p_value:.3g}" if shift.chi2_p_value is not None else "n/a"


def _psi(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _share(shares: dict[str, float], value: str) -> str:
    return f"{100 * shares.get(value, 0):.1f}"


def comparison_notes(comparison: ProfileComparison) -> list[str]:
    """One sentence per side that is not a profile of a full version, e.g. ``B is a sample
    of 100 of 5,572 rows (seed 7): its record count is the sample's, not the version's.``"""
    notes = []
    for label, subject in ((comparison.label_a, comparison.subject_a), (comparison.label_b, comparison.subject_b)):
        if subject.is_sample:
            notes.append(f"{label} is a {subject_text(subject)}: its record count is the sample's, not the "
                         "version's.")
        elif not subject.is_full:
            notes.append(f"{label} is a profile of {subject_text(subject)}: its record count may not be the "
                         "version's.")
    return notes


def comparison_text(comparison: ProfileComparison) -> str:
    """``ProfileComparison(rows A -> B (+x%), drift BAND``, a note per sample side, and one
    line per answer column."""
    lines = [f"ProfileComparison(rows {_row_change(comparison)}, drift {comparison.band}"]
    lines += [f"  note: {note}" for note in comparison_notes(comparison)]
    if comparison.columns_added or comparison.columns_removed:
        lines.append(f"  columns added {comparison.columns_added}, removed {comparison.columns_removed}")
    for shift in comparison.answers:
        moves = ", ".join(f"{k} {v:+.1f}pp" for k, v in shift.change_pp.items())
        lines.append(f"  {shift.column}: {moves}; JS {shift.js_distance:.3f}, PSI {shift.psi:.3f}")
    return "\n".join(lines) + ")"


def _columns_changed(comparison: ProfileComparison, quote: Callable[[str], str] = str) -> str | None:
    """``added: ...; removed: ...`` (each list through ``quote``), or None when no column changed."""
    if not (comparison.columns_added or comparison.columns_removed):
        return None
    return (f"added: {quote(', '.join(comparison.columns_added) or '-')}; "
            f"removed: {quote(', '.join(comparison.columns_removed) or '-')}")


def comparison_parts(comparison: ProfileComparison) -> list[str | TextTable]:
    """``profiles compare``: the record and drift line, a note per side that is a sample,
    columns added/removed, a table of answer shares per answer column, and a table of
    null rates, PSI and band per column."""
    parts: list[str | TextTable] = [f"Records: {_row_change(comparison)}; drift: {comparison.band}"]
    parts += [f"Note: {note}" for note in comparison_notes(comparison)]
    changed = _columns_changed(comparison)
    if changed:
        parts.append(f"Columns {changed}")
    for shift in comparison.answers:
        rows = [{"class": k, "A %": _share(shift.shares_a, k), "B %": _share(shift.shares_b, k),
                 "change (pp)": f"{v:+.1f}"} for k, v in shift.change_pp.items()]
        parts.append(TextTable(("class", "A %", "B %", "change (pp)"), rows,
                               f"{shift.column}: JS {shift.js_distance:.3f}, PSI {shift.psi:.3f}, "
                               f"chi-square p {_p_value(shift)}"))
    parts.append(TextTable(("column", "null A %", "null B %", "PSI", "drift"), [
        {"column": c.column, "null A %": f"{100 * c.null_rate_a:.1f}", "null B %": f"{100 * c.null_rate_b:.1f}",
         "PSI": _psi(c.histogram_psi), "drift": c.band} for c in comparison.columns], "Columns"))
    return parts


def _shift_html(shift: AnswerShift) -> str:
    rows = [[esc(value), f"{_share(shift.shares_a, value)}%", f"{_share(shift.shares_b, value)}%", f"{pp:+.1f} pp"]
            for value, pp in shift.change_pp.items()]
    return (f"<div><b>{esc(shift.column)}</b>: JS distance {shift.js_distance:.3f}, PSI {shift.psi:.3f}, "
            f"chi-square p {_p_value(shift)}</div>" + html_table(["class", "A", "B", "change"], rows))


def comparison_html(comparison: ProfileComparison) -> str:
    """A ProfileComparison as HTML: rows, columns, answer shares (pp) and drift bands."""
    band = comparison.band
    parts = [(f"<div><b>Records</b>: {_row_change(comparison).replace('->', '→')}; "
             f"overall drift <span class='pds-band-{band}'>{band}</span></div>")]
    parts += [f"<div class='pds-band-POSSIBLE'>Note: {esc(note)}</div>" for note in comparison_notes(comparison)]
    changed = _columns_changed(comparison, esc)
    if changed:
        parts.append(f"<div><b>Columns</b> {changed}</div>")
    parts += [_shift_html(shift) for shift in comparison.answers]
    bands = [[esc(c.column), f"{c.null_rate_a * 100:.1f}% → {c.null_rate_b * 100:.1f}%", _psi(c.histogram_psi),
              f"<span class='pds-band-{c.band}'>{c.band}</span>"] for c in comparison.columns]
    parts.append(html_table(["column", "null rate", "PSI", "drift"], bands))
    return STYLE + "<div class='pds-card'><b>Profiles</b>" + "".join(parts) + "</div>"
