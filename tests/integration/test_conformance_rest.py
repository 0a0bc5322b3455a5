# SPDX-License-Identifier: MIT
# Legacy-parameter and limit behaviours that DynamoDB documents or reports and
# that eddy once got wrong: AttributeUpdates actions outside ADD/PUT/DELETE,
# value types an action does not take, type mismatches met when the update is
# applied, ADD on lists, an empty AttributesToGet, attribute names of 64 KiB
# or more wherever a request names an attribute, arithmetic results that
# would need more than 38 significant digits, and list_append nested in
# list_append.
from decimal import Decimal

import boto3
import pytest
from botocore.config import Config

from ddbtest import CREDS, client as ddb_client, hash_table, refused, resource

# PutItem, UpdateItem and DeleteItem report refused expressions inside the request-
# validation envelope, as DynamoDB does.
ENVELOPE = "1 validation error detected: "
MISMATCH = "Type mismatch for attribute to update"
TOO_LONG = "1 validation error detected: Attribute name is too large, must be less than 65536 bytes"
OVERFLOW = ("Number overflow. Attempting to store a number with magnitude larger than "
            "supported range")


@pytest.fixture
def client(eddy):
    return hash_table(ddb_client(eddy), "crt", "k")


@pytest.fixture
def tbl(eddy, client):
    return resource(eddy).Table("crt")


def test_unknown_action_is_refused(tbl):
    msg = refused(tbl.update_item, Key={"k": "a"},
                  AttributeUpdates={"x": {"Action": "APPEND", "Value": 1}})
    assert msg == ("1 validation error detected: Value 'APPEND' at "
                   "'attributeUpdates.x.member.action' failed to satisfy constraint: "
                   "Member must satisfy enum value set: [ADD, PUT, DELETE]")
    assert "Item" not in tbl.get_item(Key={"k": "a"})


def test_action_value_types(tbl):
    # Refused before the item is read, whatever it holds (here: nothing).
    for action, value, name in [("DELETE", "s", "S"), ("DELETE", 3, "N"), ("DELETE", [1], "L"),
                                ("ADD", "s", "S"), ("ADD", {"m": 1}, "M"), ("ADD", True, "BOOL")]:
        msg = refused(tbl.update_item, Key={"k": "b"},
                      AttributeUpdates={"x": {"Action": action, "Value": value}})
        assert msg == (ENVELOPE + "One or more parameter values were invalid: Action %s is not "
                       "supported for the type %s" % (action, name))


def test_mismatch_with_the_stored_value(tbl):
    cases = [({1, 2}, "ADD", {"a"}), ({"dog"}, "ADD", 2), ({"dog"}, "ADD", ["cat"]),
             (["dog"], "ADD", 3), (2, "ADD", {"x"}), ("str", "DELETE", {1}),
             ({1, 2}, "DELETE", {"hi"})]
    for stored, action, value in cases:
        tbl.put_item(Item={"k": "c", "x": stored})
        msg = refused(tbl.update_item, Key={"k": "c"},
                      AttributeUpdates={"x": {"Action": action, "Value": value}})
        assert msg == MISMATCH
        assert tbl.get_item(Key={"k": "c"})["Item"]["x"] == stored
    # The same mismatch in an UpdateExpression keeps its own wording.
    tbl.put_item(Item={"k": "c", "x": {"dog"}})
    msg = refused(tbl.update_item, Key={"k": "c"}, UpdateExpression="ADD x :v",
                  ExpressionAttributeValues={":v": 2})
    assert msg == "An operand in the update expression has an incorrect data type"


def test_delete_values_and_absent_items(tbl):
    # A Value obeys the item rules even when there is nothing to delete from.
    msg = refused(tbl.update_item, Key={"k": "h"},
                  AttributeUpdates={"x": {"Action": "DELETE", "Value": set()}})
    assert "may not be empty" in msg
    # DELETEs alone (whole attributes or set elements) do not create the item.
    tbl.update_item(Key={"k": "h"}, AttributeUpdates={"x": {"Action": "DELETE"},
                                                      "y": {"Action": "DELETE", "Value": {1}}})
    assert "Item" not in tbl.get_item(Key={"k": "h"})
    # With an ADD beside them, the item is created with what ADD gives.
    tbl.update_item(Key={"k": "h"}, AttributeUpdates={"y": {"Action": "DELETE", "Value": {1}},
                                                      "z": {"Action": "ADD", "Value": 5}})
    assert tbl.get_item(Key={"k": "h"})["Item"] == {"k": "h", "z": 5}


