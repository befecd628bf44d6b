"""Create, read, update, delete and list of every Lattice resource trellis manages."""

from __future__ import annotations

import json
import re

import pytest
from botocore.exceptions import ClientError

from conftest import DEFAULT_ACCOUNT, error_code
from helpers import forward, service_with_listener, target_group

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}]})


def test_service_network_crud(lattice):
    sn = lattice.create_service_network(name="mesh", authType="NONE", tags={"team": "platform"})
    assert re.fullmatch(r"sn-[0-9a-f]{17}", sn["id"])
    assert sn["arn"] == f"arn:aws:vpc-lattice:us-east-1:{DEFAULT_ACCOUNT}:servicenetwork/{sn['id']}"
    updated = lattice.update_service_network(serviceNetworkIdentifier=sn["id"], authType="AWS_IAM")
    assert updated["authType"] == "AWS_IAM"
    got = lattice.get_service_network(serviceNetworkIdentifier=sn["arn"])
    assert (got["id"], got["name"], got["authType"]) == (sn["id"], "mesh", "AWS_IAM")
    assert got["numberOfAssociatedVPCs"] == 0 and "createdAt" in got
    assert [s["id"] for s in lattice.list_service_networks()["items"]] == [sn["id"]]
    lattice.delete_service_network(serviceNetworkIdentifier=sn["id"])
    with pytest.raises(ClientError) as excinfo:
        lattice.get_service_network(serviceNetworkIdentifier=sn["id"])
    assert error_code(excinfo) == "ResourceNotFoundException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_service_crud_and_dns_entry(lattice):
    svc = lattice.create_service(name="orders", authType="NONE", customDomainName="orders.example.com")
    assert re.fullmatch(r"svc-[0-9a-f]{17}", svc["id"])
    assert svc["dnsEntry"]["domainName"].endswith(".vpc-lattice-svcs.us-east-1.on.aws")
    assert svc["dnsEntry"]["hostedZoneId"].startswith("Z")
    cert = "arn:aws:acm:us-east-1:123456789012:certificate/abc-123"
    updated = lattice.update_service(serviceIdentifier=svc["id"], authType="AWS_IAM", certificateArn=cert)
    assert (updated["authType"], updated["certificateArn"]) == ("AWS_IAM", cert)
    got = lattice.get_service(serviceIdentifier=svc["arn"])
    assert got["customDomainName"] == "orders.example.com" and got["status"] == "ACTIVE"
    assert [s["name"] for s in lattice.list_services()["items"]] == ["orders"]
    deleted = lattice.delete_service(serviceIdentifier=svc["id"])
    assert deleted["status"] == "DELETE_IN_PROGRESS"
    assert lattice.list_services()["items"] == []


def test_target_group_crud_and_defaults(lattice, vpc):
    tg = target_group(lattice, vpc)
    assert re.fullmatch(r"tg-[0-9a-f]{17}", tg["id"])
    config = tg["config"]
    assert (config["protocolVersion"], config["ipAddressType"], config["healthCheck"]["enabled"]) == ("HTTP1", "IPV4", True)
    updated = lattice.update_target_group(targetGroupIdentifier=tg["id"], healthCheck={"path": "/health", "enabled": True})
    assert updated["config"]["healthCheck"]["path"] == "/health"
    got = lattice.get_target_group(targetGroupIdentifier=tg["arn"])
    assert got["config"]["healthCheck"]["path"] == "/health" and got["serviceArns"] == []
    summary = lattice.list_target_groups(vpcIdentifier=vpc)["items"][0]
    assert (summary["port"], summary["protocol"], summary["vpcIdentifier"]) == (8080, "HTTP", vpc)
    assert lattice.list_target_groups(targetGroupType="LAMBDA")["items"] == []
    lattice.delete_target_group(targetGroupIdentifier=tg["id"])
    assert lattice.list_target_groups()["items"] == []


