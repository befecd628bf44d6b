"""Pieces shared by the extension backends: callers, IDs, asynchronous statuses, pages."""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Sequence, TypeVar

from .apimodel import AwsError

T = TypeVar("T")


@dataclass(frozen=True)
class Caller:
    """Who sent a request and where: the account moto attributes the key to."""

    account: str
    region: str
    partition: str = "aws"


@dataclass
class Settings:
    """Behaviour that tests may change at run time (POST /_trellis/settings)."""

    async_delay: float = 0.0


def now() -> float:
    return time.time()


def new_id(prefix: str) -> str:
    """An AWS-shaped identifier: `prefix-` and 17 lowercase hex digits."""
    return f"{prefix}-{secrets.token_hex(9)[:17]}"


def fingerprint(params: dict[str, Any], ignore: Sequence[str] = ("clientToken",)) -> str:
    """A canonical form of request parameters, to compare idempotent retries."""
    kept = {k: v for k, v in params.items() if k not in ignore}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"))


class Lifecycle:
    """An asynchronous status that advances with time instead of with a worker.

    A create is in progress until `ready_at`, an update until `update_done_at`,
    and a delete until `delete_done_at`, after which the resource is gone.
    Statuses are computed when read, so no background thread is needed and a
    zero delay makes every transition immediate.
    """

    def __init__(self, delay: float, start: float):
        self.ready_at = start + delay
        self.update_done_at = 0.0
        self.delete_done_at: float | None = None

    def status(self, at: float) -> str:
        if self.delete_done_at is not None:
            return "DELETE_IN_PROGRESS"
        if at < self.ready_at:
            return "CREATE_IN_PROGRESS"
        if at < self.update_done_at:
            return "UPDATE_IN_PROGRESS"
        return "ACTIVE"

    def gone(self, at: float) -> bool:
        return self.delete_done_at is not None and at >= self.delete_done_at

    def start_update(self, delay: float, at: float) -> None:
        self.update_done_at = at + delay

    def start_delete(self, delay: float, at: float) -> None:
        if self.delete_done_at is None:
            self.delete_done_at = at + delay


def paginate(
    items: list[T],
    max_results: int | None,
    next_token: str | None,
    default_page: int = 50,
    error_code: str = "ValidationException",
) -> tuple[list[T], str | None]:
    """One page of `items` (in a stable order) and the token of the next one."""
    start = 0
    if next_token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(next_token.encode()))
            start = int(decoded["offset"])
        except (ValueError, KeyError, TypeError):
            raise AwsError(error_code, "invalid nextToken") from None
        if start < 0:
            raise AwsError(error_code, "invalid nextToken")
    size = max_results or default_page
    page = items[start : start + size]
    following = start + size
    token = None
    if following < len(items):
        token = base64.urlsafe_b64encode(json.dumps({"offset": following}).encode()).decode()
    return page, token


def parse_arn(arn: str) -> dict[str, str] | None:
    """The parts of an ARN (partition, service, region, account, resource), or None."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return {
        "partition": parts[1],
        "service": parts[2],
        "region": parts[3],
        "account": parts[4],
        "resource": parts[5],
    }
