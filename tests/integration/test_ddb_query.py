# SPDX-License-Identifier: MIT
# Query and Scan with expressions through boto3: key conditions (every
# sort-key operator, legacy KeyConditions), direction, Limit and paging,
# Select COUNT, filters after Limit (Count vs ScannedCount), nested
# projections, and DynamoDB's validation messages.
from decimal import Decimal

import boto3
import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

CREDS = dict(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


@pytest.fixture
def table(eddy):
    db = boto3.resource("dynamodb", endpoint_url=eddy.url, **CREDS)
    t = db.create_table(TableName="qtb", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "n", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "n", "AttributeType": "N"}])
    with t.batch_writer() as bw:
        for i in range(20):
            bw.put_item(Item={"pk": "a", "n": i, "odd": i % 2 == 1, "s": "x%02d" % i,
                              "m": {"in": i, "other": "o"}})
        bw.put_item(Item={"pk": "b", "n": 1})
    return t


def plain_client(table):
    """A low-level client. table.meta.client carries the resource's type
    serializer, which would re-encode {"S": ...} values as maps."""
    return boto3.client("dynamodb", endpoint_url=table.meta.client.meta.endpoint_url, **CREDS)


def ns(items):
    return [int(i["n"]) for i in items]


def test_query_sort_key_operators(table):
    q = lambda cond, **kw: ns(table.query(KeyConditionExpression=Key("pk").eq("a") & cond, **kw)["Items"])
    assert q(Key("n").eq(3)) == [3]
    assert q(Key("n").lt(3)) == [0, 1, 2]
    assert q(Key("n").lte(3)) == [0, 1, 2, 3]
    assert q(Key("n").gt(17)) == [18, 19]
    assert q(Key("n").gte(17)) == [17, 18, 19]
    assert q(Key("n").between(5, 7)) == [5, 6, 7]
    assert q(Key("n").between(5, 7), ScanIndexForward=False) == [7, 6, 5]
    assert ns(table.query(KeyConditionExpression=Key("pk").eq("b"))["Items"]) == [1]
    assert table.query(KeyConditionExpression=Key("pk").eq("zz"))["Count"] == 0


def test_query_begins_with_on_string_sort_key(eddy):
    db = boto3.resource("dynamodb", endpoint_url=eddy.url, **CREDS)
    t = db.create_table(TableName="stb", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}])
    for sk in ["a1", "b1", "b2", "c1"]:
        t.put_item(Item={"pk": "p", "sk": sk})
    r = t.query(KeyConditionExpression=Key("pk").eq("p") & Key("sk").begins_with("b"))
    assert [i["sk"] for i in r["Items"]] == ["b1", "b2"]


def test_query_paging_and_filter_after_limit(table):
    seen, lek, pages = [], None, 0
    while True:
        kw = {"ExclusiveStartKey": lek} if lek else {}
        r = table.query(KeyConditionExpression=Key("pk").eq("a"), Limit=6, **kw)
        seen += ns(r["Items"])
        pages += 1
        lek = r.get("LastEvaluatedKey")
        if not lek:
            break
    assert seen == list(range(20)) and pages == 4
    r = table.query(KeyConditionExpression=Key("pk").eq("a"), Limit=6,
                    FilterExpression=Attr("odd").eq(True))
    assert r["Count"] == 3 and r["ScannedCount"] == 6 and ns(r["Items"]) == [1, 3, 5]
    assert r["LastEvaluatedKey"] == {"pk": "a", "n": Decimal(5)}
    r = table.query(KeyConditionExpression=Key("pk").eq("a"), Select="COUNT")
    assert r["Count"] == 20 and "Items" not in r


def test_query_projection_and_legacy(table):
    r = table.query(KeyConditionExpression="pk = :p AND n = :n", ProjectionExpression="#m.#i, s",
                    ExpressionAttributeNames={"#m": "m", "#i": "in"},
                    ExpressionAttributeValues={":p": "a", ":n": 4})
    assert r["Items"] == [{"m": {"in": Decimal(4)}, "s": "x04"}]
    c = plain_client(table)
    r = c.query(TableName="qtb", KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
        "n": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "18"}]}})
    assert [i["n"]["N"] for i in r["Items"]] == ["18", "19"]


def test_query_validation(table):
    c = plain_client(table)
    def err(**kw):
        with pytest.raises(ClientError) as ei:
            c.query(TableName="qtb", **kw)
        return ei.value.response["Error"]["Message"]
    assert "KeyConditions or KeyConditionExpression" in err()
    assert err(KeyConditionExpression="n = :n", ExpressionAttributeValues={":n": {"N": "1"}}) == \
        "Query condition missed key schema element: pk"
    assert "unused in expressions" in err(KeyConditionExpression="pk = :p", ExpressionAttributeValues={
        ":p": {"S": "a"}, ":x": {"S": "b"}})
    assert err(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"N": "1"}}) == \
        "One or more parameter values were invalid: Condition parameter type does not match schema type"


def test_scan_filter_projection_legacy(table):
    r = table.scan(FilterExpression=Attr("n").gte(18) & Attr("pk").eq("a"), ProjectionExpression="n")
    assert sorted(ns(r["Items"])) == [18, 19] and r["ScannedCount"] == 21
    c = plain_client(table)
    r = c.scan(TableName="qtb", ScanFilter={"n": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "1"}]}},
               AttributesToGet=["n"])
    assert r["Items"] == [{"n": {"N": "0"}}]
    g = table.get_item(Key={"pk": "a", "n": 2}, ProjectionExpression="m.#o", ExpressionAttributeNames={"#o": "other"})
    assert g["Item"] == {"m": {"other": "o"}}
    with pytest.raises(ClientError) as ei:  # OTHER is a reserved word.
        table.get_item(Key={"pk": "a", "n": 2}, ProjectionExpression="m.other")
    assert ei.value.response["Error"]["Message"] == \
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: other"
    with pytest.raises(ClientError) as ei:
        c.scan(TableName="qtb", FilterExpression="n > :a", ScanFilter={})
    assert "Can not use both expression and non-expression" in ei.value.response["Error"]["Message"]
