# SPDX-License-Identifier: MIT
# The DynamoDB JSON 1.0 front door through real clients (boto3 client and
# resource, aws-cli): every table and item operation, DynamoDB's error types
# and messages, exact round trips of every attribute type, Scan paging and
# segments, batch limits, and persistence across a restart.
import base64
import json
import os
import subprocess
from decimal import Decimal

import boto3
import pytest
import requests
from boto3.dynamodb.types import Binary
from botocore.exceptions import ClientError

CREDS = dict(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def client(e):
    return boto3.client("dynamodb", endpoint_url=e.url, **CREDS)


def resource(e):
    return boto3.resource("dynamodb", endpoint_url=e.url, **CREDS)


def make_table(c, name="tb1", pk=("pk", "S"), sk=None, **kw):
    ks = [{"AttributeName": pk[0], "KeyType": "HASH"}]
    ad = [{"AttributeName": pk[0], "AttributeType": pk[1]}]
    if sk:
        ks.append({"AttributeName": sk[0], "KeyType": "RANGE"})
        ad.append({"AttributeName": sk[0], "AttributeType": sk[1]})
    kw.setdefault("BillingMode", "PAY_PER_REQUEST")
    return c.create_table(TableName=name, KeySchema=ks, AttributeDefinitions=ad, **kw)


def error_of(fn, *a, **kw):
    with pytest.raises(ClientError) as ei:
        fn(*a, **kw)
    err = ei.value.response["Error"]
    return err["Code"], err.get("Message", "")


# ---- tables -------------------------------------------------------------------


def test_create_describe_list_delete(eddy):
    c = client(eddy)
    d = make_table(c, "tb1", sk=("sk", "N"), BillingMode="PROVISIONED",
                   ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7})["TableDescription"]
    assert d["TableStatus"] == "ACTIVE"
    assert d["TableArn"] == "arn:aws:dynamodb:us-east-1:000000000000:table/tb1"
    assert d["ProvisionedThroughput"] == {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 5,
                                          "WriteCapacityUnits": 7}
    assert d["KeySchema"][1] == {"AttributeName": "sk", "KeyType": "RANGE"}
    assert len(d["TableId"]) == 36
    t = c.describe_table(TableName="tb1")["Table"]
    assert t["ItemCount"] == 0 and t["TableSizeBytes"] == 0
    assert t["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    raw = requests.post(eddy.url, data=json.dumps({"TableName": "tb1"}),
                        headers={"X-Amz-Target": "DynamoDB_20120810.DescribeTable",
                                 "Content-Type": "application/x-amz-json-1.0"}).json()["Table"]
    assert raw["DeletionProtectionEnabled"] is False  # Older botocore drops this member.
    assert "StreamSpecification" not in t
    for name in ["tb2", "tb3", "tb0"]:
        make_table(c, name)
    assert c.list_tables()["TableNames"] == ["tb0", "tb1", "tb2", "tb3"]
    page = c.list_tables(Limit=2)
    assert page["TableNames"] == ["tb0", "tb1"] and page["LastEvaluatedTableName"] == "tb1"
    page = c.list_tables(Limit=2, ExclusiveStartTableName="tb1")
    assert page["TableNames"] == ["tb2", "tb3"] and "LastEvaluatedTableName" not in page
    d = c.delete_table(TableName="tb1")["TableDescription"]
    assert d["TableStatus"] == "DELETING" and d["TableName"] == "tb1"
    assert error_of(c.describe_table, TableName="tb1") == (
        "ResourceNotFoundException", "Requested resource not found: Table: tb1 not found")
    assert c.list_tables()["TableNames"] == ["tb0", "tb2", "tb3"]