def test_add_appends_to_lists(tbl):
    tbl.update_item(Key={"k": "d"}, AttributeUpdates={"l": {"Action": "ADD", "Value": [1]}})
    tbl.update_item(Key={"k": "d"}, AttributeUpdates={"l": {"Action": "ADD", "Value": ["a", 1]}})
    assert tbl.get_item(Key={"k": "d"})["Item"]["l"] == [1, "a", 1]


def test_empty_attributes_to_get(eddy, client):
    # boto3 would refuse the empty list itself; let it through to the server.
    raw = boto3.client("dynamodb", endpoint_url=eddy.url,
                       config=Config(parameter_validation=False), **CREDS)
    raw.put_item(TableName="crt", Item={"k": {"S": "e"}, "x": {"N": "1"}})
    want = ("1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1")
    assert refused(raw.get_item, TableName="crt", Key={"k": {"S": "e"}},
                   AttributesToGet=[]) == want
    msg = refused(raw.batch_get_item,
                  RequestItems={"crt": {"Keys": [{"k": {"S": "e"}}], "AttributesToGet": []}})
    assert "Member must have length greater than or equal to 1" in msg


def test_attribute_names_of_64k_or_more(tbl):
    long_name = "n" * 65536
    assert refused(tbl.get_item, Key={"k": "f"}, ProjectionExpression="#n",
                   ExpressionAttributeNames={"#n": long_name}) == TOO_LONG
    assert refused(tbl.get_item, Key={"k": "f"}, AttributesToGet=[long_name]) == TOO_LONG
    assert refused(tbl.update_item, Key={"k": "f"},
                   AttributeUpdates={long_name: {"Action": "PUT", "Value": 1}}) == TOO_LONG
    assert refused(tbl.update_item, Key={"k": "f"}, UpdateExpression="SET a = :v",
                   ConditionExpression="#n = :v", ExpressionAttributeNames={"#n": long_name},
                   ExpressionAttributeValues={":v": 1}) == TOO_LONG
    # 65535 bytes is the longest name DynamoDB takes.
    ok_name = "n" * 65535
    tbl.update_item(Key={"k": "f"}, AttributeUpdates={ok_name: {"Action": "PUT", "Value": 1}})
    item = tbl.get_item(Key={"k": "f"}, AttributesToGet=[ok_name])["Item"]
    assert item == {ok_name: 1}


def test_arithmetic_beyond_38_digits(tbl):
    for expr in ["SET n = :a + :b", "SET n = :a - :b"]:
        msg = refused(tbl.update_item, Key={"k": "g"}, UpdateExpression=expr,
                      ExpressionAttributeValues={":a": Decimal("1e50"), ":b": Decimal(1)})
        assert msg == OVERFLOW
    tbl.put_item(Item={"k": "g", "n": Decimal("1e50")})
    assert refused(tbl.update_item, Key={"k": "g"},
                   AttributeUpdates={"n": {"Action": "ADD", "Value": 1}}) == OVERFLOW
    # Exactly 38 digits is still fine.
    tbl.update_item(Key={"k": "g"}, UpdateExpression="SET n = :a + :b",
                    ExpressionAttributeValues={":a": Decimal("1e37"), ":b": Decimal(1)})
    assert tbl.get_item(Key={"k": "g"})["Item"]["n"] == Decimal("1" + "0" * 36 + "1")


def test_list_append_does_not_nest(tbl):
    vals = {":a": ["a"], ":b": ["b"], ":c": ["c"]}
    msg = refused(tbl.update_item, Key={"k": "i"},
                  UpdateExpression="SET l = list_append(list_append(:a, :b), :c)",
                  ExpressionAttributeValues=vals)
    assert msg == (ENVELOPE + "Invalid UpdateExpression: The function is not allowed to be used this way "
                   "in an expression; function: list_append")
    # if_not_exists is fine inside list_append, and inside itself.
    tbl.update_item(Key={"k": "i"}, UpdateExpression="SET l = list_append(if_not_exists(l, :a), :b)",
                    ExpressionAttributeValues={":a": ["a"], ":b": ["b"]})
    tbl.update_item(Key={"k": "i"}, UpdateExpression="SET m = if_not_exists(x, if_not_exists(l, :a))",
                    ExpressionAttributeValues={":a": ["z"]})
    assert tbl.get_item(Key={"k": "i"})["Item"] == {"k": "i", "l": ["a", "b"], "m": ["a", "b"]}
