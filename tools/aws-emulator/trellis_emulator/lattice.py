"""VPC Lattice, as AWS documents it, for the resources trellis manages.

Replaces moto's own vpclattice backend, which only creates, gets and lists.
Each public method is named after the API operation it serves, takes the
caller and the parsed request parameters, and returns the response members;
`apimodel.ApiModel` filters them to the operation's output shape.

State is one store for all accounts and regions, keyed by ID, because a
resource shared through RAM is addressed by its ARN from another account.
The caller's lock (`LatticeBackend.lock`) serialises every operation.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, TypeVar

from .apimodel import AwsError
from .common import Caller, Lifecycle, Settings, fingerprint, new_id, now, paginate, parse_arn

LISTENERS_PER_SERVICE = 2
RULES_PER_LISTENER = 10
SECURITY_GROUPS_PER_VPC_ASSOCIATION = 5


class Sharing(Protocol):
    """What Lattice asks RAM: may `account` use the resource `arn` of another account?"""

    def is_shared_with(self, arn: str, account: str) -> bool: ...


class Network(Protocol):
    """What Lattice asks EC2 (moto) about VPCs and security groups."""

    def vpc_exists(self, caller: Caller, vpc_id: str) -> bool: ...

    def security_group_vpc(self, caller: Caller, group_id: str) -> str | None: ...

    def subnet_vpc(self, caller: Caller, subnet_id: str) -> str | None: ...


@dataclass
class Resource:
    id: str
    arn: str
    account: str
    region: str
    created_at: float
    updated_at: float
    tags: dict[str, str] = field(default_factory=dict)
    lifecycle: Lifecycle | None = None


@dataclass
class ServiceNetwork(Resource):
    name: str = ""
    auth_type: str = "NONE"
    sharing_enabled: bool = True


@dataclass
class Service(Resource):
    name: str = ""
    auth_type: str = "NONE"
    custom_domain_name: str | None = None
    certificate_arn: str | None = None
    idle_timeout: int | None = None
    dns_entry: dict[str, str] = field(default_factory=dict)


@dataclass
class Target:
    id: str
    port: int | None
    registered_at: float
    drained_at: float | None = None


@dataclass
class TargetGroup(Resource):
    name: str = ""
    type: str = "IP"
    config: dict[str, Any] = field(default_factory=dict)
    targets: dict[tuple[str, int | None], Target] = field(default_factory=dict)


@dataclass
class Listener(Resource):
    service_id: str = ""
    name: str = ""
    protocol: str = "HTTP"
    port: int = 80
    default_action: dict[str, Any] = field(default_factory=dict)
    default_rule_id: str = ""


@dataclass
class Rule(Resource):
    service_id: str = ""
    listener_id: str = ""
    name: str = ""
    priority: int = 0
    match: dict[str, Any] = field(default_factory=dict)
    action: dict[str, Any] = field(default_factory=dict)


@dataclass
class ServiceAssociation(Resource):
    service_network_id: str = ""
    service_id: str = ""
    created_by: str = ""


@dataclass
class VpcAssociation(Resource):
    service_network_id: str = ""
    vpc_id: str = ""
    security_group_ids: list[str] = field(default_factory=list)
    private_dns_enabled: bool | None = None
    dns_options: dict[str, Any] | None = None
    created_by: str = ""


@dataclass
class ResourceGateway(Resource):
    name: str = ""
    vpc_id: str = ""
    subnet_ids: list[str] = field(default_factory=list)
    security_group_ids: list[str] = field(default_factory=list)
    ip_address_type: str = "IPV4"
    ipv4_addresses_per_eni: int | None = None


@dataclass
class ResourceConfiguration(Resource):
    name: str = ""
    type: str = "SINGLE"
    gateway_id: str | None = None
    group_id: str | None = None
    port_ranges: list[str] = field(default_factory=list)
    protocol: str | None = None
    definition: dict[str, Any] | None = None
    allow_shareable: bool = False


@dataclass
class ResourceAssociation(Resource):
    service_network_id: str = ""
    resource_configuration_id: str = ""
    private_dns_enabled: bool | None = None
    created_by: str = ""
    dns_entry: dict[str, str] = field(default_factory=dict)


@dataclass
class AccessLogSubscription(Resource):
    resource_id: str = ""
    destination_arn: str = ""
    log_type: str | None = None


@dataclass
class Policy:
    text: str
    created_at: float
    updated_at: float


R = TypeVar("R", bound=Resource)


def not_found(identifier: str, resource_type: str) -> AwsError:
    return AwsError(
        "ResourceNotFoundException",
        f"{resource_type} {identifier} not found",
        resourceId=identifier,
        resourceType=resource_type,
    )


def conflict(message: str, resource: Resource | None = None, resource_type: str | None = None) -> AwsError:
    return AwsError(
        "ConflictException",
        message,
        resourceId=resource.id if resource else None,
        resourceType=resource_type,
    )


def validation(message: str, field_name: str | None = None) -> AwsError:
    fields = [{"name": field_name, "message": message}] if field_name else None
    reason = "fieldValidationFailed" if field_name else "other"
    return AwsError("ValidationException", message, reason=reason, fieldList=fields)


class LatticeBackend:
    def __init__(self, settings: Settings, sharing: Sharing, network: Network):
        self.settings = settings
        self.sharing = sharing
        self.network = network
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        self.items: dict[str, Resource] = {}
        self.by_arn: dict[str, Resource] = {}
        self.auth_policies: dict[str, Policy] = {}
        self.resource_policies: dict[str, Policy] = {}
        self.client_tokens: dict[tuple[str, str, str, str], tuple[str, str]] = {}

    # -- bookkeeping -----------------------------------------------------

    @property
    def delay(self) -> float:
        return self.settings.async_delay

    def owner_of(self, arn: str) -> str | None:
        """The account that owns the Lattice resource `arn`, if it exists (for RAM)."""
        with self.lock:
            self.sweep()
            obj = self.by_arn.get(arn)
            return obj.account if obj else None

    def sweep(self) -> None:
        """Drop resources whose delete finished and targets that finished draining."""
        at = now()
        for obj in list(self.items.values()):
            if obj.lifecycle and obj.lifecycle.gone(at):
                self._remove(obj)
            if isinstance(obj, TargetGroup):
                for key, target in list(obj.targets.items()):
                    if target.drained_at is not None and at >= target.drained_at:
                        del obj.targets[key]

    def _add(self, obj: R) -> R:
        self.items[obj.id] = obj
        self.by_arn[obj.arn] = obj
        return obj

    def _remove(self, obj: Resource) -> None:
        self.items.pop(obj.id, None)
        self.by_arn.pop(obj.arn, None)
        self.auth_policies.pop(obj.arn, None)
        self.resource_policies.pop(obj.arn, None)

    def _all(self, cls: type[R]) -> list[R]:
        return [o for o in self.items.values() if isinstance(o, cls)]

    def _new(self, cls: type[R], c: Caller, prefix: str, arn_path: str, lifecycle: bool, **kw: Any) -> R:
        rid = kw.pop("id", None) or new_id(prefix)
        at = now()
        arn = f"arn:{c.partition}:vpc-lattice:{c.region}:{c.account}:{arn_path.format(id=rid)}"
        life = Lifecycle(self.delay, at) if lifecycle else None
        return self._add(cls(id=rid, arn=arn, account=c.account, region=c.region, created_at=at, updated_at=at, lifecycle=life, **kw))

    def _lookup(self, c: Caller, identifier: str, cls: type[R], resource_type: str) -> R:
        """Resolve an ID or ARN the caller may use: its own, or shared with it by ARN."""
        self.sweep()
        by_arn = identifier.startswith("arn:")
        obj = self.by_arn.get(identifier) if by_arn else self.items.get(identifier)
        foreign = by_arn and (parse_arn(identifier) or {}).get("account") not in (None, c.account)
        if obj is None and foreign:
            raise AwsError(
                "AccessDeniedException",
                f"User: arn:aws:sts::{c.account}:assumed-role/caller is not authorized to access "
                f"resource: {identifier} because no resource-based policy allows it",
            )
        if not isinstance(obj, cls) or obj.region != c.region:
            raise not_found(identifier, resource_type)
        if obj.account != c.account and not (by_arn and self.sharing.is_shared_with(obj.arn, c.account)):
            if by_arn:
                # As AWS does for another account's resource that no share grants: access
                # denied (which also hides whether it exists), not "not found".
                raise AwsError(
                    "AccessDeniedException",
                    f"User: arn:aws:sts::{c.account}:assumed-role/caller is not authorized to access "
                    f"resource: {identifier} because no resource-based policy allows it",
                )
            raise not_found(identifier, resource_type)
        return obj

    def _owned(self, c: Caller, identifier: str, cls: type[R], resource_type: str) -> R:
        obj = self._lookup(c, identifier, cls, resource_type)
        if obj.account != c.account:
            raise AwsError("AccessDeniedException", f"{resource_type} {identifier} belongs to another account")
        return obj

    def _status(self, obj: Resource) -> str | None:
        return obj.lifecycle.status(now()) if obj.lifecycle else None

    def _idempotent(self, c: Caller, operation: str, params: dict[str, Any], create: Callable[[], Resource], describe: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        """Run `create` once per client token; a retry with the same parameters returns the same resource."""
        token = params.get("clientToken")
        if not token:
            return describe(create())
        key = (c.account, c.region, operation, token)
        print_ = fingerprint(params)
        if key in self.client_tokens:
            seen, rid = self.client_tokens[key]
            if seen != print_:
                raise AwsError(
                    "ConflictException",
                    f"client token {token} was already used with different parameters",
                )
            existing = self.items.get(rid)
            if existing is not None:
                return describe(existing)
        obj = create()
        self.client_tokens[key] = (print_, obj.id)
        return describe(obj)

    def _require_changeable(self, obj: Resource, resource_type: str) -> None:
        status = self._status(obj)
        if status not in (None, "ACTIVE"):
            raise conflict(f"{resource_type} {obj.id} is {status}", obj, resource_type)

    # -- service networks ------------------------------------------------

    def CreateServiceNetwork(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        def create() -> ServiceNetwork:
            self._unique_name(c, ServiceNetwork, p["name"], "SERVICE_NETWORK")
            return self._new(
                ServiceNetwork, c, "sn", "servicenetwork/{id}", False,
                name=p["name"], auth_type=p.get("authType", "NONE"), tags=dict(p.get("tags") or {}),
                sharing_enabled=(p.get("sharingConfig") or {}).get("enabled", True),
            )
        return self._idempotent(c, "CreateServiceNetwork", p, create, self._describe_network)

    def GetServiceNetwork(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        return self._describe_network(self._lookup(c, p["serviceNetworkIdentifier"], ServiceNetwork, "SERVICE_NETWORK"))

    def ListServiceNetworks(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        self.sweep()
        visible = [n for n in self._all(ServiceNetwork) if self._visible(c, n)]
        return self._page([self._describe_network(n) for n in visible], p)

    def UpdateServiceNetwork(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        sn = self._owned(c, p["serviceNetworkIdentifier"], ServiceNetwork, "SERVICE_NETWORK")
        sn.auth_type = p["authType"]
        sn.updated_at = now()
        return self._describe_network(sn)

    def DeleteServiceNetwork(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        sn = self._owned(c, p["serviceNetworkIdentifier"], ServiceNetwork, "SERVICE_NETWORK")
        associations = [
            a for a in self.items.values()
            if isinstance(a, (ServiceAssociation, VpcAssociation, ResourceAssociation)) and a.service_network_id == sn.id
        ]
        if associations:
            raise conflict(
                f"service network {sn.id} still has {len(associations)} association(s)", sn, "SERVICE_NETWORK"
            )
        self._delete_access_logs(sn.id)
        self._remove(sn)
        return {}

    def _describe_network(self, sn: ServiceNetwork) -> dict[str, Any]:
        live = [a for a in self.items.values() if getattr(a, "service_network_id", None) == sn.id]
        return {
            "id": sn.id, "arn": sn.arn, "name": sn.name, "authType": sn.auth_type,
            "createdAt": sn.created_at, "lastUpdatedAt": sn.updated_at,
            "sharingConfig": {"enabled": sn.sharing_enabled},
            "numberOfAssociatedVPCs": sum(isinstance(a, VpcAssociation) for a in live),
            "numberOfAssociatedServices": sum(isinstance(a, ServiceAssociation) for a in live),
            "numberOfAssociatedResourceConfigurations": sum(isinstance(a, ResourceAssociation) for a in live),
        }

    # -- services --------------------------------------------------------

    def CreateService(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        def create() -> Service:
            self._unique_name(c, Service, p["name"], "SERVICE")
            svc = self._new(
                Service, c, "svc", "service/{id}", True,
                name=p["name"], auth_type=p.get("authType", "NONE"), tags=dict(p.get("tags") or {}),
                custom_domain_name=p.get("customDomainName"), certificate_arn=p.get("certificateArn") or None,
                idle_timeout=p.get("idleTimeoutSeconds"),
            )
            svc.dns_entry = _dns_entry(svc)
            return svc
        return self._idempotent(c, "CreateService", p, create, self._describe_service)

    def GetService(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        return self._describe_service(self._lookup(c, p["serviceIdentifier"], Service, "SERVICE"))

    def ListServices(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        self.sweep()
        return self._page([self._describe_service(s) for s in self._all(Service) if self._visible(c, s)], p)

    def UpdateService(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        svc = self._owned(c, p["serviceIdentifier"], Service, "SERVICE")
        self._require_changeable(svc, "SERVICE")
        if "authType" in p:
            svc.auth_type = p["authType"]
        if "certificateArn" in p:
            svc.certificate_arn = p["certificateArn"] or None
        if "idleTimeoutSeconds" in p:
            svc.idle_timeout = p["idleTimeoutSeconds"]
        svc.updated_at = now()
        return self._describe_service(svc)

    def DeleteService(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        svc = self._owned(c, p["serviceIdentifier"], Service, "SERVICE")
        status = self._status(svc)
        if status == "CREATE_IN_PROGRESS":
            raise conflict(f"service {svc.id} is {status}", svc, "SERVICE")
        if any(isinstance(a, ServiceAssociation) and a.service_id == svc.id for a in self.items.values()):
            raise conflict(f"service {svc.id} is still associated with a service network", svc, "SERVICE")
        for child in [o for o in self.items.values() if isinstance(o, (Listener, Rule)) and o.service_id == svc.id]:
            self._remove(child)
        self._delete_access_logs(svc.id)
        self.auth_policies.pop(svc.arn, None)
        self.resource_policies.pop(svc.arn, None)
        assert svc.lifecycle is not None
        svc.lifecycle.start_delete(self.delay, now())
        self.sweep()
        return {"id": svc.id, "arn": svc.arn, "name": svc.name, "status": "DELETE_IN_PROGRESS"}

    def _describe_service(self, svc: Service) -> dict[str, Any]:
        return {
            "id": svc.id, "arn": svc.arn, "name": svc.name, "status": self._status(svc),
            "authType": svc.auth_type, "customDomainName": svc.custom_domain_name,
            "certificateArn": svc.certificate_arn, "idleTimeoutSeconds": svc.idle_timeout,
            "dnsEntry": svc.dns_entry, "createdAt": svc.created_at, "lastUpdatedAt": svc.updated_at,
        }

    # -- target groups ---------------------------------------------------

    def CreateTargetGroup(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        def create() -> TargetGroup:
            self._unique_name(c, TargetGroup, p["name"], "TARGET_GROUP")
            config = _target_group_config(p["type"], p.get("config"))
            vpc = config.get("vpcIdentifier")
            if vpc and not self.network.vpc_exists(c, vpc):
                raise not_found(vpc, "VPC")
            return self._new(
                TargetGroup, c, "tg", "targetgroup/{id}", True,
                name=p["name"], type=p["type"], config=config, tags=dict(p.get("tags") or {}),
            )
        return self._idempotent(c, "CreateTargetGroup", p, create, self._describe_target_group)

    def GetTargetGroup(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        return self._describe_target_group(self._lookup(c, p["targetGroupIdentifier"], TargetGroup, "TARGET_GROUP"))

    def ListTargetGroups(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        self.sweep()
        groups = [
            g for g in self._all(TargetGroup)
            if self._visible(c, g)
            and p.get("vpcIdentifier") in (None, g.config.get("vpcIdentifier"))
            and p.get("targetGroupType") in (None, g.type)
        ]
        return self._page([self._describe_target_group(g, summary=True) for g in groups], p)

    def UpdateTargetGroup(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        tg = self._owned(c, p["targetGroupIdentifier"], TargetGroup, "TARGET_GROUP")
        self._require_changeable(tg, "TARGET_GROUP")
        if tg.type == "LAMBDA":
            raise validation("health checks are not supported for LAMBDA target groups", "healthCheck")
        tg.config["healthCheck"] = {**tg.config.get("healthCheck", {}), **p["healthCheck"]}
        tg.updated_at = now()
        return self._describe_target_group(tg)

    def DeleteTargetGroup(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        tg = self._owned(c, p["targetGroupIdentifier"], TargetGroup, "TARGET_GROUP")
        if self._status(tg) == "CREATE_IN_PROGRESS":
            raise conflict(f"target group {tg.id} is CREATE_IN_PROGRESS", tg, "TARGET_GROUP")
        if self._users_of(tg.id):
            raise conflict(f"target group {tg.id} is still used by a listener or rule", tg, "TARGET_GROUP")
        if tg.targets:
            raise conflict(f"target group {tg.id} still has {len(tg.targets)} registered target(s)", tg, "TARGET_GROUP")
        assert tg.lifecycle is not None
        tg.lifecycle.start_delete(self.delay, now())
        self.sweep()
        return {"id": tg.id, "arn": tg.arn, "status": "DELETE_IN_PROGRESS"}

    def _users_of(self, tg_id: str) -> list[Listener | Rule]:
        users: list[Listener | Rule] = []
        for obj in self.items.values():
            if isinstance(obj, Listener) and tg_id in _forward_targets(obj.default_action):
                users.append(obj)
            elif isinstance(obj, Rule) and tg_id in _forward_targets(obj.action):
                users.append(obj)
        return users

    def _describe_target_group(self, tg: TargetGroup, summary: bool = False) -> dict[str, Any]:
        service_arns = sorted({self.items[u.service_id].arn for u in self._users_of(tg.id) if u.service_id in self.items})
        out = {
            "id": tg.id, "arn": tg.arn, "name": tg.name, "type": tg.type, "status": self._status(tg),
            "config": tg.config, "serviceArns": service_arns,
            "createdAt": tg.created_at, "lastUpdatedAt": tg.updated_at,
        }
        if summary:
            out.update({k: tg.config.get(k) for k in ("port", "protocol", "ipAddressType", "vpcIdentifier", "lambdaEventStructureVersion")})
        return out

    # -- targets ---------------------------------------------------------

    def RegisterTargets(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        tg = self._owned(c, p["targetGroupIdentifier"], TargetGroup, "TARGET_GROUP")
        if self._status(tg) == "DELETE_IN_PROGRESS":
            raise conflict(f"target group {tg.id} is DELETE_IN_PROGRESS", tg, "TARGET_GROUP")
        successful, unsuccessful = [], []
        for t in p["targets"]:
            port = t.get("port", tg.config.get("port")) if tg.type != "LAMBDA" else None
            problem = _target_problem(tg, t["id"])
            if problem:
                unsuccessful.append({"id": t["id"], "port": port, "failureCode": "InvalidTarget", "failureMessage": problem})
                continue
            existing = tg.targets.get((t["id"], port))
            if existing is None or existing.drained_at is not None:
                tg.targets[(t["id"], port)] = Target(t["id"], port, now())
            successful.append({"id": t["id"], "port": port})
        return {"successful": successful, "unsuccessful": unsuccessful}

    def DeregisterTargets(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        tg = self._owned(c, p["targetGroupIdentifier"], TargetGroup, "TARGET_GROUP")
        successful, unsuccessful = [], []
        for t in p["targets"]:
            port = t.get("port", tg.config.get("port")) if tg.type != "LAMBDA" else None
            target = tg.targets.get((t["id"], port))
            if target is None:
                unsuccessful.append({"id": t["id"], "port": port, "failureCode": "TargetNotFound", "failureMessage": "target is not registered"})
                continue
            if target.drained_at is None:
                target.drained_at = now() + self.delay
            successful.append({"id": t["id"], "port": port})
        self.sweep()
        return {"successful": successful, "unsuccessful": unsuccessful}

    def ListTargets(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        tg = self._owned(c, p["targetGroupIdentifier"], TargetGroup, "TARGET_GROUP")
        wanted = {(t["id"], t.get("port")) for t in p.get("targets") or []}
        at = now()
        used = bool(self._users_of(tg.id))
        health = tg.config.get("healthCheck", {}).get("enabled", True)
        items = []
        for target in tg.targets.values():
            if wanted and (target.id, target.port) not in wanted and (target.id, None) not in wanted:
                continue
            items.append({"id": target.id, "port": target.port, **_target_status(target, at, self.delay, used, health, tg.type)})
        return self._page(items, p)

    # -- listeners and rules ---------------------------------------------

    def CreateListener(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        svc = self._owned(c, p["serviceIdentifier"], Service, "SERVICE")

        def create() -> Listener:
            if self._status(svc) == "DELETE_IN_PROGRESS":
                raise conflict(f"service {svc.id} is DELETE_IN_PROGRESS", svc, "SERVICE")
            siblings = [l for l in self._all(Listener) if l.service_id == svc.id]
            port = p.get("port") or {"HTTP": 80, "HTTPS": 443}.get(p["protocol"])
            if port is None:
                raise validation("port is required for TLS_PASSTHROUGH listeners", "port")
            if any(l.name == p["name"] for l in siblings):
                raise conflict(f"listener {p['name']} already exists in service {svc.id}", svc, "LISTENER")
            if any(l.port == port for l in siblings):
                raise conflict(f"a listener on port {port} already exists in service {svc.id}", svc, "LISTENER")
            if len(siblings) >= LISTENERS_PER_SERVICE:
                raise AwsError(
                    "ServiceQuotaExceededException",
                    f"service {svc.id} already has {LISTENERS_PER_SERVICE} listeners",
                    resourceType="LISTENER", serviceCode="vpc-lattice", quotaCode="L-listeners-per-service",
                )
            action = self._action(c, p["defaultAction"])
            lid = new_id("listener")
            return self._new(
                Listener, c, "listener", f"service/{svc.id}/listener/{{id}}", False, id=lid,
                service_id=svc.id, name=p["name"], protocol=p["protocol"], port=port,
                default_action=action, default_rule_id=new_id("rule"), tags=dict(p.get("tags") or {}),
            )
        return self._idempotent(c, "CreateListener", p, create, self._describe_listener)

    def GetListener(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        return self._describe_listener(self._listener(c, p))

    def ListListeners(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        svc = self._lookup(c, p["serviceIdentifier"], Service, "SERVICE")
        return self._page([self._describe_listener(l) for l in self._all(Listener) if l.service_id == svc.id], p)

    def UpdateListener(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        listener = self._listener(c, p, owned=True)
        listener.default_action = self._action(c, p["defaultAction"])
        listener.updated_at = now()
        return self._describe_listener(listener)

    def DeleteListener(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        listener = self._listener(c, p, owned=True)
        for rule in [r for r in self._all(Rule) if r.listener_id == listener.id]:
            self._remove(rule)
        self._remove(listener)
        return {}

    def _listener(self, c: Caller, p: dict[str, Any], owned: bool = False) -> Listener:
        find = self._owned if owned else self._lookup
        svc = find(c, p["serviceIdentifier"], Service, "SERVICE")
        listener = find(c, p["listenerIdentifier"], Listener, "LISTENER")
        if listener.service_id != svc.id:
            raise not_found(p["listenerIdentifier"], "LISTENER")
        return listener

    def _describe_listener(self, listener: Listener) -> dict[str, Any]:
        svc = self.items.get(listener.service_id)
        return {
            "id": listener.id, "arn": listener.arn, "name": listener.name, "protocol": listener.protocol,
            "port": listener.port, "serviceId": listener.service_id, "serviceArn": svc.arn if svc else None,
            "defaultAction": listener.default_action, "createdAt": listener.created_at, "lastUpdatedAt": listener.updated_at,
        }

    def CreateRule(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        listener = self._listener(c, p, owned=True)

        def create() -> Rule:
            siblings = [r for r in self._all(Rule) if r.listener_id == listener.id]
            if any(r.name == p["name"] for r in siblings):
                raise conflict(f"rule {p['name']} already exists in listener {listener.id}", listener, "RULE")
            if any(r.priority == p["priority"] for r in siblings):
                raise conflict(f"priority {p['priority']} is already used in listener {listener.id}", listener, "RULE")
            if len(siblings) >= RULES_PER_LISTENER:
                raise AwsError(
                    "ServiceQuotaExceededException", f"listener {listener.id} already has {RULES_PER_LISTENER} rules",
                    resourceType="RULE", serviceCode="vpc-lattice", quotaCode="L-rules-per-listener",
                )
            return self._new(
                Rule, c, "rule", f"service/{listener.service_id}/listener/{listener.id}/rule/{{id}}", False,
                service_id=listener.service_id, listener_id=listener.id, name=p["name"], priority=p["priority"],
                match=p["match"], action=self._action(c, p["action"]), tags=dict(p.get("tags") or {}),
            )
        return self._idempotent(c, "CreateRule", p, create, self._describe_rule)

    def GetRule(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        listener = self._listener(c, p)
        if p["ruleIdentifier"] in (listener.default_rule_id, f"{listener.arn}/rule/{listener.default_rule_id}"):
            return self._describe_default_rule(listener)
        return self._describe_rule(self._rule(c, p, listener))

    def ListRules(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        listener = self._listener(c, p)
        rules = sorted((r for r in self._all(Rule) if r.listener_id == listener.id), key=lambda r: r.priority)
        items = [self._describe_rule(r) for r in rules] + [self._describe_default_rule(listener)]
        return self._page(items, p)

    def UpdateRule(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        listener = self._listener(c, p, owned=True)
        if p["ruleIdentifier"] in (listener.default_rule_id, f"{listener.arn}/rule/{listener.default_rule_id}"):
            raise validation("the default rule of a listener is changed with UpdateListener", "ruleIdentifier")
        rule = self._rule(c, p, listener)
        if "priority" in p and p["priority"] != rule.priority:
            if any(r.priority == p["priority"] for r in self._all(Rule) if r.listener_id == listener.id):
                raise conflict(f"priority {p['priority']} is already used in listener {listener.id}", rule, "RULE")
            rule.priority = p["priority"]
        if "match" in p:
            rule.match = p["match"]
        if "action" in p:
            rule.action = self._action(c, p["action"])
        rule.updated_at = now()
        return self._describe_rule(rule)

    def DeleteRule(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        listener = self._listener(c, p, owned=True)
        if p["ruleIdentifier"] in (listener.default_rule_id, f"{listener.arn}/rule/{listener.default_rule_id}"):
            raise validation("the default rule of a listener cannot be deleted", "ruleIdentifier")
        self._remove(self._rule(c, p, listener))
        return {}

    def _rule(self, c: Caller, p: dict[str, Any], listener: Listener) -> Rule:
        rule = self._lookup(c, p["ruleIdentifier"], Rule, "RULE")
        if rule.listener_id != listener.id:
            raise not_found(p["ruleIdentifier"], "RULE")
        return rule

    def _describe_rule(self, rule: Rule) -> dict[str, Any]:
        return {
            "id": rule.id, "arn": rule.arn, "name": rule.name, "isDefault": False, "priority": rule.priority,
            "match": rule.match, "action": rule.action, "createdAt": rule.created_at, "lastUpdatedAt": rule.updated_at,
        }

    def _describe_default_rule(self, listener: Listener) -> dict[str, Any]:
        return {
            "id": listener.default_rule_id, "arn": f"{listener.arn}/rule/{listener.default_rule_id}",
            "name": "default", "isDefault": True, "action": listener.default_action,
            "createdAt": listener.created_at, "lastUpdatedAt": listener.updated_at,
        }

    def _action(self, c: Caller, action: dict[str, Any]) -> dict[str, Any]:
        """Check an action's target groups exist for the caller and store them by ID."""
        if "forward" not in action:
            if "fixedResponse" not in action:
                raise validation("an action needs forward or fixedResponse", "action")
            return {"fixedResponse": dict(action["fixedResponse"])}
        groups = []
        for entry in action["forward"]["targetGroups"]:
            tg = self._owned(c, entry["targetGroupIdentifier"], TargetGroup, "TARGET_GROUP")
            groups.append({**entry, "targetGroupIdentifier": tg.id})
        return {"forward": {"targetGroups": groups}}

    # -- associations ----------------------------------------------------

    def CreateServiceNetworkServiceAssociation(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        def create() -> ServiceAssociation:
            svc = self._lookup(c, p["serviceIdentifier"], Service, "SERVICE")
            sn = self._lookup(c, p["serviceNetworkIdentifier"], ServiceNetwork, "SERVICE_NETWORK")
            if self._status(svc) == "DELETE_IN_PROGRESS":
                raise conflict(f"service {svc.id} is DELETE_IN_PROGRESS", svc, "SERVICE")
            for a in self._all(ServiceAssociation):
                if a.service_id == svc.id and a.service_network_id == sn.id:
                    raise conflict(f"service {svc.id} is already associated with {sn.id}", a, "SERVICE_NETWORK_SERVICE_ASSOCIATION")
            return self._new(
                ServiceAssociation, c, "snsa", "servicenetworkserviceassociation/{id}", True,
                service_network_id=sn.id, service_id=svc.id, created_by=c.account, tags=dict(p.get("tags") or {}),
            )
        return self._idempotent(c, "CreateServiceNetworkServiceAssociation", p, create, self._describe_snsa)

    def GetServiceNetworkServiceAssociation(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        return self._describe_snsa(self._association(c, p["serviceNetworkServiceAssociationIdentifier"], ServiceAssociation))

    def ListServiceNetworkServiceAssociations(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        self.sweep()
        sn_id = self._lookup(c, p["serviceNetworkIdentifier"], ServiceNetwork, "SERVICE_NETWORK").id if p.get("serviceNetworkIdentifier") else None
        svc_id = self._lookup(c, p["serviceIdentifier"], Service, "SERVICE").id if p.get("serviceIdentifier") else None
        items = [
            self._describe_snsa(a) for a in self._all(ServiceAssociation)
            if self._association_visible(c, a) and sn_id in (None, a.service_network_id) and svc_id in (None, a.service_id)
        ]
        return self._page(items, p)

    def DeleteServiceNetworkServiceAssociation(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        a = self._association(c, p["serviceNetworkServiceAssociationIdentifier"], ServiceAssociation)
        return self._delete_association(a, "SERVICE_NETWORK_SERVICE_ASSOCIATION")

    def _describe_snsa(self, a: ServiceAssociation) -> dict[str, Any]:
        svc = self.items.get(a.service_id)
        sn = self.items.get(a.service_network_id)
        return {
            "id": a.id, "arn": a.arn, "status": self._status(a), "createdBy": a.created_by, "createdAt": a.created_at,
            "serviceId": a.service_id, "serviceName": getattr(svc, "name", None), "serviceArn": getattr(svc, "arn", None),
            "serviceNetworkId": a.service_network_id, "serviceNetworkName": getattr(sn, "name", None),
            "serviceNetworkArn": getattr(sn, "arn", None), "dnsEntry": getattr(svc, "dns_entry", None),
            "customDomainName": getattr(svc, "custom_domain_name", None),
        }

    def CreateServiceNetworkVpcAssociation(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        def create() -> VpcAssociation:
            sn = self._lookup(c, p["serviceNetworkIdentifier"], ServiceNetwork, "SERVICE_NETWORK")
            vpc = p["vpcIdentifier"]
            if not self.network.vpc_exists(c, vpc):
                raise not_found(vpc, "VPC")
            groups = self._security_groups(c, vpc, p.get("securityGroupIds") or [])
            for a in self._all(VpcAssociation):
                if a.vpc_id == vpc and a.region == c.region:
                    raise conflict(f"vpc {vpc} is already associated with service network {a.service_network_id}", a, "SERVICE_NETWORK_VPC_ASSOCIATION")
            return self._new(
                VpcAssociation, c, "snva", "servicenetworkvpcassociation/{id}", True,
                service_network_id=sn.id, vpc_id=vpc, security_group_ids=groups, created_by=c.account,
                private_dns_enabled=p.get("privateDnsEnabled"), dns_options=p.get("dnsOptions"),
                tags=dict(p.get("tags") or {}),
            )
        return self._idempotent(c, "CreateServiceNetworkVpcAssociation", p, create, self._describe_snva)

    def GetServiceNetworkVpcAssociation(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        return self._describe_snva(self._association(c, p["serviceNetworkVpcAssociationIdentifier"], VpcAssociation))

    def ListServiceNetworkVpcAssociations(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        self.sweep()
        sn_id = self._lookup(c, p["serviceNetworkIdentifier"], ServiceNetwork, "SERVICE_NETWORK").id if p.get("serviceNetworkIdentifier") else None
        items = [
            self._describe_snva(a) for a in self._all(VpcAssociation)
            if self._association_visible(c, a) and sn_id in (None, a.service_network_id) and p.get("vpcIdentifier") in (None, a.vpc_id)
        ]
        return self._page(items, p)

    def UpdateServiceNetworkVpcAssociation(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        a = self._association(c, p["serviceNetworkVpcAssociationIdentifier"], VpcAssociation)
        self._require_changeable(a, "SERVICE_NETWORK_VPC_ASSOCIATION")
        if "securityGroupIds" in p:
            groups = p["securityGroupIds"] or []
            if a.security_group_ids and not groups:
                raise validation("security groups cannot be removed from an association that has some", "securityGroupIds")
            a.security_group_ids = self._security_groups(c, a.vpc_id, groups)
        if "privateDnsEnabled" in p:
            a.private_dns_enabled = p["privateDnsEnabled"]
        if "dnsOptions" in p:
            a.dns_options = p["dnsOptions"]
        at = now()
        a.updated_at = at
        assert a.lifecycle is not None
        a.lifecycle.start_update(self.delay, at)
        out = self._describe_snva(a)
        if self.delay > 0:
            out["status"] = "UPDATE_IN_PROGRESS"
        return out

    def DeleteServiceNetworkVpcAssociation(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        a = self._association(c, p["serviceNetworkVpcAssociationIdentifier"], VpcAssociation)
        return self._delete_association(a, "SERVICE_NETWORK_VPC_ASSOCIATION")

    def _describe_snva(self, a: VpcAssociation) -> dict[str, Any]:
        sn = self.items.get(a.service_network_id)
        return {
            "id": a.id, "arn": a.arn, "status": self._status(a), "createdBy": a.created_by, "createdAt": a.created_at,
            "lastUpdatedAt": a.updated_at, "serviceNetworkId": a.service_network_id,
            "serviceNetworkName": getattr(sn, "name", None), "serviceNetworkArn": getattr(sn, "arn", None),
            "vpcId": a.vpc_id, "securityGroupIds": a.security_group_ids,
            "privateDnsEnabled": a.private_dns_enabled, "dnsOptions": a.dns_options,
        }

    def _security_groups(self, c: Caller, vpc: str, groups: list[str]) -> list[str]:
        if len(groups) > SECURITY_GROUPS_PER_VPC_ASSOCIATION:
            raise AwsError(
                "ServiceQuotaExceededException",
                f"at most {SECURITY_GROUPS_PER_VPC_ASSOCIATION} security groups per vpc association",
                resourceType="SERVICE_NETWORK_VPC_ASSOCIATION", serviceCode="vpc-lattice", quotaCode="L-security-groups-per-association",
            )
        for group in groups:
            owner_vpc = self.network.security_group_vpc(c, group)
            if owner_vpc is None:
                raise not_found(group, "SECURITY_GROUP")
            if owner_vpc != vpc:
                raise validation(f"security group {group} belongs to {owner_vpc}, not {vpc}", "securityGroupIds")
        return list(groups)

    def _association(self, c: Caller, identifier: str, cls: type[R]) -> R:
        self.sweep()
        obj = self.by_arn.get(identifier) if identifier.startswith("arn:") else self.items.get(identifier)
        if not isinstance(obj, cls) or obj.region != c.region or not self._association_visible(c, obj):
            raise not_found(identifier, cls.__name__)
        return obj

    def _association_visible(self, c: Caller, a: Resource) -> bool:
        """An association is seen by its creator and by the owners of what it joins."""
        owners = {a.account}
        for rid in (getattr(a, "service_network_id", None), getattr(a, "service_id", None)):
            if rid in self.items:
                owners.add(self.items[rid].account)
        return c.account in owners

    def _delete_association(self, a: Resource, resource_type: str) -> dict[str, Any]:
        status = self._status(a)
        if status in ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"):
            raise conflict(f"association {a.id} is {status}", a, resource_type)
        assert a.lifecycle is not None
        a.lifecycle.start_delete(self.delay, now())
        self.sweep()
        return {"id": a.id, "arn": a.arn, "status": "DELETE_IN_PROGRESS"}

    # -- resource gateways -------------------------------------------------

    def CreateResourceGateway(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        def create() -> ResourceGateway:
            self._unique_name(c, ResourceGateway, p["name"], "RESOURCE_GATEWAY")
            vpc = p.get("vpcIdentifier")
            if not vpc:
                raise validation("vpcIdentifier is required", "vpcIdentifier")
            if not self.network.vpc_exists(c, vpc):
                raise not_found(vpc, "VPC")
            subnets = p.get("subnetIds") or []
            if not subnets:
                raise validation("subnetIds must name at least one subnet", "subnetIds")
            for subnet in subnets:
                owner_vpc = self.network.subnet_vpc(c, subnet)
                if owner_vpc is None:
                    raise not_found(subnet, "SUBNET")
                if owner_vpc != vpc:
                    raise validation(f"subnet {subnet} belongs to {owner_vpc}, not {vpc}", "subnetIds")
            groups = self._security_groups(c, vpc, p.get("securityGroupIds") or [])
            kind = p.get("ipAddressType", "IPV4")
            per_eni = p.get("ipv4AddressesPerEni")
            if kind == "IPV6" and per_eni is not None:
                raise validation("ipv4AddressesPerEni does not apply to an IPV6 resource gateway", "ipv4AddressesPerEni")
            if kind != "IPV6" and per_eni is None:
                per_eni = 16
            return self._new(
                ResourceGateway, c, "rgw", "resourcegateway/{id}", True,
                name=p["name"], vpc_id=vpc, subnet_ids=list(subnets), security_group_ids=groups,
                ip_address_type=kind, ipv4_addresses_per_eni=per_eni, tags=dict(p.get("tags") or {}),
            )
        return self._idempotent(c, "CreateResourceGateway", p, create, self._describe_rgw)

    def GetResourceGateway(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        return self._describe_rgw(self._owned(c, p["resourceGatewayIdentifier"], ResourceGateway, "RESOURCE_GATEWAY"))

    def ListResourceGateways(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        self.sweep()
        gateways = [g for g in self._all(ResourceGateway) if g.account == c.account and g.region == c.region]
        return self._page([self._describe_rgw(g) for g in gateways], p)

    def UpdateResourceGateway(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        g = self._owned(c, p["resourceGatewayIdentifier"], ResourceGateway, "RESOURCE_GATEWAY")
        self._require_changeable(g, "RESOURCE_GATEWAY")
        if "securityGroupIds" in p:
            g.security_group_ids = self._security_groups(c, g.vpc_id, p["securityGroupIds"] or [])
        at = now()
        g.updated_at = at
        assert g.lifecycle is not None
        g.lifecycle.start_update(self.delay, at)
        return self._describe_rgw(g)

    def DeleteResourceGateway(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        g = self._owned(c, p["resourceGatewayIdentifier"], ResourceGateway, "RESOURCE_GATEWAY")
        status = self._status(g)
        if status in ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"):
            raise conflict(f"resource gateway {g.id} is {status}", g, "RESOURCE_GATEWAY")
        users = [r for r in self._all(ResourceConfiguration) if r.gateway_id == g.id]
        if users:
            raise conflict(
                f"resource gateway {g.id} is used by {len(users)} resource configuration(s)", g, "RESOURCE_GATEWAY"
            )
        assert g.lifecycle is not None
        g.lifecycle.start_delete(self.delay, now())
        out = {"id": g.id, "arn": g.arn, "name": g.name, "status": "DELETE_IN_PROGRESS"}
        self.sweep()
        return out

    def _describe_rgw(self, g: ResourceGateway) -> dict[str, Any]:
        return {
            "id": g.id, "arn": g.arn, "name": g.name, "status": self._status(g),
            "vpcId": g.vpc_id, "vpcIdentifier": g.vpc_id, "subnetIds": g.subnet_ids,
            "securityGroupIds": g.security_group_ids, "ipAddressType": g.ip_address_type,
            "ipv4AddressesPerEni": g.ipv4_addresses_per_eni,
            "createdAt": g.created_at, "lastUpdatedAt": g.updated_at,
        }

    # -- resource configurations -------------------------------------------

    def CreateResourceConfiguration(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        def create() -> ResourceConfiguration:
            self._unique_name(c, ResourceConfiguration, p["name"], "RESOURCE_CONFIGURATION")
            kind = p["type"]
            gateway_ref = p.get("resourceGatewayIdentifier")
            group_ref = p.get("resourceConfigurationGroupIdentifier")
            definition = p.get("resourceConfigurationDefinition")
            ports = p.get("portRanges") or []
            protocol = p.get("protocol")
            gateway_id = group_id = None
            if kind == "CHILD":
                if not group_ref:
                    raise validation("a CHILD resource configuration needs resourceConfigurationGroupIdentifier", "resourceConfigurationGroupIdentifier")
                if gateway_ref:
                    raise validation("a CHILD resource configuration takes the gateway of its group", "resourceGatewayIdentifier")
                if protocol:
                    raise validation("a CHILD resource configuration takes the protocol of its group", "protocol")
                group = self._owned(c, group_ref, ResourceConfiguration, "RESOURCE_CONFIGURATION")
                if group.type != "GROUP":
                    raise validation(f"resource configuration {group.id} is not of type GROUP", "resourceConfigurationGroupIdentifier")
                group_id, gateway_id = group.id, group.gateway_id
            else:
                if group_ref:
                    raise validation(f"a {kind} resource configuration has no group", "resourceConfigurationGroupIdentifier")
                if not gateway_ref:
                    raise validation(f"a {kind} resource configuration needs resourceGatewayIdentifier", "resourceGatewayIdentifier")
                gateway_id = self._owned(c, gateway_ref, ResourceGateway, "RESOURCE_GATEWAY").id
            if kind == "GROUP" and definition:
                raise validation("a GROUP resource configuration has no resourceConfigurationDefinition", "resourceConfigurationDefinition")
            if kind in ("SINGLE", "CHILD", "ARN") and not definition:
                raise validation(f"a {kind} resource configuration needs resourceConfigurationDefinition", "resourceConfigurationDefinition")
            if definition:
                _check_definition(kind, definition)
            if kind == "ARN":
                if ports or protocol:
                    raise validation("an ARN resource configuration takes neither portRanges nor protocol", "portRanges")
            else:
                if kind in ("SINGLE", "CHILD") and not ports:
                    raise validation(f"a {kind} resource configuration needs portRanges", "portRanges")
                _check_port_ranges(ports)
                if kind != "CHILD":
                    protocol = protocol or "TCP"
            if kind == "CHILD" and p.get("allowAssociationToShareableServiceNetwork") is not None:
                raise validation("a CHILD resource configuration takes allowAssociationToShareableServiceNetwork from its group", "allowAssociationToShareableServiceNetwork")
            return self._new(
                ResourceConfiguration, c, "rcfg", "resourceconfiguration/{id}", True,
                name=p["name"], type=kind, gateway_id=gateway_id, group_id=group_id,
                port_ranges=list(ports), protocol=protocol, definition=definition,
                allow_shareable=bool(p.get("allowAssociationToShareableServiceNetwork", False)),
                tags=dict(p.get("tags") or {}),
            )
        return self._idempotent(c, "CreateResourceConfiguration", p, create, self._describe_rcfg)

    def GetResourceConfiguration(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        return self._describe_rcfg(self._owned(c, p["resourceConfigurationIdentifier"], ResourceConfiguration, "RESOURCE_CONFIGURATION"))

    def ListResourceConfigurations(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        self.sweep()
        gateway = self._owned(c, p["resourceGatewayIdentifier"], ResourceGateway, "RESOURCE_GATEWAY").id if p.get("resourceGatewayIdentifier") else None
        group = self._owned(c, p["resourceConfigurationGroupIdentifier"], ResourceConfiguration, "RESOURCE_CONFIGURATION").id if p.get("resourceConfigurationGroupIdentifier") else None
        items = [
            self._describe_rcfg(r) for r in self._all(ResourceConfiguration)
            if r.account == c.account and r.region == c.region
            and gateway in (None, r.gateway_id) and group in (None, r.group_id)
        ]
        return self._page(items, p)

    def UpdateResourceConfiguration(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        r = self._owned(c, p["resourceConfigurationIdentifier"], ResourceConfiguration, "RESOURCE_CONFIGURATION")
        self._require_changeable(r, "RESOURCE_CONFIGURATION")
        if "resourceConfigurationDefinition" in p:
            definition = p["resourceConfigurationDefinition"]
            if r.type == "GROUP":
                raise validation("a GROUP resource configuration has no resourceConfigurationDefinition", "resourceConfigurationDefinition")
            if "arnResource" in definition or "arnResource" in (r.definition or {}):
                raise validation("the arnResource of a resource configuration cannot change", "resourceConfigurationDefinition")
            _check_definition(r.type, definition)
            r.definition = definition
        if "portRanges" in p:
            if r.type == "ARN":
                raise validation("an ARN resource configuration takes no portRanges", "portRanges")
            _check_port_ranges(p["portRanges"])
            r.port_ranges = list(p["portRanges"])
        if "allowAssociationToShareableServiceNetwork" in p:
            r.allow_shareable = bool(p["allowAssociationToShareableServiceNetwork"])
        at = now()
        r.updated_at = at
        assert r.lifecycle is not None
        r.lifecycle.start_update(self.delay, at)
        return self._describe_rcfg(r)

    def DeleteResourceConfiguration(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        r = self._owned(c, p["resourceConfigurationIdentifier"], ResourceConfiguration, "RESOURCE_CONFIGURATION")
        status = self._status(r)
        if status in ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"):
            raise conflict(f"resource configuration {r.id} is {status}", r, "RESOURCE_CONFIGURATION")
        if any(isinstance(a, ResourceAssociation) and a.resource_configuration_id == r.id for a in self.items.values()):
            raise conflict(f"resource configuration {r.id} is still associated with a service network", r, "RESOURCE_CONFIGURATION")
        if any(isinstance(o, ResourceConfiguration) and o.group_id == r.id for o in self.items.values()):
            raise conflict(f"resource configuration group {r.id} still has child configurations", r, "RESOURCE_CONFIGURATION")
        assert r.lifecycle is not None
        r.lifecycle.start_delete(self.delay, now())
        self.sweep()
        return {}

    def _describe_rcfg(self, r: ResourceConfiguration) -> dict[str, Any]:
        return {
            "id": r.id, "arn": r.arn, "name": r.name, "type": r.type, "status": self._status(r),
            "resourceGatewayId": r.gateway_id, "resourceConfigurationGroupId": r.group_id,
            "portRanges": r.port_ranges, "protocol": r.protocol,
            "resourceConfigurationDefinition": r.definition,
            "allowAssociationToShareableServiceNetwork": r.allow_shareable, "amazonManaged": False,
            "createdAt": r.created_at, "lastUpdatedAt": r.updated_at,
        }

    # -- service network resource associations -----------------------------

    def CreateServiceNetworkResourceAssociation(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        def create() -> ResourceAssociation:
            sn = self._lookup(c, p["serviceNetworkIdentifier"], ServiceNetwork, "SERVICE_NETWORK")
            r = self._owned(c, p["resourceConfigurationIdentifier"], ResourceConfiguration, "RESOURCE_CONFIGURATION")
            if r.type == "CHILD":
                raise validation("a CHILD resource configuration is associated through its group", "resourceConfigurationIdentifier")
            for a in self._all(ResourceAssociation):
                if a.service_network_id == sn.id and a.resource_configuration_id == r.id:
                    raise conflict(
                        f"resource configuration {r.id} is already associated with service network {sn.id}",
                        a, "SERVICE_NETWORK_RESOURCE_ASSOCIATION",
                    )
            a = self._new(
                ResourceAssociation, c, "snra", "servicenetworkresourceassociation/{id}", True,
                service_network_id=sn.id, resource_configuration_id=r.id, created_by=c.account,
                private_dns_enabled=p.get("privateDnsEnabled"), tags=dict(p.get("tags") or {}),
            )
            a.dns_entry = _resource_dns_entry(a)
            return a
        return self._idempotent(c, "CreateServiceNetworkResourceAssociation", p, create, self._describe_snra)

    def GetServiceNetworkResourceAssociation(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        return self._describe_snra(self._association(c, p["serviceNetworkResourceAssociationIdentifier"], ResourceAssociation))

    def ListServiceNetworkResourceAssociations(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        self.sweep()
        sn_id = self._lookup(c, p["serviceNetworkIdentifier"], ServiceNetwork, "SERVICE_NETWORK").id if p.get("serviceNetworkIdentifier") else None
        rc_id = self._owned(c, p["resourceConfigurationIdentifier"], ResourceConfiguration, "RESOURCE_CONFIGURATION").id if p.get("resourceConfigurationIdentifier") else None
        items = [
            self._describe_snra(a) for a in self._all(ResourceAssociation)
            if self._association_visible(c, a) and sn_id in (None, a.service_network_id)
            and rc_id in (None, a.resource_configuration_id)
        ]
        return self._page(items, p)

    def DeleteServiceNetworkResourceAssociation(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        a = self._association(c, p["serviceNetworkResourceAssociationIdentifier"], ResourceAssociation)
        return self._delete_association(a, "SERVICE_NETWORK_RESOURCE_ASSOCIATION")

    def _describe_snra(self, a: ResourceAssociation) -> dict[str, Any]:
        sn = self.items.get(a.service_network_id)
        r = self.items.get(a.resource_configuration_id)
        return {
            "id": a.id, "arn": a.arn, "status": self._status(a), "createdBy": a.created_by, "createdAt": a.created_at,
            "lastUpdatedAt": a.updated_at,
            "resourceConfigurationId": a.resource_configuration_id, "resourceConfigurationArn": getattr(r, "arn", None),
            "resourceConfigurationName": getattr(r, "name", None),
            "serviceNetworkId": a.service_network_id, "serviceNetworkArn": getattr(sn, "arn", None),
            "serviceNetworkName": getattr(sn, "name", None), "dnsEntry": a.dns_entry,
            "privateDnsEnabled": a.private_dns_enabled, "isManagedAssociation": False,
        }

    # -- policies --------------------------------------------------------

    def PutAuthPolicy(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        target = self._policy_target(c, p["resourceIdentifier"])
        _check_policy(p["policy"])
        at = now()
        previous = self.auth_policies.get(target.arn)
        self.auth_policies[target.arn] = Policy(p["policy"], previous.created_at if previous else at, at)
        return {"policy": p["policy"], "state": _policy_state(target)}

    def GetAuthPolicy(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        target = self._policy_target(c, p["resourceIdentifier"])
        policy = self.auth_policies.get(target.arn)
        if policy is None:
            return {}
        return {"policy": policy.text, "state": _policy_state(target), "createdAt": policy.created_at, "lastUpdatedAt": policy.updated_at}

    def DeleteAuthPolicy(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        target = self._policy_target(c, p["resourceIdentifier"])
        self.auth_policies.pop(target.arn, None)
        return {}

    def PutResourcePolicy(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        target = self._policy_target(c, p["resourceArn"])
        _check_policy(p["policy"])
        at = now()
        self.resource_policies[target.arn] = Policy(p["policy"], at, at)
        return {}

    def GetResourcePolicy(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        target = self._policy_target(c, p["resourceArn"])
        policy = self.resource_policies.get(target.arn)
        return {"policy": policy.text} if policy else {}

    def DeleteResourcePolicy(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        target = self._policy_target(c, p["resourceArn"])
        self.resource_policies.pop(target.arn, None)
        return {}

    def _policy_target(self, c: Caller, identifier: str) -> ServiceNetwork | Service:
        if identifier.startswith("svc-") or ":service/" in identifier:
            return self._owned(c, identifier, Service, "SERVICE")
        return self._owned(c, identifier, ServiceNetwork, "SERVICE_NETWORK")

    # -- access log subscriptions -----------------------------------------

    def CreateAccessLogSubscription(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        def create() -> AccessLogSubscription:
            target = self._policy_target(c, p["resourceIdentifier"])
            kind = _destination_kind(p["destinationArn"])
            for s in self._all(AccessLogSubscription):
                if s.resource_id == target.id and _destination_kind(s.destination_arn) == kind and s.log_type == p.get("serviceNetworkLogType"):
                    raise conflict(f"{target.id} already has a {kind} access log subscription", s, "ACCESS_LOG_SUBSCRIPTION")
            return self._new(
                AccessLogSubscription, c, "als", "accesslogsubscription/{id}", False,
                resource_id=target.id, destination_arn=p["destinationArn"], log_type=p.get("serviceNetworkLogType"),
                tags=dict(p.get("tags") or {}),
            )
        return self._idempotent(c, "CreateAccessLogSubscription", p, create, self._describe_als)

    def GetAccessLogSubscription(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        return self._describe_als(self._owned(c, p["accessLogSubscriptionIdentifier"], AccessLogSubscription, "ACCESS_LOG_SUBSCRIPTION"))

    def ListAccessLogSubscriptions(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        target = self._policy_target(c, p["resourceIdentifier"])
        subs = [s for s in self._all(AccessLogSubscription) if s.resource_id == target.id]
        return self._page([self._describe_als(s) for s in subs], p)

    def UpdateAccessLogSubscription(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        s = self._owned(c, p["accessLogSubscriptionIdentifier"], AccessLogSubscription, "ACCESS_LOG_SUBSCRIPTION")
        if _destination_kind(p["destinationArn"]) != _destination_kind(s.destination_arn):
            raise validation("the destination type of an access log subscription cannot change", "destinationArn")
        s.destination_arn = p["destinationArn"]
        s.updated_at = now()
        return self._describe_als(s)

    def DeleteAccessLogSubscription(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        self._remove(self._owned(c, p["accessLogSubscriptionIdentifier"], AccessLogSubscription, "ACCESS_LOG_SUBSCRIPTION"))
        return {}

    def _describe_als(self, s: AccessLogSubscription) -> dict[str, Any]:
        target = self.items.get(s.resource_id)
        return {
            "id": s.id, "arn": s.arn, "resourceId": s.resource_id, "resourceArn": getattr(target, "arn", None),
            "destinationArn": s.destination_arn, "serviceNetworkLogType": s.log_type,
            "createdAt": s.created_at, "lastUpdatedAt": s.updated_at,
        }

    def _delete_access_logs(self, resource_id: str) -> None:
        for s in [s for s in self._all(AccessLogSubscription) if s.resource_id == resource_id]:
            self._remove(s)

    # -- tags ------------------------------------------------------------

    def TagResource(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        obj = self._taggable(c, p["resourceArn"])
        merged = {**obj.tags, **p["tags"]}
        if len(merged) > 50:
            raise validation("a resource can have at most 50 tags", "tags")
        obj.tags = merged
        return {}

    def UntagResource(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        obj = self._taggable(c, p["resourceArn"])
        for key in p["tagKeys"]:
            obj.tags.pop(key, None)
        return {}

    def ListTagsForResource(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        return {"tags": dict(self._taggable(c, p["resourceArn"]).tags)}

    def get_tagged_resources(self, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """`GetResources` of the Resource Groups Tagging API, for Lattice objects: the caller's
        objects in its region that carry a tag (AWS leaves out untagged ones), filtered by
        `ResourceTypeFilters` (`vpc-lattice` or `vpc-lattice:TYPE`, TYPE the ARN's first
        resource segment) and `TagFilters`, at most 100 a page."""
        self.sweep()
        listed = p.get("ResourceARNList")
        if listed is not None:
            # As AWS: up to 100 ARNs, not with pagination; the tagged ones among them answer.
            if any(k in p for k in ("ResourcesPerPage", "TagsPerPage", "PaginationToken")):
                raise AwsError("InvalidParameterException", "ResourceARNList cannot be used with pagination parameters")
            if not 1 <= len(listed) <= 100:
                raise AwsError("InvalidParameterException", "ResourceARNList must hold 1 to 100 ARNs")
        types = {f.split(":", 1)[1] for f in p.get("ResourceTypeFilters") or [] if ":" in f}
        wanted = p.get("TagFilters") or []
        per_page = int(p.get("ResourcesPerPage") or 100)
        if not 1 <= per_page <= 100:
            raise AwsError("InvalidParameterException", "ResourcesPerPage must be between 1 and 100")
        items = []
        for arn, obj in sorted(self.by_arn.items()):
            if obj.account != c.account or obj.region != c.region or not obj.tags:
                continue
            if listed is not None and arn not in listed:
                continue
            if types and arn.split(":", 5)[5].split("/", 1)[0] not in types:
                continue
            if not all(_tag_filter_matches(obj.tags, f) for f in wanted):
                continue
            tags = [{"Key": k, "Value": v} for k, v in sorted(obj.tags.items())]
            items.append({"ResourceARN": arn, "Tags": tags})
        if listed is not None:
            return {"PaginationToken": "", "ResourceTagMappingList": items}
        page, token = paginate(items, per_page, p.get("PaginationToken") or None, error_code="InvalidParameterException")
        return {"PaginationToken": token or "", "ResourceTagMappingList": page}

    def _taggable(self, c: Caller, arn: str) -> Resource:
        self.sweep()
        obj = self.by_arn.get(arn)
        if obj is None or obj.region != c.region:
            raise not_found(arn, "RESOURCE")
        if obj.account != c.account and not isinstance(obj, (ServiceAssociation, VpcAssociation, ResourceAssociation)):
            if self.sharing.is_shared_with(obj.arn, c.account):
                raise AwsError("AccessDeniedException", f"tags of shared resource {arn} can only be read by its owner")
            raise not_found(arn, "RESOURCE")
        return obj

    # -- helpers ---------------------------------------------------------

    def _visible(self, c: Caller, obj: Resource) -> bool:
        return obj.region == c.region and (obj.account == c.account or self.sharing.is_shared_with(obj.arn, c.account))

    def _unique_name(self, c: Caller, cls: type[Resource], name: str, resource_type: str) -> None:
        for obj in self._all(cls):
            if obj.account == c.account and obj.region == c.region and getattr(obj, "name") == name:
                raise conflict(f"{resource_type.lower().replace('_', ' ')} named {name} already exists", obj, resource_type)

    def _page(self, items: list[dict[str, Any]], p: dict[str, Any]) -> dict[str, Any]:
        page, token = paginate(items, p.get("maxResults"), p.get("nextToken"))
        return {"items": page, "nextToken": token}


# -- pure helpers ------------------------------------------------------------

def _tag_filter_matches(tags: dict[str, str], f: dict[str, Any]) -> bool:
    """A `TagFilters` entry: the key is present and, when values are given, has one of them."""
    key = f.get("Key")
    if key not in tags:
        return False
    values = f.get("Values") or []
    return not values or tags[key] in values


def _resource_dns_entry(a: ResourceAssociation) -> dict[str, str]:
    digest = hashlib.sha1(a.id.encode()).hexdigest()
    zone = "Z" + hashlib.sha1(a.region.encode()).hexdigest()[:13].upper()
    return {
        "domainName": f"{a.id}.{a.resource_configuration_id}.{digest[:7]}.vpc-lattice-rsc.{a.region}.on.aws",
        "hostedZoneId": zone,
    }


def _check_port_ranges(ports: list[str]) -> None:
    """Each range is `PORT` or `FROM-TO` with 1 <= FROM <= TO <= 65535."""
    for text in ports:
        bounds = text.split("-")
        try:
            low, high = int(bounds[0]), int(bounds[-1])
        except ValueError:
            raise validation(f"port range {text} is not a port or a range of ports", "portRanges") from None
        if len(bounds) > 2 or not 1 <= low <= high <= 65535:
            raise validation(f"port range {text} is not within 1-65535", "portRanges")


def _check_definition(kind: str, definition: dict[str, Any]) -> None:
    """Exactly one member (the shape is a union); ARN types take only `arnResource`."""
    members = [k for k, v in definition.items() if v is not None]
    if len(members) != 1:
        raise validation("resourceConfigurationDefinition takes exactly one of dnsResource, ipResource, arnResource", "resourceConfigurationDefinition")
    member = members[0]
    if (kind == "ARN") != (member == "arnResource"):
        raise validation(f"a {kind} resource configuration cannot be defined by {member}", "resourceConfigurationDefinition")
    if member == "ipResource":
        try:
            ipaddress.ip_address(definition["ipResource"]["ipAddress"])
        except (KeyError, ValueError):
            raise validation("ipResource.ipAddress is not an ip address", "resourceConfigurationDefinition") from None
    if member == "dnsResource" and not definition["dnsResource"].get("domainName"):
        raise validation("dnsResource.domainName is required", "resourceConfigurationDefinition")


def _dns_entry(svc: Service) -> dict[str, str]:
    digest = hashlib.sha1(svc.id.encode()).hexdigest()
    zone = "Z" + hashlib.sha1(svc.region.encode()).hexdigest()[:13].upper()
    return {"domainName": f"{svc.name}-{svc.id[4:]}.{digest[:7]}.vpc-lattice-svcs.{svc.region}.on.aws", "hostedZoneId": zone}


def _target_group_config(kind: str, config: dict[str, Any] | None) -> dict[str, Any]:
    if kind == "LAMBDA":
        if config and any(k in config for k in ("port", "protocol", "vpcIdentifier", "healthCheck")):
            raise validation("LAMBDA target groups take only lambdaEventStructureVersion", "config")
        return {"lambdaEventStructureVersion": (config or {}).get("lambdaEventStructureVersion", "V1")}
    if not config:
        raise validation(f"config is required for {kind} target groups", "config")
    for required in ("protocol", "vpcIdentifier"):
        if required not in config:
            raise validation(f"config.{required} is required for {kind} target groups", f"config.{required}")
    out = dict(config)
    out.setdefault("port", {"HTTP": 80, "HTTPS": 443}.get(config["protocol"]))
    if out["port"] is None:
        raise validation("config.port is required for TCP target groups", "config.port")
    if config["protocol"] != "TCP":
        out.setdefault("protocolVersion", "HTTP1")
    if kind == "IP":
        out.setdefault("ipAddressType", "IPV4")
    health = {
        "enabled": True, "protocol": config["protocol"] if config["protocol"] != "TCP" else "HTTP",
        "protocolVersion": "HTTP1", "port": out["port"], "path": "/",
        "healthCheckIntervalSeconds": 30, "healthCheckTimeoutSeconds": 5,
        "healthyThresholdCount": 5, "unhealthyThresholdCount": 2, "matcher": {"httpCode": "200"},
    }
    out["healthCheck"] = {**health, **(config.get("healthCheck") or {})}
    return out


def _target_problem(tg: TargetGroup, target_id: str) -> str | None:
    if tg.type == "IP":
        try:
            address = ipaddress.ip_address(target_id)
        except ValueError:
            return f"{target_id} is not an ip address"
        wanted = 6 if tg.config.get("ipAddressType") == "IPV6" else 4
        return None if address.version == wanted else f"{target_id} is not an ipv{wanted} address"
    if tg.type == "INSTANCE":
        return None if target_id.startswith("i-") else f"{target_id} is not an instance id"
    if tg.type == "LAMBDA":
        return None if ":lambda:" in target_id else f"{target_id} is not a lambda function arn"
    return None if ":elasticloadbalancing:" in target_id else f"{target_id} is not a load balancer arn"


def _target_status(target: Target, at: float, delay: float, used: bool, health: bool, kind: str) -> dict[str, Any]:
    if target.drained_at is not None:
        return {"status": "DRAINING", "reasonCode": "Target.DeregistrationInProgress"}
    if not used:
        return {"status": "UNUSED", "reasonCode": "TargetGroup.NotUsed"}
    if not health or kind == "LAMBDA":
        return {"status": "UNAVAILABLE", "reasonCode": "Target.HealthCheckDisabled"}
    if at < target.registered_at + delay:
        return {"status": "INITIAL", "reasonCode": "Elb.RegistrationInProgress"}
    return {"status": "HEALTHY"}


def _forward_targets(action: dict[str, Any]) -> set[str]:
    return {g["targetGroupIdentifier"] for g in action.get("forward", {}).get("targetGroups", [])}


def _policy_state(target: ServiceNetwork | Service) -> str:
    return "Active" if target.auth_type == "AWS_IAM" else "Inactive"


def _check_policy(policy: str) -> None:
    try:
        document = json.loads(policy)
    except ValueError:
        raise validation("policy is not valid json", "policy") from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise validation("policy must be a json object with a Statement", "policy")


def _destination_kind(arn: str) -> str:
    parts = parse_arn(arn)
    if parts is None or parts["service"] not in ("s3", "logs", "firehose"):
        raise validation("destinationArn must be an s3 bucket, log group or firehose stream arn", "destinationArn")
    return parts["service"]

