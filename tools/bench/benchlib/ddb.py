# SPDX-License-Identifier: MIT
# ddb.py: the smallest DynamoDB JSON 1.0 client the benchmarks need, over
# http.client: create a table and wait for it. Bulk loads go through wrk
# (wrk/seed.lua via benchlib.wrk.seed), which is much faster than Python.
import http.client
import json
import time
from urllib.parse import urlparse

HEADERS = {
    "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Date": "20240101T000000Z",
    # dynalite checks the shape of a SigV4 header but not the signature.
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20240101/us-east-1/dynamodb/"
                     "aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature="
                     + "0" * 64,
}


class DdbError(Exception):
    """A DynamoDB call answered with an error status."""


def connect(url, timeout_s=30.0):
    u = urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=timeout_s)


def call(conn, op, body):
    """POST one operation; returns the decoded JSON answer or raises DdbError."""
    conn.request("POST", "/", body=body.encode(), headers={**HEADERS, "X-Amz-Target": f"DynamoDB_20120810.{op}"})
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 200:
        raise DdbError(f"{op}: HTTP {resp.status}: {data[:300].decode(errors='replace')}")
    return json.loads(data) if data else {}


def create_table(url, table, timeout_s=30.0, sort_key=None):
    """CreateTable (partition key pk:S, with sort_key a numeric sort key of
    that name, on demand), then wait until ACTIVE."""
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if sort_key:
        attrs.append({"AttributeName": sort_key, "AttributeType": "N"})
        schema.append({"AttributeName": sort_key, "KeyType": "RANGE"})
    conn = connect(url)
    try:
        call(conn, "CreateTable", json.dumps({
            "TableName": table, "AttributeDefinitions": attrs, "KeySchema": schema,
            "BillingMode": "PAY_PER_REQUEST"}))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            desc = call(conn, "DescribeTable", json.dumps({"TableName": table}))
            if desc.get("Table", {}).get("TableStatus") == "ACTIVE":
                return
            time.sleep(0.05)
        raise DdbError(f"table {table} not ACTIVE after {timeout_s}s")
    finally:
        conn.close()
