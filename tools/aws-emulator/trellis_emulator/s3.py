"""S3 conditional writes as S3 documents them, on top of moto's S3.

moto 5.2.5 already checks `If-None-Match: *` and `If-Match: ETAG` on PutObject
(412 PreconditionFailed; If-Match on a missing key is 404 NoSuchKey), on
CompleteMultipartUpload and If-Match on DeleteObject. What it does not give is
S3's atomicity: moto's server is threaded and checks the condition and stores
the object in two steps, so two concurrent `If-None-Match: *` writes to one key
can both succeed. On S3 exactly one does.

`WriteGuard` closes that gap the way S3 describes it
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html):

- writes (PUT, DELETE, POST of CompleteMultipartUpload) to one object are
  serialised, so a condition is checked and the write done as one step;
- a conditional write that arrives while another write to the same object is
  in flight answers 409 ConditionalRequestConflict (S3: "a conflicting
  operation occurred"; the client may retry and then gets 412 or success).

An object is named by the Host header and the path, which identifies it for
path-style and virtual-host-style requests alike (all clients of one test
address the emulator the same way). Requests count as in flight from their
arrival, before any injected latency, as a request is on S3 once sent.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any
from xml.sax.saxutils import escape

CONFLICT_MESSAGE = "A conflicting conditional operation is currently in progress against this resource. Please try again."


def is_conditional(environ: dict[str, Any]) -> bool:
    return bool(environ.get("HTTP_IF_NONE_MATCH") or environ.get("HTTP_IF_MATCH"))


def object_write_key(environ: dict[str, Any]) -> tuple[str, str] | None:
    """The object a request writes, or None when it is not an object write."""
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "/")
    query = environ.get("QUERY_STRING", "")
    if method not in ("PUT", "DELETE", "POST"):
        return None
    if method == "POST" and "uploadId" not in query:
        return None  # only CompleteMultipartUpload writes an object with POST
    if method == "DELETE" and "uploadId" in query:
        return None  # AbortMultipartUpload
    host = environ.get("HTTP_HOST", "")
    stripped = path.strip("/")
    # Bucket-level calls (PutBucket*, DeleteBucket) have no key part in path style.
    if "/" not in stripped and not _virtual_host(host):
        return None
    if any(q in query for q in ("tagging", "acl", "retention", "legal-hold")):
        return None  # sub-resources of an object, not its content
    return host, path


def _virtual_host(host: str) -> bool:
    name = host.split(":", 1)[0]
    return name.count(".") >= 2 and not name.replace(".", "").isdigit()


class WriteGuard:
    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._in_flight: dict[tuple[str, str], int] = {}
        self._object_locks: dict[tuple[str, str], threading.Lock] = {}

    def arrive(self, key: tuple[str, str], conditional: bool) -> bool:
        """Registers a write; False when it must be refused with 409."""
        with self._mutex:
            if conditional and self._in_flight.get(key, 0) > 0:
                return False
            self._in_flight[key] = self._in_flight.get(key, 0) + 1
            self._object_locks.setdefault(key, threading.Lock())
            return True

    def lock_of(self, key: tuple[str, str]) -> threading.Lock:
        with self._mutex:
            return self._object_locks[key]

    def leave(self, key: tuple[str, str]) -> None:
        with self._mutex:
            left = self._in_flight.get(key, 0) - 1
            if left <= 0:
                self._in_flight.pop(key, None)
                self._object_locks.pop(key, None)
            else:
                self._in_flight[key] = left

    def reset(self) -> None:
        with self._mutex:
            self._in_flight.clear()
            self._object_locks.clear()


def conflict_response(key: tuple[str, str]) -> tuple[int, dict[str, str], bytes]:
    request_id = uuid.uuid4().hex[:16].upper()
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>ConditionalRequestConflict</Code><Message>{escape(CONFLICT_MESSAGE)}</Message>"
        f"<Resource>{escape(key[1])}</Resource><RequestId>{request_id}</RequestId></Error>"
    )
    return 409, {"Content-Type": "application/xml", "x-amz-request-id": request_id}, xml.encode()


def _split(environ: dict[str, Any]) -> tuple[bool, bool, set[str]]:
    """(has a bucket, has a key, query parameter names) of an S3 request."""
    from urllib.parse import parse_qs

    path = environ.get("PATH_INFO", "/").lstrip("/")
    parts = path.split("/", 1) if path else []
    if _virtual_host(environ.get("HTTP_HOST", "")):
        has_bucket, has_key = True, bool(path)
    else:
        has_bucket, has_key = bool(parts), len(parts) == 2 and bool(parts[1])
    query = set(parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    return has_bucket, has_key, query


_BUCKET_SUBRESOURCES = ("versioning", "encryption", "policy", "tagging", "acl", "lifecycle", "cors", "ownershipControls", "publicAccessBlock", "object-lock")


def _sub(query: set[str]) -> str:
    for name in _BUCKET_SUBRESOURCES:
        if name in query:
            return {"object-lock": "ObjectLockConfiguration", "ownershipControls": "OwnershipControls",
                    "publicAccessBlock": "PublicAccessBlock", "cors": "Cors", "acl": "Acl"}.get(name, name.capitalize())
    return ""


def operation(environ: dict[str, Any]) -> str:
    """The S3 operation of a request.

    botocore's model cannot tell them apart by method and path alone (PutObject and
    CopyObject share both; ListObjectsV2 is `GET /{Bucket}?list-type=2`), so S3 is
    identified here from the method, the path, the query and the copy-source header.
    """
    method = environ.get("REQUEST_METHOD", "GET")
    has_bucket, has_key, query = _split(environ)
    copy = "HTTP_X_AMZ_COPY_SOURCE" in environ
    if not has_bucket:
        return "ListBuckets"
    if has_key:
        if method == "PUT":
            if "uploadId" in query:
                return "UploadPartCopy" if copy else "UploadPart"
            if "tagging" in query:
                return "PutObjectTagging"
            if "acl" in query:
                return "PutObjectAcl"
            return "CopyObject" if copy else "PutObject"
        if method == "GET":
            if "tagging" in query:
                return "GetObjectTagging"
            if "uploadId" in query:
                return "ListParts"
            return "GetObject"
        if method == "HEAD":
            return "HeadObject"
        if method == "DELETE":
            if "uploadId" in query:
                return "AbortMultipartUpload"
            return "DeleteObjectTagging" if "tagging" in query else "DeleteObject"
        if method == "POST":
            if "uploads" in query:
                return "CreateMultipartUpload"
            return "CompleteMultipartUpload" if "uploadId" in query else "Unknown"
        return "Unknown"
    sub = _sub(query)
    if method == "PUT":
        return f"PutBucket{sub}" if sub else "CreateBucket"
    if method == "GET":
        if "list-type" in query:
            return "ListObjectsV2"
        if "versions" in query:
            return "ListObjectVersions"
        if "uploads" in query:
            return "ListMultipartUploads"
        if "location" in query:
            return "GetBucketLocation"
        return f"GetBucket{sub}" if sub else "ListObjects"
    if method == "HEAD":
        return "HeadBucket"
    if method == "DELETE":
        return f"DeleteBucket{sub}" if sub else "DeleteBucket"
    if method == "POST":
        return "DeleteObjects" if "delete" in query else "PostObject"
    return "Unknown"
