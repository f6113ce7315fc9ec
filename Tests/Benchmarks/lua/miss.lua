-- wrk script: every request asks for a URL never asked before (cacheable misses).
-- BENCH_MISS_PREFIX makes URLs unique across runs; each wrk thread adds its own number.
local prefix = os.getenv("BENCH_MISS_PREFIX") or "/api/pinning/m/run-"
local threads = 0

function setup(thread)
   threads = threads + 1
   thread:set("thread_id", threads)
end

local n = 0
function request()
   n = n + 1
   return wrk.format("GET", prefix .. (thread_id or 0) .. "-" .. n)
end
