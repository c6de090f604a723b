"""Issue 12, part A: what a stored configuration may make the loading user's machine do.

Every test plays a hostile teammate who can write configurations to a shared registry
(an SQLite file opened by two services, as two machines would) and checks, on real
files, real imports, moto's S3 server and the real cache, that the loading user gets
a typed one-line error and that nothing ran, was imported, read, written or deleted
outside where it belongs. Python's audit hooks (PEP 578) record what the process
really did: ``open`` (module files included: that is how an import shows), directory
listings, ``subprocess.Popen``, sockets, removals and renames.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import textwrap
import uuid
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest

from plexus_datasets.errors import (
    DataAccessError,
    LoaderError,
    SnapshotMismatchError,
    UntrustedCodeError,
    ValidationError,
)
from plexus_datasets.loaders import TrustPolicy, check_loader, materialize
from plexus_datasets.loaders.cache import MaterializationCache
from plexus_datasets.service import DatasetService, connect
from plexus_datasets.widgets import DatasetForm

ROWS = [{"id": i, "text": f"call {i}", "label": "Yes" if i % 3 else "No"} for i in range(1, 10)]
SECRET = "hunter2-Zq81"
TRUST_VARIABLES = ("PLEXUS_DATASETS_TRUSTED_MODULES", "PLEXUS_DATASETS_DATA_ROOTS", "PLEXUS_DATASETS_S3_BUCKETS")


# --- what the process really did (audit hooks can't be removed, so one records on demand) --

class Audit:
    """Records the audit events of this process while ``recording`` is set."""

    recording = False
    events: ClassVar[list[tuple[str, tuple]]] = []
    WATCHED: ClassVar[set[str]] = {"open", "os.listdir", "os.scandir", "glob.glob", "subprocess.Popen", "os.system",
               "socket.connect", "os.remove", "os.rmdir", "os.rename"}  # os.unlink/os.replace raise these too

    @classmethod
    def hook(cls, event: str, args: tuple) -> None:
        if cls.recording and event in cls.WATCHED:
            cls.events.append((event, args))

    @classmethod
    def paths(cls, *events: str) -> list[Path]:
        found = []
        for event, args in cls.events:
            if event in events and args and isinstance(args[0], (str, bytes, os.PathLike)):
                found.append(Path(os.fsdecode(args[0])).resolve())
        return found

    @classmethod
    def names(cls, event: str) -> list[str]:
        return [str(args[0]) for e, args in cls.events if e == event]

    @classmethod
    def imported_from(cls, folder: Path) -> list[Path]:
        """Module files (source or bytecode) opened from ``folder``: imports that happened."""
        reads = [Path(os.fsdecode(a[0])).resolve() for e, a in cls.events
                 if e == "open" and isinstance(a[0], (str, bytes, os.PathLike)) and "w" not in str(a[1] or "r")]
        return [p for p in reads if p.suffix in (".py", ".pyc") and folder.resolve() in p.parents]


sys.addaudithook(Audit.hook)


@pytest.fixture
def audit():
    Audit.events = []
    Audit.recording = True
    yield Audit
    Audit.recording = False


@pytest.fixture(autouse=True)
def no_trust_from_the_environment(monkeypatch):
    for name in TRUST_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def outside(paths: list[Path], *roots: Path) -> list[Path]:
    """The paths that are not inside any of ``roots``."""
    return [p for p in paths if not any(p == r.resolve() or p.is_relative_to(r.resolve()) for r in roots)]


def one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# --- the registry, shared by an attacker and a victim --------------------------------------

@pytest.fixture
def machines(tmp_path, monkeypatch):
    """An attacker's and a victim's service over one SQLite file; the victim works in ``work/``."""
    db = str(tmp_path / "shared" / "registry.db")
    (tmp_path / "shared").mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("PLEXUS_DATASETS_CACHE_DIR", str(tmp_path / "cache"))
    attacker = connect(db, data_roots=[tmp_path / "attacker"])
    card = attacker.create_scorecard("QA", key="qa")
    attacker.create_score(attacker.create_section(card, "Main"), "Greeting", key="greeting")
    monkeypatch.chdir(work)
    victim = connect(db)  # data roots default to the current directory: work/
    yield attacker, victim, work
    attacker.close()
    victim.close()


def plant(attacker: DatasetService, name: str, configuration: dict) -> None:
    """A hostile teammate's version 1, written the way their own client could: straight into the
    shared store, past every check this package runs before it writes."""
    from plexus_datasets.formats import format_datetime, utcnow
    from plexus_datasets.models import DatasetVersion
    from plexus_datasets.service import version_id

    dataset = attacker.create_dataset("qa", name, score="greeting")
    now = format_datetime(utcnow())
    vid = version_id(dataset.id, 1)
    attacker.backend.create("DatasetVersion", {
        "id": vid, "datasetId": dataset.id, "versionNumber": 1, "createdAt": now, "updatedAt": now,
        "configuration": DatasetVersion.wire_configuration(configuration, None)})
    attacker.backend.update("Dataset", dataset.id, {"currentVersionId": vid, "updatedAt": now})


def cache_files(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "cache"
    return sorted(folder.rglob("*")) if folder.exists() else []


def write_module(folder: Path, name: str, source: str) -> None:
    (folder / f"{name}.py").write_text(textwrap.dedent(source))


@pytest.fixture
def modules(tmp_path, monkeypatch):
    """A folder on sys.path for this test's modules; their names are unique and forgotten after."""
    folder = tmp_path / "modules"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    names: list[str] = []

    def new(source: str) -> str:
        name = f"pdsec_{uuid.uuid4().hex[:10]}"
        write_module(folder, name, source.replace("MARKER", repr(str(tmp_path / f"{name}.imported"))))
        names.append(name)
        return name

    yield new
    for name in names:
        sys.modules.pop(name, None)


