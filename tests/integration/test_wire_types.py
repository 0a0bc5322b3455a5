# SPDX-License-Identifier: MIT
# The AWS JSON 1.0 decoder's type checks (gateway/wire.c) on the DynamoDB and
# the DynamoDB Streams front doors: a value of the wrong JSON kind, at the top
# level or anywhere inside a typed structure, list, map or AttributeValue, is
# a SerializationException with the decoder's message, before any
# validation; JSON null reads as an absent member.
import json

import pytest
import requests

from ddbtest import call, client, hash_table, kind, ok

STRING = [(True, "TRUE_VALUE cannot be converted to String"),
          (False, "FALSE_VALUE cannot be converted to String"),
          (23, "NUMBER_VALUE cannot be converted to String"),
          (-2147483648, "NUMBER_VALUE cannot be converted to String"),
          (34.56, "DECIMAL_VALUE cannot be converted to String"),
          ([], "Unrecognized collection type class java.lang.String"),
          ({}, "Start of structure or map found where not expected")]
BOOLEAN = [("23", "Unexpected token received from parser"),
           (23, "NUMBER_VALUE cannot be converted to Boolean"),
           (34.56, "DECIMAL_VALUE cannot be converted to Boolean"),
           ([], "Unrecognized collection type class java.lang.Boolean"),
           ({}, "Start of structure or map found where not expected")]
INTEGER = [("23", "STRING_VALUE cannot be converted to Integer"),
           (True, "TRUE_VALUE cannot be converted to Integer"),
           (False, "FALSE_VALUE cannot be converted to Integer"),
           ([], "Unrecognized collection type class java.lang.Integer"),
           ({}, "Start of structure or map found where not expected")]

# (operation, member, cases): one member of each type on several operations.
DDB_CASES = [("DescribeTable", "TableName", STRING),
             ("GetItem", "ProjectionExpression", STRING),
             ("Query", "IndexName", STRING),
             ("PutItem", "ReturnValues", STRING),
             ("Scan", "Select", STRING),
             ("UpdateItem", "UpdateExpression", STRING),
             ("TransactWriteItems", "ClientRequestToken", STRING),
             ("ListTables", "ExclusiveStartTableName", STRING),
             ("ListTagsOfResource", "ResourceArn", STRING),
             ("GetItem", "ConsistentRead", BOOLEAN),
             ("Query", "ScanIndexForward", BOOLEAN),
             ("CreateTable", "DeletionProtectionEnabled", BOOLEAN),
             ("ListTables", "Limit", INTEGER),
             ("Scan", "TotalSegments", INTEGER)]


def cases(table, target="DynamoDB_20120810."):
    """(target, body, message) of each wrong value of each (op, member, values)."""
    return [(target + op, {member: value}, msg) for op, member, vals in table
            for value, msg in vals]


def serialization_message(e, target, body):
    """The message of the SerializationException `body` sent as `target` must get."""
    r = requests.post(e.url, data=json.dumps(body),
                      headers={"X-Amz-Target": target,
                               "Content-Type": "application/x-amz-json-1.0"})
    assert r.status_code == 400, r.text
    j = r.json()
    assert j["__type"] == "com.amazon.coral.service#SerializationException", j
    assert set(j) == {"__type", "message"}, j
    return j["message"]


def test_the_first_offending_member_in_the_order_sent_is_named(eddy):
    text = '{"TableName": 5, "Key": {"pk": {"S": true}}}'
    assert call(eddy, "GetItem", None, text=text)[1]["message"] == \
        "NUMBER_VALUE cannot be converted to String"
    text = '{"Key": {"pk": {"S": true}}, "TableName": 5}'
    assert call(eddy, "GetItem", None, text=text)[1]["message"] == \
        "TRUE_VALUE cannot be converted to String"


def test_a_null_member_reads_as_absent(eddy):
    c = client(eddy)
    hash_table(c, "nulls")
    ok(eddy, "PutItem", {"TableName": "nulls", "Item": {"pk": {"S": "a"}}})
    assert ok(eddy, "ListTables", {"Limit": None}) == {"TableNames": ["nulls"]}
    got = ok(eddy, "GetItem", {"TableName": "nulls", "Key": {"pk": {"S": "a"}},
                               "ConsistentRead": None, "ProjectionExpression": None})
    assert got == {"Item": {"pk": {"S": "a"}}}
    r = requests.post(eddy.url, data='{"Limit": null}',
                      headers={"X-Amz-Target": "DynamoDBStreams_20120810.ListStreams",
                               "Content-Type": "application/x-amz-json-1.0"})
    assert r.status_code == 200 and r.json() == {"Streams": []}
    status, j = call(eddy, "DescribeTable", {"TableName": None})
    assert status == 400 and kind(j) == "ValidationException"
    assert "Value null at 'tableName'" in j["message"]


