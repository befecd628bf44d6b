"""Lattice behaviour AWS documents: idempotency, conflicts, cascades, names, quotas, pages, async statuses."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, wait_until
from helpers import forward, service_with_listener, target_group

POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})


def test_client_token_same_parameters_returns_same_resource(lattice):
    first = lattice.create_service(name="orders", clientToken="token-1")
    again = lattice.create_service(name="orders", clientToken="token-1")
    assert again["id"] == first["id"]
    assert len(lattice.list_services()["items"]) == 1


def test_client_token_other_parameters_is_a_conflict(lattice):
    lattice.create_service_network(name="mesh", clientToken="token-1")
    with pytest.raises(ClientError) as excinfo:
        lattice.create_service_network(name="mesh", authType="AWS_IAM", clientToken="token-1")
    assert error_code(excinfo) == "ConflictException"


def test_names_are_unique_per_account(client, lattice):
    lattice.create_service(name="orders")
    with pytest.raises(ClientError) as excinfo:
        lattice.create_service(name="orders")
    assert error_code(excinfo) == "ConflictException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    client("vpc-lattice", account="111111111111").create_service(name="orders")


@pytest.mark.parametrize("name", ["ab", "-orders", "orders-", "or--ders", "Orders", "svc-orders", "a" * 41])
def test_invalid_service_names_are_rejected(client, name):
    with pytest.raises(ClientError) as excinfo:
        client("vpc-lattice", validate=False).create_service(name=name)
    assert error_code(excinfo) == "ValidationException"
    assert excinfo.value.response["fieldList"][0]["name"] == "name"


def test_listener_names_may_not_start_with_listener_prefix(lattice):
    svc = lattice.create_service(name="orders")
    with pytest.raises(ClientError) as excinfo:
        lattice.create_listener(serviceIdentifier=svc["id"], name="listener-one", protocol="HTTP", defaultAction={"fixedResponse": {"statusCode": 404}})
    assert error_code(excinfo) == "ValidationException"


def test_listener_quota_is_two_per_service(lattice):
    svc = lattice.create_service(name="orders")
    fixed = {"fixedResponse": {"statusCode": 404}}
    lattice.create_listener(serviceIdentifier=svc["id"], name="http", protocol="HTTP", defaultAction=fixed)
    lattice.create_listener(serviceIdentifier=svc["id"], name="https", protocol="HTTPS", defaultAction=fixed)
    with pytest.raises(ClientError) as excinfo:
        lattice.create_listener(serviceIdentifier=svc["id"], name="other", protocol="HTTP", port=8080, defaultAction=fixed)
    assert error_code(excinfo) == "ServiceQuotaExceededException"


def test_security_group_quota_is_five_per_vpc_association(client, lattice, vpc):
    ec2 = client("ec2")
    groups = [ec2.create_security_group(GroupName=f"g{i}", Description="g", VpcId=vpc)["GroupId"] for i in range(6)]
    sn = lattice.create_service_network(name="mesh")
    with pytest.raises(ClientError) as excinfo:
        lattice.create_service_network_vpc_association(serviceNetworkIdentifier=sn["id"], vpcIdentifier=vpc, securityGroupIds=groups)
    # The API model caps the list at five, so AWS answers a validation error.
    assert error_code(excinfo) == "ValidationException"
    lattice.create_service_network_vpc_association(serviceNetworkIdentifier=sn["id"], vpcIdentifier=vpc, securityGroupIds=groups[:5])


def test_pagination_with_max_results_and_next_token(lattice):
    names = [f"net-{i:02d}" for i in range(7)]
    for name in names:
        lattice.create_service_network(name=name)
    seen, token, pages = [], None, 0
    while True:
        page = lattice.list_service_networks(maxResults=3, **({"nextToken": token} if token else {}))
        seen += [n["name"] for n in page["items"]]
        pages += 1
        token = page.get("nextToken")
        if not token:
            break
    assert (seen, pages) == (names, 3)
    unchecked_max = lattice.list_service_networks
    with pytest.raises(ClientError) as excinfo:
        unchecked_max(maxResults=101)
    assert error_code(excinfo) == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        lattice.list_service_networks(nextToken="garbage")
    assert error_code(excinfo) == "ValidationException"


def test_deleting_a_network_with_associations_conflicts(lattice, vpc):
    sn = lattice.create_service_network(name="mesh")
    lattice.create_service_network_vpc_association(serviceNetworkIdentifier=sn["id"], vpcIdentifier=vpc)
    with pytest.raises(ClientError) as excinfo:
        lattice.delete_service_network(serviceNetworkIdentifier=sn["id"])
    assert error_code(excinfo) == "ConflictException"


def test_deleting_an_associated_service_conflicts(lattice):
    sn = lattice.create_service_network(name="mesh")
    svc = lattice.create_service(name="orders")
    lattice.create_service_network_service_association(serviceIdentifier=svc["id"], serviceNetworkIdentifier=sn["id"])
    with pytest.raises(ClientError) as excinfo:
        lattice.delete_service(serviceIdentifier=svc["id"])
    assert error_code(excinfo) == "ConflictException"
    with pytest.raises(ClientError) as excinfo:
        lattice.delete_service_network(serviceNetworkIdentifier=sn["id"])
    assert error_code(excinfo) == "ConflictException"


def test_deleting_a_target_group_in_use_conflicts(lattice, vpc):
    _, tg, _ = service_with_listener(lattice, vpc)
    with pytest.raises(ClientError) as excinfo:
        lattice.delete_target_group(targetGroupIdentifier=tg["id"])
    assert error_code(excinfo) == "ConflictException"


def test_deleting_a_target_group_with_targets_conflicts_until_drained(emulator, lattice, vpc):
    emulator.set_async_delay(0.3)
    tg = target_group(lattice, vpc)
    wait_until(lambda: lattice.get_target_group(targetGroupIdentifier=tg["id"])["status"] == "ACTIVE")
    lattice.register_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.5"}])
    lattice.deregister_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.5"}])
    with pytest.raises(ClientError) as excinfo:
        lattice.delete_target_group(targetGroupIdentifier=tg["id"])
    assert error_code(excinfo) == "ConflictException"
    wait_until(lambda: not lattice.list_targets(targetGroupIdentifier=tg["id"])["items"])
    lattice.delete_target_group(targetGroupIdentifier=tg["id"])


def test_a_vpc_has_at_most_one_network(lattice, vpc):
    first = lattice.create_service_network(name="one")
    second = lattice.create_service_network(name="two")
    lattice.create_service_network_vpc_association(serviceNetworkIdentifier=first["id"], vpcIdentifier=vpc)
    with pytest.raises(ClientError) as excinfo:
        lattice.create_service_network_vpc_association(serviceNetworkIdentifier=second["id"], vpcIdentifier=vpc)
    assert error_code(excinfo) == "ConflictException"


def test_changes_to_an_association_in_progress_conflict(emulator, lattice, vpc):
    emulator.set_async_delay(0.4)
    sn = lattice.create_service_network(name="mesh")
    assoc = lattice.create_service_network_vpc_association(serviceNetworkIdentifier=sn["id"], vpcIdentifier=vpc)
    assert assoc["status"] == "CREATE_IN_PROGRESS"
    with pytest.raises(ClientError) as excinfo:
        lattice.delete_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=assoc["id"])
    assert error_code(excinfo) == "ConflictException"
    get = lambda: lattice.get_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=assoc["id"])["status"]
    wait_until(lambda: get() == "ACTIVE")
    updated = lattice.update_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=assoc["id"], privateDnsEnabled=True)
    assert updated["status"] == "UPDATE_IN_PROGRESS" and get() == "UPDATE_IN_PROGRESS"
    with pytest.raises(ClientError) as excinfo:
        lattice.update_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=assoc["id"], privateDnsEnabled=False)
    assert error_code(excinfo) == "ConflictException"
    wait_until(lambda: get() == "ACTIVE")
    lattice.delete_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=assoc["id"])
    assert get() == "DELETE_IN_PROGRESS"
    with pytest.raises(ClientError) as excinfo:
        lattice.delete_service_network(serviceNetworkIdentifier=sn["id"])
    assert error_code(excinfo) == "ConflictException"
    wait_until(lambda: not lattice.list_service_network_vpc_associations(serviceNetworkIdentifier=sn["id"])["items"])
    lattice.delete_service_network(serviceNetworkIdentifier=sn["id"])


def test_service_status_goes_through_create_and_delete(emulator, lattice):
    emulator.set_async_delay(0.3)
    svc = lattice.create_service(name="orders")
    status = lambda: lattice.get_service(serviceIdentifier=svc["id"])["status"]
    assert svc["status"] == "CREATE_IN_PROGRESS" and status() == "CREATE_IN_PROGRESS"
    with pytest.raises(ClientError) as excinfo:
        lattice.update_service(serviceIdentifier=svc["id"], authType="AWS_IAM")
    assert error_code(excinfo) == "ConflictException"
    wait_until(lambda: status() == "ACTIVE")
    lattice.delete_service(serviceIdentifier=svc["id"])
    assert status() == "DELETE_IN_PROGRESS"
    wait_until(lambda: not lattice.list_services()["items"])


def test_target_status_initial_healthy_draining_gone(emulator, lattice, vpc):
    _, tg, _ = service_with_listener(lattice, vpc)
    emulator.set_async_delay(0.3)
    lattice.register_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.5"}])
    status = lambda: [t["status"] for t in lattice.list_targets(targetGroupIdentifier=tg["id"])["items"]]
    assert status() == ["INITIAL"]
    wait_until(lambda: status() == ["HEALTHY"])
    lattice.deregister_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.5"}])
    assert status() == ["DRAINING"]
    wait_until(lambda: status() == [])


def test_deleting_a_service_cascades_to_its_children(lattice, vpc):
    service, tg, listener = service_with_listener(lattice, vpc)
    ids = dict(serviceIdentifier=service["id"], listenerIdentifier=listener["id"])
    rule = lattice.create_rule(**ids, name="api", priority=1, match={"httpMatch": {"method": "GET"}}, action=forward(tg["id"]))
    lattice.put_auth_policy(resourceIdentifier=service["id"], policy=POLICY)
    lattice.put_resource_policy(resourceArn=service["arn"], policy=POLICY)
    als = lattice.create_access_log_subscription(resourceIdentifier=service["id"], destinationArn="arn:aws:logs:us-east-1:123456789012:log-group:lattice")
    lattice.delete_service(serviceIdentifier=service["id"])
    for call in (
        lambda: lattice.get_listener(**ids),
        lambda: lattice.get_rule(**ids, ruleIdentifier=rule["id"]),
        lambda: lattice.get_access_log_subscription(accessLogSubscriptionIdentifier=als["id"]),
        lambda: lattice.get_auth_policy(resourceIdentifier=service["id"]),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == "ResourceNotFoundException"
    assert lattice.get_target_group(targetGroupIdentifier=tg["id"])["serviceArns"] == []
    lattice.delete_target_group(targetGroupIdentifier=tg["id"])


def test_deleting_a_network_cascades_to_policies_and_logs(lattice):
    sn = lattice.create_service_network(name="mesh")
    lattice.put_auth_policy(resourceIdentifier=sn["id"], policy=POLICY)
    als = lattice.create_access_log_subscription(resourceIdentifier=sn["id"], destinationArn="arn:aws:s3:::access-logs-bucket")
    lattice.delete_service_network(serviceNetworkIdentifier=sn["id"])
    with pytest.raises(ClientError) as excinfo:
        lattice.get_access_log_subscription(accessLogSubscriptionIdentifier=als["id"])
    assert error_code(excinfo) == "ResourceNotFoundException"
    again = lattice.create_service_network(name="mesh")
    assert "policy" not in lattice.get_auth_policy(resourceIdentifier=again["id"])


def test_rule_priorities_are_unique_per_listener(lattice, vpc):
    service, tg, listener = service_with_listener(lattice, vpc)
    ids = dict(serviceIdentifier=service["id"], listenerIdentifier=listener["id"])
    match = {"httpMatch": {"method": "GET"}}
    lattice.create_rule(**ids, name="one", priority=1, match=match, action=forward(tg["id"]))
    with pytest.raises(ClientError) as excinfo:
        lattice.create_rule(**ids, name="two", priority=1, match=match, action=forward(tg["id"]))
    assert error_code(excinfo) == "ConflictException"


def test_tagging_get_resources_lists_tagged_lattice_objects_in_pages(client, lattice, vpc):
    tagging = client("resourcegroupstaggingapi")
    untagged = lattice.create_service(name="plain")
    tagged = [lattice.create_service(name=f"orders-{i}", tags={"team": "orders", "n": str(i)}) for i in range(3)]
    tg = target_group(lattice, vpc, tags={"team": "payments"})
    # Another account's tagged object is not listed.
    client("vpc-lattice", account="222222222222").create_service(name="theirs", tags={"team": "orders"})

    pages = list(tagging.get_paginator("get_resources").paginate(ResourceTypeFilters=["vpc-lattice"], ResourcesPerPage=2))
    assert len(pages) == 2
    listed = {m["ResourceARN"]: {t["Key"]: t["Value"] for t in m["Tags"]} for p in pages for m in p["ResourceTagMappingList"]}
    assert set(listed) == {s["arn"] for s in tagged} | {tg["arn"]}
    assert untagged["arn"] not in listed
    assert listed[tagged[1]["arn"]] == {"team": "orders", "n": "1"}

    # A tag change shows at once; type and tag filters narrow the list.
    lattice.untag_resource(resourceArn=tagged[0]["arn"], tagKeys=["team", "n"])
    lattice.tag_resource(resourceArn=tagged[2]["arn"], tags={"n": "two"})
    only = tagging.get_resources(
        ResourceTypeFilters=["vpc-lattice:service"], TagFilters=[{"Key": "team", "Values": ["orders"]}]
    )["ResourceTagMappingList"]
    assert [(m["ResourceARN"], {t["Key"]: t["Value"] for t in m["Tags"]}) for m in only] == sorted(
        [(tagged[1]["arn"], {"team": "orders", "n": "1"}), (tagged[2]["arn"], {"team": "orders", "n": "two"})]
    )

    # By ARN (how trellis's refresh asks): the tagged ones among them, no pagination.
    by_arn = tagging.get_resources(
        ResourceTypeFilters=["vpc-lattice"], ResourceARNList=[tagged[0]["arn"], tagged[1]["arn"], tg["arn"]]
    )["ResourceTagMappingList"]
    assert sorted(m["ResourceARN"] for m in by_arn) == sorted([tagged[1]["arn"], tg["arn"]])
    with pytest.raises(ClientError) as excinfo:
        tagging.get_resources(ResourceTypeFilters=["vpc-lattice"], ResourceARNList=[tg["arn"]], ResourcesPerPage=5)
    assert error_code(excinfo) == "InvalidParameterException"
