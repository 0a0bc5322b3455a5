# SPDX-License-Identifier: MIT
# Raw DynamoDB JSON 1.0 requests for the tests that must send what boto3
# would refuse before sending, or does not know (Debian's botocore is 1.29):
# one POST per call, the answer's status and JSON body back.
import json

import requests


def call(e, op, body, text=None):
    """POST `body` (or the exact `text`) as operation `op` to eddy `e`;
    returns (HTTP status, decoded JSON answer or {} when empty)."""
    r = requests.post(e.url, data=text if text is not None else json.dumps(body),
                      headers={"X-Amz-Target": "DynamoDB_20120810." + op,
                               "Content-Type": "application/x-amz-json-1.0"})
    return r.status_code, r.json() if r.content else {}


def kind(j):
    """The error type of an answer, without its namespace."""
    return j.get("__type", "").split("#")[-1]


def ok(e, op, body):
    """The answer of `op`, which must succeed."""
    status, j = call(e, op, body)
    assert status == 200, j
    return j


def refusal(e, op, body, want="ValidationException"):
    """The message of the `want` error that `op` must answer."""
    status, j = call(e, op, body)
    assert status == 400, j
    assert kind(j) == want, j
    return j["message"]
