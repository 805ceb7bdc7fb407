-- wrk script: refresh-token rotation chains. Each thread starts with its
-- share of the refresh tokens in $GALLEY_BENCH_TOKENS (one per line) and
-- presents each token exactly once: every 200 response yields the next
-- token of that chain, so the server does real rotation, never reuse.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  queue = {}
  failures = 0
  local nthreads = tonumber(os.getenv("GALLEY_BENCH_THREADS"))
  local i = 0
  for line in io.lines(os.getenv("GALLEY_BENCH_TOKENS")) do
    if i % nthreads == id then table.insert(queue, line) end
    i = i + 1
  end
  client_id = os.getenv("GALLEY_BENCH_CLIENT_ID")
  client_secret = os.getenv("GALLEY_BENCH_CLIENT_SECRET")
end

function request()
  local token = table.remove(queue)
  if token == nil then
    -- Only reachable if a refresh failed; counted by wrk as non-2xx.
    token = "exhausted"
  end
  local body = "grant_type=refresh_token&refresh_token=" .. token ..
    "&client_id=" .. client_id .. "&client_secret=" .. client_secret
  return wrk.format("POST", "/v1/oauth/token/user",
    { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end

function response(status, headers, body)
  local next_token = string.match(body, '"refresh_token":"([^"]+)"')
  if status == 200 and next_token then
    table.insert(queue, next_token)
  else
    failures = failures + 1
  end
end
