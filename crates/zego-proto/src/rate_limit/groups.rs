//! The one table of quota groups: each group's name, ZEGO's documented quota in
//! production and in the test environment, and its per-room interval. `RateLimitGroup`,
//! `Quotas::default()` and the fleet's per-instance share (`Quotas::fleet_share`) all
//! derive from it.

use std::time::Duration;

use crate::config::Environment;

/// Defines `RateLimitGroup` and the default `Quotas` from the table's rows.
macro_rules! quota_groups {
    ($(
        $(#[$doc:meta])*
        $group:ident = $name:literal, production $production:literal, test $test:literal,
            room_ms $room_ms:literal;
    )*) => {
        /// The client-side rate-limit bucket an action draws from.
        ///
        /// ZEGO's quotas are per AppId across all rooms. Where the documentation does not say
        /// whether actions share a quota, they share one here: being conservative only ever
        /// costs throughput, never a rate-limit answer.
        ///
        /// ```
        /// use zego_proto::ops::RateLimitGroup;
        /// assert_eq!(RateLimitGroup::StreamForbid.as_str(), "stream_forbid");
        /// assert_eq!(RateLimitGroup::from_name("room_kick"), Some(RateLimitGroup::RoomKick));
        /// assert!(RateLimitGroup::ALL.contains(&RateLimitGroup::Cdn));
        /// ```
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum RateLimitGroup {
            $($(#[$doc])* $group,)*
        }

        impl RateLimitGroup {
            /// Every group, in the table's order.
            pub const ALL: &'static [RateLimitGroup] = &[$(RateLimitGroup::$group,)*];

            /// A short stable name, for logs and configuration (`stream_forbid`, ...).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$group => $name,)*
                }
            }

            /// The group named `name` (as [`RateLimitGroup::as_str`] spells it).
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(Self::$group),)*
                    _ => None,
                }
            }
        }

        /// ZEGO's documented quotas (production, test) and per-room intervals (ms), by
        /// group index.
        const DEFAULTS: [(u32, u32, u32); RateLimitGroup::ALL.len()] =
            [$(($production, $test, $room_ms),)*];
    };
}

quota_groups! {
    /// The four RTC forbid/resume actions: 20/s (test environment 5/s).
    StreamForbid = "stream_forbid", production 20, test 5, room_ms 0;
    /// Stream ban rules and user ban rules: 10/s.
    Rules = "rules", production 10, test 10, room_ms 0;
    /// CDN forbid, resume and query: 20/s.
    Cdn = "cdn", production 20, test 20, room_ms 0;
    /// `DescribeRTCStreamState`: 40/s (test environment 10/s).
    StreamState = "stream_state", production 40, test 10, room_ms 0;
    /// `KickoutUser`: 50/s.
    RoomKick = "room_kick", production 50, test 50, room_ms 0;
    /// `CloseRoom`: 1/s.
    RoomClose = "room_close", production 1, test 1, room_ms 0;
    /// `AddStream` and `DeleteStream` (documented alike, so shared): 10/s (test 1/s).
    RoomStreams = "room_streams", production 10, test 1, room_ms 0;
    /// `DescribeSimpleStreamList`: 50/s per AppId (plus 1 per 10 s per room).
    RoomStreamList = "room_stream_list", production 50, test 50, room_ms 10_000;
    /// `DescribeUserList`: 200/s per AppId (plus 1/s per room).
    RoomUserList = "room_user_list", production 200, test 200, room_ms 1_000;
    /// `DescribeUsers`: 10/s.
    RoomUsers = "room_users", production 10, test 10, room_ms 0;
    /// `DescribeUserNum`: 10/s (test 1/s).
    RoomUserCount = "room_user_count", production 10, test 1, room_ms 0;
    /// Actions outside this family (raw operations by default): no client-side limit.
    Unmetered = "unmetered", production 0, test 0, room_ms 0;
}

/// The share of a per-room interval added as a margin: two requests for a room leave at
/// least 1.1 × ZEGO's interval apart, so network jitter (a first request delayed more
/// than the second) never brings them under ZEGO's interval on arrival.
const ROOM_MARGIN_DIVISOR: u32 = 10;

/// The number of groups.
const GROUPS: usize = RateLimitGroup::ALL.len();

