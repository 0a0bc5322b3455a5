-- SPDX-License-Identifier: MIT
-- result.lua: the done() hook shared by every bench script. It prints one
-- machine-readable BENCH_RESULT line with exact microsecond percentiles, which
-- tools/bench/run parses (wrk's own --latency table rounds them). Loaded with
-- require, so wrk runs with tools/bench/wrk as its working directory.

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d "
         .. "max_us=%d mean_us=%.1f status_errors=%d connect_errors=%d read_errors=%d "
         .. "write_errors=%d timeouts=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean,
      e.status, e.connect, e.read, e.write, e.timeout))
end
