# SPDX-License-Identifier: MIT
# ConsumedCapacity of transactions as DynamoDB bills them: 2 units per item,
# each rounded up to whole 1 KB written (TransactWriteItems) or 4 KB read
# (TransactGetItems, missing items included), one entry per table, and on
# transactions only the split into Write- or ReadCapacityUnits. A repeated
# request under the same ClientRequestToken is billed as a read.
import boto3
import pytest
from botocore.exceptions import ClientError

CREDS = dict(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


@pytest.fixture
def ddb(eddy):
    c = boto3.client("dynamodb", endpoint_url=eddy.url, **CREDS)
    for name in ("one", "two"):
        c.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    return c


def by_table(cc):
    return {e["TableName"]: e for e in cc}


def test_write_units_per_table_two_per_kilobyte_item(ddb):
    big = "x" * 1500  # Over 1 KB: 2 write units, doubled.
    ddb.put_item(TableName="two", Item={"pk": {"S": "gone"}, "v": {"S": big}})
    r = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "one", "Item": {"pk": {"S": "a"}}}},
        {"Put": {"TableName": "one", "Item": {"pk": {"S": "b"}, "v": {"S": big}}}},
        {"Delete": {"TableName": "two", "Key": {"pk": {"S": "gone"}}}},
    ], ReturnConsumedCapacity="TOTAL")
    got = by_table(r["ConsumedCapacity"])
    assert got["one"] == {"TableName": "one", "CapacityUnits": 6.0, "WriteCapacityUnits": 6.0}
    assert got["two"] == {"TableName": "two", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}
    ddb.put_item(TableName="one", Item={"pk": {"S": "small"}})
    r = ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": "one", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET n = :n",
                    "ExpressionAttributeValues": {":n": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": "one", "Key": {"pk": {"S": "small"}},
                            "ConditionExpression": "attribute_exists(pk)"}},
    ], ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == [{
        "TableName": "one", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0,
        "Table": {"CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}}]
    r = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "one", "Item": {"pk": {"S": "c"}}}}])
    assert "ConsumedCapacity" not in r


