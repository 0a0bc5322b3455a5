# SPDX-License-Identifier: MIT
# Data-plane request validation as DynamoDB reports it: member constraints
# (table name, required Key/Item, the Return* enums, ConditionalOperator)
# gathered into one "N validation errors detected" message in each
# operation's own order, Query/Scan parameter messages, and the batch
# operations' RequestItems checks. Raw requests, so members that boto3 would
# refuse to send (bad enums, empty names) reach the server.

import pytest

from ddbtest import call, refusal

V = "ValidationException"
NULL_KEY = "Value null at 'key' failed to satisfy constraint: Member must not be null"
EMPTY_NAME = ("Value '' at 'tableName' failed to satisfy constraint: Member must have length "
              "greater than or equal to 1")
RCC = ("Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must "
       "satisfy enum value set: [INDEXES, TOTAL, NONE]")
RICM = ("Value 'BOGUS2' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member "
        "must satisfy enum value set: [SIZE, NONE]")
RV = ("Value 'BOGUS' at 'returnValues' failed to satisfy constraint: Member must satisfy enum "
      "value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]")


def one(m):
    return "1 validation error detected: " + m


@pytest.fixture
def db(eddy):
    def table(name, keys, types):
        ks = [{"AttributeName": k, "KeyType": t} for k, t in zip(keys, ("HASH", "RANGE"))]
        ad = [{"AttributeName": k, "AttributeType": t} for k, t in zip(keys, types)]
        status, j = call(eddy, "CreateTable", {"TableName": name, "KeySchema": ks,
                                              "AttributeDefinitions": ad,
                                              "BillingMode": "PAY_PER_REQUEST"})
        assert status == 200, j
    table("hash", ["pk"], "S")
    table("comp", ["pk", "sk"], "SS")
    return eddy


# ---- single-item operations: member constraints ----------------------------------


def test_empty_table_name_is_one_length_error_when_the_item_is_there(db):
    msg = refusal(db, "PutItem", {"TableName": "", "Item": {}, "ReturnValues": "BOGUS"})
    assert msg == one(EMPTY_NAME)
    assert refusal(db, "DeleteItem", {"TableName": "", "Key": {}}) == one(EMPTY_NAME)
    assert refusal(db, "GetItem", {"TableName": "", "Key": {}}) == one(EMPTY_NAME)


def test_table_name_pattern_and_length(db):
    assert refusal(db, "PutItem", {"TableName": "bad table!@#", "Item": {"pk": {"S": "a"}}}) == one(
        "Value 'bad table!@#' at 'tableName' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: [a-zA-Z0-9_.-]+")
    long = "a" * 256
    assert refusal(db, "PutItem", {"TableName": long, "Item": {"pk": {"S": "a"}}}) == one(
        f"Value '{long}' at 'tableName' failed to satisfy constraint: Member must have length "
        "less than or equal to 255")
    # An empty name breaks only the 1-character minimum; a short one breaks
    # the 3-character table-name minimum, as on CreateTable.
    assert refusal(db, "GetItem", {"TableName": "ab", "Key": {"pk": {"S": "a"}}}) == one(
        "Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length "
        "greater than or equal to 3")


def test_put_and_delete_report_every_bad_enum(db):
    msg = refusal(db, "PutItem", {"TableName": "absent_tbl", "Item": {"pk": {"S": "a"}},
                                  "ReturnConsumedCapacity": "BOGUS",
                                  "ReturnItemCollectionMetrics": "BOGUS2",
                                  "ReturnValues": "BOGUS"})
    assert msg == f"3 validation errors detected: {RV}; {RCC}; {RICM}"
    msg = refusal(db, "DeleteItem", {"TableName": "absent_tbl", "Key": {"pk": {"S": "a"}},
                                     "ReturnValues": "BOGUS", "ReturnConsumedCapacity": "BOGUS"})
    assert msg == f"2 validation errors detected: {RV}; {RCC}"


def test_update_item_reports_the_first_enum_when_the_key_is_there(db):
    msg = refusal(db, "UpdateItem", {"TableName": "absent_tbl", "Key": {"pk": {"S": "a"}},
                                     "ReturnValues": "BOGUS", "ReturnConsumedCapacity": "BOGUS"})
    assert msg == one(RCC)


