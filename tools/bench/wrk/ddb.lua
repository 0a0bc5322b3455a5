-- SPDX-License-Identifier: MIT
-- ddb.lua: the wrk script for every DynamoDB workload, so eddy, the nginx
-- ceiling and dynalite receive byte-identical requests. All requests are built
-- once in init() and request() only rotates through them, keeping the
-- per-request Lua cost near zero (the nginx ceiling must stay near plain wrk).
-- Results are printed by result.lua's done(). seed.lua reuses the request
-- builders (BATCH, ddb_headers, batch_body) and overrides init/request.
--
-- Usage (cwd tools/bench/wrk): wrk ... -s ddb.lua URL -- OP TABLE KEYSPACE NREQ SEED
--   OP get|put|batch: GetItem / PutItem / BatchWriteItem (25 puts per request)
--   on keys "k%08d" drawn from [0, KEYSPACE), NREQ prebuilt requests.
--   OP put builds each request (random key, a counter in "n") so no write
--   repeats an identical item, which a store may skip as a no-op.
--   OP load: a bulk load. BatchWriteItem of 25 NEW items per request, keys
--   consecutive from a random start, built per request (a rotation of
--   prebuilt batches would rewrite identical items, which a store may skip).
--   OP query: Query `pk = :p` with Limit 50 on random partitions "p%06d" from
--   [0, KEYSPACE) of a table seeded by seed.lua in partitions of 50 items
--   (sort key sk:N), NREQ prebuilt requests.
--   OP update: UpdateItem `SET v = :v, n = n + :one` with ConditionExpression
--   `attribute_exists(pk)` on random existing keys, built per request (:v
--   carries a counter and n grows, so every request changes its item).
--   OP transact: TransactWriteItems of 4 actions on 4 distinct consecutive
--   keys from a random multiple of 4: Put, Put, Update `SET n = n + :one`
--   with `attribute_exists(pk)`, ConditionCheck `attribute_exists(pk)`; built
--   per request (the Puts carry a counter, the Update grows n).
-- With BENCH_CHECK=1 in the environment the script prints the first answer
-- as one `BENCH_CHECK status=N body=...` line (benchlib.wrk.check reads it),
-- so the runner can verify each target accepts the very bytes it measures.

require "result"

BATCH = 25
VALUE = string.rep("v", 64) -- About 100-byte items.

