-- wrk script: getVouchers over the whole catalog with a country filter and
-- a name sort (every request filters and sorts every product).
wrk.method = "POST"
wrk.path = "/v1/oauth/api"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("GALLEY_BENCH_TOKEN")
wrk.body = '{"tag":"plumProAPI","query":"plumProAPI.mutation.getVouchers","variables":{"data":' ..
  '{"limit":10,"page":3,"filters":[{"key":"country","value":"IN"}],"sort":{"field":"name","order":"ASC"}}}}'