def test_target_group_needs_an_existing_vpc(lattice):
    with pytest.raises(ClientError) as excinfo:
        lattice.create_target_group(name="orders-x", type="IP", config={"port": 80, "protocol": "HTTP", "vpcIdentifier": "vpc-0123456789abcdef0"})
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_listener_crud(lattice, vpc):
    service, tg, listener = service_with_listener(lattice, vpc)
    assert re.fullmatch(r"listener-[0-9a-f]{17}", listener["id"])
    assert listener["port"] == 80 and listener["serviceId"] == service["id"]
    assert listener["arn"] == f"{service['arn']}/listener/{listener['id']}"
    assert lattice.get_target_group(targetGroupIdentifier=tg["id"])["serviceArns"] == [service["arn"]]
    updated = lattice.update_listener(serviceIdentifier=service["id"], listenerIdentifier=listener["id"], defaultAction={"fixedResponse": {"statusCode": 404}})
    assert updated["defaultAction"] == {"fixedResponse": {"statusCode": 404}}
    got = lattice.get_listener(serviceIdentifier=service["arn"], listenerIdentifier=listener["arn"])
    assert got["defaultAction"] == {"fixedResponse": {"statusCode": 404}}
    assert [l["id"] for l in lattice.list_listeners(serviceIdentifier=service["id"])["items"]] == [listener["id"]]
    lattice.delete_listener(serviceIdentifier=service["id"], listenerIdentifier=listener["id"])
    assert lattice.list_listeners(serviceIdentifier=service["id"])["items"] == []


def test_rule_crud_and_default_rule(lattice, vpc):
    service, tg, listener = service_with_listener(lattice, vpc)
    ids = dict(serviceIdentifier=service["id"], listenerIdentifier=listener["id"])
    match = {"httpMatch": {"pathMatch": {"match": {"prefix": "/api"}}}}
    rule = lattice.create_rule(**ids, name="api", priority=10, match=match, action=forward(tg["id"]))
    assert re.fullmatch(r"rule-[0-9a-f]{17}", rule["id"])
    updated = lattice.update_rule(**ids, ruleIdentifier=rule["id"], priority=20, action={"fixedResponse": {"statusCode": 503}})
    assert (updated["priority"], updated["action"]) == (20, {"fixedResponse": {"statusCode": 503}})
    assert lattice.get_rule(**ids, ruleIdentifier=rule["arn"])["match"] == match
    items = lattice.list_rules(**ids)["items"]
    assert [(r["name"], r["isDefault"]) for r in items] == [("api", False), ("default", True)]
    default_id = items[1]["id"]
    with pytest.raises(ClientError) as excinfo:
        lattice.update_rule(**ids, ruleIdentifier=default_id, priority=5)
    assert error_code(excinfo) == "ValidationException"
    lattice.delete_rule(**ids, ruleIdentifier=rule["id"])
    assert [r["isDefault"] for r in lattice.list_rules(**ids)["items"]] == [True]


def test_service_network_service_association_crud(lattice):
    sn = lattice.create_service_network(name="mesh")
    svc = lattice.create_service(name="orders")
    assoc = lattice.create_service_network_service_association(serviceIdentifier=svc["arn"], serviceNetworkIdentifier=sn["id"])
    assert re.fullmatch(r"snsa-[0-9a-f]{17}", assoc["id"]) and assoc["createdBy"] == DEFAULT_ACCOUNT
    got = lattice.get_service_network_service_association(serviceNetworkServiceAssociationIdentifier=assoc["arn"])
    assert (got["serviceId"], got["serviceNetworkId"], got["status"]) == (svc["id"], sn["id"], "ACTIVE")
    assert got["dnsEntry"] == svc["dnsEntry"]
    assert len(lattice.list_service_network_service_associations(serviceNetworkIdentifier=sn["id"])["items"]) == 1
    assert lattice.get_service_network(serviceNetworkIdentifier=sn["id"])["numberOfAssociatedServices"] == 1
    deleted = lattice.delete_service_network_service_association(serviceNetworkServiceAssociationIdentifier=assoc["id"])
    assert deleted["status"] == "DELETE_IN_PROGRESS"
    assert lattice.list_service_network_service_associations(serviceIdentifier=svc["id"])["items"] == []


