# SPDX-License-Identifier: MIT
# Expression behaviours that DynamoDB documents or reports and that eddy once
# got wrong: the name-token rule (no leading underscore), constants of an
# unordered type in <, <=, >, >= and BETWEEN, attribute_type operands,
# contains() on binaries, update functions inside a condition, invalid
# ExpressionAttributeValues, list elements appended past the end in index
# order, and REMOVE through a path that is not a container.
import pytest
from botocore.exceptions import ClientError

from ddbtest import client as ddb_client, hash_table, refused, resource

# PutItem, UpdateItem and DeleteItem report refused expressions inside the request-
# validation envelope, as DynamoDB does.
ENVELOPE = "1 validation error detected: "


@pytest.fixture
def client(eddy):
    return hash_table(ddb_client(eddy), "cxt", "k")


@pytest.fixture
def tbl(eddy, client):
    return resource(eddy).Table("cxt")


def test_bare_names_start_with_a_letter(tbl):
    msg = refused(tbl.update_item, Key={"k": "x"}, UpdateExpression="SET _u = :v",
                  ExpressionAttributeValues={":v": 1})
    assert msg == ENVELOPE + 'Invalid UpdateExpression: Syntax error; token: "_", near: "SET _u"'
    msg = refused(tbl.update_item, Key={"k": "x"}, UpdateExpression="SET a = _fn(b)")
    assert msg.startswith(ENVELOPE + 'Invalid UpdateExpression: Syntax error; token: "_"')
    # After the first letter, underscores and digits are fine; so is #_ / :_.
    tbl.update_item(Key={"k": "x"}, UpdateExpression="SET b_1 = :_, #_ = :_",
                    ExpressionAttributeNames={"#_": "_raw"}, ExpressionAttributeValues={":_": 2})
    assert tbl.get_item(Key={"k": "x"})["Item"] == {"k": "x", "b_1": 2, "_raw": 2}


def test_ordering_needs_ordered_constants(tbl):
    tbl.put_item(Item={"k": "x", "n": 5, "l": [1, 2]})
    for cond in ["n < :c", ":c >= n", "n BETWEEN :c AND :c"]:
        msg = refused(tbl.update_item, Key={"k": "x"}, UpdateExpression="SET z = :one",
                      ConditionExpression=cond,
                      ExpressionAttributeValues={":one": 1, ":c": [1, 2]})
        assert "Incorrect operand type for operator or function" in msg
        assert "operand type: L" in msg
    # An item attribute of an unordered type just makes the condition false.
    with pytest.raises(ClientError) as e:
        tbl.update_item(Key={"k": "x"}, UpdateExpression="SET z = :one",
                        ConditionExpression="l < :c",
                        ExpressionAttributeValues={":one": 1, ":c": 3})
    assert e.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    # Equality takes any type.
    tbl.update_item(Key={"k": "x"}, UpdateExpression="SET z = :one",
                    ConditionExpression="l = :c", ExpressionAttributeValues={":one": 1, ":c": [1, 2]})


def test_attribute_type_operands(tbl):
    tbl.put_item(Item={"k": "x", "a": 1, "t": "N"})
    # The value tested may be a :value...
    tbl.update_item(Key={"k": "x"}, UpdateExpression="SET z = :n",
                    ConditionExpression="attribute_type(:n, :t)",
                    ExpressionAttributeValues={":n": 0, ":t": "N"})
    # ...but the type name must be one.
    msg = refused(tbl.update_item, Key={"k": "x"}, UpdateExpression="SET z = :n",
                  ConditionExpression="attribute_type(a, t)", ExpressionAttributeValues={":n": 0})
    assert msg.startswith(ENVELOPE + "Invalid ConditionExpression: Incorrect operand type for operator or "
                          "function; operator or function: attribute_type")


def test_contains_on_binary(tbl):
    tbl.put_item(Item={"k": "x", "b": b"\x00hello\xff"})
    tbl.update_item(Key={"k": "x"}, UpdateExpression="SET z = :n",
                    ConditionExpression="contains(b, :sub)",
                    ExpressionAttributeValues={":n": 1, ":sub": b"ell"})
    with pytest.raises(ClientError) as e:
        tbl.update_item(Key={"k": "x"}, UpdateExpression="SET z = :n",
                        ConditionExpression="contains(b, :sub)",
                        ExpressionAttributeValues={":n": 2, ":sub": b"bye"})
    assert e.value.response["Error"]["Code"] == "ConditionalCheckFailedException"


def test_update_functions_not_allowed_in_conditions(tbl):
    for fn in ["if_not_exists(a, a)", "list_append(a, a)"]:
        msg = refused(tbl.put_item, Item={"k": "x"}, ConditionExpression=fn + " = :v",
                      ExpressionAttributeValues={":v": 1})
        assert "The function is not allowed in a condition expression" in msg


def test_invalid_expression_values_are_refused(client, tbl):
    msg = refused(client.update_item, TableName="cxt", Key={"k": {"S": "x"}},
                  UpdateExpression="DELETE s :v", ExpressionAttributeValues={":v": {"SS": []}})
    assert msg == (ENVELOPE + "ExpressionAttributeValues contains invalid value: One or more parameter "
                   "values were invalid: An string set  may not be empty for key :v")
    assert "Item" not in tbl.get_item(Key={"k": "x"})


def test_set_past_the_end_appends_in_index_order(tbl):
    tbl.put_item(Item={"k": "x", "l": ["a"]})
    tbl.update_item(Key={"k": "x"}, UpdateExpression="SET l[30] = :c, l[9] = :b, l[50] = :d",
                    ExpressionAttributeValues={":b": "b", ":c": "c", ":d": "d"})
    assert tbl.get_item(Key={"k": "x"})["Item"]["l"] == ["a", "b", "c", "d"]


def test_remove_through_a_non_container(tbl):
    item = {"k": "x", "s": "str", "l": ["only"], "m": {"in": 1}}
    tbl.put_item(Item=item)
    for expr in ["REMOVE s.deep", "REMOVE s[0]", "REMOVE gone.deep", "REMOVE gone[0]"]:
        msg = refused(tbl.update_item, Key={"k": "x"}, UpdateExpression=expr)
        assert msg == "The document path provided in the update expression is invalid for update"
    # Missing leaves inside real containers are silently ignored.
    tbl.update_item(Key={"k": "x"}, UpdateExpression="REMOVE m.absent, l[5], gone")
    assert tbl.get_item(Key={"k": "x"})["Item"] == item


def test_remove_only_on_absent_item_creates_nothing(tbl):
    tbl.update_item(Key={"k": "new"}, UpdateExpression="REMOVE a.b, c[0], d")
    assert "Item" not in tbl.get_item(Key={"k": "new"})
    # Any other action does create the item.
    tbl.update_item(Key={"k": "new"}, UpdateExpression="REMOVE a.b SET e = :v",
                    ExpressionAttributeValues={":v": 1})
    assert tbl.get_item(Key={"k": "new"})["Item"] == {"k": "new", "e": 1}
