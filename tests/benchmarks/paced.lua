-- Approximates a fixed request rate with stock wrk (wrk2's -R is not in Debian): every connection waits
-- WRK_DELAY_MS before each request, so the rate is about connections * 1000 / (WRK_DELAY_MS + latency).
-- It is still a closed loop (a slow answer delays the next request: coordinated omission), so p99 is optimistic
-- only when the server stalls; load.sh reports the rate actually reached.
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "4")
local body = os.getenv("WRK_BODY")
if body and body ~= "" then
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
end
function delay()
  return delay_ms
end
dofile("tests/benchmarks/visitors.lua")