LEGIT_LOADER = """
    from pathlib import Path
    import pandas as pd
    Path(MARKER).write_text("imported")
    class Squares:
        def __init__(self, n=3, **_):
            self.n = n
        def load_dataframe(self, *, data, fresh=False):
            return pd.DataFrame({"x": list(range(self.n)), "label": ["Yes", "No"] * (self.n // 2) + ["Yes"] * (self.n % 2)})
    class Doubler:
        def __init__(self, column="x"):
            self.column = column
        def process(self, df):
            return df.assign(**{self.column: df[self.column] * 2})
"""


# --- 1. code execution from a stored configuration -------------------------------------------

def test_stored_popen_never_runs_on_the_loading_machine(machines, tmp_path, audit):
    attacker, victim, work = machines
    pwned = [work / "PWNED", tmp_path / "PWNED"]
    plant(attacker, "calls", {"class": "subprocess.Popen", "args": ["sh", "-c", f"touch PWNED {tmp_path}/PWNED"]})
    plant(attacker, "filtered", {"class": "InlineItems", "items": ROWS, "processors": [
        {"class": "subprocess.Popen", "parameters": {"args": ["sh", "-c", f"touch {tmp_path}/PWNED"]}}]})
    for ref in ("calls", "filtered"):
        for attempt in (victim.load, victim.profile, lambda r: victim.check_configuration(victim.resolve(r).configuration)):
            with pytest.raises(UntrustedCodeError) as info:
                attempt(ref)
            message = one_line(info)
            assert "'subprocess'" in message and "PLEXUS_DATASETS_TRUSTED_MODULES=subprocess" in message
            assert "connect(trusted_modules=['subprocess'])" in message
    assert not any(p.exists() for p in pwned)
    assert audit.names("subprocess.Popen") == [] and audit.names("os.system") == []
    assert victim.latest_profile("calls") is None and cache_files(tmp_path) == []


def test_an_untrusted_module_is_never_imported(machines, modules, tmp_path, audit):
    attacker, victim, _ = machines
    module = modules(LEGIT_LOADER)
    marker = tmp_path / f"{module}.imported"
    plant(attacker, "custom", {"class": f"{module}.Squares", "n": 4})
    plant(attacker, "custom-processor", {"class": "InlineItems", "items": ROWS,
                                         "processors": [{"class": f"{module}.Doubler", "parameters": {"column": "id"}}]})
    for ref in ("custom", "custom-processor"):
        with pytest.raises(UntrustedCodeError) as info:
            victim.load(ref)
        assert repr(module) in one_line(info) and f"PLEXUS_DATASETS_TRUSTED_MODULES={module}" in str(info.value)
        with pytest.raises(UntrustedCodeError):
            victim.check_configuration(victim.resolve(ref).configuration)
    form = DatasetForm(victim)
    form.name.value = "from-the-form"
    form.configuration.value = f"class: {module}.Squares\nn: 4\n"
    assert any("not imported" in p and module in p for p in form.check())
    assert form.submit() is None and sorted(d.name for d in victim.list_datasets()) == ["custom", "custom-processor"]
    assert not marker.exists() and module not in sys.modules and audit.imported_from(tmp_path / "modules") == []
    assert cache_files(tmp_path) == []


