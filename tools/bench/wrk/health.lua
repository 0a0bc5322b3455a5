-- SPDX-License-Identifier: MIT
-- health.lua: GET /_eddy/health, the same bytes to eddy and to nginx. No
-- request() hook, so wrk sends a static request with no Lua on the hot path.
-- Results are printed by result.lua's done().
require "result"

wrk.method = "GET"
wrk.path = "/_eddy/health"
