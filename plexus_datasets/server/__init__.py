"""The Amplify-compatible GraphQL stand-in server (``plexus-datasets serve``).

One machinery serves every schema, driven by its contract (``contract``: the SDL and the
Amplify model introspection, packaged under ``contracts/<name>/``): ``contract_schema``
generates the resolvers (AppSync's semantics), ``batching`` reads a level of nested
fields in one store call, ``limits`` bounds a request, ``app`` is the HTTP surface.
The store behind the resolvers is an ``items.ItemSource``:

- an ``ItemStore`` (``items``): DynamoDB-like items and sparse index entries in SQLite
  or PostgreSQL, e.g. ``ItemStore(url, load_contract("plan"))`` for the dataset plan's
  schema (``serve``'s default) or ``load_contract("plexus")`` for Plexus's;
- a ``Backend`` (the plan's models; tests seed a ``SQLBackend`` and read it back),
  which ``create_app`` presents as items through ``BackendItems``.

``compose.serve()`` builds the store (copying an older database's SQL tables into the
items once, ``migration``) and calls ``run``; tests build an app with
``create_app(store, api_key)`` and run it under their own uvicorn. ``Limits`` holds
what one request may ask.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from .app import create_app
from .limits import Limits

if TYPE_CHECKING:
    from ..backends.base import Backend
    from .items import ItemSource, ItemStore

__all__ = ["Limits", "create_app", "ensure_account", "run"]

#: Connections served at once; past it uvicorn answers 503 (clients retry).
MAX_CONNECTIONS = 128


def run(store: Backend | ItemSource, *, host: str = "127.0.0.1", port: int = 8765, api_key: str | None = None,
        log_level: str = "info", cors_origins: Iterable[str] = (), allowed_hosts: Iterable[str] = (),
        iam_credentials: Mapping[str, str] | None = None, iam_region: str | None = None) -> None:
    """Serve ``store`` until interrupted. With neither ``api_key`` nor
    ``iam_credentials`` the server does no authentication; the CLI only allows that
    with ``--insecure-no-auth``. Only ``cors_origins`` get CORS headers; Host headers
    must name ``host``, a loopback name or one of ``allowed_hosts``. ``iam_region``, when
    given, is the only region a SigV4 signature may be scoped to."""
    import sys

    import uvicorn

    # GraphQL work runs on worker threads; a 1 ms switch interval (Python's default is
    # 5 ms) hands the interpreter back to the event loop soon enough for /health to
    # answer within milliseconds while they work.
    sys.setswitchinterval(0.001)
    app = create_app(store, api_key, host=host, allowed_hosts=allowed_hosts, cors_origins=cors_origins,
                     manage_gc=True, iam_credentials=iam_credentials, iam_region=iam_region)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, lifespan="on",
                limit_concurrency=MAX_CONNECTIONS)


def ensure_account(store: ItemStore, key: str) -> str:
    """The id of the Plexus ``Account`` whose key is ``key`` in ``store``, created (named
    ``"Plexus account <key>"``, with server timestamps) when none has it. A stand-in
    convenience: on real AppSync accounts are Plexus's to make.

    Race-free: the created Account's id is derived from the key (``uuid5``) and put only if
    absent, so servers starting together with one key make one Account."""
    from .contract_schema import now_iso8601
    from .items import ConditionFailed

    by_key = next(index.name for index in store.contract.models["Account"].indexes
                  if index.partition_key == "key" and not index.sort_keys)
    token = None
    while True:
        page = store.query("Account", by_key, key, limit=100, next_token=token)
        if page.items:
            return page.items[0]["id"]
        token = page.next_token
        if token is None:
            break
    now = now_iso8601()
    account = {"id": str(uuid.uuid5(_ACCOUNT_IDS, key)), "name": f"Plexus account {key}", "key": key,
               "createdAt": now, "updatedAt": now, "__typename": "Account"}
    try:
        return store.put("Account", account)["id"]
    except ConditionFailed:
        return account["id"]  # another server made it meanwhile


#: The namespace of ``ensure_account``'s Account ids (uuid5 of the key).
_ACCOUNT_IDS = uuid.UUID("5b0e6f1c-8f5e-4c63-9a43-2f1e8d7c6b5a")
