# SPDX-License-Identifier: MIT
# Stream triggers (event source mappings) against the real binary: the Lambda
# API shapes and errors, delivery and the event shape, LATEST vs
# TRIM_HORIZON, filters, retries with on-failure records,
# ReportBatchItemFailures, bisect, and checkpoints surviving a restart. The
# native test functions (tests/functions/trigger.c) stage one "seen" item per
# record they get, so each test reads back exactly what was delivered.
import json
import os
import shutil
import threading
import time

import boto3
import requests

from conftest import Eddy, eddy_bin

FN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(eddy_bin()))), "tests", "functions")
ESM = "/2015-03-31/event-source-mappings/"


def table(name, key="k"):
    return {"TableName": name, "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}}


def start(tmp_path, data=None):
    so = tmp_path / "fn_trigger.so"
    if not so.exists():
        shutil.copy(os.path.join(FN_DIR, "fn_trigger.so"), so)
    fns = [{"FunctionName": h, "Runtime": "c", "Handler": h, "Code": {"Path": "fn_trigger.so"}}
           for h in ("record", "fail_on", "report")]
    path = tmp_path / "app.json"
    path.write_text(json.dumps({"tables": [table("src"), table("seen", "id")], "functions": fns}))
    return Eddy(["--app", str(path)], data_dir=data or str(tmp_path / "data"))


def ddb(e):
    return boto3.client("dynamodb", endpoint_url=e.url, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x")


def arn(e):
    return ddb(e).describe_table(TableName="src")["Table"]["LatestStreamArn"]


def create(e, **kw):
    body = {"FunctionName": "record", "EventSourceArn": arn(e), "StartingPosition": "TRIM_HORIZON"}
    body.update(kw)
    r = requests.post(e.url + ESM, json=body)
    assert r.status_code == 202, r.text
    return r.json()


def put(e, k, **attrs):
    item = {"k": {"S": k}}
    item.update(attrs)
    ddb(e).put_item(TableName="src", Item=item)


def seen(e):
    items = ddb(e).scan(TableName="seen")["Items"]
    return sorted(items, key=lambda i: i["id"]["S"])


def wait_for(fn, timeout=10.0):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > deadline:
            return v
        time.sleep(0.05)


def metrics(e, uuid):
    return requests.get(f"{e.url}/_eddy/mappings/{uuid}").json()


def test_delivery_event_shape_and_metrics(tmp_path):
    e = start(tmp_path)
    try:
        m = create(e)
        assert m["State"] == "Creating" and m["BatchSize"] == 100
        assert m["FunctionArn"].endswith(":function:record") and len(m["UUID"]) == 36
        for i in range(5):
            put(e, f"a{i}", v={"N": str(i)})
        got = wait_for(lambda: len(seen(e)) == 5 and seen(e))
        assert got, seen(e)
        rec = json.loads(got[0]["rec"]["S"])
        assert rec["eventSource"] == "aws:dynamodb" and rec["eventName"] == "INSERT"
        assert rec["eventSourceARN"] == arn(e) and rec["eventVersion"] == "1.1"
        assert rec["dynamodb"]["Keys"] == {"k": {"S": "a0"}} and "NewImage" in rec["dynamodb"]
        st = metrics(e, m["UUID"])
        assert st["Records"] == 5 and st["Errors"] == 0 and st["Invocations"] >= 1
        g = requests.get(e.url + ESM + m["UUID"]).json()
        assert g["State"] == "Enabled" and g["LastProcessingResult"] == "OK"
    finally:
        assert e.stop() == 0


def test_api_errors_list_and_boto3(tmp_path):
    e = start(tmp_path)
    try:
        r = requests.get(e.url + ESM + "00000000-0000-0000-0000-000000000000")
        assert r.status_code == 404 and r.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
        assert r.json()["Type"] == "User"
        r = requests.post(e.url + ESM, json={"FunctionName": "record", "EventSourceArn": arn(e),
                                             "StartingPosition": "LATEST", "BatchSize": 0})
        assert r.status_code == 400 and r.headers["x-amzn-ErrorType"] == "InvalidParameterValueException"
        r = requests.post(e.url + ESM, json={"FunctionName": "nope", "EventSourceArn": arn(e),
                                             "StartingPosition": "LATEST"})
        assert r.status_code == 400
        lam = boto3.client("lambda", endpoint_url=e.url, region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x")
        m = lam.create_event_source_mapping(FunctionName="record", EventSourceArn=arn(e),
                                            StartingPosition="LATEST", BatchSize=10)
        r = requests.post(e.url + ESM, json={"FunctionName": "record", "EventSourceArn": arn(e),
                                             "StartingPosition": "LATEST"})
        assert r.status_code == 409 and r.headers["x-amzn-ErrorType"] == "ResourceConflictException"
        lam.create_event_source_mapping(FunctionName="fail_on", EventSourceArn=arn(e),
                                        StartingPosition="LATEST")
        assert len(lam.list_event_source_mappings()["EventSourceMappings"]) == 2
        only = lam.list_event_source_mappings(FunctionName="record")["EventSourceMappings"]
        assert [x["UUID"] for x in only] == [m["UUID"]]
        page = lam.list_event_source_mappings(MaxItems=1)
        assert len(page["EventSourceMappings"]) == 1 and page["NextMarker"]
        rest = lam.list_event_source_mappings(Marker=page["NextMarker"])["EventSourceMappings"]
        assert len(rest) == 1 and rest[0]["UUID"] != page["EventSourceMappings"][0]["UUID"]
        u = lam.update_event_source_mapping(UUID=m["UUID"], BatchSize=50, Enabled=False)
        assert u["BatchSize"] == 50 and u["State"] == "Updating"
        assert lam.get_event_source_mapping(UUID=m["UUID"])["State"] == "Disabled"
        assert lam.delete_event_source_mapping(UUID=m["UUID"])["State"] == "Deleting"
        assert requests.get(e.url + ESM + m["UUID"]).status_code == 404
    finally:
        assert e.stop() == 0


def test_latest_starts_after_creation_and_survives_restart(tmp_path):
    data = str(tmp_path / "data")
    e = start(tmp_path, data)
    try:
        put(e, "before")
        m = create(e, StartingPosition="LATEST")
        put(e, "after1")
        assert wait_for(lambda: len(seen(e)) == 1)
        assert json.loads(seen(e)[0]["rec"]["S"])["dynamodb"]["Keys"]["k"]["S"] == "after1"
    finally:
        assert e.stop() == 0
    e = start(tmp_path, data)
    try:
        put(e, "after2")
        assert wait_for(lambda: len(seen(e)) == 2)
        time.sleep(0.3)
        keys = sorted(json.loads(i["rec"]["S"])["dynamodb"]["Keys"]["k"]["S"] for i in seen(e))
        assert keys == ["after1", "after2"]
        assert metrics(e, m["UUID"])["Records"] == 1  # Nothing checkpointed was replayed.
    finally:
        assert e.stop() == 0


def test_filter_skips_and_moves_past(tmp_path):
    e = start(tmp_path)
    try:
        pat = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"k": {"S": [{"prefix": "yes"}]}}}}
        m = create(e, FilterCriteria={"Filters": [{"Pattern": json.dumps(pat)}]})
        for k in ("yes1", "no1", "yes2", "no2"):
            put(e, k)
        put(e, "yes1", v={"S": "modify"})  # MODIFY: filtered out.
        assert wait_for(lambda: len(seen(e)) == 2)
        # The skipped records' checkpoint commit follows the count: wait for both.
        st = wait_for(lambda: (lambda s: s["Skipped"] == 3 and s["Checkpoint"] == 5 and s)(
            metrics(e, m["UUID"])))
        assert st, metrics(e, m["UUID"])
    finally:
        assert e.stop() == 0


