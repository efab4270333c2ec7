-- wrk script: POST /v1/orders with request bodies read from a file, one body per line (a JSON
-- order object, or {"orders": [...]}). Each wrk thread sends its own share of the file in turn,
-- so that every request carries new lines until the file runs out (then it starts over, and the
-- lines are duplicates: done() says how often that happened).
--   wrk -t2 -c32 -d10s -s bench/wrk-orders.lua URL -- BODIES_FILE TOKEN THREADS
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path, token, nthreads = args[1], args[2], tonumber(args[3] or "1")
  bodies = {}
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == id then bodies[#bodies + 1] = line end
    i = i + 1
  end
  headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
  next_body = 0
  rounds = 0
end

function request()
  next_body = next_body + 1
  if next_body > #bodies then
    next_body = 1
    rounds = rounds + 1
  end
  return wrk.format("POST", "/v1/orders", headers, bodies[next_body])
end

function response(status, headers, body)
  if status ~= 200 then
    failed = (failed or 0) + 1
  end
end

function done(summary, latency, requests)
  local wrapped, failed_total = 0, 0
  for _, t in ipairs(threads) do
    wrapped = wrapped + (t:get("rounds") or 0)
    failed_total = failed_total + (t:get("failed") or 0)
  end
  io.write(string.format("bodies reused: %d round(s); non-200 answers: %d\n", wrapped, failed_total))
end
