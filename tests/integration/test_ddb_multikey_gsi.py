# SPDX-License-Identifier: MIT
# Global secondary indexes with multi-attribute keys (DynamoDB, Nov 2025): a
# GSI KeySchema names up to 4 HASH and up to 4 RANGE attributes. Covers the
# definition (CreateTable, DescribeTable, UpdateTable with backfill, and what
# is refused), writes (sparse items, type mismatches), every shape of key
# condition a Query accepts or refuses, pages carrying every key attribute,
# Scan of the index, and a restart keeping it all.
import boto3
import pytest

from ddbtest import CREDS, refused

T = "mkgsi"
GAP_B_C = ("RANGE key attributes b must have equality conditions specified in the query "
           "because a condition is present on key attribute c")

# Order in the index (h = o1): by a, then b, then c, then d; p6 lacks c.
ROWS = [
    ("p1", "T", "live", "b", "r1"),
    ("p2", "T", "live", "a", "r2"),
    ("p3", "T", "live", "a", "r1"),
    ("p4", "T", "draft", "c", "r1"),
    ("p5", "F", "live", "a", "r0"),
    ("p6", "T", "live", None, "r1"),
]
VALUES = {":h": {"S": "o1"}, ":a": {"S": "T"}, ":b": {"S": "live"}, ":c": {"S": "a"},
          ":d": {"S": "r"}, ":x": {"S": "r1"}, ":y": {"S": "r1"}}


def defs(*names, kind="S"):
    return [{"AttributeName": n, "AttributeType": kind} for n in names]


def keys(hashes, ranges):
    return ([{"AttributeName": n, "KeyType": "HASH"} for n in hashes] +
            [{"AttributeName": n, "KeyType": "RANGE"} for n in ranges])


def make_table(c, projection=None):
    c.create_table(TableName=T, BillingMode="PAY_PER_REQUEST",
                   AttributeDefinitions=defs("pk", "h", "a", "b", "c", "d"),
                   KeySchema=keys(["pk"], []),
                   GlobalSecondaryIndexes=[{
                       "IndexName": "gsi", "KeySchema": keys(["h"], ["a", "b", "c", "d"]),
                       "Projection": projection or {"ProjectionType": "ALL"}}])


def put_rows(c):
    for pk, a, b, cc, d in ROWS:
        item = {"pk": {"S": pk}, "h": {"S": "o1"}, "a": {"S": a}, "b": {"S": b}, "d": {"S": d},
                "extra": {"S": "x" + pk}}
        if cc is not None:
            item["c"] = {"S": cc}
        c.put_item(TableName=T, Item=item)


@pytest.fixture
def client(eddy):
    c = boto3.client("dynamodb", endpoint_url=eddy.url, **CREDS)
    make_table(c)
    put_rows(c)
    return c


def query(c, kce, **extra):
    used = {k: v for k, v in VALUES.items() if k in kce}
    r = c.query(TableName=T, IndexName="gsi", KeyConditionExpression=kce,
                ExpressionAttributeValues=used, **extra)
    return [i["pk"]["S"] for i in r["Items"]]


def test_describe_echoes_the_multi_attribute_key(client):
    gsi = client.describe_table(TableName=T)["Table"]["GlobalSecondaryIndexes"][0]
    assert gsi["KeySchema"] == keys(["h"], ["a", "b", "c", "d"])
    assert gsi["ItemCount"] == 5  # p6 lacks c: not in the index.


@pytest.mark.parametrize("kce,extra,want", [
    ("h = :h", {}, ["p5", "p4", "p3", "p2", "p1"]),
    ("h = :h AND a = :a", {}, ["p4", "p3", "p2", "p1"]),
    ("h = :h AND a = :a", {"ScanIndexForward": False}, ["p1", "p2", "p3", "p4"]),
    ("h = :h AND a = :a AND b = :b", {}, ["p3", "p2", "p1"]),
    ("h = :h AND a = :a AND b = :b AND c = :c", {}, ["p3", "p2"]),
    ("h = :h AND a = :a AND b = :b AND c > :c", {}, ["p1"]),
    ("h = :h AND a = :a AND b = :b AND c = :c AND begins_with(d, :d)", {}, ["p3", "p2"]),
    ("h = :h AND a = :a AND b = :b AND c = :c AND d BETWEEN :x AND :y", {}, ["p3"]),
    ("h = :h AND a = :a AND b < :b", {}, ["p4"]),
    ("b = :b AND h = :h AND a = :a", {}, ["p3", "p2", "p1"]),
    ("(h = :h AND a = :a) AND :b = b", {}, ["p3", "p2", "p1"]),
])
def test_accepted_key_conditions(client, kce, extra, want):
    assert query(client, kce, **extra) == want


