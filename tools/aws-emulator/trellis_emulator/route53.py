"""Route53 private hosted zones across accounts, which moto keeps apart per account.

moto serves every other Route53 operation. These are served here, over moto's own
zone objects, with the behaviour Route53 documents for VPCs of other accounts:

- CreateVPCAssociationAuthorization, ListVPCAssociationAuthorizations and
  DeleteVPCAssociationAuthorization (moto has none of them): the account that
  created a private zone authorizes a VPC of another account.
- AssociateVPCWithHostedZone: the VPC must exist in the caller's account (else
  InvalidVPCId); for a zone of another account, the zone owner must have
  authorized that VPC (else NotAuthorizedException, 401). A public zone answers
  PublicZoneVPCAssociation; a VPC already associated answers ConflictingDomainExists.
- DisassociateVPCFromHostedZone: by the zone owner or by the VPC owner;
  VPCAssociationNotFound when not associated; LastVPCAssociation for the last one.
- ListHostedZonesByVPC: every private zone the caller's VPC is associated with,
  whichever account owns it (`Owner.OwningAccount`).

Deleting an authorization does not undo an association made with it (as AWS).
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, unquote
from xml.etree import ElementTree
from xml.sax.saxutils import escape

NS = "https://route53.amazonaws.com/doc/2013-04-01/"

OPERATIONS = frozenset(
    {
        "CreateVPCAssociationAuthorization",
        "ListVPCAssociationAuthorizations",
        "DeleteVPCAssociationAuthorization",
        "AssociateVPCWithHostedZone",
        "DisassociateVPCFromHostedZone",
        "ListHostedZonesByVPC",
    }
)

# Errors as Route53 answers them: HTTP status and fault type.
_ERRORS = {
    "NoSuchHostedZone": (404, "Sender"),
    "InvalidVPCId": (400, "Sender"),
    "InvalidInput": (400, "Sender"),
    "NotAuthorizedException": (401, "Sender"),
    "PublicZoneVPCAssociation": (400, "Sender"),
    "ConflictingDomainExists": (400, "Sender"),
    "VPCAssociationNotFound": (404, "Sender"),
    "LastVPCAssociation": (400, "Sender"),
    "VPCAssociationAuthorizationNotFound": (404, "Sender"),
    "InvalidPaginationToken": (400, "Sender"),
}


class Route53Error(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _zone_id(raw: str) -> str:
    raw = unquote(raw)
    for prefix in ("/hostedzone/", "hostedzone/"):
        if raw.startswith(prefix):
            return raw[len(prefix) :]
    return raw


def _vpc_of(body: bytes) -> tuple[str, str]:
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise Route53Error("InvalidInput", f"malformed request body: {exc}") from exc
    vpc = root.find(f"{{{NS}}}VPC")
    if vpc is None:
        vpc = root.find("VPC")
    if vpc is None:
        raise Route53Error("InvalidInput", "the request has no VPC")

    def text(name: str) -> str:
        node = vpc.find(f"{{{NS}}}{name}")
        if node is None:
            node = vpc.find(name)
        return (node.text or "").strip() if node is not None else ""

    vpc_id, region = text("VPCId"), text("VPCRegion")
    if not vpc_id:
        raise Route53Error("InvalidInput", "VPCId is required")
    if not region:
        raise Route53Error("InvalidInput", "VPCRegion is required")
    return vpc_id, region


def _change_info() -> str:
    submitted = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    change = "C" + uuid.uuid4().hex[:20].upper()
    return (
        f"<ChangeInfo><Id>/change/{change}</Id><Status>INSYNC</Status>"
        f"<SubmittedAt>{submitted}</SubmittedAt></ChangeInfo>"
    )


def _vpc_xml(vpc_id: str, region: str) -> str:
    return f"<VPC><VPCRegion>{escape(region)}</VPCRegion><VPCId>{escape(vpc_id)}</VPCId></VPC>"


class Route53Backend:
    """The authorizations, and the cross-account view of moto's zones and VPCs."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        # (owner account, zone ID) -> [(vpc ID, vpc region)], in creation order.
        self.authorizations: dict[tuple[str, str], list[tuple[str, str]]] = {}

    def reset(self) -> None:
        with self.lock:
            self.authorizations.clear()

    # -- moto's state ------------------------------------------------------

    @staticmethod
    def _backends() -> Any:
        from moto.route53.models import route53_backends

        return route53_backends

    def _zone(self, account: str, zone_id: str) -> Any | None:
        backends = self._backends()
        if account not in backends:
            return None
        return backends[account]["global"].zones.get(zone_id)

    def _find_zone(self, zone_id: str) -> tuple[str, Any] | None:
        """The zone with this ID in any account, with its owner."""
        for account in list(self._backends().keys()):
            zone = self._zone(account, zone_id)
            if zone is not None:
                return account, zone
        return None

    @staticmethod
    def _vpc_owner(vpc_id: str, region: str) -> str | None:
        from moto.ec2.models import ec2_backends

        for account in list(ec2_backends.keys()):
            try:
                backend = ec2_backends[account][region]
            except KeyError:
                continue
            if vpc_id in backend.vpcs:
                return account
        return None

    def _own_zone(self, caller: str, zone_id: str) -> Any:
        """A zone the caller created (the zone owner's operations)."""
        zone = self._zone(caller, zone_id)
        if zone is None:
            raise Route53Error("NoSuchHostedZone", f"No hosted zone found with ID: {zone_id}")
        return zone

    # -- operations --------------------------------------------------------

    def handle(self, operation: str, caller: str, environ: dict[str, Any], body: bytes) -> tuple[int, str]:
        path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")
        path = path.split("?", 1)[0]
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        parts = [p for p in path.split("/") if p]
        # /2013-04-01/hostedzone/{Id}/...
        zone_id = _zone_id(parts[2]) if len(parts) > 2 and parts[1] == "hostedzone" else ""
        with self.lock:
            return getattr(self, operation)(caller, zone_id, query, body)

    def CreateVPCAssociationAuthorization(self, caller: str, zone_id: str, query: Any, body: bytes) -> tuple[int, str]:
        vpc_id, region = _vpc_of(body)
        zone = self._own_zone(caller, zone_id)
        if not zone.private_zone:
            raise Route53Error("InvalidInput", f"hosted zone {zone_id} is not a private hosted zone")
        if self._vpc_owner(vpc_id, region) is None:
            raise Route53Error(
                "InvalidVPCId",
                "The VPC ID that you specified either isn't a valid ID or the current account is not authorized to access this VPC.",
            )
        entries = self.authorizations.setdefault((caller, zone_id), [])
        if (vpc_id, region) not in entries:
            entries.append((vpc_id, region))
        return 200, (
            f"<CreateVPCAssociationAuthorizationResponse xmlns=\"{NS}\"><HostedZoneId>{escape(zone_id)}</HostedZoneId>"
            f"{_vpc_xml(vpc_id, region)}</CreateVPCAssociationAuthorizationResponse>"
        )

    def ListVPCAssociationAuthorizations(self, caller: str, zone_id: str, query: Any, body: bytes) -> tuple[int, str]:
        self._own_zone(caller, zone_id)
        entries = self.authorizations.get((caller, zone_id), [])
        try:
            limit = int((query.get("maxresults") or ["50"])[0])
        except ValueError as exc:
            raise Route53Error("InvalidInput", "MaxResults must be a number") from exc
        limit = max(1, min(limit, 50))
        token = (query.get("nexttoken") or [""])[0]
        start = 0
        if token:
            try:
                start = int(token)
            except ValueError as exc:
                raise Route53Error("InvalidPaginationToken", "the pagination token is not valid") from exc
            if not 0 <= start <= len(entries):
                raise Route53Error("InvalidPaginationToken", "the pagination token is not valid")
        page = entries[start : start + limit]
        more = start + limit < len(entries)
        vpcs = "".join(_vpc_xml(v, r) for v, r in page)
        next_token = f"<NextToken>{start + limit}</NextToken>" if more else ""
        return 200, (
            f"<ListVPCAssociationAuthorizationsResponse xmlns=\"{NS}\"><HostedZoneId>{escape(zone_id)}</HostedZoneId>"
            f"{next_token}<VPCs>{vpcs}</VPCs></ListVPCAssociationAuthorizationsResponse>"
        )

    def DeleteVPCAssociationAuthorization(self, caller: str, zone_id: str, query: Any, body: bytes) -> tuple[int, str]:
        vpc_id, region = _vpc_of(body)
        self._own_zone(caller, zone_id)
        entries = self.authorizations.get((caller, zone_id), [])
        if (vpc_id, region) not in entries:
            raise Route53Error(
                "VPCAssociationAuthorizationNotFound",
                f"The VPC {vpc_id} in {region} is not authorized to be associated with hosted zone {zone_id}.",
            )
        entries.remove((vpc_id, region))
        return 200, f"<DeleteVPCAssociationAuthorizationResponse xmlns=\"{NS}\"/>"

    def AssociateVPCWithHostedZone(self, caller: str, zone_id: str, query: Any, body: bytes) -> tuple[int, str]:
        vpc_id, region = _vpc_of(body)
        found = self._find_zone(zone_id)
        if found is None:
            raise Route53Error("NoSuchHostedZone", f"No hosted zone found with ID: {zone_id}")
        owner, zone = found
        if self._vpc_owner(vpc_id, region) != caller:
            raise Route53Error(
                "InvalidVPCId",
                "The VPC ID that you specified either isn't a valid ID or the current account is not authorized to access this VPC.",
            )
        if owner != caller and (vpc_id, region) not in self.authorizations.get((owner, zone_id), []):
            raise Route53Error(
                "NotAuthorizedException",
                f"The VPC: {vpc_id} in region {region} is not authorized to be associated with the hosted zone {zone_id}.",
            )
        if not zone.private_zone:
            raise Route53Error("PublicZoneVPCAssociation", "You're trying to associate a VPC with a public hosted zone.")
        if any(v.get("vpc_id") == vpc_id for v in zone.vpcs):
            raise Route53Error(
                "ConflictingDomainExists",
                f"The VPC {vpc_id} is already associated with the hosted zone {zone_id}.",
            )
        zone.add_vpc(vpc_id, region)
        return 200, f"<AssociateVPCWithHostedZoneResponse xmlns=\"{NS}\">{_change_info()}</AssociateVPCWithHostedZoneResponse>"

    def DisassociateVPCFromHostedZone(self, caller: str, zone_id: str, query: Any, body: bytes) -> tuple[int, str]:
        vpc_id, region = _vpc_of(body)
        found = self._find_zone(zone_id)
        vpc_owner = self._vpc_owner(vpc_id, region)
        if found is None or (found[0] != caller and vpc_owner != caller):
            raise Route53Error("NoSuchHostedZone", f"No hosted zone found with ID: {zone_id}")
        _, zone = found
        if not any(v.get("vpc_id") == vpc_id for v in zone.vpcs):
            raise Route53Error(
                "VPCAssociationNotFound",
                f"The specified VPC {vpc_id} and hosted zone {zone_id} are not currently associated.",
            )
        if len(zone.vpcs) <= 1:
            raise Route53Error(
                "LastVPCAssociation",
                "The VPC that you're trying to disassociate from the private hosted zone is the last VPC that is associated with the hosted zone.",
            )
        zone.delete_vpc(vpc_id)
        return 200, f"<DisassociateVPCFromHostedZoneResponse xmlns=\"{NS}\">{_change_info()}</DisassociateVPCFromHostedZoneResponse>"

    def ListHostedZonesByVPC(self, caller: str, zone_id: str, query: Any, body: bytes) -> tuple[int, str]:
        vpc_id = (query.get("vpcid") or [""])[0]
        region = (query.get("vpcregion") or [""])[0]
        if not vpc_id or not region:
            raise Route53Error("InvalidInput", "VPCId and VPCRegion are required")
        owner = self._vpc_owner(vpc_id, region)
        if owner is not None and owner != caller:
            # Another account's VPC: only its owner may list its zones.
            raise Route53Error(
                "InvalidVPCId",
                "The VPC ID that you specified either isn't a valid ID or the current account is not authorized to access this VPC.",
            )
        summaries = []
        for account in list(self._backends().keys()):
            for zone in list(self._backends()[account]["global"].zones.values()):
                if not zone.private_zone:
                    continue
                if any(v.get("vpc_id") == vpc_id and v.get("vpc_region", region) == region for v in zone.vpcs):
                    summaries.append(
                        f"<HostedZoneSummary><HostedZoneId>{escape(zone.resource_id)}</HostedZoneId>"
                        f"<Name>{escape(zone.name)}</Name><Owner><OwningAccount>{account}</OwningAccount></Owner>"
                        "</HostedZoneSummary>"
                    )
        max_items = (query.get("maxitems") or ["100"])[0]
        return 200, (
            f"<ListHostedZonesByVPCResponse xmlns=\"{NS}\"><HostedZoneSummaries>{''.join(summaries)}</HostedZoneSummaries>"
            f"<MaxItems>{escape(max_items)}</MaxItems></ListHostedZonesByVPCResponse>"
        )


def error_body(error: Route53Error) -> tuple[int, dict[str, str], bytes]:
    status, fault = _ERRORS.get(error.code, (400, "Sender"))
    request_id = str(uuid.uuid4())
    xml = (
        f"<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"{NS}\"><Error><Type>{fault}</Type><Code>{error.code}</Code>"
        f"<Message>{escape(error.message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, xml.encode()
