# SPDX-License-Identifier: MIT
# ReturnItemCollectionMetrics: DynamoDB answers it only for tables with a
# local secondary index, with the item's partition key and a SizeEstimateRangeGB
# of whole gigabytes ([0, 1] under 1 GB); other tables get nothing, and a value
# other than SIZE or NONE is a ValidationException.
import boto3
import pytest
from botocore.exceptions import ClientError

CREDS = dict(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


@pytest.fixture
def ddb(eddy):
    c = boto3.client("dynamodb", endpoint_url=eddy.url, **CREDS)
    defs = [{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "alt")]
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    c.create_table(TableName="withlsi", BillingMode="PAY_PER_REQUEST", AttributeDefinitions=defs,
                   KeySchema=keys, LocalSecondaryIndexes=[{
                       "IndexName": "byalt", "Projection": {"ProjectionType": "ALL"},
                       "KeySchema": [keys[0], {"AttributeName": "alt", "KeyType": "RANGE"}]}])
    c.create_table(TableName="plain", BillingMode="PAY_PER_REQUEST", AttributeDefinitions=defs[:2],
                   KeySchema=keys)
    return c


EXPECTED = {"ItemCollectionKey": {"pk": {"S": "p1"}}, "SizeEstimateRangeGB": [0.0, 1.0]}
KEY = {"pk": {"S": "p1"}, "sk": {"S": "a"}}


def test_single_item_writes_report_the_collection_on_a_table_with_an_lsi(ddb):
    r = ddb.put_item(TableName="withlsi", Item={**KEY, "alt": {"S": "x"}},
                     ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == EXPECTED
    r = ddb.update_item(TableName="withlsi", Key=KEY, UpdateExpression="SET v = :v",
                        ExpressionAttributeValues={":v": {"S": "1"}},
                        ReturnItemCollectionMetrics="SIZE", ReturnValues="UPDATED_NEW")
    assert r["ItemCollectionMetrics"] == EXPECTED
    assert r["Attributes"] == {"v": {"S": "1"}}
    r = ddb.delete_item(TableName="withlsi", Key=KEY, ReturnItemCollectionMetrics="SIZE",
                        ReturnConsumedCapacity="TOTAL")
    assert r["ItemCollectionMetrics"] == EXPECTED
    assert r["ConsumedCapacity"]["TableName"] == "withlsi"


def test_none_and_tables_without_an_lsi_report_nothing(ddb):
    r = ddb.put_item(TableName="withlsi", Item=KEY, ReturnItemCollectionMetrics="NONE")
    assert "ItemCollectionMetrics" not in r
    r = ddb.put_item(TableName="plain", Item=KEY, ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in r


def test_a_value_other_than_size_or_none_is_refused(ddb):
    with pytest.raises(ClientError) as ei:
        ddb.put_item(TableName="withlsi", Item=KEY, ReturnItemCollectionMetrics="COUNT")
    err = ei.value.response["Error"]
    assert err["Code"] == "ValidationException"
    assert err["Message"] == (
        "1 validation error detected: Value 'COUNT' at 'returnItemCollectionMetrics' failed to "
        "satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]")


def test_batch_write_reports_each_applied_write_of_tables_with_an_lsi(ddb):
    r = ddb.batch_write_item(RequestItems={
        "withlsi": [{"PutRequest": {"Item": {"pk": {"S": "p1"}, "sk": {"S": "a"}}}},
                    {"DeleteRequest": {"Key": {"pk": {"S": "p2"}, "sk": {"S": "b"}}}}],
        "plain": [{"PutRequest": {"Item": {"pk": {"S": "p3"}, "sk": {"S": "c"}}}}],
    }, ReturnItemCollectionMetrics="SIZE")
    assert r["UnprocessedItems"] == {}
    assert r["ItemCollectionMetrics"] == {"withlsi": [
        EXPECTED, {"ItemCollectionKey": {"pk": {"S": "p2"}}, "SizeEstimateRangeGB": [0.0, 1.0]}]}
    r = ddb.batch_write_item(RequestItems={
        "withlsi": [{"PutRequest": {"Item": {"pk": {"S": "p1"}, "sk": {"S": "a"}}}}]})
    assert "ItemCollectionMetrics" not in r
    with pytest.raises(ClientError) as ei:
        ddb.batch_write_item(RequestItems={
            "withlsi": [{"PutRequest": {"Item": {"pk": {"S": "p1"}, "sk": {"S": "a"}}}}]},
            ReturnItemCollectionMetrics="ALL")
    assert "returnItemCollectionMetrics" in ei.value.response["Error"]["Message"]


def test_transact_write_reports_puts_updates_and_deletes_not_checks(ddb):
    ddb.put_item(TableName="withlsi", Item={"pk": {"S": "p4"}, "sk": {"S": "d"}})
    r = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "withlsi", "Item": {"pk": {"S": "p1"}, "sk": {"S": "a"}}}},
        {"Update": {"TableName": "withlsi", "Key": {"pk": {"S": "p2"}, "sk": {"S": "b"}},
                    "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": "withlsi", "Key": {"pk": {"S": "p4"}, "sk": {"S": "d"}},
                            "ConditionExpression": "attribute_exists(pk)"}},
        {"Delete": {"TableName": "plain", "Key": {"pk": {"S": "p3"}, "sk": {"S": "c"}}}},
    ], ReturnItemCollectionMetrics="SIZE")
    entry = lambda pk: {"ItemCollectionKey": {"pk": {"S": pk}}, "SizeEstimateRangeGB": [0.0, 1.0]}
    assert r["ItemCollectionMetrics"] == {"withlsi": [entry("p1"), entry("p2")]}
    r = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "withlsi", "Item": {"pk": {"S": "p5"}, "sk": {"S": "e"}}}}])
    assert "ItemCollectionMetrics" not in r
