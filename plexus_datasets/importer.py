"""Importing Plexus score and scorecard YAML: existing configs keep working.

``import_score_config(service, path_or_text, scorecard=None)``

- reads the score's identity (``name``, ``key``, ``id``/``externalId``) and its
  ``data:`` section;
- finds its scorecard: the ``scorecard`` argument (found by id, key, externalId
  or name, created when missing); else a scorecard YAML in the file's folder
  that lists this score; else an existing scorecard named after the folder; else,
  with a note saying so, the scorecard the ``data: scorecard:`` id names; else,
  in Plexus's layout ``scorecards/<Scorecard name>/<Score>.yaml``, a new scorecard
  named after the folder; else, with a note, a new one named by that id. With
  none of these it asks for ``scorecard``;
- finds the score in that scorecard by key, then externalId, else creates it
  (in a section named "Default");
- creates a dataset named after the score whose version 1 is the ``data:``
  section verbatim (with the score's ``item:`` section beside ``class:``, as a
  Plexus DataSource keeps it). Re-importing an unchanged file writes nothing. A
  ``data:`` identical to any existing version returns that version; a changed one
  becomes the next version. Either way it becomes current when the dataset was
  following the file (its current version was the latest); otherwise the current
  version counts as pinned and stays (a rollback on purpose and a file reverted to
  older content look the same). The result's ``notes`` say which happened.

Configurations are checked as ``DatasetService.check_configuration`` does. One
that can't load on this machine only because of the machine (Plexus's
``FeedbackItems`` without Plexus installed, a file that lives elsewhere) is still
imported, with a note saying why it won't load here; a configuration that is
wrong anywhere (an unknown parameter, a bad processor) is refused.

``import_scorecard(service, path)`` does the same for a scorecard YAML
(``sections[].scores[]`` or top-level ``scores:``) or a folder of score YAMLs.

A score whose configuration lives in Plexus's API (its champion ScoreVersion)
imports the same way with ``DatasetService.import_score(score)`` (CLI: ``import
score SCORE``); both share the service's import of a score's data section.

The importer is a client of ``DatasetService`` (it sits with the CLI and the
widgets): it parses with ``configs`` and writes through the service's public
methods, so it follows every rule the service enforces.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .configs import IMPORT_NOTE, ImportResult, ScorecardSpec, ScoreSpec, parse_score_config, parse_scorecard
from .errors import ConfigurationError, NotFoundError, PlexusDatasetsError, ValidationError
from .formats import decode_text
from .models import Score, Scorecard

if TYPE_CHECKING:
    from .service import DatasetService

__all__ = ["IMPORT_NOTE", "ImportResult", "import_score_config", "import_scorecard", "read_score_config"]


def _read(source: str | Path) -> tuple[str, Path | None]:
    if isinstance(source, Path) or ("\n" not in source and source.strip().endswith((".yaml", ".yml"))):
        path = Path(source).expanduser()
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"No such file: {path}.") from None
        except OSError as exc:
            raise ValidationError(f"Can't read {path}: {exc.strerror or exc}.") from exc
        return decode_text(data, str(path)), path
    return source, None


def read_score_config(path: str | Path) -> ScoreSpec:
    """The identity and ``data:`` section of a Plexus score YAML file.

    Raises NotFoundError for a missing file, ValidationError for one that can't
    be read as UTF-8 text, ConfigurationError for bad YAML.
    """
    text, _ = _read(Path(path))
    return parse_score_config(text)


def _find_scorecard(service: DatasetService, ref: str) -> Scorecard | None:
    try:
        return service.get_scorecard(ref)
    except NotFoundError:
        return None


def _scorecard_for(service: DatasetService, spec: ScoreSpec, path: Path | None,
                   scorecard: Scorecard | str | None) -> tuple[Scorecard, list[str]]:
    """The score's scorecard and a note when it was only inferred from ``data.scorecard``."""
    if isinstance(scorecard, Scorecard):
        return scorecard, []
    if scorecard is not None:
        return _find_scorecard(service, scorecard) or service.create_scorecard(scorecard), []
    folder = path.resolve().parent if path is not None else None
    listed = _folder_scorecard(folder, spec) if folder is not None else None
    if listed is not None:
        return _scorecard_from_spec(service, listed), []
    if folder is not None and folder.name:
        found = _find_scorecard(service, folder.name)
        if found:
            return found, []
    data_id = str(spec.data["scorecard"]) if spec.data and spec.data.get("scorecard") is not None else None
    found = _find_scorecard(service, data_id) if data_id else None
    if found:
        return found, [f"scorecard {found.name!r} found by the data section's scorecard id {data_id}"]
    if folder is not None and folder.parent.name == "scorecards":  # Plexus's scorecards/<Scorecard>/<Score>.yaml
        return service.create_scorecard(folder.name, external_id=data_id), []
    if data_id is None:
        raise ValidationError(
            f"Which scorecard does score {spec.name!r} belong to? Pass scorecard=... (CLI: --scorecard NAME, "
            "created when missing), or keep the file beside its scorecard YAML."
        )
    card = service.create_scorecard(data_id, external_id=data_id)
    return card, [(f"created scorecard {data_id!r} from the data section's scorecard id; pass --scorecard NAME "
                  "to put the score in a named one")]


