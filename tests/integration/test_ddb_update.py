# SPDX-License-Identifier: MIT
# UpdateItem through boto3 (low-level client and Table resource): SET with
# arithmetic, if_not_exists, list_append and nested paths, REMOVE, ADD and
# DELETE on numbers and sets, every ReturnValues, creating an absent item,
# refusing key updates, and the legacy AttributeUpdates parameter.
import pytest
from botocore.exceptions import ClientError

from ddbtest import client as ddb_client, hash_table, resource

# PutItem, UpdateItem and DeleteItem report refused expressions inside the request-
# validation envelope, as DynamoDB does.
ENVELOPE = "1 validation error detected: "


@pytest.fixture
def ddb(eddy):
    return hash_table(ddb_client(eddy), "utb", "pk")


@pytest.fixture
def table(eddy, ddb):
    return resource(eddy).Table("utb")


def err(exc):
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_set_arithmetic_and_functions(table):
    table.put_item(Item={"pk": "a", "n": 10, "l": [1], "m": {"in": {"x": 1}}})
    r = table.update_item(
        Key={"pk": "a"},
        UpdateExpression="SET n = n + :one, d = n - :two, c = if_not_exists(c, :zero), "
                         "l = list_append(l, :more), m.#in.y = :y, m.#in.x = m.#in.x + :one",
        ExpressionAttributeNames={"#in": "in"},
        ExpressionAttributeValues={":one": 1, ":two": 2, ":zero": 0, ":more": [2, 3], ":y": "why"},
        ReturnValues="ALL_NEW")
    assert r["Attributes"] == {"pk": "a", "n": 11, "d": 8, "c": 0, "l": [1, 2, 3],
                               "m": {"in": {"x": 2, "y": "why"}}}
    r = table.update_item(Key={"pk": "a"}, UpdateExpression="SET c = if_not_exists(c, :v), "
                          "l = list_append(:front, l)",
                          ExpressionAttributeValues={":v": 99, ":front": [0]}, ReturnValues="UPDATED_NEW")
    assert r["Attributes"] == {"c": 0, "l": [0, 1, 2, 3]}


def test_set_list_index_and_remove(table):
    table.put_item(Item={"pk": "a", "l": ["x", "y", "z"], "gone": 1, "m": {"k": 1, "j": 2}})
    table.update_item(Key={"pk": "a"}, UpdateExpression="SET l[1] = :v REMOVE gone, m.k, l[0]",
                      ExpressionAttributeValues={":v": "Y"})
    assert table.get_item(Key={"pk": "a"})["Item"] == {"pk": "a", "l": ["Y", "z"], "m": {"j": 2}}


def test_add_and_delete(table):
    table.put_item(Item={"pk": "a", "n": 5, "ss": {"a", "b"}})
    table.update_item(Key={"pk": "a"}, UpdateExpression="ADD n :d, ss :more, fresh :one, ns :ns",
                      ExpressionAttributeValues={":d": -2, ":more": {"c"}, ":one": 1, ":ns": {1, 2}})
    item = table.get_item(Key={"pk": "a"})["Item"]
    assert item["n"] == 3 and item["ss"] == {"a", "b", "c"} and item["fresh"] == 1
    assert item["ns"] == {1, 2}
    table.update_item(Key={"pk": "a"}, UpdateExpression="DELETE ss :x, ns :all",
                      ExpressionAttributeValues={":x": {"a", "zz"}, ":all": {1, 2}})
    item = table.get_item(Key={"pk": "a"})["Item"]
    assert item["ss"] == {"b", "c"} and "ns" not in item


def test_every_return_values(table):
    table.put_item(Item={"pk": "a", "x": 1, "y": 2})
    u = lambda rv: table.update_item(Key={"pk": "a"}, UpdateExpression="SET x = x + :o",
                                     ExpressionAttributeValues={":o": 1}, ReturnValues=rv)
    assert "Attributes" not in u("NONE")
    assert u("ALL_OLD")["Attributes"] == {"pk": "a", "x": 3 - 1, "y": 2}
    assert u("UPDATED_OLD")["Attributes"] == {"x": 3}
    assert u("ALL_NEW")["Attributes"] == {"pk": "a", "x": 5, "y": 2}
    assert u("UPDATED_NEW")["Attributes"] == {"x": 6}
    with pytest.raises(ClientError) as e:
        u("EVERYTHING")
    assert err(e)[0] == "ValidationException"