def test_create_errors(eddy):
    c = client(eddy)
    make_table(c, "dup")
    assert error_of(make_table, c, "dup") == ("ResourceInUseException", "Table already exists: dup")
    code, msg = error_of(make_table, c, "a$b")
    assert code == "ValidationException"
    assert msg == ("1 validation error detected: Value 'a$b' at 'tableName' failed to satisfy "
                   "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
    r = requests.post(eddy.url, data=json.dumps({"TableName": "ab"}),
                      headers={"X-Amz-Target": "DynamoDB_20120810.DescribeTable",
                               "Content-Type": "application/x-amz-json-1.0"})
    assert r.json()["message"] == ("1 validation error detected: Value 'ab' at 'tableName' failed to "
                                   "satisfy constraint: Member must have length greater than or equal to 3")
    code, msg = error_of(c.create_table, TableName="bad", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "b", "AttributeType": "S"}])
    assert code == "ValidationException" and "not defined in AttributeDefinitions" in msg
    code, msg = error_of(c.create_table, TableName="bad", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                                               {"AttributeName": "b", "AttributeType": "S"}])
    assert "Number of attributes in KeySchema does not exactly match" in msg
    code, msg = error_of(c.create_table, TableName="bad", BillingMode="PROVISIONED",
                         KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}])
    assert "ReadCapacityUnits and WriteCapacityUnits must both be specified" in msg
    code, msg = error_of(c.create_table, TableName="bad", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "a", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}])
    assert msg == "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"


