# SPDX-License-Identifier: MIT
# Helpers the DynamoDB integration tests share: boto3 clients for an eddy
# (dummy credentials), a hash-key table in one call, the message of an
# expected ValidationException, and raw JSON 1.0 requests for what boto3
# would refuse before sending or does not know (Debian's botocore is 1.29).
import json

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

CREDS = dict(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def client(e):
    """A boto3 DynamoDB client for eddy `e`."""
    return boto3.client("dynamodb", endpoint_url=e.url, **CREDS)


def resource(e):
    """A boto3 DynamoDB resource for eddy `e`."""
    return boto3.resource("dynamodb", endpoint_url=e.url, **CREDS)


def hash_table(c, name, key="pk"):
    """Create on-demand table `name` with string partition key `key`; returns c."""
    c.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                   KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}])
    return c


def refused(call, **kw):
    """Run call(**kw) through boto3, expect a ValidationException, return its message."""
    with pytest.raises(ClientError) as e:
        call(**kw)
    assert e.value.response["Error"]["Code"] == "ValidationException"
    return e.value.response["Error"]["Message"]


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
