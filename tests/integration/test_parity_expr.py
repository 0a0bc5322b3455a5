# SPDX-License-Identifier: MIT
# Expression behaviour measured against current DynamoDB: which refusals a
# single-item write wraps in the "1 validation error detected: " envelope (its
# request validation) and which stay bare (reads, transactions, checks made
# once the table is known), the legacy Expected messages, and BatchGetItem's
# mixing rule across tables. Raw JSON requests, one fresh eddy per module.

import pytest
from conftest import Eddy

from ddbtest import call, refusal

ENVELOPE = "1 validation error detected: "
INVALID = "One or more parameter values were invalid: "
S = {"S": "x"}


@pytest.fixture(scope="module")
def srv():
    e = Eddy()
    try:
        for name, keys in [("hsh", [("pk", "HASH")]), ("cmp", [("pk", "HASH"), ("sk", "RANGE")])]:
            status, _ = call(e, "CreateTable", {
                "TableName": name, "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": k, "KeyType": t} for k, t in keys],
                "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"}
                                         for k, _ in keys]})
            assert status == 200
        yield e
    finally:
        e.stop()
    text = e.stderr()
    assert "AddressSanitizer" not in text and "runtime error" not in text, text


def put(e, **kw):
    return refusal(e, "PutItem", dict({"TableName": "hsh", "Item": {"pk": S}}, **kw))


def delete(e, **kw):
    return refusal(e, "DeleteItem", dict({"TableName": "hsh", "Key": {"pk": S}}, **kw))


def update(e, **kw):
    return refusal(e, "UpdateItem", dict({"TableName": "hsh", "Key": {"pk": S}}, **kw))


@pytest.mark.parametrize("kw,msg", [
    (dict(ConditionExpression=""), "Invalid ConditionExpression: The expression can not be empty;"),
    (dict(ExpressionAttributeValues={":v": S}),
     "ExpressionAttributeValues can only be specified when using expressions"),
    (dict(ExpressionAttributeNames={"#a": "a"}),
     "ExpressionAttributeNames can only be specified when using expressions"),
    (dict(ConditionExpression="((attribute_not_exists(pk)))"),
     "Invalid ConditionExpression: The expression has redundant parentheses;"),
    (dict(ConditionExpression="contains(#a, #a)", ExpressionAttributeNames={"#a": "data"}),
     "Invalid ConditionExpression: The first operand must be distinct from the remaining operands "
     "for this operator or function; operator: contains, first operand: [data]"),
    (dict(Expected={"pk": {"Exists": False}}, ConditionExpression="attribute_not_exists(pk)"),
     "Can not use both expression and non-expression parameters in the same request: "
     "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"),
])
def test_put_item_wraps_expression_refusals_in_the_envelope(srv, kw, msg):
    assert put(srv, **kw) == ENVELOPE + msg


def test_update_item_wraps_an_undefined_condition_value(srv):
    msg = update(srv, UpdateExpression="SET b = :w", ConditionExpression="a = :v",
                 ExpressionAttributeValues={":w": S})
    assert msg == (ENVELOPE + "Invalid ConditionExpression: An expression attribute value used "
                   "in expression is not defined; attribute value: :v")


def test_update_item_key_attribute_refusal_stays_bare(srv):
    # Found once the table's key schema is known, after request validation.
    msg = update(srv, UpdateExpression="SET pk = :v", ExpressionAttributeValues={":v": S})
    assert msg == INVALID + "Cannot update attribute pk. This attribute is part of the key"


@pytest.mark.parametrize("expected,msg", [
    ({"a": {"Exists": True}}, "Value must be provided when Exists is true for Attribute: a"),
    ({"a": {"Exists": False, "Value": S}}, "Value cannot be used when Exists is false for Attribute: a"),
    ({"a": {"Value": S, "ComparisonOperator": "EQ", "AttributeValueList": [S]}},
     "Value and AttributeValueList cannot be used together for Attribute: a"),
    ({"a": {"ComparisonOperator": "EQ"}},
     "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"),
    ({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [S]}},
     "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
])
def test_malformed_expected_conditions(srv, expected, msg):
    assert delete(srv, Expected=expected) == ENVELOPE + INVALID + msg
    assert put(srv, Expected=expected) == ENVELOPE + INVALID + msg


