"""The rest-json protocol, driven by botocore's service models.

The extension services (VPC Lattice, RAM) are served from the same JSON
models the AWS SDKs are generated from: routing uses each operation's HTTP
method and URI template, request members are read from the URI, the query
string, headers or the JSON body as the model says, inputs are validated
against the model's constraints (required, length, pattern, enum, range), and
outputs are filtered to the members the model declares, so a Get and a List
summary of the same resource differ exactly as they do on AWS.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import botocore.loaders


class AwsError(Exception):
    """An error answer: its code is the model's exception shape name."""

    def __init__(self, code: str, message: str, status: int | None = None, **fields: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.fields = {k: v for k, v in fields.items() if v is not None}


@functools.lru_cache(maxsize=None)
def load_model(service: str) -> dict[str, Any]:
    """The botocore service model of `service` (its endpoint prefix), cached."""
    loader = botocore.loaders.create_loader()
    return loader.load_service_model(service, "service-2")


@dataclass(frozen=True)
class _Route:
    operation: str
    method: str
    segments: tuple[str, ...]

    @property
    def literal_count(self) -> int:
        return sum(1 for s in self.segments if not s.startswith("{"))


@dataclass
class ApiModel:
    """One rest-json service: routing, input parsing, validation, output rendering."""

    service: str
    model: dict[str, Any] = field(init=False)
    routes: list[_Route] = field(init=False)

    def __post_init__(self) -> None:
        self.model = load_model(self.service)
        routes = []
        for name, op in self.model["operations"].items():
            path = op["http"]["requestUri"].split("?", 1)[0]
            segments = tuple(s for s in path.split("/") if s)
            routes.append(_Route(name, op["http"]["method"], segments))
        # Templates with more literal segments win: /targetgroups/{id}/listtargets
        # must not be taken for a longer identifier.
        self.routes = sorted(routes, key=lambda r: (-r.literal_count, -len(r.segments)))

    @property
    def shapes(self) -> dict[str, Any]:
        return self.model["shapes"]

    # -- routing ---------------------------------------------------------

    def match(self, method: str, raw_path: str) -> tuple[str, dict[str, str]] | None:
        """The operation a request addresses and its URI labels, percent-decoded."""
        raw_segments = [s for s in raw_path.split("?", 1)[0].split("/") if s]
        for route in self.routes:
            if route.method != method:
                continue
            labels = _match_segments(route.segments, raw_segments)
            if labels is not None:
                return route.operation, labels
        return None

    def error_status(self, code: str, default: int = 400) -> int:
        shape = self.shapes.get(code, {})
        return int(shape.get("error", {}).get("httpStatusCode", default))

    def exception_named(self, status: int) -> str | None:
        """The name of the model's exception shape answered with `status`, if any."""
        for name, shape in self.shapes.items():
            if shape.get("exception") and shape.get("error", {}).get("httpStatusCode") == status:
                return name
        return None

    def response_code(self, operation: str) -> int:
        return int(self.model["operations"][operation]["http"].get("responseCode", 200))

    # -- input -----------------------------------------------------------

    def parse_input(
        self,
        operation: str,
        labels: dict[str, str],
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> dict[str, Any]:
        op = self.model["operations"][operation]
        if "input" not in op:
            return {}
        shape = self.shapes[op["input"]["shape"]]
        try:
            document = json.loads(body) if body.strip() else {}
        except ValueError as exc:
            raise AwsError("ValidationException", f"cannot parse request body: {exc}", reason="cannotParse") from exc
        if not isinstance(document, dict):
            raise AwsError("ValidationException", "request body must be a json object")
        params: dict[str, Any] = {}
        lower_headers = {k.lower(): v for k, v in headers.items()}
        for member, ref in shape["members"].items():
            location = ref.get("location")
            wire = ref.get("locationName", member)
            target = self.shapes[ref["shape"]]
            if location == "uri":
                if wire in labels:
                    params[member] = _scalar(target, labels[wire])
            elif location == "querystring":
                if wire in query:
                    values = query[wire]
                    if target["type"] == "list":
                        member_shape = self.shapes[target["member"]["shape"]]
                        params[member] = [_scalar(member_shape, v) for v in values]
                    else:
                        params[member] = _scalar(target, values[0])
            elif location == "header":
                if wire.lower() in lower_headers:
                    params[member] = _scalar(target, lower_headers[wire.lower()])
            elif wire in document:
                params[member] = document[wire]
        return params

    def validate_input(self, operation: str, params: dict[str, Any]) -> list[dict[str, str]]:
        """Every constraint the model states that `params` breaks, as AWS field errors."""
        op = self.model["operations"][operation]
        if "input" not in op:
            return []
        errors: list[dict[str, str]] = []
        self._validate(op["input"]["shape"], params, "", errors)
        return errors

    def _validate(self, shape_name: str, value: Any, path: str, errors: list[dict[str, str]]) -> None:
        shape = self.shapes[shape_name]
        kind = shape["type"]

        def fail(message: str) -> None:
            errors.append({"name": path or shape_name, "message": message})

        if kind == "structure":
            if not isinstance(value, dict):
                return fail("expected an object")
            for required in shape.get("required", []):
                if value.get(required) is None:
                    errors.append({"name": _join(path, required), "message": "required field is missing"})
            for member, ref in shape["members"].items():
                if value.get(member) is not None:
                    self._validate(ref["shape"], value[member], _join(path, member), errors)
        elif kind == "list":
            if not isinstance(value, list):
                return fail("expected a list")
            if "min" in shape and len(value) < shape["min"]:
                fail(f"must have at least {shape['min']} items")
            if "max" in shape and len(value) > shape["max"]:
                fail(f"must have at most {shape['max']} items")
            for i, item in enumerate(value):
                self._validate(shape["member"]["shape"], item, f"{path}[{i}]", errors)
        elif kind == "map":
            if not isinstance(value, dict):
                return fail("expected a map")
            if "max" in shape and len(value) > shape["max"]:
                fail(f"must have at most {shape['max']} entries")
            for k, v in value.items():
                self._validate(shape["key"]["shape"], k, f"{path}.key", errors)
                self._validate(shape["value"]["shape"], v, f"{path}.{k}", errors)
        elif kind == "string":
            if not isinstance(value, str):
                return fail("expected a string")
            if "min" in shape and len(value) < shape["min"]:
                fail(f"length must be at least {shape['min']}")
            if "max" in shape and len(value) > shape["max"]:
                fail(f"length must be at most {shape['max']}")
            if "enum" in shape and value not in shape["enum"]:
                fail(f"must be one of {', '.join(shape['enum'])}")
            if "pattern" in shape and not _pattern(shape["pattern"]).fullmatch(value):
                fail(f"must match pattern {shape['pattern']}")
        elif kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                return fail("expected an integer")
            if "min" in shape and value < shape["min"]:
                fail(f"must be at least {shape['min']}")
            if "max" in shape and value > shape["max"]:
                fail(f"must be at most {shape['max']}")
        elif kind == "boolean" and not isinstance(value, bool):
            fail("expected a boolean")

    # -- output ----------------------------------------------------------

    def render_output(self, operation: str, result: dict[str, Any]) -> dict[str, Any]:
        op = self.model["operations"][operation]
        if "output" not in op:
            return {}
        rendered = self._render(op["output"]["shape"], result)
        return rendered if isinstance(rendered, dict) else {}

    def _render(self, shape_name: str, value: Any) -> Any:
        shape = self.shapes[shape_name]
        kind = shape["type"]
        if value is None:
            return None
        if kind == "structure":
            out = {}
            for member, ref in shape["members"].items():
                if ref.get("location"):
                    continue
                if member in value and value[member] is not None:
                    out[ref.get("locationName", member)] = self._render(ref["shape"], value[member])
            return out
        if kind == "list":
            return [self._render(shape["member"]["shape"], v) for v in value]
        if kind == "map":
            return {k: self._render(shape["value"]["shape"], v) for k, v in value.items()}
        if kind == "timestamp":
            fmt = shape.get("timestampFormat", "unixTimestamp")
            if fmt == "iso8601":
                moment = dt.datetime.fromtimestamp(value, tz=dt.timezone.utc)
                return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            return round(float(value), 3)
        return value

    def error_body(self, error: AwsError) -> tuple[int, dict[str, str], bytes]:
        status = error.status or self.error_status(error.code)
        body = {"message": error.message, **error.fields}
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": error.code}
        return status, headers, json.dumps(body).encode()


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member


@functools.lru_cache(maxsize=None)
def _pattern(source: str) -> re.Pattern[str]:
    return re.compile(source, re.DOTALL)


def _scalar(shape: dict[str, Any], raw: str) -> Any:
    kind = shape["type"]
    if kind in ("integer", "long"):
        try:
            return int(raw)
        except ValueError:
            raise AwsError("ValidationException", f"expected an integer, got {raw!r}") from None
    if kind == "boolean":
        return raw.lower() == "true"
    return raw


def _match_segments(template: tuple[str, ...], raw: list[str]) -> dict[str, str] | None:
    labels: dict[str, str] = {}
    if len(raw) < len(template):
        return None
    if len(raw) > len(template):
        # A client that did not percent-encode '/' inside a trailing label
        # (an ARN) still addresses that label: it takes the rest of the path.
        if not template or not template[-1].startswith("{"):
            return None
        raw = raw[: len(template) - 1] + ["/".join(raw[len(template) - 1 :])]
    for expected, actual in zip(template, raw):
        if expected.startswith("{"):
            labels[expected.strip("{}+")] = unquote(actual)
        elif expected != actual:
            return None
    return labels
