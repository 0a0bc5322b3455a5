# SPDX-License-Identifier: MIT
# The AWS JSON 1.0 decoder's type checks on top-level scalar members, on the
# DynamoDB and the DynamoDB Streams front doors: a value of the wrong JSON
# kind is a SerializationException naming the token found and the Java type
# wanted, before any validation; JSON null reads as an absent member.
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


def cases(table):
    return [(op, member, value, msg) for op, member, vals in table for value, msg in vals]


@pytest.mark.parametrize("op,member,value,msg", cases(DDB_CASES))
def test_a_dynamodb_member_of_the_wrong_kind_is_a_serialization_error(eddy, op, member, value, msg):
    status, j = call(eddy, op, {member: value})
    assert status == 400
    assert j == {"__type": "com.amazon.coral.service#SerializationException", "message": msg}


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


@pytest.mark.parametrize("op,member,value,msg", cases(STREAMS_CASES))
def test_a_streams_member_of_the_wrong_kind_is_a_serialization_error(eddy, op, member, value, msg):
    r = requests.post(eddy.url, data=json.dumps({member: value}),
                      headers={"X-Amz-Target": "DynamoDBStreams_20120810." + op,
                               "Content-Type": "application/x-amz-json-1.0"})
    assert r.status_code == 400
    assert r.json() == {"__type": "com.amazon.coral.service#SerializationException",
                        "message": msg}