-- dynalite insists on a well-formed SigV4 header (it does not verify the
-- signature); eddy ignores it. Every target gets the same one.
function ddb_headers(op)
   return {
      ["Content-Type"] = "application/x-amz-json-1.0",
      ["X-Amz-Target"] = "DynamoDB_20120810." .. op,
      ["X-Amz-Date"] = "20240101T000000Z",
      ["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20240101/us-east-1/dynamodb/"
         .. "aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature="
         .. string.rep("0", 64),
   }
end

local function key(n)
   return string.format('{"pk":{"S":"k%08d"}}', n)
end

local function item(n)
   return string.format('{"pk":{"S":"k%08d"},"v":{"S":"%s"},"n":{"N":"%d"}}', n, VALUE, n)
end

local function get_body(tbl, n)
   return string.format('{"TableName":"%s","Key":%s}', tbl, key(n))
end

local function put_body(tbl, n)
   return string.format('{"TableName":"%s","Item":%s}', tbl, item(n))
end

-- A batch holds BATCH consecutive keys (DynamoDB rejects duplicates inside one
-- batch), starting at a random multiple of BATCH.
function batch_body(tbl, n)
   local first = n - n % BATCH
   local puts = {}
   for j = 0, BATCH - 1 do
      puts[#puts + 1] = '{"PutRequest":{"Item":' .. item(first + j) .. '}}'
   end
   return string.format('{"RequestItems":{"%s":[%s]}}', tbl, table.concat(puts, ","))
end

local ops = {
   get = { target = "GetItem", body = get_body },
   put = { target = "PutItem", body = put_body },
   batch = { target = "BatchWriteItem", body = batch_body },
}

local reqs = {}
local nreqs = 0
local next_req = 0

local function raw_head(op)
   local lines = { "POST / HTTP/1.1", "Host: " .. wrk.headers["Host"] }
   for name, value in pairs(ddb_headers(op)) do
      lines[#lines + 1] = name .. ": " .. value
   end
   lines[#lines + 1] = "Content-Length: "
   return table.concat(lines, "\r\n")
end

local load_fmt, load_args, load_head, load_next

-- One string.format per request over a 25-item template: fast enough that
-- wrk sends about 400,000 items/s to nginx here, twice the target.
local function load_init(tbl)
   local item = '{"PutRequest":{"Item":{"pk":{"S":"k%08d"},"v":{"S":"' .. VALUE
      .. '"},"n":{"N":"%d"}}}}'
   local items = {}
   for j = 1, BATCH do
      items[j] = item
   end
   load_fmt = '{"RequestItems":{"' .. tbl .. '":[' .. table.concat(items, ",") .. ']}}'
   load_args = {}
   load_head = raw_head("BatchWriteItem")
   math.randomseed(os.time())
   load_next = math.random(0, 3000000) * BATCH -- Rounds rarely overlap.
   request = function()
      local n = load_next
      load_next = n + BATCH
      for j = 0, BATCH - 1 do
         load_args[2 * j + 1] = n + j
         load_args[2 * j + 2] = n + j
      end
      local body = string.format(load_fmt, unpack(load_args))
      return load_head .. #body .. "\r\n\r\n" .. body
   end
end

local function put_init(tbl, keyspace)
   local fmt = '{"TableName":"' .. tbl .. '","Item":{"pk":{"S":"k%08d"},"v":{"S":"' .. VALUE
      .. '"},"n":{"N":"%d"}}}'
   local head = raw_head("PutItem")
   local count = 0
   math.randomseed(os.time())
   request = function()
      count = count + 1
      local body = string.format(fmt, math.random(0, keyspace - 1), count)
      return head .. #body .. "\r\n\r\n" .. body
   end
end

-- A counter that starts at a random point, so the rounds and the warm-up
-- of one run never send the same value twice.
local function counter_from_clock()
   math.randomseed(os.time())
   return math.random(0, 1000000000)
end

local function update_init(tbl, keyspace)
   local fmt = '{"TableName":"' .. tbl .. '","Key":{"pk":{"S":"k%08d"}},'
      .. '"UpdateExpression":"SET v = :v, n = n + :one",'
      .. '"ConditionExpression":"attribute_exists(pk)",'
      .. '"ExpressionAttributeValues":{":v":{"S":"u%d-' .. VALUE:sub(1, 48) .. '"},'
      .. '":one":{"N":"1"}}}'
   local head = raw_head("UpdateItem")
   local count = counter_from_clock()
   request = function()
      count = count + 1
      local body = string.format(fmt, math.random(0, keyspace - 1), count)
      return head .. #body .. "\r\n\r\n" .. body
   end
end

-- Keys k, k+1, k+2, k+3 with k a multiple of 4: distinct within a request
-- (DynamoDB rejects two actions on one item), and each key keeps its role, so
-- the ConditionCheck key is never written and always exists.
local function transact_init(tbl, keyspace)
   local put = '{"Put":{"TableName":"' .. tbl .. '","Item":{"pk":{"S":"k%08d"},"v":{"S":"'
      .. VALUE .. '"},"n":{"N":"%d"}}}}'
   local fmt = '{"TransactItems":[' .. put .. ',' .. put .. ','
      .. '{"Update":{"TableName":"' .. tbl .. '","Key":{"pk":{"S":"k%08d"}},'
      .. '"UpdateExpression":"SET n = n + :one","ConditionExpression":"attribute_exists(pk)",'
      .. '"ExpressionAttributeValues":{":one":{"N":"1"}}}},'
      .. '{"ConditionCheck":{"TableName":"' .. tbl .. '","Key":{"pk":{"S":"k%08d"}},'
      .. '"ConditionExpression":"attribute_exists(pk)"}}]}'
   local head = raw_head("TransactWriteItems")
   local count = counter_from_clock()
   local groups = math.floor(keyspace / 4)
   request = function()
      count = count + 1
      local k = math.random(0, groups - 1) * 4
      local body = string.format(fmt, k, count, k + 1, count, k + 2, k + 3)
      return head .. #body .. "\r\n\r\n" .. body
   end
end

local function query_body(tbl, p)
   return string.format('{"TableName":"%s","KeyConditionExpression":"pk = :p",'
      .. '"ExpressionAttributeValues":{":p":{"S":"p%06d"}},"Limit":50}', tbl, p)
end

ops.query = { target = "Query", body = query_body }

local builders = { load = load_init, put = put_init, update = update_init,
                   transact = transact_init }

local is_checked = false

-- BENCH_CHECK=1: report the first answer, then stop this thread (wrk itself
-- waits out -d; the runner stops it at the line).
local function check_response(status, headers, body)
   if is_checked then
      return
   end
   is_checked = true
   io.write(string.format("BENCH_CHECK status=%d body=%s\n", status, (body:gsub("\n", " "))))
   io.flush()
   wrk.thread:stop()
end

function init(args)
   local op = args[1] or "get"
   if os.getenv("BENCH_CHECK") == "1" then
      response = check_response
   end
   if builders[op] then
      local default_keyspace = op == "load" and "0" or "1000000"
      return builders[op](args[2] or "bench", tonumber(args[3] or default_keyspace))
   end
   local spec = assert(ops[op], "unknown op " .. op)
   local tbl = args[2] or "bench"
   local keyspace = tonumber(args[3] or "100000")
   nreqs = tonumber(args[4] or "10000")
   math.randomseed(tonumber(args[5] or "1"))
   local headers = ddb_headers(spec.target)
   for i = 1, nreqs do
      local n = math.random(0, keyspace - 1)
      reqs[i] = wrk.format("POST", "/", headers, spec.body(tbl, n))
   end
end

function request()
   next_req = next_req % nreqs + 1
   return reqs[next_req]
end

