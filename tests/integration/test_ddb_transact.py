# SPDX-License-Identifier: MIT
# TransactWriteItems and TransactGetItems through boto3's low-level client:
# all four actions, all-or-nothing cancellation with CancellationReasons in
# action order, DynamoDB's validation messages, ClientRequestToken
# idempotency, snapshot reads, and a transaction's change-log records
# appended together even while other writers run.
import threading

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

CREDS = dict(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
T = "ttb"


@pytest.fixture
def ddb(eddy):
    c = boto3.client("dynamodb", endpoint_url=eddy.url, **CREDS)
    c.create_table(TableName=T, BillingMode="PAY_PER_REQUEST",
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    return c


def key(k):
    return {"pk": {"S": k}}


def get(ddb, k):
    return ddb.get_item(TableName=T, Key=key(k), ConsistentRead=True).get("Item")


def four_actions(ddb, check_value="1"):
    return [
        {"Put": {"TableName": T, "Item": {"pk": {"S": "p"}, "v": {"N": "1"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": T, "Key": key("u"), "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Delete": {"TableName": T, "Key": key("d")}},
        {"ConditionCheck": {"TableName": T, "Key": key("c"), "ConditionExpression": "v = :v",
                            "ExpressionAttributeValues": {":v": {"N": check_value}}}},
    ]


def seed(ddb):
    ddb.put_item(TableName=T, Item={"pk": {"S": "d"}})
    ddb.put_item(TableName=T, Item={"pk": {"S": "c"}, "v": {"N": "1"}})


def log(eddy):
    r = requests.get(f"{eddy.url}/_eddy/tables/{T}/log?limit=10000")
    assert r.status_code == 200
    return r.json()["Records"]


def test_write_commits_all(ddb):
    seed(ddb)
    assert ddb.transact_write_items(TransactItems=four_actions(ddb))["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert get(ddb, "p") == {"pk": {"S": "p"}, "v": {"N": "1"}}
    assert get(ddb, "u") == {"pk": {"S": "u"}, "n": {"N": "1"}}
    assert get(ddb, "d") is None
    assert get(ddb, "c") == {"pk": {"S": "c"}, "v": {"N": "1"}}


def test_failure_cancels_all_with_reasons(ddb):
    seed(ddb)
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=four_actions(ddb, check_value="2"))
    r = e.value.response
    assert r["Error"]["Code"] == "TransactionCanceledException"
    assert r["Error"]["Message"] == ("Transaction cancelled, please refer cancellation reasons for specific "
                                     "reasons [None, None, None, ConditionalCheckFailed]")
    assert r["CancellationReasons"] == [
        {"Code": "None"}, {"Code": "None"}, {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}]
    assert get(ddb, "p") is None and get(ddb, "u") is None and get(ddb, "d") is not None


def test_two_failures_listed_in_order(ddb):
    ddb.put_item(TableName=T, Item={"pk": {"S": "p"}})
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": T, "Item": {"pk": {"S": "p"}}, "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": T, "Item": {"pk": {"S": "q"}}}},
            {"Delete": {"TableName": T, "Key": key("r"), "ConditionExpression": "attribute_exists(pk)"}},
        ])
    codes = [x["Code"] for x in e.value.response["CancellationReasons"]]
    assert codes == ["ConditionalCheckFailed", "None", "ConditionalCheckFailed"]
    assert e.value.response["Error"]["Message"].endswith("[ConditionalCheckFailed, None, ConditionalCheckFailed]")
    assert get(ddb, "q") is None


def test_same_item_twice(ddb):
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": T, "Item": {"pk": {"S": "a"}}}},
            {"Delete": {"TableName": T, "Key": key("a")}}])
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["Error"]["Message"] == \
        "Transaction request cannot include multiple operations on one item"


def test_too_many_actions(ddb):
    items = [{"Put": {"TableName": T, "Item": {"pk": {"S": f"k{i}"}}}} for i in range(101)]
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=items)
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["Error"]["Message"].startswith("1 validation error detected: ")
    assert "at 'TransactItems' failed to satisfy constraint: Member must have length less than or equal to 100" in e.value.response["Error"]["Message"]
    assert get(ddb, "k0") is None


def test_client_request_token_idempotency(eddy, ddb):
    acts = [{"Update": {"TableName": T, "Key": key("n"), "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
    ddb.transact_write_items(TransactItems=acts, ClientRequestToken="tok-1")
    ddb.transact_write_items(TransactItems=acts, ClientRequestToken="tok-1")
    assert get(ddb, "n")["n"] == {"N": "1"}
    other = [{"Update": {"TableName": T, "Key": key("n"), "UpdateExpression": "ADD n :two",
                         "ExpressionAttributeValues": {":two": {"N": "2"}}}}]
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=other, ClientRequestToken="tok-1")
    assert e.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    ddb.transact_write_items(TransactItems=acts, ClientRequestToken="tok-2")
    assert get(ddb, "n")["n"] == {"N": "2"}
    assert len([r for r in log(eddy) if r["record"]["dynamodb"]["Keys"]["pk"]["S"] == "n"]) == 2


def test_transact_get(ddb):
    seed(ddb)
    r = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": T, "Key": key("c")}},
        {"Get": {"TableName": T, "Key": key("missing")}},
        {"Get": {"TableName": T, "Key": key("d"), "ProjectionExpression": "#p",
                 "ExpressionAttributeNames": {"#p": "pk"}}}])
    assert r["Responses"] == [{"Item": {"pk": {"S": "c"}, "v": {"N": "1"}}}, {},
                              {"Item": {"pk": {"S": "d"}}}]
    with pytest.raises(ClientError) as e:
        ddb.transact_get_items(TransactItems=[{"Get": {"TableName": "nosuch", "Key": key("c")}}])
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_stream_records_appended_together(eddy, ddb):
    stop = threading.Event()

    def writer():
        c = boto3.client("dynamodb", endpoint_url=eddy.url, **CREDS)
        i = 0
        while not stop.is_set():
            c.put_item(TableName=T, Item={"pk": {"S": f"bg{i}"}})
            i += 1

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for j in range(10):
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": T, "Item": {"pk": {"S": f"t{j}-{a}"}}}} for a in range(4)])
    finally:
        stop.set()
        for t in threads:
            t.join()
    recs = log(eddy)
    keys = [r["record"]["dynamodb"]["Keys"]["pk"]["S"] for r in recs]
    seqs = [r["seq"] for r in recs]
    assert seqs == sorted(seqs)
    for j in range(10):
        at = keys.index(f"t{j}-0")
        assert keys[at:at + 4] == [f"t{j}-{a}" for a in range(4)]
        assert seqs[at + 3] - seqs[at] == 3