def test_creates_absent_item(table):
    r = table.update_item(Key={"pk": "new"}, UpdateExpression="SET v = :v",
                          ExpressionAttributeValues={":v": "hi"}, ReturnValues="ALL_OLD")
    assert "Attributes" not in r
    assert table.get_item(Key={"pk": "new"})["Item"] == {"pk": "new", "v": "hi"}
    table.update_item(Key={"pk": "new2"})
    assert table.get_item(Key={"pk": "new2"})["Item"] == {"pk": "new2"}


def test_refuses_key_update(table):
    with pytest.raises(ClientError) as e:
        table.update_item(Key={"pk": "a"}, UpdateExpression="SET pk = :v",
                          ExpressionAttributeValues={":v": "b"})
    assert err(e) == ("ValidationException",
                      "One or more parameter values were invalid: Cannot update attribute pk. "
                      "This attribute is part of the key")


def test_operand_type_errors(table):
    table.put_item(Item={"pk": "a", "s": "str", "l": [1]})
    with pytest.raises(ClientError) as e:
        table.update_item(Key={"pk": "a"}, UpdateExpression="SET s = s + :o",
                          ExpressionAttributeValues={":o": 1})
    assert err(e) == ("ValidationException",
                      "An operand in the update expression has an incorrect data type")
    with pytest.raises(ClientError) as e:
        table.update_item(Key={"pk": "a"}, UpdateExpression="SET q = nosuch + :o",
                          ExpressionAttributeValues={":o": 1})
    assert err(e) == ("ValidationException",
                      "The provided expression refers to an attribute that does not exist in the item")
    with pytest.raises(ClientError) as e:
        table.update_item(Key={"pk": "a"}, UpdateExpression="ADD s :o", ExpressionAttributeValues={":o": 1})
    assert err(e)[0] == "ValidationException"
    assert err(e)[1].startswith("An operand in the update expression has an incorrect data type")


def test_legacy_attribute_updates(ddb, table):
    table.put_item(Item={"pk": "a", "n": 1, "ss": {"x", "y"}, "gone": True})
    r = ddb.update_item(TableName="utb", Key={"pk": {"S": "a"}}, AttributeUpdates={
        "n": {"Action": "ADD", "Value": {"N": "4"}},
        "ss": {"Action": "DELETE", "Value": {"SS": ["x"]}},
        "gone": {"Action": "DELETE"},
        "v": {"Action": "PUT", "Value": {"S": "new"}},
    }, ReturnValues="ALL_NEW")
    assert r["Attributes"] == {"pk": {"S": "a"}, "n": {"N": "5"}, "ss": {"SS": ["y"]}, "v": {"S": "new"}}
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName="utb", Key={"pk": {"S": "a"}},
                        AttributeUpdates={"n": {"Action": "PUT"}}, UpdateExpression="SET a = :a",
                        ExpressionAttributeValues={":a": {"S": "x"}})
    assert err(e)[0] == "ValidationException"
    assert "Can not use both expression and non-expression parameters" in err(e)[1]


VALIDATION = [
    (dict(UpdateExpression="SET a = :a ,"), "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \",\""),
    (dict(UpdateExpression="SET #n = :a", ExpressionAttributeValues={":a": {"S": "x"}}),
     "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #n"),
    (dict(UpdateExpression="SET a = :nope"),
     "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :nope"),
    (dict(UpdateExpression="SET a = :a", ExpressionAttributeValues={":a": {"S": "x"}, ":b": {"S": "y"}}),
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}"),
    (dict(UpdateExpression="SET a = :a", ExpressionAttributeNames={"#x": "x"},
          ExpressionAttributeValues={":a": {"S": "x"}}),
     "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}"),
    (dict(UpdateExpression="SET size = :a", ExpressionAttributeValues={":a": {"S": "x"}}),
     "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: size"),
    (dict(UpdateExpression="SET a.b = :a, a = :a", ExpressionAttributeValues={":a": {"S": "x"}}),
     "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite "
     "one of these paths; path one: [a, b], path two: [a]"),
]


@pytest.mark.parametrize("kw,msg", VALIDATION)
def test_validation_messages(ddb, kw, msg):
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName="utb", Key={"pk": {"S": "a"}}, **kw)
    assert err(e) == ("ValidationException", ENVELOPE + msg)
