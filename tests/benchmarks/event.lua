-- POST {prefix}/event as the tracker script sends it (navigator.sendBeacon: text/plain JSON).
wrk.method = "POST"
wrk.body = '{"name":"pageview","url":"http://localhost/pricing?utm_source=newsletter","referrer":"https://www.google.com/","screen_width":1920}'
wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
dofile("tests/benchmarks/visitors.lua")
