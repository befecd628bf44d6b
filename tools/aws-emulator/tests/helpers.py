"""Builders of the small Lattice meshes that tests share."""

from __future__ import annotations

from typing import Any


def forward(target_group_id: str) -> dict[str, Any]:
    return {"forward": {"targetGroups": [{"targetGroupIdentifier": target_group_id, "weight": 100}]}}


def target_group(lattice: Any, vpc: str, name: str = "orders-tg", **kw: Any) -> dict[str, Any]:
    config = {"port": 8080, "protocol": "HTTP", "vpcIdentifier": vpc}
    return lattice.create_target_group(name=name, type="IP", config=config, **kw)


def service_with_listener(lattice: Any, vpc: str, name: str = "orders") -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    service = lattice.create_service(name=name)
    tg = target_group(lattice, vpc, name=f"{name}-tg")
    listener = lattice.create_listener(
        serviceIdentifier=service["id"], name="http", protocol="HTTP", defaultAction=forward(tg["id"])
    )
    return service, tg, listener
