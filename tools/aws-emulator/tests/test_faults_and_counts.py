"""The admin endpoint: injected latency, throttling and errors, call counts, reset."""

from __future__ import annotations

import time
import urllib.error

import pytest
from botocore.exceptions import ClientError

from conftest import error_code


def test_throttling_is_a_429_in_each_protocol(emulator, client):
    emulator.admin("POST", "/_trellis/faults", {"throttle_rate": 1.0})
    expected = {
        "vpc-lattice": (lambda c: c.list_services(), "ThrottlingException"),
        "ram": (lambda c: c.get_resource_shares(resourceOwner="SELF"), "ThrottlingException"),
        "ec2": (lambda c: c.describe_vpcs(), "RequestLimitExceeded"),
        "sts": (lambda c: c.get_caller_identity(), "Throttling"),
        "route53": (lambda c: c.list_hosted_zones(), "Throttling"),
    }
    for service, (call, code) in expected.items():
        with pytest.raises(ClientError) as excinfo:
            call(client(service))
        assert (error_code(excinfo), excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (code, 429), service


def test_errors_are_500_internal_server_exceptions(emulator, lattice):
    emulator.admin("POST", "/_trellis/faults", {"per_operation": {"CreateService": {"fail_next": 1}}})
    with pytest.raises(ClientError) as excinfo:
        lattice.create_service(name="orders")
    assert error_code(excinfo) == "InternalServerException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert lattice.list_services()["items"] == [], "a failed call did nothing"
    lattice.create_service(name="orders")


def test_sdk_retries_recover_from_throttling(emulator, client):
    emulator.admin("POST", "/_trellis/faults", {"per_operation": {"vpc-lattice:ListServices": {"throttle_next": 2}}})
    client("vpc-lattice", retries=3).list_services()
    assert emulator.admin("GET", "/_trellis/calls")["vpc-lattice"]["ListServices"] == 3


def test_fail_after_success_performs_the_call(emulator, lattice):
    emulator.admin("POST", "/_trellis/faults", {"per_operation": {"vpc-lattice:CreateService": {"fail_after_success": 1}}})
    with pytest.raises(ClientError) as excinfo:
        lattice.create_service(name="orders", clientToken="retry-me")
    assert error_code(excinfo) == "InternalServerException"
    assert [s["name"] for s in lattice.list_services()["items"]] == ["orders"]
    retried = lattice.create_service(name="orders", clientToken="retry-me")
    assert retried["id"] == lattice.list_services()["items"][0]["id"]


def test_latency_is_added(emulator, lattice):
    emulator.admin("POST", "/_trellis/faults", {"per_operation": {"ListServices": {"latency_ms": 300}}})
    start = time.monotonic()
    lattice.list_services()
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    lattice.list_service_networks()
    assert time.monotonic() - start < 0.3


def test_seeded_rates_repeat(emulator, lattice):
    def outcomes() -> list[bool]:
        emulator.admin("POST", "/_trellis/faults", {"error_rate": 0.5, "seed": 7})
        results = []
        for _ in range(12):
            try:
                lattice.list_services()
                results.append(True)
            except ClientError:
                results.append(False)
        return results

    first = outcomes()
    assert first == outcomes() and True in first and False in first


def test_call_counts_and_reset(emulator, client):
    client("vpc-lattice").list_services()
    client("vpc-lattice").list_services()
    client("ec2").describe_vpcs()
    client("sts").get_caller_identity()
    calls = emulator.admin("GET", "/_trellis/calls")
    assert calls == {"vpc-lattice": {"ListServices": 2}, "ec2": {"DescribeVpcs": 1}, "sts": {"GetCallerIdentity": 1}}
    emulator.admin("POST", "/_trellis/calls/reset")
    assert emulator.admin("GET", "/_trellis/calls") == {}


def test_reset_wipes_every_service(emulator, client, lattice, vpc):
    lattice.create_service_network(name="mesh")
    emulator.admin("POST", "/_trellis/faults", {"latency_ms": 1})
    emulator.admin("POST", "/_trellis/reset")
    assert lattice.list_service_networks()["items"] == []
    assert all(v["VpcId"] != vpc for v in client("ec2").describe_vpcs()["Vpcs"])
    assert emulator.admin("GET", "/_trellis/faults")["latency_ms"] == 0


def test_bad_fault_configuration_is_refused(emulator):
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        emulator.admin("POST", "/_trellis/faults", {"per_operation": {"X": {"nonsense": 1}}})
    assert excinfo.value.code == 400


def test_injected_faults_are_counted_by_kind(emulator, lattice):
    emulator.admin("POST", "/_trellis/faults", {"per_operation": {"ListServices": {"throttle_next": 2, "fail_next": 1}}})
    assert emulator.admin("GET", "/_trellis/faults/injected") == {"throttle": 0, "error": 0, "fail_after_success": 0}
    for _ in range(4):
        try:
            lattice.list_services()
        except ClientError:
            pass
    assert emulator.admin("GET", "/_trellis/faults/injected") == {"throttle": 2, "error": 1, "fail_after_success": 0}
    emulator.admin("POST", "/_trellis/faults", {})
    assert emulator.admin("GET", "/_trellis/faults/injected") == {"throttle": 0, "error": 0, "fail_after_success": 0}


def _injected_over(emulator, lattice, config, calls):
    emulator.admin("POST", "/_trellis/faults", config)
    for _ in range(calls):
        try:
            lattice.list_services()
        except ClientError:
            pass
    return emulator.admin("GET", "/_trellis/faults/injected")


def test_error_rate_is_a_share_of_all_calls_throttled_or_not(emulator, client):
    # 20% throttling and 5% errors: the errors are 5% of all calls, not 5% of the
    # 80% left unthrottled (4%). 2000 calls put 4% about 4.9 standard deviations off.
    lattice = client("vpc-lattice", retries=1)
    injected = _injected_over(emulator, lattice, {"throttle_rate": 0.2, "error_rate": 0.05, "seed": 11}, 2000)
    assert 0.17 * 2000 <= injected["throttle"] <= 0.23 * 2000, injected
    assert 0.044 * 2000 <= injected["error"] <= 0.056 * 2000, injected


def test_error_after_share_performs_that_share_of_the_errors(emulator, client):
    lattice = client("vpc-lattice", retries=1)
    config = {"error_rate": 0.1, "error_after_share": 0.5, "seed": 3}
    injected = _injected_over(emulator, lattice, config, 1000)
    errors = injected["error"] + injected["fail_after_success"]
    assert 0.07 * 1000 <= errors <= 0.13 * 1000, injected
    assert 0.35 * errors <= injected["fail_after_success"] <= 0.65 * errors, injected
    # An error after the call leaves the call's effect: every create that failed that way exists.
    emulator.admin("POST", "/_trellis/faults", {"error_rate": 1.0, "error_after_share": 1.0})
    with pytest.raises(ClientError):
        lattice.create_service(name="orders")
    emulator.admin("POST", "/_trellis/faults", {})
    assert [s["name"] for s in lattice.list_services()["items"]] == ["orders"]


def test_rates_that_add_past_one_are_refused(emulator):
    for config in ({"throttle_rate": 0.7, "error_rate": 0.4}, {"error_rate": 0.1, "error_after_share": 1.5}):
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            emulator.admin("POST", "/_trellis/faults", config)
        assert excinfo.value.code == 400, config


def test_tagging_faults_are_json_errors_the_sdks_retry(emulator, client):
    emulator.admin("POST", "/_trellis/faults", {"per_operation": {"GetResources": {"throttle_next": 1, "fail_next": 1}}})
    tagging = client("resourcegroupstaggingapi")
    # 429 with a throttling code every SDK retries; a 500 is retried whatever its code.
    for code in ("ThrottlingException", "InternalServerException"):
        with pytest.raises(ClientError) as excinfo:
            tagging.get_resources(ResourceTypeFilters=["vpc-lattice"])
        assert error_code(excinfo) == code
    assert tagging.get_resources(ResourceTypeFilters=["vpc-lattice"])["ResourceTagMappingList"] == []
