//! Rooms: the users logged into them and the streams published in them, with the state
//! changes ZEGO documents for kick, delete stream and close room, and stable paging.

use std::collections::BTreeMap;

use serde::Serialize;

/// A user logged into a room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RoomMember {
    /// The user's nickname.
    pub user_name: String,
    /// 1 host, 2 audience, 4 administrator.
    pub role: u8,
    /// When the user logged in (Unix milliseconds, simulator clock).
    pub login_time_ms: i64,
}

/// A stream in a room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RoomStream {
    /// The publishing (or adding) user.
    pub user_id: String,
    /// That user's nickname.
    pub user_name: String,
    /// When the stream appeared in the room (Unix milliseconds, simulator clock).
    pub create_time_ms: i64,
    /// Its sequence number in the room (1, 2, ... in order of appearance).
    pub stream_number_id: u32,
}

/// One room: its users by ID and its streams by ID.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Room {
    /// The users logged in.
    pub users: BTreeMap<String, RoomMember>,
    /// The streams.
    pub streams: BTreeMap<String, RoomStream>,
    /// The number the next stream gets.
    #[serde(skip)]
    next_stream_number: u32,
}

/// The host role (who publishes).
pub(crate) const ROLE_HOST: u8 = 1;

/// The audience role (ZEGO's default for a user who only plays).
pub(crate) const ROLE_AUDIENCE: u8 = 2;

/// The administrator role (cloud recording, moderation); counted apart by `DescribeUserNum`.
pub(crate) const ROLE_ADMIN: u8 = 4;

impl Room {
    /// Logs `user` in (again: a second login keeps the first login time and updates the name).
    pub fn login(&mut self, user: &str, user_name: &str, role: u8, now_ms: i64) {
        let member = self
            .users
            .entry(user.to_owned())
            .or_insert_with(|| RoomMember {
                user_name: String::new(),
                role,
                login_time_ms: now_ms,
            });
        user_name.clone_into(&mut member.user_name);
        member.role = role;
    }

    /// Adds a stream; `false` when the ID is already in the room under another user.
    pub fn add_stream(&mut self, stream: &str, user: &str, user_name: &str, now_ms: i64) -> bool {
        if let Some(existing) = self.streams.get(stream) {
            return existing.user_id == user;
        }
        self.next_stream_number = self.next_stream_number.saturating_add(1);
        self.streams.insert(
            stream.to_owned(),
            RoomStream {
                user_id: user.to_owned(),
                user_name: user_name.to_owned(),
                create_time_ms: now_ms,
                stream_number_id: self.next_stream_number,
            },
        );
        true
    }

    /// Removes `user` and every stream they publish; returns those streams.
    pub fn remove_user(&mut self, user: &str) -> Vec<(String, RoomStream)> {
        if self.users.remove(user).is_none() {
            return Vec::new();
        }
        let (gone, kept) = std::mem::take(&mut self.streams)
            .into_iter()
            .partition(|(_, s)| s.user_id == user);
        self.streams = kept;
        gone.into_iter().collect()
    }

    /// The users ordered by login time (then user ID), oldest first.
    fn by_login(&self) -> Vec<(&String, &RoomMember)> {
        let mut users: Vec<_> = self.users.iter().collect();
        users.sort_by(|a, b| (a.1.login_time_ms, a.0).cmp(&(b.1.login_time_ms, b.0)));
        users
    }

    /// One page of users after `marker` (`None`: from the start), oldest or newest first,
    /// and the marker of the next page (empty after the last page).
    ///
    /// The marker is `<login ms>-<user ID>` of the page's last user, so a page boundary
    /// stays put when users join or leave between two calls.
    pub fn page(
        &self,
        newest_first: bool,
        limit: usize,
        marker: Option<(i64, &str)>,
    ) -> (Vec<(&String, &RoomMember)>, String) {
        let mut users = self.by_login();
        if newest_first {
            users.reverse();
        }
        let after = |(id, m): &(&String, &RoomMember)| match marker {
            None => true,
            Some(key) if newest_first => (m.login_time_ms, id.as_str()) < key,
            Some(key) => (m.login_time_ms, id.as_str()) > key,
        };
        let rest: Vec<_> = users.into_iter().filter(after).collect();
        let more = rest.len() > limit;
        let page: Vec<_> = rest.into_iter().take(limit).collect();
        let next = match page.last() {
            Some((id, m)) if more => format!("{}-{id}", m.login_time_ms),
            _ => String::new(),
        };
        (page, next)
    }
}

/// Parses a `DescribeUserList` marker (`<login ms>-<user ID>`).
pub(crate) fn parse_marker(marker: &str) -> Option<(i64, &str)> {
    let (ms, user) = marker.split_once('-')?;
    if ms.is_empty() || !ms.bytes().all(|b| b.is_ascii_digit()) || user.is_empty() {
        return None;
    }
    Some((ms.parse().ok()?, user))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(n: usize) -> Room {
        let mut room = Room::default();
        for i in 0..n {
            room.login(
                &format!("u{i:03}"),
                "",
                2,
                1000 + i64::try_from(i / 2).unwrap(),
            );
        }
        room
    }

    fn ids(page: &[(&String, &RoomMember)]) -> Vec<String> {
        page.iter().map(|(id, _)| (*id).clone()).collect()
    }

    #[test]
    fn pages_cover_every_user_once_in_login_order() {
        let room = room(7);
        let mut seen = Vec::new();
        let mut marker = String::new();
        loop {
            let (page, next) = room.page(false, 3, parse_marker(&marker));
            seen.extend(ids(&page));
            if next.is_empty() {
                break;
            }
            marker = next;
        }
        let all: Vec<String> = (0..7).map(|i| format!("u{i:03}")).collect();
        assert_eq!(seen, all);
        let (page, next) = room.page(true, 2, None);
        assert_eq!(ids(&page), ["u006", "u005"]);
        let (page, _) = room.page(true, 2, parse_marker(&next));
        assert_eq!(ids(&page), ["u004", "u003"]);
    }

    #[test]
    fn the_marker_is_stable_when_users_come_and_go() {
        let mut room = room(6);
        let (_, next) = room.page(false, 2, None);
        assert_eq!(next, "1000-u001");
        room.remove_user("u001");
        room.remove_user("u002");
        room.login("late", "", 2, 5000);
        let (page, _) = room.page(false, 10, parse_marker(&next));
        assert_eq!(ids(&page), ["u003", "u004", "u005", "late"]);
    }

    #[test]
    fn kicking_a_user_takes_their_streams() {
        let mut room = room(2);
        assert!(room.add_stream("s0", "u000", "", 1));
        assert!(room.add_stream("s1", "u001", "", 2));
        assert!(!room.add_stream("s1", "u000", "", 3));
        let gone: Vec<String> = room
            .remove_user("u000")
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(gone, ["s0"]);
        assert_eq!(room.streams.keys().collect::<Vec<_>>(), ["s1"]);
        assert_eq!(room.streams["s1"].stream_number_id, 2);
    }

    #[test]
    fn markers_parse_strictly() {
        assert_eq!(
            parse_marker("1635940599950-user2"),
            Some((1_635_940_599_950, "user2"))
        );
        assert_eq!(parse_marker("1-a-b"), Some((1, "a-b")));
        for bad in ["", "-", "x-u", "1-", "12", "+1-u"] {
            assert_eq!(parse_marker(bad), None, "{bad}");
        }
    }
}