def test_vpc_association_crud_and_security_groups(client, lattice, vpc):
    ec2 = client("ec2")
    sg1 = ec2.create_security_group(GroupName="a", Description="a", VpcId=vpc)["GroupId"]
    sg2 = ec2.create_security_group(GroupName="b", Description="b", VpcId=vpc)["GroupId"]
    sn = lattice.create_service_network(name="mesh")
    assoc = lattice.create_service_network_vpc_association(serviceNetworkIdentifier=sn["arn"], vpcIdentifier=vpc, securityGroupIds=[sg1])
    assert re.fullmatch(r"snva-[0-9a-f]{17}", assoc["id"]) and assoc["securityGroupIds"] == [sg1]
    updated = lattice.update_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=assoc["id"], securityGroupIds=[sg1, sg2])
    assert updated["securityGroupIds"] == [sg1, sg2]
    unchecked = client("vpc-lattice", validate=False)
    with pytest.raises(ClientError) as excinfo:
        unchecked.update_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=assoc["id"], securityGroupIds=[])
    assert error_code(excinfo) == "ValidationException"
    got = lattice.get_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=assoc["arn"])
    assert (got["vpcId"], got["serviceNetworkId"], got["status"]) == (vpc, sn["id"], "ACTIVE")
    assert lattice.list_service_network_vpc_associations(vpcIdentifier=vpc)["items"][0]["id"] == assoc["id"]
    lattice.delete_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=assoc["id"])
    assert lattice.list_service_network_vpc_associations(serviceNetworkIdentifier=sn["id"])["items"] == []