def _folder_scorecard(folder: Path, spec: ScoreSpec) -> ScorecardSpec | None:
    """A scorecard YAML in ``folder`` itself that lists this score."""
    for candidate in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])[:200]:
        try:
            card = parse_scorecard(decode_text(candidate.read_bytes()[:4_000_000], str(candidate)))
        except (PlexusDatasetsError, OSError):
            continue  # score files and anything else that isn't a scorecard
        if any(_same_score(s, spec) for _, scores in card.sections for s in scores):
            return card
    return None


def _same_score(listed: ScoreSpec, spec: ScoreSpec) -> bool:
    """Same external id, else same key; names count only when neither says otherwise."""
    for field in ("external_id", "key"):
        mine, theirs = getattr(spec, field), getattr(listed, field)
        if mine and theirs:
            return bool(mine == theirs)
    return listed.name == spec.name


def _scorecard_from_spec(service: DatasetService, spec: ScorecardSpec) -> Scorecard:
    for ref in (spec.external_id, spec.key, spec.name):
        found = _find_scorecard(service, ref) if ref else None
        if found is not None:
            return found
    return service.create_scorecard(spec.name, key=spec.key, external_id=spec.external_id,
                                    description=spec.description)


def _find_score(service: DatasetService, card: Scorecard, spec: ScoreSpec) -> Score | None:
    scores = service.list_scores(card)
    for field, value in (("key", spec.key), ("external_id", spec.external_id)):
        if value:
            hits = [s for s in scores if getattr(s, field) == value]
            if hits:
                return hits[0]
    hits = [s for s in scores if s.name == spec.name and not s.key and not s.external_id]
    return hits[0] if hits else None


def _section(service: DatasetService, card: Scorecard, name: str):  # type: ignore[no-untyped-def]
    for section in service.list_sections(card):
        if section.name == name:
            return section
    return service.create_section(card, name)


def _ensure_score(service: DatasetService, card: Scorecard, spec: ScoreSpec, section_name: str) -> Score:
    found = _find_score(service, card, spec)
    if found:
        return found
    metadata: dict[str, Any] | None = {"label_column": spec.label_column, "class": spec.score_class}
    if spec.label_field:
        metadata["label_field"] = spec.label_field  # type: ignore[index]
    if not service.stores_score_metadata:
        metadata = None  # Plexus's Score has no metadata; _import_data puts the label column in the dataset
    return service.create_score(
        _section(service, card, section_name), spec.name, key=spec.key, type=spec.score_class,
        external_id=spec.external_id, description=spec.description, metadata=metadata,
    )


def _import_data(service: DatasetService, card: Scorecard, score: Score, spec: ScoreSpec,
                 notes: list[str]) -> ImportResult:
    """The score's data section into its dataset (``DatasetService.import_score``), with ``notes`` first."""
    result = service.import_score(score, scorecard=card, configuration=spec)
    return dataclasses.replace(result, notes=(*notes, *result.notes)) if notes else result


def import_score_config(service: DatasetService, source: str | Path, *,
                        scorecard: Scorecard | str | None = None) -> ImportResult:
    """Import one Plexus score YAML (a path or its text); see the module docstring."""
    text, path = _read(source)
    spec = parse_score_config(text)
    card, notes = _scorecard_for(service, spec, path, scorecard)
    score = _ensure_score(service, card, spec, "Default")
    return _import_data(service, card, score, spec, notes)


def import_scorecard(service: DatasetService, path: str | Path) -> list[ImportResult]:
    """Import a scorecard YAML, or a folder of score YAMLs named after its scorecard
    (found by name, created when missing)."""
    folder = Path(path).expanduser()
    if folder.is_dir():
        files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
        if not files:
            raise NotFoundError(f"No *.yaml score files in {folder}.")
        card = _find_scorecard(service, folder.resolve().name) or service.create_scorecard(folder.resolve().name)
        return [import_score_config(service, f, scorecard=card) for f in files]
    text, _ = _read(folder if folder.suffix else str(path))
    spec = parse_scorecard(text)
    card = _scorecard_from_spec(service, spec)
    results = []
    for section_name, scores in spec.sections:
        for score_spec in scores:
            score = _ensure_score(service, card, score_spec, section_name)
            results.append(_import_data(service, card, score, score_spec, []))
    if not results:
        raise ConfigurationError(f"The scorecard {spec.name!r} lists no scores (sections[].scores[] or scores:).")
    return results