@pytest.mark.parametrize("how", ["environment", "connect-argument"])
def test_trusting_a_prefix_lets_a_legit_custom_loader_work(machines, modules, tmp_path, monkeypatch, how):
    attacker, _, _ = machines
    module = modules(LEGIT_LOADER)
    plant(attacker, "custom", {"class": f"{module}.Squares", "n": 4,
                               "processors": [{"class": f"{module}.Doubler", "parameters": {"column": "x"}}]})
    db = str(tmp_path / "shared" / "registry.db")
    if how == "environment":
        monkeypatch.setenv("PLEXUS_DATASETS_TRUSTED_MODULES", f"somewhere.else, {module}")
        teammate = connect(db)
        assert DatasetService(teammate.backend).trust == teammate.trust  # DatasetService() agrees with connect()
    else:
        teammate = connect(db, trusted_modules=[module])
    with teammate:
        assert teammate.load("custom")["x"].tolist() == [0, 2, 4, 6]
        assert teammate.profile("custom").record_counts["rows"] == 4
    assert (tmp_path / f"{module}.imported").exists()


def test_a_trusted_prefix_is_a_module_prefix_not_a_string_prefix(modules, tmp_path):
    module = modules(LEGIT_LOADER)
    near_miss = TrustPolicy.of(trusted_modules=[module[:-1]])  # "pdsec_abc" must not trust "pdsec_abcd"
    with pytest.raises(UntrustedCodeError):
        check_loader({"class": f"{module}.Squares"}, near_miss)
    assert not (tmp_path / f"{module}.imported").exists()
    assert check_loader({"class": f"{module}.Squares"}, TrustPolicy.of(trusted_modules=[module])).__name__ == "Squares"
    # One string is a list written out, never a sequence of one-letter prefixes.
    assert connect("sqlite:///:memory:", trusted_modules=f"{module}, acme").trust.trusted_modules == (module, "acme")
    assert TrustPolicy.of("p", s3_buckets="b1,b2").s3_buckets == {"b1", "b2"}
    for bad in ("../evil.Loader", ".relative.Loader", "a..b.Loader", "os.path.join\n.x", "x" * 5000):
        with pytest.raises(LoaderError) as info:
            check_loader({"class": bad}, TrustPolicy.of(trusted_modules=["os"]))
        assert len(one_line(info)) < 1000


@pytest.mark.parametrize("value", ["bad-name", "a..b", "*", ".rel"])
def test_a_bad_trusted_prefix_is_refused_when_connecting(tmp_path, monkeypatch, value):
    monkeypatch.setenv("PLEXUS_DATASETS_TRUSTED_MODULES", value)
    with pytest.raises(ValidationError, match="PLEXUS_DATASETS_TRUSTED_MODULES"):
        connect(str(tmp_path / "x.db"))


CLASS_WITHOUT_INTERFACE = """
    from pathlib import Path
    class NotALoader:
        def __init__(self, **kwargs):
            Path(MARKER + ".built").write_text("instantiated")
        def load(self):
            return None
"""


@pytest.mark.parametrize("kind", ["loader", "processor"])
def test_a_class_without_the_interface_is_refused_before_it_is_built(modules, tmp_path, kind):
    module = modules(CLASS_WITHOUT_INTERFACE)
    trust = TrustPolicy.of(trusted_modules=[module], data_roots=[tmp_path])
    if kind == "loader":
        config = {"class": f"{module}.NotALoader"}
    else:
        config = {"class": "InlineItems", "items": ROWS, "processors": [{"class": f"{module}.NotALoader"}]}
    with pytest.raises(LoaderError) as info:
        materialize(config, trust=trust)
    method = "load_dataframe" if kind == "loader" else "process(df)"
    assert method in one_line(info) and f"not a {kind}" in str(info.value)
    assert not (tmp_path / f"{module}.imported.built").exists()
    with pytest.raises(LoaderError, match=method.split("(")[0]):  # the check alone says so too
        check_loader(config, trust)


def test_stdlib_classes_are_no_loaders_even_when_trusted(tmp_path, audit):
    trust = TrustPolicy.of(trusted_modules=["subprocess", "pathlib"], data_roots=[tmp_path])
    for name in ("subprocess.Popen", "pathlib.Path"):
        with pytest.raises(LoaderError, match="not a loader"):
            materialize({"class": name, "args": ["sh", "-c", f"touch {tmp_path}/PWNED"]}, trust=trust)
    assert not (tmp_path / "PWNED").exists() and audit.names("subprocess.Popen") == []


