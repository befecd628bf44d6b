"""The WSGI application: admin endpoint, faults and counts, extensions, then moto.

Every request is identified (service, operation), counted, given its injected
fault if any, and then served by an extension backend (VPC Lattice, RAM, the
cross-account operations of Route53) or passed to moto's own server application
for everything else (EC2, Route53, STS, IAM, Organizations, ...).
"""

from __future__ import annotations

import io
import json
import os
import time
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from werkzeug.wrappers import Response

from .apimodel import ApiModel, AwsError
from .common import Caller, Settings
from .faults import CallCounter, FaultConfig, FaultInjector
from .lattice import LatticeBackend
from .protocols import Call, api_model, fault_response, identify, raw_path
from .ram import RamBackend
from .route53 import OPERATIONS as ROUTE53_OPERATIONS
from .route53 import Route53Backend, Route53Error
from .route53 import error_body as route53_error_body
from .s3 import WriteGuard, conflict_response, is_conditional, object_write_key

StartResponse = Callable[..., Any]


def account_of(access_key: str, environ: dict[str, Any]) -> str:
    """The account moto attributes a request to (same precedence as moto's BaseResponse)."""
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if "HTTP_X_MOTO_ACCOUNT_ID" in environ:
        return environ["HTTP_X_MOTO_ACCOUNT_ID"]
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key or "AKIAEXAMPLE")


class MotoNetwork:
    """VPCs and security groups as moto's EC2 backend holds them."""

    def _ec2(self, c: Caller) -> Any:
        from moto.ec2.models import ec2_backends

        return ec2_backends[c.account][c.region]

    def vpc_exists(self, c: Caller, vpc_id: str) -> bool:
        return vpc_id in self._ec2(c).vpcs

    def security_group_vpc(self, c: Caller, group_id: str) -> str | None:
        group = self._ec2(c).get_security_group_from_id(group_id)
        return group.vpc_id if group is not None else None

    def subnet_vpc(self, c: Caller, subnet_id: str) -> str | None:
        for subnets in self._ec2(c).subnets.values():
            if subnet_id in subnets:
                return subnets[subnet_id].vpc_id
        return None


class Extension:
    """One service served from our backend instead of moto's."""

    def __init__(self, service: str, backend: Any, lock: Any):
        self.model: ApiModel = api_model(service)  # type: ignore[assignment]
        self.backend = backend
        self.lock = lock

    def handle(self, environ: dict[str, Any], body: bytes, caller: Caller) -> Response:
        try:
            routed = self.model.match(environ["REQUEST_METHOD"], raw_path(environ))
            if routed is None:
                raise AwsError("ValidationException", "unknown operation", status=404, reason="unknownOperation")
            operation, labels = routed
            handler = getattr(self.backend, operation, None)
            if handler is None:
                raise AwsError("ValidationException", f"{operation} is not emulated", reason="unknownOperation")
            query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            headers = {k[5:].replace("_", "-"): v for k, v in environ.items() if k.startswith("HTTP_")}
            params = self.model.parse_input(operation, labels, query, headers, body)
            problems = self.model.validate_input(operation, params)
            if problems:
                summary = "; ".join(f"{p['name']}: {p['message']}" for p in problems)
                raise self._validation_error(summary, problems)
            with self.lock:
                result = handler(caller, params)
            payload = self.model.render_output(operation, result)
            return Response(json.dumps(payload), status=self.model.response_code(operation), content_type="application/json")
        except AwsError as error:
            status, headers, data = self.model.error_body(error)
            return Response(data, status=status, headers=headers)

    def _validation_error(self, summary: str, problems: list[dict[str, str]]) -> AwsError:
        if "ValidationException" in self.model.shapes:
            return AwsError("ValidationException", summary, reason="fieldValidationFailed", fieldList=problems)
        return AwsError("InvalidParameterException", summary)


