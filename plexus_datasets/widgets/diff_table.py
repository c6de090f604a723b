"""VersionDiffTable: what changed between two versions of a dataset (and their profiles)."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import traitlets

from ..models import Dataset
from ..service import DatasetService
from ._common import STYLE, Status, esc, run_safely, service_or_default, version_label

__all__ = ["VersionDiffTable", "diff_html", "comparison_html"]


def _snippet(value: Any) -> str:
    if value is None:
        return ""
    text = DatasetService.configuration_yaml(value).strip().removesuffix("...")
    return f"<pre class='pds-pre'>{esc(text.strip())}</pre>"


def diff_html(diff: Any, a_label: str = "A", b_label: str = "B") -> str:
    """A ConfigDiff as an HTML table, one colored row per changed path."""
    if not diff:
        return f"{STYLE}<div class='pds-card pds-muted'>No differences: {esc(a_label)} and {esc(b_label)} " \
               "have the same configuration.</div>"
    rows = "".join(
        f"<tr class='pds-{c.kind}'><td><code>{esc(c.path_text)}</code></td><td>{esc(c.kind)}</td>"
        f"<td>{_snippet(c.old)}</td><td>{_snippet(c.new)}</td></tr>" for c in diff
    )
    return (f"{STYLE}<table class='pds-table'><thead><tr><th>path</th><th>change</th><th>{esc(a_label)}</th>"
            f"<th>{esc(b_label)}</th></tr></thead><tbody>{rows}</tbody></table>")


def comparison_html(comparison: Any) -> str:
    """A ProfileComparison as HTML: rows, columns, answer shares (pp) and drift bands."""
    pct = f" ({comparison.row_change_pct:+.1f}%)" if comparison.row_change_pct is not None else ""
    parts = [f"<div><b>Records</b>: {comparison.rows_a:,} → {comparison.rows_b:,}{pct}; "
             f"overall drift <span class='pds-band-{comparison.band}'>{comparison.band}</span></div>"]
    if comparison.columns_added or comparison.columns_removed:
        parts.append(f"<div><b>Columns</b> added: {esc(', '.join(comparison.columns_added) or '-')}; "
                     f"removed: {esc(', '.join(comparison.columns_removed) or '-')}</div>")
    for shift in comparison.answers:
        rows = "".join(
            f"<tr><td>{esc(value)}</td><td>{100 * shift.shares_a.get(value, 0):.1f}%</td>"
            f"<td>{100 * shift.shares_b.get(value, 0):.1f}%</td><td>{pp:+.1f} pp</td></tr>"
            for value, pp in shift.change_pp.items()
        )
        p_value = f"{shift.chi2_p_value:.3g}" if shift.chi2_p_value is not None else "n/a"
        parts.append(f"<div><b>{esc(shift.column)}</b>: JS distance {shift.js_distance:.3f}, PSI {shift.psi:.3f}, "
                     f"chi-square p {p_value}</div><table class='pds-table'><thead><tr><th>class</th><th>A</th>"
                     f"<th>B</th><th>change</th></tr></thead><tbody>{rows}</tbody></table>")
    bands = "".join(
        f"<tr><td>{esc(c.column)}</td><td>{c.null_rate_a * 100:.1f}% → {c.null_rate_b * 100:.1f}%</td>"
        f"<td>{'' if c.histogram_psi is None else f'{c.histogram_psi:.3f}'}</td>"
        f"<td class='pds-band-{c.band}'>{c.band}</td></tr>" for c in comparison.columns
    )
    parts.append(f"<table class='pds-table'><thead><tr><th>column</th><th>null rate</th><th>PSI</th>"
                 f"<th>drift</th></tr></thead><tbody>{bands}</tbody></table>")
    return STYLE + "<div class='pds-card'><b>Profiles</b>" + "".join(parts) + "</div>"


class VersionDiffTable(w.VBox):
    """Two version pickers and the differences between them: one row per changed
    configuration path (colored by kind, values as YAML), and, when both versions
    have profiles, how their newest profiles compare.

    ``diff`` (ConfigDiff) and ``comparison`` (ProfileComparison or None) are traits.
    """

    diff = traitlets.Instance("plexus_datasets.diff.ConfigDiff", allow_none=True)
    comparison = traitlets.Instance("plexus_datasets.diff.ProfileComparison", allow_none=True)

    def __init__(self, dataset: Dataset | str, a: Any = None, b: Any = None, service: DatasetService | None = None,
                 **kwargs: Any) -> None:
        self.service = service_or_default(service)
        self.status = Status()
        self.a_dropdown = w.Dropdown(description="A")
        self.b_dropdown = w.Dropdown(description="B")
        self.table = w.HTML()
        self.profiles = w.HTML()
        super().__init__(children=[w.HBox([self.a_dropdown, self.b_dropdown]), self.table, self.profiles,
                                   self.status], **kwargs)
        run_safely(self.status, self._load, dataset, a, b)
        self.a_dropdown.observe(lambda _c: run_safely(self.status, self.refresh), "value")
        self.b_dropdown.observe(lambda _c: run_safely(self.status, self.refresh), "value")
        run_safely(self.status, self.refresh)

    def __repr__(self) -> str:
        changes = "?" if self.diff is None else len(self.diff)
        return f"VersionDiffTable({self.a_dropdown.label} -> {self.b_dropdown.label}: {changes} change(s))"

    def _load(self, dataset: Dataset | str, a: Any, b: Any) -> None:
        self.dataset = self.service.get_dataset(dataset)
        versions = self.service.list_versions(self.dataset)
        self._versions = {v.id: v for v in versions}
        options = [(version_label(v, self.dataset.current_version_id), v.id) for v in versions]
        self.a_dropdown.options = options
        self.b_dropdown.options = options
        if not versions:
            self.status.info("This dataset has no versions yet.")
            return
        # Default: what the latest version changes relative to the current one (or to its predecessor).
        current, latest = self.service.current_version(self.dataset), versions[-1]
        default_a = current if current and current.id != latest.id else versions[max(0, len(versions) - 2)]
        self.a_dropdown.value = self._pick(a, default_a).id
        self.b_dropdown.value = self._pick(b, latest).id

    def _pick(self, choice: Any, default: Any) -> Any:
        if choice is None:
            return default
        if isinstance(choice, int | str) and not (isinstance(choice, str) and choice in self._versions):
            return self.service.resolve(f"{self.dataset.id}:{choice}")
        return self._versions[choice] if isinstance(choice, str) else choice

    def refresh(self) -> None:
        a, b = self._versions.get(self.a_dropdown.value), self._versions.get(self.b_dropdown.value)
        if a is None or b is None:
            self.diff = None
            self.table.value = self.profiles.value = ""
            return
        self.diff = self.service.diff_versions(a, b)
        self.table.value = diff_html(self.diff, a.label, b.label)
        pa, pb = self.service.latest_profile(a), self.service.latest_profile(b)
        self.comparison = self.service.compare_profiles(pa, pb) if pa and pb else None
        self.profiles.value = comparison_html(self.comparison) if self.comparison else (
            f"{STYLE}<div class='pds-muted'>Profile comparison appears when both versions have a profile.</div>")
