"""JSON endpoints under ``/plexus-datasets/`` for the Datasets sidebar.

- ``GET scorecards``: ``[{id, name, key}]``
- ``GET datasets?scorecard=&score=&name=``: ``[{id, name, scorecardId, scoreId, currentVersion, versions,
  lastProfile, records, profileVersion, sampleProfilesOnly}]``: ``lastProfile`` and ``records`` are of the
  current version's newest *full* profile (never a sample's), ``profileVersion`` the number of the version
  they describe (the current one; null without a full profile)
- ``GET datasets/<id>``: ``{dataset: {...}, versions: [{id, number, created, current, note, digest}]}``
- ``GET versions/<id>/profile``: the version's newest full profile ``{id, created, rows, columns,
  subject: {kind, rows, population, seed, purpose, snapshotSha256, builtAt, declared},
  answers: {column: {counts, null, other}}}``, or ``null`` when it has none (sample profiles of an
  evaluation's subset never stand for the version)

The service is whatever ``plexus_datasets.service.connect()`` gives in the server's
environment. Every endpoint needs Jupyter's authentication. Errors come back
as JSON ``{"status": code, "message": text}``, never as a stack trace.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import tornado
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from plexus_datasets import (
    AmbiguousReferenceError,
    AuthError,
    BackendError,
    ConflictError,
    NotFoundError,
    PlexusDatasetsError,
    ValidationError,
)
from plexus_datasets.facts import ProfileFacts

__all__ = ["dataset_rows", "setup_handlers", "version_profile"]

SERVICE_KEY = "plexus_datasets_service"
_lock = threading.Lock()


def _status(error: PlexusDatasetsError) -> int:
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ValidationError):
        return 400
    if isinstance(error, AmbiguousReferenceError | ConflictError):
        return 409
    if isinstance(error, AuthError):
        return 502
    if isinstance(error, BackendError):
        return 503
    return 500


class _Handler(APIHandler):
    """Runs the service call off the event loop and turns errors into JSON."""

    def service(self) -> Any:
        settings = self.settings
        with _lock:
            if SERVICE_KEY not in settings:
                from plexus_datasets.service import connect

                settings[SERVICE_KEY] = connect()
            return settings[SERVICE_KEY]

    async def respond(self, fn: Any, *args: Any) -> None:
        try:
            result = await asyncio.to_thread(lambda: fn(self.service(), *args))
        except PlexusDatasetsError as exc:
            status = _status(exc)
            prefix = "The dataset store is unavailable: " if status in (502, 503) else ""
            self.log.warning("plexus-datasets %s: %s", type(exc).__name__, exc)
            return self._json_error(status, prefix + str(exc))
        except Exception:  # a bug: logged with its traceback on the server, never sent
            self.log.exception("plexus-datasets endpoint failed")
            return self._json_error(500, "Internal error in the plexus-datasets server extension; "
                                         "see the Jupyter server log.")
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(result, default=str))

    def _json_error(self, status: int, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": status, "message": message}))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # Tornado's own errors (403, 404, 405...) as JSON too, without tracebacks.
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": status_code, "message": self._reason}))


class ScorecardsHandler(_Handler):
    @tornado.web.authenticated
    async def get(self) -> None:
        await self.respond(lambda svc: [{"id": c.id, "name": c.name, "key": c.key} for c in svc.list_scorecards()])


def dataset_rows(svc: Any, scorecard: str | None, score: str | None, name: str | None) -> list[dict[str, Any]]:
    """``GET datasets``: one row per dataset summary (records of the current version's newest full profile)."""
    return [
        {"id": s.dataset.id, "name": s.dataset.name, "scorecardId": s.dataset.scorecard_id,
         "scoreId": s.dataset.score_id,
         "currentVersion": s.current_version.version_number if s.current_version else None,
         "versions": s.version_count,
         "lastProfile": s.latest_profile.created_at.isoformat() if s.latest_profile else None,
         "records": s.record_count,
         "profileVersion": s.profile_version.version_number if s.profile_version else None,
         "sampleProfilesOnly": s.sample_profiles_only}
        for s in svc.dataset_summaries(scorecard=scorecard, score=score, name=name)
    ]


class DatasetsHandler(_Handler):
    @tornado.web.authenticated
    async def get(self) -> None:
        scorecard = self.get_query_argument("scorecard", None) or None
        score = self.get_query_argument("score", None) or None
        name = self.get_query_argument("name", None) or None
        await self.respond(dataset_rows, scorecard, score, name)


class DatasetHandler(_Handler):
    @tornado.web.authenticated
    async def get(self, dataset_id: str) -> None:
        def detail(svc: Any) -> dict[str, Any]:
            dataset = svc.get_dataset(dataset_id)
            versions = [
                {"id": v.id, "number": v.version_number, "created": v.created_at.isoformat(),
                 "current": v.id == dataset.current_version_id, "note": v.note, "digest": v.digest[:12]}
                for v in svc.list_versions(dataset)
            ]
            return {"dataset": {"id": dataset.id, "name": dataset.name, "description": dataset.description,
                                "scorecardId": dataset.scorecard_id, "scoreId": dataset.score_id,
                                "currentVersionId": dataset.current_version_id},
                    "versions": versions}

        await self.respond(detail)


def version_profile(svc: Any, version_id: str) -> dict[str, Any] | None:
    """``GET versions/<id>/profile``: the version's newest *full* profile (``svc.latest_profile``
    never returns a sample's), with what it describes; None when it has none."""
    version = svc.get_version(version_id)
    profile = svc.latest_profile(version)
    if profile is None:
        return None
    facts = ProfileFacts.of(profile)
    subject = facts.subject
    return {"id": profile.id, "created": profile.created_at.isoformat(), "rows": facts.rows,
            "columns": len(facts.columns),
            "subject": {"kind": subject.kind, "rows": subject.rows, "population": subject.population,
                        "seed": subject.seed, "purpose": subject.purpose,
                        "snapshotSha256": subject.snapshot_sha256, "builtAt": subject.built_at,
                        "declared": subject.declared},
            "answers": {k: {"counts": dict(a.counts), "null": a.null, "other": a.other}
                        for k, a in facts.answers.items()}}


class ProfileHandler(_Handler):
    @tornado.web.authenticated
    async def get(self, version_id: str) -> None:
        await self.respond(version_profile, version_id)


def setup_handlers(web_app: Any) -> None:
    base = url_path_join(web_app.settings["base_url"], "plexus-datasets")
    web_app.add_handlers(".*$", [
        (url_path_join(base, "scorecards"), ScorecardsHandler),
        (url_path_join(base, "datasets"), DatasetsHandler),
        (url_path_join(base, "datasets", r"([^/]+)"), DatasetHandler),
        (url_path_join(base, "versions", r"([^/]+)", "profile"), ProfileHandler),
    ])
