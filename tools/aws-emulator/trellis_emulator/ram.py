"""AWS RAM for sharing VPC Lattice service networks and services across accounts.

Replaces moto's RAM backend, which cannot associate resources or principals
with an existing share. Principals are account IDs or organization ARNs
(moto's Organizations backend says who belongs to an organization). An
account outside the owner's organization, or any account while the
organization has not enabled sharing, receives an invitation it must accept;
until then it does not see the shared resources.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from .apimodel import AwsError
from .common import Caller, Settings, fingerprint, now, paginate, parse_arn

SHAREABLE = ("servicenetwork/", "service/", "resourceconfiguration/")


@dataclass
class Association:
    entity: str
    kind: str  # PRINCIPAL or RESOURCE
    created_at: float
    ready_at: float
    external: bool = False
    accepted: bool = True
    disassociated_at: float | None = None
    updated_at: float = 0.0

    def status(self, at: float) -> str:
        if self.disassociated_at is not None:
            return "DISASSOCIATED"
        if not self.accepted or at < self.ready_at:
            return "ASSOCIATING"
        return "ASSOCIATED"


@dataclass
class Share:
    arn: str
    name: str
    owner: str
    region: str
    allow_external: bool
    created_at: float
    updated_at: float
    tags: dict[str, str] = field(default_factory=dict)
    deleted: bool = False
    associations: dict[tuple[str, str], Association] = field(default_factory=dict)

    def live(self, kind: str) -> list[Association]:
        return [a for a in self.associations.values() if a.kind == kind and a.disassociated_at is None]


@dataclass
class Invitation:
    arn: str
    share_arn: str
    sender: str
    receiver: str
    created_at: float
    status: str = "PENDING"
    # The clientToken of the call that answered it: the same call again is idempotent.
    answer_token: str | None = None


class Organizations:
    """Who belongs to which organization, read from moto's Organizations backend."""

    def __init__(self) -> None:
        self.sharing_enabled: set[str] = set()

    def org_of(self, account: str) -> tuple[str, str, set[str]] | None:
        """(organization ARN, management account, member accounts) of `account`."""
        from moto.organizations.models import organizations_backends

        for _, per_partition in list(organizations_backends.items()):
            backend = per_partition.get("aws") if hasattr(per_partition, "get") else None
            if backend is None or backend.org is None:
                continue
            members = {a.id for a in backend.accounts}
            if account in members:
                return backend.org.arn, backend.org.master_account_id, members
        return None

    def same_org_with_sharing(self, a: str, b: str) -> bool:
        org = self.org_of(a)
        return org is not None and b in org[2] and org[1] in self.sharing_enabled


