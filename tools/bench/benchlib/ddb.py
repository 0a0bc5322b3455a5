# SPDX-License-Identifier: MIT
# ddb.py: the smallest DynamoDB JSON 1.0 client the benchmarks need, over
# http.client: create a table and bulk-load items with BatchWriteItem from
# several processes at once (seeding 1,000,000 items must take seconds, not
# minutes). Items match what wrk/ddb.lua writes and reads: key "k%08d".
import http.client
import json
import multiprocessing
import signal
import time
from urllib.parse import urlparse

BATCH = 25
VALUE = "v" * 64  # Keep in step with wrk/ddb.lua.
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


def item_json(n):
    return '{"pk":{"S":"k%08d"},"v":{"S":"%s"},"n":{"N":"%d"}}' % (n, VALUE, n)


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


def create_table(url, table, timeout_s=30.0):
    """CreateTable (partition key pk:S, on demand), then wait until ACTIVE."""
    conn = connect(url)
    try:
        call(conn, "CreateTable", json.dumps({
            "TableName": table,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
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


def _load_range(job):
    """Worker: write keys [first, last) in batches, retrying UnprocessedItems."""
    url, table, first, last = job
    conn = connect(url)
    try:
        for start in range(first, last, BATCH):
            puts = ",".join('{"PutRequest":{"Item":%s}}' % item_json(n)
                            for n in range(start, min(start + BATCH, last)))
            body = '{"RequestItems":{"%s":[%s]}}' % (table, puts)
            for _ in range(100):
                left = call(conn, "BatchWriteItem", body).get("UnprocessedItems") or {}
                if not left:
                    break
                body = json.dumps({"RequestItems": left})
            else:
                raise DdbError("BatchWriteItem kept returning UnprocessedItems")
    finally:
        conn.close()
    return last - first


def _worker_init():
    """Workers die quietly on the pool's SIGTERM and leave Ctrl-C to the runner."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def bulk_load(url, table, count, conns=16):
    """Write items 0..count-1 over `conns` connections; returns items/s."""
    t0 = time.monotonic()
    per = max(BATCH, (count // (conns * 4) // BATCH + 1) * BATCH)  # ~4 jobs per connection.
    jobs = [(url, table, lo, min(lo + per, count)) for lo in range(0, count, per)]
    pool = multiprocessing.get_context("fork").Pool(min(conns, len(jobs)), initializer=_worker_init)
    try:
        done = sum(pool.imap_unordered(_load_range, jobs))
        pool.close()
    finally:
        pool.terminate()
        pool.join()
    return done / max(time.monotonic() - t0, 1e-9)
