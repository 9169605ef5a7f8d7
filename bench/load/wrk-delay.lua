-- Throttles each wrk connection: wait WRK_DELAY_MS between a response and
-- the next request (wrk 4 has no fixed-rate mode; wrk2 has -R).
local d = tonumber(os.getenv("WRK_DELAY_MS") or "10")
function delay()
  return d
end