@pytest.fixture
def fake_plexus(tmp_path, monkeypatch):
    """A package named ``plexus`` on sys.path with its distribution metadata, as an installed
    Plexus would be (``pip install plexus`` writes the dist-info)."""
    root = tmp_path / "site"
    (root / "plexus" / "data").mkdir(parents=True)
    info = root / "plexus-1.50.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: plexus\nVersion: 1.50.1\n", encoding="utf-8")
    (info / "top_level.txt").write_text("plexus\n", encoding="utf-8")
    (root / "plexus" / "__init__.py").write_text("")
    (root / "plexus" / "data" / "__init__.py").write_text("")
    (root / "plexus" / "data" / "FeedbackItems.py").write_text(textwrap.dedent("""
        import pandas as pd
        class FeedbackItems:
            def __init__(self, days=1, **_):
                self.days = days
            def load_dataframe(self, *, data, fresh=False):
                return pd.DataFrame({"day": list(range(self.days))})
    """))
    monkeypatch.syspath_prepend(str(root))
    yield
    for name in [m for m in sys.modules if m == "plexus" or m.startswith("plexus.")]:
        del sys.modules[name]


def test_plexus_namespaces_need_plexus_installed_then_no_opt_in(tmp_path, audit):
    nothing = TrustPolicy.of(data_roots=[tmp_path])
    for name in ("FeedbackItems", "plexus.data.FeedbackItems", "plexus_extensions.Cache.Cache"):
        with pytest.raises(LoaderError, match="install Plexus") as info:
            check_loader({"class": name}, nothing)
        assert not isinstance(info.value, UntrustedCodeError)
    assert not [m for m in sys.modules if m == "plexus" or m.startswith(("plexus.", "plexus_extensions"))]


def test_plexus_own_loaders_resolve_when_installed(fake_plexus, tmp_path):
    nothing = TrustPolicy.of(data_roots=[tmp_path])
    assert materialize({"class": "FeedbackItems", "days": 3}, trust=nothing)["day"].tolist() == [0, 1, 2]
    assert materialize({"class": "plexus.data.FeedbackItems", "days": 2}, trust=nothing)["day"].tolist() == [0, 1]
    with pytest.raises(UntrustedCodeError):  # only plexus.data / plexus.processors, not all of plexus
        check_loader({"class": "plexus.other.Thing"}, nothing)


# --- 2. files and buckets read on someone else's behalf ------------------------------------

@pytest.fixture
def secrets(tmp_path):
    """A secret outside the victim's data root, and a data file inside it."""
    folder = tmp_path / "private"
    folder.mkdir()
    pd.DataFrame({"user": ["ann", "bob"], "password": [SECRET, SECRET]}).to_csv(folder / "secret.csv", index=False)
    return folder / "secret.csv"


def hostile_paths(tmp_path: Path, work: Path, secret: Path) -> dict[str, str]:
    (work / "inside").mkdir()
    (work / "inside" / "secret-link.csv").symlink_to(secret)
    (work / "linked-folder").symlink_to(secret.parent, target_is_directory=True)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "secret.csv").write_bytes(secret.read_bytes())
    return {
        "absolute": str(secret),
        "tilde": "~/secret.csv",
        "dotdot": "../private/secret.csv",
        "dotdot-absolute": str(work / ".." / "private" / "secret.csv"),
        "symlink": "inside/secret-link.csv",
        "glob-outside": str(secret.parent / "*.csv"),
        "glob-through-symlinked-folder": "linked-folder/*.csv",
        "glob-match-is-symlink": "inside/*.csv",
        "dotdot-after-wildcard": "inside/*/../../../private/secret.csv",
        "nul": "secret\x00.csv",
    }


def test_files_outside_the_data_roots_are_never_read(machines, secrets, tmp_path, monkeypatch, audit):
    attacker, victim, work = machines
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    hostile = hostile_paths(tmp_path, work, secrets)
    for kind, path in hostile.items():
        plant(attacker, kind, {"class": "FileItems", "path": path, "label_column": "password"})
    Audit.events = []
    for kind in hostile:
        for attempt in (victim.load, victim.profile):
            with pytest.raises(DataAccessError) as info:
                attempt(kind)
            message = one_line(info)
            if kind not in ("nul", "dotdot-after-wildcard"):
                assert str(work) in message and "PLEXUS_DATASETS_DATA_ROOTS" in message and "data_roots=" in message
            assert SECRET not in message
        assert victim.latest_profile(kind) is None
    touched = audit.paths("open", "os.listdir", "os.scandir")
    assert not [p for p in touched if "private" in p.parts or p.name == "secret.csv"]
    assert cache_files(tmp_path) == []


def test_the_audit_recorder_sees_what_loading_does(modules, tmp_path, audit):
    """The control for the tests above: a legitimate load shows up as imports and opens."""
    (tmp_path / "calls.csv").write_text("id,label\n1,Yes\n")
    module = modules(LEGIT_LOADER)
    trust = TrustPolicy.of(trusted_modules=[module], data_roots=[tmp_path])
    materialize({"class": "FileItems", "path": "calls.csv"}, trust=trust)
    materialize({"class": f"{module}.Squares"}, trust=trust)
    assert (tmp_path / "calls.csv").resolve() in audit.paths("open")
    assert (tmp_path / "modules" / f"{module}.py").resolve() in audit.imported_from(tmp_path / "modules")


