-- wrk script: authenticated writes. Each request creates an API token, which inserts one row
-- and appends one audit entry in the same transaction.
-- usage: TOKEN=lg_... wrk -t2 -c16 -d20s -s bench/load/write-token.lua http://127.0.0.1:PORT
local token = os.getenv("TOKEN")
local n = 0
request = function()
  n = n + 1
  local body = '{"name":"load-' .. n .. '"}'
  return wrk.format("POST", "/api/v1/tokens", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end
done = function(summary, latency, requests)
  io.write(string.format("non-2xx or errors: %d\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
