"""Notebook widgets: ipywidgets compositions (with Plotly FigureWidgets) over a DatasetService.

Each widget takes ``service=`` (default: ``connect()``), exposes
its state as traits (``value``, ``dataset``, ``selected``, ...) you can
``observe``, and works with no browser attached. All user text that reaches
HTML is escaped.

    from plexus_datasets.widgets import DatasetSelector, ProfileHistory
    selector = DatasetSelector(ref="greeting-calls:current")
    selector                     # dropdowns: scorecard, score, dataset, version
    ProfileHistory("greeting-calls")
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "DatasetBrowser",
    "DatasetForm",
    "DatasetSelector",
    "ProfileHistory",
    "ProfileView",
    "VersionDiffTable",
    "VersionManager",
]

_WHERE = {
    "DatasetBrowser": "browser",
    "DatasetForm": "form",
    "DatasetSelector": "selector",
    "ProfileHistory": "history",
    "ProfileView": "profile_view",
    "VersionDiffTable": "diff_table",
    "VersionManager": "versions",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'plexus_datasets.widgets' has no attribute {name!r}")
    try:
        module = importlib.import_module(f".{_WHERE[name]}", __name__)
    except ImportError as exc:  # pragma: no cover - ipywidgets and plotly are dependencies
        raise ImportError(f"{name} needs ipywidgets and plotly: "
                          f"pip install ipywidgets plotly anywidget ({exc})") from exc
    return getattr(module, name)
