"""The IPython extension, loaded through IPython's own test shell."""

import pytest
from IPython.core.getipython import get_ipython
from IPython.testing import globalipapp

from plexus_datasets import connect
from plexus_datasets.demo import seed_demo


@pytest.fixture
def ip(tmp_path, monkeypatch):
    db = str(tmp_path / "magic.db")
    seed_demo(connect(db))
    monkeypatch.setenv("PLEXUS_DATASETS_DB", db)
    globalipapp.start_ipython()  # IPython's test shell (once per process)
    shell = get_ipython()
    shell.run_line_magic("load_ext", "plexus_datasets")
    shell.run_line_magic("datasets", f"connect {db}")
    yield shell


def test_list_show_diff_history(ip, capsys):
    listed = ip.run_line_magic("datasets", "list")
    assert [s.dataset.name for s in listed] == ["greeting-calls", "greeting-calls-balanced", "misrepresentation-review"]
    assert [s.dataset.name for s in ip.run_line_magic("datasets", "list demo-cc-qa")] == [s.dataset.name for s in listed]
    shown = ip.run_line_magic("datasets", "show greeting-calls:2")
    assert shown.version_number == 2
    assert ip.run_line_magic("datasets", "diff greeting-calls:1 greeting-calls:2") is None
    history = ip.run_line_magic("datasets", "history greeting-calls")
    assert type(history).__name__ == "ProfileHistory" and len(history.profiles) == 6


def test_errors_print_one_line(ip, capsys):
    assert ip.run_line_magic("datasets", "show nope") is None
    assert ip.run_line_magic("datasets", "frobnicate") is None
    assert ip.run_line_magic("datasets", "") is None
    out = capsys.readouterr().out.splitlines()
    assert out[-3].startswith("Error: No dataset named or with id 'nope'")
    assert out[-2].startswith("Unknown command 'frobnicate'") and out[-1].startswith("Usage:")


def test_dataset_config_cell_creates_versions(ip, capsys):
    created = ip.run_cell_magic("dataset_config", 'greeting-calls --note "from a cell" --no-check',
                                "class: FileItems\npath: calls.csv\n")
    assert created.version_number == 4 and created.note == "from a cell"
    assert created.configuration == {"class": "FileItems", "path": "calls.csv"}
    again = ip.run_cell_magic("dataset_config", "greeting-calls --no-check", "path: calls.csv\nclass: FileItems\n")
    assert again.id == created.id and "unchanged" in capsys.readouterr().out
    assert ip.run_cell_magic("dataset_config", "greeting-calls", "class: [oops\n") is None
    assert "line 2, column 1" in capsys.readouterr().out  # the cell ends after line 1