def test_streams_update_table(eddy):
    c = client(eddy)
    d = make_table(c, "st1", StreamSpecification={"StreamEnabled": True,
                                                  "StreamViewType": "NEW_AND_OLD_IMAGES"})["TableDescription"]
    label = d["LatestStreamLabel"]
    assert len(label) == 23 and label[10] == "T" and label[19] == "."
    assert d["LatestStreamArn"] == f"arn:aws:dynamodb:us-east-1:000000000000:table/st1/stream/{label}"
    assert d["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    code, msg = error_of(c.update_table, TableName="st1",
                         StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    assert (code, msg) == ("ValidationException", "Table already has an enabled stream: TableName: st1")
    d = c.update_table(TableName="st1", StreamSpecification={"StreamEnabled": False})["TableDescription"]
    assert "StreamSpecification" not in d
    code, msg = error_of(c.update_table, TableName="st1", StreamSpecification={"StreamEnabled": False})
    assert msg == "Table has no stream to disable: TableName: st1"
    import time
    time.sleep(0.01)
    d = c.update_table(TableName="st1", StreamSpecification={"StreamEnabled": True,
                                                            "StreamViewType": "KEYS_ONLY"})["TableDescription"]
    assert d["LatestStreamLabel"] != label
    assert d["StreamSpecification"]["StreamViewType"] == "KEYS_ONLY"
    d = c.update_table(TableName="st1", BillingMode="PROVISIONED",
                       ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})["TableDescription"]
    assert d["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert d["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert error_of(c.update_table, TableName="nope", BillingMode="PAY_PER_REQUEST")[0] == \
        "ResourceNotFoundException"


# ---- items --------------------------------------------------------------------


def test_walkthrough_hello_member(eddy):
    c = client(eddy)
    make_table(c, "hello-member", pk=("name", "S"),
               StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    t = resource(eddy).Table("hello-member")
    t.put_item(Item={"name": "Ama", "mood": "Happy"})
    t.put_item(Item={"name": "Kofi", "mood": "Sad"})
    items = sorted(t.scan()["Items"], key=lambda i: i["name"])
    assert items == [{"name": "Ama", "mood": "Happy"}, {"name": "Kofi", "mood": "Sad"}]
    log = requests.get(f"{eddy.url}/_eddy/tables/hello-member/log?after=0&limit=10").json()
    assert [r["record"]["eventName"] for r in log["Records"]] == ["INSERT", "INSERT"]
    assert log["LastSeq"] == 2


ALL_TYPES = {
    "pk": "k1",
    "s": "héllo \"quoted\" \u2603",
    "empty": "",
    "n": Decimal("-12.5"),
    "big": Decimal("123456789012345678901234567890.12345678"),
    "tiny": Decimal("1E-130"),
    "bin": Binary(bytes(range(256))),
    "emptybin": Binary(b""),
    "t": True,
    "f": False,
    "nul": None,
    "m": {"z": Decimal(1), "a": {"deep": ["x", Decimal("2.5"), {"q": None}]}},
    "l": [Decimal(1), "two", Binary(b"3"), [], {}],
    "ss": {"b", "a", ""},
    "ns": {Decimal("1"), Decimal("-2.25"), Decimal("100")},
    "bs": {Binary(b"\x00"), Binary(b"\xff\x01")},
}


def test_all_types_round_trip(eddy):
    c = client(eddy)
    make_table(c, "types")
    t = resource(eddy).Table("types")
    t.put_item(Item=ALL_TYPES)
    got = t.get_item(Key={"pk": "k1"}, ConsistentRead=True)["Item"]
    assert got == ALL_TYPES
    assert t.scan()["Items"] == [ALL_TYPES]


def test_put_get_delete_return_values(eddy):
    c = client(eddy)
    make_table(c, "items", sk=("sk", "N"))
    key = {"pk": {"S": "a"}, "sk": {"N": "1"}}
    r = c.put_item(TableName="items", Item={**key, "v": {"S": "one"}}, ReturnValues="ALL_OLD")
    assert "Attributes" not in r
    r = c.put_item(TableName="items", Item={**key, "v": {"S": "two"}}, ReturnValues="ALL_OLD",
                   ReturnConsumedCapacity="TOTAL")
    assert r["Attributes"]["v"] == {"S": "one"}
    assert r["ConsumedCapacity"] == {"TableName": "items", "CapacityUnits": 1.0}
    r = c.get_item(TableName="items", Key={"pk": {"S": "a"}, "sk": {"N": "1.0"}},
                   ReturnConsumedCapacity="TOTAL")
    assert r["Item"]["v"] == {"S": "two"}
    assert r["ConsumedCapacity"] == {"TableName": "items", "CapacityUnits": 0.5}
    r = c.get_item(TableName="items", Key=key, ConsistentRead=True, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 1.0
    assert r["ConsumedCapacity"]["Table"] == {"CapacityUnits": 1.0}
    r = c.get_item(TableName="items", Key=key, ProjectionExpression="#v, sk",
                   ExpressionAttributeNames={"#v": "v"})
    assert r["Item"] == {"v": {"S": "two"}, "sk": {"N": "1"}}
    assert "Item" not in c.get_item(TableName="items", Key={"pk": {"S": "zz"}, "sk": {"N": "1"}})
    r = c.delete_item(TableName="items", Key=key, ReturnValues="ALL_OLD")
    assert r["Attributes"]["v"] == {"S": "two"}
    r = c.delete_item(TableName="items", Key=key, ReturnValues="ALL_OLD")
    assert "Attributes" not in r
    assert "Item" not in c.get_item(TableName="items", Key=key)
    assert error_of(c.put_item, TableName="items", Item={**key}, ReturnValues="ALL_NEW") == \
        ("ValidationException",
         "1 validation error detected: ReturnValues can only be ALL_OLD or NONE")


def test_item_errors(eddy):
    c = client(eddy)
    make_table(c, "errs", pk=("name", "S"))

    def put(item):
        return error_of(c.put_item, TableName="errs", Item=item)

    assert put({"x": {"S": "1"}}) == ("ValidationException",
                                      "One or more parameter values were invalid: Missing the key name in the item")
    assert put({"name": {"N": "1"}}) == ("ValidationException",
                                         "One or more parameter values were invalid: Type mismatch for key "
                                         "name expected: S actual: N")
    assert put({"name": {"S": ""}}) == ("ValidationException",
                                        "One or more parameter values are not valid. The AttributeValue for a "
                                        "key attribute cannot contain an empty string value. Key: name")
    assert put({"name": {"S": "a"}, "s": {"SS": []}}) == (
        "ValidationException", "One or more parameter values were invalid: An string set  may not be empty")
    assert put({"name": {"S": "a"}, "s": {"SS": ["a", "a"]}}) == (
        "ValidationException",
        "One or more parameter values were invalid: Input collection [a, a] contains duplicates.")
    assert put({"name": {"S": "a"}, "big": {"S": "x" * 409600}}) == (
        "ValidationException", "Item size has exceeded the maximum allowed size")
    assert put({"name": {"S": "a"}, "n": {"N": "x1"}})[0] == "ValidationException"
    assert error_of(c.get_item, TableName="errs", Key={"name": {"S": "a"}, "x": {"S": "b"}}) == (
        "ValidationException", "The provided key element does not match the schema")
    assert error_of(c.get_item, TableName="errs", Key={"other": {"S": "a"}}) == (
        "ValidationException", "The provided key element does not match the schema")
    assert error_of(c.get_item, TableName="nope", Key={"name": {"S": "a"}}) == (
        "ResourceNotFoundException", "Requested resource not found")
    assert error_of(c.put_item, TableName="nope", Item={"name": {"S": "a"}})[0] == "ResourceNotFoundException"


def test_raw_protocol_errors(eddy):
    h = {"Content-Type": "application/x-amz-json-1.0"}
    r = requests.post(eddy.url, data="{not json", headers={**h, "X-Amz-Target": "DynamoDB_20120810.GetItem"})
    assert r.status_code == 400
    assert r.json()["__type"] == "com.amazon.coral.service#SerializationException"
    r = requests.post(eddy.url, data="{}", headers={**h, "X-Amz-Target": "DynamoDB_20120810.Frobnicate"})
    assert r.status_code == 400
    assert r.json()["__type"] == "com.amazon.coral.service#UnknownOperationException"
    r = requests.post(eddy.url, data="{}", headers={**h, "X-Amz-Target": "DynamoDB_20120810.ListTables"})
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert r.headers.get("x-amzn-RequestId")
    r = requests.post(eddy.url, data="{}", headers={**h, "X-Amz-Target": "DynamoDB_20120810.GetItem"})
    assert r.json() == {"__type": "com.amazonaws.dynamodb.v20120810#ValidationException",
                        "message": "2 validation errors detected: Value null at 'key' failed to "
                                   "satisfy constraint: Member must not be null; Value null at "
                                   "'tableName' failed to satisfy constraint: Member must not be null"}


# ---- scan ---------------------------------------------------------------------


def test_scan_pages_over_one_megabyte(eddy):
    c = client(eddy)
    make_table(c, "big")
    t = resource(eddy).Table("big")
    blob = "x" * 10000
    with t.batch_writer() as bw:
        for i in range(300):  # ~3 MB
            bw.put_item(Item={"pk": f"k{i:04d}", "blob": blob})
    seen, pages, start = [], 0, None
    while True:
        kw = {"ExclusiveStartKey": start} if start else {}
        r = t.scan(**kw)
        pages += 1
        assert sum(len(i["blob"]) + 10 for i in r["Items"]) <= 1024 * 1024 + 10100
        seen += [i["pk"] for i in r["Items"]]
        start = r.get("LastEvaluatedKey")
        if not start:
            break
    assert pages >= 3
    assert sorted(seen) == [f"k{i:04d}" for i in range(300)]
    r = t.scan(Limit=7)
    assert r["Count"] == 7 and r["ScannedCount"] == 7 and "LastEvaluatedKey" in r
    r = t.scan(Select="COUNT")
    assert "Items" not in r and r["Count"] > 0


def test_scan_segments_disjoint_and_covering(eddy):
    c = client(eddy)
    make_table(c, "seg", pk=("id", "N"))
    t = resource(eddy).Table("seg")
    with t.batch_writer() as bw:
        for i in range(500):
            bw.put_item(Item={"id": i})
    total = 4
    parts = [set(int(i["id"]) for i in t.scan(Segment=s, TotalSegments=total)["Items"]) for s in range(total)]
    assert sum(len(p) for p in parts) == 500
    assert set().union(*parts) == set(range(500))
    assert all(len(p) > 50 for p in parts)
    code, msg = error_of(t.scan, Segment=4, TotalSegments=4)
    assert code == "ValidationException"


# ---- batches ------------------------------------------------------------------


def test_batch_write_and_get(eddy):
    c = client(eddy)
    make_table(c, "bt1")
    make_table(c, "bt2", pk=("id", "N"))
    r = c.batch_write_item(RequestItems={
        "bt1": [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "v": {"N": str(i)}}}} for i in range(20)],
        "bt2": [{"PutRequest": {"Item": {"id": {"N": str(i)}}}} for i in range(5)],
    })
    assert r["UnprocessedItems"] == {}
    r = c.batch_write_item(RequestItems={"bt1": [{"DeleteRequest": {"Key": {"pk": {"S": "k0"}}}}]})
    assert r["UnprocessedItems"] == {}
    r = c.batch_get_item(RequestItems={
        "bt1": {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(3)], "ProjectionExpression": "v"},
        "bt2": {"Keys": [{"id": {"N": "4"}}]},
    })
    assert sorted(int(i["v"]["N"]) for i in r["Responses"]["bt1"]) == [1, 2]
    assert all(set(i) == {"v"} for i in r["Responses"]["bt1"])
    assert r["Responses"]["bt2"] == [{"id": {"N": "4"}}]
    assert r["UnprocessedKeys"] == {}


