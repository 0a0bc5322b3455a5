-- SPDX-License-Identifier: MIT
-- seed.lua: bulk-load items k00000000..k(COUNT-1) into TABLE with
-- BatchWriteItem, 25 items a request, every batch sent exactly once over all
-- of wrk's connections. Once every batch is sent, idle connections send a
-- filler GetItem on a missing key (answered "{}"), so batch answers can be
-- counted apart. When all are in, it prints SEED_DONE and the runner stops
-- wrk (wrk itself would wait out -d). Seeding 1,000,000 items in Python
-- instead takes minutes.
--
-- With PER, items go into partitions of PER items each for Query: item i is
-- {"pk":"p%06d" (floor(i / PER)), "sk": i % PER (a number)}, so a table seeded with
-- COUNT = PARTITIONS * PER holds exactly PER items under every partition key.
--
-- Usage (cwd tools/bench/wrk): wrk -t1 -cN -dMAX -s seed.lua URL -- TABLE COUNT [PER]
require "ddb"

local per = nil

-- BATCH consecutive items from n; they never repeat a key within a batch.
local function sorted_batch_body(tbl, n)
   local puts = {}
   for i = n, n + BATCH - 1 do
      puts[#puts + 1] = string.format('{"PutRequest":{"Item":{"pk":{"S":"p%06d"},"sk":{"N":"%d"},'
         .. '"v":{"S":"%s"},"n":{"N":"%d"}}}}', math.floor(i / per), i % per, VALUE, i)
   end
   return string.format('{"RequestItems":{"%s":[%s]}}', tbl, table.concat(puts, ","))
end

local tbl, nbatches, sent, answered, bad = "bench", 0, 0, 0, 0
local filler
local is_verified = false

function init(args)
   tbl = args[1] or "bench"
   nbatches = math.ceil(tonumber(args[2] or "0") / BATCH)
   per = tonumber(args[3] or "")
   -- A GetItem must name the whole key, or it is a ValidationException.
   local filler_key = per and '{"pk":{"S":"filler"},"sk":{"N":"0"}}' or '{"pk":{"S":"filler"}}'
   filler = wrk.format("POST", "/", ddb_headers("GetItem"),
                       string.format('{"TableName":"%s","Key":%s}', tbl, filler_key))
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
   local body = per and sorted_batch_body(tbl, (sent - 1) * BATCH) or batch_body(tbl, (sent - 1) * BATCH)
   return wrk.format("POST", "/", ddb_headers("BatchWriteItem"), body)
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
