# SPDX-License-Identifier: MIT
# Transactions as DynamoDB answers them: TransactGetItems refuses two Gets of
# one item and leaves Item out when a projection keeps nothing, and a
# ClientRequestToken replay is matched on the request's parameters, not on
# how its client spaced or ordered the JSON. Raw requests, so members that
# Debian's botocore does not know (ReturnValuesOnConditionCheckFailure) reach
# the server.
import json

import pytest
import requests


def call(e, op, body, text=None):
    r = requests.post(e.url, data=text if text is not None else json.dumps(body),
                      headers={"X-Amz-Target": "DynamoDB_20120810." + op,
                               "Content-Type": "application/x-amz-json-1.0"})
    return r.status_code, r.json()


def kind(j):
    return j.get("__type", "").split("#")[-1]


@pytest.fixture
def db(eddy):
    status, j = call(eddy, "CreateTable", {
        "TableName": "hash", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
    assert status == 200, j
    status, j = call(eddy, "PutItem", {"TableName": "hash",
                                       "Item": {"pk": {"S": "a"}, "real": {"S": "here"}}})
    assert status == 200, j
    return eddy


def get(key, **extra):
    return {"Get": {"TableName": "hash", "Key": {"pk": {"S": key}}, **extra}}


def test_transact_get_refuses_two_gets_of_one_item(db):
    status, j = call(db, "TransactGetItems", {"TransactItems": [get("a"), get("b"), get("a")]})
    assert status == 400 and kind(j) == "ValidationException", j
    assert j["message"] == "Transaction request cannot include multiple operations on one item"
    # The same key on two tables is two items.
    status, j = call(db, "CreateTable", {
        "TableName": "other", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
    assert status == 200, j
    other = {"Get": {"TableName": "other", "Key": {"pk": {"S": "a"}}}}
    status, j = call(db, "TransactGetItems", {"TransactItems": [get("a"), other]})
    assert status == 200, j
    assert j["Responses"] == [{"Item": {"pk": {"S": "a"}, "real": {"S": "here"}}}, {}]


def test_transact_get_omits_item_when_projection_keeps_nothing(db):
    status, j = call(db, "TransactGetItems", {"TransactItems": [
        get("a", ProjectionExpression="#x", ExpressionAttributeNames={"#x": "doesNotExist"}),
        get("missing")]})
    assert status == 200, j
    assert j["Responses"] == [{}, {}]
    status, j = call(db, "TransactGetItems", {"TransactItems": [
        get("a", ProjectionExpression="#r", ExpressionAttributeNames={"#r": "real"})]})
    assert status == 200 and j["Responses"] == [{"Item": {"real": {"S": "here"}}}], j


def put(val):
    return [{"Put": {"TableName": "hash", "Item": {"pk": {"S": "idem"}, "v": {"S": val}}}}]


def test_token_replay_matches_parameters_not_their_spelling(db):
    body = {"ClientRequestToken": "tok-1", "TransactItems": put("first")}
    status, j = call(db, "TransactWriteItems", body)
    assert status == 200, j
    # Same parameters, other spacing and member order: a replay.
    respelled = json.dumps({"TransactItems": put("first"), "ClientRequestToken": "tok-1"},
                           indent=2)
    status, j = call(db, "TransactWriteItems", None, text=respelled)
    assert status == 200, j
    # Other parameters under the same token: refused, nothing applied.
    status, j = call(db, "TransactWriteItems",
                     {"ClientRequestToken": "tok-1", "TransactItems": put("second")})
    assert status == 400 and kind(j) == "IdempotentParameterMismatchException", j
    status, j = call(db, "GetItem", {"TableName": "hash", "Key": {"pk": {"S": "idem"}},
                                     "ConsistentRead": True})
    assert j["Item"]["v"] == {"S": "first"}


def test_cancellation_reason_carries_all_old_for_every_action_kind(db):
    acts = [
        {"Update": {"TableName": "hash", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET v = :n",
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ExpressionAttributeValues": {":n": {"N": "2"}}}},
        {"Delete": {"TableName": "hash", "Key": {"pk": {"S": "a"}},
                    "ConditionExpression": "attribute_not_exists(pk)"}},
        {"ConditionCheck": {"TableName": "hash", "Key": {"pk": {"S": "a"}},
                            "ConditionExpression": "attribute_not_exists(pk)"}},
    ]
    for act in acts:
        for member in act.values():
            member["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        status, j = call(db, "TransactWriteItems", {"TransactItems": [act]})
        assert status == 400 and kind(j) == "TransactionCanceledException", j
        assert j["CancellationReasons"] == [{
            "Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
            "Item": {"pk": {"S": "a"}, "real": {"S": "here"}}}]
