-- SPDX-License-Identifier: Apache-2.0
-- wrk script for bench/run.sh: POSTs the file named by KU_BENCH_BODY with
-- the Content-Type in KU_BENCH_CTYPE, counts answers by status class per
-- thread (wrk itself only reports non-2xx), and prints one line:
--   RESULT requests=N ok=N other=N errors=N seconds=S p50_us=N p99_us=N records=N
-- records: the records the module accepted: KU_BENCH_RECORDS (records per
-- request) for a 200, the results with status 200 for a 207 (a split
-- request some of whose records were refused); with KU_BENCH_COUNT, the
-- times that plain string occurs in a 2xx body (a rest-v3 stream's answer
-- objects: '"error_code":200'); none for a replayed answer
-- (Idempotent-Replayed: nothing was produced).
-- KU_BENCH_KEYS: a prefix; every request then gets a fresh
-- Idempotency-Key, PREFIX-THREAD-N (unique while the prefix is).
-- KU_BENCH_AUTH: a file of Authorization header values, one a line; the
-- requests take them in turn (each thread from its own place).
local threads = {}

function setup(thread)
    table.insert(threads, thread)
    thread:set("id", #threads)
end

local keys = os.getenv("KU_BENCH_KEYS") or ""
if keys ~= "" then
    local n = 0
    function request()
        n = n + 1
        wrk.headers["Idempotency-Key"] = keys .. "-" .. id .. "-" .. n
        return wrk.format()
    end
end

local auth = os.getenv("KU_BENCH_AUTH") or ""
if auth ~= "" then
    local values, n = {}, 0
    for line in io.lines(auth) do table.insert(values, line) end
    function request()
        n = n + 1
        wrk.headers["Authorization"] = values[(id * 7 + n) % #values + 1]
        return wrk.format()
    end
end

function init(args)
    local f = assert(io.open(os.getenv("KU_BENCH_BODY"), "rb"))
    wrk.method = "POST"
    wrk.body = f:read("*a")
    f:close()
    wrk.headers["Content-Type"] = os.getenv("KU_BENCH_CTYPE") or "application/json"
    -- KU_BENCH_HEADERS: more request headers, "Name: value" joined by "|"
    for name, value in string.gmatch(os.getenv("KU_BENCH_HEADERS") or "", "([^:|]+):%s*([^|]*)") do
        wrk.headers[name] = value
    end
    per = tonumber(os.getenv("KU_BENCH_RECORDS") or "1")
    count = os.getenv("KU_BENCH_COUNT") or ""
    ok, other, records = 0, 0, 0
end

function response(status, headers, body)
    if status >= 200 and status < 300 then
        ok = ok + 1
        if headers["Idempotent-Replayed"] or headers["idempotent-replayed"] then
            -- answered from the table: nothing produced
        elseif count ~= "" then
            local _, n = string.gsub(body, count, "")
            records = records + n
        elseif status == 207 then
            local _, n = string.gsub(body, '"status":200', "")
            records = records + n
        else
            records = records + per
        end
    else
        other = other + 1
    end
end

function done(summary, latency, requests)
    local ok_all, other_all, records_all = 0, 0, 0
    for _, t in ipairs(threads) do
        ok_all = ok_all + t:get("ok")
        other_all = other_all + t:get("other")
        records_all = records_all + t:get("records")
    end
    local e = summary.errors
    io.write(string.format("RESULT requests=%d ok=%d other=%d errors=%d seconds=%.3f p50_us=%d p99_us=%d records=%d\n",
        summary.requests, ok_all, other_all, e.connect + e.read + e.write + e.timeout,
        summary.duration / 1e6, latency:percentile(50), latency:percentile(99), records_all))
end