def test_members_of_the_right_kind_pass(eddy):
    c = client(eddy)
    hash_table(c, "fine")
    assert ok(eddy, "Scan", {"TableName": "fine", "Limit": 5, "ConsistentRead": True,
                             "Select": "COUNT"})["Count"] == 0


STREAMS_CASES = [("ListStreams", "TableName", STRING),
                 ("ListStreams", "ExclusiveStartStreamArn", STRING),
                 ("ListStreams", "Limit", INTEGER),
                 ("DescribeStream", "StreamArn", STRING),
                 ("DescribeStream", "ExclusiveStartShardId", STRING),
                 ("GetShardIterator", "ShardId", STRING),
                 ("GetShardIterator", "ShardIteratorType", STRING),
                 ("GetShardIterator", "SequenceNumber", STRING),
                 ("GetRecords", "ShardIterator", STRING)]




NS = "com.amazonaws.dynamodb.v20120810."
AV_MAP = "Unrecognized collection type java.util.Map<java.lang.String, " + NS + "AttributeValue>"
AV_CLASS = "Unrecognized collection type class " + NS + "AttributeValue"
START = "Start of structure or map found where not expected"


def put(item):
    return {"TableName": "abc", "Item": item}


# (operation, body, message): containers of the wrong kind, and
# AttributeValues whose members are, at any depth.
CONTAINER_CASES = [
    ("PutItem", put("x"), "Unexpected field type"),
    ("PutItem", put(23), "Unexpected field type"),
    ("PutItem", put([]), AV_MAP),
    ("PutItem", put({"a": "x"}), "Unexpected value type in payload"),
    ("PutItem", put({"a": 23}), "Unexpected value type in payload"),
    ("PutItem", put({"a": []}), AV_CLASS),
    ("PutItem", put({"a": {"B": 5}}), "only base-64-encoded strings are convertible to bytes"),
    ("PutItem", put({"a": {"B": True}}), "only base-64-encoded strings are convertible to bytes"),
    ("PutItem", put({"a": {"B": []}}), "Unrecognized collection type class java.nio.ByteBuffer"),
    ("PutItem", put({"a": {"B": {}}}), START),
    ("PutItem", put({"a": {"B": "23456"}}),
     "Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
    ("PutItem", put({"a": {"B": "=+/="}}), "Invalid last non-pad Base64 character dectected"),
    ("PutItem", put({"a": {"B": "+/+="}}), "Invalid last non-pad Base64 character dectected"),
    ("PutItem", put({"a": {"BOOL": "23"}}), "Unexpected token received from parser"),
    ("PutItem", put({"a": {"NULL": 23}}), "NUMBER_VALUE cannot be converted to Boolean"),
    ("PutItem", put({"a": {"S": 34.56}}), "DECIMAL_VALUE cannot be converted to String"),
    ("PutItem", put({"a": {"N": []}}), "Unrecognized collection type class java.lang.String"),
    ("PutItem", put({"a": {"SS": "x"}}), "Unexpected field type"),
    ("PutItem", put({"a": {"SS": {}}}), START),
    ("PutItem", put({"a": {"NS": [True]}}), "TRUE_VALUE cannot be converted to String"),
    ("PutItem", put({"a": {"BS": [23]}}), "only base-64-encoded strings are convertible to bytes"),
    ("PutItem", put({"a": {"L": {}}}), START),
    ("PutItem", put({"a": {"L": ["x"]}}), "Unexpected value type in payload"),
    ("PutItem", put({"a": {"L": [{"M": {"b": {"BS": [5]}}}]}}),
     "only base-64-encoded strings are convertible to bytes"),
    ("PutItem", put({"a": {"M": []}}), AV_MAP),
    ("PutItem", put({"a": {"M": {"b": 5}}}), "Unexpected value type in payload"),
    ("GetItem", {"TableName": "abc", "Key": "x"}, "Unexpected field type"),
    ("Query", {"TableName": "abc", "ExclusiveStartKey": []}, AV_MAP),
    ("Query", {"TableName": "abc", "ExpressionAttributeValues": {":v": {"BOOL": 1}}},
     "NUMBER_VALUE cannot be converted to Boolean"),
    ("Query", {"TableName": "abc", "ExpressionAttributeNames": []},
     "Unrecognized collection type java.util.Map<java.lang.String, java.lang.String>"),
    ("Query", {"TableName": "abc", "KeyConditions": "x"}, "Unexpected field type"),
    ("Query", {"TableName": "abc", "KeyConditions": []},
     "Unrecognized collection type java.util.Map<java.lang.String, " + NS + "Condition>"),
    ("Query", {"TableName": "abc", "KeyConditions": {"a": "x"}}, "Unexpected value type in payload"),
    ("Query", {"TableName": "abc", "KeyConditions": {"a": []}},
     "Unrecognized collection type class " + NS + "Condition"),
    ("PutItem", {"TableName": "abc", "Expected": "x"}, "Unexpected field type"),
    ("PutItem", {"TableName": "abc", "Expected": {"a": {"Value": {"B": 5}}}},
     "only base-64-encoded strings are convertible to bytes"),
    ("UpdateItem", {"TableName": "abc", "AttributeUpdates": []},
     "Unrecognized collection type java.util.Map<java.lang.String, " + NS
     + "AttributeValueUpdate>"),
    ("CreateTable", {"TableName": "abc", "KeySchema": "x"}, "Unexpected field type"),
    ("CreateTable", {"TableName": "abc", "AttributeDefinitions": {}}, START),
    ("CreateTable", {"TableName": "abc", "ProvisionedThroughput": "x"}, "Unexpected field type"),
    ("CreateTable", {"TableName": "abc", "ProvisionedThroughput": []},
     "Unrecognized collection type class " + NS + "ProvisionedThroughput"),
    ("UpdateTable", {"TableName": "abc", "StreamSpecification": 5}, "Unexpected field type"),
    ("UpdateTimeToLive", {"TableName": "abc", "TimeToLiveSpecification": []},
     "Unrecognized collection type class " + NS + "TimeToLiveSpecification"),
    ("GetItem", {"TableName": "abc", "AttributesToGet": "a"}, "Unexpected field type"),
]


def test_well_formed_values_of_every_kind_are_stored(eddy):
    c = client(eddy)
    hash_table(c, "kinds")
    item = {"pk": {"S": "k"}, "b": {"B": "Yg=="}, "b2": {"B": "YWI="}, "t": {"BOOL": False},
            "z": {"NULL": True}, "bs": {"BS": ["YQ==", "Yg=="]}, "n": {"N": "1"},
            "l": {"L": [{"M": {"x": {"SS": ["a"]}}}]}, "m": {"M": {"y": {"NS": ["2"]}}}}
    ok(eddy, "PutItem", {"TableName": "kinds", "Item": item})
    got = ok(eddy, "GetItem", {"TableName": "kinds", "Key": {"pk": {"S": "k"}}})["Item"]
    assert got == item


KS = "Unrecognized collection type class " + NS
NESTED_CASES = [
    ("CreateTable", {"KeySchema": [{"AttributeName": 5}]},
     "NUMBER_VALUE cannot be converted to String"),
    ("CreateTable", {"KeySchema": ["x"]}, "Unexpected value type in payload"),
    ("CreateTable", {"KeySchema": [[]]}, KS + "KeySchemaElement"),
    ("CreateTable", {"AttributeDefinitions": [{"AttributeType": True}]},
     "TRUE_VALUE cannot be converted to String"),
    ("CreateTable", {"ProvisionedThroughput": {"ReadCapacityUnits": "23"}},
     "STRING_VALUE cannot be converted to Long"),
    ("CreateTable", {"ProvisionedThroughput": {"WriteCapacityUnits": []}},
     "Unrecognized collection type class java.lang.Long"),
    ("CreateTable", {"StreamSpecification": {"StreamEnabled": "23"}},
     "Unexpected token received from parser"),
    ("CreateTable", {"GlobalSecondaryIndexes": [{"Projection": {"NonKeyAttributes": [5]}}]},
     "NUMBER_VALUE cannot be converted to String"),
    ("CreateTable", {"GlobalSecondaryIndexes": [{"Projection": "x"}]}, "Unexpected field type"),
    ("CreateTable", {"LocalSecondaryIndexes": [{"KeySchema": [{"KeyType": 34.56}]}]},
     "DECIMAL_VALUE cannot be converted to String"),
    ("CreateTable", {"Tags": [{"Value": False}]}, "FALSE_VALUE cannot be converted to String"),
    ("UpdateTable", {"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": 5}}]},
     "NUMBER_VALUE cannot be converted to String"),
    ("UpdateTable", {"GlobalSecondaryIndexUpdates": [{"Update": []}]},
     KS + "UpdateGlobalSecondaryIndexAction"),
    ("UpdateTimeToLive", {"TimeToLiveSpecification": {"Enabled": 1}},
     "NUMBER_VALUE cannot be converted to Boolean"),
    ("Query", {"KeyConditions": {"a": {"ComparisonOperator": 5}}},
     "NUMBER_VALUE cannot be converted to String"),
    ("Query", {"KeyConditions": {"a": {"AttributeValueList": [{"S": 5}]}}},
     "NUMBER_VALUE cannot be converted to String"),
    ("Scan", {"ScanFilter": {"a": {"AttributeValueList": ["x"]}}},
     "Unexpected value type in payload"),
    ("PutItem", {"Expected": {"a": {"Exists": "23"}}}, "Unexpected token received from parser"),
    ("PutItem", {"Expected": {"a": {"Value": "x"}}}, "Unexpected field type"),
    ("PutItem", {"Expected": {"a": {"Value": []}}}, KS + "AttributeValue"),
    ("UpdateItem", {"AttributeUpdates": {"a": {"Value": {"NULL": "23"}}}},
     "Unexpected token received from parser"),
    ("UpdateItem", {"AttributeUpdates": {"a": {"Action": 5}}},
     "NUMBER_VALUE cannot be converted to String"),
]


