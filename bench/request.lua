-- wrk script: sends the request described by BENCH_METHOD, BENCH_BODY_FILE and BENCH_HEADERS
-- (lines "Name: value"), and prints one JSON line of figures when the run ends.
local method = os.getenv("BENCH_METHOD") or "POST"
local body_file = os.getenv("BENCH_BODY_FILE")
local headers_file = os.getenv("BENCH_HEADERS_FILE")

wrk.method = method
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
end
wrk.headers["Content-Type"] = "application/json"
-- A second body sent every other time (a write that would otherwise change nothing after its first).
local alternate_file = os.getenv("BENCH_ALT_BODY_FILE")
if alternate_file and alternate_file ~= "" then
  local f = assert(io.open(alternate_file, "rb"))
  local bodies = {wrk.body, f:read("*a")}
  f:close()
  local sent = 0
  request = function()
    sent = sent + 1
    return wrk.format(nil, nil, nil, bodies[sent % 2 + 1])
  end
end
if headers_file and headers_file ~= "" then
  for line in io.lines(headers_file) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
end

local non_2xx = 0
response = function(status, headers, body)
  if status >= 400 then non_2xx = non_2xx + 1 end
end

done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "status_errors": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
