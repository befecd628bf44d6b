"""Fixtures: one emulator process for the session on a free port, state wiped per test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ACCOUNT = "123456789012"
REGION = "us-east-1"


class Emulator:
    def __init__(self, url: str):
        self.url = url

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body or {}).encode() if method == "POST" else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())

    def set_async_delay(self, seconds: float) -> None:
        self.admin("POST", "/_trellis/settings", {"async_delay_ms": seconds * 1000})


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("MOTO_ACCOUNT_ID", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "trellis_emulator", "--port", "0"],
        stdout=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("TRELLIS_EMULATOR_LISTENING "), line
        yield Emulator(line.split()[1])
    finally:
        process.kill()
        process.wait()


@pytest.fixture(autouse=True)
def fresh_state(emulator: Emulator) -> Iterator[None]:
    emulator.admin("POST", "/_trellis/reset")
    yield


ClientFactory = Callable[..., Any]


@pytest.fixture
def client(emulator: Emulator) -> ClientFactory:
    """`client("vpc-lattice", account="111111111111", retries=1, validate=True)`: a boto3 client acting as that account."""
    credentials: dict[str, dict[str, str]] = {}

    def make(
        service: str, account: str = DEFAULT_ACCOUNT, retries: int = 1, region: str = REGION, validate: bool = True
    ) -> Any:
        # validate=False sends what botocore would refuse, to test the server's own checks.
        config = Config(retries={"total_max_attempts": retries, "mode": "standard"}, parameter_validation=validate)
        base = dict(endpoint_url=emulator.url, region_name=region, config=config)
        if account == DEFAULT_ACCOUNT:
            return boto3.client(service, aws_access_key_id="testing", aws_secret_access_key="testing", **base)
        if account not in credentials:
            sts = boto3.client("sts", aws_access_key_id="testing", aws_secret_access_key="testing", **base)
            role = f"arn:aws:iam::{account}:role/trellis-test"
            credentials[account] = sts.assume_role(RoleArn=role, RoleSessionName="pytest")["Credentials"]
        c = credentials[account]
        return boto3.client(
            service, aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
            aws_session_token=c["SessionToken"], **base,
        )

    return make


@pytest.fixture
def lattice(client: ClientFactory) -> Any:
    return client("vpc-lattice")


@pytest.fixture
def vpc(client: ClientFactory) -> str:
    return client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


def error_code(excinfo: pytest.ExceptionInfo[Any]) -> str:
    return excinfo.value.response["Error"]["Code"]


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)
