# SPDX-License-Identifier: MIT
# Single-item write details as DynamoDB reports them: PutItem and DeleteItem
# refuse an update-only ReturnValues inside the "1 validation error
# detected: " envelope, and update arithmetic on numbers stored at the edge
# of the supported range (kept written out in full, up to 126 digits) adds
# exactly or is refused with DynamoDB's overflow wording; values nested past
# 32 levels are refused in the words each surface uses. Raw requests, so
# members that boto3 would check itself reach the server.

import pytest

from ddbtest import call, ok, refusal

V = "ValidationException"
OVERFLOW = ("Number overflow. Attempting to store a number with magnitude larger than "
            "supported range")
MAX = "9.9999999999999999999999999999999999999E+125"


@pytest.fixture
def db(eddy):
    ok(eddy, "CreateTable", {
        "TableName": "hash", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
    return eddy


def key(pk):
    return {"pk": {"S": pk}}


# ---- ReturnValues on PutItem and DeleteItem ---------------------------------------


def test_delete_item_refuses_new_image_return_values_in_the_envelope(db):
    for rv in ("ALL_NEW", "UPDATED_NEW", "UPDATED_OLD"):
        msg = refusal(db, "DeleteItem", {"TableName": "hash", "Key": key("a"), "ReturnValues": rv})
        assert msg == "1 validation error detected: ReturnValues can only be ALL_OLD or NONE"


def test_put_item_refuses_new_image_return_values_in_the_envelope(db):
    msg = refusal(db, "PutItem", {"TableName": "hash", "Item": key("a"), "ReturnValues": "ALL_NEW"})
    assert msg == "1 validation error detected: ReturnValues can only be ALL_OLD or NONE"
    # A value outside the enum is still the member constraint, not this check.
    msg = refusal(db, "DeleteItem", {"TableName": "hash", "Key": key("a"), "ReturnValues": "BOGUS"})
    assert msg.startswith("1 validation error detected: Value 'BOGUS' at 'returnValues'")


def test_allowed_return_values_still_work(db):
    ok(db, "PutItem", {"TableName": "hash", "Item": {**key("a"), "v": {"S": "x"}}})
    j = ok(db, "DeleteItem", {"TableName": "hash", "Key": key("a"), "ReturnValues": "ALL_OLD"})
    assert j["Attributes"] == {**key("a"), "v": {"S": "x"}}


# ---- arithmetic on numbers stored in full ----------------------------------------


def update(e, pk, expr, values):
    return call(e, "UpdateItem", {"TableName": "hash", "Key": key(pk), "UpdateExpression": expr,
                                  "ExpressionAttributeValues": values,
                                  "ReturnValues": "UPDATED_NEW"})


def test_set_plus_past_the_largest_number_is_an_overflow(db):
    ok(db, "PutItem", {"TableName": "hash", "Item": {**key("big"), "n": {"N": MAX}}})
    for expr in ("SET n = n + :v", "ADD n :v"):
        status, j = update(db, "big", expr, {":v": {"N": "1E+125"}})
        assert status == 400 and j["message"] == OVERFLOW, (expr, j)
    status, j = update(db, "big", "SET n = :v - n", {":v": {"N": "-1E+125"}})
    assert status == 400 and j["message"] == OVERFLOW, j
    # The refused updates left the stored number alone.
    j = ok(db, "GetItem", {"TableName": "hash", "Key": key("big")})
    assert j["Item"]["n"]["N"] == "99999999999999999999999999999999999999" + "0" * 88


def test_arithmetic_on_a_large_stored_number_is_exact(db):
    ok(db, "PutItem", {"TableName": "hash", "Item": {**key("five"), "n": {"N": "5E+100"}}})
    status, j = update(db, "five", "SET n = n + :v", {":v": {"N": "1E+100"}})
    assert status == 200, j
    assert j["Attributes"]["n"]["N"] == "6" + "0" * 100
    status, j = update(db, "five", "ADD n :v", {":v": {"N": "-6E+100"}})
    assert status == 200, j
    assert j["Attributes"]["n"]["N"] == "0"
    ok(db, "PutItem", {"TableName": "hash", "Item": {**key("max"), "n": {"N": MAX}}})
    status, j = update(db, "max", "SET n = n - :v", {":v": {"N": MAX}})
    assert status == 200 and j["Attributes"]["n"]["N"] == "0", j


def test_conditions_and_filters_compare_large_stored_numbers_by_value(db):
    # 1E+100 and -5E+100 are kept as 101-digit texts; comparisons must still
    # see their values, not fall back to treating them as unparsable.
    ok(db, "PutItem", {"TableName": "hash",
                       "Item": {**key("c"), "neg": {"N": "-5E+100"}, "pos": {"N": "1E+100"}}})
    holds = [("neg < :v", "0"), ("neg = :v", "-5E+100"), ("pos = :v", "1E+100"),
             ("pos < :v", "2E+100"), ("pos > :v", "9E+99")]
    for cond, v in holds:
        status, j = call(db, "UpdateItem", {
            "TableName": "hash", "Key": key("c"), "UpdateExpression": "SET hits = :v",
            "ConditionExpression": cond, "ExpressionAttributeValues": {":v": {"N": v}}})
        assert status == 200, (cond, j)
    status, j = call(db, "DeleteItem", {
        "TableName": "hash", "Key": key("c"), "ConditionExpression": "pos > :v",
        "ExpressionAttributeValues": {":v": {"N": "1E+100"}}})
    assert status == 400 and j["__type"].endswith("ConditionalCheckFailedException"), j
    j = ok(db, "Scan", {"TableName": "hash", "FilterExpression": "pos = :v",
                        "ExpressionAttributeValues": {":v": {"N": "1E+100"}},
                        "ProjectionExpression": "pk"})
    assert j["Items"] == [key("c")]


# ---- values nested past 32 levels --------------------------------------------------

NEST = ("Nesting Levels have exceeded supported limits: Attributes in the item have nested "
        "levels beyond supported limit")


def nested(levels, wrap="M"):
    v = {"S": "leaf"}
    for _ in range(levels):
        v = {"M": {"n": v}} if wrap == "M" else {"L": [v]}
    return v


def test_put_item_nesting_refusal_is_enveloped_until_the_document_parser_takes_over(db):
    assert "Attributes" not in ok(db, "PutItem", {"TableName": "hash",
                                                  "Item": {"pk": {"S": "n31"}, "d": nested(31)}})
    for levels, wrap in ((32, "M"), (32, "L"), (62, "M")):
        msg = refusal(db, "PutItem", {"TableName": "hash",
                                      "Item": {"pk": {"S": "n"}, "d": nested(levels, wrap)}})
        assert msg == "1 validation error detected: " + NEST, levels
    for levels in (63, 90):
        msg = refusal(db, "PutItem", {"TableName": "hash",
                                      "Item": {"pk": {"S": "n"}, "d": nested(levels)}})
        assert msg == NEST, levels
    # A batch put reports the bare sentence at any depth.
    msg = refusal(db, "BatchWriteItem", {"RequestItems": {"hash": [
        {"PutRequest": {"Item": {"pk": {"S": "n"}, "d": nested(32)}}}]}})
    assert msg == NEST


def test_update_item_deep_value_names_its_key_only_past_the_parser_limit(db):
    ok(db, "PutItem", {"TableName": "hash", "Item": {"pk": {"S": "e"}}})

    def update(levels):
        return {"TableName": "hash", "Key": key("e"), "UpdateExpression": "SET t = :t",
                "ConditionExpression": "#d = :deep", "ExpressionAttributeNames": {"#d": "d"},
                "ExpressionAttributeValues": {":t": {"S": "y"}, ":deep": nested(levels)}}
    # 31 levels is a value like any other: the condition runs and fails.
    refusal(db, "UpdateItem", update(31), "ConditionalCheckFailedException")
    assert refusal(db, "UpdateItem", update(32)) == "1 validation error detected: " + NEST
    assert refusal(db, "UpdateItem", update(62)) == "1 validation error detected: " + NEST
    assert refusal(db, "UpdateItem", update(63)) == (
        f"ExpressionAttributeValues contains invalid value: {NEST} for key :deep")
    assert "t" not in ok(db, "GetItem", {"TableName": "hash", "Key": key("e")})["Item"]


def test_deep_value_outranks_the_expression_parsers_other_faults(db):
    # The depth is looked at only once the parser refused the request, so a
    # deep value must still win over a syntax error or an unused value.
    for extra in ({"UpdateExpression": "SET t = = :t"},
                  {"UpdateExpression": "SET t = :t", "ExpressionAttributeNames": {"#u": "u"}}):
        for levels, want in ((32, "1 validation error detected: " + NEST),
                             (63, f"ExpressionAttributeValues contains invalid value: {NEST} "
                                  "for key :deep")):
            body = {"TableName": "hash", "Key": key("e"), **extra,
                    "ExpressionAttributeValues": {":t": {"S": "y"}, ":deep": nested(levels)}}
            assert refusal(db, "UpdateItem", body) == want, (extra, levels)