def test_data_roots_are_extended_by_the_environment_and_connect(machines, secrets, tmp_path, monkeypatch):
    attacker, _, work = machines
    plant(attacker, "private", {"class": "FileItems", "path": str(secrets)})
    (work / "calls.csv").write_text("id,label\n1,Yes\n")
    plant(attacker, "relative", {"class": "FileItems", "path": "calls.csv"})
    db = str(tmp_path / "shared" / "registry.db")
    monkeypatch.setenv("PLEXUS_DATASETS_DATA_ROOTS", os.pathsep.join([str(tmp_path / "nowhere"), str(secrets.parent)]))
    with connect(db) as by_env:
        assert by_env.load("private")["user"].tolist() == ["ann", "bob"]
        with pytest.raises(LoaderError, match="No file matches"):  # relative paths start at the first root
            by_env.load("relative")
    monkeypatch.delenv("PLEXUS_DATASETS_DATA_ROOTS")
    with connect(db, data_roots=[work, secrets.parent]) as by_argument:
        assert by_argument.load("private", fresh=True)["user"].tolist() == ["ann", "bob"]
        assert by_argument.load("relative")["id"].tolist() == [1]


def test_relative_paths_start_at_the_first_root_wherever_the_process_is(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "sub" / "a.csv").write_text("id\n1\n")
    (data / "link.csv").symlink_to(data / "sub" / "a.csv")  # a symlink that stays inside is fine
    monkeypatch.chdir(tmp_path)
    trust = TrustPolicy.of(data_roots=[data])
    assert materialize({"class": "FileItems", "path": "sub/*.csv"}, trust=trust)["id"].tolist() == [1]
    assert materialize({"class": "FileItems", "path": "link.csv"}, trust=trust)["id"].tolist() == [1]
    assert materialize({"class": "FileItems", "path": "sub/../sub/a.csv"}, trust=trust)["id"].tolist() == [1]
    (tmp_path / "other.csv").write_text("id\n2\n")
    with pytest.raises(DataAccessError):
        materialize({"class": "FileItems", "path": "../other.csv"}, trust=trust)


def put_csv(s3, bucket: str, key: str) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=pd.DataFrame(ROWS).to_csv(index=False).encode())


def test_s3_reads_are_limited_to_allowed_buckets(s3, tmp_path, monkeypatch, audit):
    allowed, other = f"ok-{uuid.uuid4().hex[:8]}", f"no-{uuid.uuid4().hex[:8]}"
    for bucket in (allowed, other):
        s3.create_bucket(Bucket=bucket)
        put_csv(s3, bucket, "calls.csv")
    any_bucket = TrustPolicy.of(data_roots=[tmp_path])
    assert len(materialize({"class": "FileItems", "path": f"s3://{other}/calls.csv"}, trust=any_bucket)) == 9
    monkeypatch.setenv("PLEXUS_DATASETS_S3_BUCKETS", allowed)
    db = str(tmp_path / "registry.db")
    with connect(db, data_roots=[tmp_path]) as svc:
        card = svc.create_scorecard("QA", key="qa")
        svc.create_dataset(card, "ok", configuration={"class": "FileItems", "path": f"s3://{allowed}/calls.csv"})
        refused = {"class": "FileItems", "path": [f"s3://{allowed}/calls.csv", f"s3://{other}/*.csv"]}
        with pytest.raises(DataAccessError):
            svc.create_dataset(card, "no", configuration=refused)  # the check before writing asks the policy too
        svc.create_dataset(card, "no", configuration=refused, check=False)  # as a teammate elsewhere may
        assert len(svc.load("ok")) == 9
        Audit.events = []
        with pytest.raises(DataAccessError) as info:
            svc.load("no")
        message = one_line(info)
        assert repr(other) in message and "PLEXUS_DATASETS_S3_BUCKETS" in message and "s3_buckets=" in message
        assert audit.names("socket.connect") == []  # refused before any request, the allowed one included
    with connect(db, data_roots=[tmp_path], s3_buckets=[other]) as svc:  # the argument adds to the variable
        assert len(svc.load("no")) == 18


# --- processors' parameters ------------------------------------------------------------------

