-- wrk script: POST a 4,096-byte JSON body (pinByHash-shaped) on every request.
local head = '{"hash_to_pin":"QmNLei78zWmzUdbeRB3CiUfAizWUrbeeZh5K1rhAQKCh51","metadata":{"name":"bench","pad":"'
local tail = '"}}'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = head .. string.rep("x", 4096 - #head - #tail) .. tail
assert(#wrk.body == 4096)
