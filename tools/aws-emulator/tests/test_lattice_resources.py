"""Resource gateways, resource configurations and their service network associations."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from conftest import DEFAULT_ACCOUNT, error_code


def subnet(client: Any, vpc: str, cidr: str | None = None) -> str:
    ec2 = client("ec2")
    if cidr is None:
        taken = len(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"])
        cidr = f"10.0.{taken + 1}.0/24"
    return ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]


def gateway(lattice: Any, client: Any, vpc: str, **kw: Any) -> dict[str, Any]:
    return lattice.create_resource_gateway(name=kw.pop("name", "db-gw"), vpcIdentifier=vpc, subnetIds=[subnet(client, vpc)], **kw)


def test_resource_gateway_crud_and_defaults(lattice, client, vpc):
    group = client("ec2").create_security_group(GroupName="gw", Description="gw", VpcId=vpc)["GroupId"]
    gw = gateway(lattice, client, vpc, securityGroupIds=[group], tags={"team": "data"}, clientToken="t-1")
    assert re.fullmatch(r"rgw-[0-9a-f]{17}", gw["id"])
    assert gw["arn"] == f"arn:aws:vpc-lattice:us-east-1:{DEFAULT_ACCOUNT}:resourcegateway/{gw['id']}"
    got = lattice.get_resource_gateway(resourceGatewayIdentifier=gw["arn"])
    assert (got["vpcId"], got["securityGroupIds"], got["ipAddressType"], got["ipv4AddressesPerEni"], got["status"]) == (
        vpc, [group], "IPV4", 16, "ACTIVE")
    # The same client token and parameters answer the same gateway.
    again = lattice.create_resource_gateway(name="db-gw", vpcIdentifier=vpc, subnetIds=got["subnetIds"], securityGroupIds=[group], tags={"team": "data"}, clientToken="t-1")
    assert again["id"] == gw["id"]
    other = client("ec2").create_security_group(GroupName="gw2", Description="gw2", VpcId=vpc)["GroupId"]
    lattice.update_resource_gateway(resourceGatewayIdentifier=gw["id"], securityGroupIds=[other])
    assert lattice.get_resource_gateway(resourceGatewayIdentifier=gw["id"])["securityGroupIds"] == [other]
    summary = lattice.list_resource_gateways()["items"]
    assert [(s["id"], s["vpcIdentifier"]) for s in summary] == [(gw["id"], vpc)]
    assert lattice.list_tags_for_resource(resourceArn=gw["arn"])["tags"] == {"team": "data"}
    deleted = lattice.delete_resource_gateway(resourceGatewayIdentifier=gw["id"])
    assert deleted["status"] == "DELETE_IN_PROGRESS"
    with pytest.raises(ClientError) as excinfo:
        lattice.get_resource_gateway(resourceGatewayIdentifier=gw["id"])
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_resource_gateway_checks_its_network(lattice, client, vpc):
    other_vpc = client("ec2").create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    foreign = subnet(client, other_vpc, "10.1.1.0/24")
    with pytest.raises(ClientError) as excinfo:
        lattice.create_resource_gateway(name="gw-a", vpcIdentifier=vpc, subnetIds=[foreign])
    assert error_code(excinfo) == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        lattice.create_resource_gateway(name="gw-a", vpcIdentifier=vpc, subnetIds=["subnet-0000000000000000"])
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        gateway(lattice, client, vpc, ipAddressType="IPV6", ipv4AddressesPerEni=8)
    assert error_code(excinfo) == "ValidationException"
    gateway(lattice, client, vpc)
    with pytest.raises(ClientError) as excinfo:
        gateway(lattice, client, vpc)
    assert error_code(excinfo) == "ConflictException"


def test_resource_configuration_types(lattice, client, vpc):
    gw = gateway(lattice, client, vpc)
    single = lattice.create_resource_configuration(
        name="orders-db", type="SINGLE", resourceGatewayIdentifier=gw["id"], portRanges=["5432"],
        resourceConfigurationDefinition={"dnsResource": {"domainName": "db.internal.example", "ipAddressType": "IPV4"}},
    )
    assert re.fullmatch(r"rcfg-[0-9a-f]{17}", single["id"])
    got = lattice.get_resource_configuration(resourceConfigurationIdentifier=single["arn"])
    assert (got["type"], got["protocol"], got["resourceGatewayId"], got["portRanges"], got["allowAssociationToShareableServiceNetwork"]) == (
        "SINGLE", "TCP", gw["id"], ["5432"], False)
    group = lattice.create_resource_configuration(name="dbs", type="GROUP", resourceGatewayIdentifier=gw["id"], portRanges=["1-65535"])
    child = lattice.create_resource_configuration(
        name="replica", type="CHILD", resourceConfigurationGroupIdentifier=group["id"], portRanges=["5432"],
        resourceConfigurationDefinition={"ipResource": {"ipAddress": "10.0.1.20"}},
    )
    got = lattice.get_resource_configuration(resourceConfigurationIdentifier=child["id"])
    assert (got["resourceConfigurationGroupId"], got["resourceGatewayId"], got.get("protocol")) == (group["id"], gw["id"], None)
    arn = lattice.create_resource_configuration(
        name="orders-rds", type="ARN", resourceGatewayIdentifier=gw["id"],
        resourceConfigurationDefinition={"arnResource": {"arn": "arn:aws:rds:us-east-1:123456789012:db:orders"}},
    )
    listed = lattice.list_resource_configurations(resourceConfigurationGroupIdentifier=group["id"])["items"]
    assert [i["id"] for i in listed] == [child["id"]]
    assert len(lattice.list_resource_configurations(resourceGatewayIdentifier=gw["id"])["items"]) == 4
    # A gateway in use cannot go; a group with children cannot go.
    with pytest.raises(ClientError) as excinfo:
        lattice.delete_resource_gateway(resourceGatewayIdentifier=gw["id"])
    assert error_code(excinfo) == "ConflictException"
    with pytest.raises(ClientError) as excinfo:
        lattice.delete_resource_configuration(resourceConfigurationIdentifier=group["id"])
    assert error_code(excinfo) == "ConflictException"
    for r in (child, group, single, arn):
        lattice.delete_resource_configuration(resourceConfigurationIdentifier=r["id"])
    assert lattice.list_resource_configurations()["items"] == []
    lattice.delete_resource_gateway(resourceGatewayIdentifier=gw["id"])


@pytest.mark.parametrize("kw", [
    {"type": "SINGLE", "portRanges": ["5432"]},  # no definition
    {"type": "SINGLE", "portRanges": ["5432"], "resourceConfigurationDefinition": {"ipResource": {"ipAddress": "not-an-ip"}}},
    {"type": "SINGLE", "portRanges": ["70000"], "resourceConfigurationDefinition": {"ipResource": {"ipAddress": "10.0.1.5"}}},
    {"type": "SINGLE", "portRanges": ["90-80"], "resourceConfigurationDefinition": {"ipResource": {"ipAddress": "10.0.1.5"}}},
    {"type": "GROUP", "resourceConfigurationDefinition": {"ipResource": {"ipAddress": "10.0.1.5"}}},
    {"type": "ARN", "portRanges": ["80"], "resourceConfigurationDefinition": {"arnResource": {"arn": "arn:aws:rds:us-east-1:123456789012:db:x"}}},
    {"type": "ARN", "resourceConfigurationDefinition": {"dnsResource": {"domainName": "x.example", "ipAddressType": "IPV4"}}},
])
def test_resource_configuration_refuses_bad_shapes(lattice, client, vpc, kw):
    gw = gateway(lattice, client, vpc)
    with pytest.raises(ClientError) as excinfo:
        lattice.create_resource_configuration(name="bad", resourceGatewayIdentifier=gw["id"], **kw)
    assert error_code(excinfo) == "ValidationException"


def test_resource_configuration_update(lattice, client, vpc):
    gw = gateway(lattice, client, vpc)
    r = lattice.create_resource_configuration(
        name="orders-db", type="SINGLE", resourceGatewayIdentifier=gw["id"], portRanges=["5432"],
        resourceConfigurationDefinition={"ipResource": {"ipAddress": "10.0.1.5"}},
    )
    lattice.update_resource_configuration(
        resourceConfigurationIdentifier=r["id"], portRanges=["5432", "6000-6010"],
        allowAssociationToShareableServiceNetwork=True,
        resourceConfigurationDefinition={"dnsResource": {"domainName": "db.example", "ipAddressType": "IPV4"}},
    )
    got = lattice.get_resource_configuration(resourceConfigurationIdentifier=r["id"])
    assert got["portRanges"] == ["5432", "6000-6010"] and got["allowAssociationToShareableServiceNetwork"] is True
    assert got["resourceConfigurationDefinition"] == {"dnsResource": {"domainName": "db.example", "ipAddressType": "IPV4"}}
    assert got["lastUpdatedAt"] >= got["createdAt"]


def test_service_network_resource_association(lattice, client, vpc):
    gw = gateway(lattice, client, vpc)
    r = lattice.create_resource_configuration(
        name="orders-db", type="SINGLE", resourceGatewayIdentifier=gw["id"], portRanges=["5432"],
        resourceConfigurationDefinition={"ipResource": {"ipAddress": "10.0.1.5"}},
    )
    sn = lattice.create_service_network(name="mesh")
    a = lattice.create_service_network_resource_association(
        resourceConfigurationIdentifier=r["id"], serviceNetworkIdentifier=sn["arn"], tags={"k": "v"}, clientToken="a-1",
    )
    assert re.fullmatch(r"snra-[0-9a-f]{17}", a["id"]) and a["createdBy"] == DEFAULT_ACCOUNT
    got = lattice.get_service_network_resource_association(serviceNetworkResourceAssociationIdentifier=a["id"])
    assert (got["resourceConfigurationId"], got["serviceNetworkId"], got["status"]) == (r["id"], sn["id"], "ACTIVE")
    assert got["dnsEntry"]["domainName"].endswith(".vpc-lattice-rsc.us-east-1.on.aws")
    assert lattice.list_service_networks()["items"][0]["numberOfAssociatedResourceConfigurations"] == 1
    listed = lattice.list_service_network_resource_associations(serviceNetworkIdentifier=sn["id"])["items"]
    assert [i["id"] for i in listed] == [a["id"]]
    with pytest.raises(ClientError) as excinfo:
        lattice.create_service_network_resource_association(resourceConfigurationIdentifier=r["id"], serviceNetworkIdentifier=sn["id"])
    assert error_code(excinfo) == "ConflictException"
    # Neither end can go while the association holds them.
    for call in (
        lambda: lattice.delete_resource_configuration(resourceConfigurationIdentifier=r["id"]),
        lambda: lattice.delete_service_network(serviceNetworkIdentifier=sn["id"]),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == "ConflictException"
    assert lattice.delete_service_network_resource_association(serviceNetworkResourceAssociationIdentifier=a["id"])["status"] == "DELETE_IN_PROGRESS"
    assert lattice.list_service_network_resource_associations(resourceConfigurationIdentifier=r["id"])["items"] == []
    lattice.delete_resource_configuration(resourceConfigurationIdentifier=r["id"])
    lattice.delete_service_network(serviceNetworkIdentifier=sn["id"])


def test_resource_statuses_advance_with_the_delay(emulator, lattice, client, vpc):
    emulator.set_async_delay(30)
    gw = gateway(lattice, client, vpc)
    assert lattice.get_resource_gateway(resourceGatewayIdentifier=gw["id"])["status"] == "CREATE_IN_PROGRESS"
    with pytest.raises(ClientError) as excinfo:
        lattice.delete_resource_gateway(resourceGatewayIdentifier=gw["id"])
    assert error_code(excinfo) == "ConflictException"
