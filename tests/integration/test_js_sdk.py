# SPDX-License-Identifier: MIT
# Runs the AWS SDK for JavaScript v3 tests (tests/js, node:test) against a
# fresh eddy: EDDY_URL names the endpoint. Skips only when node is absent;
# missing npm dependencies are a failure that names the fix.
import os
import shutil
import subprocess

import pytest

from conftest import ROOT

JS_DIR = os.path.join(ROOT, "tests", "js")


def test_js_sdk(eddy):
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed (tools/setup --test installs nodejs and npm)")
    assert os.path.isdir(os.path.join(JS_DIR, "node_modules")), \
        "tests/js/node_modules is missing: run tools/setup --test (npm ci --prefix tests/js)"
    env = dict(os.environ, EDDY_URL=eddy.url)
    r = subprocess.run([node, "--test", JS_DIR + "/"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=180)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
    assert "# fail 0" in r.stdout and "# pass 0" not in r.stdout, r.stdout[-6000:]