BAD_PARAMETERS = {
    "seed-text": {"class": "DownsampleClassDatasetFilter",
                  "parameters": {"column-name": "label", "value": "Yes", "random_seed": "abc"}},
    "seed-negative": {"class": "DownsampleClassDatasetFilter",
                      "parameters": {"column-name": "label", "value": "Yes", "random_seed": -1}},
    "seed-huge": {"class": "DownsampleClassDatasetFilter",
                  "parameters": {"column-name": "label", "value": "Yes", "random_seed": 2**64}},
    "seed-list": {"class": "DownsampleClassDatasetFilter",
                  "parameters": {"column-name": "label", "value": "Yes", "random_seed": [1]}},
    "columns-number": {"class": "ColumnDatasetFilter", "parameters": {"columns": 5.5}},
    "columns-mapping": {"class": "ColumnDatasetFilter", "parameters": {"columns": {"a": 1}}},
    "column-name-list": {"class": "ByColumnValueDatasetFilter", "parameters": {"column-name": ["label"], "value": "x"}},
    "value-mapping": {"class": "ByColumnValueDatasetFilter", "parameters": {"column-name": "label", "value": {"a": 1}}},
    "filter-type-list": {"class": "ByColumnValueDatasetFilter",
                         "parameters": {"column-name": "label", "value": "x", "filter-type": ["include"]}},
    "labels-mapping": {"class": "MergeColumnsDatasetFilter", "parameters": {
        "new_column_name": "v", "columns_to_merge": {"label": {"labels": {"a": 1}, "new_label": "pass"}}}},
    "new-column-list": {"class": "MergeColumnsDatasetFilter", "parameters": {
        "new_column_name": ["v"], "columns_to_merge": {"label": {"labels": ["Yes"], "new_label": "pass"}}}},
    "parameters-list": {"class": "ColumnDatasetFilter", "parameters": ["columns", "id"]},
    "class-number": {"class": 5, "parameters": {}},
}


@pytest.mark.parametrize("case", sorted(BAD_PARAMETERS))
def test_bad_processor_parameters_are_one_line_errors_and_nothing_is_written(machines, tmp_path, case, audit):
    attacker, victim, work = machines
    (work / "calls.csv").write_text(pd.DataFrame(ROWS).to_csv(index=False))
    plant(attacker, "calls", {"class": "FileItems", "path": "calls.csv", "processors": [BAD_PARAMETERS[case]]})
    Audit.events = []
    for attempt in (victim.load, victim.profile, lambda r: victim.check_configuration(victim.resolve(r).configuration)):
        with pytest.raises(LoaderError) as info:
            attempt("calls")
        one_line(info)
    assert (work / "calls.csv") not in audit.paths("open")  # refused before the data was read
    assert victim.latest_profile("calls") is None and cache_files(tmp_path) == []


def test_a_bad_balance_seed_and_a_failing_processor_are_one_line_errors(modules, tmp_path):
    trust = TrustPolicy.of(data_roots=[tmp_path])
    with pytest.raises(LoaderError, match="random_seed must be a whole number") as info:
        materialize({"class": "InlineItems", "items": ROWS, "balance": True, "label_column": "label",
                     "random_seed": "abc"}, trust=trust)
    one_line(info)
    module = modules("""
        class Broken:
            def __init__(self, **_): pass
            def process(self, df):
                raise ZeroDivisionError("boom\\nsecond line")
    """)
    with pytest.raises(LoaderError, match="ZeroDivisionError: boom") as info:
        materialize({"class": "InlineItems", "items": ROWS, "processors": [{"class": f"{module}.Broken"}]},
                    trust=TrustPolicy.of(trusted_modules=[module], data_roots=[tmp_path]))
    one_line(info)
    # Plexus's quoted seeds still work, and the defaults are unchanged.
    quoted = materialize({"class": "InlineItems", "items": ROWS, "processors": [BAD_PARAMETERS["seed-text"] | {
        "parameters": {"column-name": "label", "value": "Yes", "random_seed": "7"}}]}, trust=trust)
    assert (quoted["label"] == "Yes").sum() == 3


# --- 3. the cache: hashed names, never outside its folder -----------------------------------

def snapshot(root: Path, skip: Path) -> dict[str, bytes | str]:
    """Every file under ``root`` except ``skip``'s tree: its bytes (or a symlink's target)."""
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        if path == skip or skip in path.parents:
            continue
        if path.is_symlink():
            found[str(path)] = os.readlink(path)
        elif path.is_file():
            found[str(path)] = path.read_bytes()
    return found


TRAVERSAL_IDS = ["../../.jupyter/jupyter_server_config.", "../victim", "/etc/passwd", "a/b\\c", "..", "x\x00y",
                 "é" * 300]