def test_delete_item_empty_expression_maps(srv):
    cond = {"ConditionExpression": "attribute_exists(a)"}
    assert delete(srv, ExpressionAttributeValues={}, **cond) == \
        ENVELOPE + "ExpressionAttributeValues must not be empty"
    assert delete(srv, ExpressionAttributeNames={}, **cond) == \
        ENVELOPE + "ExpressionAttributeNames must not be empty"


def test_reads_report_expression_refusals_bare(srv):
    msg = refusal(srv, "Query", {"TableName": "cmp", "KeyConditionExpression": "",
                                 "ExpressionAttributeValues": {":v": S}})
    assert msg == "Invalid KeyConditionExpression: The expression can not be empty;"
    msg = refusal(srv, "GetItem", {"TableName": "hsh", "Key": {"pk": S},
                                   "ProjectionExpression": "a, a.b"})
    assert msg == ("Invalid ProjectionExpression: Two document paths overlap with each other; "
                   "must remove or rewrite one of these paths; path one: [a], path two: [a, b]")
    msg = refusal(srv, "Scan", {"TableName": "hsh", "FilterExpression": "((#a = :v))",
                                "ExpressionAttributeNames": {"#a": "data"},
                                "ExpressionAttributeValues": {":v": S}})
    assert msg == "Invalid FilterExpression: The expression has redundant parentheses;"


def test_transactions_report_expression_refusals_bare(srv):
    msg = refusal(srv, "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "hsh", "Item": {"pk": S}, "ConditionExpression": "a = = b"}}]})
    assert msg == 'Invalid ConditionExpression: Syntax error; token: "=", near: "= = b"'


def test_batch_get_refuses_projection_styles_mixed_across_tables(srv):
    msg = refusal(srv, "BatchGetItem", {"RequestItems": {
        "hsh": {"Keys": [{"pk": S}], "ProjectionExpression": "pk"},
        "cmp": {"Keys": [{"pk": S, "sk": S}], "AttributesToGet": ["pk"]}}})
    assert msg == ("Can not use both expression and non-expression parameters in the same "
                   "request: Non-expression parameters: {AttributesToGet} Expression parameters: "
                   "{ProjectionExpression}")
    # Each style on its own, across tables, is fine.
    status, _ = call(srv, "BatchGetItem", {"RequestItems": {
        "hsh": {"Keys": [{"pk": S}], "AttributesToGet": ["pk"]},
        "cmp": {"Keys": [{"pk": S, "sk": S}], "AttributesToGet": ["pk"]}}})
    assert status == 200


def test_oversized_expressions_name_their_size_only_for_conditions_and_filters(srv):
    cond = "a = :v" + " AND a = :v" * 373  # 4109 bytes
    update_expr = "SET " + ", ".join(f"a{i} = :v" for i in range(500))
    msg = refusal(srv, "TransactWriteItems", {"TransactItems": [{"Delete": {
        "TableName": "hsh", "Key": {"pk": S}, "ConditionExpression": cond,
        "ExpressionAttributeValues": {":v": S}}}]})
    assert msg == ("Invalid ConditionExpression: Expression size has exceeded the maximum "
                   "allowed size; expression size: 4109")
    msg = refusal(srv, "TransactWriteItems", {"TransactItems": [{"Update": {
        "TableName": "hsh", "Key": {"pk": S}, "UpdateExpression": update_expr,
        "ExpressionAttributeValues": {":v": S}}}]})
    assert msg == "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;"
    msg = refusal(srv, "GetItem", {"TableName": "hsh", "Key": {"pk": S},
                                   "ProjectionExpression": ", ".join(f"p{i}" for i in range(900))})
    assert msg == ("Invalid ProjectionExpression: Expression size has exceeded the maximum "
                   "allowed size;")