def test_retries_then_on_failure_record(tmp_path):
    e = start(tmp_path)
    try:
        m = create(e, FunctionName="fail_on", MaximumRetryAttempts=1, BatchSize=1,
                   DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:dlq"}})
        put(e, "bad", fail={"BOOL": True})
        put(e, "good")
        assert wait_for(lambda: len(seen(e)) == 1)
        fails = requests.get(f"{e.url}/_eddy/mappings/{m['UUID']}/failures").json()["Failures"]
        assert len(fails) == 1
        info = fails[0]["DDBStreamBatchInfo"]
        assert info["batchSize"] == 1 and info["streamArn"] == arn(e)
        assert info["startSequenceNumber"] == info["endSequenceNumber"]
        assert fails[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert fails[0]["requestContext"]["approximateInvokeCount"] == 2
        st = metrics(e, m["UUID"])
        assert st["Errors"] == 2 and st["Discarded"] == 1
    finally:
        assert e.stop() == 0


def test_report_batch_item_failures_checkpoints_at_lowest(tmp_path):
    e = start(tmp_path)
    try:
        m = create(e, FunctionName="report", FunctionResponseTypes=["ReportBatchItemFailures"],
                   MaximumBatchingWindowInSeconds=1, BatchSize=10, MaximumRetryAttempts=1)
        put(e, "r1")
        put(e, "r2", fail={"BOOL": True})
        put(e, "r3")
        # The first batch [r1 r2 r3] reports r2: r1 is checkpointed, and the
        # retried batch starts at r2 (the lowest failure) until it is discarded.
        url = f"{e.url}/_eddy/mappings/{m['UUID']}/failures"
        fails = wait_for(lambda: requests.get(url).json()["Failures"])
        info = fails[0]["DDBStreamBatchInfo"]
        assert int(info["startSequenceNumber"]) == 2 and int(info["endSequenceNumber"]) == 3
        assert metrics(e, m["UUID"])["Checkpoint"] == 3
    finally:
        assert e.stop() == 0


def test_bisect_isolates_the_poison_record(tmp_path):
    e = start(tmp_path)
    try:
        m = create(e, FunctionName="fail_on", BisectBatchOnFunctionError=True, MaximumRetryAttempts=0,
                   BatchSize=4, MaximumBatchingWindowInSeconds=1)
        for k in ("p1", "p2", "p3", "p4"):
            put(e, k, **({"fail": {"BOOL": True}} if k == "p3" else {}))
        assert wait_for(lambda: len(seen(e)) == 3)
        fails = wait_for(lambda: requests.get(f"{e.url}/_eddy/mappings/{m['UUID']}/failures").json()["Failures"])
        assert len(fails) == 1 and fails[0]["DDBStreamBatchInfo"]["batchSize"] == 1
    finally:
        assert e.stop() == 0


def test_parallelization_keeps_per_key_order(tmp_path):
    """4 lanes, 4 concurrent writers over 24 keys: each key's records are
    delivered exactly once, in the order they were written, even though
    lanes run batches at the same time (record's "at" orders deliveries)."""
    e = start(tmp_path)
    keys, rounds, writers = 24, 10, 4
    try:
        m = create(e, ParallelizationFactor=4, BatchSize=5)

        def writer(w):
            c = ddb(e)
            for r in range(rounds):
                for k in range(w, keys, writers):
                    c.put_item(TableName="src", Item={"k": {"S": f"key{k}"}, "v": {"N": str(r)}})

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = keys * rounds
        assert wait_for(lambda: metrics(e, m["UUID"])["Records"] >= total, timeout=30)
        items = wait_for(lambda: (lambda s: len(s) == total and s)(
            ddb(e).scan(TableName="seen")["Items"]), timeout=30)
        assert items, "not every record was delivered"
        per_key = {}
        for i in sorted(items, key=lambda i: int(i["at"]["N"])):
            rec = json.loads(i["rec"]["S"])
            key = rec["dynamodb"]["Keys"]["k"]["S"]
            per_key.setdefault(key, []).append(
                (int(rec["dynamodb"]["NewImage"]["v"]["N"]), int(rec["dynamodb"]["SequenceNumber"])))
        assert len(per_key) == keys
        for key, recs in per_key.items():
            assert [v for v, _ in recs] == list(range(rounds)), (key, recs)
            assert [s for _, s in recs] == sorted(s for _, s in recs), (key, recs)
        assert metrics(e, m["UUID"])["Records"] == total
    finally:
        assert e.stop() == 0


def test_several_mappings_each_get_every_record_independently(tmp_path):
    e = start(tmp_path)
    try:
        m1 = create(e)  # record
        m2 = create(e, FunctionName="fail_on", BatchSize=1, MaximumRetryAttempts=-1)
        for i in range(5):
            put(e, f"g{i}")
        assert wait_for(lambda: metrics(e, m1["UUID"])["Records"] == 5 and
                        metrics(e, m2["UUID"])["Records"] == 5), (metrics(e, m1["UUID"]),
                                                                  metrics(e, m2["UUID"]))
        # A record m2 can never process holds m2 back (it retries until the
        # record expires) but not m1, which reads the same stream on its own.
        put(e, "poison", fail={"BOOL": True})
        for i in range(3):
            put(e, f"h{i}")
        assert wait_for(lambda: metrics(e, m1["UUID"])["Checkpoint"] == 9), metrics(e, m1["UUID"])
        assert wait_for(lambda: metrics(e, m2["UUID"])["Errors"] >= 2)
        st2 = metrics(e, m2["UUID"])  # Stuck before the poison, nothing skipped.
        assert st2["Checkpoint"] == 5 and st2["Discarded"] == 0, st2
        assert len(seen(e)) == 9  # m1 recorded every record, the poison included.
    finally:
        assert e.stop() == 0
