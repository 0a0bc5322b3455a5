# SPDX-License-Identifier: MIT
# Regressions found by the DynamoDB front door's fuzz target
# (tests/fuzz/fuzz_ddb.c): each test sends the raw request the fuzzer found
# and expects DynamoDB's own error, then checks that the server still works.
from ddbtest import call, kind, ok


def index_table(e, name="fz_index"):
    ok(e, "CreateTable", {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "S"}]})


def test_update_table_definition_without_type_is_refused(eddy):
    """A new GSI whose AttributeDefinitions entry has no AttributeType used to
    reach the writer and fail there with a 500 InternalServerError."""
    index_table(eddy)
    status, j = call(eddy, "UpdateTable", {
        "TableName": "fz_index",
        "AttributeDefinitions": [{"AttributeName": "h2", "AttbriuteType": "S"}],
        "GlobalSecondaryIndexUpdates": [{"Create": {
            "IndexName": "gs2", "KeySchema": [{"AttributeName": "h2", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}}]})
    assert status == 400, j
    assert kind(j) == "ValidationException"
    assert "attributeDefinitions.1.member.attributeType" in j["message"]
    ok(eddy, "PutItem", {"TableName": "fz_index", "Item": {"pk": {"S": "a"}, "sk": {"S": "b"}}})
    assert "GlobalSecondaryIndexes" not in ok(eddy, "DescribeTable", {"TableName": "fz_index"})["Table"]


def test_update_table_definition_with_bad_type_is_refused(eddy):
    index_table(eddy)
    status, j = call(eddy, "UpdateTable", {
        "TableName": "fz_index",
        "AttributeDefinitions": [{"AttributeName": "h2", "AttributeType": "BOOL"}],
        "GlobalSecondaryIndexUpdates": [{"Create": {
            "IndexName": "gs2", "KeySchema": [{"AttributeName": "h2", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}}]})
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
