# SPDX-License-Identifier: MIT
# Query and Scan as DynamoDB answers them: how a projection conflicts with
# Select (the member named, the Select spelled as DynamoDB spells it, and the
# projection rule reported before the index rule), and reads over secondary
# indexes. Raw requests, so members boto3 would refuse still reach the server.

import pytest

from ddbtest import ok, refusal

V = "ValidationException"


def S(v):
    return {"S": v}


@pytest.fixture
def db(eddy):
    ok(eddy, "CreateTable", {
        "TableName": "comp", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"}
                                 for n in ("pk", "sk", "g")],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [{"IndexName": "by-g",
                                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                    "Projection": {"ProjectionType": "KEYS_ONLY"}}]})
    return eddy


QUERY = {"TableName": "comp", "KeyConditionExpression": "pk = :p",
         "ExpressionAttributeValues": {":p": S("x")}}
SCAN = {"TableName": "comp"}


@pytest.mark.parametrize("op,base", [("Query", QUERY), ("Scan", SCAN)])
@pytest.mark.parametrize("select,said", [
    ("ALL_ATTRIBUTES", "ALL_ATTRIBUTES"),
    ("COUNT", "only the Count"),
    # Without IndexName this breaks two rules; the projection one is reported.
    ("ALL_PROJECTED_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"),
])
def test_projection_expression_beside_select_names_the_select(db, op, base, select, said):
    body = dict(base, Select=select, ProjectionExpression="sk")
    assert refusal(db, op, body) == \
        "Cannot specify the ProjectionExpression when choosing to get " + said


@pytest.mark.parametrize("op,base", [("Query", QUERY), ("Scan", SCAN)])
def test_projection_refused_on_an_index_too_unless_specific(db, op, base):
    body = dict(base, IndexName="by-g", Select="ALL_PROJECTED_ATTRIBUTES",
                ProjectionExpression="sk")
    if op == "Query":
        body.update(KeyConditionExpression="g = :p")
    assert refusal(db, op, body) == \
        "Cannot specify the ProjectionExpression when choosing to get ALL_PROJECTED_ATTRIBUTES"
    body["Select"] = "SPECIFIC_ATTRIBUTES"
    assert ok(db, op, body)["Count"] == 0


def test_attributes_to_get_beside_count_names_attributes_to_get(db):
    body = dict(SCAN, Select="COUNT", AttributesToGet=["sk"])
    assert refusal(db, "Scan", body) == \
        "Cannot specify the AttributesToGet when choosing to get only the Count"


@pytest.mark.parametrize("op,base", [("Query", QUERY), ("Scan", SCAN)])
def test_all_projected_attributes_without_an_index_keeps_the_querying_wording(db, op, base):
    assert refusal(db, op, dict(base, Select="ALL_PROJECTED_ATTRIBUTES")) == \
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
