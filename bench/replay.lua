-- wrk script: replay pre-signed raw HTTP requests from a file, round robin.
--
-- The file (REPLAY_FILE in the environment) holds records "<byte length>\n<raw request>".
-- Each wrk thread takes every n-th record starting at its own index, so no record is
-- sent twice across threads until the file wraps (CreateUser names stay distinct); with
-- fewer records than threads, every thread sends every record.
-- done() prints one JSON line: requests, seconds, error responses (status >= 400, which
-- is every non-2xx an API answers here), socket errors and
-- latency percentiles in microseconds.

local records = {}

local function load(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  local list, pos = {}, 1
  while pos <= #data do
    local nl = string.find(data, "\n", pos, true)
    if not nl then break end
    local len = tonumber(string.sub(data, pos, nl - 1))
    list[#list + 1] = string.sub(data, nl + 1, nl + len)
    pos = nl + 1 + len
  end
  return list
end

local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  records = load(os.getenv("REPLAY_FILE"))
  step = tonumber(os.getenv("REPLAY_THREADS") or "1")
  -- Fewer records than threads (an idempotent row has one): every thread sends them all.
  -- Before this, a thread whose index was past the end sent nothing, so wrk's 4
  -- connections in 2 threads were 2 busy connections and 2 idle ones.
  if #records < step then step = 1 end
  index = ((id or 0) % #records) + 1
end

function request()
  local r = records[index]
  index = index + step
  if index > #records then index = ((index - 1) % step) + 1 end
  return r
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "non2xx": %d, "socket_errors": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration / 1e6, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
