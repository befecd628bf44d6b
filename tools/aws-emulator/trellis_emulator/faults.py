"""Injected faults (latency, throttling, server errors) and the count of calls.

A fault configuration is global with optional per-operation overrides. Keys of
`per_operation` are `Operation` or `service:Operation` (the SigV4 signing name,
for example `vpc-lattice:CreateService`); the latter wins. Rates draw from one
random generator seeded by `seed`, so a run with a seed repeats its faults.
Counters (`fail_next`, `throttle_next`, `fail_after_success`) are consumed one
per matching call and make faults deterministic.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class OperationFaults:
    latency_ms: float | None = None
    throttle_rate: float | None = None
    error_rate: float | None = None
    error_after_share: float | None = None
    # The next N calls answer 429 / 500 without being performed.
    throttle_next: int = 0
    fail_next: int = 0
    # The next N calls are performed, then answered 500: the client believes
    # the call failed while its effect exists, as after a crash or a timeout.
    fail_after_success: int = 0


@dataclass
class FaultConfig:
    latency_ms: float = 0.0
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    # Of the errors drawn by `error_rate`, the share that is answered 500 after
    # the call was performed ("the call succeeded, the client saw an error").
    error_after_share: float = 0.0
    seed: int | None = None
    per_operation: dict[str, OperationFaults] = field(default_factory=dict)

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> "FaultConfig":
        known = {f.name for f in fields(OperationFaults)}
        per_operation = {}
        for key, value in (document.get("per_operation") or {}).items():
            unknown = set(value) - known
            if unknown:
                raise ValueError(f"unknown fault fields for {key}: {sorted(unknown)}")
            per_operation[key] = OperationFaults(**value)
        unknown = set(document) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        config = cls(
            latency_ms=float(document.get("latency_ms", 0.0)),
            throttle_rate=float(document.get("throttle_rate", 0.0)),
            error_rate=float(document.get("error_rate", 0.0)),
            error_after_share=float(document.get("error_after_share", 0.0)),
            seed=document.get("seed"),
            per_operation=per_operation,
        )
        scopes = [(config.throttle_rate, config.error_rate, config.error_after_share)]
        for o in per_operation.values():
            scopes.append(
                (
                    config.throttle_rate if o.throttle_rate is None else o.throttle_rate,
                    config.error_rate if o.error_rate is None else o.error_rate,
                    config.error_after_share if o.error_after_share is None else o.error_after_share,
                )
            )
        for throttle, error, share in scopes:
            for rate in (throttle, error, share):
                if not 0.0 <= rate <= 1.0:
                    raise ValueError("rates must be between 0 and 1")
            # One draw per call splits the calls: errors, then throttles, so that each
            # rate is a share of all calls (not of the calls the other spared).
            if throttle + error > 1.0:
                raise ValueError("throttle_rate + error_rate must not exceed 1")
        return config

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Decision:
    latency_s: float = 0.0
    before: str | None = None  # "throttle" or "error": answer without performing
    fail_after: bool = False


class FaultInjector:
    def __init__(self, config: FaultConfig | None = None):
        self._lock = threading.Lock()
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._random = random.Random(config.seed)
            self._injected = {"throttle": 0, "error": 0, "fail_after_success": 0}

    def injected(self) -> dict[str, int]:
        """Faults injected since the configuration was last set, by kind."""
        with self._lock:
            return dict(self._injected)

    def decide(self, service: str, operation: str) -> Decision:
        decision = self._decide(service, operation)
        with self._lock:
            if decision.before is not None:
                self._injected[decision.before] += 1
            elif decision.fail_after:
                self._injected["fail_after_success"] += 1
        return decision

    def _decide(self, service: str, operation: str) -> Decision:
        with self._lock:
            config = self.config
            override = config.per_operation.get(f"{service}:{operation}") or config.per_operation.get(operation)
            override = override or OperationFaults()
            latency = override.latency_ms if override.latency_ms is not None else config.latency_ms
            decision_latency = max(0.0, latency) / 1000.0
            if override.throttle_next > 0:
                override.throttle_next -= 1
                return Decision(decision_latency, before="throttle")
            if override.fail_next > 0:
                override.fail_next -= 1
                return Decision(decision_latency, before="error")
            throttle_rate = override.throttle_rate if override.throttle_rate is not None else config.throttle_rate
            error_rate = override.error_rate if override.error_rate is not None else config.error_rate
            share = override.error_after_share if override.error_after_share is not None else config.error_after_share
            if throttle_rate or error_rate:
                draw = self._random.random()
                if draw < error_rate:
                    # Reuse the draw (uniform below error_rate) to pick the kind.
                    if draw < error_rate * share:
                        return Decision(decision_latency, fail_after=True)
                    return Decision(decision_latency, before="error")
                if draw < error_rate + throttle_rate:
                    return Decision(decision_latency, before="throttle")
            if override.fail_after_success > 0:
                override.fail_after_success -= 1
                return Decision(decision_latency, fail_after=True)
            return Decision(decision_latency)


class CallCounter:
    """Calls per service and operation, faulted ones included, and the request body bytes they sent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._bytes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def record(self, service: str, operation: str, body_bytes: int = 0) -> None:
        with self._lock:
            self._counts[service][operation] += 1
            self._bytes[service][operation] += body_bytes

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {service: dict(ops) for service, ops in self._counts.items()}

    def bytes_snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {service: dict(ops) for service, ops in self._bytes.items()}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._bytes.clear()
