"""Short ``class:`` names resolve where Plexus looks for them, and ``item:`` reaches a data cache
as Plexus passes it (``item_config``). Real packages written to a temporary folder on sys.path,
with the dist-info an installed distribution has (or without, for a checkout)."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.errors import DataQualityWarning, LoaderError, UntrustedCodeError
from plexus_datasets.loaders import TrustPolicy, check_configuration, materialize, resolve_class
from plexus_datasets.service import DatasetService

#: A data cache that says where it lives and what it was given (constructor and ``data``).
CACHE = """
import json
import pandas as pd

class {name}:
    def __init__(self, **parameters):
        self.parameters = parameters

    def load_dataframe(self, *, data, fresh=False):
        return pd.DataFrame({{
            "source": ["{source}"],
            "built_with": [json.dumps(self.parameters, sort_keys=True)],
            "data": [json.dumps(dict(data), sort_keys=True)],
        }})
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Path]]:
    """``site(files, installed=[top-level names])``: a folder on sys.path holding ``files``
    (path -> text), with a dist-info providing ``installed`` (none: a bare checkout).
    sys.path is restored by monkeypatch; the modules imported from it are forgotten after."""
    root = tmp_path / "site"

    def make(files: dict[str, str], installed: tuple[str, ...] = ()) -> Path:
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        if installed:
            info = root / "fake_plexus-1.50.1.dist-info"
            info.mkdir(parents=True, exist_ok=True)
            (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-plexus\nVersion: 1.50.1\n",
                                           encoding="utf-8")
            (info / "top_level.txt").write_text("".join(f"{top}\n" for top in installed), encoding="utf-8")
        monkeypatch.syspath_prepend(str(root))
        return root

    before = set(sys.modules)
    yield make
    for module in [m for m in sys.modules if m not in before and m.split(".")[0] in ("plexus", "plexus_extensions")]:
        del sys.modules[module]


def extensions(name: str = "CallCriteriaDBCache", layout: str = "package") -> dict[str, str]:
    """Plexus extensions, a module per class: ``plexus_extensions/NAME/NAME.py`` ("package"), or
    ``plexus_extensions/NAME.py`` ("module": what ``ScoreData`` imports as ``plexus_extensions.NAME``)."""
    code = CACHE.format(name=name, source="plexus_extensions")
    if layout == "module":
        return {"plexus_extensions/__init__.py": "", f"plexus_extensions/{name}.py": code}
    return {"plexus_extensions/__init__.py": "", f"plexus_extensions/{name}/__init__.py": "",
            f"plexus_extensions/{name}/{name}.py": code}


def plexus_data(*names: str, exported: tuple[str, ...] = ()) -> dict[str, str]:
    """Plexus's layout: ``plexus/data/NAME.py``; ``exported`` ones re-exported by ``plexus/data/__init__``
    (as Plexus does for FeedbackItems)."""
    files = {"plexus/__init__.py": "",
             "plexus/data/__init__.py": "".join(f"from .{n} import {n}\n" for n in exported)}
    files.update({f"plexus/data/{n}.py": CACHE.format(name=n, source="plexus.data") for n in (*names, *exported)})
    return files


def nothing_trusted(tmp_path: Path) -> TrustPolicy:
    return TrustPolicy.of(data_roots=[tmp_path])


# --- where a short name resolves -----------------------------------------------------------

@pytest.mark.parametrize("layout", ["package", "module"])
def test_a_short_name_finds_a_plexus_extension_where_plexus_has_none(site, tmp_path, layout):
    site(extensions(layout=layout), installed=("plexus_extensions",))
    trust = nothing_trusted(tmp_path)
    cls = resolve_class("CallCriteriaDBCache", trust=trust)
    assert cls.__module__ == ("plexus_extensions.CallCriteriaDBCache" + ".CallCriteriaDBCache" * (layout == "package"))
    frame = materialize({"class": "CallCriteriaDBCache", "queries": [{"scorecard_id": 97}]}, trust=trust)
    assert frame["source"].tolist() == ["plexus_extensions"]
    assert json.loads(frame["built_with"][0]) == {"queries": [{"scorecard_id": 97}]}


def test_plexus_data_comes_first_then_plexus_extensions(site, tmp_path):
    site({**plexus_data("Shared", exported=("FeedbackItems",)), **extensions("Shared"),
          **extensions("CallCriteriaDBCache")}, installed=("plexus", "plexus_extensions"))
    trust = nothing_trusted(tmp_path)
    assert materialize({"class": "Shared"}, trust=trust)["source"].tolist() == ["plexus.data"]
    assert materialize({"class": "FeedbackItems"}, trust=trust)["source"].tolist() == ["plexus.data"]  # package attr
    assert materialize({"class": "CallCriteriaDBCache"}, trust=trust)["source"].tolist() == ["plexus_extensions"]


@pytest.mark.parametrize("layout", ["package", "module"])
def test_dotted_plexus_extension_paths_resolve_like_plexus_reads_them(site, tmp_path, layout):
    site(extensions(layout=layout), installed=("plexus_extensions",))
    trust = nothing_trusted(tmp_path)
    for name in ("plexus_extensions.CallCriteriaDBCache.CallCriteriaDBCache",  # what `dataset load` writes
                 "plexus_extensions.CallCriteriaDBCache"):  # the module named: the class of that name in it
        assert resolve_class(name, trust=trust).__name__ == "CallCriteriaDBCache"
    with pytest.raises(LoaderError, match="can't be found"):
        resolve_class("plexus_extensions.CallCriteriaDBCache.Missing", trust=trust)


