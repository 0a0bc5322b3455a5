# SPDX-License-Identifier: MIT
# Crash safety of the write path: concurrent PutItem/DeleteItem load, kill -9
# at random moments, restart on the same data directory, many rounds. After
# every restart: each acknowledged write is there, each acknowledged delete
# stays deleted, the change log holds exactly one record per committed change,
# in order with no gap, and the LMDB environment opens clean (mdb_stat).
import json
import os
import random
import shutil
import subprocess
import threading
import time

import pytest
import requests

from conftest import Eddy

TABLE = "crash"
THREADS = 6
KEYS_PER_THREAD = 12
ROUNDS = int(os.environ.get("EDDY_CRASH_ROUNDS", "20"))


def ddb(session, url, op, body):
    r = session.post(url, data=json.dumps(body), timeout=10, headers={
        "X-Amz-Target": "DynamoDB_20120810." + op,
        "Content-Type": "application/x-amz-json-1.0",
    })
    return r


class KeyHistory:
    """Ops issued on one key, in order; each op is ('put', value) or ('del', None).
    `acked` counts how many of them were acknowledged (a prefix: one writer per key)."""

    def __init__(self):
        self.ops = []
        self.acked = 0


def writer(url, keys, hist, stop, counter):
    s = requests.Session()
    rnd = random.Random()
    while not stop.is_set():
        k = rnd.choice(keys)
        h = hist[k]
        if rnd.random() < 0.7:
            with counter[1]:
                counter[0] += 1
                v = counter[0]
            op, body = ("put", v), {"TableName": TABLE, "Item": {"k": {"S": k}, "v": {"N": str(v)}}}
            name = "PutItem"
        else:
            op, body = ("del", None), {"TableName": TABLE, "Key": {"k": {"S": k}}}
            name = "DeleteItem"
        h.ops.append(op)
        try:
            r = ddb(s, url, name, body)
        except requests.RequestException:
            return  # Killed mid-request: this op stays unacknowledged.
        if r.status_code != 200:
            raise AssertionError(f"{name} answered {r.status_code}: {r.text}")
        h.acked = len(h.ops)


def state_after(ops):
    """The item value after applying ops in order (None: absent)."""
    v = None
    for kind, val in ops:
        v = val if kind == "put" else None
    return v


def read_table(url):
    s = requests.Session()
    items, start = {}, None
    while True:
        body = {"TableName": TABLE, "ConsistentRead": True}
        if start:
            body["ExclusiveStartKey"] = start
        out = ddb(s, url, "Scan", body).json()
        for it in out["Items"]:
            items[it["k"]["S"]] = int(it["v"]["N"])
        start = out.get("LastEvaluatedKey")
        if not start:
            return items


def read_log(url):
    recs, after = [], 0
    while True:
        r = requests.get(f"{url}/_eddy/tables/{TABLE}/log", params={"after": after, "limit": 1000}, timeout=10)
        assert r.status_code == 200, r.text
        page = r.json()["Records"]
        if not page:
            return recs
        recs.extend(page)
        after = page[-1]["seq"]


def applied_ops_from_log(recs):
    """Per key, the ops the log says were applied, as ('put', v) / ('del', None)."""
    per_key = {}
    for rec in recs:
        d = rec["record"]["dynamodb"]
        k = d["Keys"]["k"]["S"]
        name = rec["record"]["eventName"]
        if name == "REMOVE":
            per_key.setdefault(k, []).append(("del", None))
        else:
            per_key.setdefault(k, []).append(("put", int(d["NewImage"]["v"]["N"])))
    return per_key


def effective(ops):
    """Drop deletes of absent items: they change nothing and log nothing."""
    out, present = [], False
    for kind, val in ops:
        if kind == "del" and not present:
            continue
        out.append((kind, val))
        present = kind == "put"
    return out


def check(url, hist, data_dir):
    items = read_table(url)
    recs = read_log(url)
    seqs = [r["seq"] for r in recs]
    assert seqs == list(range(1, len(seqs) + 1)), "change log has a gap or is out of order"
    logged = applied_ops_from_log(recs)
    for k, h in hist.items():
        acked = effective(h.ops[:h.acked])
        # At most one unacknowledged op per key (one writer per key); it may or may not have landed.
        candidates = [acked]
        if len(h.ops) > h.acked:
            with_next = effective(h.ops[:h.acked + 1])
            candidates.append(with_next)
        got = logged.get(k, [])
        assert got in candidates, f"log for {k} is {got[-5:]}, expected one of {[c[-5:] for c in candidates]}"
        assert items.get(k) == state_after(got), f"item {k} is {items.get(k)} but its log says {state_after(got)}"
        # The unacknowledged op is now settled either way: record what happened.
        if len(candidates) == 2 and got == candidates[1] and candidates[1] != candidates[0]:
            h.acked = h.acked + 1
        else:
            del h.ops[h.acked:]
    out = subprocess.run(["mdb_stat", "-e", data_dir], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


@pytest.mark.skipif(shutil.which("mdb_stat") is None, reason="needs lmdb-utils")
def test_kill9_rounds_keep_every_acknowledged_write_and_its_record(tmp_path):
    data = str(tmp_path / "data")
    e = Eddy(data_dir=data)
    r = ddb(requests.Session(), e.url, "CreateTable", {
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}]})
    assert r.status_code == 200, r.text
    hist = {f"t{t}-k{i}": KeyHistory() for t in range(THREADS) for i in range(KEYS_PER_THREAD)}
    counter = [0, threading.Lock()]
    rnd = random.Random(int(os.environ.get("EDDY_CRASH_SEED", time.time_ns())))
    total_acked = 0
    for round_no in range(ROUNDS):
        stop = threading.Event()
        threads = [threading.Thread(target=writer, args=(e.url, [f"t{t}-k{i}" for i in range(KEYS_PER_THREAD)],
                                                          hist, stop, counter)) for t in range(THREADS)]
        for t in threads:
            t.start()
        time.sleep(rnd.uniform(0.05, 0.6))
        e.kill()
        stop.set()
        for t in threads:
            t.join(15)
            assert not t.is_alive()
        e = Eddy(data_dir=data)
        check(e.url, hist, data)
        total_acked = sum(h.acked for h in hist.values())
    assert total_acked > ROUNDS * 10, "the load barely ran: the test proved nothing"
    assert e.stop() == 0
