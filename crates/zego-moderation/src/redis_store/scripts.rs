//! The Redis store's Lua scripts: one atomic round trip per [`Store`](crate::Store) method
//! (or per page of a listing).
//!
//! `KEYS[1]` is the store's prefix `<prefix>:ban:{<AppId>}` itself (never written): it
//! routes the call to the app's Cluster node, and every key a script touches is built from
//! it, so all of them share its hash tag and its slot. Numbers travel as the decimal text
//! Rust wrote and are compared with `tonumber` (exact below 2^53: Unix seconds are far below);
//! a work's member in the due set is its ID padded to 16 digits, so ties on the due time
//! sort by ID as SQLite's `ORDER BY due_at, id` does. An absent optional value is `''`.

use zego_redis::RedisScript;

/// `ARGV`: request, created_at, ends_at, enforcement, effects. Returns the ban's ID.
const INSERT_BAN: &str = r"
local p = KEYS[1]
local id = redis.call('INCR', p .. ':ids')
redis.call('HSET', p .. ':b:' .. id, 'request', ARGV[1], 'created_at', ARGV[2],
  'ends_at', ARGV[3], 'enforcement', ARGV[4], 'effects', ARGV[5], 'lifted', '0')
redis.call('ZADD', p .. ':unlifted', id, id)
local wid = redis.call('INCR', p .. ':wids')
redis.call('HSET', p .. ':w:' .. wid, 'ban', id, 'kind', 'apply', 'due_at', ARGV[2],
  'leased_by', '', 'lease_until', '')
redis.call('ZADD', p .. ':due', ARGV[2], string.format('%016d', wid))
redis.call('SADD', p .. ':bw:' .. id, wid)
return id
";

/// `ARGV`: the ban's ID. Returns `{request, created_at, ends_at, enforcement, effects}`,
/// or nil when there is no such ban.
const GET_BAN: &str = r"
local k = KEYS[1] .. ':b:' .. ARGV[1]
if redis.call('EXISTS', k) == 0 then return nil end
return redis.call('HMGET', k, 'request', 'created_at', 'ends_at', 'enforcement', 'effects')
";

