// Key layout and the write script of the Redis signal store.
//
// Every key of one subject carries the subject fingerprint as a hash tag, so
// they live in one Redis Cluster slot and one Check needs one round trip:
//   <prefix>{<subject>}:d      hash  device fingerprint -> "<seenAt>:<trusted 0|1>"
//   <prefix>{<subject>}:r      hash  bucket start -> request count
//   <prefix>{<subject>}:c      hash  country -> seenAt
//   <prefix>{<subject>}:p      string "lat,lon,at,country" (last allowed place)
//   <prefix>{<subject>}:k      hash  "since" -> riskSince, cause -> first seen
//   <prefix>{<subject>}:j:<id> string, single-use token id, expires with the token
// Every key has a TTL, refreshed on write.

export interface SubjectKeys {
  readonly devices: string;
  readonly rate: string;
  readonly countries: string;
  readonly place: string;
  readonly risk: string;
  token(id: string): string;
}

export function subjectKeys(prefix: string, subject: string): SubjectKeys {
  const base = `${prefix}{${subject}}`;
  return {
    devices: `${base}:d`,
    rate: `${base}:r`,
    countries: `${base}:c`,
    place: `${base}:p`,
    risk: `${base}:k`,
    token: (id) => `${base}:j:${id}`,
  };
}

/**
 * Reads what one Check needs, and claims a single-use token id, in one call.
 * KEYS: devices, rate, countries, place, risk, token (or the place key again
 * when nothing is claimed). ARGV: device, country, token ttl ("" = no claim),
 * first bucket, bucket step, bucket count, causes... Returns a flat array:
 * device value, country value, country count, place, riskSince, bucket
 * counts..., cause stamps..., claim (1 first use, 0 replay, -1 not asked).
 * Missing values are nil (false in Lua).
 */
export const READ_SCRIPT = `
local first, step, nb = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local out = {}
out[1] = redis.call('HGET', KEYS[1], ARGV[1])
out[2] = redis.call('HGET', KEYS[3], ARGV[2])
out[3] = redis.call('HLEN', KEYS[3])
out[4] = redis.call('GET', KEYS[4])
out[5] = redis.call('HGET', KEYS[5], 'since')
for i = 0, nb - 1 do out[#out + 1] = redis.call('HGET', KEYS[2], string.format('%d', first + i * step)) end
for i = 7, #ARGV do out[#out + 1] = redis.call('HGET', KEYS[5], ARGV[i]) end
if ARGV[3] == '' then
  out[#out + 1] = -1
elseif redis.call('SET', KEYS[6], '1', 'EX', ARGV[3], 'NX') then
  out[#out + 1] = 1
else
  out[#out + 1] = 0
end
return out
`;

/**
 * Applies one StateUpdate atomically. KEYS: devices, rate, countries, place,
 * risk. ARGV: now, bucket, rateTtl, maxBuckets, device, trusted (0|1),
 * deviceTtl, deviceCap, country, countryTtl, countryCap, place, placeTtl,
 * riskTtl, causeCap, cause... Empty strings mean "nothing to record".
 * Idempotent apart from the rate count, and never resent by the client.
 */
export const RECORD_SCRIPT = `
local now = tonumber(ARGV[1])

local function stamp_of_value(field, value) return tonumber(string.match(value, '^(%d+)')) end
local function stamp_of_field(field, value) return tonumber(field) end
local function stamp_of_cause(field, value)
  if field == 'since' then return nil end
  return tonumber(value)
end

-- Drops entries older than ttl, then the oldest beyond cap (only when over cap).
local function trim(key, cap, ttl, stamp)
  if redis.call('HLEN', key) <= cap then return end
  local flat = redis.call('HGETALL', key)
  local live = {}
  for i = 1, #flat, 2 do
    local t = stamp(flat[i], flat[i + 1])
    if t ~= nil and t < now - ttl then
      redis.call('HDEL', key, flat[i])
    elseif t ~= nil then
      live[#live + 1] = {flat[i], t}
    end
  end
  if #live <= cap then return end
  table.sort(live, function(a, b) return a[2] < b[2] end)
  for i = 1, #live - cap do redis.call('HDEL', key, live[i][1]) end
end

redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('EXPIRE', KEYS[2], ARGV[3])
trim(KEYS[2], tonumber(ARGV[4]), tonumber(ARGV[3]), stamp_of_field)

if ARGV[5] ~= '' then
  local ttl = tonumber(ARGV[7])
  local trusted = ARGV[6]
  local old = redis.call('HGET', KEYS[1], ARGV[5])
  if old and string.sub(old, -1) == '1' and stamp_of_value(nil, old) >= now - ttl then trusted = '1' end
  redis.call('HSET', KEYS[1], ARGV[5], ARGV[1] .. ':' .. trusted)
  redis.call('EXPIRE', KEYS[1], ttl)
  trim(KEYS[1], tonumber(ARGV[8]), ttl, stamp_of_value)
end

if ARGV[9] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[9], ARGV[1])
  redis.call('EXPIRE', KEYS[3], ARGV[10])
  trim(KEYS[3], tonumber(ARGV[11]), tonumber(ARGV[10]), stamp_of_value)
end

if ARGV[12] ~= '' then
  redis.call('SET', KEYS[4], ARGV[12], 'EX', ARGV[13])
end

if #ARGV >= 16 then
  local ttl = tonumber(ARGV[14])
  for i = 16, #ARGV do
    local seen = tonumber(redis.call('HGET', KEYS[5], ARGV[i]) or '0')
    if seen < now - ttl then redis.call('HSET', KEYS[5], ARGV[i], ARGV[1]) end
  end
  local since = tonumber(redis.call('HGET', KEYS[5], 'since') or '0')
  if now > since then redis.call('HSET', KEYS[5], 'since', ARGV[1]) end
  redis.call('EXPIRE', KEYS[5], ttl)
  trim(KEYS[5], tonumber(ARGV[15]), ttl, stamp_of_cause)
end
return 1
`;
