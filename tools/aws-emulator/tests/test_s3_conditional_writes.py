"""S3 conditional writes, as the S3 backend of trellis relies on them.

If-None-Match: * creates an object only if none exists; If-Match: ETAG writes only over
that version; a failed condition is 412 PreconditionFailed; If-Match on a missing key is
404 NoSuchKey; a conditional write racing another write to the same key is refused with
409 ConditionalRequestConflict or 412, never accepted twice.
"""

from __future__ import annotations

import threading
import time

import pytest
from botocore.exceptions import ClientError

from conftest import error_code


@pytest.fixture
def s3(client):
    s3 = client("s3")
    s3.create_bucket(Bucket="state")
    return s3


def status(excinfo) -> int:
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_if_none_match_creates_once(s3):
    first = s3.put_object(Bucket="state", Key="lock", Body=b"one", IfNoneMatch="*")
    assert first["ETag"]
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket="state", Key="lock", Body=b"two", IfNoneMatch="*")
    assert (error_code(excinfo), status(excinfo)) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket="state", Key="lock")["Body"].read() == b"one"
    s3.delete_object(Bucket="state", Key="lock")
    s3.put_object(Bucket="state", Key="lock", Body=b"three", IfNoneMatch="*")
    assert s3.get_object(Bucket="state", Key="lock")["Body"].read() == b"three"


def test_if_match_writes_only_over_the_version_read(s3):
    etag = s3.put_object(Bucket="state", Key="snap", Body=b"v1")["ETag"]
    second = s3.put_object(Bucket="state", Key="snap", Body=b"v2", IfMatch=etag)["ETag"]
    assert second != etag
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket="state", Key="snap", Body=b"lost race", IfMatch=etag)
    assert (error_code(excinfo), status(excinfo)) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket="state", Key="snap")["Body"].read() == b"v2"
    # The ETag matches with or without its quotes, as on S3.
    s3.put_object(Bucket="state", Key="snap", Body=b"v3", IfMatch=second.strip('"'))
    assert s3.get_object(Bucket="state", Key="snap")["Body"].read() == b"v3"


def test_if_match_on_a_missing_key_is_no_such_key(s3):
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket="state", Key="absent", Body=b"x", IfMatch='"0123"')
    assert (error_code(excinfo), status(excinfo)) == ("NoSuchKey", 404)


def test_conditional_delete(s3):
    etag = s3.put_object(Bucket="state", Key="lock", Body=b"mine")["ETag"]
    s3.put_object(Bucket="state", Key="lock", Body=b"theirs")
    with pytest.raises(ClientError) as excinfo:
        s3.delete_object(Bucket="state", Key="lock", IfMatch=etag)
    assert error_code(excinfo) == "PreconditionFailed"
    assert s3.get_object(Bucket="state", Key="lock")["Body"].read() == b"theirs"


def test_concurrent_creates_have_exactly_one_winner(s3):
    results: list[str] = []
    start = threading.Barrier(8)

    def create(n: int) -> None:
        start.wait()
        try:
            s3.put_object(Bucket="state", Key="race", Body=f"writer {n}".encode(), IfNoneMatch="*")
            results.append(f"won {n}")
        except ClientError as error:
            results.append(error.response["Error"]["Code"])

    for _round in range(5):
        s3.delete_object(Bucket="state", Key="race")
        results.clear()
        threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [r for r in results if r.startswith("won")]
        assert len(winners) == 1, results
        assert set(results) - set(winners) <= {"PreconditionFailed", "ConditionalRequestConflict"}, results
        body = s3.get_object(Bucket="state", Key="race")["Body"].read().decode()
        assert winners[0] == body.replace("writer", "won")


def test_conditional_write_during_another_write_is_a_409(emulator, client, s3):
    # Hold an unconditional write in flight with injected latency, then race a conditional one.
    emulator.admin("POST", "/_trellis/faults", {"per_operation": {"s3:PutObject": {"latency_ms": 600}}})
    slow = threading.Thread(target=lambda: s3.put_object(Bucket="state", Key="busy", Body=b"slow"))
    slow.start()
    time.sleep(0.2)
    with pytest.raises(ClientError) as excinfo:
        client("s3").put_object(Bucket="state", Key="busy", Body=b"fast", IfNoneMatch="*")
    slow.join()
    assert (error_code(excinfo), status(excinfo)) == ("ConditionalRequestConflict", 409)
    assert s3.get_object(Bucket="state", Key="busy")["Body"].read() == b"slow"
    # Writes to other keys are not held up, and unconditional writes to one key just queue.
    emulator.admin("POST", "/_trellis/faults", {})
    s3.put_object(Bucket="state", Key="busy", Body=b"after", IfMatch=s3.head_object(Bucket="state", Key="busy")["ETag"])


def test_bytes_are_counted_per_operation(emulator, s3):
    emulator.admin("POST", "/_trellis/calls/reset")
    s3.put_object(Bucket="state", Key="k", Body=b"x" * 1000)
    counted = emulator.admin("GET", "/_trellis/calls/bytes")["s3"]["PutObject"]
    assert 1000 <= counted < 1200
    assert emulator.admin("GET", "/_trellis/calls")["s3"]["PutObject"] == 1


def test_s3_operations_are_named_for_counts_and_faults(emulator, s3):
    emulator.admin("POST", "/_trellis/calls/reset")
    s3.put_object(Bucket="state", Key="a/b", Body=b"x")
    s3.copy_object(Bucket="state", Key="a/c", CopySource="state/a/b")
    s3.get_object(Bucket="state", Key="a/b")
    s3.head_object(Bucket="state", Key="a/b")
    s3.list_objects_v2(Bucket="state", Prefix="a/")
    s3.delete_objects(Bucket="state", Delete={"Objects": [{"Key": "a/b"}]})
    s3.delete_object(Bucket="state", Key="a/c")
    assert emulator.admin("GET", "/_trellis/calls")["s3"] == {
        "PutObject": 1, "CopyObject": 1, "GetObject": 1, "HeadObject": 1,
        "ListObjectsV2": 1, "DeleteObjects": 1, "DeleteObject": 1,
    }