/// Requests per second for each group and environment (`0`: unmetered), and each group's
/// per-room interval; the default is ZEGO's documented quotas. Indexed by group:
///
/// ```
/// use zego_proto::{admission::Quotas, ops::RateLimitGroup, Environment};
/// let mut quotas = Quotas::default();
/// assert_eq!(quotas.per_second(RateLimitGroup::StreamForbid, Environment::Production), Some(20));
/// assert_eq!(quotas.per_second(RateLimitGroup::StreamForbid, Environment::Test), Some(5));
/// // ZEGO raised this app's quota.
/// quotas.set(RateLimitGroup::StreamForbid, Environment::Production, 500);
/// assert_eq!(quotas.per_second(RateLimitGroup::StreamForbid, Environment::Production), Some(500));
/// // Four instances share it.
/// let share = quotas.fleet_share(4);
/// assert_eq!(share.per_second(RateLimitGroup::StreamForbid, Environment::Production), Some(125));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    production: [u32; GROUPS],
    test: [u32; GROUPS],
    /// The per-room interval in ms (0: none).
    room_ms: [u32; GROUPS],
}

impl Default for Quotas {
    /// ZEGO's documented quotas.
    fn default() -> Self {
        let mut quotas = Self {
            production: [0; GROUPS],
            test: [0; GROUPS],
            room_ms: [0; GROUPS],
        };
        for (i, (production, test, room_ms)) in DEFAULTS.into_iter().enumerate() {
            quotas.production[i] = production;
            quotas.test[i] = test;
            quotas.room_ms[i] = room_ms;
        }
        quotas
    }
}

impl Quotas {
    /// The quota for a group in an environment, `None` if unmetered.
    pub fn per_second(&self, group: RateLimitGroup, environment: Environment) -> Option<u32> {
        let quota = self.column(environment)[group as usize];
        (quota > 0).then_some(quota)
    }

    /// Sets the quota of a group in an environment (`0`: unmetered), for an app whose quota
    /// ZEGO raised.
    pub fn set(&mut self, group: RateLimitGroup, environment: Environment, per_second: u32) {
        let column = match environment {
            Environment::Production => &mut self.production,
            Environment::Test => &mut self.test,
        };
        column[group as usize] = per_second;
    }

    /// [`Quotas::set`], by value.
    #[must_use]
    pub fn with(
        mut self,
        group: RateLimitGroup,
        environment: Environment,
        per_second: u32,
    ) -> Self {
        self.set(group, environment, per_second);
        self
    }

    /// ZEGO's per-room interval of a group (`None`: no per-room quota, or set to 0).
    pub fn room_interval(&self, group: RateLimitGroup) -> Option<Duration> {
        let ms = self.room_ms[group as usize];
        (ms > 0).then(|| Duration::from_millis(u64::from(ms)))
    }

    /// The spacing the SDK keeps between two requests for one room: the per-room interval
    /// plus a tenth (the one place the margin is decided, for every coordinator).
    pub fn room_spacing(&self, group: RateLimitGroup) -> Option<Duration> {
        self.room_interval(group)
            .map(|interval| interval + interval / ROOM_MARGIN_DIVISOR)
    }

    /// The quotas one of `fleet_size` instances keeps to on its own (while the fleet's
    /// shared store is unreachable): each quota divided by the fleet size, rounded down
    /// but never below 1/s (an unmetered group stays unmetered), and each per-room
    /// interval multiplied by the fleet size (a room's interval is the fleet's).
    #[must_use]
    pub fn fleet_share(&self, fleet_size: u32) -> Self {
        let fleet_size = fleet_size.max(1);
        let share = |q: u32| if q == 0 { 0 } else { (q / fleet_size).max(1) };
        Self {
            production: self.production.map(share),
            test: self.test.map(share),
            room_ms: self.room_ms.map(|ms| ms.saturating_mul(fleet_size)),
        }
    }

    fn column(&self, environment: Environment) -> &[u32; GROUPS] {
        if environment.is_test() {
            &self.test
        } else {
            &self.production
        }
    }
}

/// One quota as configuration writes it: `GROUP=N/s` (or `GROUP=N`), for an app whose
/// quota ZEGO raised. The group is named as [`RateLimitGroup::as_str`] spells it.
///
/// ```
/// use zego_proto::admission::QuotaSetting;
/// use zego_proto::ops::RateLimitGroup;
/// let raised: QuotaSetting = "stream_forbid=500/s".parse()?;
/// assert_eq!((raised.group, raised.per_second), (RateLimitGroup::StreamForbid, 500));
/// let err = "stream_forbid=0/s".parse::<QuotaSetting>().unwrap_err();
/// assert!(err.to_string().contains("stream_forbid"));
/// assert!("streams=5".parse::<QuotaSetting>().unwrap_err().to_string().contains("room_kick"));
/// # Ok::<(), zego_proto::admission::QuotaSettingError>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaSetting {
    /// The group.
    pub group: RateLimitGroup,
    /// Its quota, requests per second (at least 1).
    pub per_second: u32,
}

