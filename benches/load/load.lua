-- wrk script for benches/load/run.sh. Two ways to make requests:
--
-- * REQUESTS=FILE replays a request list written by seed.py, one request a
--   line (METHOD TAB PATH [TAB BODY]), round-robin from the top, so the load
--   is spread over every subject and id in the list. The requests are
--   formatted once, in init, so a request costs wrk a table lookup.
-- * AUTHORIZATION=VALUE sends that Authorization header with every request.
-- * NEW_SUBJECT_PREFIX=P registers a schema nobody has registered before
--   with every request: record P_<thread>_<n> (P with `-` as `_`) into
--   subject P-<thread>-<n>. P must differ between wrk processes that share
--   a registry, or their schemas would be the same and get one id.
--
-- done() prints one line run.sh parses:
-- WRK_RESULT requests=… duration_us=… p50_us=… p99_us=… non2xx=… socket_errors=…

local CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local requests = {}
local request_count = 0
local position = 0
local new_subject_prefix = nil
local new_record_prefix = nil
local counter = 0
local authorization = nil

local function with_authorization(headers)
  if authorization ~= nil then
    headers["Authorization"] = authorization
  end
  return headers
end

function init(args)
  authorization = os.getenv("AUTHORIZATION")
  new_subject_prefix = os.getenv("NEW_SUBJECT_PREFIX")
  if new_subject_prefix ~= nil then
    new_record_prefix = new_subject_prefix:gsub("[^%w]", "_") .. "_" .. thread_number .. "_"
    return
  end
  local path = os.getenv("REQUESTS") or error("set REQUESTS or NEW_SUBJECT_PREFIX")
  for line in io.lines(path) do
    local method, target, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
    local headers = {}
    if body == "" then
      body = nil
    else
      headers["Content-Type"] = CONTENT_TYPE
    end
    request_count = request_count + 1
    requests[request_count] = wrk.format(method, target, with_authorization(headers), body)
  end
  if request_count == 0 then
    error("no requests in " .. path)
  end
end

local function new_registration()
  counter = counter + 1
  local subject = new_subject_prefix .. "-" .. thread_number .. "-" .. counter
  local record = new_record_prefix .. counter
  -- The schema's text sits in a JSON string, hence the escaped quotes.
  local schema = '{\\"type\\":\\"record\\",\\"name\\":\\"' .. record
    .. '\\",\\"namespace\\":\\"bench.new\\",\\"fields\\":[{\\"name\\":\\"id\\",\\"type\\":\\"long\\"}]}'
  return wrk.format("POST", "/subjects/" .. subject .. "/versions",
    with_authorization({ ["Content-Type"] = CONTENT_TYPE }), '{"schema":"' .. schema .. '"}')
end

function request()
  if new_subject_prefix ~= nil then
    return new_registration()
  end
  position = position % request_count + 1
  return requests[position]
end

function done(summary, latency, _)
  local errors = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d p50_us=%.0f p99_us=%.0f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
