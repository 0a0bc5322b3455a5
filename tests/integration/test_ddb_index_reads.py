# SPDX-License-Identifier: MIT
# Secondary index reads beyond the projection: an LSI fetches attributes it
# does not project from the table item (Select ALL_ATTRIBUTES, projections,
# filters), a GSI refuses them with DynamoDB's messages; Select
# SPECIFIC_ATTRIBUTES; ReturnConsumedCapacity INDEXES shapes (index units,
# fetches charged to the table); parallel Scan of an index; filters on
# index Query and Scan.
import boto3
import pytest
from botocore.exceptions import ClientError

from test_ddb_index import CREDS, client, err, fill, make

P = {":p": {"S": "p"}}
G = {":g": {"S": "G"}}


def index_query(c, index, attr, value, kw):
    values = dict(value, **kw.pop("values", {}))
    if "AttributesToGet" in kw or "QueryFilter" in kw:  # Legacy style throughout.
        cond = {"ComparisonOperator": "EQ", "AttributeValueList": list(value.values())}
        return c.query(TableName="ixt", IndexName=index, KeyConditions={attr: cond}, **kw)
    return c.query(TableName="ixt", IndexName=index, KeyConditionExpression="%s = %s" % (
        attr, list(value)[0]), ExpressionAttributeValues=values, **kw)


def lsi_query(c, **kw):
    return index_query(c, "by_r", "pk", P, kw)


def gsi_query(c, **kw):
    return index_query(c, "by_g", "g", G, kw)


def test_lsi_select_all_attributes_fetches_table_item(eddy):
    c = client(eddy.url)
    make(c)
    fill(c)
    r = lsi_query(c, Select="ALL_ATTRIBUTES")
    assert r["Count"] == 5
    assert [int(i["r"]["N"]) for i in r["Items"]] == [92, 94, 96, 98, 100]  # Index order kept.
    assert all(set(i) == {"pk", "sk", "r", "g", "x", "y"} for i in r["Items"])
    r = lsi_query(c)  # Default: ALL_PROJECTED_ATTRIBUTES, no fetch.
    assert set(r["Items"][0]) == {"pk", "sk", "r", "x"}
    r = lsi_query(c, Select="ALL_PROJECTED_ATTRIBUTES")
    assert set(r["Items"][0]) == {"pk", "sk", "r", "x"}


def test_lsi_projection_and_filter_fetch(eddy):
    c = client(eddy.url)
    make(c)
    fill(c)
    r = lsi_query(c, ProjectionExpression="#y, r", ExpressionAttributeNames={"#y": "y"})
    assert r["Items"][0] == {"y": {"S": "y"}, "r": {"N": "92"}}
    r = lsi_query(c, AttributesToGet=["g", "x"], Select="SPECIFIC_ATTRIBUTES")
    assert r["Items"][0] == {"g": {"S": "G"}, "x": {"S": "x8"}}
    # The filter names y, which the index does not hold: evaluated on the table item.
    r = lsi_query(c, FilterExpression="y = :y", values={":y": {"S": "y"}})
    assert r["Count"] == 5 and r["ScannedCount"] == 5
    assert set(r["Items"][0]) == {"pk", "sk", "r", "x"}  # Still the projected attributes.
    r = lsi_query(c, FilterExpression="y <> :y", values={":y": {"S": "y"}})
    assert r["Count"] == 0 and r["ScannedCount"] == 5
    r = c.scan(TableName="ixt", IndexName="by_r", Select="ALL_ATTRIBUTES")
    assert r["Count"] == 5 and "y" in r["Items"][0]


def test_lsi_fetch_paging(eddy):
    c = client(eddy.url)
    make(c)
    fill(c)
    got, start = [], None
    while True:
        kw = {"ExclusiveStartKey": start} if start else {}
        r = lsi_query(c, Select="ALL_ATTRIBUTES", Limit=2, **kw)
        got += r["Items"]
        start = r.get("LastEvaluatedKey")
        if not start:
            break
        assert set(start) == {"pk", "sk", "r"}
    assert [int(i["r"]["N"]) for i in got] == [92, 94, 96, 98, 100]
    assert all("y" in i for i in got)


def test_gsi_refuses_attributes_it_does_not_project(eddy):
    c = client(eddy.url)
    make(c)
    fill(c)
    cases = [
        (dict(ProjectionExpression="x"),
         "One or more parameter values were invalid: Global secondary index by_g does not project [x]"),
        (dict(ProjectionExpression="pk, #y, x.a, r", ExpressionAttributeNames={"#y": "y"}),
         "One or more parameter values were invalid: Global secondary index by_g does not project [y, x]"),
        (dict(AttributesToGet=["g", "y"]),
         "One or more parameter values were invalid: Global secondary index by_g does not project [y]"),
        (dict(FilterExpression="attribute_exists(y) AND size(x) > :n", values={":n": {"N": "0"}}),
         "One or more parameter values were invalid: Secondary index by_g does not project one or "
         "more filter attributes: [y, x]"),
        (dict(QueryFilter={"y": {"ComparisonOperator": "NOT_NULL"}}),
         "One or more parameter values were invalid: Secondary index by_g does not project one or "
         "more filter attributes: [y]"),
    ]
    for kw, msg in cases:
        with pytest.raises(ClientError) as e:
            gsi_query(c, **kw)
        assert err(e) == ("ValidationException", msg), kw
    with pytest.raises(ClientError) as e:
        c.scan(TableName="ixt", IndexName="by_g", ProjectionExpression="y")
    assert err(e)[1].endswith("Global secondary index by_g does not project [y]")
    # Projected attributes (table and index keys) are fine, nested paths included.
    r = gsi_query(c, ProjectionExpression="pk, r", FilterExpression="sk > :s AND begins_with(pk, :q)",
                  values={":s": {"N": "2"}, ":q": {"S": "p"}})
    assert r["Count"] == 3 and set(r["Items"][0]) == {"pk", "r"}