@pytest.mark.parametrize("kce,msg", [
    ("h = :h AND a = :a AND c = :c", GAP_B_C),
    ("h = :h AND a = :a AND b > :b AND c = :c", GAP_B_C),
    ("h = :h AND b = :b",
     "RANGE key attributes a must have equality conditions specified in the query because a "
     "condition is present on key attribute b"),
    ("a = :a", "Query condition missed key schema element: h"),
    ("h > :h", "Query key condition not supported"),
])
def test_refused_key_conditions(client, kce, msg):
    assert refused(query, c=client, kce=kce) == msg


def test_range_value_of_wrong_type_is_refused(client):
    msg = refused(client.query, TableName=T, IndexName="gsi",
                  KeyConditionExpression="h = :h AND a = :a AND b = :b",
                  ExpressionAttributeValues={":h": {"S": "o1"}, ":a": {"S": "T"},
                                             ":b": {"N": "1"}})
    assert msg == ("One or more parameter values were invalid: "
                   "Condition parameter type does not match schema type")


def test_filter_on_an_index_key_attribute_is_refused(client):
    msg = refused(client.query, TableName=T, IndexName="gsi", KeyConditionExpression="h = :h",
                  FilterExpression="c = :c",
                  ExpressionAttributeValues={":h": {"S": "o1"}, ":c": {"S": "a"}})
    assert msg == ("Filter Expression can only contain non-primary key attributes: "
                   "Primary key attribute: c")


def test_pages_carry_every_key_attribute_and_resume(client):
    seen, start = [], None
    while True:
        kw = {"Limit": 2}
        if start:
            kw["ExclusiveStartKey"] = start
        r = client.query(TableName=T, IndexName="gsi", KeyConditionExpression="h = :h AND a = :a",
                         ExpressionAttributeValues={":h": {"S": "o1"}, ":a": {"S": "T"}}, **kw)
        seen += [i["pk"]["S"] for i in r["Items"]]
        start = r.get("LastEvaluatedKey")
        if not start:
            break
        assert sorted(start) == ["a", "b", "c", "d", "h", "pk"]
    assert seen == ["p4", "p3", "p2", "p1"]


def test_scan_of_the_index_leaves_out_sparse_items(client):
    items = client.scan(TableName=T, IndexName="gsi")["Items"]
    assert sorted(i["pk"]["S"] for i in items) == ["p1", "p2", "p3", "p4", "p5"]
    seen, start = [], None
    while True:
        kw = {"ExclusiveStartKey": start} if start else {}
        r = client.scan(TableName=T, IndexName="gsi", Limit=2, **kw)
        seen += [i["pk"]["S"] for i in r["Items"]]
        start = r.get("LastEvaluatedKey")
        if not start:
            break
    assert sorted(seen) == ["p1", "p2", "p3", "p4", "p5"]


def test_write_with_a_mistyped_key_attribute_is_refused(client):
    msg = refused(client.put_item, TableName=T,
                  Item={"pk": {"S": "bad"}, "h": {"S": "o1"}, "c": {"N": "1"}})
    assert msg == ("One or more parameter values were invalid: Type mismatch for Index Key c "
                   "Expected: S Actual: N IndexName: gsi")


def test_update_moves_an_item_in_and_out_of_the_index(client):
    client.update_item(TableName=T, Key={"pk": {"S": "p6"}}, UpdateExpression="SET c = :c",
                       ExpressionAttributeValues={":c": {"S": "a"}})
    assert query(client, "h = :h AND a = :a AND b = :b AND c = :c") == ["p3", "p6", "p2"]
    client.update_item(TableName=T, Key={"pk": {"S": "p3"}}, UpdateExpression="REMOVE d")
    assert query(client, "h = :h AND a = :a AND b = :b AND c = :c") == ["p6", "p2"]
    client.delete_item(TableName=T, Key={"pk": {"S": "p2"}})
    assert query(client, "h = :h AND a = :a AND b = :b AND c = :c") == ["p6"]


def test_keys_only_projection_carries_every_key_attribute(eddy):
    c = boto3.client("dynamodb", endpoint_url=eddy.url, **CREDS)
    make_table(c, {"ProjectionType": "KEYS_ONLY"})
    put_rows(c)
    r = c.query(TableName=T, IndexName="gsi", KeyConditionExpression="h = :h AND a = :a",
                ExpressionAttributeValues={":h": {"S": "o1"}, ":a": {"S": "F"}})
    assert r["Items"] == [{"pk": {"S": "p5"}, "h": {"S": "o1"}, "a": {"S": "F"},
                           "b": {"S": "live"}, "c": {"S": "a"}, "d": {"S": "r0"}}]


