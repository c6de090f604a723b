"""Data: materializing versions (cached), profiling them, checking configurations.

Long steps report through the ``Progress`` the service was given; nothing here
draws a bar itself. Every configuration is loaded and checked under the
service's ``TrustPolicy`` (stored configurations are someone else's).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..configs import parse_configuration, validate_configuration
from ..models import DatasetVersion, Score
from ..progress import Progress
from ._records import Records
from ._resolution import Resolver

if TYPE_CHECKING:
    import pandas as pd

    from ..loaders.cache import MaterializationCache
    from ..loaders.trust import TrustPolicy


class Data:
    def __init__(self, records: Records, resolver: Resolver, cache: Callable[[], MaterializationCache],
                 progress: Progress, trust: TrustPolicy) -> None:
        self.records = records
        self.resolver = resolver
        self.cache = cache
        self.progress = progress
        self.trust = trust

    def label_column(self, version: DatasetVersion | None, dataset: Any) -> str | None:
        """The configuration's ``label_column`` (of ``version``, else of the dataset's
        current version), else the score's ``metadata.label_column``, else its name."""
        if version is not None and version.configuration.get("label_column"):
            return str(version.configuration["label_column"])
        ds = self.resolver.dataset(version.dataset_id if version else dataset)
        current = self.resolver.current(ds, required=False) if version is None else None
        if current is not None and current.configuration.get("label_column"):
            return str(current.configuration["label_column"])
        score = self.records.get(Score, ds.score_id)
        if score is None:
            return None
        return str((score.metadata or {}).get("label_column") or score.name)

    def load(self, version: DatasetVersion, fresh: bool) -> pd.DataFrame:
        from ..loaders import materialize

        with self.progress(f"Loading {version.label}", 2) as advance:
            cache = self.cache()
            if not fresh:
                cached = cache.get(version.id, version.digest)
                if cached is not None:
                    return cached
            label = self.label_column(version, None)
            frame = materialize(version.configuration, label_column=label, fresh=fresh, trust=self.trust)
            advance()
            cache.put(version.id, version.digest, frame)
            advance()
        return frame

    def profile_frame(self, version: DatasetVersion, frame: pd.DataFrame, answer_columns: Iterable[str] | None,
                      text_columns: Iterable[str] | None) -> dict[str, Any]:
        """The profile payload of ``frame`` (answer columns default to the label column)."""
        from ..profiling import profile

        if answer_columns is None:
            label = self.label_column(version, None)
            answer_columns = [label] if label and label in frame.columns else []
        with self.progress(f"Profiling {version.label}", 1) as advance:
            payload = profile(frame, answer_columns=answer_columns, text_columns=text_columns)
            advance()
        return payload

    def check_configuration(self, source: str | Mapping[str, Any]) -> dict[str, Any]:
        from ..loaders import check_loader

        config = parse_configuration(source)
        check_loader(config, self.trust)
        return config

    def load_configuration(self, configuration: Mapping[str, Any], label_column: str | None) -> pd.DataFrame:
        from ..loaders import materialize

        return materialize(validate_configuration(configuration), label_column=label_column, trust=self.trust)
