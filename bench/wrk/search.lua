-- wrk script: POST /search with the queries of a file (one per line), round robin.
-- Environment: DENSER_QUERIES (file), DENSER_MODE (dense|bm25|hybrid), DENSER_K.
local queries = {}
local mode = os.getenv("DENSER_MODE") or "hybrid"
local k = tonumber(os.getenv("DENSER_K") or "10")
for line in io.lines(os.getenv("DENSER_QUERIES")) do
  if #line > 0 then queries[#queries + 1] = line end
end
local function escape(s)
  return (s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end))
end
local counter = 0
request = function()
  counter = counter + 1
  local q = queries[(counter % #queries) + 1]
  local body = string.format('{"query":"%s","mode":"%s","k":%d}', escape(q), mode, k)
  return wrk.format("POST", "/search", {["Content-Type"] = "application/json"}, body)
end
local non200 = 0
response = function(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("requests %d errors_connect %d errors_read %d errors_write %d errors_status %d errors_timeout %d\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
  io.write(string.format("throughput_rps %.1f\n", summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({50, 90, 99}) do
    io.write(string.format("latency_p%d_ms %.2f\n", p, latency:percentile(p) / 1000))
  end
end