def test_update_item_without_key_joins_every_member_error(db):
    upd = {"UpdateExpression": "SET a = :a", "ExpressionAttributeValues": {":a": {"S": "x"}}}
    assert refusal(db, "UpdateItem", {"TableName": "", **upd}) == (
        f"2 validation errors detected: {EMPTY_NAME}; {NULL_KEY}")
    msg = refusal(db, "UpdateItem", {"TableName": "", "ReturnConsumedCapacity": "BOGUS",
                                     "ReturnValues": "BOGUS", **upd})
    assert msg == f"4 validation errors detected: {RCC}; {EMPTY_NAME}; {RV}; {NULL_KEY}"
    msg = refusal(db, "UpdateItem", {"TableName": "absent_tbl",
                                     "AttributeUpdates": {"x": {"Action": "PUT", "Value": {"S": "1"}}},
                                     "Expected": {"a": {"Exists": False}, "b": {"Exists": False}},
                                     "ConditionalOperator": "XOR"})
    assert msg == ("2 validation errors detected: Value 'XOR' at 'conditionalOperator' failed to "
                   "satisfy constraint: Member must satisfy enum value set: [OR, AND]; " + NULL_KEY)


def test_get_item_without_anything_names_key_then_table(db):
    assert refusal(db, "GetItem", {}) == (
        "2 validation errors detected: " + NULL_KEY + "; Value null at 'tableName' failed to "
        "satisfy constraint: Member must not be null")


def test_valid_requests_still_pass(db):
    status, _ = call(db, "PutItem", {"TableName": "hash", "Item": {"pk": {"S": "a"}},
                                     "ReturnValues": "ALL_OLD", "ReturnConsumedCapacity": "TOTAL",
                                     "ReturnItemCollectionMetrics": "SIZE"})
    assert status == 200
    status, j = call(db, "GetItem", {"TableName": "hash", "Key": {"pk": {"S": "a"}}})
    assert status == 200 and j["Item"] == {"pk": {"S": "a"}}


# ---- Query and Scan ---------------------------------------------------------------


def q(**kw):
    return {"TableName": "comp", "KeyConditionExpression": "pk = :v",
            "ExpressionAttributeValues": {":v": {"S": "v"}}, **kw}


def test_query_and_scan_limit_and_select(db):
    lim = one("Value at 'Limit' failed to satisfy constraint: Member must have value greater "
              "than or equal to 1")
    assert refusal(db, "Query", q(Limit=0)) == lim
    assert refusal(db, "Scan", {"TableName": "hash", "Limit": 0}) == lim
    assert refusal(db, "Query", q(Select="INVALID_VALUE")) == one(
        "Value 'INVALID_VALUE' at 'select' failed to satisfy constraint: Member must satisfy enum "
        "value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]")
    spec = one("Must specify the AttributesToGet or ProjectionExpression when choosing to get "
               "SPECIFIC_ATTRIBUTES")
    assert refusal(db, "Query", q(Select="SPECIFIC_ATTRIBUTES")) == spec
    assert refusal(db, "Scan", {"TableName": "hash", "Select": "SPECIFIC_ATTRIBUTES"}) == spec


def test_query_checks_capacity_and_operator_before_select(db):
    assert "returnConsumedCapacity" in refusal(db, "Query", q(ReturnConsumedCapacity="X",
                                                             Select="X"))
    body = {"TableName": "absent_tbl",
            "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}},
            "QueryFilter": {"b": {"ComparisonOperator": "NULL"}, "c": {"ComparisonOperator": "NULL"}},
            "ConditionalOperator": "XOR", "Select": "BOGUS"}
    assert refusal(db, "Query", body) == (
        "Failed to satisfy constraint: Member must satisfy enum value set: [ALL, OR]")


def test_starting_key_refusal_is_short(db):
    assert refusal(db, "Query", q(ExclusiveStartKey={"bad": {"S": "p"}})) == (
        "The provided starting key is invalid")
    assert refusal(db, "Scan", {"TableName": "hash", "ExclusiveStartKey": {"bad": {"S": "p"}}}) == (
        "The provided starting key is invalid")


def test_scan_segment_messages(db):
    def scan(**kw):
        return refusal(db, "Scan", {"TableName": "hash", **kw})
    assert scan(Segment=0) == ("The TotalSegments parameter is required but was not present in "
                               "the request when Segment parameter is present")
    assert scan(TotalSegments=4) == ("The Segment parameter is required but was not present in "
                                     "the request when parameter TotalSegments is present")
    assert scan(Segment=5, TotalSegments=5) == (
        "The Segment parameter is zero-based and must be less than parameter TotalSegments")
    assert scan(Segment=-1, TotalSegments=4) == one(
        "Value at 'Segment' failed to satisfy constraint: Member must have value greater than or "
        "equal to 0")
    assert "TotalSegments" in scan(Segment=0, TotalSegments=1000001)


# ---- batches ------------------------------------------------------------------------


def put(pk):
    return {"PutRequest": {"Item": {"pk": {"S": pk}}}}


