"""Re-run the example notebooks and save their outputs (without widget state).

The notebooks are documentation and tests: `pytest --nbval notebooks/` re-runs
them and compares each output with the saved one. After changing a notebook, or
behaviour a notebook shows, refresh the saved outputs with:

    .venv/bin/python scripts/refresh_notebooks.py [notebooks/NAME.ipynb ...]

Widget state (metadata.widgets) is dropped: it would embed megabytes of plotly.js.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def refresh(path: Path) -> None:
    book = nbformat.read(path, as_version=4)
    NotebookClient(book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                   store_widget_state=False).execute()
    book.metadata.pop("widgets", None)
    for cell in book.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(book, path)
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1024:.0f} KB")


def main() -> None:
    paths = [Path(p).resolve() for p in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        refresh(path)


if __name__ == "__main__":
    main()
