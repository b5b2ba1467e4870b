//! The payload of a privilege token: which room, whether the user may log in and publish,
//! and which streams it may publish.

use serde::{Deserialize, Serialize};

use crate::error::{Problem, ValidationError};
use crate::ops::checks;

/// What a privilege token allows in one room: logging in, publishing, and optionally only
/// some streams.
///
/// ```
/// use zego_proto::token::RoomPrivilege;
/// let privilege = RoomPrivilege::new("room-1")?.publish(true).streams(["s1", "s2"])?;
/// assert!(privilege.can_login() && privilege.can_publish());
/// assert_eq!(privilege.stream_ids().map(<[String]>::len), Some(2));
/// assert!(RoomPrivilege::new("").is_err());
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomPrivilege {
    room_id: String,
    login: bool,
    publish: bool,
    stream_ids: Option<Vec<String>>,
}

impl RoomPrivilege {
    /// A privilege for `room_id` (at most 128 bytes of the characters of spec §7) that
    /// allows logging in and denies publishing, until [`publish`](Self::publish) says
    /// otherwise.
    pub fn new(room_id: impl Into<String>) -> Result<Self, ValidationError> {
        let room_id = room_id.into();
        crate::ids::check_room_id_at("RoomId", None, &room_id)?;
        Ok(Self {
            room_id,
            login: true,
            publish: false,
            stream_ids: None,
        })
    }

    /// Allows (or denies) logging into the room (ZEGO's privilege `1`).
    #[must_use]
    pub fn login(mut self, allowed: bool) -> Self {
        self.login = allowed;
        self
    }

    /// Allows (or denies) publishing in the room (ZEGO's privilege `2`).
    #[must_use]
    pub fn publish(mut self, allowed: bool) -> Self {
        self.publish = allowed;
        self
    }

    /// Limits publishing to these streams (`stream_id_list`): at least one, each a valid
    /// stream ID.
    pub fn streams<I, S>(mut self, stream_ids: I) -> Result<Self, ValidationError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let ids = stream_ids
            .into_iter()
            .enumerate()
            .map(|(i, id)| checks::stream_id("StreamId", Some(i), id.into()))
            .collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            return Err(ValidationError::new("StreamId", Problem::Empty));
        }
        self.stream_ids = Some(ids);
        Ok(self)
    }

    /// The room.
    pub fn room_id(&self) -> &str {
        &self.room_id
    }

    /// Whether the user may log into the room.
    pub fn can_login(&self) -> bool {
        self.login
    }

    /// Whether the user may publish in the room.
    pub fn can_publish(&self) -> bool {
        self.publish
    }

    /// The only streams the user may publish, if the token limits them; `None`: any stream.
    /// ZEGO checks no stream when the list is absent, `null` or empty (the PHP generator
    /// writes `[]`), so all three read as `None`.
    pub fn stream_ids(&self) -> Option<&[String]> {
        self.stream_ids.as_deref()
    }

    /// The payload text ZEGO's generators write: `{"room_id":..,"privilege":{"1":..,"2":..},
    /// "stream_id_list":..}`.
    pub(crate) fn to_payload(&self) -> String {
        let wire = PayloadWire {
            room_id: self.room_id.clone(),
            privilege: PrivilegeWire {
                login: u8::from(self.login),
                publish: u8::from(self.publish),
            },
            stream_id_list: self.stream_ids.clone(),
        };
        // A struct of strings and integers always serializes.
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// Reads a payload back, as found in a token (not validated: a token made elsewhere may
    /// carry IDs this SDK would refuse). `None` if it is not a privilege payload.
    pub(crate) fn from_payload(payload: &str) -> Option<Self> {
        let wire: PayloadWire = serde_json::from_str(payload).ok()?;
        Some(Self {
            room_id: wire.room_id,
            login: wire.privilege.login != 0,
            publish: wire.privilege.publish != 0,
            // An empty list means "no stream check" to ZEGO, as an absent one does.
            stream_ids: wire.stream_id_list.filter(|ids| !ids.is_empty()),
        })
    }
}

/// The payload as ZEGO writes it; the field order is the generators'.
#[derive(Serialize, Deserialize)]
struct PayloadWire {
    room_id: String,
    privilege: PrivilegeWire,
    #[serde(default)]
    stream_id_list: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize)]
struct PrivilegeWire {
    #[serde(rename = "1", default)]
    login: u8,
    #[serde(rename = "2", default)]
    publish: u8,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_text_is_zegos() {
        let p = RoomPrivilege::new("r1").unwrap();
        assert_eq!(
            p.to_payload(),
            r#"{"room_id":"r1","privilege":{"1":1,"2":0},"stream_id_list":null}"#
        );
        let p = p.login(false).publish(true).streams(["a", "b"]).unwrap();
        assert_eq!(
            p.to_payload(),
            r#"{"room_id":"r1","privilege":{"1":0,"2":1},"stream_id_list":["a","b"]}"#
        );
        assert_eq!(RoomPrivilege::from_payload(&p.to_payload()), Some(p));
        assert_eq!(RoomPrivilege::from_payload(""), None);
        // The official PHP generator's empty list: no stream check, like null.
        let php = RoomPrivilege::from_payload(
            r#"{"room_id":"r1","privilege":{"1":1,"2":1},"stream_id_list":[]}"#,
        )
        .unwrap();
        assert_eq!(php.stream_ids(), None);
        assert_eq!(RoomPrivilege::from_payload("{\"x\":1}"), None);
    }

    #[test]
    fn bad_room_and_stream_ids_are_named() {
        assert_eq!(RoomPrivilege::new("").unwrap_err().field(), "RoomId");
        assert_eq!(RoomPrivilege::new("a b").unwrap_err().field(), "RoomId");
        let long = "r".repeat(129);
        assert_eq!(
            RoomPrivilege::new(long).unwrap_err().problem(),
            &Problem::TooLong {
                max_bytes: 128,
                actual: 129
            }
        );
        let room = RoomPrivilege::new("r").unwrap();
        let err = room.clone().streams(["ok", ""]).unwrap_err();
        assert_eq!((err.field(), err.index()), ("StreamId", Some(1)));
        let none: [&str; 0] = [];
        assert_eq!(room.streams(none).unwrap_err().problem(), &Problem::Empty);
    }
}
