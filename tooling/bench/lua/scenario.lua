-- One bench scenario for wrk: each request is METHOD on a path drawn at random from PATHS_FILE
-- (one path per line), with the bearer TOKEN and, if set, the JSON BODY ("%PRIORITY%" in it
-- becomes a random priority). Prints one line at the end:
--   RESULT <req/s> <p50 ms> <p99 ms> <non-2xx> <socket errors> <requests>
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local paths, headers, method, body
local priorities = { "low", "medium", "high", "critical" }

function init(args)
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
  paths = {}
  for line in io.lines(os.getenv("PATHS_FILE")) do
    if line ~= "" then paths[#paths + 1] = line end
  end
  if #paths == 0 then error("no paths in " .. os.getenv("PATHS_FILE")) end
  method = os.getenv("METHOD") or "GET"
  body = os.getenv("BODY")
  if body == "" then body = nil end
  headers = { ["Authorization"] = "Bearer " .. (os.getenv("TOKEN") or "") }
  if body then headers["Content-Type"] = "application/json" end
end

function request()
  local path = paths[math.random(#paths)]
  local payload = body and body:gsub("%%PRIORITY%%", priorities[math.random(4)]) or nil
  return wrk.format(method, path, headers, payload)
end

non2xx = 0
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("non2xx") or 0) end
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.2f %.2f %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    bad, e.connect + e.read + e.write + e.timeout, summary.requests))
end
