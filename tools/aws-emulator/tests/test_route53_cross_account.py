"""Route53 private zones associated with VPCs of other accounts, through authorizations."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import error_code

OWNER = "111111111111"
OTHER = "222222222222"
THIRD = "333333333333"
REGION = "us-east-1"


def private_zone(client, account: str = OWNER, name: str = "mesh.internal") -> tuple[str, str]:
    """A private zone in `account` with one VPC of its own; returns (zone ID, that VPC)."""
    vpc = client("ec2", account=account).create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zone = client("route53", account=account).create_hosted_zone(
        Name=name, CallerReference=f"ref-{name}-{account}",
        VPC={"VPCRegion": REGION, "VPCId": vpc}, HostedZoneConfig={"PrivateZone": True},
    )["HostedZone"]["Id"].split("/")[-1]
    return zone, vpc


def other_vpc(client, account: str = OTHER, cidr: str = "10.1.0.0/16") -> str:
    return client("ec2", account=account).create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]


def test_associating_another_accounts_zone_needs_its_authorization(client):
    zone, _ = private_zone(client)
    vpc = other_vpc(client)
    owner, other = client("route53", account=OWNER), client("route53", account=OTHER)

    with pytest.raises(ClientError) as refused:
        other.associate_vpc_with_hosted_zone(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": vpc})
    assert error_code(refused) == "NotAuthorizedException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401

    made = owner.create_vpc_association_authorization(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": vpc})
    assert made["HostedZoneId"] == zone and made["VPC"] == {"VPCRegion": REGION, "VPCId": vpc}
    # Authorizing twice is not an error, and lists once.
    owner.create_vpc_association_authorization(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": vpc})
    listed = owner.list_vpc_association_authorizations(HostedZoneId=zone)
    assert listed["HostedZoneId"] == zone
    assert listed["VPCs"] == [{"VPCRegion": REGION, "VPCId": vpc}]

    change = other.associate_vpc_with_hosted_zone(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": vpc})
    assert change["ChangeInfo"]["Status"] == "INSYNC"
    assert other.get_change(Id=change["ChangeInfo"]["Id"])["ChangeInfo"]["Status"] == "INSYNC"
    # The zone owner sees the other account's VPC on its zone.
    vpcs = owner.get_hosted_zone(Id=zone)["VPCs"]
    assert {"VPCRegion": REGION, "VPCId": vpc} in vpcs and len(vpcs) == 2
    # The VPC owner finds the zone by its VPC, owned by the zone's account.
    summaries = other.list_hosted_zones_by_vpc(VPCId=vpc, VPCRegion=REGION)["HostedZoneSummaries"]
    assert [(s["HostedZoneId"], s["Name"], s["Owner"]) for s in summaries] == [
        (zone, "mesh.internal.", {"OwningAccount": OWNER})
    ]
    with pytest.raises(ClientError) as twice:
        other.associate_vpc_with_hosted_zone(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": vpc})
    assert error_code(twice) == "ConflictingDomainExists"

    # Deleting the authorization leaves the association; a second delete is not found.
    owner.delete_vpc_association_authorization(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": vpc})
    assert owner.list_vpc_association_authorizations(HostedZoneId=zone)["VPCs"] == []
    assert len(owner.get_hosted_zone(Id=zone)["VPCs"]) == 2
    with pytest.raises(ClientError) as gone:
        owner.delete_vpc_association_authorization(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": vpc})
    assert error_code(gone) == "VPCAssociationAuthorizationNotFound"

    # The VPC owner may disassociate; then the zone is no longer listed for the VPC.
    other.disassociate_vpc_from_hosted_zone(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": vpc})
    assert other.list_hosted_zones_by_vpc(VPCId=vpc, VPCRegion=REGION)["HostedZoneSummaries"] == []
    with pytest.raises(ClientError) as not_associated:
        other.disassociate_vpc_from_hosted_zone(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": vpc})
    assert error_code(not_associated) == "VPCAssociationNotFound"
    # And without an authorization it cannot come back.
    with pytest.raises(ClientError) as again:
        other.associate_vpc_with_hosted_zone(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": vpc})
    assert error_code(again) == "NotAuthorizedException"


def test_only_the_zone_owner_authorizes_and_only_the_vpc_owner_associates(client):
    zone, own_vpc = private_zone(client)
    vpc = other_vpc(client)
    owner, other, third = (client("route53", account=a) for a in (OWNER, OTHER, THIRD))

    # Another account cannot authorize (or list) for a zone it does not own.
    with pytest.raises(ClientError) as foreign:
        other.create_vpc_association_authorization(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": vpc})
    assert error_code(foreign) == "NoSuchHostedZone"
    with pytest.raises(ClientError) as foreign_list:
        other.list_vpc_association_authorizations(HostedZoneId=zone)
    assert error_code(foreign_list) == "NoSuchHostedZone"

    owner.create_vpc_association_authorization(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": vpc})
    # The authorization is for the VPC's owner: a third account cannot use that VPC.
    with pytest.raises(ClientError) as not_theirs:
        third.associate_vpc_with_hosted_zone(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": vpc})
    assert error_code(not_theirs) == "InvalidVPCId"
    # A VPC that exists nowhere cannot be authorized.
    with pytest.raises(ClientError) as missing:
        owner.create_vpc_association_authorization(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": "vpc-0123456789abcdef0"})
    assert error_code(missing) == "InvalidVPCId"
    # Only the VPC owner lists a VPC's zones.
    with pytest.raises(ClientError) as list_other:
        third.list_hosted_zones_by_vpc(VPCId=vpc, VPCRegion=REGION)
    assert error_code(list_other) == "InvalidVPCId"
    # The zone owner's own VPC: no authorization needed, and the last VPC stays.
    with pytest.raises(ClientError) as last:
        owner.disassociate_vpc_from_hosted_zone(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": own_vpc})
    assert error_code(last) == "LastVPCAssociation"


def test_public_zones_and_pagination(client):
    owner = client("route53", account=OWNER)
    public = owner.create_hosted_zone(Name="public.example", CallerReference="pub")["HostedZone"]["Id"].split("/")[-1]
    vpc = other_vpc(client)
    with pytest.raises(ClientError) as not_private:
        owner.create_vpc_association_authorization(HostedZoneId=public, VPC={"VPCRegion": REGION, "VPCId": vpc})
    assert error_code(not_private) == "InvalidInput"

    zone, _ = private_zone(client)
    vpcs = [other_vpc(client, cidr=f"10.{i}.0.0/16") for i in range(2, 5)]
    for v in vpcs:
        owner.create_vpc_association_authorization(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": v})
    first = owner.list_vpc_association_authorizations(HostedZoneId=zone, MaxResults="2")
    assert len(first["VPCs"]) == 2 and "NextToken" in first
    rest = owner.list_vpc_association_authorizations(HostedZoneId=zone, MaxResults="2", NextToken=first["NextToken"])
    assert [v["VPCId"] for v in first["VPCs"] + rest["VPCs"]] == vpcs
    assert "NextToken" not in rest
    with pytest.raises(ClientError) as bad_token:
        owner.list_vpc_association_authorizations(HostedZoneId=zone, NextToken="nonsense")
    assert error_code(bad_token) == "InvalidPaginationToken"

