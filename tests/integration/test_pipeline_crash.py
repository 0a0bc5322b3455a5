# SPDX-License-Identifier: MIT
# Crash test of a native trigger pipeline: A -> `add` (staged UpdateItem
# "ADD total :amt" on counter B[k]) -> B -> `copy` (staged PutItem of B's
# image into C). Writes to A under load, kill -9 at random moments 20 times,
# restart on the same data directory each time. Staged writes commit with the
# checkpoint, so at the end every counter equals the exact sum of the amounts
# in A (nothing lost, nothing applied twice) and C mirrors B.
import json
import os
import random
import shutil
import threading
import time

import boto3
from botocore.config import Config

from conftest import Eddy, eddy_bin

FN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(eddy_bin()))), "tests", "functions")
ROUNDS = 20
COUNTERS = 5


def table(name, key):
    return {"TableName": name, "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}}


def manifest(tmp_path):
    shutil.copy(os.path.join(FN_DIR, "fn_trigger.so"), tmp_path / "fn_trigger.so")
    fns = [{"FunctionName": h, "Runtime": "c", "Handler": h, "Code": {"Path": "fn_trigger.so"}}
           for h in ("add", "copy")]
    maps = [{"FunctionName": "add", "TableName": "pipeA", "StartingPosition": "TRIM_HORIZON", "BatchSize": 50},
            {"FunctionName": "copy", "TableName": "pipeB", "StartingPosition": "TRIM_HORIZON", "BatchSize": 50}]
    path = tmp_path / "app.json"
    path.write_text(json.dumps({"tables": [table("pipeA", "id"), table("pipeB", "id"), table("pipeC", "id")],
                                "functions": fns, "eventSourceMappings": maps}))
    return str(path)


def client(e):
    return boto3.client("dynamodb", endpoint_url=e.url, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"max_attempts": 0}, connect_timeout=1, read_timeout=2))


def writer(e, prefix, stop):
    c = client(e)
    i = 0
    while not stop.is_set():
        try:
            c.put_item(TableName="pipeA", Item={"id": {"S": f"{prefix}-{i}"},
                                            "k": {"S": f"c{i % COUNTERS}"},
                                            "amount": {"N": str(1 + i % 7)}})
        except Exception:
            return
        i += 1


def scan(c, name):
    items, kw = [], {}
    while True:
        r = c.scan(TableName=name, **kw)
        items += r["Items"]
        if "LastEvaluatedKey" not in r:
            return items
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]


def test_pipeline_survives_kill9(tmp_path):
    path, data = manifest(tmp_path), str(tmp_path / "data")
    rng = random.Random(7)
    for rnd in range(ROUNDS):
        e = Eddy(["--app", path], data_dir=data)
        stop = threading.Event()
        threads = [threading.Thread(target=writer, args=(e, f"r{rnd}w{t}", stop)) for t in range(2)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.05, 0.4))
        e.kill()
        stop.set()
        for t in threads:
            t.join()
    e = Eddy(["--app", path], data_dir=data)
    try:
        c = client(e)
        want = {}
        for it in scan(c, "pipeA"):
            want[it["k"]["S"]] = want.get(it["k"]["S"], 0) + int(it["amount"]["N"])
        assert want, "no writes landed"
        deadline = time.time() + 60
        while True:
            got = {it["id"]["S"]: int(it["total"]["N"]) for it in scan(c, "pipeB")}
            mirror = {it["id"]["S"]: int(it["total"]["N"]) for it in scan(c, "pipeC")}
            if (got == want and mirror == want) or time.time() > deadline:
                break
            time.sleep(0.2)
        assert got == want
        assert mirror == want
    finally:
        assert e.stop() == 0
