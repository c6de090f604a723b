"""AppSync's errors as the stand-in raises them: an ``errorType`` and a message.

A resolver (or the query checks) raises ``AppSyncError``; the app formats it in
AppSync's envelope (``path``, ``data``, ``errorType``, ``errorInfo``,
``locations``, ``message``) inside an HTTP 200.
"""

from __future__ import annotations

__all__ = [
    "CONDITIONAL_FAILED",
    "DYNAMODB_ERROR",
    "ILLEGAL_ARGUMENT",
    "INVALID_ARGUMENTS",
    "NO_SORT_KEY",
    "RESOLVER_LIMIT",
    "RESPONSE_LIMIT",
    "VALIDATION",
    "AppSyncError",
    "conditional_failed",
    "dynamodb_validation",
]

CONDITIONAL_FAILED = "DynamoDB:ConditionalCheckFailedException"
ILLEGAL_ARGUMENT = "DynamoDB:UserIllegalArgumentException"
#: DynamoDB's ValidationException (item too large, bad key attribute...), as AppSync reports it.
DYNAMODB_ERROR = "DynamoDB:DynamoDbException"
INVALID_ARGUMENTS = "InvalidArgumentsError"
#: The message of ``INVALID_ARGUMENTS`` for ``sortDirection`` on an index without a sort key.
NO_SORT_KEY = "sortDirection is not supported for List operations without a Sort key defined."
#: A document refused before it runs (syntax, unknown fields, variable types, the query limits).
VALIDATION = "ValidationError"
#: AppSync's answer when a request runs more resolvers than it allows.
RESOLVER_LIMIT = "ResolverExecutionLimitReached"
#: The stand-in's own: a response past its size limit (AppSync has no documented equivalent).
RESPONSE_LIMIT = "ResponseSizeLimitExceeded"


class AppSyncError(Exception):
    """An error with AppSync's ``errorType``."""

    def __init__(self, error_type: str, message: str) -> None:
        self.error_type = error_type
        super().__init__(message)


def conditional_failed() -> AppSyncError:
    return AppSyncError(CONDITIONAL_FAILED, "The conditional request failed (Service: DynamoDb, Status Code: 400)")


def dynamodb_validation(reason: str) -> AppSyncError:
    """DynamoDB's ValidationException, worded as AppSync passes it on."""
    return AppSyncError(DYNAMODB_ERROR, f"{reason} (Service: DynamoDb, Status Code: 400, Error Code: ValidationException)")