def test_batch_limits(eddy):
    c = client(eddy)
    make_table(c, "lim")
    puts = [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}} for i in range(26)]
    code, msg = error_of(c.batch_write_item, RequestItems={"lim": puts})
    assert code == "ValidationException" and "Member must have length less than or equal to 25" in msg
    make_table(c, "lim2")
    code, msg = error_of(c.batch_write_item, RequestItems={"lim": puts[:13], "lim2": puts[:13]})
    assert msg == "Too many items requested for the BatchWriteItem call"
    dup = [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}, {"DeleteRequest": {"Key": {"pk": {"S": "a"}}}}]
    assert error_of(c.batch_write_item, RequestItems={"lim": dup}) == (
        "ValidationException", "Provided list of item keys contains duplicates")
    keys = [{"pk": {"S": f"k{i}"}} for i in range(101)]
    code, msg = error_of(c.batch_get_item, RequestItems={"lim": {"Keys": keys}})
    assert code == "ValidationException"
    code, msg = error_of(c.batch_get_item, RequestItems={"lim": {"Keys": keys[:60]}, "lim2": {"Keys": keys[:60]}})
    assert msg == "Too many items requested for the BatchGetItem call"
    code, msg = error_of(c.batch_get_item, RequestItems={"lim": {"Keys": [keys[0], keys[0]]}})
    assert msg == "Provided list of item keys contains duplicates"
    assert error_of(c.batch_write_item, RequestItems={"nope": puts[:1]})[0] == "ResourceNotFoundException"