def test_cache_names_are_hashes_and_never_leave_the_cache_folder(tmp_path, audit):
    home = tmp_path / "home"
    cache_dir = home / ".cache" / "materialized"
    (home / ".jupyter").mkdir(parents=True)
    victim_file = home / ".jupyter" / "jupyter_server_config.json"
    victim_file.write_text('{"ServerApp": {"token": "keep-me"}}')
    (home / "victim-0123456789abcdef.json").write_text("keep me too")
    before = snapshot(tmp_path, cache_dir)
    cache = MaterializationCache(cache_dir)
    frame = pd.DataFrame(ROWS)
    Audit.events = []
    for version_id in TRAVERSAL_IDS:
        data, manifest = cache.paths(version_id, "0123456789abcdef" * 4)
        assert data.parent == manifest.parent == cache_dir.resolve() and len(data.stem) == 64
        assert cache.get(version_id, "0123456789abcdef" * 4) is None
        cache.put(version_id, "0123456789abcdef" * 4, frame)
        assert cache.get(version_id, "0123456789abcdef" * 4).equals(frame)
        data.write_bytes(b"damaged")  # damaged: removed and reported as a miss, inside the cache only
        assert cache.get(version_id, "0123456789abcdef" * 4) is None and not data.exists()
    touched = audit.paths("open", "os.remove", "os.rename", "os.rmdir")
    assert outside([p for p in touched if p.suffix in (".json", ".parquet", ".tmp")], cache_dir) == []
    assert snapshot(tmp_path, cache_dir) == before
    names = {p.name for p in cache_dir.iterdir()}  # entries, and snapshots kept by content (snap-<sha256>)
    assert all(set(n.split(".")[0].removeprefix("snap-")) <= set("0123456789abcdef") for n in names)
    assert any(n.startswith("snap-") for n in names)


def test_a_symlink_planted_in_the_cache_is_never_followed(tmp_path):
    cache_dir, target = tmp_path / "cache", tmp_path / "precious.txt"
    target.write_text("precious")
    cache = MaterializationCache(cache_dir)
    cache.put("v1", "d" * 64, pd.DataFrame(ROWS))
    data, manifest = cache.paths("v1", "d" * 64)
    for planted in (data, manifest):
        planted.unlink()
        planted.symlink_to(target)
        assert cache.get("v1", "d" * 64) is None  # a symlink is damage: the link goes, the target stays
        assert not planted.is_symlink() and target.read_text() == "precious"
        cache.put("v1", "d" * 64, pd.DataFrame(ROWS))
        assert not planted.is_symlink() and target.read_text() == "precious"


@pytest.fixture
def csv_dataset(tmp_path):
    svc = connect(str(tmp_path / "store.db"), data_roots=[tmp_path])
    pd.DataFrame(ROWS).to_csv(tmp_path / "calls.csv", index=False)
    card = svc.create_scorecard("QA", key="qa")
    svc.create_dataset(card, "calls", configuration={"class": "FileItems", "path": "calls.csv"})
    yield svc
    svc.close()


def test_a_cache_entry_replaced_by_a_directory(csv_dataset, tmp_path):
    svc = csv_dataset
    version = svc.resolve("calls")
    data, manifest = svc.cache.paths(version.id, version.digest)
    data.mkdir(parents=True)  # empty: nothing to lose, so it is cleared and the entry rebuilt
    assert svc.load("calls")["id"].tolist() == list(range(1, 10)) and data.is_file()
    data.unlink()
    manifest.unlink()
    data.mkdir()
    (data / "someone's file").write_text("keep")  # not empty: reported, left alone, nothing written
    with pytest.raises(LoaderError, match="is a directory") as info:
        svc.load("calls")
    one_line(info)
    assert (data / "someone's file").read_text() == "keep" and not manifest.exists()
    assert svc.cache.get(version.id, version.digest) is None


def test_a_manifest_bound_to_another_entry_is_not_used(csv_dataset, tmp_path):
    svc = csv_dataset
    first = svc.resolve("calls")
    svc.load("calls")
    second = svc.create_version("calls", {"class": "FileItems", "path": "calls.csv", "label_column": "label"})
    for source, target in zip(svc.cache.paths(first.id, first.digest), svc.cache.paths(second.id, second.digest)):
        target.write_bytes(source.read_bytes())  # a copied entry checks out by its own checksum...
    assert svc.cache.get(second.id, second.digest) is None  # ...but belongs to another entry


