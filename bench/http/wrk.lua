-- wrk script of the Tessera benchmarks: optional method/body from the environment, optional
-- distinct body per request (one per line in BENCH_BODIES_FILE, cycled), optional distinct
-- bearer token per request (one per line in BENCH_TOKENS_FILE, cycled), and a JSON summary
-- line (prefixed BENCHJSON) for the harness.
local method = os.getenv("BENCH_METHOD")
if method and method ~= "" then wrk.method = method end
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then wrk.body = body end

-- The non-empty lines of the file named by an environment variable, and their count (nil when unset).
local function linesOf(variable)
  local path = os.getenv(variable)
  if not path or path == "" then return nil, 0 end
  local lines = {}
  local count = 0
  for line in io.lines(path) do
    if #line > 0 then
      count = count + 1
      lines[count] = line
    end
  end
  return lines, count
end

-- Distinct request bodies (one per line, cycled), e.g. sign-ins of many accounts.
local bodies, count = linesOf("BENCH_BODIES_FILE")
if bodies then
  local j = 0
  request = function()
    j = j % count + 1
    return wrk.format(nil, nil, nil, bodies[j])
  end
end

local tokens, n = linesOf("BENCH_TOKENS_FILE")
if tokens then
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
