# SPDX-License-Identifier: MIT
# Transactions as DynamoDB answers them: TransactGetItems refuses two Gets of
# one item and leaves Item out when a projection keeps nothing, and a
# ClientRequestToken replay is matched on the request's parameters, not on
# how its client spaced or ordered the JSON. Raw requests, so members that
# Debian's botocore does not know (ReturnValuesOnConditionCheckFailure) reach
# the server.
import json

import pytest

from ddbtest import call, kind, refusal


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


# ---- what a transaction checks first ------------------------------------------------

RCC = ("Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must "
       "satisfy enum value set: [INDEXES, TOTAL, NONE]")
RICM = ("Value 'BOGUS2' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member "
        "must satisfy enum value set: [SIZE, NONE]")


def written(e, key):
    _, j = call(e, "GetItem", {"TableName": "hash", "Key": {"pk": {"S": key}},
                               "ConsistentRead": True})
    return "Item" in j


def test_request_members_are_reported_together_before_any_action(db):
    one_put = [{"Put": {"TableName": "hash", "Item": {"pk": {"S": "m"}}}}]
    assert refusal(db, "TransactWriteItems", {"TransactItems": one_put,
                                              "ReturnConsumedCapacity": "BOGUS",
                                              "ReturnItemCollectionMetrics": "BOGUS2"}) == (
        "2 validation errors detected: " + RCC + "; " + RICM)
    token = "t" * 37
    assert refusal(db, "TransactWriteItems", {"TransactItems": one_put, "ClientRequestToken": token,
                                              "ReturnConsumedCapacity": "BOGUS"}) == (
        f"2 validation errors detected: Value '{token}' at 'clientRequestToken' failed to "
        "satisfy constraint: Member must have length less than or equal to 36; " + RCC)
    assert not written(db, "m")
    # Ahead of a missing table and of a duplicate target, for both operations.
    missing = [{"Put": {"TableName": "nope", "Item": {"pk": {"S": "m"}}}}]
    dup = one_put + [{"Delete": {"TableName": "hash", "Key": {"pk": {"S": "m"}}}}]
    for items in (missing, dup):
        assert refusal(db, "TransactWriteItems", {"TransactItems": items,
                                                  "ReturnConsumedCapacity": "BOGUS"}) == (
            "1 validation error detected: " + RCC)
    for items in ([get("a")] * 2, [{"Get": {"TableName": "nope", "Key": {"pk": {"S": "a"}}}}]):
        assert refusal(db, "TransactGetItems", {"TransactItems": items,
                                                "ReturnConsumedCapacity": "BOGUS"}) == (
            "1 validation error detected: " + RCC)


def deep_item(levels):
    v = {"S": "leaf"}
    for _ in range(levels):
        v = {"M": {"n": v}}
    return {"pk": {"S": "deep"}, "data": v}


def test_every_action_is_read_before_any_table_is_looked_up(db):
    bad_cond = {"ConditionCheck": {"TableName": "hash", "Key": {"pk": {"S": "c"}},
                                   "ConditionExpression": "attribute_not_exists("}}
    unused = {"ConditionCheck": {"TableName": "hash", "Key": {"pk": {"S": "c"}},
                                 "ConditionExpression": "attribute_not_exists(pk)",
                                 "ExpressionAttributeValues": {":v": {"S": "x"}}}}
    missing = {"Put": {"TableName": "nope", "Item": {"pk": {"S": "x"}}}}
    deep = {"Put": {"TableName": "hash", "Item": deep_item(32)}}
    syntax = 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "("'
    nesting = ("Nesting Levels have exceeded supported limits: Attributes in the item have "
               "nested levels beyond supported limit")
    unused_msg = "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}"
    cases = [([missing, bad_cond], syntax), ([bad_cond, deep], syntax), ([deep, bad_cond], nesting),
             ([missing, unused], unused_msg), ([unused, missing], unused_msg),
             ([{"Put": {"TableName": "hash", "Item": {"pk": {"S": "c"}}}}, unused], unused_msg)]
    for items, msg in cases:
        assert refusal(db, "TransactWriteItems", {"TransactItems": items}) == msg
    assert not written(db, "c")


NESTING = ("Nesting Levels have exceeded supported limits: Attributes in the item have nested "
           "levels beyond supported limit")


def test_a_too_deep_expression_value_refuses_the_transaction(db):
    def check(levels):
        return {"ConditionCheck": {"TableName": "nope", "Key": {"pk": {"S": "a"}},
                                   "ConditionExpression": "#d = :deep",
                                   "ExpressionAttributeNames": {"#d": "data"},
                                   "ExpressionAttributeValues": {":deep": deep_item(levels)["data"]}}}
    # 31 wrapped maps are 32 levels: accepted, so the missing table is what is reported.
    status, j = call(db, "TransactWriteItems", {"TransactItems": [check(31)]})
    assert status == 400 and kind(j) == "ResourceNotFoundException", j
    # Past 32 levels the request is refused in the item's words, ahead of the table lookup;
    # far past them the value's key is named.
    for levels in (32, 33, 60):
        assert refusal(db, "TransactWriteItems", {"TransactItems": [check(levels)]}) == NESTING
    assert refusal(db, "TransactWriteItems", {"TransactItems": [check(61)]}) == (
        "ExpressionAttributeValues contains invalid value: " + NESTING + " for key :deep")
    update = {"Update": {"TableName": "hash", "Key": {"pk": {"S": "a"}},
                         "UpdateExpression": "SET deep = :deep",
                         "ExpressionAttributeValues": {":deep": {"L": [deep_item(31)["data"]]}}}}
    assert refusal(db, "TransactWriteItems", {"TransactItems": [update]}) == NESTING


def test_empty_token_is_refused_with_the_minimum_length(db):
    one_put = [{"Put": {"TableName": "hash", "Item": {"pk": {"S": "m0"}}}}]
    assert refusal(db, "TransactWriteItems", {"TransactItems": one_put,
                                              "ClientRequestToken": ""}) == (
        "1 validation error detected: Value '' at 'clientRequestToken' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1")
    assert not written(db, "m0")