class RamBackend:
    def __init__(self, settings: Settings, owner_of: Callable[[str], str | None]):
        self.settings = settings
        self.owner_of = owner_of
        self.orgs = Organizations()
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        self.shares: dict[str, Share] = {}
        self.invitations: dict[str, Invitation] = {}
        self.client_tokens: dict[tuple[str, str], tuple[str, str]] = {}
        self.orgs.sharing_enabled.clear()

    # -- what Lattice asks -----------------------------------------------

    def is_shared_with(self, arn: str, account: str) -> bool:
        with self.lock:
            at = now()
            for share in self.shares.values():
                if share.deleted:
                    continue
                resource = share.associations.get(("RESOURCE", arn))
                if resource is None or resource.status(at) != "ASSOCIATED":
                    continue
                for principal in share.live("PRINCIPAL"):
                    if principal.status(at) == "ASSOCIATED" and self._covers(principal.entity, account):
                        return True
            return False

    def _covers(self, principal: str, account: str) -> bool:
        if principal == account:
            return True
        if principal.startswith("arn:") and ":organization/" in principal:
            org = self.orgs.org_of(account)
            return org is not None and org[0] == principal
        return False

    # -- shares ----------------------------------------------------------

    def CreateResourceShare(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        token = p.get("clientToken")
        if token and (c.account, token) in self.client_tokens:
            seen, arn = self.client_tokens[(c.account, token)]
            if seen != fingerprint(p):
                raise AwsError("IdempotentParameterMismatchException", f"client token {token} was used with other parameters")
            return {"resourceShare": self._describe(self.shares[arn]), "clientToken": token}
        at = now()
        share = Share(
            arn=f"arn:{c.partition}:ram:{c.region}:{c.account}:resource-share/{uuid.uuid4()}",
            name=p["name"], owner=c.account, region=c.region,
            allow_external=p.get("allowExternalPrincipals", True), created_at=at, updated_at=at,
            tags={t["key"]: t.get("value", "") for t in p.get("tags") or []},
        )
        self._check_resources(c, p.get("resourceArns") or [])
        self._check_principals(c, share, p.get("principals") or [])
        self.shares[share.arn] = share
        self._associate(c, share, p.get("resourceArns") or [], p.get("principals") or [])
        if token:
            self.client_tokens[(c.account, token)] = (fingerprint(p), share.arn)
        return {"resourceShare": self._describe(share), "clientToken": token}

    def GetResourceShares(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        at = now()
        if p["resourceOwner"] == "SELF":
            shares = [s for s in self.shares.values() if s.owner == c.account and s.region == c.region]
        else:
            shares = [
                s for s in self.shares.values()
                if s.owner != c.account and s.region == c.region and not s.deleted
                and any(a.status(at) == "ASSOCIATED" and self._covers(a.entity, c.account) for a in s.live("PRINCIPAL"))
            ]
        wanted = set(p.get("resourceShareArns") or [])
        shares = [
            s for s in shares
            if (not wanted or s.arn in wanted) and p.get("name") in (None, s.name)
            and p.get("resourceShareStatus") in (None, self._status(s))
            and (p.get("resourceShareStatus") == "DELETED" or not s.deleted or wanted)
        ]
        page, token = self._page(shares, p)
        return {"resourceShares": [self._describe(s) for s in page], "nextToken": token}

    def UpdateResourceShare(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        share = self._own_share(c, p["resourceShareArn"])
        if "name" in p:
            share.name = p["name"]
        if "allowExternalPrincipals" in p:
            share.allow_external = p["allowExternalPrincipals"]
        share.updated_at = now()
        return {"resourceShare": self._describe(share), "clientToken": p.get("clientToken")}

    def DeleteResourceShare(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        share = self._own_share(c, p["resourceShareArn"])
        at = now()
        share.deleted = True
        share.updated_at = at
        for association in share.associations.values():
            if association.disassociated_at is None:
                association.disassociated_at = at
        return {"returnValue": True, "clientToken": p.get("clientToken")}

    def _describe(self, share: Share) -> dict[str, Any]:
        return {
            "resourceShareArn": share.arn, "name": share.name, "owningAccountId": share.owner,
            "allowExternalPrincipals": share.allow_external, "status": self._status(share),
            "tags": [{"key": k, "value": v} for k, v in share.tags.items()],
            "creationTime": share.created_at, "lastUpdatedTime": share.updated_at, "featureSet": "STANDARD",
        }

    def _status(self, share: Share) -> str:
        return "DELETED" if share.deleted else "ACTIVE"

    # -- associations ----------------------------------------------------

    def AssociateResourceShare(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        share = self._own_share(c, p["resourceShareArn"])
        self._check_resources(c, p.get("resourceArns") or [])
        self._check_principals(c, share, p.get("principals") or [])
        associations = self._associate(c, share, p.get("resourceArns") or [], p.get("principals") or [])
        return {"resourceShareAssociations": [self._describe_association(share, a) for a in associations], "clientToken": p.get("clientToken")}

    def DisassociateResourceShare(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        leaving = self._leaving(c, p)
        if leaving is not None:
            return leaving
        share = self._own_share(c, p["resourceShareArn"])
        at = now()
        changed = []
        for kind, entities in (("RESOURCE", p.get("resourceArns") or []), ("PRINCIPAL", p.get("principals") or [])):
            for entity in entities:
                association = share.associations.get((kind, entity))
                if association is None or association.disassociated_at is not None:
                    raise AwsError("UnknownResourceException", f"{entity} is not associated with {share.arn}")
                association.disassociated_at = at
                association.updated_at = at
                changed.append(association)
        return {"resourceShareAssociations": [self._describe_association(share, a) for a in changed], "clientToken": p.get("clientToken")}

    def _leaving(self, c: Caller, p: dict[str, Any]) -> dict[str, Any] | None:
        """A receiver removes itself from a share it accepted (Terraform's accepter delete).

        None when the call is not that: the caller owns the share, or names other entities.
        """
        share = self.shares.get(p["resourceShareArn"])
        if share is None or share.owner == c.account or share.region != c.region:
            return None
        if p.get("resourceArns") or (p.get("principals") or []) != [c.account]:
            return None
        association = share.associations.get(("PRINCIPAL", c.account))
        if share.deleted or association is None or association.disassociated_at is not None:
            raise AwsError("UnknownResourceException", f"{c.account} is not associated with {share.arn}")
        at = now()
        association.disassociated_at = at
        association.updated_at = at
        return {"resourceShareAssociations": [self._describe_association(share, association)], "clientToken": p.get("clientToken")}

    def GetResourceShareAssociations(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        kind = p["associationType"]
        wanted = set(p.get("resourceShareArns") or [])
        rows = []
        for share in self.shares.values():
            if share.owner != c.account or share.region != c.region or (wanted and share.arn not in wanted):
                continue
            for association in share.associations.values():
                if association.kind != kind:
                    continue
                if p.get("resourceArn") not in (None, association.entity) or p.get("principal") not in (None, association.entity):
                    continue
                row = self._describe_association(share, association)
                if p.get("associationStatus") in (None, row["status"]):
                    rows.append(row)
        page, token = self._page(rows, p)
        return {"resourceShareAssociations": page, "nextToken": token}

    def ListResources(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        at = now()
        rows = []
        for share, association in self._associations_seen(c, p["resourceOwner"], "RESOURCE", p.get("resourceShareArns")):
            if association.status(at) != "ASSOCIATED":
                continue
            if p.get("resourceArns") and association.entity not in p["resourceArns"]:
                continue
            rtype = _resource_type(association.entity)
            if p.get("resourceType") not in (None, rtype):
                continue
            rows.append({
                "arn": association.entity, "type": rtype, "resourceShareArn": share.arn, "status": "AVAILABLE",
                "creationTime": association.created_at, "lastUpdatedTime": association.updated_at or association.created_at,
                "resourceRegionScope": "REGIONAL",
            })
        page, token = self._page(rows, p)
        return {"resources": page, "nextToken": token}

    def ListPrincipals(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        at = now()
        rows = []
        for share, association in self._associations_seen(c, p["resourceOwner"], "PRINCIPAL", p.get("resourceShareArns")):
            if association.status(at) == "DISASSOCIATED":
                continue
            if p.get("principals") and association.entity not in p["principals"]:
                continue
            if p.get("resourceArn") and ("RESOURCE", p["resourceArn"]) not in share.associations:
                continue
            rows.append({
                "id": association.entity, "resourceShareArn": share.arn, "creationTime": association.created_at,
                "lastUpdatedTime": association.updated_at or association.created_at, "external": association.external,
            })
        page, token = self._page(rows, p)
        return {"principals": page, "nextToken": token}

    def _associations_seen(
        self, c: Caller, owner: str, kind: str, share_arns: list[str] | None
    ) -> list[tuple[Share, Association]]:
        at = now()
        out = []
        for share in self.shares.values():
            if share.deleted or share.region != c.region:
                continue
            if owner == "SELF":
                if share.owner != c.account:
                    continue
            elif share.owner == c.account or not any(
                a.status(at) == "ASSOCIATED" and self._covers(a.entity, c.account) for a in share.live("PRINCIPAL")
            ):
                continue
            if share_arns and share.arn not in share_arns:
                continue
            out.extend((share, a) for a in share.live(kind))
        return out

    def _associate(self, c: Caller, share: Share, resources: list[str], principals: list[str]) -> list[Association]:
        at = now()
        delay = self.settings.async_delay
        made = []
        for arn in resources:
            made.append(self._put(share, Association(arn, "RESOURCE", at, at + delay)))
        for principal in principals:
            internal = self.orgs.same_org_with_sharing(c.account, principal) or (
                principal.startswith("arn:") and self._covers(principal, c.account) and self.orgs.same_org_with_sharing(c.account, c.account)
            )
            association = self._put(share, Association(principal, "PRINCIPAL", at, at + delay, external=not internal, accepted=internal))
            made.append(association)
            if not internal:
                invitation = Invitation(
                    arn=f"arn:{c.partition}:ram:{c.region}:{c.account}:resource-share-invitation/{uuid.uuid4()}",
                    share_arn=share.arn, sender=c.account, receiver=principal, created_at=at,
                )
                self.invitations[invitation.arn] = invitation
        share.updated_at = at
        return made

    def _put(self, share: Share, association: Association) -> Association:
        existing = share.associations.get((association.kind, association.entity))
        if existing is not None and existing.disassociated_at is None:
            return existing
        share.associations[(association.kind, association.entity)] = association
        return association

    def _describe_association(self, share: Share, a: Association) -> dict[str, Any]:
        return {
            "resourceShareArn": share.arn, "resourceShareName": share.name, "associatedEntity": a.entity,
            "associationType": a.kind, "status": a.status(now()), "creationTime": a.created_at,
            "lastUpdatedTime": a.updated_at or a.created_at, "external": a.external,
        }

    def _check_resources(self, c: Caller, arns: list[str]) -> None:
        for arn in arns:
            parts = parse_arn(arn)
            if parts is None:
                raise AwsError("MalformedArnException", f"{arn} is not a valid arn")
            if parts["service"] != "vpc-lattice" or not parts["resource"].startswith(SHAREABLE):
                raise AwsError("InvalidParameterException", f"{arn}: the emulator shares vpc lattice service networks and services only")
            owner = self.owner_of(arn)
            if owner is None:
                raise AwsError("UnknownResourceException", f"resource {arn} does not exist")
            if owner != c.account:
                raise AwsError("OperationNotPermittedException", f"only the owner of {arn} can share it")

    def _check_principals(self, c: Caller, share: Share, principals: list[str]) -> None:
        for principal in principals:
            if re.fullmatch(r"\d{12}", principal):
                if principal == c.account:
                    raise AwsError("InvalidParameterException", "the owner of a resource share cannot be its principal")
                if not share.allow_external and not self.orgs.same_org_with_sharing(c.account, principal):
                    raise AwsError(
                        "OperationNotPermittedException",
                        f"{principal} is outside your organization and the share does not allow external principals",
                    )
            elif principal.startswith("arn:") and (":organization/" in principal or ":ou/" in principal):
                continue
            elif principal.startswith("arn:"):
                raise AwsError("InvalidParameterException", f"{principal}: vpc lattice resources cannot be shared with iam principals")
            else:
                raise AwsError("MalformedArnException", f"{principal} is neither an account id nor an arn")

    # -- invitations -----------------------------------------------------

    def GetResourceShareInvitations(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        arns = set(p.get("resourceShareInvitationArns") or [])
        shares = set(p.get("resourceShareArns") or [])
        rows = [
            self._describe_invitation(i) for i in self.invitations.values()
            if c.account in (i.receiver, i.sender) and (not arns or i.arn in arns) and (not shares or i.share_arn in shares)
        ]
        if arns and not rows:
            raise AwsError("ResourceShareInvitationArnNotFoundException", f"invitation {next(iter(arns))} not found")
        page, token = self._page(rows, p)
        return {"resourceShareInvitations": page, "nextToken": token}

    def AcceptResourceShareInvitation(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        return self._answer(c, p["resourceShareInvitationArn"], "ACCEPTED", p.get("clientToken"))

    def RejectResourceShareInvitation(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        return self._answer(c, p["resourceShareInvitationArn"], "REJECTED", p.get("clientToken"))

    def _answer(self, c: Caller, arn: str, answer: str, token: str | None) -> dict[str, Any]:
        invitation = self.invitations.get(arn)
        if invitation is None or invitation.receiver != c.account:
            raise AwsError("ResourceShareInvitationArnNotFoundException", f"invitation {arn} not found")
        if token is not None and invitation.answer_token == token:
            if invitation.status != answer:
                raise AwsError("IdempotentParameterMismatchException", f"client token {token} was used to answer {arn} otherwise")
            return {"resourceShareInvitation": self._describe_invitation(invitation), "clientToken": token}
        if invitation.status == "ACCEPTED":
            raise AwsError("ResourceShareInvitationAlreadyAcceptedException", f"invitation {arn} was already accepted")
        if invitation.status == "REJECTED":
            raise AwsError("ResourceShareInvitationAlreadyRejectedException", f"invitation {arn} was already rejected")
        invitation.status = answer
        invitation.answer_token = token
        share = self.shares[invitation.share_arn]
        association = share.associations.get(("PRINCIPAL", invitation.receiver))
        if association is not None:
            at = now()
            association.updated_at = at
            if answer == "ACCEPTED":
                association.accepted = True
            else:
                association.disassociated_at = at
        return {"resourceShareInvitation": self._describe_invitation(invitation), "clientToken": token}

    def _describe_invitation(self, i: Invitation) -> dict[str, Any]:
        share = self.shares[i.share_arn]
        return {
            "resourceShareInvitationArn": i.arn, "resourceShareName": share.name, "resourceShareArn": share.arn,
            "senderAccountId": i.sender, "receiverAccountId": i.receiver, "invitationTimestamp": i.created_at,
            "status": i.status,
        }

    # -- organizations and tags --------------------------------------------

    def EnableSharingWithAwsOrganization(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        org = self.orgs.org_of(c.account)
        if org is None or org[1] != c.account:
            raise AwsError("OperationNotPermittedException", "only an organization's management account can enable sharing")
        self.orgs.sharing_enabled.add(c.account)
        return {"returnValue": True}

    def TagResource(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        share = self._own_share(c, p.get("resourceShareArn") or p.get("resourceArn") or "")
        share.tags.update({t["key"]: t.get("value", "") for t in p["tags"]})
        return {}

    def UntagResource(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        share = self._own_share(c, p.get("resourceShareArn") or p.get("resourceArn") or "")
        for key in p["tagKeys"]:
            share.tags.pop(key, None)
        return {}

    # -- helpers ---------------------------------------------------------

    def _own_share(self, c: Caller, arn: str) -> Share:
        share = self.shares.get(arn)
        if share is None or share.region != c.region:
            raise AwsError("UnknownResourceException", f"resource share {arn} not found")
        if share.owner != c.account:
            raise AwsError("OperationNotPermittedException", f"only the owner of {arn} can change it")
        if share.deleted:
            raise AwsError("InvalidStateTransitionException", f"resource share {arn} is deleted")
        return share

    def _page(self, rows: list[Any], p: dict[str, Any]) -> tuple[list[Any], str | None]:
        max_results = p.get("maxResults")
        if max_results is not None and not 1 <= max_results <= 500:
            raise AwsError("InvalidMaxResultsException", "maxResults must be between 1 and 500")
        return paginate(rows, max_results, p.get("nextToken"), default_page=500, error_code="InvalidNextTokenException")


def _resource_type(arn: str) -> str:
    parts = parse_arn(arn) or {"resource": ""}
    kind = parts["resource"].split("/", 1)[0]
    return {"servicenetwork": "vpc-lattice:ServiceNetwork", "service": "vpc-lattice:Service"}.get(kind, f"vpc-lattice:{kind}")
