# SPDX-License-Identifier: MIT
# Regressions found by the DynamoDB front door's fuzz target
# (tests/fuzz/fuzz_ddb.c): each test sends the raw request the fuzzer found
# and expects DynamoDB's own error, then checks that the server still works.
import requests
from ddbtest import call, kind, ok


def index_table(e, name="fz_index"):
    ok(e, "CreateTable", {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "S"}]})


def add_gsi(e, definition):
    """UpdateTable of fz_index adding GSI gs2 on h2, with `definition` as
    h2's AttributeDefinitions entry; returns (status, answer)."""
    return call(e, "UpdateTable", {
        "TableName": "fz_index",
        "AttributeDefinitions": [definition],
        "GlobalSecondaryIndexUpdates": [{"Create": {
            "IndexName": "gs2", "KeySchema": [{"AttributeName": "h2", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}}]})


def test_update_table_definition_without_type_is_refused(eddy):
    """A new GSI whose AttributeDefinitions entry has no AttributeType used to
    reach the writer and fail there with a 500 InternalServerError."""
    index_table(eddy)
    status, j = add_gsi(eddy, {"AttributeName": "h2", "AttbriuteType": "S"})
    assert status == 400, j
    assert kind(j) == "ValidationException"
    assert "attributeDefinitions.1.member.attributeType" in j["message"]
    ok(eddy, "PutItem", {"TableName": "fz_index", "Item": {"pk": {"S": "a"}, "sk": {"S": "b"}}})
    assert "GlobalSecondaryIndexes" not in ok(eddy, "DescribeTable", {"TableName": "fz_index"})["Table"]


def test_update_table_definition_with_bad_type_is_refused(eddy):
    index_table(eddy)
    status, j = add_gsi(eddy, {"AttributeName": "h2", "AttributeType": "BOOL"})
    assert status == 400, j
    assert j["message"] == ("1 validation error detected: Value 'BOOL' at "
                            "'attributeDefinitions.1.member.attributeType' failed to satisfy "
                            "constraint: Member must satisfy enum value set: [B, N, S]")


def test_update_table_delete_without_index_name_is_refused(eddy):
    """A GSI Delete without IndexName used to pass NULL to strcmp."""
    index_table(eddy)
    status, j = call(eddy, "UpdateTable", {
        "TableName": "fz_index", "GlobalSecondaryIndexUpdates": [{"Delete": {}}]})
    assert status == 400, j
    assert j["message"] == ("1 validation error detected: Value null at "
                            "'globalSecondaryIndexUpdates.1.member.delete.indexName' failed to "
                            "satisfy constraint: Member must not be null")
    assert ok(eddy, "DescribeTable", {"TableName": "fz_index"})["Table"]["TableName"] == "fz_index"


def streams_call(e, op, text):
    """POST the exact `text` as DynamoDB Streams operation `op`; returns (status, JSON)."""
    r = requests.post(e.url, data=text,
                      headers={"X-Amz-Target": "DynamoDBStreams_20120810." + op,
                               "Content-Type": "application/x-amz-json-1.0"})
    return r.status_code, r.json() if r.content else {}


def test_describe_stream_without_stream_arn_is_refused(eddy):
    """DescribeStream without StreamArn used to free its uninitialised stream
    lookup: the stack garbage the body's parse left there (here the bytes of
    a long member name, as in the fuzzer's input) reached cJSON_Delete."""
    bodies = [b'{}', b'{"Limit":1}',
              b'{"' + b"v" * 64 + b'\xc7\xc7":{"S":"s"},"l":{"N":"3"}}',
              b'{"RequestItems":{"t":[{"PutRequest":{"Item":{"' + b"v" * 31
              + b'\xc7\xc7\xc7\xc7\xc7sk":{"S":"s"}}}}]}}']
    for body in bodies * 4:
        status, j = streams_call(eddy, "DescribeStream", body)
        assert status == 400, j
        assert kind(j) == "ValidationException"
        assert j["message"] == ("1 validation error detected: Value null at 'streamArn' failed "
                                "to satisfy constraint: Member must not be null")
    assert streams_call(eddy, "ListStreams", b'{}') == (200, {"Streams": []})
