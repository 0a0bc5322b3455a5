# SPDX-License-Identifier: MIT
# DynamoDB Streams request validation that clients trip over, checked against
# DynamoDB's documented behaviour: a stream's StartingSequenceNumber is a valid
# AT/AFTER_SEQUENCE_NUMBER position even before the shard holds a record; the
# iterator type and SequenceNumber must agree; DescribeStream lists shards in
# id order after ExclusiveStartShardId (an unknown id lists those after it);
# ListStreams rejects an ExclusiveStartStreamArn that is not a stream ARN; a
# body that is not a JSON object gets the same SerializationException wording
# as the DynamoDB front door.
import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from ddbtest import CREDS, refused



def clients(e):
    # boto3's own length checks would stop the malformed values before eddy sees them.
    raw = Config(parameter_validation=False)
    return (boto3.client("dynamodb", endpoint_url=e.url, **CREDS),
            boto3.client("dynamodbstreams", endpoint_url=e.url, config=raw, **CREDS))


def new_stream(c, name="orders", view="KEYS_ONLY"):
    d = c.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST",
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    return d["TableDescription"]["LatestStreamArn"]


def only_shard(s, arn):
    return s.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]


def test_starting_sequence_number_of_an_empty_shard(eddy):
    c, s = clients(eddy)
    arn = new_stream(c)
    shard = only_shard(s, arn)
    start = shard["SequenceNumberRange"]["StartingSequenceNumber"]
    assert start.isdecimal()
    at = s.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                              ShardIteratorType="AT_SEQUENCE_NUMBER",
                              SequenceNumber=start)["ShardIterator"]
    s.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                         ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=start)
    # The AT iterator taken before any write sees the first record.
    assert s.get_records(ShardIterator=at)["Records"] == []
    c.put_item(TableName="orders", Item={"id": {"S": "o1"}})
    recs = s.get_records(ShardIterator=at)["Records"]
    assert [r["dynamodb"]["Keys"] for r in recs] == [{"id": {"S": "o1"}}]
    assert recs[0]["dynamodb"]["SequenceNumber"] == start


def test_iterator_type_and_sequence_number_must_agree(eddy):
    c, s = clients(eddy)
    arn = new_stream(c)
    shard = only_shard(s, arn)
    base = dict(StreamArn=arn, ShardId=shard["ShardId"])
    seq = shard["SequenceNumberRange"]["StartingSequenceNumber"]
    for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        msg = refused(s.get_shard_iterator, ShardIteratorType=kind, **base)
        assert kind in msg and "no SequenceNumber" in msg
    for kind in ("TRIM_HORIZON", "LATEST"):
        msg = refused(s.get_shard_iterator, ShardIteratorType=kind, SequenceNumber=seq, **base)
        assert kind in msg
    # A malformed number with LATEST fails on the combination, not the format.
    refused(s.get_shard_iterator, ShardIteratorType="LATEST", SequenceNumber="notanumber",
               **base)
    # The combination is checked before the stream is looked up.
    refused(s.get_shard_iterator, StreamArn="not-a-stream-arn", ShardId=shard["ShardId"],
               ShardIteratorType="TRIM_HORIZON", SequenceNumber=seq)
    # An unknown shard of a real stream is still "not found".
    with pytest.raises(ClientError) as e:
        s.get_shard_iterator(StreamArn=arn, ShardId="shardId-00000000000000000000-00000000",
                             ShardIteratorType="LATEST")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_describe_stream_exclusive_start_shard_id_orders_by_id(eddy):
    c, s = clients(eddy)
    arn = new_stream(c)
    shard_id = only_shard(s, arn)["ShardId"]
    page = lambda start: s.describe_stream(StreamArn=arn, ExclusiveStartShardId=start)[
        "StreamDescription"]["Shards"]
    assert page(shard_id) == []
    assert page("zzzz-not-a-shard-id") == []
    assert [x["ShardId"] for x in page("a-shard-id-before-it")] == [shard_id]


def test_list_streams_rejects_a_malformed_exclusive_start_arn(eddy):
    c, s = clients(eddy)
    arn = new_stream(c)
    msg = refused(s.list_streams, TableName="orders", ExclusiveStartStreamArn="garbage-arn")
    assert "garbage-arn" in msg
    # A well-formed ARN pages as before.
    assert s.list_streams(TableName="orders")["Streams"][0]["StreamArn"] == arn
    assert s.list_streams(TableName="orders", ExclusiveStartStreamArn=arn)["Streams"] == []


def test_missing_iterator_type_is_a_null_member(eddy):
    c, s = clients(eddy)
    arn = new_stream(c)
    msg = refused(s.get_shard_iterator, StreamArn=arn, ShardId=only_shard(s, arn)["ShardId"])
    assert msg == ("1 validation error detected: Value null at 'shardIteratorType' failed to "
                   "satisfy constraint: Member must not be null")


def test_a_body_that_is_not_an_object_is_a_serialization_error(eddy):
    for body, msg in [(b"[]", "Start of structure or map found where not expected."),
                      (b"{", "Start of structure or map found where not expected."),
                      (b"", "Request body is not valid JSON")]:
        r = requests.post(eddy.url + "/", data=body, headers={
            "X-Amz-Target": "DynamoDBStreams_20120810.ListStreams",
            "Content-Type": "application/x-amz-json-1.0"})
        assert r.status_code == 400
        assert r.json() == {"__type": "com.amazon.coral.service#SerializationException",
                            "message": msg}
