# SPDX-License-Identifier: MIT
# Query and Scan validation as DynamoDB documents it, found while measuring
# conformance: empty or oversized legacy KeyConditions, sort-key value types,
# comparisons written value-first, filters on key attributes, legacy
# operators on value types they cannot take, binary contains(), and a
# parallel-scan start key that belongs to another segment.
import boto3
import pytest
from botocore.exceptions import ClientError

from ddbtest import CREDS, refused



@pytest.fixture
def client(eddy):
    c = boto3.client("dynamodb", endpoint_url=eddy.url, **CREDS)
    c.create_table(TableName="cqt", BillingMode="PAY_PER_REQUEST",
                   KeySchema=[{"AttributeName": "h", "KeyType": "HASH"},
                              {"AttributeName": "r", "KeyType": "RANGE"}],
                   AttributeDefinitions=[{"AttributeName": "h", "AttributeType": "S"},
                                         {"AttributeName": "r", "AttributeType": "N"}])
    for r in range(6):
        c.put_item(TableName="cqt", Item={"h": {"S": "k"}, "r": {"N": str(r)},
                                         "v": {"N": str(r * 10)},
                                         "bin": {"B": bytes([r, 0xAB, 0xCD, r])}})
    return c


def eq(value):
    return {"ComparisonOperator": "EQ", "AttributeValueList": [value]}


def test_empty_key_conditions_is_refused_and_server_survives(client):
    msg = refused(client.query, TableName="cqt", KeyConditions={})
    assert "KeyConditions or KeyConditionExpression" in msg
    # The daemon is still answering.
    assert client.query(TableName="cqt", KeyConditions={"h": eq({"S": "k"})})["Count"] == 6


def test_three_key_conditions_are_refused(client):
    msg = refused(client.query, TableName="cqt",
                  KeyConditions={"h": eq({"S": "k"}), "r": eq({"N": "1"}), "z": eq({"N": "1"})})
    assert msg == "Conditions can be of length 1 or 2 only"


def test_sort_key_value_of_wrong_type(client):
    msg = refused(client.query, TableName="cqt", KeyConditionExpression="h = :h AND r = :r",
                  ExpressionAttributeValues={":h": {"S": "k"}, ":r": {"S": "one"}})
    assert msg == ("One or more parameter values were invalid: "
                   "Condition parameter type does not match schema type")
    msg = refused(client.query, TableName="cqt",
                  KeyConditions={"h": eq({"S": "k"}),
                                 "r": {"ComparisonOperator": "BETWEEN",
                                       "AttributeValueList": [{"S": "1"}, {"S": "9"}]}})
    assert "does not match schema type" in msg


def test_legacy_begins_with_number_is_refused(client):
    msg = refused(client.query, TableName="cqt",
                  KeyConditions={"h": eq({"S": "k"}),
                                 "r": {"ComparisonOperator": "BEGINS_WITH",
                                       "AttributeValueList": [{"N": "1"}]}})
    assert msg == ("One or more parameter values were invalid: ComparisonOperator "
                   "BEGINS_WITH is not valid for N AttributeValue type")
    msg = refused(client.scan, TableName="cqt",
                  ScanFilter={"v": {"ComparisonOperator": "GT",
                                    "AttributeValueList": [{"BOOL": True}]}})
    assert msg.endswith("ComparisonOperator GT is not valid for BOOL AttributeValue type")


def test_value_first_comparisons_in_key_condition(client):
    def q(expr, **values):
        vals = {":h": {"S": "k"}}
        vals.update({":" + k: {"N": str(v)} for k, v in values.items()})
        got = client.query(TableName="cqt", KeyConditionExpression=expr,
                           ExpressionAttributeValues=vals)["Items"]
        return [int(i["r"]["N"]) for i in got]
    assert q(":h = h") == [0, 1, 2, 3, 4, 5]
    assert q(":h = h AND :r = r", r=3) == [3]
    assert q(":h = h AND :r < r", r=3) == [4, 5]
    assert q("h = :h AND :r >= r", r=1) == [0, 1]


def test_query_filter_on_key_attribute_is_refused(client):
    msg = refused(client.query, TableName="cqt", KeyConditionExpression="h = :h",
                  FilterExpression="r > :r",
                  ExpressionAttributeValues={":h": {"S": "k"}, ":r": {"N": "1"}})
    assert msg == ("Filter Expression can only contain non-primary key attributes: "
                   "Primary key attribute: r")
    msg = refused(client.query, TableName="cqt", KeyConditionExpression="h = :h",
                  FilterExpression="v = #k",
                  ExpressionAttributeNames={"#k": "h"},
                  ExpressionAttributeValues={":h": {"S": "k"}})
    assert msg.endswith("Primary key attribute: h")
    msg = refused(client.query, TableName="cqt", KeyConditions={"h": eq({"S": "k"})},
                  QueryFilter={"v": eq({"N": "10"}), "h": eq({"S": "k"})})
    assert msg == ("QueryFilter can only contain non-primary key attributes: "
                   "Primary key attribute: h")
    # Scan has no key condition, so there a filter may read the key.
    got = client.scan(TableName="cqt", FilterExpression="r = :r",
                      ExpressionAttributeValues={":r": {"N": "2"}})
    assert got["Count"] == 1


