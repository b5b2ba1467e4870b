//! The two Lua scripts, each one atomic round trip (EVALSHA through `redis::Script`, which
//! loads the script again after a NOSCRIPT, e.g. after a restart).
//!
//! Times are Redis `TIME` in integer microseconds. Lua numbers are doubles: a microsecond
//! epoch (~1.8e15) is exact below 2^53, but `tostring` keeps only 14 significant digits, so
//! values are stored with `string.format('%.0f')`. Numbers returned to Redis are truncated
//! to integers, which all of ours are.

use redis::Script;

/// Admission: a GCRA reservation on the group's key and, in the same script, the
/// `Sequence` for the streams: `max(now_ms, caller_floor, last + 1)` over every stream's
/// key. Slot order and Sequence order are therefore one order.
///
/// `KEYS[1]`: the group's key; with a per-room quota `KEYS[2]` is the room's key and
/// `KEYS[3]` the group's calendar; then the sequence keys (none if no sequence); last the
/// app's epoch key.
/// `ARGV`: interval µs (0: unmetered), max wait µs (-1: none), has booking (0/1),
/// needs a sequence (0/1), caller's floor (ms), sequence TTL (ms), the earliest wait the
/// caller may take (µs: an instance settling after an outage books its slot no earlier than
/// its local share allows, so Redis accounts for the time it really sends at), the room's
/// spacing µs (0: no per-room quota), the epoch the caller knows (0: none yet), the
/// caller's guard µs for a lost bucket.
///
/// The group's epoch key detects a lost bucket: it is set (to Redis `TIME` in µs, without
/// expiry) when missing, and every caller passes the epoch it saw last. If the key is gone
/// (FLUSHALL, a restart without persistence, a failover to a replica that missed writes)
/// or holds another value, the slots and sequences booked before are lost: the script then
/// pushes the group's next slot to now + the caller's guard (what it knew of the fleet's
/// queue, plus a quiet second: those slots still leave), books nothing, and answers status
/// 3 with the new epoch; the caller settles on its local share and asks again. The push is
/// in the same script as the detection, so no booking can come between them.
///
/// A group with a per-room quota books exact send times on its calendar (a sorted set),
/// any two at least the interval apart, as `TokenBucketLimiter` does in the core: a room
/// that must wait then holds up no other room, and no second gets more than the quota.
/// Its group key only holds the pause of a rate-limit answer (`PUSH_BACK`).
///
/// Returns `{status, wait_us, sequence, depth_us, epoch}`: status 0 go, 1 wait (slot
/// booked), 2 refused, 3 the bucket was lost (nothing booked); `depth_us` is how far ahead the group's queue reaches (its next free slot
/// minus now), which an instance needs when Redis goes away (its fallback starts after the
/// fleet's queue has drained).
const ADMIT: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local room_spacing = tonumber(ARGV[8]) or 0
local first_seq = 2
if room_spacing > 0 then first_seq = 4 end
local last_seq = #KEYS - 1
local epoch_key = KEYS[#KEYS]
local epoch = tonumber(redis.call('GET', epoch_key))
if not epoch then
  epoch = now
  redis.call('SET', epoch_key, string.format('%.0f', epoch))
end
if ARGV[9] ~= '0' and tonumber(ARGV[9]) ~= epoch then
  local guard = tonumber(ARGV[10]) or 0
  local floor = tonumber(redis.call('GET', KEYS[1])) or 0
  if now + guard > floor then
    redis.call('SET', KEYS[1], string.format('%.0f', now + guard),
      'PX', math.floor(guard / 1000) + 1000)
  end
  return {3, 0, 0, 0, epoch}
end
local depth = 0
if interval > 0 and room_spacing > 0 then
  local floor = tonumber(redis.call('GET', KEYS[1])) or 0
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. string.format('%.0f', now - interval))
  local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
  if #last == 2 then depth = math.max(tonumber(last[2]) + interval - now, 0) end
  if ARGV[3] == '0' then
    local t = math.max(now + (tonumber(ARGV[7]) or 0), floor,
      tonumber(redis.call('GET', KEYS[2])) or 0)
    while true do
      local clash = redis.call('ZRANGEBYSCORE', KEYS[3],
        '(' .. string.format('%.0f', t - interval), '(' .. string.format('%.0f', t + interval),
        'WITHSCORES')
      if #clash == 0 then break end
      t = tonumber(clash[#clash]) + interval
    end
    local wait = t - now
    local max_wait = tonumber(ARGV[2])
    if max_wait >= 0 and wait > max_wait then
      return {2, wait, 0, depth, epoch}
    end
    local text = string.format('%.0f', t)
    redis.call('ZADD', KEYS[3], text, text)
    local horizon = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
    depth = math.max(tonumber(horizon[2]) + interval - now, 0)
    redis.call('PEXPIRE', KEYS[3], math.floor(depth / 1000) + 1000)
    local room_free = t + room_spacing
    redis.call('SET', KEYS[2], string.format('%.0f', room_free),
      'PX', math.floor((room_free - now) / 1000) + 1000)
    if wait > 0 then
      return {1, wait, 0, depth, epoch}
    end
  end
elseif interval > 0 then
  local tat = tonumber(redis.call('GET', KEYS[1])) or 0
  depth = math.max(tat - now, 0)
  if ARGV[3] == '0' then
    local start = math.max(tat, now + (tonumber(ARGV[7]) or 0))
    local wait = start - now
    local max_wait = tonumber(ARGV[2])
    if max_wait >= 0 and wait > max_wait then
      return {2, wait, 0, depth, epoch}
    end
    local next_free = start + interval
    depth = next_free - now
    redis.call('SET', KEYS[1], string.format('%.0f', next_free),
      'PX', math.floor((next_free - now) / 1000) + 1000)
    if wait > 0 then
      return {1, wait, 0, depth, epoch}
    end
  end
end
local seq = 0
if ARGV[4] == '1' then
  seq = math.max(math.floor(now / 1000), tonumber(ARGV[5]))
  for i = first_seq, last_seq do
    local last = tonumber(redis.call('GET', KEYS[i])) or 0
    if last >= seq then seq = last + 1 end
  end
  local text = string.format('%.0f', seq)
  for i = first_seq, last_seq do
    redis.call('SET', KEYS[i], text, 'PX', tonumber(ARGV[6]))
  end
end
return {0, 0, seq, depth, epoch}
";

/// Feedback: after a rate-limit answer, no slot of the group starts before now + penalty.
///
/// `KEYS[1]`: the group's key; `ARGV[1]`: the penalty in µs.
const PUSH_BACK: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local penalty = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1])) or 0
if now + penalty > tat then
  redis.call('SET', KEYS[1], string.format('%.0f', now + penalty),
    'PX', math.floor(penalty / 1000) + 1000)
