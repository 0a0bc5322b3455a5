# SPDX-License-Identifier: MIT
# benchlib: the pieces of tools/bench/run. procs starts and stops the servers
# under test, wrk drives and parses wrk, ddb seeds tables over the DynamoDB
# API, conns measures startup, RSS and idle connections, workloads is the table
# of workloads and report prints medians, ratios and PASS/FAIL.
