# SPDX-License-Identifier: MIT
# Shutdown while a write outlives the drain: the drain gives up on the
# request, the write still finishes before the engine frees what its
# completion touches, and the process exits 0 with no sanitizer report.
# DeleteTable of a large table is one storage transaction, so it is slow
# enough to outlive a zero drain timeout.
import json
import signal
import socket
import time

import requests

from conftest import Eddy

T = "DynamoDB_20120810."


def call(s, url, op, body):
    r = s.post(url, data=json.dumps(body), headers={"X-Amz-Target": T + op}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def seed(url, n):
    s = requests.Session()
    call(s, url, "CreateTable", {
        "TableName": "big", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}]})
    for b in range(0, n, 25):
        puts = [{"PutRequest": {"Item": {"k": {"S": f"k{i:07d}"}, "v": {"S": "x" * 100}}}}
                for i in range(b, b + 25)]
        call(s, url, "BatchWriteItem", {"RequestItems": {"big": puts}})


def test_sigterm_while_a_write_outlives_the_drain(tmp_path):
    data = str(tmp_path / "data")
    e = Eddy(["--drain-timeout-ms", "0", "--durability", "none"], data_dir=data)
    seed(e.url, 60_000)
    body = json.dumps({"TableName": "big"}).encode()
    c = socket.create_connection(("127.0.0.1", e.port))
    c.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nX-Amz-Target: " + (T + "DeleteTable").encode() +
              b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    time.sleep(0.01)  # Read and handed to the writer; the drop takes longer than this.
    assert e.stop(signal.SIGTERM) == 0
    c.close()
    text = e.stderr()
    assert "AddressSanitizer" not in text and "runtime error" not in text, text
    # The write stood or never started; either way the table is whole.
    e = Eddy(data_dir=data)
    try:
        r = requests.post(e.url, data=body, headers={"X-Amz-Target": T + "DescribeTable"})
        if r.status_code == 200:
            assert r.json()["Table"]["ItemCount"] == 60_000
        else:
            assert "ResourceNotFoundException" in r.text
    finally:
        assert e.stop() == 0
