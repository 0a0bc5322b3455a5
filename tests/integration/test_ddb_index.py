# SPDX-License-Identifier: MIT
# Secondary indexes through boto3: CreateTable with a GSI and an LSI and
# their validations, DescribeTable fields, Query and Scan on indexes
# (projections, sparse, paging with index LastEvaluatedKey, reverse),
# type mismatch on PutItem, ConsistentRead on a GSI, UpdateTable creating
# (with backfill) and deleting a GSI, and an index query after a restart.
import boto3
import pytest
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

CREDS = dict(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")

DEFS = [{"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "N"},
        {"AttributeName": "g", "AttributeType": "S"},
        {"AttributeName": "r", "AttributeType": "N"}]
GSI = {"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                          {"AttributeName": "r", "KeyType": "RANGE"}],
       "Projection": {"ProjectionType": "KEYS_ONLY"}}
LSI = {"IndexName": "by_r", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                          {"AttributeName": "r", "KeyType": "RANGE"}],
       "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}}
KS = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]


def client(url):
    return boto3.client("dynamodb", endpoint_url=url, **CREDS)


def make(c, name="ixt", gsis=(GSI,), lsis=(LSI,), defs=DEFS):
    args = dict(TableName=name, KeySchema=KS, AttributeDefinitions=list(defs),
                BillingMode="PAY_PER_REQUEST")
    if gsis:
        args["GlobalSecondaryIndexes"] = list(gsis)
    if lsis:
        args["LocalSecondaryIndexes"] = list(lsis)
    return c.create_table(**args)


def fill(c, name="ixt"):
    for i in range(10):
        item = {"pk": {"S": "p"}, "sk": {"N": str(i)}, "x": {"S": "x%d" % i}, "y": {"S": "y"}}
        if i % 2 == 0:  # Odd items have no index keys: sparse.
            item["g"] = {"S": "G"}
            item["r"] = {"N": str(100 - i)}
        c.put_item(TableName=name, Item=item)


def err(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def test_describe_lists_indexes(eddy):
    c = client(eddy.url)
    make(c)
    fill(c)
    d = c.describe_table(TableName="ixt")["Table"]
    g = d["GlobalSecondaryIndexes"][0]
    assert g["IndexName"] == "by_g" and g["IndexStatus"] == "ACTIVE"
    assert g["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert g["IndexArn"] == "arn:aws:dynamodb:us-east-1:000000000000:table/ixt/index/by_g"
    assert g["ItemCount"] == 5 and g["IndexSizeBytes"] > 0
    assert "ProvisionedThroughput" in g
    l = d["LocalSecondaryIndexes"][0]
    assert l["IndexName"] == "by_r" and l["ItemCount"] == 5
    assert l["Projection"]["NonKeyAttributes"] == ["x"]


def test_query_gsi_keys_only_sorted_sparse(eddy):
    c = client(eddy.url)
    make(c)
    fill(c)
    r = c.query(TableName="ixt", IndexName="by_g", KeyConditionExpression="g = :g",
                ExpressionAttributeValues={":g": {"S": "G"}})
    assert r["Count"] == 5
    assert [int(i["r"]["N"]) for i in r["Items"]] == [92, 94, 96, 98, 100]
    assert set(r["Items"][0]) == {"pk", "sk", "g", "r"}
    r = c.query(TableName="ixt", IndexName="by_g", KeyConditionExpression="g = :g AND r > :v",
                ExpressionAttributeValues={":g": {"S": "G"}, ":v": {"N": "95"}},
                ScanIndexForward=False)
    assert [int(i["r"]["N"]) for i in r["Items"]] == [100, 98, 96]


def test_query_lsi_include_and_paging(eddy):
    c = client(eddy.url)
    make(c)
    fill(c)
    got, start = [], None
    while True:
        kw = {"ExclusiveStartKey": start} if start else {}
        r = c.query(TableName="ixt", IndexName="by_r", KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "p"}}, Limit=2, **kw)
        got += r["Items"]
        start = r.get("LastEvaluatedKey")
        if not start:
            break
        assert set(start) == {"pk", "sk", "r"}
    assert [int(i["r"]["N"]) for i in got] == [92, 94, 96, 98, 100]
    assert set(got[0]) == {"pk", "sk", "r", "x"}


def test_scan_index(eddy):
    c = client(eddy.url)
    make(c)
    fill(c)
    r = c.scan(TableName="ixt", IndexName="by_g")
    assert r["Count"] == 5
    r = c.scan(TableName="ixt", IndexName="by_g", Limit=3)
    assert r["Count"] == 3 and set(r["LastEvaluatedKey"]) == {"pk", "sk", "g", "r"}
    r2 = c.scan(TableName="ixt", IndexName="by_g", ExclusiveStartKey=r["LastEvaluatedKey"])
    assert r2["Count"] == 2


def test_index_maintained_on_update_and_delete(eddy):
    c = client(eddy.url)
    make(c)
    fill(c)
    c.update_item(TableName="ixt", Key={"pk": {"S": "p"}, "sk": {"N": "0"}},
                  UpdateExpression="SET g = :h", ExpressionAttributeValues={":h": {"S": "H"}})
    c.delete_item(TableName="ixt", Key={"pk": {"S": "p"}, "sk": {"N": "2"}})
    q = lambda v: c.query(TableName="ixt", IndexName="by_g", KeyConditionExpression="g = :g",
                          ExpressionAttributeValues={":g": {"S": v}})["Count"]
    assert q("G") == 3 and q("H") == 1


def test_type_mismatch_and_consistent_read(eddy):
    c = client(eddy.url)
    make(c)
    with pytest.raises(ClientError) as e:
        c.put_item(TableName="ixt", Item={"pk": {"S": "p"}, "sk": {"N": "1"}, "g": {"N": "1"}})
    assert err(e) == ("ValidationException", "One or more parameter values were invalid: Type mismatch "
                      "for Index Key g Expected: S Actual: N IndexName: by_g")
    assert c.scan(TableName="ixt")["Count"] == 0
    c.put_item(TableName="ixt", Item={"pk": {"S": "p"}, "sk": {"N": "1"}})
    with pytest.raises(ClientError) as e:  # The same through an update.
        c.update_item(TableName="ixt", Key={"pk": {"S": "p"}, "sk": {"N": "1"}},
                      UpdateExpression="SET g = :n", ExpressionAttributeValues={":n": {"N": "7"}})
    assert err(e)[1].endswith("Type mismatch for Index Key g Expected: S Actual: N IndexName: by_g")
    c.delete_item(TableName="ixt", Key={"pk": {"S": "p"}, "sk": {"N": "1"}})
    with pytest.raises(ClientError) as e:
        c.query(TableName="ixt", IndexName="by_g", KeyConditionExpression="g = :g",
                ExpressionAttributeValues={":g": {"S": "G"}}, ConsistentRead=True)
    assert err(e) == ("ValidationException",
                      "Consistent reads are not supported on global secondary indexes")
    with pytest.raises(ClientError) as e:
        c.query(TableName="ixt", IndexName="nope", KeyConditionExpression="g = :g",
                ExpressionAttributeValues={":g": {"S": "G"}})
    assert err(e) == ("ValidationException", "The table does not have the specified index: nope")
    with pytest.raises(ClientError) as e:
        c.query(TableName="ixt", IndexName="by_g", KeyConditionExpression="g = :g",
                ExpressionAttributeValues={":g": {"S": "G"}}, Select="ALL_ATTRIBUTES")
    assert "projection type is not ALL" in err(e)[1]


def test_create_validations(eddy):
    c = client(eddy.url)
    cases = [
        dict(lsis=[dict(LSI, KeySchema=[{"AttributeName": "g", "KeyType": "HASH"},
                                         {"AttributeName": "r", "KeyType": "RANGE"}])],
             msg="same leading hash key"),
        dict(gsis=[GSI, GSI], lsis=(), msg="Duplicate index name: by_g"),
        dict(gsis=[dict(GSI, KeySchema=[{"AttributeName": "zz", "KeyType": "HASH"}])], lsis=(),
             msg="Some index key attributes are not defined in AttributeDefinitions"),
        dict(gsis=[dict(GSI, IndexName="gsi%d" % i) for i in range(21)], lsis=(),
             msg="GlobalSecondaryIndex count exceeds the per-table limit of 20"),
        dict(gsis=(), lsis=[dict(LSI, IndexName="lsi%d" % i) for i in range(6)],
             msg="Number of LocalSecondaryIndexes exceeds per-table limit of 5"),
        dict(gsis=(), lsis=(), msg="Number of attributes in KeySchema does not exactly match"),
        dict(gsis=[GSI], lsis=(), defs=DEFS + [{"AttributeName": "u", "AttributeType": "S"}],
             msg="Some AttributeDefinitions are not used"),
    ]
    for case in cases:
        msg = case.pop("msg")
        with pytest.raises(ClientError) as e:
            make(c, **case)
        assert err(e)[0] == "ValidationException" and msg in err(e)[1], (msg, err(e))


def test_update_table_create_and_delete_gsi(eddy):
    c = client(eddy.url)
    make(c, gsis=(), lsis=(), defs=DEFS[:2])
    fill(c)
    r = c.update_table(TableName="ixt", AttributeDefinitions=DEFS[2:3],
                       GlobalSecondaryIndexUpdates=[{"Create": {
                           "IndexName": "late", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                           "Projection": {"ProjectionType": "ALL"}}}])
    g = r["TableDescription"]["GlobalSecondaryIndexes"][0]
    assert g["IndexName"] == "late" and g["IndexStatus"] == "CREATING"
    d = c.describe_table(TableName="ixt")["Table"]["GlobalSecondaryIndexes"][0]
    assert d["IndexStatus"] == "ACTIVE" and d["ItemCount"] == 5
    r = c.query(TableName="ixt", IndexName="late", KeyConditionExpression="g = :g",
                ExpressionAttributeValues={":g": {"S": "G"}})
    assert r["Count"] == 5 and "y" in r["Items"][0]  # ALL projection, backfilled.
    c.update_table(TableName="ixt", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "late"}}])
    assert "GlobalSecondaryIndexes" not in c.describe_table(TableName="ixt")["Table"]
    with pytest.raises(ClientError) as e:
        c.query(TableName="ixt", IndexName="late", KeyConditionExpression="g = :g",
                ExpressionAttributeValues={":g": {"S": "G"}})
    assert err(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        c.update_table(TableName="ixt", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "late"}}])
    assert err(e)[0] == "ResourceNotFoundException"


def test_index_query_after_restart(start_eddy):
    e = start_eddy()
    c = client(e.url)
    make(c)
    fill(c)
    data = e.data_dir
    e.stop()
    e2 = start_eddy(data_dir=data)
    r = boto3.resource("dynamodb", endpoint_url=e2.url, **CREDS).Table("ixt").query(
        IndexName="by_g", KeyConditionExpression=Key("g").eq("G"))
    assert r["Count"] == 5
