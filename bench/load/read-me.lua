-- wrk script: authenticated reads (token lookup + user row).
-- usage: TOKEN=lg_... wrk -t2 -c32 -d20s -s bench/load/read-me.lua http://127.0.0.1:PORT
local token = os.getenv("TOKEN")
request = function()
  return wrk.format("GET", "/api/v1/me", { ["Authorization"] = "Bearer " .. token })
end
done = function(summary, latency, requests)
  io.write(string.format("non-2xx or errors: %d\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
