# SPDX-License-Identifier: MIT
# DynamoDB conformance of secondary-index validation, written from the
# documented behaviour: index names follow the table-name rules, projection
# definitions are checked (INCLUDE needs NonKeyAttributes, no duplicates),
# an index KeySchema cannot use one attribute as both keys, and an item whose
# index key is the wrong type or an empty string is refused whole (PutItem
# and BatchWriteItem alike, nothing written).
import boto3
import botocore
import pytest
from botocore.exceptions import ClientError

CREDS = dict(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def client(url):
    # Client-side validation off: the server's own checks are under test.
    cfg = botocore.config.Config(parameter_validation=False)
    return boto3.client("dynamodb", endpoint_url=url, config=cfg, **CREDS)


def gsi(name="by_v", ks=None, projection=None):
    return {"IndexName": name,
            "KeySchema": ks or [{"AttributeName": "v", "KeyType": "HASH"}],
            "Projection": projection or {"ProjectionType": "ALL"}}


def create(c, table="cix", gsis=None, lsis=None, range_key=False):
    ks = [{"AttributeName": "k", "KeyType": "HASH"}]
    defs = [{"AttributeName": "k", "AttributeType": "S"},
            {"AttributeName": "v", "AttributeType": "S"}]
    if range_key:
        ks.append({"AttributeName": "r", "KeyType": "RANGE"})
        defs.append({"AttributeName": "r", "AttributeType": "S"})
    args = dict(TableName=table, KeySchema=ks, AttributeDefinitions=defs,
                BillingMode="PAY_PER_REQUEST")
    if gsis:
        args["GlobalSecondaryIndexes"] = gsis
    if lsis:
        args["LocalSecondaryIndexes"] = lsis
    return c.create_table(**args)


def refused(fn):
    with pytest.raises(ClientError) as e:
        fn()
    assert e.value.response["Error"]["Code"] == "ValidationException"
    return e.value.response["Error"]["Message"]


def test_index_name_rules(eddy):
    c = client(eddy.url)
    msg = refused(lambda: create(c, gsis=[gsi(name="ab")]))
    assert msg == ("1 validation error detected: Value 'ab' at "
                   "'globalSecondaryIndexes.1.member.indexName' failed to satisfy constraint: "
                   "Member must have length greater than or equal to 3")
    msg = refused(lambda: create(c, gsis=[gsi(name="bad@name")]))
    assert "regular expression pattern: [a-zA-Z0-9_.-]+" in msg and "'bad@name'" in msg
    msg = refused(lambda: create(c, gsis=[gsi(name="x" * 256)]))
    assert "length less than or equal to 255" in msg
    create(c, gsis=[gsi(name=".dot-name_ok")])
    names = [g["IndexName"] for g in
             c.describe_table(TableName="cix")["Table"]["GlobalSecondaryIndexes"]]
    assert names == [".dot-name_ok"]


def test_projection_checks(eddy):
    c = client(eddy.url)
    msg = refused(lambda: create(c, gsis=[gsi(projection={"ProjectionType": "INCLUDE"})]))
    assert msg == ("One or more parameter values were invalid: ProjectionType is INCLUDE, "
                   "but NonKeyAttributes is not specified")
    msg = refused(lambda: create(c, gsis=[gsi(projection={
        "ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b", "a"]})]))
    assert "Duplicate" in msg and "NonKeyAttributes" in msg


def test_lsi_range_same_as_hash(eddy):
    c = client(eddy.url)
    lsi = gsi(name="same", ks=[{"AttributeName": "k", "KeyType": "HASH"},
                               {"AttributeName": "k", "KeyType": "RANGE"}])
    msg = refused(lambda: create(c, lsis=[lsi], range_key=True))
    assert msg == "Both the Hash Key and the Range Key element in the KeySchema have the same name"


def test_empty_index_key_refused(eddy):
    c = client(eddy.url)
    create(c, gsis=[gsi()])
    msg = refused(lambda: c.put_item(TableName="cix", Item={"k": {"S": "a"}, "v": {"S": ""}}))
    assert msg == ("One or more parameter values are not valid. A value specified for a "
                   "secondary index key is not supported. The AttributeValue for a key "
                   "attribute cannot contain an empty string value. IndexName: by_v, IndexKey: v")
    assert "Item" not in c.get_item(TableName="cix", Key={"k": {"S": "a"}})
    # An empty string in an attribute no index uses is fine.
    c.put_item(TableName="cix", Item={"k": {"S": "b"}, "other": {"S": ""}})