def test_a_replay_under_the_same_token_is_billed_as_a_read(ddb):
    req = dict(TransactItems=[{"Put": {"TableName": "one", "Item": {"pk": {"S": "t"}}}}],
               ClientRequestToken="tok-1", ReturnConsumedCapacity="TOTAL")
    first = ddb.transact_write_items(**req)
    assert first["ConsumedCapacity"] == [
        {"TableName": "one", "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}]
    again = ddb.transact_write_items(**req)
    assert again["ConsumedCapacity"] == [
        {"TableName": "one", "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}]


def test_a_replay_is_billed_per_4_kb_of_each_item_it_names(ddb):
    # DynamoDB recomputes a replay as a transactional read of each item, 2
    # units per 4 KB: a 9 KB Put wrote 2 x 9 units and replays as 2 x 3;
    # the Update of a 1.5 KB item wrote 2 x 2 and replays as 2 x 1.
    ddb.put_item(TableName="two", Item={"pk": {"S": "u"}, "v": {"S": "y" * 1500}})
    req = dict(TransactItems=[
        {"Put": {"TableName": "one", "Item": {"pk": {"S": "big"}, "v": {"S": "x" * 9000}}}},
        {"Update": {"TableName": "two", "Key": {"pk": {"S": "u"}}, "UpdateExpression": "SET n = :n",
                    "ExpressionAttributeValues": {":n": {"N": "1"}}}},
    ], ClientRequestToken="tok-size", ReturnConsumedCapacity="INDEXES")
    first = by_table(ddb.transact_write_items(**req)["ConsumedCapacity"])
    assert first["one"]["WriteCapacityUnits"] == 18.0
    assert first["two"]["WriteCapacityUnits"] == 4.0
    again = by_table(ddb.transact_write_items(**req)["ConsumedCapacity"])
    assert again["one"] == {"TableName": "one", "CapacityUnits": 6.0, "ReadCapacityUnits": 6.0,
                            "Table": {"CapacityUnits": 6.0, "ReadCapacityUnits": 6.0}}
    assert again["two"] == {"TableName": "two", "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0,
                            "Table": {"CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}}


def test_get_units_two_per_item_missing_ones_too(ddb):
    ddb.put_item(TableName="one", Item={"pk": {"S": "here"}, "v": {"S": "x" * 5000}})
    r = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": "one", "Key": {"pk": {"S": "here"}}}},
        {"Get": {"TableName": "two", "Key": {"pk": {"S": "nobody"}}}},
    ], ReturnConsumedCapacity="TOTAL")
    got = by_table(r["ConsumedCapacity"])
    assert got["one"] == {"TableName": "one", "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0}
    assert got["two"] == {"TableName": "two", "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}
    assert "Item" in r["Responses"][0] and r["Responses"][1] == {}


def test_a_bad_return_consumed_capacity_is_refused(ddb):
    with pytest.raises(ClientError) as ei:
        ddb.transact_get_items(TransactItems=[
            {"Get": {"TableName": "one", "Key": {"pk": {"S": "a"}}}}],
            ReturnConsumedCapacity="SOME")
    assert ei.value.response["Error"]["Code"] == "ValidationException"


# ---- Indexed tables. A transaction doubles its table share only: each index
# is charged what the same write costs outside a transaction (ddb_wcap.c: a
# put into the index, a delete from it, both when its key moves, one rewrite
# when a stored attribute changed, nothing otherwise), and under INDEXES
# every arm also carries WriteCapacityUnits.

def w(u):
    return {"CapacityUnits": u, "WriteCapacityUnits": u}


@pytest.fixture
def ix(ddb):
    """Table idx (pk, sk) with GSI g-all (gk, ALL), GSI g-keys (gk, KEYS_ONLY)
    and LSI l-all (pk, lk, ALL); tables one and two come from `ddb`."""
    s = {"AttributeType": "S"}
    ddb.create_table(
        TableName="idx", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[dict(s, AttributeName=a) for a in ("pk", "sk", "gk", "lk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {"IndexName": "g-all", "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "g-keys", "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        LocalSecondaryIndexes=[
            {"IndexName": "l-all", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                 {"AttributeName": "lk", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}}])
    return ddb


def item(pk, **attrs):
    return {"pk": {"S": pk}, "sk": {"S": "1"}, **{k: {"S": v} for k, v in attrs.items()}}


def key(pk):
    return {"pk": {"S": pk}, "sk": {"S": "1"}}


def txw(ddb, *actions, rcc="INDEXES"):
    return ddb.transact_write_items(TransactItems=list(actions),
                                    ReturnConsumedCapacity=rcc)["ConsumedCapacity"]


def update(pk, expr, **vals):
    return {"Update": {"TableName": "idx", "Key": key(pk), "UpdateExpression": expr,
                       "ExpressionAttributeValues": {k: {"S": v} for k, v in vals.items()}}}


def test_a_put_charges_every_index_it_enters_once_and_the_table_twice(ix):
    put = {"Put": {"TableName": "idx", "Item": item("a", gk="g1", lk="L1")}}
    assert txw(ix, put) == [{
        "TableName": "idx", **w(5.0), "Table": w(2.0),
        "GlobalSecondaryIndexes": {"g-all": w(1.0), "g-keys": w(1.0)},
        "LocalSecondaryIndexes": {"l-all": w(1.0)}}]
    put2 = {"Put": {"TableName": "idx", "Item": item("b", gk="g1", lk="L1")}}
    assert txw(ix, put2, rcc="TOTAL") == [{"TableName": "idx", **w(5.0)}]


def test_a_sparse_item_charges_no_index(ix):
    put = {"Put": {"TableName": "idx", "Item": item("s", v="x")}}
    assert txw(ix, put) == [{"TableName": "idx", **w(2.0), "Table": w(2.0)}]
    # Entering only the GSIs: no LSI arm at all, not a zero one.
    got = txw(ix, update("s", "SET gk = :g", **{":g": "g1"}))
    assert got == [{"TableName": "idx", **w(4.0), "Table": w(2.0),
                    "GlobalSecondaryIndexes": {"g-all": w(1.0), "g-keys": w(1.0)}}]


def test_a_non_key_change_charges_all_projections_not_keys_only(ix):
    ix.put_item(TableName="idx", Item=item("p", gk="g1", lk="L1", v="old"))
    got = txw(ix, update("p", "SET v = :v", **{":v": "new"}))
    assert got == [{"TableName": "idx", **w(4.0), "Table": w(2.0),
                    "GlobalSecondaryIndexes": {"g-all": w(1.0)},
                    "LocalSecondaryIndexes": {"l-all": w(1.0)}}]


def test_moving_an_index_key_is_a_delete_and_a_put_sized_per_entry(ix):
    big = "x" * 1500  # Over 1 KB where projected: 2 units per entry.
    ix.put_item(TableName="idx", Item=item("m", gk="g1", lk="L1", v=big))
    got = txw(ix, update("m", "SET gk = :g", **{":g": "g2"}))
    # Table 2 x 2; g-all 2 + 2; g-keys (keys only) 1 + 1; l-all one rewrite, 2.
    assert got == [{"TableName": "idx", **w(12.0), "Table": w(4.0),
                    "GlobalSecondaryIndexes": {"g-all": w(4.0), "g-keys": w(2.0)},
                    "LocalSecondaryIndexes": {"l-all": w(2.0)}}]
    single = ix.update_item(TableName="idx", Key=key("m"), UpdateExpression="SET gk = :g",
                            ExpressionAttributeValues={":g": {"S": "g1"}},
                            ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    # Outside a transaction the indexes cost the same; only the table halves.
    assert single["Table"] == {"CapacityUnits": 2.0}
    assert single["GlobalSecondaryIndexes"] == {"g-all": {"CapacityUnits": 4.0},
                                                "g-keys": {"CapacityUnits": 2.0}}


def test_deletes_and_checks(ix):
    ix.put_item(TableName="idx", Item=item("d", gk="g1", lk="L1"))
    ix.put_item(TableName="idx", Item=item("c", gk="g1", lk="L1"))
    got = txw(ix,
              {"Delete": {"TableName": "idx", "Key": key("d")}},
              {"Delete": {"TableName": "idx", "Key": key("absent")}},
              {"ConditionCheck": {"TableName": "idx", "Key": key("c"),
                                  "ConditionExpression": "attribute_exists(pk)"}})
    # Table 3 x 2; only the delete of a present item leaves the indexes.
    assert got == [{"TableName": "idx", **w(9.0), "Table": w(6.0),
                    "GlobalSecondaryIndexes": {"g-all": w(1.0), "g-keys": w(1.0)},
                    "LocalSecondaryIndexes": {"l-all": w(1.0)}}]
    # Writing back what is stored changes no index.
    same = {"Put": {"TableName": "idx", "Item": item("c", gk="g1", lk="L1")}}
    assert txw(ix, same) == [{"TableName": "idx", **w(2.0), "Table": w(2.0)}]


def test_each_table_reports_its_own_indexes(ix):
    got = txw(ix,
              {"Put": {"TableName": "one", "Item": {"pk": {"S": "t"}}}},
              {"Put": {"TableName": "idx", "Item": item("t", gk="g1")}},
              {"Put": {"TableName": "one", "Item": {"pk": {"S": "u"}}}})
    assert got == [
        {"TableName": "one", **w(4.0), "Table": w(4.0)},
        {"TableName": "idx", **w(4.0), "Table": w(2.0),
         "GlobalSecondaryIndexes": {"g-all": w(1.0), "g-keys": w(1.0)}}]


def test_get_transactions_report_only_the_table_of_an_indexed_table(ix):
    # Reads never touch an index: under INDEXES only the Table arm appears.
    # (Already so before index charging; kept as a guard.)
    ix.put_item(TableName="idx", Item=item("r", gk="g1", lk="L1"))
    r = ix.transact_get_items(TransactItems=[
        {"Get": {"TableName": "idx", "Key": key("r")}},
        {"Get": {"TableName": "idx", "Key": key("nobody")}},
    ], ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == [{
        "TableName": "idx", "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0,
        "Table": {"CapacityUnits": 4.0, "ReadCapacityUnits": 4.0}}]


def test_an_upsert_enters_each_index_once_and_a_shrink_bills_the_larger_entry(ix):
    got = txw(ix, update("u", "SET gk = :g, lk = :l", **{":g": "g1", ":l": "L1"}))
    assert got == [{"TableName": "idx", **w(5.0), "Table": w(2.0),
                    "GlobalSecondaryIndexes": {"g-all": w(1.0), "g-keys": w(1.0)},
                    "LocalSecondaryIndexes": {"l-all": w(1.0)}}]
    ix.put_item(TableName="idx", Item=item("j", gk="g1", lk="L1", v="x" * 3000))
    got = txw(ix, update("j", "SET v = :v", **{":v": "p"}))
    # 3 KB before, small after: the table 2 x 3, each ALL index one rewrite of 3.
    assert got == [{"TableName": "idx", **w(12.0), "Table": w(6.0),
                    "GlobalSecondaryIndexes": {"g-all": w(3.0)},
                    "LocalSecondaryIndexes": {"l-all": w(3.0)}}]