def test_well_formed_nested_structures_pass_the_decoder(eddy):
    c = client(eddy)
    c.create_table(
        TableName="shapes", BillingMode="PROVISIONED",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        GlobalSecondaryIndexes=[{"IndexName": "gix",
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "INCLUDE",
                                                "NonKeyAttributes": ["x"]},
                                 "ProvisionedThroughput": {"ReadCapacityUnits": 1,
                                                           "WriteCapacityUnits": 1}}],
        Tags=[{"Key": "k", "Value": "v"}])
    c.put_item(TableName="shapes", Item={"pk": {"S": "a"}, "n": {"N": "1"}},
               Expected={"pk": {"Exists": False}})
    c.update_item(TableName="shapes", Key={"pk": {"S": "a"}},
                  AttributeUpdates={"n": {"Action": "ADD", "Value": {"N": "2"}}})
    got = c.query(TableName="shapes", KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}})
    assert got["Items"] == [{"pk": {"S": "a"}, "n": {"N": "3"}}]


CAST = ("class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to "
        "class java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and "
        "java.lang.Class are in module java.base of loader 'bootstrap')")
BATCH_CASES = [
    ("BatchWriteItem", {"RequestItems": "x"}, "Unexpected field type"),
    ("BatchWriteItem", {"RequestItems": []},
     "Unrecognized collection type java.util.Map<java.lang.String, java.util.List<" + NS
     + "WriteRequest>>"),
    ("BatchWriteItem", {"RequestItems": {"abc": "x"}}, CAST),
    ("BatchWriteItem", {"RequestItems": {"abc": 23}}, CAST),
    ("BatchWriteItem", {"RequestItems": {"abc": {}}}, START),
    ("BatchWriteItem", {"RequestItems": {"abc": ["x"]}}, "Unexpected value type in payload"),
    ("BatchWriteItem", {"RequestItems": {"abc": [[]]}}, KS + "WriteRequest"),
    ("BatchWriteItem", {"RequestItems": {"abc": [{"PutRequest": "x"}]}}, "Unexpected field type"),
    ("BatchWriteItem", {"RequestItems": {"abc": [{"DeleteRequest": []}]}}, KS + "DeleteRequest"),
    ("BatchWriteItem", {"RequestItems": {"abc": [{"PutRequest": {"Item": []}}]}}, AV_MAP),
    ("BatchWriteItem", {"RequestItems": {"abc": [{"PutRequest": {"Item": {"a": {"B": 5}}}}]}},
     "only base-64-encoded strings are convertible to bytes"),
    ("BatchGetItem", {"RequestItems": "x"}, "Unexpected field type"),
    ("BatchGetItem", {"RequestItems": []},
     "Unrecognized collection type java.util.Map<java.lang.String, " + NS + "KeysAndAttributes>"),
    ("BatchGetItem", {"RequestItems": {"abc": "x"}}, "Unexpected value type in payload"),
    ("BatchGetItem", {"RequestItems": {"abc": []}}, KS + "KeysAndAttributes"),
    ("BatchGetItem", {"RequestItems": {"abc": {"Keys": "x"}}}, "Unexpected field type"),
    ("BatchGetItem", {"RequestItems": {"abc": {"Keys": ["x"]}}}, CAST),
    ("BatchGetItem", {"RequestItems": {"abc": {"Keys": [[]]}}}, AV_MAP),
    ("BatchGetItem", {"RequestItems": {"abc": {"Keys": [{"a": "x"}]}}},
     "Unexpected value type in payload"),
    ("BatchGetItem", {"RequestItems": {"abc": {"ConsistentRead": "23"}}},
     "Unexpected token received from parser"),
    ("BatchGetItem", {"RequestItems": {"abc": {"AttributesToGet": [5]}}},
     "NUMBER_VALUE cannot be converted to String"),
]