/// `ARGV`: the last ID of the previous page (0 first), the page's size. Returns the
/// unlifted bans after it in ID order, six fields each (ID first).
const UNLIFTED_PAGE: &str = r"
local p = KEYS[1]
local ids = redis.call('ZRANGEBYSCORE', p .. ':unlifted', '(' .. ARGV[1], '+inf',
  'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', p .. ':b:' .. id, 'request', 'created_at', 'ends_at',
    'enforcement', 'effects')
  if f[1] then
    out[#out + 1] = id
    for i = 1, 5 do out[#out + 1] = f[i] or '' end
  end
end
return out
";

/// `ARGV`: ID, enforcement, effects, lifted (`0`/`1`), the retention of a lifted ban (s).
/// Returns the effects now stored (updated: the writer's merged with the stored ones, as
/// `Effects::merge_stored` merges them, so that no writer loses another's), 0 (already
/// lifted: unchanged) or -1 (no such ban). When the stored effects add nothing, the
/// writer's JSON is stored as sent; otherwise it is re-encoded by cjson (which writes an
/// empty array as `{}`, hence the fix-up, and numbers to 14 digits: Unix seconds).
const UPDATE_BAN: &str = r#"
local p = KEYS[1]
local k = p .. ':b:' .. ARGV[1]
local f = redis.call('HMGET', k, 'lifted', 'effects')
if not f[1] then return -1 end
if f[1] ~= '0' then return 0 end
local effects = ARGV[3]
local stored = cjson.decode(f[2])
local mine = cjson.decode(effects)
local streams, seen = {}, {}
for _, list in ipairs({stored.forbidden_streams or {}, mine.forbidden_streams or {}}) do
  for _, s in ipairs(list) do
    if not seen[s] then
      seen[s] = true
      streams[#streams + 1] = s
    end
  end
end
local mine_streams = mine.forbidden_streams or {}
local changed = #streams ~= #mine_streams
for i = 1, #streams do
  if streams[i] ~= mine_streams[i] then changed = true end
end
for _, flag in ipairs({'user_rule', 'stream_rule', 'kicked'}) do
  if stored[flag] == true and mine[flag] ~= true then
    mine[flag] = true
    changed = true
  end
end
if changed then
  mine.forbidden_streams = streams
  effects = cjson.encode(mine)
  if #streams == 0 then
    effects = string.gsub(effects, '"forbidden_streams":{}', '"forbidden_streams":[]', 1)
  end
end
redis.call('HSET', k, 'enforcement', ARGV[2], 'effects', effects, 'lifted', ARGV[4])
if ARGV[4] == '1' then
  redis.call('ZREM', p .. ':unlifted', ARGV[1])
  redis.call('EXPIRE', k, ARGV[5])
  redis.call('EXPIRE', p .. ':bw:' .. ARGV[1], ARGV[5])
end
return effects
"#;

/// `ARGV`: ban, kind, due_at. Drops the ban's never-leased work of that kind, then adds
/// the new work.
const SCHEDULE: &str = r"
local p = KEYS[1]
local bw = p .. ':bw:' .. ARGV[1]
for _, wid in ipairs(redis.call('SMEMBERS', bw)) do
  local w = p .. ':w:' .. wid
  local f = redis.call('HMGET', w, 'kind', 'leased_by')
  if not f[1] then
    redis.call('SREM', bw, wid)
  elseif f[1] == ARGV[2] and f[2] == '' then
    redis.call('DEL', w)
    redis.call('ZREM', p .. ':due', string.format('%016d', tonumber(wid)))
    redis.call('SREM', bw, wid)
  end
end
local wid = redis.call('INCR', p .. ':wids')
redis.call('HSET', p .. ':w:' .. wid, 'ban', ARGV[1], 'kind', ARGV[2], 'due_at', ARGV[3],
  'leased_by', '', 'lease_until', '')
redis.call('ZADD', p .. ':due', ARGV[3], string.format('%016d', wid))
redis.call('SADD', bw, wid)
return wid
";

/// `ARGV`: now, lease_until, worker, limit. Leases up to `limit` pieces due by now whose
/// lease (if any) has run out, oldest due first (ties by ID). Returns
/// `{work ID, ban, kind, due_at}` per piece, flat.
const CLAIM_DUE: &str = r"
local p = KEYS[1]
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[4])
local out = {}
local n = 0
local offset = 0
while n < limit do
  local page = redis.call('ZRANGEBYSCORE', p .. ':due', '-inf', ARGV[1], 'LIMIT', offset, 100)
  if #page == 0 then break end
  for _, member in ipairs(page) do
    local wid = tonumber(member)
    local w = p .. ':w:' .. wid
    local f = redis.call('HMGET', w, 'ban', 'kind', 'due_at', 'lease_until')
    if f[1] and (f[4] == '' or tonumber(f[4]) <= now) then
      redis.call('HSET', w, 'leased_by', ARGV[3], 'lease_until', ARGV[2])
      out[#out + 1] = member
      out[#out + 1] = f[1]
      out[#out + 1] = f[2]
      out[#out + 1] = f[3]
      n = n + 1
      if n >= limit then break end
    end
  end
  offset = offset + #page
end
return out
";

/// `ARGV`: work ID, worker, lease_until. Deletes the work if `worker` still holds that
/// lease: 1, else 0.
const COMPLETE: &str = r"
local p = KEYS[1]
local w = p .. ':w:' .. ARGV[1]
local f = redis.call('HMGET', w, 'leased_by', 'lease_until', 'ban')
if f[1] ~= ARGV[2] or f[2] ~= ARGV[3] then return 0 end
redis.call('DEL', w)
redis.call('ZREM', p .. ':due', string.format('%016d', tonumber(ARGV[1])))
redis.call('SREM', p .. ':bw:' .. f[3], ARGV[1])
return 1
";

/// `ARGV`: the entry (JSON), the user (`''`: none, else `=` and the ID), the stream (same).
const APPEND_AUDIT: &str = r"
local p = KEYS[1]
local n = redis.call('INCR', p .. ':audit:n')
redis.call('HSET', p .. ':audit', n, ARGV[1])
if ARGV[2] ~= '' then redis.call('RPUSH', p .. ':au:' .. string.sub(ARGV[2], 2), n) end
if ARGV[3] ~= '' then redis.call('RPUSH', p .. ':as:' .. string.sub(ARGV[3], 2), n) end
return n
";

/// `ARGV`: the index (`all`, `user`, `stream`), its ID, a stream the entries must also name
/// (`''`: any, else `=` and the ID), the cursor (0 first), the page's size. Returns
/// `{next cursor (0: the end), entries...}`, oldest first.
const AUDIT_PAGE: &str = r"
local p = KEYS[1]
local cursor = tonumber(ARGV[4])
local size = tonumber(ARGV[5])
local numbers
local last
if ARGV[1] == 'all' then
  last = tonumber(redis.call('GET', p .. ':audit:n')) or 0
  numbers = {}
  for n = cursor + 1, math.min(cursor + size, last) do numbers[#numbers + 1] = n end
  last = last - cursor
else
  local index = p .. ':au:' .. ARGV[2]
  if ARGV[1] == 'stream' then index = p .. ':as:' .. ARGV[2] end
  numbers = redis.call('LRANGE', index, cursor, cursor + size - 1)
  last = redis.call('LLEN', index) - cursor
end
local out = {0}
local want = nil
if ARGV[3] ~= '' then want = string.sub(ARGV[3], 2) end
for _, n in ipairs(numbers) do
  local entry = redis.call('HGET', p .. ':audit', n)
  if entry and (not want or cjson.decode(entry).stream_id == want) then
    out[#out + 1] = entry
  end
end
if last > size then out[1] = cursor + size end
return out
";

/// `ARGV`: the room, its listing's time, the listing (JSON), the key's expiry (s). Keeps the
/// listing unless the room's stored one is newer. Returns 1 (kept) or 0 (a newer one stays).
const SAVE_LISTING: &str = r"
local k = KEYS[1] .. ':l:' .. ARGV[1]
local at = redis.call('HGET', k, 'at')
if at and tonumber(at) > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', k, 'at', ARGV[2], 'listing', ARGV[3])
redis.call('EXPIRE', k, tonumber(ARGV[4]))
return 1
";

/// `ARGV`: the room, the oldest time wanted. Returns the room's listing (JSON) when it was
/// taken at or after that time, else nil.
const RECENT_LISTING: &str = r"
local f = redis.call('HMGET', KEYS[1] .. ':l:' .. ARGV[1], 'at', 'listing')
if f[1] and f[2] and tonumber(f[1]) >= tonumber(ARGV[2]) then return f[2] end
return nil
";

/// The scripts, hashed once.
pub(super) struct Scripts {
    pub(super) insert_ban: RedisScript,
    pub(super) get_ban: RedisScript,
    pub(super) unlifted_page: RedisScript,
    pub(super) update_ban: RedisScript,
    pub(super) schedule: RedisScript,
    pub(super) claim_due: RedisScript,
    pub(super) complete: RedisScript,
    pub(super) append_audit: RedisScript,
    pub(super) audit_page: RedisScript,
    pub(super) save_listing: RedisScript,
    pub(super) recent_listing: RedisScript,
}

impl Scripts {
    pub(super) fn new() -> Self {
        Self {
            insert_ban: RedisScript::new(INSERT_BAN),
            get_ban: RedisScript::new(GET_BAN),
            unlifted_page: RedisScript::new(UNLIFTED_PAGE),
            update_ban: RedisScript::new(UPDATE_BAN),
            schedule: RedisScript::new(SCHEDULE),
            claim_due: RedisScript::new(CLAIM_DUE),
            complete: RedisScript::new(COMPLETE),
            append_audit: RedisScript::new(APPEND_AUDIT),
            audit_page: RedisScript::new(AUDIT_PAGE),
            save_listing: RedisScript::new(SAVE_LISTING),
            recent_listing: RedisScript::new(RECENT_LISTING),
        }
    }
}
