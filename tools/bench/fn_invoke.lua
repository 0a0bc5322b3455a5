-- SPDX-License-Identifier: MIT
-- fn_invoke.lua: wrk script for Lambda Invoke (RequestResponse) of the
-- function named by env FN (default "noop"): POST {} to its invocations path.
local fn = os.getenv("FN") or "noop"
wrk.method = "POST"
wrk.path = "/2015-03-31/functions/" .. fn .. "/invocations"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