end
return 0
";

/// The scripts, hashed once.
#[derive(Debug)]
pub(crate) struct Scripts {
    pub(crate) admit: Script,
    pub(crate) push_back: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        Self {
            admit: Script::new(ADMIT),
            push_back: Script::new(PUSH_BACK),
        }
    }
}

/// The admission script's reply: status, wait, sequence, queue depth, epoch.
pub(crate) type Reply = (i64, i64, i64, i64, i64);

/// The admission script's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    Go {
        sequence: Option<u64>,
    },
    Wait {
        wait_us: u64,
    },
    Refused {
        wait_us: u64,
    },
    /// The bucket was lost since the caller's epoch: nothing was booked.
    Lost,
}

impl Answer {
    pub(crate) fn from_reply(reply: Reply, wanted_sequence: bool) -> Option<Self> {
        let (status, wait, sequence, _, _) = reply;
        let wait_us = u64::try_from(wait).ok()?;
        match status {
            0 => Some(Self::Go {
                sequence: if wanted_sequence {
                    Some(u64::try_from(sequence).ok().filter(|s| *s > 0)?)
                } else {
                    None
                },
            }),
            1 => Some(Self::Wait { wait_us }),
            2 => Some(Self::Refused { wait_us }),
            3 => Some(Self::Lost),
            _ => None,
        }
    }
}

/// The arguments of one admission script call.
#[derive(Debug, Clone)]
pub(crate) struct Invocation {
    pub(crate) keys: Vec<String>,
    pub(crate) interval_us: u64,
    pub(crate) max_wait_us: i64,
    pub(crate) booked: bool,
    pub(crate) wants_sequence: bool,
    pub(crate) floor_ms: u64,
    pub(crate) sequence_ttl_ms: u64,
    pub(crate) min_wait_us: u64,
    /// The room's spacing under a per-room quota (0: none); the room's key is `keys[1]`.
    pub(crate) room_spacing_us: u64,
    /// The epoch this instance saw last (0: none yet); the epoch key is the last key.
    pub(crate) epoch: i64,
    /// How far to push the group's next slot if the bucket was lost (µs).
    pub(crate) lost_guard_us: u64,
}

impl Scripts {
    /// The admission script call for `call`.
    pub(crate) fn admit_call(&self, call: &Invocation) -> redis::ScriptInvocation<'_> {
        let mut invocation = self.admit.prepare_invoke();
        for key in &call.keys {
            invocation.key(key);
        }
        invocation
            .arg(call.interval_us)
            .arg(call.max_wait_us)
            .arg(u8::from(call.booked))
            .arg(u8::from(call.wants_sequence))
            .arg(call.floor_ms)
            .arg(call.sequence_ttl_ms)
            .arg(call.min_wait_us)
            .arg(call.room_spacing_us)
            .arg(call.epoch)
            .arg(call.lost_guard_us);
        invocation
    }
}
