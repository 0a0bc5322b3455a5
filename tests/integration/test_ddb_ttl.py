# SPDX-License-Identifier: MIT
# Time to Live, tags and the constant answers through boto3: enabling and
# disabling TTL (with DynamoDB's messages), the background sweep deleting
# expired items within seconds (EDDY_TTL_SWEEP_MS makes it fast here) with
# a service REMOVE record, expired-but-unswept items still readable, and
# TagResource / UntagResource / ListTagsOfResource, DescribeEndpoints,
# DescribeLimits.
import os
import time

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from conftest import Eddy

CREDS = dict(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def client(e):
    return boto3.client("dynamodb", endpoint_url=e.url, **CREDS)


def make_table(c, name="ttlt"):
    return c.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])


@pytest.fixture
def fast_eddy():
    e = Eddy(env=dict(os.environ, EDDY_TTL_SWEEP_MS="100"))
    yield e
    e.stop()


def test_update_and_describe_ttl(eddy):
    c = client(eddy)
    make_table(c)
    assert c.describe_time_to_live(TableName="ttlt")["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    spec = {"AttributeName": "exp", "Enabled": True}
    assert c.update_time_to_live(TableName="ttlt", TimeToLiveSpecification=spec)["TimeToLiveSpecification"] == spec
    assert c.describe_time_to_live(TableName="ttlt")["TimeToLiveDescription"] == \
        {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    with pytest.raises(ClientError) as e:
        c.update_time_to_live(TableName="ttlt", TimeToLiveSpecification=spec)
    assert e.value.response["Error"] == {"Code": "ValidationException", "Message": "TimeToLive is already enabled"}
    off = {"AttributeName": "exp", "Enabled": False}
    c.update_time_to_live(TableName="ttlt", TimeToLiveSpecification=off)
    with pytest.raises(ClientError) as e:
        c.update_time_to_live(TableName="ttlt", TimeToLiveSpecification=off)
    assert e.value.response["Error"]["Message"] == "TimeToLive is already disabled"
    with pytest.raises(ClientError) as e:
        c.describe_time_to_live(TableName="nosuch")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    # The table meta still describes the table after these edits.
    assert c.describe_table(TableName="ttlt")["Table"]["TableStatus"] == "ACTIVE"


def test_sweep_deletes_expired_items(fast_eddy):
    c = client(fast_eddy)
    make_table(c)
    now = int(time.time())
    c.put_item(TableName="ttlt", Item={"pk": {"S": "old"}, "exp": {"N": str(now - 10)}})
    c.put_item(TableName="ttlt", Item={"pk": {"S": "future"}, "exp": {"N": str(now + 3600)}})
    c.put_item(TableName="ttlt", Item={"pk": {"S": "text"}, "exp": {"S": str(now - 10)}})
    c.put_item(TableName="ttlt", Item={"pk": {"S": "ancient"}, "exp": {"N": str(now - 6 * 365 * 86400)}})
    time.sleep(0.5)  # TTL is off: nothing goes.
    assert "Item" in c.get_item(TableName="ttlt", Key={"pk": {"S": "old"}})
    c.update_time_to_live(TableName="ttlt", TimeToLiveSpecification={"AttributeName": "exp", "Enabled": True})
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and "Item" in c.get_item(TableName="ttlt", Key={"pk": {"S": "old"}}):
        time.sleep(0.1)
    assert "Item" not in c.get_item(TableName="ttlt", Key={"pk": {"S": "old"}})
    left = sorted(i["pk"]["S"] for i in c.scan(TableName="ttlt")["Items"])
    assert left == ["ancient", "future", "text"]
    recs = requests.get(f"{fast_eddy.url}/_eddy/tables/ttlt/log").json()["Records"]
    removes = [r["record"] for r in recs if r["record"]["eventName"] == "REMOVE"]
    assert len(removes) == 1
    assert removes[0]["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert removes[0]["dynamodb"]["Keys"] == {"pk": {"S": "old"}}
    assert all("userIdentity" not in r["record"] for r in recs if r["record"]["eventName"] == "INSERT")


def test_expired_item_readable_until_swept(eddy):
    # The default sweep pauses 5 s between passes: the item is read before.
    c = client(eddy)
    make_table(c)
    c.update_time_to_live(TableName="ttlt", TimeToLiveSpecification={"AttributeName": "exp", "Enabled": True})
    c.put_item(TableName="ttlt", Item={"pk": {"S": "x"}, "exp": {"N": str(int(time.time()) - 1)}})
    assert "Item" in c.get_item(TableName="ttlt", Key={"pk": {"S": "x"}})


def test_tags(eddy):
    c = client(eddy)
    arn = make_table(c)["TableDescription"]["TableArn"]
    c.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "a"}])
    c.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "b"}])
    tags = c.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "dev"), ("team", "b")]
    c.untag_resource(ResourceArn=arn, TagKeys=["env", "absent"])
    assert c.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "b"}]
    with pytest.raises(ClientError) as e:
        c.list_tags_of_resource(ResourceArn=arn.replace("ttlt", "nosuch"))
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        c.tag_resource(ResourceArn="garbage", Tags=[{"Key": "k", "Value": "v"}])
    assert e.value.response["Error"]["Code"] == "ValidationException"


def test_tag_and_untag_answer_with_an_empty_body(eddy):
    # DynamoDB answers TagResource and UntagResource with 200 and no body at all.
    arn = make_table(client(eddy))["TableDescription"]["TableArn"]
    head = {"Content-Type": "application/x-amz-json-1.0"}
    for op, body in (("TagResource", {"ResourceArn": arn, "Tags": [{"Key": "k", "Value": "v"}]}),
                     ("UntagResource", {"ResourceArn": arn, "TagKeys": ["k"]})):
        r = requests.post(eddy.url, json=body,
                          headers={**head, "X-Amz-Target": "DynamoDB_20120810." + op})
        assert r.status_code == 200 and r.content == b""


def test_endpoints_and_limits(eddy):
    c = client(eddy)
    # The address the client reached: endpoint discovery must stay on this server.
    assert c.describe_endpoints()["Endpoints"] == [
        {"Address": "127.0.0.1:%d" % eddy.port, "CachePeriodInMinutes": 1440}]
    lim = c.describe_limits()
    assert lim["AccountMaxReadCapacityUnits"] == 80000 and lim["TableMaxWriteCapacityUnits"] == 40000
