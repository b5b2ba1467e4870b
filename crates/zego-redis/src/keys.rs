//! The key layout: every key of one app carries the AppId as its hash tag, so one app's keys
//! share a Redis Cluster slot and one script can touch them all.
//!
//! ```text
//! <prefix>:<env>:{<AppId>}:rl:<group>        the group's GCRA state (next free slot, µs)
//! <prefix>:<env>:{<AppId>}:room:<group>:<RoomId>  a room's next free slot (per-room quotas)
//! <prefix>:<env>:{<AppId>}:cal:<group>       the send times booked in such a group (sorted set)
//! <prefix>:<env>:{<AppId>}:seq:<StreamId>    the stream's last Sequence
//! <prefix>:<env>:{<AppId>}:seq               the app-wide last Sequence (raw operations)
//! <prefix>:<env>:{<AppId>}:epoch:<group>     when the group's bucket was created (no expiry)
//! ```

use zego_proto::admission::RateLimitKey;

fn app_prefix(prefix: &str, key: RateLimitKey) -> String {
    let env = if key.environment.is_test() {
        "test"
    } else {
        "prod"
    };
    format!("{prefix}:{env}:{{{}}}", key.app_id)
}

/// The key of a rate-limit group's GCRA state.
pub(crate) fn rate_limit(prefix: &str, key: RateLimitKey) -> String {
    format!("{}:rl:{}", app_prefix(prefix, key), key.group.as_str())
}

/// The key of a room's next free slot under a group's per-room quota.
pub(crate) fn room(prefix: &str, key: RateLimitKey, room: &str) -> String {
    format!(
        "{}:room:{}:{room}",
        app_prefix(prefix, key),
        key.group.as_str()
    )
}

/// The key of the calendar of a group with a per-room quota.
pub(crate) fn calendar(prefix: &str, key: RateLimitKey) -> String {
    format!("{}:cal:{}", app_prefix(prefix, key), key.group.as_str())
}

/// The key of a group's epoch: a bucket lost since an instance last saw it shows as a
/// missing or different epoch.
pub(crate) fn epoch(prefix: &str, key: RateLimitKey) -> String {
    format!("{}:epoch:{}", app_prefix(prefix, key), key.group.as_str())
}

/// The keys holding the last `Sequence` of each stream (or of the whole app, for an
/// operation that names no stream).
pub(crate) fn sequences(prefix: &str, key: RateLimitKey, streams: &[String]) -> Vec<String> {
    let base = format!("{}:seq", app_prefix(prefix, key));
    if streams.is_empty() {
        return vec![base];
    }
    streams.iter().map(|s| format!("{base}:{s}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zego_proto::{ops::RateLimitGroup, AppId, Environment};

    #[test]
    fn keys_are_hash_tagged_by_app() {
        let key = RateLimitKey {
            app_id: AppId::new(42),
            environment: Environment::Production,
            group: RateLimitGroup::StreamForbid,
        };
        assert_eq!(rate_limit("zego", key), "zego:prod:{42}:rl:stream_forbid");
        assert_eq!(
            sequences("zego", key, &["s1".into(), "s 2".into()]),
            ["zego:prod:{42}:seq:s1", "zego:prod:{42}:seq:s 2"]
        );
        let test = RateLimitKey {
            environment: Environment::Test,
            ..key
        };
        assert_eq!(sequences("x", test, &[]), ["x:test:{42}:seq"]);
        assert_eq!(epoch("zego", key), "zego:prod:{42}:epoch:stream_forbid");
        let list = RateLimitKey {
            group: RateLimitGroup::RoomUserList,
            ..key
        };
        assert_eq!(
            room("zego", list, "r1"),
            "zego:prod:{42}:room:room_user_list:r1"
        );
    }
}
