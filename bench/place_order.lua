-- wrk script: placeOrder with a fresh poNumber per request, also across runs (so every
-- request is a new order), one voucher of product 1 at 100.
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  n = 0
  token = os.getenv("GALLEY_BENCH_TOKEN")
  run = tostring(os.time())
end

function request()
  n = n + 1
  local body = '{"tag":"plumProAPI","query":"plumProAPI.mutation.placeOrder","variables":{"data":' ..
    '{"productId":1,"quantity":1,"denomination":"100","poNumber":"bench-' .. run .. '-' .. id .. '-' .. n .. '"}}}'
  return wrk.format("POST", "/v1/oauth/api",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end
