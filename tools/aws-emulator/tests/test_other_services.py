"""What trellis needs from moto's own EC2, Route53 and STS, checked so a moto upgrade cannot drop it."""

from __future__ import annotations


def test_route53_zone_cname_alias_and_get_change(client, vpc):
    r53 = client("route53")
    zone = r53.create_hosted_zone(Name="example.internal", CallerReference="ref-1", VPC={"VPCRegion": "us-east-1", "VPCId": vpc}, HostedZoneConfig={"PrivateZone": True})
    zone_id = zone["HostedZone"]["Id"]
    change = r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {"Name": "orders.example.internal", "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": "orders-abc.vpc-lattice-svcs.us-east-1.on.aws"}]}},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "api.example.internal", "Type": "A", "AliasTarget": {"HostedZoneId": "Z0123456789ABC", "DNSName": "orders-abc.vpc-lattice-svcs.us-east-1.on.aws", "EvaluateTargetHealth": False}}},
    ]})
    assert r53.get_change(Id=change["ChangeInfo"]["Id"])["ChangeInfo"]["Status"] == "INSYNC"
    records = {r["Name"]: r for r in r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]}
    assert records["orders.example.internal."]["Type"] == "CNAME"
    assert records["api.example.internal."]["AliasTarget"]["DNSName"].startswith("orders-abc")


def test_ec2_security_groups_rules_and_lattice_prefix_lists(client, vpc):
    ec2 = client("ec2")
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    assert subnet.startswith("subnet-")
    lists = {p["PrefixListName"]: p["PrefixListId"] for p in ec2.describe_managed_prefix_lists()["PrefixLists"]}
    assert {"com.amazonaws.us-east-1.vpc-lattice", "com.amazonaws.us-east-1.ipv6.vpc-lattice"} <= set(lists)
    group = ec2.create_security_group(GroupName="targets", Description="targets", VpcId=vpc)["GroupId"]
    ingress = ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "PrefixListIds": [{"PrefixListId": lists["com.amazonaws.us-east-1.vpc-lattice"]}]},
    ])
    rule_id = ingress["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]
    assert rule_id in {r["SecurityGroupRuleId"] for r in rules}
    ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[rule_id])


def test_sts_assume_role_and_caller_identity(client):
    assert client("sts").get_caller_identity()["Account"] == "123456789012"
    assert client("sts", account="444444444444").get_caller_identity()["Account"] == "444444444444"


def test_route53_and_ec2_are_separate_per_account(client):
    other = "555555555555"
    vpc = client("ec2", account=other).create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]
    assert vpc["OwnerId"] == other
    assert vpc["VpcId"] not in {v["VpcId"] for v in client("ec2").describe_vpcs()["Vpcs"]}
    client("route53", account=other).create_hosted_zone(Name="mesh.internal", CallerReference="r", VPC={"VPCRegion": "us-east-1", "VPCId": vpc["VpcId"]}, HostedZoneConfig={"PrivateZone": True})
    assert client("route53").list_hosted_zones()["HostedZones"] == []
    assert [z["Name"] for z in client("route53", account=other).list_hosted_zones()["HostedZones"]] == ["mesh.internal."]


def test_security_group_rules_modify_and_egress_default(client, vpc):
    ec2 = client("ec2")
    group = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]
    assert [(r["IsEgress"], r["IpProtocol"], r.get("CidrIpv4")) for r in rules] == [(True, "-1", "0.0.0.0/0")], "AWS's default egress rule"
    ingress = ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    rule_id = ingress["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    ec2.modify_security_group_rules(GroupId=group, SecurityGroupRules=[{"SecurityGroupRuleId": rule_id, "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "CidrIpv4": "10.0.0.0/8"}}])
    rules = {r["SecurityGroupRuleId"]: r for r in ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]}
    assert (rules[rule_id]["FromPort"], rules[rule_id]["ToPort"]) == (8080, 8080)


def test_acm_dns_validation_issues_once_the_records_exist(client):
    acm = client("acm")
    arn = acm.request_certificate(
        DomainName="orders.example.com", SubjectAlternativeNames=["*.orders.example.com"],
        ValidationMethod="DNS", KeyAlgorithm="EC_prime256v1", IdempotencyToken="tok1",
    )["CertificateArn"]
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert cert["Status"] == "PENDING_VALIDATION"
    assert cert["KeyAlgorithm"] == "EC_prime256v1"
    options = cert["DomainValidationOptions"]
    assert {o["ValidationMethod"] for o in options} == {"DNS"}
    r53 = client("route53")
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="acm-1")["HostedZone"]["Id"]
    records = {(o["ResourceRecord"]["Name"], o["ResourceRecord"]["Value"]) for o in options}
    first, *rest = sorted(records)
    upsert = lambda name, value: {"Action": "UPSERT", "ResourceRecordSet": {"Name": name, "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": value}]}}
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [upsert(*first)]})
    # One record is not enough when the names need two (here they share one, as in AWS).
    if rest:
        assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "PENDING_VALIDATION"
        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [upsert(*r) for r in rest]})
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED"
    # The same token gives the same certificate.
    again = acm.request_certificate(DomainName="orders.example.com", SubjectAlternativeNames=["*.orders.example.com"], ValidationMethod="DNS", IdempotencyToken="tok1")
    assert again["CertificateArn"] == arn


def test_acm_without_the_record_stays_pending_and_email_has_no_record(client):
    acm = client("acm")
    arn = acm.request_certificate(DomainName="pending.example.com", ValidationMethod="DNS")["CertificateArn"]
    r53 = client("route53")
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="acm-2")["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {"Name": "_wrong.pending.example.com", "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": "x.acm-validations.aws."}]}}]})
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "PENDING_VALIDATION"
    email = acm.request_certificate(DomainName="mail.example.com", ValidationMethod="EMAIL")["CertificateArn"]
    option = acm.describe_certificate(CertificateArn=email)["Certificate"]["DomainValidationOptions"][0]
    assert option["ValidationMethod"] == "EMAIL"
    assert "ResourceRecord" not in option
    assert option["ValidationEmails"]
