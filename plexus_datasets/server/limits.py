"""What one request may ask of the stand-in, and the checks that refuse the rest.

AppSync bounds a request by its query depth (``queryDepthLimit``), the resolvers it
runs (``resolverCountLimit``, at most 10,000) and DynamoDB's sizes (a page stops at
1 MB, an item holds at most 400 KB, a key attribute at most 2,048 bytes). The
stand-in keeps those with AppSync's error shapes, and adds bounds of its own where
its work would otherwise grow without one: the body, the document, the fields and
items of one request, the response. Every check runs before the work it guards.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import DocumentNode, FieldNode, FragmentDefinitionNode, InlineFragmentNode, OperationDefinitionNode

from ..backends.base import item_size
from .appsync import VALIDATION, AppSyncError, dynamodb_validation

if TYPE_CHECKING:
    from .contract import ContractModel

__all__ = ["Limits", "check_document", "check_item", "key_fields", "relation_fields"]

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The stand-in's limits (defaults are what ``plexus-datasets serve`` uses)."""

    #: Request body (HTTP 413 past it).
    max_body_bytes: int = 5 * MIB
    #: Query text, and its tokens (both before the document is parsed further).
    max_query_chars: int = 100_000
    max_tokens: int = 15_000
    #: Nesting of fields (``a { b { c } }`` is 3); ``__Type.ofType`` chains do not count.
    max_depth: int = 12
    #: Fields in the document (aliases and fragment uses count each time).
    max_fields: int = 2_000
    #: Fields that run a resolver (root fields and relationship fields), per document.
    max_resolver_fields: int = 200
    #: Resolver calls per request (AppSync's resolverCountLimit at its maximum).
    max_resolver_calls: int = 10_000
    #: Records returned by resolvers per request.
    max_items: int = 100_000
    #: Bytes of records read from the store per request.
    max_read_bytes: int = 64 * MIB
    #: A page of a list: DynamoDB's 1 MB, and at most this many items.
    max_page_bytes: int = 1 * MIB
    max_page_items: int = 1_000
    #: DynamoDB's item size limit, and the size of a key attribute (id, an index field).
    max_item_bytes: int = 400 * 1024
    max_key_bytes: int = 2_048
    #: DynamoDB's nesting of maps and lists in an attribute (AWSJSON values are stored as such).
    max_nesting: int = 32
    #: The JSON response (about its characters).
    max_response_bytes: int = 32 * MIB
    #: Errors listed in one response.
    max_errors: int = 100


def relation_fields(models: Iterable[ContractModel]) -> frozenset[str]:
    """The names of the relationship fields of a contract's models (the fields that
    run a resolver below the root), for ``check_document``."""
    return frozenset(name for model in models for name in model.relations)


def key_fields(model: ContractModel) -> tuple[str, ...]:
    """The attributes of a contract model that DynamoDB stores as key attributes: the
    primary key, and each secondary index's partition key and single sort key (a
    composite sort key is stored as its own ``a#b`` attribute, whose parts are plain
    attributes)."""
    fields = list(model.primary_key.fields)
    for index in model.indexes:
        fields += [index.partition_key, *(index.sort_keys if len(index.sort_keys) == 1 else ())]
    return tuple(dict.fromkeys(fields))


def check_document(document: DocumentNode, limits: Limits, resolver_fields: Collection[str]) -> None:
    """Refuse a document deeper, wider or with more resolver fields than ``limits``
    allow, with AppSync's ``ValidationError``. Runs before graphql-core's validation
    (whose cost grows with the square of repeated fields), in time bounded by the
    limits however fragments nest. ``resolver_fields`` are the names of the fields
    below the root that run a resolver (``relation_fields`` of the served contract)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    fields = resolvers = visited = 0
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        # (selection set, depth of the field that holds it, whether it is the operation's, fragments on the way)
        stack: list[tuple[Any, int, bool, tuple[str, ...]]] = [(operation.selection_set, 0, True, ())]
        while stack:
            selection_set, depth, root, path = stack.pop()
            for selection in selection_set.selections:
                visited += 1
                if visited > 4 * limits.max_fields:
                    raise _refused(f"The query has more than {limits.max_fields} fields.")
                if isinstance(selection, FieldNode):
                    name = selection.name.value
                    # ofType only unwraps a type's list and non-null wrappers: it can't fan out.
                    level = depth if name == "ofType" else depth + 1
                    if level > limits.max_depth:
                        raise _refused(f"Query depth limit of {limits.max_depth} exceeded: field '{name}' is at "
                                       f"depth {level}.")
                    fields += 1
                    if fields > limits.max_fields:
                        raise _refused(f"The query has more than {limits.max_fields} fields.")
                    if root or name in resolver_fields:
                        resolvers += 1
                        if resolvers > limits.max_resolver_fields:
                            raise _refused(f"The query selects more than {limits.max_resolver_fields} fields that run "
                                           "a resolver (root and relationship fields; each alias counts).")
                    if selection.selection_set:
                        stack.append((selection.selection_set, level, False, path))
                elif isinstance(selection, InlineFragmentNode):
                    stack.append((selection.selection_set, depth, root, path))
                else:
                    fragment = fragments.get(selection.name.value)
                    if fragment is not None and fragment.name.value not in path:  # validation reports the rest
                        stack.append((fragment.selection_set, depth, root, (*path, fragment.name.value)))


def _refused(message: str) -> AppSyncError:
    return AppSyncError(VALIDATION, message)


def check_item(model: str, item: Mapping[str, Any], limits: Limits, keys: Iterable[str]) -> None:
    """Refuse what DynamoDB refuses to store, with its ValidationException: an empty or
    oversized key attribute (the id, an index field), maps and lists nested deeper than
    ``max_nesting`` levels, text that is not valid Unicode, an item over 400 KB (counted
    as DynamoDB does, with AppSync's ``__typename``).

    ``keys`` are the model's key attributes (``key_fields`` of its contract model)."""
    for key in keys:
        value = item.get(key)
        if value == "":
            raise dynamodb_validation("One or more parameter values are not valid. The AttributeValue for a key "
                                      f"attribute cannot contain an empty string value. Key: {key}")
        if isinstance(value, str) and len(value.encode("utf-8", "surrogatepass")) > limits.max_key_bytes:
            raise dynamodb_validation(f"One or more parameter values were invalid: Size of hashkey has exceeded the "
                                      f"maximum size limit of {limits.max_key_bytes} bytes. Key: {key}")
    if any(_nesting(value) > limits.max_nesting for value in item.values()):
        raise dynamodb_validation("One or more parameter values were invalid: Nesting Levels have exceeded "
                                  "supported limits")
    try:
        json.dumps(item, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise dynamodb_validation("One or more parameter values were invalid: a string is not valid UTF-8 "
                                  "(a lone surrogate)") from None
    if item_size({**item, "__typename": model}) > limits.max_item_bytes:
        raise dynamodb_validation("Item size has exceeded the maximum allowed size")


def _nesting(value: Any) -> int:
    """How many maps and lists deep ``value`` goes (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        members = current.values() if isinstance(current, dict) else current if isinstance(current, list) else None
        if members is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((member, depth + 1) for member in members if isinstance(member, dict | list))
    return deepest
