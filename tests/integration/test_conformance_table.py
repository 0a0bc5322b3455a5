# SPDX-License-Identifier: MIT
# Table and item edge cases measured against DynamoDB's documented behaviour:
# CreateTable's AttributeDefinitions checks, what DeleteTable and DescribeTable
# report, and item-level validation messages. Each test states the DynamoDB
# rule it pins down; all run through boto3 against a fresh eddy.
import json

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

CREDS = dict(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def client(e):
    return boto3.client("dynamodb", endpoint_url=e.url, **CREDS)


def error_of(fn, *a, **kw):
    with pytest.raises(ClientError) as ei:
        fn(*a, **kw)
    err = ei.value.response["Error"]
    return err["Code"], err.get("Message", "")


def hash_table(c, name, ad=None, **kw):
    kw.setdefault("BillingMode", "PAY_PER_REQUEST")
    return c.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=ad or [{"AttributeName": "id", "AttributeType": "S"}],
                          **kw)


# ---- CreateTable / DescribeTable / DeleteTable ------------------------------------


def test_attribute_definitions_same_name_twice_is_refused(eddy):
    c = client(eddy)
    code, msg = error_of(hash_table, c, "dup", ad=[{"AttributeName": "id", "AttributeType": "N"},
                                                   {"AttributeName": "id", "AttributeType": "S"}])
    assert code == "ValidationException"
    assert msg == "Attribute Name is duplicated: id"
    assert "dup" not in c.list_tables()["TableNames"]


def test_attribute_definition_without_name_names_the_member(eddy):
    req = {"TableName": "noname", "BillingMode": "PAY_PER_REQUEST",
           "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
           "AttributeDefinitions": [{"AttributeType": "S"}]}
    r = raw(eddy, "CreateTable", req)
    assert r.status_code == 400
    body = r.json()
    assert body["__type"].endswith("ValidationException")
    assert ("Value null at 'attributeDefinitions.1.member.attributeName' failed to satisfy "
            "constraint: Member must not be null") in body["message"]


def test_on_demand_table_reports_switch_time_equal_to_creation(eddy):
    c = client(eddy)
    hash_table(c, "ondemand")
    t = c.describe_table(TableName="ondemand")["Table"]
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert t["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"] == t["CreationDateTime"]
    hash_table(c, "provisioned", BillingMode="PROVISIONED",
               ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    bm = c.describe_table(TableName="provisioned")["Table"]["BillingModeSummary"]
    assert "LastUpdateToPayPerRequestDateTime" not in bm


def test_delete_table_describes_only_the_going_table(eddy):
    c = client(eddy)
    c.create_table(TableName="gone", BillingMode="PAY_PER_REQUEST",
                   KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                                         {"AttributeName": "g", "AttributeType": "S"}],
                   GlobalSecondaryIndexes=[{"IndexName": "byg",
                                            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                            "Projection": {"ProjectionType": "ALL"}}])
    c.put_item(TableName="gone", Item={"id": {"S": "a"}, "g": {"S": "x"}})
    d = c.delete_table(TableName="gone")["TableDescription"]
    assert d["TableName"] == "gone" and d["TableStatus"] == "DELETING"
    assert d["ItemCount"] == 1 and d["TableSizeBytes"] > 0
    assert d["TableArn"].endswith(":table/gone") and len(d["TableId"]) == 36
    assert d["ProvisionedThroughput"] == {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0,
                                          "WriteCapacityUnits": 0}
    assert d["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert "LastUpdateToPayPerRequestDateTime" in d["BillingModeSummary"]
    for absent in ("KeySchema", "AttributeDefinitions", "CreationDateTime",
                   "GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        assert absent not in d


# ---- name-length limits --------------------------------------------------------


def test_key_attribute_names_longer_than_255_are_refused_first(eddy):
    c = client(eddy)
    long_name = "k" * 256
    code, msg = error_of(c.create_table, TableName="longkey", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": long_name, "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}])
    assert code == "ValidationException"
    assert msg == (f"1 validation error detected: Value '{long_name}' at "
                   "'keySchema.1.member.attributeName' failed to satisfy constraint: "
                   "Member must have length less than or equal to 255")
    code, msg = error_of(c.create_table, TableName="longgsi", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                                               {"AttributeName": long_name, "AttributeType": "S"}],
                         GlobalSecondaryIndexes=[{
                             "IndexName": "gsi1",
                             "KeySchema": [{"AttributeName": long_name, "KeyType": "HASH"}],
                             "Projection": {"ProjectionType": "ALL"}}])
    assert code == "ValidationException"
    assert "'attributeDefinitions.2.member.attributeName'" in msg
    hash_table(c, "base")
    code, msg = error_of(c.update_table, TableName="base",
                         AttributeDefinitions=[{"AttributeName": "short", "AttributeType": "S"}],
                         GlobalSecondaryIndexUpdates=[{"Create": {
                             "IndexName": "gsi1",
                             "KeySchema": [{"AttributeName": long_name, "KeyType": "HASH"}],
                             "Projection": {"ProjectionType": "ALL"}}}])
    assert code == "ValidationException"
    assert "'globalSecondaryIndexUpdates.1.member.create.keySchema.1.member.attributeName'" in msg
    assert c.list_tables()["TableNames"] == ["base"]