def test_binary_contains_finds_byte_substrings(client):
    got = client.query(TableName="cqt", KeyConditionExpression="h = :h",
                       FilterExpression="contains(bin, :sub)",
                       ExpressionAttributeValues={":h": {"S": "k"},
                                                  ":sub": {"B": bytes([0xCD, 3])}})
    assert [i["r"]["N"] for i in got["Items"]] == ["3"]


def test_parallel_scan_start_key_outside_the_segment(client):
    # Find a key in segment 0 of 2 and resume segment 1 from it.
    first = client.scan(TableName="cqt", Segment=0, TotalSegments=2)["Items"]
    second = client.scan(TableName="cqt", Segment=1, TotalSegments=2)["Items"]
    assert len(first) + len(second) == 6
    seg, item = (1, first[0]) if first else (0, second[0])
    msg = refused(client.scan, TableName="cqt", Segment=seg, TotalSegments=2,
                  ExclusiveStartKey={"h": item["h"], "r": item["r"]})
    assert "Exclusive start key does not map to the provided Segment" in msg
    # Resuming inside its own segment still works.
    ok = client.scan(TableName="cqt", Segment=1 - seg, TotalSegments=2,
                     ExclusiveStartKey={"h": item["h"], "r": item["r"]})
    assert "Items" in ok


def test_key_conditions_combine_with_filter_and_projection_expressions(client):
    # Only KeyConditionExpression conflicts with the legacy KeyConditions.
    got = client.query(TableName="cqt", KeyConditions={"h": eq({"S": "k"})},
                       FilterExpression="v >= :v", ProjectionExpression="r",
                       ExpressionAttributeValues={":v": {"N": "40"}})
    assert got["Items"] == [{"r": {"N": "4"}}, {"r": {"N": "5"}}]
    msg = refused(client.query, TableName="cqt", KeyConditions={"h": eq({"S": "k"})},
                  KeyConditionExpression="h = :h", ExpressionAttributeValues={":h": {"S": "k"}})
    assert msg.startswith("Can not use both expression and non-expression parameters")


def put_expected(client, expected, **kw):
    return client.put_item(TableName="cqt", Item={"h": {"S": "k"}, "r": {"N": "0"}},
                           Expected=expected, **kw)


def test_legacy_expected_validation(client):
    bad = [
        ({"v": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"L": []}]}},
         "One or more parameter values were invalid: ComparisonOperator CONTAINS is not valid "
         "for L AttributeValue type"),
        ({"v": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "1"}, {"S": "a"}]}},
         "One or more parameter values were invalid: AttributeValues inside AttributeValueList "
         "must be of same type"),
        ({"v": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "9"}, {"N": "1"}]}},
         "The BETWEEN condition was provided a range where the lower bound is greater than the "
         "upper bound"),
        ({"v": {"Value": {"N": "0"}, "ComparisonOperator": "EQ",
                "AttributeValueList": [{"N": "0"}]}},
         "One or more parameter values were invalid: Value and AttributeValueList cannot be "
         "used together for Attribute: v"),
    ]
    # PutItem reports these inside its request-validation envelope.
    env = "1 validation error detected: "
    for expected, message in bad:
        assert refused(put_expected, client=client, expected=expected) == env + message
    assert refused(put_expected, client=client, expected={},
                   ConditionalOperator="OR") == (
        env + "ConditionalOperator cannot be used without Filter or Expected")
    assert refused(put_expected, client=client, expected={"v": {"Value": {"N": "0"}}},
                   ConditionalOperator="AND") == (
        env + "ConditionalOperator can only be used when Filter or Expected has two or more elements")


def test_legacy_not_contains_needs_the_attribute(client):
    cond = {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "zz"}]}
    with pytest.raises(ClientError) as e:
        put_expected(client, {"missing": cond})
    assert e.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    client.put_item(TableName="cqt", Item={"h": {"S": "k"}, "r": {"N": "0"}, "s": {"S": "abc"}})
    put_expected(client, {"s": cond})  # Present and without "zz": the put goes through.


def test_key_conditions_operator_checks(client):
    msg = refused(client.query, TableName="cqt",
                  KeyConditions={"h": {"ComparisonOperator": "eq",
                                       "AttributeValueList": [{"S": "k"}]}})
    assert msg.startswith("1 validation error detected: Value 'eq' at "
                          "'keyConditions.h.member.comparisonOperator' failed to satisfy constraint")
    for op, values in [("NE", [{"N": "1"}]), ("IN", [{"N": "1"}]), ("NOT_NULL", [])]:
        msg = refused(client.query, TableName="cqt",
                      KeyConditions={"h": eq({"S": "k"}),
                                     "r": {"ComparisonOperator": op, "AttributeValueList": values}})
        assert msg == "Attempted conditional constraint is not an indexable operation", op