def test_several_hash_attributes_and_numbers(eddy):
    c = boto3.client("dynamodb", endpoint_url=eddy.url, **CREDS)
    c.create_table(TableName=T, BillingMode="PAY_PER_REQUEST",
                   AttributeDefinitions=defs("pk", "t", "r") + defs("round", "score", kind="N"),
                   KeySchema=keys(["pk"], []),
                   GlobalSecondaryIndexes=[{
                       "IndexName": "gsi", "KeySchema": keys(["t", "r"], ["round", "score"]),
                       "Projection": {"ProjectionType": "ALL"}}])
    rows = [("m1", "w", "na", 2, 10), ("m2", "w", "na", 10, 5), ("m3", "w", "na", 2, 9.5),
            ("m4", "w", "eu", 1, 1), ("m5", "s", "na", 1, 1)]
    for pk, t, r, rnd, score in rows:
        c.put_item(TableName=T, Item={"pk": {"S": pk}, "t": {"S": t}, "r": {"S": r},
                                      "round": {"N": str(rnd)}, "score": {"N": str(score)}})
    vals = {":t": {"S": "w"}, ":r": {"S": "na"}, ":n": {"N": "2"}, ":s": {"N": "9.75"}}

    def q(kce):
        used = {k: v for k, v in vals.items() if k in kce}
        r = c.query(TableName=T, IndexName="gsi", KeyConditionExpression=kce,
                    ExpressionAttributeValues=used)
        return [i["pk"]["S"] for i in r["Items"]]

    assert q("t = :t AND r = :r") == ["m3", "m1", "m2"]
    assert q("t = :t AND r = :r AND round = :n AND score < :s") == ["m3"]
    assert q("t = :t AND r = :r AND round > :n") == ["m2"]
    assert refused(q, kce="t = :t AND round = :n") == \
        "Query condition missed key schema element: r"


@pytest.mark.parametrize("ks", [
    keys(["h", "a", "b", "c", "d"], []),
    keys(["h"], ["a", "b", "c", "d", "e"]),
    [{"AttributeName": "a", "KeyType": "RANGE"}, {"AttributeName": "h", "KeyType": "HASH"}],
])
def test_malformed_gsi_key_schemas_are_refused(eddy, ks):
    c = boto3.client("dynamodb", endpoint_url=eddy.url, **CREDS)
    msg = refused(c.create_table, TableName=T, BillingMode="PAY_PER_REQUEST",
                  AttributeDefinitions=defs("pk", "h", "a", "b", "c", "d", "e"),
                  KeySchema=keys(["pk"], []),
                  GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": ks,
                                           "Projection": {"ProjectionType": "ALL"}}])
    assert msg == "One or more parameter values were invalid: Invalid index definition: gsi"


def test_lsi_keeps_one_attribute_of_each_kind(eddy):
    c = boto3.client("dynamodb", endpoint_url=eddy.url, **CREDS)
    msg = refused(c.create_table, TableName=T, BillingMode="PAY_PER_REQUEST",
                  AttributeDefinitions=defs("pk", "sk", "a", "b"),
                  KeySchema=keys(["pk"], ["sk"]),
                  LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": keys(["pk"], ["a", "b"]),
                                          "Projection": {"ProjectionType": "ALL"}}])
    assert msg == "One or more parameter values were invalid: Invalid index definition: lsi"


def test_undefined_key_attribute_is_refused(eddy):
    c = boto3.client("dynamodb", endpoint_url=eddy.url, **CREDS)
    msg = refused(c.create_table, TableName=T, BillingMode="PAY_PER_REQUEST",
                  AttributeDefinitions=defs("pk", "h", "a"), KeySchema=keys(["pk"], []),
                  GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": keys(["h"], ["a", "z"]),
                                           "Projection": {"ProjectionType": "ALL"}}])
    assert "Keys: [z]" in msg


def test_update_table_adds_the_index_with_backfill(eddy):
    c = boto3.client("dynamodb", endpoint_url=eddy.url, **CREDS)
    c.create_table(TableName=T, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=defs("pk"),
                   KeySchema=keys(["pk"], []))
    put_rows(c)
    c.update_table(TableName=T, AttributeDefinitions=defs("pk", "h", "a", "b", "c", "d"),
                   GlobalSecondaryIndexUpdates=[{"Create": {
                       "IndexName": "gsi", "KeySchema": keys(["h"], ["a", "b", "c", "d"]),
                       "Projection": {"ProjectionType": "ALL"}}}])
    assert query(c, "h = :h") == ["p5", "p4", "p3", "p2", "p1"]
    assert query(c, "h = :h AND a = :a AND b = :b AND c > :c") == ["p1"]


def test_restart_keeps_the_index(start_eddy):
    e = start_eddy()
    c = boto3.client("dynamodb", endpoint_url=e.url, **CREDS)
    make_table(c)
    put_rows(c)
    data = e.data_dir
    e.stop()
    e2 = start_eddy(data_dir=data)
    c2 = boto3.client("dynamodb", endpoint_url=e2.url, **CREDS)
    assert query(c2, "h = :h AND a = :a AND b = :b") == ["p3", "p2", "p1"]
    gsi = c2.describe_table(TableName=T)["Table"]["GlobalSecondaryIndexes"][0]
    assert gsi["KeySchema"] == keys(["h"], ["a", "b", "c", "d"])