def test_attribute_names_up_to_65535_bytes_at_any_depth(eddy):
    c = client(eddy)
    hash_table(c, "names")
    ok, too_long = "n" * 65535, "n" * 65536
    c.put_item(TableName="names", Item={"id": {"S": "a"}, ok: {"N": "1"}})
    assert ok in c.get_item(TableName="names", Key={"id": {"S": "a"}})["Item"]
    want = ("1 validation error detected: Attribute name is too large, must be less than "
            "65536 bytes")
    for item in ({"id": {"S": "b"}, too_long: {"N": "1"}},
                 {"id": {"S": "b"}, "doc": {"M": {too_long: {"S": "x"}}}}):
        code, msg = error_of(c.put_item, TableName="names", Item=item)
        assert (code, msg) == ("ValidationException", want)
    assert "Item" not in c.get_item(TableName="names", Key={"id": {"S": "b"}})


# ---- wire format -----------------------------------------------------------------


def raw(e, op, body):
    return requests.post(e.url, data=json.dumps(body), headers={
        "X-Amz-Target": f"DynamoDB_20120810.{op}",
        "Content-Type": "application/x-amz-json-1.0"})


def test_number_or_boolean_where_a_string_belongs_is_a_serialization_error(eddy):
    c = client(eddy)
    hash_table(c, "wire")
    cases = [
        ("PutItem", {"TableName": "wire", "Item": {"id": {"S": "a"}, "n": {"N": 5}}}, "NUMBER_VALUE"),
        ("PutItem", {"TableName": "wire", "Item": {"id": {"S": True}}}, "TRUE_VALUE"),
        ("PutItem", {"TableName": "wire", "Item": {"id": {"S": "a"}, "s": {"NS": ["1", 2]}}},
         "NUMBER_VALUE"),
        ("UpdateItem", {"TableName": "wire", "Key": {"id": {"S": "a"}},
                        "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"N": 123}}}, "NUMBER_VALUE"),
        # Names of attributes and tag keys are strings too, in lists and maps.
        ("GetItem", {"TableName": "wire", "Key": {"id": {"S": "a"}},
                     "ProjectionExpression": "#a", "ExpressionAttributeNames": {"#a": 7}},
         "NUMBER_VALUE"),
        ("TransactWriteItems", {"TransactItems": [{"Put": {
            "TableName": "wire", "Item": {"id": {"S": "a"}},
            "ConditionExpression": "attribute_exists(#a)",
            "ExpressionAttributeNames": {"#a": False}}}]}, "FALSE_VALUE"),
        ("GetItem", {"TableName": "wire", "Key": {"id": {"S": "a"}},
                     "AttributesToGet": ["x", 1]}, "NUMBER_VALUE"),
        ("CreateTable", {"TableName": "wire2", "BillingMode": "PAY_PER_REQUEST",
                         "KeySchema": [{"AttributeName": "p", "KeyType": "HASH"}],
                         "AttributeDefinitions": [{"AttributeName": "p", "AttributeType": "S"},
                                                  {"AttributeName": "x", "AttributeType": "S"}],
                         "GlobalSecondaryIndexes": [{
                             "IndexName": "gsi",
                             "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                             "Projection": {"ProjectionType": "INCLUDE",
                                            "NonKeyAttributes": ["a", 123]}}]},
         "NUMBER_VALUE"),
        ("UntagResource", {"ResourceArn": "arn:aws:dynamodb:us-east-1:000000000000:table/wire",
                           "TagKeys": [True]}, "TRUE_VALUE"),
    ]
    for op, body, kind in cases:
        r = raw(eddy, op, body)
        assert r.status_code == 400
        assert r.json()["__type"].endswith("#SerializationException")
        assert r.json()["message"] == f"{kind} cannot be converted to String"
    assert "Item" not in c.get_item(TableName="wire", Key={"id": {"S": "a"}})
    # Attribute *names* S, N and B are ordinary: their values are AttributeValue objects.
    item = {"id": {"S": "a"}, "S": {"S": "x"}, "N": {"M": {"B": {"N": "1"}}}}
    assert raw(eddy, "PutItem", {"TableName": "wire", "Item": item}).status_code == 200
    assert c.get_item(TableName="wire", Key={"id": {"S": "a"}})["Item"] == item


def test_string_or_boolean_where_an_integer_belongs_is_a_serialization_error(eddy):
    c = client(eddy)
    hash_table(c, "wire")
    cases = [
        ("Scan", {"TableName": "wire", "Limit": "5"}, "STRING_VALUE"),
        ("Query", {"TableName": "wire", "KeyConditionExpression": "id = :v",
                   "ExpressionAttributeValues": {":v": {"S": "a"}}, "Limit": True}, "TRUE_VALUE"),
        ("Scan", {"TableName": "wire", "Segment": "1", "TotalSegments": 2}, "STRING_VALUE"),
        ("Scan", {"TableName": "wire", "Segment": 0, "TotalSegments": "2"}, "STRING_VALUE"),
        ("ListTables", {"Limit": "10"}, "STRING_VALUE"),
    ]
    for op, body, kind in cases:
        r = raw(eddy, op, body)
        assert r.status_code == 400
        assert r.json()["__type"].endswith("#SerializationException")
        assert r.json()["message"] == f"{kind} cannot be converted to Integer"


# ---- nesting depth -------------------------------------------------------------------


def nested_maps(n, inner):
    """n maps, one inside the other, around `inner` (an AttributeValue)."""
    v = inner
    for _ in range(n):
        v = {"M": {"a": v}}
    return v


def test_nesting_counts_every_value_up_to_32_levels(eddy):
    # DynamoDB counts each value as a level, the innermost scalar included:
    # 31 maps around a string (32 levels) are stored, 32 maps around it are not.
    c = client(eddy)
    hash_table(c, "deep")
    c.put_item(TableName="deep", Item={"id": {"S": "ok"}, "d": nested_maps(31, {"S": "x"})})
    c.put_item(TableName="deep", Item={"id": {"S": "empty"}, "d": nested_maps(31, {"M": {}})})
    got = c.get_item(TableName="deep", Key={"id": {"S": "ok"}})["Item"]["d"]
    assert got == nested_maps(31, {"S": "x"})
    code, msg = error_of(c.put_item, TableName="deep",
                         Item={"id": {"S": "bad"}, "d": nested_maps(32, {"S": "x"})})
    assert code == "ValidationException"
    assert msg == ("1 validation error detected: Nesting Levels have exceeded supported limits: "
                   "Attributes in the item have nested levels beyond supported limit")
    assert "Item" not in c.get_item(TableName="deep", Key={"id": {"S": "bad"}})


# ---- U+0000 -----------------------------------------------------------------------


def test_a_string_holding_u0000_is_refused_not_cut(eddy):
    # cJSON keeps strings NUL-terminated, so eddy cannot store U+0000: it
    # refuses the request with a clear message instead of storing the string
    # cut at the NUL (DynamoDB itself accepts the character).
    c = client(eddy)
    hash_table(c, "nul")
    msg = ("One or more parameter values were invalid: eddy does not support the character "
           "U+0000 in strings")
    for text in ('{"TableName":"nul","Item":{"id":{"S":"a\\u0000b"}}}',
                 '{"TableName":"nul","Item":{"id":{"S":"k"},"v":{"SS":["x","\\u0000"]}}}',
                 '{"TableName":"nul","Item":{"id":{"S":"k"},"v":{"S":"\\\\\\u0000"}}}'):
        r = requests.post(eddy.url, data=text, headers={
            "X-Amz-Target": "DynamoDB_20120810.PutItem",
            "Content-Type": "application/x-amz-json-1.0"})
        assert r.status_code == 400, text
        assert r.json()["__type"].endswith("#ValidationException")
        assert r.json()["message"] == msg
    assert c.scan(TableName="nul")["Items"] == []
    # A literal backslash before "u0000" is six ordinary characters.
    r = raw(eddy, "PutItem", {"TableName": "nul", "Item": {"id": {"S": "k"},
                                                          "v": {"S": "\\u0000"}}})
    assert r.status_code == 200
    got = c.get_item(TableName="nul", Key={"id": {"S": "k"}})["Item"]["v"]["S"]
    assert got == "\\u0000" and len(got) == 6