class EmulatorApp:
    def __init__(self, settings: Settings | None = None, faults: FaultConfig | None = None):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        from . import acm

        acm.install()
        self.settings = settings or Settings()
        self.initial_settings = Settings(**vars(self.settings))
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.faults = FaultInjector(faults)
        self.calls = CallCounter()
        self.s3_writes = WriteGuard()
        self.ram = RamBackend(self.settings, lambda arn: self.lattice.owner_of(arn))
        self.lattice = LatticeBackend(self.settings, self.ram, MotoNetwork())
        self.route53 = Route53Backend()
        self.extensions = {
            "vpc-lattice": Extension("vpc-lattice", self.lattice, self.lattice.lock),
            "ram": Extension("ram", self.ram, self.lattice.lock),
        }

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith("/_trellis/"):
            return self.admin(environ, start_response)
        body = _read_body(environ)
        call = identify(environ, body)
        self.calls.record(call.service, call.operation, len(body))
        write_key = object_write_key(environ) if call.service == "s3" else None
        if write_key is None:
            return self.handle(environ, start_response, body, call)
        # S3 object writes: atomic conditions and 409 on conflicting writes (see s3.py).
        if not self.s3_writes.arrive(write_key, is_conditional(environ)):
            return _raw(start_response, *conflict_response(write_key))
        try:
            with self.s3_writes.lock_of(write_key):
                return self.handle(environ, start_response, body, call)
        finally:
            self.s3_writes.leave(write_key)

    def handle(self, environ: dict[str, Any], start_response: StartResponse, body: bytes, call: Call) -> Iterable[bytes]:
        decision = self.faults.decide(call.service, call.operation)
        if decision.latency_s:
            time.sleep(decision.latency_s)
        if decision.before:
            return _raw(start_response, *fault_response(call, decision.before))
        response = self.serve(environ, body, call)
        if decision.fail_after:
            return _raw(start_response, *fault_response(call, "error"))
        return response(environ, start_response)

    def serve(self, environ: dict[str, Any], body: bytes, call: Call) -> Response:
        if call.service == "route53" and call.operation in ROUTE53_OPERATIONS:
            account = account_of(call.access_key, environ)
            try:
                status, xml = self.route53.handle(call.operation, account, environ, body)
            except Route53Error as error:
                status, headers, data = route53_error_body(error)
                return Response(data, status=status, headers=headers)
            return Response(xml, status=status, content_type="text/xml")
        if call.service == "tagging" and call.operation == "GetResources":
            served = self.tagged_lattice_resources(environ, body, call)
            if served is not None:
                return served
        extension = self.extensions.get(call.service)
        if extension is not None:
            caller = Caller(account=account_of(call.access_key, environ), region=call.region)
            return extension.handle(environ, body, caller)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        response = Response.from_app(self.moto, environ, buffered=True)
        return response

    def tagged_lattice_resources(self, environ: dict[str, Any], body: bytes, call: Call) -> Response | None:
        """`GetResources` asking only for Lattice types is answered from our Lattice backend
        (moto does not know its objects); any other is left to moto."""
        try:
            document = json.loads(body or b"{}")
        except ValueError:
            return None
        filters = document.get("ResourceTypeFilters") or []
        if not filters or any(f.split(":", 1)[0] != "vpc-lattice" for f in filters):
            return None
        caller = Caller(account=account_of(call.access_key, environ), region=call.region)
        headers = {"Content-Type": "application/x-amz-json-1.1"}
        try:
            with self.lattice.lock:
                result = self.lattice.get_tagged_resources(caller, document)
        except AwsError as error:
            payload = {"__type": error.code, "message": error.message}
            return Response(json.dumps(payload), status=400, headers=headers)
        return Response(json.dumps(result), status=200, headers=headers)

    # -- admin -----------------------------------------------------------

    def admin(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ["PATH_INFO"].rstrip("/")
        try:
            document = json.loads(_read_body(environ) or b"{}")
            if path == "/_trellis/health":
                result: Any = {"ok": True}
            elif path == "/_trellis/faults" and method == "GET":
                result = self.faults.config.to_json()
            elif path == "/_trellis/faults" and method == "POST":
                self.faults.configure(FaultConfig.from_json(document))
                result = self.faults.config.to_json()
            elif path == "/_trellis/faults/injected" and method == "GET":
                result = self.faults.injected()
            elif path == "/_trellis/calls" and method == "GET":
                result = self.calls.snapshot()
            elif path == "/_trellis/calls/bytes" and method == "GET":
                result = self.calls.bytes_snapshot()
            elif path == "/_trellis/calls/reset" and method == "POST":
                self.calls.reset()
                result = {}
            elif path == "/_trellis/settings" and method == "GET":
                result = {"async_delay_ms": self.settings.async_delay * 1000}
            elif path == "/_trellis/settings" and method == "POST":
                if "async_delay_ms" in document:
                    self.settings.async_delay = float(document["async_delay_ms"]) / 1000.0
                result = {"async_delay_ms": self.settings.async_delay * 1000}
            elif path == "/_trellis/reset" and method == "POST":
                self.reset()
                result = {}
            else:
                return _raw(start_response, 404, {"Content-Type": "application/json"}, b'{"error":"no such admin endpoint"}')
        except (ValueError, TypeError) as exc:
            return _raw(start_response, 400, {"Content-Type": "application/json"}, json.dumps({"error": str(exc)}).encode())
        return _raw(start_response, 200, {"Content-Type": "application/json"}, json.dumps(result).encode())

    def reset(self) -> None:
        """Forget every resource of every service, the counts, the faults and changed settings."""
        from moto.moto_api._internal.models import moto_api_backend

        with self.lattice.lock:
            moto_api_backend.reset()
            self.lattice.reset()
            self.ram.reset()
            self.route53.reset()
        self.calls.reset()
        self.s3_writes.reset()
        self.faults.configure(FaultConfig())
        self.settings.async_delay = self.initial_settings.async_delay


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if length > 0:
        return stream.read(length)
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" or environ.get("wsgi.input_terminated"):
        return stream.read()
    return b""


def _raw(start_response: StartResponse, status: int, headers: dict[str, str], body: bytes) -> Iterable[bytes]:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error"}
    start_response(f"{status} {reason.get(status, 'Error')}", [*headers.items(), ("Content-Length", str(len(body)))])
    return [body]