def test_an_import_failure_in_plexus_data_passes_over_to_the_extensions(site, tmp_path):
    files = {**plexus_data(), **extensions()}
    files["plexus/data/__init__.py"] = "import a_dependency_plexus_lacks_here\n"
    site(files, installed=("plexus", "plexus_extensions"))
    trust = nothing_trusted(tmp_path)
    assert materialize({"class": "CallCriteriaDBCache"}, trust=trust)["source"].tolist() == ["plexus_extensions"]
    with pytest.raises(LoaderError, match="Importing 'plexus.data' for the loader 'Missing' failed"):
        resolve_class("Missing", trust=trust)  # found nowhere: the failure is what the user needs to see


def test_a_checkout_on_the_path_is_used_only_once_trusted(site, tmp_path):
    marker = tmp_path / "IMPORTED"
    files = extensions()
    files["plexus_extensions/__init__.py"] = f"open({str(marker)!r}, 'w').write('ran')\n"
    site(files)  # no dist-info: a checkout on PYTHONPATH, as Call-Criteria-Python is often used
    with pytest.raises(LoaderError, match="PLEXUS_DATASETS_TRUSTED_MODULES=plexus_extensions") as info:
        check_configuration({"class": "CallCriteriaDBCache"}, nothing_trusted(tmp_path))
    assert not isinstance(info.value, UntrustedCodeError) and not marker.exists()
    with pytest.raises(LoaderError):
        check_configuration({"class": "plexus_extensions.CallCriteriaDBCache.CallCriteriaDBCache"},
                            nothing_trusted(tmp_path))
    assert not marker.exists()
    trusted = TrustPolicy.of(trusted_modules=["plexus_extensions"], data_roots=[tmp_path])
    assert materialize({"class": "CallCriteriaDBCache"}, trust=trusted)["source"].tolist() == ["plexus_extensions"]
    assert marker.exists()


def test_processors_are_looked_for_in_plexus_processors_only(site, tmp_path):
    site({"plexus_extensions/__init__.py": "", "plexus_extensions/Tidy/__init__.py": "",
          "plexus_extensions/Tidy/Tidy.py": "class Tidy:\n    def process(self, df):\n        return df\n"},
         installed=("plexus_extensions",))
    with pytest.raises(LoaderError, match="'Tidy' can't be found"):
        check_configuration({"class": "InlineItems", "items": [{"a": 1}], "processors": [{"class": "Tidy"}]},
                            nothing_trusted(tmp_path))


# --- item: is passed as Plexus passes it ----------------------------------------------------

ITEM = {"class": "DeepgramInputSource", "options": {"format": "paragraphs"},
        "processors": [{"class": "RemoveSpeakerIdentifiersTranscriptFilter", "parameters": {}}]}


def test_item_reaches_a_data_cache_as_item_config(site, tmp_path):
    site(extensions(), installed=("plexus_extensions",))
    frame = materialize({"class": "CallCriteriaDBCache", "queries": [{"scorecard_id": 97}], "item": ITEM},
                        trust=nothing_trusted(tmp_path))
    expected = {"queries": [{"scorecard_id": 97}], "item_config": ITEM}
    assert json.loads(frame["built_with"][0]) == expected  # the constructor, as `plexus dataset load` builds it
    assert json.loads(frame["data"][0]) == expected  # and load_dataframe(data=...)
    written = materialize({"class": "CallCriteriaDBCache", "item_config": ITEM}, trust=nothing_trusted(tmp_path))
    assert json.loads(written["built_with"][0]) == {"item_config": ITEM}  # Plexus's own spelling passes as is


def test_item_through_a_stored_version(site, tmp_path):
    site(extensions(), installed=("plexus_extensions",))
    svc = DatasetService(SQLBackend("sqlite:///:memory:"), trust=nothing_trusted(tmp_path))
    card = svc.create_scorecard("QA")
    svc.create_dataset(card, "calls", configuration="class: CallCriteriaDBCache\nitem:\n  processors: []\n")
    frame = svc.load("calls")
    assert json.loads(frame["built_with"][0]) == {"item_config": {"processors": []}}


def test_item_is_refused_for_built_in_loaders_and_when_malformed(tmp_path):
    trust = nothing_trusted(tmp_path)
    inline = {"class": "InlineItems", "items": [{"text": "hi", "Greeting": "Yes"}]}
    with pytest.raises(LoaderError, match="`item:` is Plexus's item pipeline .* built-in loaders read the rows as "
                                          "stored and can't run it: remove `item:`"):
        check_configuration({**inline, "item": ITEM}, trust)
    with pytest.raises(LoaderError, match="both `item:` and `item_config:`"):
        check_configuration({"class": "Elsewhere", "item": ITEM, "item_config": ITEM}, trust, environment=False)
    with pytest.raises(LoaderError, match="`item:` must be a mapping"):
        check_configuration({"class": "Elsewhere", "item": "DeepgramInputSource"}, trust, environment=False)
    with pytest.warns(DataQualityWarning, match="item"):  # a stored version still loads, item: ignored
        assert len(materialize({**inline, "item": ITEM}, trust=trust)) == 1