def test_vpc_association_rejects_unknown_or_foreign_security_groups(client, lattice, vpc):
    other_vpc = client("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    foreign = client("ec2").create_security_group(GroupName="f", Description="f", VpcId=other_vpc)["GroupId"]
    sn = lattice.create_service_network(name="mesh")
    with pytest.raises(ClientError) as excinfo:
        lattice.create_service_network_vpc_association(serviceNetworkIdentifier=sn["id"], vpcIdentifier=vpc, securityGroupIds=["sg-0123456789abcdef0"])
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        lattice.create_service_network_vpc_association(serviceNetworkIdentifier=sn["id"], vpcIdentifier=vpc, securityGroupIds=[foreign])
    assert error_code(excinfo) == "ValidationException"


def test_auth_policy_put_get_delete(lattice):
    svc = lattice.create_service(name="orders", authType="NONE")
    assert "policy" not in lattice.get_auth_policy(resourceIdentifier=svc["id"])
    put = lattice.put_auth_policy(resourceIdentifier=svc["arn"], policy=POLICY)
    assert put["state"] == "Inactive"
    lattice.update_service(serviceIdentifier=svc["id"], authType="AWS_IAM")
    got = lattice.get_auth_policy(resourceIdentifier=svc["id"])
    assert json.loads(got["policy"]) == json.loads(POLICY) and got["state"] == "Active"
    lattice.delete_auth_policy(resourceIdentifier=svc["id"])
    assert "policy" not in lattice.get_auth_policy(resourceIdentifier=svc["id"])
    with pytest.raises(ClientError) as excinfo:
        lattice.put_auth_policy(resourceIdentifier=svc["id"], policy="not json")
    assert error_code(excinfo) == "ValidationException"


def test_resource_policy_put_get_delete(lattice):
    sn = lattice.create_service_network(name="mesh")
    lattice.put_resource_policy(resourceArn=sn["arn"], policy=POLICY)
    assert json.loads(lattice.get_resource_policy(resourceArn=sn["arn"])["policy"]) == json.loads(POLICY)
    lattice.delete_resource_policy(resourceArn=sn["arn"])
    assert "policy" not in lattice.get_resource_policy(resourceArn=sn["arn"])


def test_access_log_subscription_crud(lattice):
    sn = lattice.create_service_network(name="mesh")
    bucket = "arn:aws:s3:::access-logs-bucket"
    als = lattice.create_access_log_subscription(resourceIdentifier=sn["id"], destinationArn=bucket)
    assert re.fullmatch(r"als-[0-9a-f]{17}", als["id"]) and als["resourceArn"] == sn["arn"]
    with pytest.raises(ClientError) as excinfo:
        lattice.create_access_log_subscription(resourceIdentifier=sn["id"], destinationArn="arn:aws:s3:::other-log-bucket")
    assert error_code(excinfo) == "ConflictException"
    updated = lattice.update_access_log_subscription(accessLogSubscriptionIdentifier=als["id"], destinationArn="arn:aws:s3:::other-log-bucket")
    assert updated["destinationArn"] == "arn:aws:s3:::other-log-bucket"
    assert lattice.get_access_log_subscription(accessLogSubscriptionIdentifier=als["arn"])["destinationArn"] == "arn:aws:s3:::other-log-bucket"
    assert len(lattice.list_access_log_subscriptions(resourceIdentifier=sn["arn"])["items"]) == 1
    lattice.delete_access_log_subscription(accessLogSubscriptionIdentifier=als["id"])
    assert lattice.list_access_log_subscriptions(resourceIdentifier=sn["id"])["items"] == []


def test_register_deregister_and_list_targets(lattice, vpc):
    service, tg, _ = service_with_listener(lattice, vpc)
    out = lattice.register_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.5"}, {"id": "10.0.0.6", "port": 9090}, {"id": "not-an-ip"}])
    assert out["successful"] == [{"id": "10.0.0.5", "port": 8080}, {"id": "10.0.0.6", "port": 9090}]
    assert [u["id"] for u in out["unsuccessful"]] == ["not-an-ip"]
    items = lattice.list_targets(targetGroupIdentifier=tg["id"])["items"]
    assert {(t["id"], t["port"], t["status"]) for t in items} == {("10.0.0.5", 8080, "HEALTHY"), ("10.0.0.6", 9090, "HEALTHY")}
    filtered = lattice.list_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.6", "port": 9090}])["items"]
    assert [t["id"] for t in filtered] == ["10.0.0.6"]
    out = lattice.deregister_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.5"}, {"id": "10.9.9.9"}])
    assert [s["id"] for s in out["successful"]] == ["10.0.0.5"] and [u["id"] for u in out["unsuccessful"]] == ["10.9.9.9"]
    assert [t["id"] for t in lattice.list_targets(targetGroupIdentifier=tg["arn"])["items"]] == ["10.0.0.6"]


def test_targets_of_an_unused_target_group_are_unused(lattice, vpc):
    tg = target_group(lattice, vpc)
    lattice.register_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.5"}])
    assert lattice.list_targets(targetGroupIdentifier=tg["id"])["items"][0]["status"] == "UNUSED"


def test_tags(lattice, vpc):
    service, tg, listener = service_with_listener(lattice, vpc)
    for arn in (service["arn"], tg["arn"], listener["arn"]):
        lattice.tag_resource(resourceArn=arn, tags={"env": "test", "team": "a"})
        lattice.untag_resource(resourceArn=arn, tagKeys=["team"])
        assert lattice.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "test"}
    sn = lattice.create_service_network(name="mesh", tags={"k": "v"})
    assert lattice.list_tags_for_resource(resourceArn=sn["arn"])["tags"] == {"k": "v"}
    with pytest.raises(ClientError) as excinfo:
        lattice.list_tags_for_resource(resourceArn=sn["arn"].replace(sn["id"], "sn-00000000000000000"))
    assert error_code(excinfo) == "ResourceNotFoundException"
