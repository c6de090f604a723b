"""Imports: a Plexus score's ``data:`` section becoming a dataset's versions.

Two callers share this: the file importer (``importer``: score and scorecard YAML
files, which finds or creates the scorecard and score first) and
``DatasetService.import_score`` (a score whose configuration the store keeps: on
Plexus's API, its champion ScoreVersion's YAML). Either way:

- the dataset is the score's dataset named after it; its configuration is the
  ``data:`` section, with the score's ``item:`` section beside ``class:`` (as a
  Plexus DataSource writes it; the loader receives it as ``item_config``) and, on
  a store whose scores keep no metadata, the score's label column;
- nothing is written when the content is unchanged; content identical to any
  version names that version; changed content becomes the next version. It
  becomes current when the dataset was following its score (its current version
  was the latest); otherwise the current version counts as pinned and stays. The
  result's ``notes`` say which happened.

A score's configuration from the store is someone else's text: it is parsed
safely and bounded (``configs.parse_score_config``), never runs code, and its
configuration is checked (structure always, this machine's loaders and files as a
note) before anything is written.

This module writes through the façade's public methods only (as the importer
did), so every rule the service enforces applies.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

from ..configs import IMPORT_NOTE, ImportAction, ImportResult, ScoreSpec, parse_score_config
from ..errors import AmbiguousReferenceError, ConfigurationError, LoaderError, NotFoundError, ValidationError
from ..models import DatasetVersion, Score, Scorecard
from ..refs import with_version

if TYPE_CHECKING:
    from . import DatasetService

#: How a file import is named in the advice messages give.
FILE_IMPORT = "`plexus-datasets import score-config FILE` (Python: plexus_datasets.importer.import_score_config)"


# --- which score ---------------------------------------------------------------------------


def find_score(svc: DatasetService, ref: Score | str, scorecard: Scorecard | str | None) -> Score:
    """A score by id, key, externalId or name; ``SCORECARD/SCORE`` scopes it by scorecard
    (as ``scorecard=`` does). An ambiguous name lists its candidates as ``SCORECARD/SCORE``."""
    if isinstance(ref, Score):
        return ref
    if scorecard is not None:
        return svc.get_score(ref, scorecard)
    try:
        return svc.get_score(ref)
    except NotFoundError:
        for card_ref, score_ref in _splits(ref):
            try:
                return svc.get_score(score_ref, card_ref)
            except NotFoundError:
                continue
        raise
    except AmbiguousReferenceError as exc:
        scoped = _scoped_candidates(svc, ref)
        raise AmbiguousReferenceError(f"More than one score is {ref!r}; name it as SCORECARD/SCORE (or pass "
                                      "scorecard=..., CLI: --scorecard).", scoped or exc.candidates) from exc


def _splits(ref: str) -> list[tuple[str, str]]:
    """``(scorecard, score)`` at each ``/`` (names may hold one themselves)."""
    parts = ref.split("/")
    return [("/".join(parts[:i]), "/".join(parts[i:])) for i in range(1, len(parts))
            if "/".join(parts[:i]).strip() and "/".join(parts[i:]).strip()]


def _scoped_candidates(svc: DatasetService, ref: str) -> list[str]:
    return [f"{card.name}/{score.name}" for card in svc.list_scorecards() for score in svc.list_scores(card)
            if ref in (score.id, score.key, score.external_id, score.name)]


# --- a score's configuration in the store ---------------------------------------------------------


def stored_configuration(svc: DatasetService, score: Score) -> tuple[str, str]:
    """``(version id, YAML text)`` of the score's configuration as the store keeps it.

    ValidationError on a store that keeps none (the embedded store, the plan's schema),
    NotFoundError when the score has no champion version.
    """
    if not svc.backend.score_configurations:
        raise ValidationError(f"{svc.describe()} keeps no score configurations: only Plexus's API does (a score's "
                              f"champion ScoreVersion). Import the score's YAML file instead: {FILE_IMPORT}.")
    found = svc.backend.score_configuration(score.id)
    if found is None:
        raise NotFoundError(f"Score {score.name!r} has no champion version in {svc.describe()}, so it has no "
                            "configuration to import. Choose its champion version in Plexus's dashboard, or import "
                            f"the score's YAML file: {FILE_IMPORT}.")
    return found


def stored_spec(svc: DatasetService, score: Score) -> tuple[ScoreSpec, str]:
    """The score's stored configuration parsed (safely: see ``configs.parse_score_config``), and
    its version id. ConfigurationError/ValidationError name the score and version."""
    version_id, text = stored_configuration(svc, score)
    where = f"The configuration of score {score.name!r} (champion ScoreVersion {version_id})"
    try:
        return parse_score_config(text, where=where, default_name=score.name), version_id
    except ValidationError as exc:
        if str(exc).startswith(where):
            raise
        if isinstance(exc, ConfigurationError):
            raise ConfigurationError(f"{where} can't be read: {exc}", exc.line, exc.column) from exc
        raise ValidationError(f"{where} can't be imported: {exc}") from exc


# --- the import ------------------------------------------------------------------------------


def import_score(svc: DatasetService, ref: Score | str, scorecard: Scorecard | str | None,
                 configuration: str | ScoreSpec | None) -> ImportResult:
    """What ``DatasetService.import_score`` does (see its docstring)."""
    score = find_score(svc, ref, scorecard)
    card = scorecard if isinstance(scorecard, Scorecard) else svc.scorecard_of_score(score)
    if configuration is not None:
        spec = configuration if isinstance(configuration, ScoreSpec) else parse_score_config(configuration)
        return import_spec(svc, card, score, spec)
    spec, version_id = stored_spec(svc, score)
    if spec.data is None:
        raise ValidationError(f"The configuration of score {score.name!r} (champion ScoreVersion {version_id}) has no "
                              "`data:` section, so there is no dataset to import. Add one to the score (a new "
                              "version, made champion), or create the dataset with `plexus-datasets datasets create`.")
    return import_spec(svc, card, score, spec, name=score.name)


def import_spec(svc: DatasetService, card: Scorecard, score: Score, spec: ScoreSpec, notes: tuple[str, ...] = (),
                *, name: str | None = None) -> ImportResult:
    """Turn ``spec``'s data section into the score's dataset (named ``name``, default the
    spec's name) and its versions; ``notes`` go first in the result's notes."""
    data, said = dataset_configuration(svc, score, spec)
    notes = (*notes, *said)
    if data is None:
        return ImportResult(score, None, None, "no-data", notes)
    notes = (*notes, *_check(svc, data))
    name = name or spec.name
    existing = [d for d in svc.list_datasets(score=score) if d.name == name]
    if not existing:
        dataset = svc.create_dataset(card, name, score=score, configuration=data, note=IMPORT_NOTE, check=False)
        return ImportResult(score, dataset, svc.current_version(dataset), "created", notes)
    dataset = existing[0]
    versions = svc.list_versions(dataset)
    version = svc.create_version(dataset, data, note=IMPORT_NOTE, check=False)
    known = any(v.id == version.id for v in versions)
    current = dataset.current_version_id
    if version.id == current:
        return ImportResult(score, dataset, version, "unchanged", notes)
    action: ImportAction = "existing-version" if known else "new-version"
    if _following(versions, current):
        dataset = svc.set_current_version(dataset, version, expected_current=current)
        if known and version.id != versions[-1].id:
            notes = (*notes, (f"the score's data matches {version.label} again, which is current now; it is not "
                              "the latest version, so later imports will treat it as pinned until you make the latest "
                              "one current"))
    else:
        pinned = next((v.label for v in versions if v.id == current), "none")
        command = f"plexus-datasets versions set-current {shlex.quote(with_version(dataset.name, version.label))}"
        notes = (*notes, f"current version stays {pinned} (pinned); make {version.label} current with `{command}`")
    return ImportResult(score, dataset, version, action, notes)


def dataset_configuration(svc: DatasetService, score: Score, spec: ScoreSpec
                          ) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
    """The configuration a score's YAML gives its dataset (None without ``data:``), and notes:
    the ``data:`` section, plus ``item:`` (the score's item pipeline, beside ``class:`` as a
    Plexus DataSource writes it) and, where scores keep no metadata, ``label_column``."""
    data = spec.data
    if data is None:
        return None, ()
    notes: tuple[str, ...] = ()
    if (not svc.stores_score_metadata and spec.label_column and spec.label_column != score.name
            and "label_column" not in data):
        # The score can't say which column holds its labels here, so the dataset does.
        data = {**data, "label_column": spec.label_column}
    if spec.item is not None and "item" not in data and "item_config" not in data:
        if _built_in(data):
            notes = (("the score's item: section is not part of the dataset: the built-in loaders read rows as "
                      "stored and can't run Plexus's item pipeline"),)
        else:
            data = {**data, "item": spec.item}
    return data, notes


def _built_in(data: dict[str, Any]) -> bool:
    from ..loaders import BUILTIN_LOADERS, loader_name

    try:
        return loader_name(data) in BUILTIN_LOADERS
    except LoaderError:
        return False  # no class: the check says so


def _check(svc: DatasetService, data: dict[str, Any]) -> tuple[str, ...]:
    """The whole check, once (the writes skip this machine's part): a note when the
    configuration is fine but can't load here; a configuration wrong anywhere raises."""
    svc.check_configuration(data, environment=False)
    try:
        svc.check_configuration(data)
    except LoaderError as exc:
        return (f"imported, but it can't load on this machine: {exc}",)
    return ()


def _following(versions: list[DatasetVersion], current: str | None) -> bool:
    """Whether the dataset follows its score: its current version is the latest. Any other
    current version counts as pinned (a rollback on purpose looks the same as a revert of
    the score, so an import never moves it)."""
    return bool(versions) and versions[-1].id == current
