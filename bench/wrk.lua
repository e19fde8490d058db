-- One wrk script for every scenario of bench/. The first argument after
-- `--` is the mode:
--   static                      the URL and -H headers as given (GET)
--   post BODY [CONTENT_TYPE]    POST the same body every time
--   roundtrip AUTHORIZE_PATH TOKEN_PATH TOKEN_BODY_PREFIX
--       authorize with the session cookie (-H Cookie), take the code from
--       the redirect, exchange it (TOKEN_BODY_PREFIX .. code); one round
--       trip = one authorize + one token request
--   logins EMAIL_PREFIX PASSWORD N
--       POST the JSON sign-in of PREFIX0@example.com ... PREFIX(N-1)@...,
--       round robin, each thread starting elsewhere (many people signing in)
--   refresh TOKEN_PATH THREADS TOKEN...
--       each thread rotates its own share of the refresh tokens
-- done() prints one line, `BENCH {json}`, that the harness reads.

local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

ok = 0
bad = 0
local mode
local form = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local codes = {}
local tokens = {}
local authorize_path, token_path, token_body

local function roundtrip_request()
  local code = table.remove(codes)
  if code then
    return wrk.format("POST", token_path, form, token_body .. code)
  end
  return wrk.format("GET", authorize_path)
end

local function roundtrip_response(status, headers, body)
  if status == 302 or status == 303 then
    local loc = headers["Location"] or headers["location"] or ""
    local code = loc:match("[?&]code=([^&]+)")
    if code then
      table.insert(codes, code)
    else
      bad = bad + 1
    end
  elseif status == 200 and body:find('"id_token"', 1, true) then
    ok = ok + 1
  else
    bad = bad + 1
  end
end

local last_token
local function refresh_request()
  local t = table.remove(tokens, 1) or last_token
  return wrk.format("POST", token_path, form, "grant_type=refresh_token&refresh_token=" .. t)
end

local function refresh_response(status, headers, body)
  local t = status == 200 and body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if t then
    table.insert(tokens, t)
    last_token = t
    ok = ok + 1
  else
    if bad == 0 and os.getenv("BENCH_DEBUG") then
      io.stderr:write("refresh failed: ", status, " ", body, "\n")
    end
    bad = bad + 1
  end
end

local login_prefix, login_password, login_n, login_i
local function login_request()
  login_i = login_i + 1
  local body = string.format('{"email":"%s%d@example.com","password":"%s"}',
    login_prefix, login_i % login_n, login_password)
  local headers = { ["Content-Type"] = "application/json" }
  for k, v in pairs(wrk.headers) do
    headers[k] = v
  end
  return wrk.format("POST", nil, headers, body)
end

function init(args)
  mode = args[1]
  -- wrk.format replaces wrk.headers (the -H ones) when given headers.
  for k, v in pairs(wrk.headers) do
    form[k] = v
  end
  if mode == "post" then
    wrk.method = "POST"
    wrk.body = args[2]
    wrk.headers["Content-Type"] = args[3] or "application/x-www-form-urlencoded"
  elseif mode == "roundtrip" then
    authorize_path, token_path, token_body = args[2], args[3], args[4]
    request = roundtrip_request
    response = roundtrip_response
  elseif mode == "logins" then
    login_prefix, login_password, login_n = args[2], args[3], tonumber(args[4])
    login_i = tid * 7
    request = login_request
  elseif mode == "refresh" then
    token_path = args[2]
    local n = tonumber(args[3])
    for i = 4, #args do
      if (i - 4) % n == tid then
        table.insert(tokens, args[i])
      end
    end
    last_token = tokens[1]
    request = refresh_request
    response = refresh_response
  end
end

function done(summary, latency, requests)
  local good, wrong = 0, 0
  for _, t in ipairs(threads) do
    good = good + (t:get("ok") or 0)
    wrong = wrong + (t:get("bad") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"non_2xx_3xx":%d,"socket_errors":%d,"ok":%d,"bad":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.status, e.connect + e.read + e.write + e.timeout, good, wrong))
end
