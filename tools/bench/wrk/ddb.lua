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

require "result"

BATCH = 25
local VALUE = string.rep("v", 64) -- About 100-byte items.

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

function init(args)
   local op = args[1] or "get"
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