def test_a_tampered_s3_mirror_is_ignored_and_rebuilt(csv_dataset, s3, tmp_path):
    svc = csv_dataset
    bucket = f"mirror-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    mirror = f"s3://{bucket}/materialized"
    svc._cache = MaterializationCache(tmp_path / "local-a", mirror)
    first = svc.load("calls")
    version = svc.resolve("calls")
    key = svc.cache.key(version.id, version.digest)
    pinned = svc.snapshot("calls").sha256
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]) == [
        f"materialized/{key}.json", f"materialized/{key}.parquet",
        f"materialized/snapshots/{pinned}.json", f"materialized/snapshots/{pinned}.parquet"]
    fake = pd.DataFrame({"id": [666], "text": ["tampered"], "label": ["Yes"]})
    buffer = io.BytesIO()
    fake.to_parquet(buffer, index=False)
    good_manifest = s3.get_object(Bucket=bucket, Key=f"materialized/{key}.json")["Body"].read()
    tampering = {
        "object-replaced": (buffer.getvalue(), good_manifest),
        "both-replaced-for-another-entry": (buffer.getvalue(), json.dumps({
            "entry": "0" * 64, "sha256": hashlib.sha256(buffer.getvalue()).hexdigest(), "rows": 1,
            "columns": ["id", "text", "label"]}).encode()),
        "manifest-not-an-object": (buffer.getvalue(), b"[1, 2, 3]"),
        "manifest-nested": (buffer.getvalue(), b"[" * 100_000),
    }
    for n, (payload, manifest) in enumerate(tampering.values()):
        s3.put_object(Bucket=bucket, Key=f"materialized/{key}.parquet", Body=payload)
        s3.put_object(Bucket=bucket, Key=f"materialized/{key}.json", Body=manifest)
        svc._cache = MaterializationCache(tmp_path / f"local-{n}", mirror)  # a teammate with an empty cache
        assert svc.cache.get(version.id, version.digest) is None
        loaded = svc.load("calls")  # rebuilt from the source, never the tampered object
        assert loaded.equals(first) and 666 not in loaded["id"].tolist()
    (tmp_path / "calls.csv").unlink()  # with the source gone, the repaired mirror serves the right data
    svc._cache = MaterializationCache(tmp_path / "local-last", mirror)
    assert svc.load("calls").equals(first)
    # a pinned snapshot whose mirrored bytes were replaced is refused, never rebuilt or replaced
    s3.put_object(Bucket=bucket, Key=f"materialized/snapshots/{pinned}.parquet", Body=buffer.getvalue())
    svc._cache = MaterializationCache(tmp_path / "local-pinned", mirror)
    with pytest.raises(SnapshotMismatchError, match=f"sha256:{pinned[:12]}.*not the data that was recorded"):
        svc.load(f"calls@sha256:{pinned[:12]}")
    assert not (tmp_path / "local-pinned" / f"snap-{pinned}.parquet").exists()


# --- review findings: hidden files under the default root, a fake Plexus beside the notebook -------


def test_hidden_files_below_a_data_root_are_never_read(tmp_path, monkeypatch, audit):
    """The default root is the working directory, often $HOME: .aws/credentials must stay unread."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text("key,secret\nAKIA-TEST,s3cr3t-value\n", encoding="utf-8")
    (home / "project").mkdir()
    (home / "project" / ".env").write_text("password\nhunter2\n", encoding="utf-8")
    (home / "data.csv").write_text("text,label\nhello,Yes\n", encoding="utf-8")
    monkeypatch.chdir(home)
    trust = TrustPolicy()  # the default: the working directory
    Audit.events = []  # what the test itself wrote above is not what loading reads
    for path in (".aws/credentials", "project/.env", str(home / ".aws" / "credentials"), ".*/credentials"):
        with pytest.raises(DataAccessError) as info:
            materialize({"class": "FileItems", "path": path, "format": "csv"}, trust=trust)
        assert "s3cr3t" not in one_line(info) and ("hidden" in str(info.value) or "No file" in str(info.value))
    assert not [p for p in audit.paths("open") if p.name in ("credentials", ".env")]
    frame = materialize({"class": "FileItems", "path": "data.csv"}, trust=trust)
    assert list(frame["label"]) == ["Yes"]
    # A hidden folder chosen as a root on purpose is the user's call.
    chosen = TrustPolicy(data_roots=[home / ".aws"])
    assert len(materialize({"class": "FileItems", "path": "credentials", "format": "csv"}, trust=chosen)) == 1


def test_a_plexus_folder_beside_the_notebook_is_not_plexus(tmp_path, monkeypatch):
    fake = tmp_path / "work"
    marker = tmp_path / "IMPORTED"
    for package in ("plexus", "plexus/data", "plexus_extensions"):
        (fake / package).mkdir(parents=True, exist_ok=True)
        (fake / package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n", encoding="utf-8")
    monkeypatch.chdir(fake)
    monkeypatch.syspath_prepend(str(fake))
    for name in ("plexus.data.Anything", "plexus_extensions.Loader", "FeedbackItems"):
        with pytest.raises(LoaderError):
            check_loader({"class": name})
    assert not marker.exists()
    for module in [m for m in sys.modules if m.split(".")[0] in ("plexus", "plexus_extensions")]:
        sys.modules.pop(module)