def test_well_formed_batches_pass_the_decoder(eddy):
    c = client(eddy)
    hash_table(c, "bat")
    ok(eddy, "BatchWriteItem", {"RequestItems": {"bat": [
        {"PutRequest": {"Item": {"pk": {"S": "a"}, "b": {"B": "Yg=="}}}},
        {"PutRequest": {"Item": {"pk": {"S": "b"}}}},
        {"DeleteRequest": {"Key": {"pk": {"S": "c"}}}}]}})
    got = ok(eddy, "BatchGetItem", {"RequestItems": {"bat": {
        "Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}], "ConsistentRead": True}}})
    assert sorted(i["pk"]["S"] for i in got["Responses"]["bat"]) == ["a", "b"]


def action(kind, **members):
    return [{kind: dict(TableName="abc", **members)}]


TRANSACT_CASES = [
    ("TransactWriteItems", {"TransactItems": "x"}, "Unexpected field type"),
    ("TransactWriteItems", {"TransactItems": ["x"]}, "Unexpected value type in payload"),
    ("TransactWriteItems", {"TransactItems": [[]]}, KS + "TransactWriteItem"),
    ("TransactWriteItems", {"TransactItems": [{"Put": []}]}, KS + "Put"),
    ("TransactWriteItems", {"TransactItems": action("Put", Item={"a": {"N": 5}})},
     "NUMBER_VALUE cannot be converted to String"),
    ("TransactWriteItems", {"TransactItems": action("Update", Key={"a": {"S": "k"}},
                                                    UpdateExpression=5)},
     "NUMBER_VALUE cannot be converted to String"),
    ("TransactWriteItems", {"TransactItems": action("Delete", Key={"a": {"S": "k"}},
                                                    ExpressionAttributeNames={"#a": True})},
     "TRUE_VALUE cannot be converted to String"),
    ("TransactWriteItems", {"TransactItems": action(
        "ConditionCheck", Key={"a": {"S": "k"}}, ExpressionAttributeValues={":v": {"BS": [1]}})},
     "only base-64-encoded strings are convertible to bytes"),
    ("TransactGetItems", {"TransactItems": [{"Get": "x"}]}, "Unexpected field type"),
    ("TransactGetItems", {"TransactItems": action("Get", Key={"a": {"L": ["x"]}})},
     "Unexpected value type in payload"),
]


def body_cases(table, target="DynamoDB_20120810.", **extra):
    return [(target + op, dict(extra, **body), msg) for op, body, msg in table]


@pytest.mark.parametrize("target,body,msg", [
    *cases(DDB_CASES), *cases(STREAMS_CASES, "DynamoDBStreams_20120810."),
    *body_cases(CONTAINER_CASES), *body_cases(NESTED_CASES, TableName="abc"),
    *body_cases(BATCH_CASES), *body_cases(TRANSACT_CASES)])
def test_a_value_of_the_wrong_kind_is_a_serialization_error(eddy, target, body, msg):
    assert serialization_message(eddy, target, body) == msg


def test_well_formed_transactions_pass_the_decoder(eddy):
    c = client(eddy)
    hash_table(c, "txn")
    ok(eddy, "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "txn", "Item": {"pk": {"S": "a"}, "b": {"BS": ["Yg=="]}},
                 "ConditionExpression": "attribute_not_exists(#p)",
                 "ExpressionAttributeNames": {"#p": "pk"}}},
        {"Update": {"TableName": "txn", "Key": {"pk": {"S": "b"}}, "UpdateExpression": "SET n = :n",
                    "ExpressionAttributeValues": {":n": {"N": "1"}}}}]})
    got = ok(eddy, "TransactGetItems", {"TransactItems": [
        {"Get": {"TableName": "txn", "Key": {"pk": {"S": "a"}}, "ProjectionExpression": "b"}}]})
    assert got["Responses"] == [{"Item": {"b": {"BS": ["Yg=="]}}}]
