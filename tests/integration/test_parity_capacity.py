# SPDX-License-Identifier: MIT
# Write capacity on tables with secondary indexes, as DynamoDB reports it.
# An index is charged only when a write changes what it stores: a new entry
# is one write, a removed entry one, a moved index key two (delete and put),
# a changed projected attribute one, and a sparse item or an unchanged view
# nothing. TOTAL folds the index units into CapacityUnits; INDEXES adds the
# Table share and a GlobalSecondaryIndexes / LocalSecondaryIndexes map that is
# absent, never zero-valued, when no index of that kind was charged. The arms
# carry the aggregate only, like every non-transactional operation.
import boto3
import pytest

CREDS = dict(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
TABLE = "wcu"


@pytest.fixture
def ddb(eddy):
    c = boto3.client("dynamodb", endpoint_url=eddy.url, **CREDS)
    c.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                              for n in ("pk", "sk", "gk", "lk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "by-g", "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["shown"]}}],
        LocalSecondaryIndexes=[{
            "IndexName": "by-l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                               {"AttributeName": "lk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}])
    return c


def S(v):
    return {"S": v}


def expect(cc, total, table, gsi=None, lsi=None):
    want = {"TableName": TABLE, "CapacityUnits": float(total),
            "Table": {"CapacityUnits": float(table)}}
    if gsi is not None:
        want["GlobalSecondaryIndexes"] = {"by-g": {"CapacityUnits": float(gsi)}}
    if lsi is not None:
        want["LocalSecondaryIndexes"] = {"by-l": {"CapacityUnits": float(lsi)}}
    assert cc == want


def put(ddb, item, rcc="INDEXES"):
    return ddb.put_item(TableName=TABLE, Item=item, ReturnConsumedCapacity=rcc)["ConsumedCapacity"]


FULL = {"sk": S("1"), "gk": S("g"), "lk": S("l"), "shown": S("s"), "plain": S("o")}


def test_put_charges_each_index_it_enters_and_total_folds_them_in(ddb):
    expect(put(ddb, {"pk": S("a"), "sk": S("1"), "gk": S("g"), "shown": S("s")}), 2, 1, gsi=1)
    expect(put(ddb, {"pk": S("b"), "sk": S("1"), "lk": S("l")}), 2, 1, lsi=1)
    expect(put(ddb, {"pk": S("c"), **FULL}), 3, 1, gsi=1, lsi=1)
    assert put(ddb, {"pk": S("d"), **FULL}, "TOTAL") == {"TableName": TABLE, "CapacityUnits": 3.0}


def test_sparse_put_and_identical_overwrite_charge_no_index(ddb):
    expect(put(ddb, {"pk": S("sparse"), "sk": S("1"), "plain": S("o")}), 1, 1)
    expect(put(ddb, {"pk": S("same"), **FULL}), 3, 1, gsi=1, lsi=1)
    expect(put(ddb, {"pk": S("same"), **FULL}), 1, 1)


@pytest.mark.parametrize("expr,values,units", [
    ("SET plain = :v", {":v": S("o2")}, dict(total=2, table=1, lsi=1)),  # Not in the GSI.
    ("SET shown = :v", {":v": S("s2")}, dict(total=3, table=1, gsi=1, lsi=1)),
    ("SET gk = :v", {":v": S("g2")}, dict(total=4, table=1, gsi=2, lsi=1)),  # Moved: 2.
    ("REMOVE gk", None, dict(total=3, table=1, gsi=1, lsi=1)),  # Left the index: 1.
    ("SET lk = :v", {":v": S("l2")}, dict(total=3, table=1, lsi=2)),  # lk is not in the GSI.
])
def test_update_charges_indexes_by_what_their_entries_lose_or_gain(ddb, expr, values, units):
    put(ddb, {"pk": S("u"), **FULL})
    kw = {"ExpressionAttributeValues": values} if values else {}
    r = ddb.update_item(TableName=TABLE, Key={"pk": S("u"), "sk": S("1")}, UpdateExpression=expr,
                        ReturnConsumedCapacity="INDEXES", **kw)
    expect(r["ConsumedCapacity"], **units)


def test_delete_charges_each_index_the_item_occupied(ddb):
    put(ddb, {"pk": S("x"), **FULL})
    put(ddb, {"pk": S("y"), "sk": S("1"), "plain": S("o")})
    for pk, units in (("x", dict(total=3, table=1, gsi=1, lsi=1)), ("y", dict(total=1, table=1))):
        r = ddb.delete_item(TableName=TABLE, Key={"pk": S(pk), "sk": S("1")},
                            ReturnConsumedCapacity="INDEXES")
        expect(r["ConsumedCapacity"], **units)


def test_batch_write_reports_one_entry_per_table_with_the_arms_it_touched(ddb):
    r = ddb.batch_write_item(RequestItems={TABLE: [
        {"PutRequest": {"Item": {"pk": S("b1"), "sk": S("1"), "gk": S("g"), "shown": S("s")}}},
        {"PutRequest": {"Item": {"pk": S("b2"), "sk": S("1"), "plain": S("o")}}},
    ]}, ReturnConsumedCapacity="INDEXES")
    assert r["UnprocessedItems"] == {}
    assert len(r["ConsumedCapacity"]) == 1
    expect(r["ConsumedCapacity"][0], 3, 2, gsi=1)


def test_batch_write_sizes_a_put_on_the_larger_of_old_and_new_item(ddb):
    ddb.put_item(TableName=TABLE, Item={"pk": S("big"), "sk": S("1"), "v": S("x" * 3000)})
    r = ddb.batch_write_item(RequestItems={TABLE: [
        {"PutRequest": {"Item": {"pk": S("big"), "sk": S("1")}}},
        {"DeleteRequest": {"Key": {"pk": S("absent"), "sk": S("1")}}},
    ]}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == [{"TableName": TABLE, "CapacityUnits": 4.0}]


def test_update_is_sized_on_the_larger_of_the_item_before_and_after(ddb):
    ddb.put_item(TableName=TABLE, Item={"pk": S("shrink"), "sk": S("1"), "v": S("x" * 3000)})
    r = ddb.update_item(TableName=TABLE, Key={"pk": S("shrink"), "sk": S("1")},
                        UpdateExpression="REMOVE v", ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == {"TableName": TABLE, "CapacityUnits": 3.0}
