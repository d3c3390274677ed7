-- post64.lua: POST the same 64-byte body that loadgen sends.
-- Usage: wrk -t1 -c32 -d10s -s wrk/post64.lua <invoke URL printed by loadgen -serve>
wrk.method = "POST"
wrk.body = string.rep("nexus-64", 8)
wrk.headers["Content-Type"] = "application/octet-stream"