/// Why a [`QuotaSetting`] was refused; the message names the group and the rule.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuotaSettingError {
    /// Not `GROUP=N/s`.
    #[error("quota {0:?} is not GROUP=N/s (for example stream_forbid=500/s)")]
    Malformed(String),
    /// No group has this name.
    #[error("unknown quota group {name:?}; the groups are: {}", group_names())]
    UnknownGroup {
        /// The name given.
        name: String,
    },
    /// A quota of zero (to stop pacing, turn rate limiting off instead).
    #[error("quota of group {group} must be at least 1/s, not 0")]
    Zero {
        /// The group's name.
        group: &'static str,
    },
    /// The unmetered group has no quota to raise.
    #[error("group unmetered has no quota to set")]
    Unmetered,
}

/// The configurable groups' names, for messages.
fn group_names() -> String {
    RateLimitGroup::ALL
        .iter()
        .filter(|g| **g != RateLimitGroup::Unmetered)
        .map(|g| g.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl QuotaSetting {
    /// A group's quota from its name and a number (a profile's `[quotas]` table).
    pub fn new(group: &str, per_second: u32) -> Result<Self, QuotaSettingError> {
        let group =
            RateLimitGroup::from_name(group).ok_or_else(|| QuotaSettingError::UnknownGroup {
                name: group.to_owned(),
            })?;
        if group == RateLimitGroup::Unmetered {
            return Err(QuotaSettingError::Unmetered);
        }
        if per_second == 0 {
            return Err(QuotaSettingError::Zero {
                group: group.as_str(),
            });
        }
        Ok(Self { group, per_second })
    }
}

impl std::str::FromStr for QuotaSetting {
    type Err = QuotaSettingError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let malformed = || QuotaSettingError::Malformed(text.to_owned());
        let (group, rate) = text.split_once('=').ok_or_else(malformed)?;
        let number = rate.trim().strip_suffix("/s").unwrap_or(rate.trim());
        let per_second = number.trim().parse::<u32>().map_err(|_| malformed())?;
        Self::new(group.trim(), per_second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for group in RateLimitGroup::ALL {
            assert_eq!(RateLimitGroup::from_name(group.as_str()), Some(*group));
        }
        assert_eq!(RateLimitGroup::from_name("Stream_Forbid"), None);
    }

    #[test]
    fn the_fleet_share_divides_quotas_and_multiplies_room_intervals() {
        let share = Quotas::default().fleet_share(3);
        let prod = Environment::Production;
        assert_eq!(
            share.per_second(RateLimitGroup::StreamForbid, prod),
            Some(6)
        );
        assert_eq!(
            share.per_second(RateLimitGroup::StreamForbid, Environment::Test),
            Some(1)
        );
        assert_eq!(share.per_second(RateLimitGroup::RoomClose, prod), Some(1));
        assert_eq!(share.per_second(RateLimitGroup::Unmetered, prod), None);
        assert_eq!(
            share.room_interval(RateLimitGroup::RoomStreamList),
            Some(Duration::from_secs(30))
        );
        assert_eq!(share.room_interval(RateLimitGroup::Rules), None);
        assert_eq!(Quotas::default().fleet_share(1), Quotas::default());
    }

    #[test]
    fn quota_settings_name_what_is_wrong() {
        let ok: QuotaSetting = "room_kick = 120".parse().unwrap();
        assert_eq!((ok.group, ok.per_second), (RateLimitGroup::RoomKick, 120));
        for (text, expected) in [
            (
                "stream_forbid",
                QuotaSettingError::Malformed("stream_forbid".into()),
            ),
            (
                "stream_forbid=-1/s",
                QuotaSettingError::Malformed("stream_forbid=-1/s".into()),
            ),
            (
                "nope=5/s",
                QuotaSettingError::UnknownGroup {
                    name: "nope".into(),
                },
            ),
            ("cdn=0/s", QuotaSettingError::Zero { group: "cdn" }),
            ("unmetered=5/s", QuotaSettingError::Unmetered),
        ] {
            assert_eq!(text.parse::<QuotaSetting>(), Err(expected), "{text}");
        }
    }
}
