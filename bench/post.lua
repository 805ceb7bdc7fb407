-- wrk script: a fixed form POST, from $GALLEY_BENCH_PATH and
-- $GALLEY_BENCH_BODY, with HTTP Basic client credentials in
-- $GALLEY_BENCH_BASIC.
wrk.method = "POST"
wrk.path = os.getenv("GALLEY_BENCH_PATH")
wrk.body = os.getenv("GALLEY_BENCH_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("GALLEY_BENCH_BASIC")
