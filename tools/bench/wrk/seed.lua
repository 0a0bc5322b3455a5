-- SPDX-License-Identifier: MIT
-- seed.lua: bulk-load items k00000000..k(COUNT-1) into TABLE with
-- BatchWriteItem, 25 items a request, every batch sent exactly once over all
-- of wrk's connections. Once every batch is sent, idle connections send a
-- filler GetItem on a missing key (answered "{}"), so batch answers can be
-- counted apart. When all are in, it prints SEED_DONE and the runner stops
-- wrk (wrk itself would wait out -d). Seeding 1,000,000 items in Python
-- instead takes minutes.
--
-- Usage (cwd tools/bench/wrk): wrk -t1 -cN -dMAX -s seed.lua URL -- TABLE COUNT
require "ddb"

local tbl, nbatches, sent, answered, bad = "bench", 0, 0, 0, 0
local filler
local is_verified = false

function init(args)
   tbl = args[1] or "bench"
   nbatches = math.ceil(tonumber(args[2] or "0") / BATCH)
   filler = wrk.format("POST", "/", ddb_headers("GetItem"),
                       string.format('{"TableName":"%s","Key":{"pk":{"S":"filler"}}}', tbl))
   if nbatches == 0 then
      io.write("SEED_DONE batches=0 failed=0\n")
      io.flush()
   end
end

function request()
   -- wrk calls request() once right after init() to check the request parses
   -- and throws the result away: that call must not consume a batch.
   if not is_verified then
      is_verified = true
      return filler
   end
   if sent >= nbatches then
      return filler
   end
   sent = sent + 1
   return wrk.format("POST", "/", ddb_headers("BatchWriteItem"), batch_body(tbl, (sent - 1) * BATCH))
end

function response(status, headers, body)
   if status == 200 and body == "{}" then
      return -- A filler's answer.
   end
   answered = answered + 1
   if status ~= 200 or not body:find('"UnprocessedItems":{}', 1, true) then
      bad = bad + 1
      if bad <= 3 then
         io.write(string.format("SEED_ERROR status=%d body=%s\n", status, body:sub(1, 300)))
      end
   end
   if answered == nbatches then
      io.write(string.format("SEED_DONE batches=%d failed=%d\n", nbatches, bad))
      io.flush()
      wrk.thread:stop()
   end
end