def test_batch_write_request_items_messages(db):
    assert refusal(db, "BatchWriteItem", {"RequestItems": {}}) == (
        "The requestItems parameter is required for BatchWriteItem")
    msg = refusal(db, "BatchWriteItem", {"RequestItems": {"hash": [put(f"k{i}") for i in range(26)]}})
    assert msg == one("Value at 'RequestItems.hash.member' failed to satisfy constraint: Member "
                      "must have length less than or equal to 25")
    msg = refusal(db, "BatchWriteItem", {"RequestItems": {"hash": [
        {"PutRequest": {"Item": {"pk": {"N": "5"}}}}]}})
    assert msg == "The provided key element does not match the schema"


def test_batch_write_enums_come_first_and_together(db):
    items = {"hash": [put("bw-enum")]}
    assert refusal(db, "BatchWriteItem", {"RequestItems": items,
                                          "ReturnConsumedCapacity": "BOGUS"}) == one(RCC)
    assert refusal(db, "BatchWriteItem", {"RequestItems": items, "ReturnConsumedCapacity": "BOGUS",
                                          "ReturnItemCollectionMetrics": "BOGUS2"}) == (
        f"2 validation errors detected: {RCC}; {RICM}")
    assert refusal(db, "BatchWriteItem", {"RequestItems": {"absent_tbl": [put("a")]},
                                          "ReturnConsumedCapacity": "BOGUS"}) == one(RCC)
    assert refusal(db, "BatchWriteItem", {"RequestItems": {"bad!name": [put("a")]},
                                          "ReturnConsumedCapacity": "BOGUS"}) == one(RCC)
    status, j = call(db, "GetItem", {"TableName": "hash", "Key": {"pk": {"S": "bw-enum"}}})
    assert status == 200 and "Item" not in j


def test_batch_get_request_items_messages(db):
    assert refusal(db, "BatchGetItem", {"RequestItems": {}}) == one(
        "Value at 'RequestItems' failed to satisfy constraint: Member must have length greater "
        "than or equal to 1")
    keys = [{"pk": {"S": f"k{i}"}} for i in range(101)]
    assert refusal(db, "BatchGetItem", {"RequestItems": {"hash": {"Keys": keys}}}) == one(
        "Value at 'RequestItems.hash.member.Keys' failed to satisfy constraint: Member must have "
        "length less than or equal to 100")
    assert refusal(db, "BatchGetItem", {"RequestItems": {"hash": {"Keys": []}}}) == one(
        "Value at 'RequestItems.hash.member.Keys' failed to satisfy constraint: Member must have "
        "length greater than or equal to 1")


def test_batch_get_bad_table_name_echoes_the_map_beside_the_enum(db):
    bad = ("Value '{\"bad!name\":{\"Keys\":[{\"pk\":{\"S\":\"a\"}}]}}' at 'requestItems' failed to "
           "satisfy constraint: Map keys must satisfy constraint: [Member must have length less "
           "than or equal to 255, Member must have length greater than or equal to 3, Member must "
           "satisfy regular expression pattern: [a-zA-Z0-9_.-]+]")
    items = {"bad!name": {"Keys": [{"pk": {"S": "a"}}]}}
    assert refusal(db, "BatchGetItem", {"RequestItems": items}) == one(bad)
    assert refusal(db, "BatchGetItem", {"RequestItems": items, "ReturnConsumedCapacity": "BOGUS"}) == (
        f"2 validation errors detected: {bad}; {RCC}")
    assert refusal(db, "BatchGetItem", {"RequestItems": {"absent_tbl": {"Keys": [{"pk": {"S": "a"}}]}},
                                        "ReturnConsumedCapacity": "BOGUS"}) == one(RCC)


def test_batch_get_refuses_styles_mixed_across_tables(db):
    msg = refusal(db, "BatchGetItem", {"RequestItems": {
        "hash": {"Keys": [{"pk": {"S": "a"}}], "ProjectionExpression": "pk"},
        "comp": {"Keys": [{"pk": {"S": "a"}, "sk": {"S": "z"}}], "AttributesToGet": ["pk"]}}})
    assert msg == ("Can not use both expression and non-expression parameters in the same request: "
                   "Non-expression parameters: {AttributesToGet} Expression parameters: "
                   "{ProjectionExpression}")


# ---- transactions -------------------------------------------------------------------

EMPTY_KEY = ("One or more parameter values are not valid. The AttributeValue for a key attribute "
             "cannot contain an empty string value. Key: pk")


def cancelled(e, op, body):
    status, j = call(e, op, body)
    assert status == 400 and j["__type"].endswith("TransactionCanceledException"), j
    return j["message"], [(r["Code"], r.get("Message")) for r in j["CancellationReasons"]]


