"""Installs beside Plexus (issue #15): the dependency floors accept Plexus 1.50.1's pins, the Plexus-pins
environment really has them, and what SQLAlchemy 1.4 can't do (PostgreSQL) is one typed error saying so.

scripts/test.sh runs this file twice: in .venv (today's releases) and in .venv-plexus (built by
scripts/test_plexus_pins.sh with constraints/plexus-1.50.txt, ``PLEXUS_DATASETS_PINS_ENV=1``).
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from plexus_datasets.backends.engines import SQLALCHEMY_2
from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.cli import cli
from plexus_datasets.errors import BackendError
from plexus_datasets.server.contract import load_contract
from plexus_datasets.server.items import ItemStore
from tests.conftest import PINS_ENV

ROOT = Path(__file__).parents[1]
CONSTRAINTS = ROOT / "constraints" / "plexus-1.50.txt"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PG_URL = "postgresql+psycopg://analyst:S3cret-pw-83@127.0.0.1:1/registry"


def constraints() -> dict[str, SpecifierSet]:
    pins = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            pins[requirement.name.lower()] = requirement.specifier
    return pins


def our_requirements() -> dict[str, Requirement]:
    project = PYPROJECT["project"]
    listed = [*project["dependencies"], *project["optional-dependencies"]["postgres"],
              *project["optional-dependencies"]["test"]]
    return {(r := Requirement(text)).name.lower(): r for text in listed}


def test_the_constraints_say_where_they_come_from():
    header = CONSTRAINTS.read_text().split("\n\n", 1)[0]
    assert "Plexus 1.50.1" in header and "4b8c4272f7521a87fb40d267fab5d4fb9ce1c6a7" in header
    assert re.search(r"20\d\d-\d\d-\d\d", header)


def test_every_pinned_version_fits_our_requirements():
    """Each ``==`` pin of Plexus's that we also depend on is inside our range: pip can install us beside Plexus
    without moving it."""
    ours = our_requirements()
    pinned = {name: spec for name, spec in constraints().items() if any(s.operator == "==" for s in spec)}
    shared = sorted(set(pinned) & set(ours))
    assert {"pandas", "numpy", "sqlalchemy", "gql", "click", "pyarrow"} <= set(shared)
    for name in shared:
        version = next(s.version for s in pinned[name] if s.operator == "==")
        assert ours[name].specifier.contains(version, prereleases=True), (
            f"{name}=={version} (Plexus 1.50.1) is outside our requirement {ours[name]}")


def test_python_3_11_and_3_12_are_allowed():
    requires = SpecifierSet(PYPROJECT["project"]["requires-python"])
    assert requires.contains("3.11.7") and requires.contains("3.12.9")


@pytest.mark.skipif(not PINS_ENV, reason="checks the Plexus-pins environment (scripts/test_plexus_pins.sh)")
def test_the_plexus_pins_environment_has_the_pinned_versions():
    for name, spec in constraints().items():
        if name == "tenacity":  # pinned for what it keeps out (gql 4); gql 3.5 doesn't use it
            continue
        installed = importlib.metadata.version(name)
        assert spec.contains(installed, prereleases=True), f"{name} {installed} is not {spec}"
    assert sys.version_info[:2] in ((3, 11), (3, 12))
    assert not SQLALCHEMY_2 and sa.__version__ == "1.4.15"


@pytest.mark.skipif(SQLALCHEMY_2, reason="SQLAlchemy 2 opens PostgreSQL (tests/test_backend_contract.py covers it)")
@pytest.mark.parametrize("store", ["embedded", "stand-in items"])
def test_on_sqlalchemy_1_4_a_postgresql_store_is_one_typed_error_saying_what_it_needs(store):
    with pytest.raises(BackendError) as info:
        if store == "embedded":
            SQLBackend(PG_URL)
        else:
            ItemStore(PG_URL, load_contract("plan"))
    message = str(info.value)
    assert "SQLAlchemy>=2.0" in message and f"SQLAlchemy {sa.__version__}" in message
    assert "S3cret-pw-83" not in message and "analyst:***@127.0.0.1" in message


@pytest.mark.skipif(SQLALCHEMY_2, reason="SQLAlchemy 2 opens PostgreSQL (tests/test_cli.py covers the CLI)")
def test_on_sqlalchemy_1_4_the_cli_says_it_in_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["--db", PG_URL, "datasets", "list"], obj={})
    assert result.exit_code == 1
    line = result.output.strip()
    assert "\n" not in line and line.startswith("Error: ") and "SQLAlchemy>=2.0" in line
    assert "S3cret-pw-83" not in line


def test_the_embedded_store_works_on_this_sqlalchemy(tmp_path):
    """Whatever SQLAlchemy this is (1.4.15 beside Plexus), the embedded store migrates, writes and reads."""
    store = SQLBackend(str(tmp_path / "pins.db"))
    try:
        store.create("Scorecard", {"id": "sc-1", "name": "QA", "key": "qa", "accountId": "local",
                                   "createdAt": "2025-01-31T09:00:00.000Z", "updatedAt": "2025-01-31T09:00:00.000Z"})
        assert store.get("Scorecard", "sc-1")["key"] == "qa" and store.schema_version() >= 2
    finally:
        store.close()
