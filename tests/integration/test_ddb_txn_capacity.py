# SPDX-License-Identifier: MIT
# ConsumedCapacity of transactions as DynamoDB bills them: 2 units per item,
# each rounded up to whole 1 KB written (TransactWriteItems) or 4 KB read
# (TransactGetItems, missing items included), one entry per table, and on
# transactions only the split into Write- or ReadCapacityUnits. A repeated
# request under the same ClientRequestToken is billed as a read.
import boto3
import pytest
from botocore.exceptions import ClientError

CREDS = dict(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


@pytest.fixture
def ddb(eddy):
    c = boto3.client("dynamodb", endpoint_url=eddy.url, **CREDS)
    for name in ("one", "two"):
        c.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    return c


def by_table(cc):
    return {e["TableName"]: e for e in cc}


def test_write_units_per_table_two_per_kilobyte_item(ddb):
    big = "x" * 1500  # Over 1 KB: 2 write units, doubled.
    ddb.put_item(TableName="two", Item={"pk": {"S": "gone"}, "v": {"S": big}})
    r = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "one", "Item": {"pk": {"S": "a"}}}},
        {"Put": {"TableName": "one", "Item": {"pk": {"S": "b"}, "v": {"S": big}}}},
        {"Delete": {"TableName": "two", "Key": {"pk": {"S": "gone"}}}},
    ], ReturnConsumedCapacity="TOTAL")
    got = by_table(r["ConsumedCapacity"])
    assert got["one"] == {"TableName": "one", "CapacityUnits": 6.0, "WriteCapacityUnits": 6.0}
    assert got["two"] == {"TableName": "two", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}
    ddb.put_item(TableName="one", Item={"pk": {"S": "small"}})
    r = ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": "one", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET n = :n",
                    "ExpressionAttributeValues": {":n": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": "one", "Key": {"pk": {"S": "small"}},
                            "ConditionExpression": "attribute_exists(pk)"}},
    ], ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == [{
        "TableName": "one", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0,
        "Table": {"CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}}]
    r = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "one", "Item": {"pk": {"S": "c"}}}}])
    assert "ConsumedCapacity" not in r


def test_a_replay_under_the_same_token_is_billed_as_a_read(ddb):
    req = dict(TransactItems=[{"Put": {"TableName": "one", "Item": {"pk": {"S": "t"}}}}],
               ClientRequestToken="tok-1", ReturnConsumedCapacity="TOTAL")
    first = ddb.transact_write_items(**req)
    assert first["ConsumedCapacity"] == [
        {"TableName": "one", "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}]
    again = ddb.transact_write_items(**req)
    assert again["ConsumedCapacity"] == [
        {"TableName": "one", "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}]


def test_get_units_two_per_item_missing_ones_too(ddb):
    ddb.put_item(TableName="one", Item={"pk": {"S": "here"}, "v": {"S": "x" * 5000}})
    r = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": "one", "Key": {"pk": {"S": "here"}}}},
        {"Get": {"TableName": "two", "Key": {"pk": {"S": "nobody"}}}},
    ], ReturnConsumedCapacity="TOTAL")
    got = by_table(r["ConsumedCapacity"])
    assert got["one"] == {"TableName": "one", "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0}
    assert got["two"] == {"TableName": "two", "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}
    assert "Item" in r["Responses"][0] and r["Responses"][1] == {}


def test_a_bad_return_consumed_capacity_is_refused(ddb):
    with pytest.raises(ClientError) as ei:
        ddb.transact_get_items(TransactItems=[
            {"Get": {"TableName": "one", "Key": {"pk": {"S": "a"}}}}],
            ReturnConsumedCapacity="SOME")
    assert ei.value.response["Error"]["Code"] == "ValidationException"
