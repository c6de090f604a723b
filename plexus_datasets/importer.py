"""Importing Plexus score and scorecard YAML: existing configs keep working.

``import_score_config(service, path_or_text, scorecard=None)``

- reads the score's identity (``name``, ``key``, ``id``/``externalId``) and its
  ``data:`` section;
- finds its scorecard: the ``scorecard`` argument, else the folder the file is
  in (Plexus keeps ``scorecards/<Scorecard name>/<Score>.yaml``), else the
  ``data: scorecard:`` value; matched by id, key, externalId or name, and
  created when missing;
- finds the score in that scorecard by key, then externalId, else creates it
  (in a section named "Default");
- creates a dataset named after the score whose version 1 is the ``data:``
  section verbatim. Re-importing an unchanged file writes nothing; a changed
  ``data:`` becomes the next version, and becomes current when the current
  version was the latest (the dataset was following the YAML).

``import_scorecard(service, path)`` does the same for a scorecard YAML
(``sections[].scores[]`` or top-level ``scores:``) or a folder of score YAMLs.

The importer is a client of ``DatasetService`` (it sits with the CLI and the
widgets): it parses with ``configs`` and writes through the service's public
methods, so it follows every rule the service enforces.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .configs import ScoreSpec, parse_score_config, parse_scorecard
from .errors import ConfigurationError, NotFoundError, ValidationError
from .models import Dataset, DatasetVersion, Score, Scorecard
from .formats import decode_text
from .refs import with_version

if TYPE_CHECKING:
    from .service import DatasetService

__all__ = ["ImportResult", "import_score_config", "import_scorecard", "read_score_config"]

Action = Literal["created", "new-version", "unchanged", "no-data"]


@dataclass(frozen=True)
class ImportResult:
    score: Score
    dataset: Dataset | None
    version: DatasetVersion | None
    action: Action

    def __str__(self) -> str:
        if self.dataset is None or self.version is None:
            return f"{self.score.name}: no data section, score only"
        return f"{self.score.name}: {self.action} ({with_version(self.dataset.name, self.version.label)})"


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
                   scorecard: Scorecard | str | None) -> Scorecard:
    if scorecard is not None:
        return service.get_scorecard(scorecard)
    hints = []
    if path is not None and path.parent.name:
        hints.append(path.parent.name)
    if spec.data and spec.data.get("scorecard") is not None:
        hints.append(str(spec.data["scorecard"]))
    for hint in hints:
        found = _find_scorecard(service, hint)
        if found:
            return found
    if not hints:
        raise ValidationError(
            f"Which scorecard does score {spec.name!r} belong to? Pass scorecard=... (CLI: --scorecard), "
            "or keep the file in a folder named after its scorecard."
        )
    hint = hints[0]
    external = str(spec.data["scorecard"]) if spec.data and spec.data.get("scorecard") is not None else None
    return service.create_scorecard(hint, external_id=external if external != hint or hint.isdigit() else None)


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
    metadata = {"label_column": spec.label_column, "class": spec.score_class}
    if spec.label_field:
        metadata["label_field"] = spec.label_field
    return service.create_score(
        _section(service, card, section_name), spec.name, key=spec.key, type=spec.score_class,
        external_id=spec.external_id, description=spec.description, metadata=metadata,
    )


def _import_data(service: DatasetService, card: Scorecard, score: Score, spec: ScoreSpec) -> ImportResult:
    if spec.data is None:
        return ImportResult(score, None, None, "no-data")
    existing = [d for d in service.list_datasets(score=score) if d.name == spec.name]
    if not existing:
        dataset = service.create_dataset(card, spec.name, score=score, configuration=spec.data,
                                         note="imported from score YAML")
        return ImportResult(score, dataset, service.current_version(dataset), "created")
    dataset = existing[0]
    before = service.latest_version(dataset)
    version = service.create_version(dataset, spec.data, note="imported from score YAML")
    if before is not None and version.id == before.id:
        return ImportResult(score, dataset, version, "unchanged")
    if before is not None and dataset.current_version_id == before.id:
        dataset = service.set_current_version(dataset, version, expected_current=before)
    return ImportResult(score, dataset, version, "new-version")


def import_score_config(service: DatasetService, source: str | Path, *,
                        scorecard: Scorecard | str | None = None) -> ImportResult:
    """Import one Plexus score YAML (a path or its text); see the module docstring."""
    text, path = _read(source)
    spec = parse_score_config(text)
    card = _scorecard_for(service, spec, path, scorecard)
    score = _ensure_score(service, card, spec, "Default")
    return _import_data(service, card, score, spec)


def import_scorecard(service: DatasetService, path: str | Path) -> list[ImportResult]:
    """Import a scorecard YAML, or a folder of score YAMLs named after its scorecard."""
    folder = Path(path).expanduser()
    if folder.is_dir():
        files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
        if not files:
            raise NotFoundError(f"No *.yaml score files in {folder}.")
        card = _find_scorecard(service, folder.name) or service.create_scorecard(folder.name)
        return [import_score_config(service, f, scorecard=card) for f in files]
    text, _ = _read(folder if folder.suffix else str(path))
    spec = parse_scorecard(text)
    card = None
    for ref in (spec.external_id, spec.key, spec.name):
        if ref and card is None:
            card = _find_scorecard(service, ref)
    if card is None:
        card = service.create_scorecard(spec.name, key=spec.key, external_id=spec.external_id,
                                        description=spec.description)
    results = []
    for section_name, scores in spec.sections:
        for score_spec in scores:
            score = _ensure_score(service, card, score_spec, section_name)
            results.append(_import_data(service, card, score, score_spec))
    if not results:
        raise ConfigurationError(f"The scorecard {spec.name!r} lists no scores (sections[].scores[] or scores:).")
    return results

