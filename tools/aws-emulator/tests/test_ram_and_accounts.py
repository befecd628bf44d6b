"""RAM sharing of Lattice resources across accounts, and acting as several accounts."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import DEFAULT_ACCOUNT, error_code

CONSUMER = "111111111111"


def test_assumed_role_credentials_act_as_the_role_account(client):
    assert client("sts", account=CONSUMER).get_caller_identity()["Account"] == CONSUMER
    sn = client("vpc-lattice", account=CONSUMER).create_service_network(name="mesh")
    assert f":{CONSUMER}:servicenetwork/" in sn["arn"]
    assert client("vpc-lattice").list_service_networks()["items"] == []


def share_network(client):
    owner = client("vpc-lattice")
    sn = owner.create_service_network(name="mesh")
    share = client("ram").create_resource_share(name="mesh-share", resourceArns=[sn["arn"]], principals=[CONSUMER], allowExternalPrincipals=True)
    return sn, share["resourceShare"]


def test_consumer_sees_a_shared_network_only_after_accepting(client):
    sn, share = share_network(client)
    consumer = client("vpc-lattice", account=CONSUMER)
    with pytest.raises(ClientError) as excinfo:
        consumer.get_service_network(serviceNetworkIdentifier=sn["arn"])
    assert error_code(excinfo) == "AccessDeniedException", "as AWS: another account's ARN without a share"
    ram = client("ram", account=CONSUMER)
    invitations = ram.get_resource_share_invitations()["resourceShareInvitations"]
    assert [(i["status"], i["senderAccountId"], i["resourceShareArn"]) for i in invitations] == [("PENDING", DEFAULT_ACCOUNT, share["resourceShareArn"])]
    ram.accept_resource_share_invitation(resourceShareInvitationArn=invitations[0]["resourceShareInvitationArn"])
    assert consumer.get_service_network(serviceNetworkIdentifier=sn["arn"])["id"] == sn["id"]
    with pytest.raises(ClientError) as excinfo:
        consumer.get_service_network(serviceNetworkIdentifier=sn["id"])
    assert error_code(excinfo) == "ResourceNotFoundException", "another account's network is addressed by ARN"
    assert [n["id"] for n in consumer.list_service_networks()["items"]] == [sn["id"]]
    assert [r["arn"] for r in ram.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"]] == [sn["arn"]]
    assert [s["resourceShareArn"] for s in ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]] == [share["resourceShareArn"]]
    with pytest.raises(ClientError) as excinfo:
        ram.accept_resource_share_invitation(resourceShareInvitationArn=invitations[0]["resourceShareInvitationArn"])
    assert error_code(excinfo) == "ResourceShareInvitationAlreadyAcceptedException"
    with pytest.raises(ClientError) as excinfo:
        consumer.list_tags_for_resource(resourceArn=sn["arn"])
    assert error_code(excinfo) == "AccessDeniedException"


def test_consumer_associates_its_vpc_with_a_shared_network(client):
    sn, _ = share_network(client)
    ram = client("ram", account=CONSUMER)
    invitation = ram.get_resource_share_invitations()["resourceShareInvitations"][0]
    ram.accept_resource_share_invitation(resourceShareInvitationArn=invitation["resourceShareInvitationArn"])
    vpc = client("ec2", account=CONSUMER).create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    assoc = client("vpc-lattice", account=CONSUMER).create_service_network_vpc_association(serviceNetworkIdentifier=sn["arn"], vpcIdentifier=vpc)
    assert assoc["createdBy"] == CONSUMER
    owner = client("vpc-lattice")
    assert [a["vpcId"] for a in owner.list_service_network_vpc_associations(serviceNetworkIdentifier=sn["id"])["items"]] == [vpc]
    with pytest.raises(ClientError) as excinfo:
        owner.delete_service_network(serviceNetworkIdentifier=sn["id"])
    assert error_code(excinfo) == "ConflictException"


def test_rejected_invitation_gives_no_access(client):
    sn, _ = share_network(client)
    ram = client("ram", account=CONSUMER)
    invitation = ram.get_resource_share_invitations()["resourceShareInvitations"][0]
    ram.reject_resource_share_invitation(resourceShareInvitationArn=invitation["resourceShareInvitationArn"])
    with pytest.raises(ClientError):
        client("vpc-lattice", account=CONSUMER).get_service_network(serviceNetworkIdentifier=sn["arn"])


def test_associate_and_disassociate_resources_and_principals(client):
    lattice, ram = client("vpc-lattice"), client("ram")
    sn = lattice.create_service_network(name="mesh")
    svc = lattice.create_service(name="orders")
    share = ram.create_resource_share(name="s")["resourceShare"]
    arn = share["resourceShareArn"]
    out = ram.associate_resource_share(resourceShareArn=arn, resourceArns=[sn["arn"], svc["arn"]], principals=[CONSUMER, "222222222222"])
    assert {(a["associationType"], a["status"]) for a in out["resourceShareAssociations"]} == {("RESOURCE", "ASSOCIATED"), ("PRINCIPAL", "ASSOCIATING")}
    resources = ram.list_resources(resourceOwner="SELF", resourceShareArns=[arn])["resources"]
    assert sorted(r["type"] for r in resources) == ["vpc-lattice:Service", "vpc-lattice:ServiceNetwork"]
    assert sorted(p["id"] for p in ram.list_principals(resourceOwner="SELF")["principals"]) == [CONSUMER, "222222222222"]
    ram.disassociate_resource_share(resourceShareArn=arn, resourceArns=[svc["arn"]], principals=["222222222222"])
    assert [r["arn"] for r in ram.list_resources(resourceOwner="SELF")["resources"]] == [sn["arn"]]
    assert [p["id"] for p in ram.list_principals(resourceOwner="SELF")["principals"]] == [CONSUMER]
    statuses = {a["associatedEntity"]: a["status"] for a in ram.get_resource_share_associations(associationType="RESOURCE")["resourceShareAssociations"]}
    assert statuses == {sn["arn"]: "ASSOCIATED", svc["arn"]: "DISASSOCIATED"}


def test_only_the_owner_can_share(client):
    sn = client("vpc-lattice").create_service_network(name="mesh")
    with pytest.raises(ClientError) as excinfo:
        client("ram", account=CONSUMER).create_resource_share(name="theft", resourceArns=[sn["arn"]])
    assert error_code(excinfo) == "OperationNotPermittedException"
    share = client("ram").create_resource_share(name="s")["resourceShare"]
    with pytest.raises(ClientError) as excinfo:
        client("ram", account=CONSUMER).associate_resource_share(resourceShareArn=share["resourceShareArn"], principals=["333333333333"])
    assert error_code(excinfo) == "OperationNotPermittedException"


def test_principals_are_checked(client):
    sn = client("vpc-lattice").create_service_network(name="mesh")
    ram = client("ram")
    closed = ram.create_resource_share(name="closed", resourceArns=[sn["arn"]], allowExternalPrincipals=False)["resourceShare"]
    with pytest.raises(ClientError) as excinfo:
        ram.associate_resource_share(resourceShareArn=closed["resourceShareArn"], principals=[CONSUMER])
    assert error_code(excinfo) == "OperationNotPermittedException"
    with pytest.raises(ClientError) as excinfo:
        ram.associate_resource_share(resourceShareArn=closed["resourceShareArn"], principals=[f"arn:aws:iam::{CONSUMER}:role/x"])
    assert error_code(excinfo) == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        ram.create_resource_share(name="x", resourceArns=["arn:aws:vpc-lattice:us-east-1:123456789012:servicenetwork/sn-00000000000000000"])
    assert error_code(excinfo) == "UnknownResourceException"


def test_organization_members_need_no_invitation(client):
    orgs = client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    created = orgs.create_account(AccountName="member", Email="member@example.com")["CreateAccountStatus"]
    member = orgs.describe_create_account_status(CreateAccountRequestId=created["Id"])["CreateAccountStatus"]["AccountId"]
    ram = client("ram")
    ram.enable_sharing_with_aws_organization()
    sn = client("vpc-lattice").create_service_network(name="mesh")
    ram.create_resource_share(name="org", resourceArns=[sn["arn"]], principals=[member], allowExternalPrincipals=False)
    assert client("ram", account=member).get_resource_share_invitations()["resourceShareInvitations"] == []
    assert client("vpc-lattice", account=member).get_service_network(serviceNetworkIdentifier=sn["arn"])["id"] == sn["id"]


def test_client_token_on_create_resource_share(client):
    ram = client("ram")
    first = ram.create_resource_share(name="s", clientToken="tok")["resourceShare"]
    assert ram.create_resource_share(name="s", clientToken="tok")["resourceShare"]["resourceShareArn"] == first["resourceShareArn"]
    with pytest.raises(ClientError) as excinfo:
        ram.create_resource_share(name="other", clientToken="tok")
    assert error_code(excinfo) == "IdempotentParameterMismatchException"


def test_unshared_arns_of_other_accounts_are_access_denied_even_when_absent(client):
    consumer = client("vpc-lattice", account=CONSUMER)
    vpc = client("ec2", account=CONSUMER).create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    sn = client("vpc-lattice").create_service_network(name="mesh")
    for arn in (sn["arn"], sn["arn"][:-3] + "fff"):
        with pytest.raises(ClientError) as excinfo:
            consumer.create_service_network_vpc_association(serviceNetworkIdentifier=arn, vpcIdentifier=vpc)
        assert error_code(excinfo) == "AccessDeniedException"
    with pytest.raises(ClientError) as excinfo:
        consumer.get_service_network(serviceNetworkIdentifier="arn:aws:vpc-lattice:us-east-1:%s:servicenetwork/sn-00000000000000000" % CONSUMER)
    assert error_code(excinfo) == "ResourceNotFoundException", "the caller's own ARN that does not exist"


def test_a_receiver_can_leave_a_share_it_accepted(client):
    sn, share = share_network(client)
    ram = client("ram", account=CONSUMER)
    invitation = ram.get_resource_share_invitations()["resourceShareInvitations"][0]
    ram.accept_resource_share_invitation(resourceShareInvitationArn=invitation["resourceShareInvitationArn"])
    assert [s["resourceShareArn"] for s in ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]] == [share["resourceShareArn"]]
    with pytest.raises(ClientError) as excinfo:
        ram.disassociate_resource_share(resourceShareArn=share["resourceShareArn"], principals=["222222222222"])
    assert error_code(excinfo) == "OperationNotPermittedException", "a receiver can remove only itself"
    ram.disassociate_resource_share(resourceShareArn=share["resourceShareArn"], principals=[CONSUMER])
    assert ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"] == []
    with pytest.raises(ClientError) as excinfo:
        client("vpc-lattice", account=CONSUMER).get_service_network(serviceNetworkIdentifier=sn["arn"])
    assert error_code(excinfo) == "AccessDeniedException"
    statuses = {a["associatedEntity"]: a["status"] for a in client("ram").get_resource_share_associations(associationType="PRINCIPAL")["resourceShareAssociations"]}
    assert statuses == {CONSUMER: "DISASSOCIATED"}
    with pytest.raises(ClientError) as excinfo:
        ram.disassociate_resource_share(resourceShareArn=share["resourceShareArn"], principals=[CONSUMER])
    assert error_code(excinfo) == "UnknownResourceException"


def test_accepting_again_with_the_same_client_token_is_idempotent(client):
    # The SDK's retry of an accept that was performed but answered with a 500 sends the same
    # token: it must succeed, as AWS's clientToken promises; another token is refused.
    share_network(client)
    ram = client("ram", account=CONSUMER)
    arn = ram.get_resource_share_invitations()["resourceShareInvitations"][0]["resourceShareInvitationArn"]
    first = ram.accept_resource_share_invitation(resourceShareInvitationArn=arn, clientToken="accept-1")
    again = ram.accept_resource_share_invitation(resourceShareInvitationArn=arn, clientToken="accept-1")
    assert again["resourceShareInvitation"]["status"] == first["resourceShareInvitation"]["status"] == "ACCEPTED"
    with pytest.raises(ClientError) as excinfo:
        ram.accept_resource_share_invitation(resourceShareInvitationArn=arn, clientToken="accept-2")
    assert error_code(excinfo) == "ResourceShareInvitationAlreadyAcceptedException"
    with pytest.raises(ClientError) as excinfo:
        ram.reject_resource_share_invitation(resourceShareInvitationArn=arn, clientToken="accept-1")
    assert error_code(excinfo) == "IdempotentParameterMismatchException"