def test_batch_with_bad_index_key_writes_nothing(eddy):
    c = client(eddy.url)
    create(c, gsis=[gsi()])
    reqs = [{"PutRequest": {"Item": {"k": {"S": "a"}, "v": {"S": "fine"}}}},
            {"PutRequest": {"Item": {"k": {"S": "b"}, "v": {"N": "3"}}}}]
    msg = refused(lambda: c.batch_write_item(RequestItems={"cix": reqs}))
    assert msg == ("One or more parameter values were invalid: Type mismatch for Index Key v "
                   "Expected: S Actual: N IndexName: by_v")
    reqs[1] = {"PutRequest": {"Item": {"k": {"S": "b"}, "v": {"S": ""}}}}
    msg = refused(lambda: c.batch_write_item(RequestItems={"cix": reqs}))
    assert "cannot contain an empty string value" in msg
    assert c.scan(TableName="cix")["Count"] == 0


# ---- TransactWriteItems -----------------------------------------------------

def simple_table(c, name="txt"):
    c.create_table(TableName=name, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST")


def test_txn_key_type_fault_is_a_cancellation_reason(eddy):
    c = client(eddy.url)
    simple_table(c)
    acts = [{"Put": {"TableName": "txt", "Item": {"k": {"S": "ok"}}}},
            {"Put": {"TableName": "txt", "Item": {"k": {"N": "7"}}}},
            {"Put": {"TableName": "txt", "Item": {"k": {"N": "8"}}}}]
    with pytest.raises(ClientError) as e:
        c.transact_write_items(TransactItems=acts)
    r = e.value.response
    assert r["Error"]["Code"] == "TransactionCanceledException"
    assert r["Error"]["Message"].endswith("[None, ValidationError, None]")
    codes = [x["Code"] for x in r["CancellationReasons"]]
    assert codes == ["None", "ValidationError", "None"]
    assert "Message" in r["CancellationReasons"][1]
    assert "Message" not in r["CancellationReasons"][0]
    assert c.scan(TableName="txt")["Count"] == 0


def test_txn_return_values_on_failure_enum(eddy):
    c = client(eddy.url)
    simple_table(c)
    act = {"Update": {"TableName": "txt", "Key": {"k": {"S": "a"}},
                      "UpdateExpression": "SET v = :v",
                      "ExpressionAttributeValues": {":v": {"N": "1"}},
                      "ReturnValuesOnConditionCheckFailure": "all_old"}}
    msg = refused(lambda: c.transact_write_items(TransactItems=[act]))
    assert msg == ("1 validation error detected: Value 'all_old' at "
                   "'transactItems.1.member.update.returnValuesOnConditionCheckFailure' failed "
                   "to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]")


def test_txn_payload_over_4mb_refused(eddy):
    c = client(eddy.url)
    simple_table(c)
    big = "x" * 200000
    acts = [{"Put": {"TableName": "txt", "Item": {"k": {"S": "k%d" % i}, "v": {"S": big}}}}
            for i in range(22)]
    msg = refused(lambda: c.transact_write_items(TransactItems=acts))
    assert "cannot exceed 4 MB" in msg
    c.transact_write_items(TransactItems=acts[:15])  # About 3 MB is fine.
    for i in (0, 14):
        assert "Item" in c.get_item(TableName="txt", Key={"k": {"S": "k%d" % i}})


def test_txn_index_faults(eddy):
    c = client(eddy.url)
    create(c, table="tix", gsis=[gsi()])
    wrong = [{"Put": {"TableName": "tix", "Item": {"k": {"S": "a"}, "v": {"N": "1"}}}}]
    with pytest.raises(ClientError) as e:
        c.transact_write_items(TransactItems=wrong)
    reasons = e.value.response["CancellationReasons"]
    assert reasons[0]["Code"] == "ValidationError"
    assert "Type mismatch for Index Key v" in reasons[0]["Message"]
    empty = [{"Put": {"TableName": "tix", "Item": {"k": {"S": "a"}, "v": {"S": ""}}}}]
    msg = refused(lambda: c.transact_write_items(TransactItems=empty))
    assert "cannot contain an empty string value. IndexName: by_v, IndexKey: v" in msg


# ---- Tags --------------------------------------------------------------------

def tag_table(c, **kw):
    c.create_table(TableName="tgt", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST", **kw)
    return c.describe_table(TableName="tgt")["Table"]["TableArn"]


def test_create_table_with_tags(eddy):
    c = client(eddy.url)
    tags = [{"Key": "env", "Value": "dev"}, {"Key": "team:a/b", "Value": ""}]
    arn = tag_table(c, Tags=tags)
    got = c.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert sorted(got, key=lambda t: t["Key"]) == tags
    assert "Tags" not in c.describe_table(TableName="tgt")["Table"]


def test_create_table_too_many_tags_creates_nothing(eddy):
    c = client(eddy.url)
    with pytest.raises(ClientError) as e:
        tag_table(c, Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(51)])
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert c.list_tables()["TableNames"] == []


def test_tag_text_rules(eddy):
    c = client(eddy.url)
    arn = tag_table(c)
    for bad in ({"Key": "hi!", "Value": "v"}, {"Key": "k", "Value": "50%"},
                {"Key": "x" * 129, "Value": "v"}, {"Key": "k", "Value": "v" * 257},
                {"Key": "", "Value": "v"}, {"Key": "aws:owner", "Value": "v"}):
        refused(lambda: c.tag_resource(ResourceArn=arn, Tags=[bad]))
    # Limits count characters, not bytes.
    ok = {"Key": "\u05d0" * 128, "Value": "\u05d1" * 256}
    c.tag_resource(ResourceArn=arn, Tags=[ok, {"Key": "a b+c-d=e.f_g:h/i@j", "Value": "1"}])
    assert ok in c.list_tags_of_resource(ResourceArn=arn)["Tags"]


def test_tag_arn_without_prefix(eddy):
    c = client(eddy.url)
    tag_table(c)
    msg = refused(lambda: c.tag_resource(ResourceArn="tgt", Tags=[{"Key": "a", "Value": "b"}]))
    assert "ARNs must start with 'arn:'" in msg


# ---- Time to Live ------------------------------------------------------------

def ttl(c, spec):
    return c.update_time_to_live(TableName="tgt", TimeToLiveSpecification=spec)


def test_ttl_spec_validation(eddy):
    c = client(eddy.url)
    tag_table(c)
    msg = refused(lambda: ttl(c, {"Enabled": True}))
    assert msg == ("1 validation error detected: Value null at "
                   "'timeToLiveSpecification.attributeName' failed to satisfy constraint: "
                   "Member must not be null")
    msg = refused(lambda: ttl(c, {"AttributeName": "e"}))
    assert "'timeToLiveSpecification.enabled'" in msg
    msg = refused(lambda: ttl(c, {"AttributeName": "", "Enabled": True}))
    assert msg.endswith("Member must have length greater than or equal to 1")
    msg = refused(lambda: ttl(c, {"AttributeName": "x" * 256, "Enabled": True}))
    assert msg.endswith("Member must have length less than or equal to 255")
    # A string where a Boolean belongs fails in the JSON decoder, before validation.
    with pytest.raises(ClientError) as e:
        ttl(c, {"AttributeName": "e", "Enabled": "yes"})
    assert e.value.response["Error"]["Code"] == "SerializationException"
    assert e.value.response["Error"]["Message"] == "Unexpected token received from parser"


def test_ttl_disable_must_name_current_attribute(eddy):
    c = client(eddy.url)
    tag_table(c)
    ttl(c, {"AttributeName": "expires", "Enabled": True})
    msg = refused(lambda: ttl(c, {"AttributeName": "other", "Enabled": False}))
    assert msg == ("TimeToLive is active on a different AttributeName: current AttributeName "
                   "is expires")
    ttl(c, {"AttributeName": "expires", "Enabled": False})
    desc = c.describe_time_to_live(TableName="tgt")["TimeToLiveDescription"]
    assert desc == {"TimeToLiveStatus": "DISABLED"}


def test_ttl_expiry_record_identity_in_streams_api(start_eddy):
    import os
    import time
    e = start_eddy(env=dict(os.environ, EDDY_TTL_SWEEP_MS="100"))
    c = client(e.url)
    s = boto3.client("dynamodbstreams", endpoint_url=e.url, **CREDS)
    tag_table(c, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    ttl(c, {"AttributeName": "exp", "Enabled": True})
    c.put_item(TableName="tgt", Item={"k": {"S": "a"}, "exp": {"N": str(int(time.time()) - 60)}})
    deadline = time.time() + 20
    while "Item" in c.get_item(TableName="tgt", Key={"k": {"S": "a"}}) and time.time() < deadline:
        time.sleep(0.1)
    arn = c.describe_table(TableName="tgt")["Table"]["LatestStreamArn"]
    shard = s.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = s.get_shard_iterator(StreamArn=arn, ShardId=shard,
                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    recs = s.get_records(ShardIterator=it)["Records"]
    assert [r["eventName"] for r in recs] == ["INSERT", "REMOVE"]
    assert "userIdentity" not in recs[0]
    assert recs[1]["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}


def test_describe_endpoints_names_this_server(eddy):
    c = client(eddy.url)
    (ep,) = c.describe_endpoints()["Endpoints"]
    assert ep["Address"] == "127.0.0.1:%d" % eddy.port
    # The advertised address is usable as an endpoint in its own right.
    again = client("http://" + ep["Address"]).describe_endpoints()["Endpoints"]
    assert again == [ep]
