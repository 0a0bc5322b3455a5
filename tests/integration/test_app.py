# SPDX-License-Identifier: MIT
# The app manifest (`eddy serve --app app.json`): tables and functions from
# their AWS create-call bodies, relative Code.Path, idempotent re-application
# at every start, and a refused entry stopping the start with exit 2.
import json
import os
import shutil
import subprocess
import time

import boto3
import pytest
import requests

from conftest import Eddy, eddy_bin

FN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(eddy_bin()))), "tests", "functions")

TABLE = {
    "TableName": "hello-member",
    "AttributeDefinitions": [{"AttributeName": "name", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "name", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
}


def manifest(tmp_path, **sections):
    shutil.copy(os.path.join(FN_DIR, "fn_echo.so"), tmp_path / "fn_echo.so")
    body = {"tables": [TABLE],
            "functions": [{"FunctionName": "echo", "Runtime": "c", "Handler": "echo",
                           "Code": {"Path": "fn_echo.so"}}]}  # Relative to the manifest.
    body.update(sections)
    path = tmp_path / "app.json"
    path.write_text(json.dumps(body))
    return str(path)


def ddb(e):
    return boto3.client("dynamodb", endpoint_url=e.url, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x")


def test_manifest_creates_tables_and_functions_idempotently(tmp_path):
    path = manifest(tmp_path)
    data = str(tmp_path / "data")
    e = Eddy(["--app", path], data_dir=data)
    try:
        desc = ddb(e).describe_table(TableName="hello-member")["Table"]
        assert desc["KeySchema"] == [{"AttributeName": "name", "KeyType": "HASH"}]
        assert desc["StreamSpecification"]["StreamEnabled"] is True
        ddb(e).put_item(TableName="hello-member", Item={"name": {"S": "Ama"}, "mood": {"S": "Happy"}})
        r = requests.post(f"{e.url}/2015-03-31/functions/echo/invocations", data=b'{"hi":1}')
        assert r.status_code == 200 and r.json() == {"hi": 1}
    finally:
        assert e.stop() == 0
    # Applying the same manifest again keeps the table, its data and its stream.
    e = Eddy(["--app", path], data_dir=data)
    try:
        again = ddb(e).describe_table(TableName="hello-member")["Table"]
        assert again["LatestStreamArn"] == desc["LatestStreamArn"]
        assert ddb(e).get_item(TableName="hello-member", Key={"name": {"S": "Ama"}})["Item"]["mood"] == {"S": "Happy"}
        r = requests.post(f"{e.url}/2015-03-31/functions/echo/invocations", data=b'[]')
        assert r.status_code == 200
    finally:
        assert e.stop() == 0


@pytest.mark.parametrize("sections, words", [
    ({"tables": [{"TableName": "x"}]}, "refused"),
    ({"tables": {"TableName": "x"}}, "must be an array"),
    ({"functions": [{"FunctionName": "f", "Runtime": "c", "Handler": "h", "Code": {"Path": "/nonexistent.so"}}]},
     "nonexistent"),
])
def test_bad_manifest_fails_start_with_one_line(tmp_path, sections, words):
    path = manifest(tmp_path, **sections)
    out = subprocess.run([eddy_bin(), "serve", "--listen", "127.0.0.1:0", "--data", str(tmp_path / "d"),
                          "--app", path], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    lines = [l for l in out.stderr.splitlines() if l.startswith("eddy:")]
    assert len(lines) == 1 and words in lines[0], out.stderr
    assert "listening" not in out.stdout


def test_missing_manifest_is_exit_2(tmp_path):
    out = subprocess.run([eddy_bin(), "serve", "--listen", "127.0.0.1:0", "--data", str(tmp_path / "d"),
                          "--app", str(tmp_path / "nope.json")], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "cannot read manifest" in out.stderr


def test_manifest_mapping_by_table_name_fires_and_is_not_duplicated(tmp_path):
    shutil.copy(os.path.join(FN_DIR, "fn_trigger.so"), tmp_path / "fn_trigger.so")
    seen = {"TableName": "seen", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}
    body = {"tables": [TABLE, seen],
            "functions": [{"FunctionName": "record", "Runtime": "c", "Handler": "record",
                           "Code": {"Path": "fn_trigger.so"}}],
            "eventSourceMappings": [{"FunctionName": "record", "TableName": "hello-member",
                                     "StartingPosition": "TRIM_HORIZON", "BatchSize": 10}]}
    path = tmp_path / "app.json"
    path.write_text(json.dumps(body))
    data = str(tmp_path / "data")

    def wait_seen(e, n):
        for _ in range(200):
            items = ddb(e).scan(TableName="seen")["Items"]
            if len(items) >= n:
                return items
            time.sleep(0.05)
        return ddb(e).scan(TableName="seen")["Items"]

    e = Eddy(["--app", str(path)], data_dir=data)
    try:
        ddb(e).put_item(TableName="hello-member", Item={"name": {"S": "Ama"}, "mood": {"S": "Happy"}})
        assert len(wait_seen(e, 1)) == 1
        listed = requests.get(f"{e.url}/2015-03-31/event-source-mappings/", params={"FunctionName": "record"}).json()
        assert len(listed["EventSourceMappings"]) == 1
        assert listed["EventSourceMappings"][0]["EventSourceArn"].startswith(
            "arn:aws:dynamodb:us-east-1:000000000000:table/hello-member/stream/")
    finally:
        assert e.stop() == 0
    e = Eddy(["--app", str(path)], data_dir=data)  # Same manifest again.
    try:
        ddb(e).put_item(TableName="hello-member", Item={"name": {"S": "Kofi"}, "mood": {"S": "Calm"}})
        items = wait_seen(e, 2)
        time.sleep(0.3)
        assert len(ddb(e).scan(TableName="seen")["Items"]) == 2  # Nothing replayed, nothing doubled.
        listed = requests.get(f"{e.url}/2015-03-31/event-source-mappings/", params={"FunctionName": "record"}).json()
        assert len(listed["EventSourceMappings"]) == 1
    finally:
        assert e.stop() == 0
