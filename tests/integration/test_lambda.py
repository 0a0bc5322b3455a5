# SPDX-License-Identifier: MIT
# The Lambda REST API against the real binary, with real clients: aws-cli
# `lambda invoke` and boto3's lambda client (RequestResponse, Event, DryRun,
# LogType Tail, FunctionError on crash and timeout), plus Create/Get/List/
# Delete. Native test functions come from the build's tests/functions/ and
# are declared through `eddy serve --app <manifest>`.
import base64
import json
import os
import subprocess
import time

import pytest
import requests

from conftest import eddy_bin

boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402


FN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(eddy_bin()))), "tests", "functions")
CREDS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}


def fn(name, module, handler, **extra):
    body = {"FunctionName": name, "Runtime": "c", "Handler": handler,
            "Code": {"Path": os.path.join(FN_DIR, f"fn_{module}.so")}}
    body.update(extra)
    return body


FUNCTIONS = [
    fn("echo", "echo", "echo"),
    fn("whoami", "echo", "whoami", Timeout=7),
    fn("logs", "logs", "logs"),
    fn("crash", "crash", "crash"),
    fn("hang", "hang", "hang", Timeout=1),
    fn("stage", "stage", "stage"),
    fn("echo-inproc", "echo", "echo", Environment={"Variables": {"EDDY_IN_PROCESS": "1"}}),
]


@pytest.fixture
def server(start_eddy, tmp_path):
    manifest = tmp_path / "app.json"
    manifest.write_text(json.dumps({"functions": FUNCTIONS}))
    return start_eddy(["--app", str(manifest)])


@pytest.fixture
def lam(server):
    return boto3.client("lambda", endpoint_url=server.url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}, read_timeout=30))


def aws(server, *args):
    env = dict(os.environ, **CREDS)
    out = subprocess.run(["aws", "--endpoint-url", server.url, "--output", "json", *args],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else {}


def test_aws_cli_invoke(server, tmp_path):
    out_file = tmp_path / "out.json"
    # Debian's aws-cli is v1: --payload is raw text (v2 would need
    # --cli-binary-format raw-in-base64-out).
    meta = aws(server, "lambda", "invoke", "--function-name", "echo", "--payload",
               '{"who":"Ama"}', str(out_file))
    assert meta["StatusCode"] == 200
    assert "FunctionError" not in meta
    assert json.loads(out_file.read_text()) == {"who": "Ama"}


def test_aws_cli_invoke_log_tail(server, tmp_path):
    meta = aws(server, "lambda", "invoke", "--function-name", "logs", "--log-type", "Tail",
               str(tmp_path / "out.json"))
    log = base64.b64decode(meta["LogResult"]).decode()
    assert len(log) <= 4096
    assert "last line" in log and "REPORT RequestId: " in log


def test_boto3_request_response_and_context(lam):
    r = lam.invoke(FunctionName="whoami", Payload=b"{}")
    assert r["StatusCode"] == 200
    body = json.loads(r["Payload"].read())
    assert body["name"] == "whoami"
    assert body["requestId"] == r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert 0 < body["remainingMs"] <= 7000


def test_boto3_event_and_dry_run(lam):
    assert lam.invoke(FunctionName="echo", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    assert lam.invoke(FunctionName="echo", InvocationType="DryRun")["StatusCode"] == 204


def test_boto3_crash_is_function_error(lam):
    for _ in range(2):  # The second call gets a fresh host.
        r = lam.invoke(FunctionName="crash", Payload=b"{}")
        assert r["StatusCode"] == 200
        assert r["FunctionError"] == "Unhandled"
        assert json.loads(r["Payload"].read())["errorType"] == "Runtime.ExitError"
    assert json.loads(lam.invoke(FunctionName="echo", Payload=b"[1]")["Payload"].read()) == [1]


def test_boto3_timeout_is_function_error(lam):
    r = lam.invoke(FunctionName="hang", Payload=b"{}", LogType="Tail")
    assert r["FunctionError"] == "Unhandled"
    payload = json.loads(r["Payload"].read())
    assert "Task timed out after 1.00 seconds" in payload["errorMessage"]
    assert "Task timed out" in base64.b64decode(r["LogResult"]).decode()


def test_boto3_in_process_mode(lam):
    r = lam.invoke(FunctionName="echo-inproc", Payload=b'{"fast":true}')
    assert json.loads(r["Payload"].read()) == {"fast": True}


def test_boto3_not_found(lam):
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.invoke(FunctionName="nope", Payload=b"{}")
    assert "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope" in str(e.value)


def test_boto3_get_list_delete(lam):
    cfg = lam.get_function(FunctionName="echo")["Configuration"]
    assert cfg["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:echo"
    assert cfg["State"] == "Active" and cfg["Timeout"] == 3
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert names == sorted(f["FunctionName"] for f in FUNCTIONS)
    lam.delete_function(FunctionName="stage")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="stage")


def test_create_function_with_code_path(server, lam):
    body = fn("late", "echo", "echo", Timeout=5)
    r = requests.post(server.url + "/2015-03-31/functions", json=body, timeout=10)
    assert r.status_code == 201, r.text
    assert r.json()["FunctionName"] == "late"
    r = requests.post(server.url + "/2015-03-31/functions", json=body, timeout=10)
    assert r.status_code == 409
    assert r.headers["x-amzn-ErrorType"] == "ResourceConflictException"
    assert json.loads(lam.invoke(FunctionName="late", Payload=b'"x"')["Payload"].read()) == "x"


def test_sigterm_while_a_function_outlives_the_drain(start_eddy, tmp_path):
    """The drain gives up on an invocation that runs past it; the engine still
    exits 0, cleanly, once the function's own Timeout ends it."""
    import signal
    import threading
    manifest = tmp_path / "app.json"
    manifest.write_text(json.dumps({"functions": [fn("slow", "hang", "hang", Timeout=2)]}))
    e = start_eddy(["--app", str(manifest), "--drain-timeout-ms", "200"])
    outcome = {}

    def call():
        try:
            outcome["status"] = requests.post(f"{e.url}/2015-03-31/functions/slow/invocations",
                                              data=b"{}", timeout=10).status_code
        except requests.RequestException as ex:
            outcome["error"] = type(ex).__name__

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.3)  # The invocation is running in its host process.
    assert e.stop(signal.SIGTERM, timeout=20) == 0
    t.join(10)
    assert outcome  # Answered or cut by the drain, never left hanging.
    text = e.stderr()
    assert "AddressSanitizer" not in text and "runtime error" not in text, text