def test_batch_get_sixteen_megabytes(eddy):
    c = client(eddy)
    make_table(c, "huge")
    blob = "y" * 399000
    for i in range(0, 50, 10):
        c.batch_write_item(RequestItems={"huge": [
            {"PutRequest": {"Item": {"pk": {"S": f"k{j}"}, "b": {"S": blob}}}} for j in range(i, i + 10)]})
    keys = [{"pk": {"S": f"k{j}"}} for j in range(50)]
    r = c.batch_get_item(RequestItems={"huge": {"Keys": keys}})
    got = len(r["Responses"]["huge"])
    left = len(r["UnprocessedKeys"].get("huge", {}).get("Keys", []))
    assert got + left == 50 and 0 < got < 50


# ---- aws-cli and persistence ---------------------------------------------------


def test_aws_cli(eddy):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""}

    def aws(*args):
        out = subprocess.run(["aws", "dynamodb", *args, "--endpoint-url", eddy.url, "--output", "json"],
                             env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else {}

    aws("create-table", "--table-name", "cli", "--billing-mode", "PAY_PER_REQUEST",
        "--attribute-definitions", "AttributeName=pk,AttributeType=S",
        "--key-schema", "AttributeName=pk,KeyType=HASH")
    aws("put-item", "--table-name", "cli", "--item", '{"pk":{"S":"a"},"n":{"N":"7"}}')
    assert aws("get-item", "--table-name", "cli", "--key", '{"pk":{"S":"a"}}')["Item"]["n"] == {"N": "7"}
    assert aws("scan", "--table-name", "cli")["Count"] == 1
    assert "cli" in aws("list-tables")["TableNames"]
    aws("delete-item", "--table-name", "cli", "--key", '{"pk":{"S":"a"}}')
    assert aws("describe-table", "--table-name", "cli")["Table"]["ItemCount"] == 0
    aws("delete-table", "--table-name", "cli")


def test_persistence_across_restart(start_eddy):
    e = start_eddy()
    c = client(e)
    make_table(c, "keep", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    resource(e).Table("keep").put_item(Item=ALL_TYPES)
    desc = c.describe_table(TableName="keep")["Table"]
    assert e.stop() == 0
    e2 = start_eddy(data_dir=e.data_dir)
    c2 = client(e2)
    assert resource(e2).Table("keep").get_item(Key={"pk": "k1"})["Item"] == ALL_TYPES
    d2 = c2.describe_table(TableName="keep")["Table"]
    for k in ["TableId", "CreationDateTime", "LatestStreamArn", "KeySchema"]:
        assert d2[k] == desc[k]
    assert d2["ItemCount"] == 1