def test_select_specific_attributes(eddy):
    c = client(eddy.url)
    make(c)
    fill(c)
    with pytest.raises(ClientError) as e:
        gsi_query(c, Select="SPECIFIC_ATTRIBUTES")
    assert err(e) == ("ValidationException", "1 validation error detected: Must specify the "
                      "AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
    with pytest.raises(ClientError) as e:
        c.scan(TableName="ixt", Select="SPECIFIC_ATTRIBUTES")
    assert err(e) == ("ValidationException", "1 validation error detected: Must specify the "
                      "AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
    r = gsi_query(c, Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="sk")
    assert r["Items"][0] == {"sk": {"N": "8"}}


def test_consumed_capacity_indexes(eddy):
    c = client(eddy.url)
    make(c)
    fill(c)
    r = gsi_query(c, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == {"TableName": "ixt", "CapacityUnits": 0.5,
                                     "Table": {"CapacityUnits": 0.0},
                                     "GlobalSecondaryIndexes": {"by_g": {"CapacityUnits": 0.5}}}
    r = gsi_query(c, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == {"TableName": "ixt", "CapacityUnits": 0.5}
    # Five fetched items, each a whole 4 KB unit, halved for eventual consistency.
    r = lsi_query(c, Select="ALL_ATTRIBUTES", ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == {"TableName": "ixt", "CapacityUnits": 3.0,
                                     "Table": {"CapacityUnits": 2.5},
                                     "LocalSecondaryIndexes": {"by_r": {"CapacityUnits": 0.5}}}
    r = lsi_query(c, Select="ALL_ATTRIBUTES", ConsistentRead=True, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"]["Table"] == {"CapacityUnits": 5.0}
    assert r["ConsumedCapacity"]["LocalSecondaryIndexes"] == {"by_r": {"CapacityUnits": 1.0}}
    r = c.scan(TableName="ixt", IndexName="by_r", ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"]["LocalSecondaryIndexes"] == {"by_r": {"CapacityUnits": 0.5}}
    assert r["ConsumedCapacity"]["Table"] == {"CapacityUnits": 0.0}
    r = c.query(TableName="ixt", KeyConditionExpression="pk = :p", ExpressionAttributeValues=P,
                ReturnConsumedCapacity="INDEXES")  # The table itself: no index member.
    assert r["ConsumedCapacity"] == {"TableName": "ixt", "CapacityUnits": 0.5,
                                     "Table": {"CapacityUnits": 0.5}}


def test_parallel_scan_of_index(eddy):
    c = client(eddy.url)
    make(c, lsis=())
    for i in range(60):
        c.put_item(TableName="ixt", Item={"pk": {"S": "p%d" % i}, "sk": {"N": "1"},
                                          "g": {"S": "G%d" % (i % 7)}, "r": {"N": str(i)}})
    seen, counts = [], []
    for seg in range(4):
        start, n = None, 0
        while True:
            kw = {"ExclusiveStartKey": start} if start else {}
            r = c.scan(TableName="ixt", IndexName="by_g", Segment=seg, TotalSegments=4, Limit=5, **kw)
            seen += [i["pk"]["S"] for i in r["Items"]]
            n += r["Count"]
            start = r.get("LastEvaluatedKey")
            if not start:
                break
        counts.append(n)
    assert sorted(seen) == sorted("p%d" % i for i in range(60))  # Disjoint and complete.
    assert sum(1 for n in counts if n) >= 2  # Seven index partitions spread over segments.
    r = c.scan(TableName="ixt", IndexName="by_g", Segment=1, TotalSegments=2,
               FilterExpression="r < :v", ExpressionAttributeValues={":v": {"N": "10"}})
    r0 = c.scan(TableName="ixt", IndexName="by_g", Segment=0, TotalSegments=2,
                FilterExpression="r < :v", ExpressionAttributeValues={":v": {"N": "10"}})
    assert r["Count"] + r0["Count"] == 10
    assert r["ScannedCount"] + r0["ScannedCount"] == 60


def test_filter_on_index_query_and_scan(eddy):
    c = client(eddy.url)
    make(c)
    fill(c)
    r = gsi_query(c, FilterExpression="sk >= :s", values={":s": {"N": "4"}})
    assert [int(i["sk"]["N"]) for i in r["Items"]] == [8, 6, 4] and r["ScannedCount"] == 5
    r = gsi_query(c, QueryFilter={"sk": {"ComparisonOperator": "LT",
                                         "AttributeValueList": [{"N": "4"}]}})
    assert r["Count"] == 2
    r = c.scan(TableName="ixt", IndexName="by_r", FilterExpression="x IN (:a, :b)",
               ExpressionAttributeValues={":a": {"S": "x0"}, ":b": {"S": "x4"}})
    assert r["Count"] == 2 and r["ScannedCount"] == 5
    r = gsi_query(c, Select="COUNT", FilterExpression="sk < :v", values={":v": {"N": "5"}})
    assert r["Count"] == 3 and "Items" not in r
