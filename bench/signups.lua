-- wrk script for `cargo xtask bench`: POSTs unique waitlist signups or backorders, each
-- from its own address and client IP (so per-IP and per-address rate limits measure
-- nothing), and counts the answers by status. Arguments: path, body template with
-- %s for the unique email.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  path, template = args[1], args[2]
  n, ok, refused, other = 0, 0, 0, 0
  tag = string.format("%d-%d", id, math.random(1, 1000000000))
end

function request()
  n = n + 1
  local email = string.format("b%s-%d@example.com", tag, n)
  local headers = {
    ["content-type"] = "application/json",
    ["cf-connecting-ip"] = string.format("10.%d.%d.%d", id % 250, math.floor(n / 250) % 250, n % 250),
  }
  return wrk.format("POST", path, headers, string.format(template, email))
end

function response(status, headers, body)
  if status == 201 or status == 202 then
    ok = ok + 1
  elseif status == 409 then
    refused = refused + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local a, r, o = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("ok")
    r = r + t:get("refused")
    o = o + t:get("other")
  end
  io.write(string.format("STATUS ok=%d refused=%d other=%d\n", a, r, o))
end
