-- Many visitors instead of one (load.sh VISITORS=N): every request carries an X-Forwarded-For address drawn at random
-- from N addresses (10.0.0.0 upwards), and load.sh starts both apps with ASPNETCORE_FORWARDEDHEADERS_ENABLED=true, so
-- each address is a visitor of its own, as behind a reverse proxy. Without it every wrk request comes from one address
-- and one user agent: one visitor with a million hits a day, which no site has and which makes every rollup pass
-- rebuild the day whole. Defines request() only when WRK_VISITORS is set, so wrk keeps its static request otherwise.
local pool = tonumber(os.getenv("WRK_VISITORS") or "0") or 0
if pool > 0 then
  local seeded = false
  function request()
    if not seeded then
      -- One Lua state per wrk thread: seed each from its own table address and the clock.
      math.randomseed((tonumber(string.match(tostring({}), "0x(%x+)") or "0", 16) or 0) % 2147483647 + os.time())
      seeded = true
    end
    local n = math.random(pool) - 1
    wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
    return wrk.format()
  end
end
