"""Which service and operation a request is, and error answers in each AWS protocol."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from .apimodel import ApiModel, load_model

_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")

# SigV4 signing names whose botocore model has another name.
_MODEL_NAMES = {"monitoring": "cloudwatch", "email": "ses", "execute-api": "apigateway", "tagging": "resourcegroupstaggingapi"}


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    protocol: str
    region: str
    access_key: str


def identify(environ: dict[str, Any], body: bytes) -> Call:
    """Read the signing scope and the operation of a request from its wire form."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = _SCOPE.search(auth)
    access_key, region, service = (match.group(1), match.group(2), match.group(3)) if match else ("", "us-east-1", "")
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if not service and target:
        service = target.split(".", 1)[0].split("_", 1)[0].lower()
    protocol = _protocol(service)
    operation = "Unknown"
    if target:
        operation = target.rsplit(".", 1)[-1]
    elif protocol in ("query", "ec2"):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        form = parse_qs(body.decode("utf-8", "replace")) if body else {}
        operation = (form.get("Action") or query.get("Action") or ["Unknown"])[0]
    elif service == "s3":
        from .s3 import operation as s3_operation

        operation = s3_operation(environ)
    elif protocol in ("rest-json", "rest-xml"):
        model = api_model(service)
        routed = model.match(environ.get("REQUEST_METHOD", "GET"), raw_path(environ)) if model else None
        if routed:
            operation = routed[0]
    return Call(service or "unknown", operation, protocol, region, access_key)


def raw_path(environ: dict[str, Any]) -> str:
    """The path as sent, with percent-escapes intact (ARNs in labels hold '/')."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return raw.split("?", 1)[0]
    return environ.get("PATH_INFO", "/")


_models: dict[str, ApiModel | None] = {}


def api_model(service: str) -> ApiModel | None:
    if service not in _models:
        try:
            _models[service] = ApiModel(_MODEL_NAMES.get(service, service))
        except Exception:  # noqa: BLE001 - an unknown service has no model
            _models[service] = None
    return _models[service]


def _protocol(service: str) -> str:
    if not service:
        return "unknown"
    try:
        metadata = load_model(_MODEL_NAMES.get(service, service))["metadata"]
        # Services that added CBOR still take JSON, which is what the SDKs here speak.
        if "json" in metadata.get("protocols", []):
            return "json"
        return metadata["protocol"]
    except Exception:  # noqa: BLE001
        return "unknown"


def fault_response(call: Call, kind: str) -> tuple[int, dict[str, str], bytes]:
    """A throttling (429) or internal (500) error shaped as `call`'s service answers it."""
    status = 429 if kind == "throttle" else 500
    message = "Rate exceeded" if kind == "throttle" else "injected internal error"
    request_id = str(uuid.uuid4())
    if call.protocol in ("rest-json", "json"):
        model = api_model(call.service)
        default = "ThrottlingException" if kind == "throttle" else "InternalServerException"
        code = (model.exception_named(status) if model else None) or default
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code, "x-amzn-RequestId": request_id}
        body: dict[str, Any] = {"message": message}
        if call.protocol == "json":
            body["__type"] = code
        if kind == "throttle":
            headers["Retry-After"] = "1"
        return status, headers, json.dumps(body).encode()
    if call.protocol == "ec2":
        code = "RequestLimitExceeded" if kind == "throttle" else "InternalError"
        xml = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
        return status, {"Content-Type": "text/xml"}, xml.encode()
    code = "Throttling" if kind == "throttle" else "InternalFailure"
    fault_type = "Sender" if kind == "throttle" else "Receiver"
    xml = (
        f"<ErrorResponse><Error><Type>{fault_type}</Type><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, xml.encode()
