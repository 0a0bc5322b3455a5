// SPDX-License-Identifier: MIT
// The AWS SDK for JavaScript v3 against a running eddy (EDDY_URL): table
// lifecycle, item CRUD through the low-level client and the document
// client, Query, Scan, batches and transactions. Each run uses its own
// table names so reruns against one server do not collide.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient,
  GetItemCommand, PutItemCommand, TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand, BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand,
  PutCommand, QueryCommand, ScanCommand, TransactGetCommand, TransactWriteCommand, UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

const endpoint = process.env.EDDY_URL;
assert.ok(endpoint, 'EDDY_URL must name the eddy endpoint');
const client = new DynamoDBClient({
  endpoint, region: 'us-east-1', maxAttempts: 1,
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const doc = DynamoDBDocumentClient.from(client);
const T = `js-${process.pid}`;

before(async () => {
  const r = await client.send(new CreateTableCommand({
    TableName: T, BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' }],
  }));
  assert.equal(r.TableDescription.TableName, T);
});

after(async () => {
  await client.send(new DeleteTableCommand({ TableName: T }));
  client.destroy();
});

test('DescribeTable', async () => {
  const r = await client.send(new DescribeTableCommand({ TableName: T }));
  assert.equal(r.Table.TableStatus, 'ACTIVE');
  assert.deepEqual(r.Table.KeySchema.map((k) => k.KeyType), ['HASH', 'RANGE']);
});

test('low-level Put and Get', async () => {
  await client.send(new PutItemCommand({
    TableName: T, Item: { pk: { S: 'low' }, sk: { N: '1' }, b: { B: new Uint8Array([1, 2]) } },
  }));
  const r = await client.send(new GetItemCommand({ TableName: T, Key: { pk: { S: 'low' }, sk: { N: '1' } } }));
  assert.deepEqual(r.Item.pk, { S: 'low' });
  assert.deepEqual([...r.Item.b.B], [1, 2]);
});

test('document client Put, Get, Update, Delete', async () => {
  const Key = { pk: 'doc', sk: 1 };
  await doc.send(new PutCommand({ TableName: T, Item: { ...Key, n: 1, tags: new Set(['a']), m: { x: [1, 'two'] } } }));
  const got = await doc.send(new GetCommand({ TableName: T, Key }));
  assert.deepEqual(got.Item.m, { x: [1, 'two'] });
  assert.ok(got.Item.tags.has('a'));
  const up = await doc.send(new UpdateCommand({
    TableName: T, Key, UpdateExpression: 'SET n = n + :one, m.x[0] = :z ADD tags :t',
    ConditionExpression: 'n = :cur', ExpressionAttributeValues: { ':one': 1, ':z': 0, ':t': new Set(['b']), ':cur': 1 },
    ReturnValues: 'ALL_NEW',
  }));
  assert.equal(up.Attributes.n, 2);
  assert.deepEqual(up.Attributes.m.x, [0, 'two']);
  assert.deepEqual([...up.Attributes.tags].sort(), ['a', 'b']);
  await assert.rejects(doc.send(new PutCommand({
    TableName: T, Item: Key, ConditionExpression: 'attribute_not_exists(pk)',
  })), (e) => e.name === 'ConditionalCheckFailedException');
  const del = await doc.send(new DeleteCommand({ TableName: T, Key, ReturnValues: 'ALL_OLD' }));
  assert.equal(del.Attributes.n, 2);
  assert.equal((await doc.send(new GetCommand({ TableName: T, Key }))).Item, undefined);
});

test('batch write, batch get, Query and Scan', async () => {
  const puts = [];
  for (let i = 0; i < 25; i++) puts.push({ PutRequest: { Item: { pk: 'q', sk: i, odd: i % 2 === 1 } } });
  const w = await doc.send(new BatchWriteCommand({ RequestItems: { [T]: puts } }));
  assert.deepEqual(w.UnprocessedItems, {});
  const g = await doc.send(new BatchGetCommand({ RequestItems: { [T]: { Keys: [{ pk: 'q', sk: 3 }, { pk: 'q', sk: 4 }] } } }));
  assert.deepEqual(g.Responses[T].map((i) => i.sk).sort(), [3, 4]);
  const q = await doc.send(new QueryCommand({
    TableName: T, KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :b',
    FilterExpression: 'odd = :t', ExpressionAttributeValues: { ':p': 'q', ':a': 5, ':b': 10, ':t': true },
    ScanIndexForward: false,
  }));
  assert.deepEqual(q.Items.map((i) => i.sk), [9, 7, 5]);
  assert.equal(q.ScannedCount, 6);
  const page = await doc.send(new QueryCommand({
    TableName: T, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'q' }, Limit: 10,
  }));
  assert.equal(page.Items.length, 10);
  assert.deepEqual(page.LastEvaluatedKey, { pk: 'q', sk: 9 });
  const s = await doc.send(new ScanCommand({ TableName: T, Select: 'COUNT', FilterExpression: 'pk = :p',
    ExpressionAttributeValues: { ':p': 'q' } }));
  assert.equal(s.Count, 25);
});

test('transactions commit all or nothing', async () => {
  await doc.send(new TransactWriteCommand({ TransactItems: [
    { Put: { TableName: T, Item: { pk: 't', sk: 1, v: 1 } } },
    { Update: { TableName: T, Key: { pk: 't', sk: 2 }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': 2 } } },
  ] }));
  const err = await doc.send(new TransactWriteCommand({ TransactItems: [
    { Put: { TableName: T, Item: { pk: 't', sk: 3 } } },
    { ConditionCheck: { TableName: T, Key: { pk: 't', sk: 1 }, ConditionExpression: 'v = :two',
      ExpressionAttributeValues: { ':two': 2 } } },
  ] })).then(() => null, (e) => e);
  assert.ok(err instanceof TransactionCanceledException, String(err));
  assert.deepEqual(err.CancellationReasons.map((r) => r.Code), ['None', 'ConditionalCheckFailed']);
  const g = await doc.send(new TransactGetCommand({ TransactItems: [
    { Get: { TableName: T, Key: { pk: 't', sk: 1 } } },
    { Get: { TableName: T, Key: { pk: 't', sk: 2 } } },
    { Get: { TableName: T, Key: { pk: 't', sk: 3 } } },
  ] }));
  assert.deepEqual(g.Responses.map((r) => r.Item?.v), [1, 2, undefined]);
});