def test_transact_list_length_messages(db):
    for op in ("TransactWriteItems", "TransactGetItems"):
        assert refusal(db, op, {"TransactItems": []}) == one(
            "Value at 'TransactItems' failed to satisfy constraint: Member must have length "
            "greater than or equal to 1")
    gets = [{"Get": {"TableName": "hash", "Key": {"pk": {"S": f"k{i}"}}}} for i in range(101)]
    assert refusal(db, "TransactGetItems", {"TransactItems": gets}) == one(
        "Value at 'TransactItems' failed to satisfy constraint: Member must have length less "
        "than or equal to 100")
    assert refusal(db, "TransactWriteItems", {"TransactItems": [{}]}) == (
        "Invalid Request: TransactWriteRequest should contain Delete or Put or Update request")


def test_transact_bad_table_name_names_the_member_path(db):
    upd = {"Update": {"TableName": "bad!name", "Key": {"pk": {"S": "a"}},
                      "UpdateExpression": "SET a = :a", "ExpressionAttributeValues": {":a": {"S": "x"}}}}
    msg = refusal(db, "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "hash", "Item": {"pk": {"S": "first"}}}}, upd]})
    assert msg == one("Value 'bad!name' at 'transactItems.2.member.update.tableName' failed to "
                      "satisfy constraint: Member must satisfy regular expression pattern: "
                      "[a-zA-Z0-9_.-]+")
    msg = refusal(db, "TransactGetItems", {"TransactItems": [
        {"Get": {"TableName": "bad!name", "Key": {"pk": {"S": "a"}}}}]})
    assert msg == one("Value 'bad!name' at 'transactItems.1.member.get.tableName' failed to "
                      "satisfy constraint: Member must satisfy regular expression pattern: "
                      "[a-zA-Z0-9_.-]+")


def test_transact_empty_key_value_is_refused_up_front(db):
    for act in ({"Put": {"TableName": "hash", "Item": {"pk": {"S": ""}}}},
                {"Delete": {"TableName": "hash", "Key": {"pk": {"S": ""}}}},
                {"ConditionCheck": {"TableName": "hash", "Key": {"pk": {"S": ""}},
                                    "ConditionExpression": "attribute_not_exists(pk)"}}):
        assert refusal(db, "TransactWriteItems", {"TransactItems": [act]}) == EMPTY_KEY
    # Even after an earlier action that would only have been cancelled.
    acts = [{"Delete": {"TableName": "hash", "Key": {"pk": {"N": "5"}}}},
            {"Delete": {"TableName": "hash", "Key": {"pk": {"S": ""}}}}]
    assert refusal(db, "TransactWriteItems", {"TransactItems": acts}) == EMPTY_KEY


def test_transact_wrong_key_type_cancels_the_action(db):
    msg, reasons = cancelled(db, "TransactWriteItems", {"TransactItems": [
        {"Delete": {"TableName": "hash", "Key": {"pk": {"N": "5"}}}}]})
    assert reasons == [("ValidationError", "The provided key element does not match the schema")]
    msg, reasons = cancelled(db, "TransactGetItems", {"TransactItems": [
        {"Get": {"TableName": "hash", "Key": {"pk": {"S": "a"}}}},
        {"Get": {"TableName": "hash", "Key": {}}}]})
    assert msg == ("Transaction cancelled, please refer cancellation reasons for specific reasons "
                   "[None, ValidationError]")
    assert [r[0] for r in reasons] == ["None", "ValidationError"]


# ---- index key values through updates ------------------------------------------------

UPD_EMPTY = ("One or more parameter values are not valid. The update expression attempted to "
             "update a secondary index key to a value that is not supported. The AttributeValue "
             "for a key attribute cannot contain an empty string value.")


@pytest.fixture
def idx(eddy):
    status, j = call(eddy, "CreateTable", {
        "TableName": "ixt", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "g", "AttributeType": "S"}],
        "GlobalSecondaryIndexes": [{"IndexName": "gix",
                                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                    "Projection": {"ProjectionType": "ALL"}}]})
    assert status == 200, j
    return eddy


def set_g(v):
    return {"TableName": "ixt", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET g = :v",
            "ExpressionAttributeValues": {":v": v}}


def test_update_emptying_an_index_key_uses_the_update_wording(idx):
    assert refusal(idx, "UpdateItem", set_g({"S": ""})) == UPD_EMPTY
    assert refusal(idx, "TransactWriteItems", {"TransactItems": [{"Update": set_g({"S": ""})}]}) == (
        UPD_EMPTY)


def test_transact_update_with_wrong_index_key_type_names_the_index(idx):
    msg, reasons = cancelled(idx, "TransactWriteItems", {"TransactItems": [
        {"Update": set_g({"N": "5"})}]})
    assert reasons == [("ValidationError", "One or more parameter values were invalid: Type "
                        "mismatch for Index Key g Expected: S Actual: N IndexName: gix")]
