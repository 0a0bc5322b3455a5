# SPDX-License-Identifier: MIT
# ConditionExpression and legacy Expected on PutItem, UpdateItem and
# DeleteItem through boto3: create-only puts, optimistic version checks,
# ConditionalCheckFailedException (with ReturnValuesOnConditionCheckFailure),
# and the expression engine's validation messages as ValidationException.
import json

import requests
import pytest
from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from ddbtest import client as ddb_client, hash_table, resource

# PutItem, UpdateItem and DeleteItem report refused expressions inside the request-
# validation envelope, as DynamoDB does.
ENVELOPE = "1 validation error detected: "
FAILED = ("ConditionalCheckFailedException", "The conditional request failed")


@pytest.fixture
def ddb(eddy):
    return hash_table(ddb_client(eddy), "ctb", "pk")


@pytest.fixture
def table(eddy, ddb):
    return resource(eddy).Table("ctb")


def err(exc):
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_create_only_put(table):
    table.put_item(Item={"pk": "a", "v": 1}, ConditionExpression=Attr("pk").not_exists())
    with pytest.raises(ClientError) as e:
        table.put_item(Item={"pk": "a", "v": 2}, ConditionExpression=Attr("pk").not_exists())
    assert err(e) == FAILED
    assert table.get_item(Key={"pk": "a"})["Item"]["v"] == 1


def test_version_check_update(table):
    table.put_item(Item={"pk": "a", "ver": 1, "body": "one"})
    table.update_item(Key={"pk": "a"}, UpdateExpression="SET ver = ver + :one, body = :b",
                      ConditionExpression=Attr("ver").eq(1),
                      ExpressionAttributeValues={":one": 1, ":b": "two"})
    with pytest.raises(ClientError) as e:
        table.update_item(Key={"pk": "a"}, UpdateExpression="SET ver = ver + :one, body = :b",
                          ConditionExpression=Attr("ver").eq(1),
                          ExpressionAttributeValues={":one": 1, ":b": "stale"})
    assert err(e) == FAILED
    assert table.get_item(Key={"pk": "a"})["Item"] == {"pk": "a", "ver": 2, "body": "two"}


def test_update_condition_on_absent_item(table):
    with pytest.raises(ClientError) as e:
        table.update_item(Key={"pk": "nope"}, UpdateExpression="SET v = :v",
                          ConditionExpression=Attr("pk").exists(), ExpressionAttributeValues={":v": 1})
    assert err(e) == FAILED
    assert "Item" not in table.get_item(Key={"pk": "nope"})


def test_delete_condition(table):
    table.put_item(Item={"pk": "a", "state": "live", "tags": {"x", "y"}})
    with pytest.raises(ClientError) as e:
        table.delete_item(Key={"pk": "a"}, ConditionExpression=Attr("state").eq("dead"))
    assert err(e) == FAILED
    table.delete_item(Key={"pk": "a"}, ConditionExpression=Attr("state").eq("live") &
                      Attr("tags").contains("x") & Attr("state").size().eq(4))
    assert "Item" not in table.get_item(Key={"pk": "a"})


def test_return_values_on_condition_check_failure(eddy, ddb):
    # Debian's botocore predates this parameter: speak the wire protocol directly.
    ddb.put_item(TableName="ctb", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    r = requests.post(eddy.url, headers={"X-Amz-Target": "DynamoDB_20120810.PutItem",
                                         "Content-Type": "application/x-amz-json-1.0"},
                      data=json.dumps({"TableName": "ctb", "Item": {"pk": {"S": "a"}},
                                       "ConditionExpression": "v = :two",
                                       "ExpressionAttributeValues": {":two": {"N": "2"}},
                                       "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}))
    assert r.status_code == 400
    body = r.json()
    assert body["__type"].endswith("#ConditionalCheckFailedException")
    assert body["Item"] == {"pk": {"S": "a"}, "v": {"N": "1"}}


def test_legacy_expected(ddb):
    item = {"pk": {"S": "a"}, "v": {"N": "1"}}
    ddb.put_item(TableName="ctb", Item=item, Expected={"pk": {"Exists": False}})
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="ctb", Item=item, Expected={"pk": {"Exists": False}})
    assert err(e) == FAILED
    ddb.put_item(TableName="ctb", Item={"pk": {"S": "a"}, "v": {"N": "2"}},
                 Expected={"v": {"Value": {"N": "1"}}})
    with pytest.raises(ClientError) as e:
        ddb.delete_item(TableName="ctb", Key={"pk": {"S": "a"}},
                        Expected={"v": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "5"}]}})
    assert err(e) == FAILED
    ddb.delete_item(TableName="ctb", Key={"pk": {"S": "a"}},
                    Expected={"v": {"ComparisonOperator": "BETWEEN",
                                    "AttributeValueList": [{"N": "1"}, {"N": "3"}]}})
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="ctb", Item=item, Expected={"pk": {"Exists": False}},
                     ConditionExpression="attribute_not_exists(pk)")
    assert err(e)[0] == "ValidationException"
    assert "Can not use both expression and non-expression parameters" in err(e)[1]


V = {":v": {"S": "x"}}
VALIDATION = [
    (dict(ConditionExpression="v = "), "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \""),
    (dict(ConditionExpression="v = :v :v", ExpressionAttributeValues=V),
     "Invalid ConditionExpression: Syntax error; token: \":v\", near: \":v :v\""),
    (dict(ConditionExpression="#q = :v", ExpressionAttributeValues=V),
     "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; "
     "attribute name: #q"),
    (dict(ConditionExpression="v = :w", ExpressionAttributeValues=V),
     "Invalid ConditionExpression: An expression attribute value used in expression is not defined; "
     "attribute value: :w"),
    (dict(ConditionExpression="attribute_exists(v)", ExpressionAttributeValues=V),
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}"),
    (dict(ConditionExpression="attribute_exists(v)", ExpressionAttributeNames={"#a": "a"}),
     "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}"),
    (dict(ConditionExpression="name = :v", ExpressionAttributeValues=V),
     "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name"),
    (dict(ConditionExpression="attribute_type(v, :v)", ExpressionAttributeValues=V),
     "Invalid ConditionExpression: Invalid attribute type name found; type: x, valid types: "
     "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}"),
    (dict(ConditionExpression="nofunc(v)"), "Invalid ConditionExpression: Invalid function name; function: nofunc"),
    (dict(ConditionExpression="size(v)"),
     "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; "
     "function: size"),
    (dict(ConditionExpression="v BETWEEN :b AND :a",
          ExpressionAttributeValues={":a": {"N": "1"}, ":b": {"N": "2"}}),
     "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to "
     "lower bound; lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {N:1}"),
    (dict(ConditionExpression="begins_with(v, :n)", ExpressionAttributeValues={":n": {"N": "1"}}),
     "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: "
     "begins_with, operand type: N"),
]


@pytest.mark.parametrize("kw,msg", VALIDATION)
def test_validation_messages(ddb, kw, msg):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="ctb", Item={"pk": {"S": "a"}}, **kw)
    assert err(e) == ("ValidationException", ENVELOPE + msg)
