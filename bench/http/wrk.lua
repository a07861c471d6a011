-- wrk script of the Tessera benchmarks: optional method/body from the environment, optional
-- distinct body per request (BENCH_BODIES_FILE), optional distinct bearer token per request (one per line in BENCH_TOKENS_FILE, cycled), and a JSON
-- summary line (prefixed BENCHJSON) for the harness.
local method = os.getenv("BENCH_METHOD")
if method and method ~= "" then wrk.method = method end
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then wrk.body = body end

-- Distinct request bodies (one per line, cycled), e.g. sign-ins of many accounts.
local bodiesPath = os.getenv("BENCH_BODIES_FILE")
if bodiesPath and bodiesPath ~= "" then
  local bodies = {}
  local count = 0
  for line in io.lines(bodiesPath) do
    if #line > 0 then
      count = count + 1
      bodies[count] = line
    end
  end
  local j = 0
  request = function()
    j = j % count + 1
    return wrk.format(nil, nil, nil, bodies[j])
  end
end

local path = os.getenv("BENCH_TOKENS_FILE")
if path and path ~= "" then
  local tokens = {}
  local n = 0
  for line in io.lines(path) do
    if #line > 0 then
      n = n + 1
      tokens[n] = line
    end
  end
  -- Start where the previous run of this scenario stopped, so that warm-up and measurement
  -- (separate wrk runs) do not send the same tokens again.
  local i = (tonumber(os.getenv("BENCH_TOKENS_OFFSET") or "0") or 0) % n
  request = function()
    i = i % n + 1
    wrk.headers["Authorization"] = "Bearer " .. tokens[i]
    return wrk.format()
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCHJSON {\"requests\":%d,\"duration_us\":%d,\"p50_us\":%.1f,\"p99_us\":%.1f,\"status\":%d,\"connect\":%d,\"read\":%d,\"write\":%d,\"timeout\":%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
