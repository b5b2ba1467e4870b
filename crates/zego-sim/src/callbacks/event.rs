//! The callbacks the simulator sends and their JSON bodies (spec §6: every value a string,
//! the URL lists arrays of strings).

use serde_json::{json, Value};

/// What a stream callback says about the stream.
#[derive(Debug, Clone)]
pub(crate) struct StreamInfo {
    pub app_id: u32,
    pub room_id: String,
    pub user_id: String,
    pub user_name: String,
    pub stream_id: String,
    /// The stream's number in its room (`stream_seq`).
    pub stream_seq: u32,
    pub create_time_ms: i64,
}

/// One callback to deliver.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// The stream went live.
    StreamCreate(StreamInfo),
    /// The stream stopped, with ZEGO's `type` and when (Unix ms).
    StreamClose {
        stream: StreamInfo,
        close_type: u32,
        destroy_time_ms: i64,
    },
}

/// Where the simulated streams are "served" from: a reserved name that never resolves.
const MEDIA_HOST: &str = "play.sim.zego.invalid";

impl Event {
    /// ZEGO's `event` name.
    pub fn name(&self) -> &'static str {
        match self {
            Event::StreamCreate(_) => "stream_create",
            Event::StreamClose { .. } => "stream_close",
        }
    }

    /// The stream it is about.
    pub fn stream(&self) -> &StreamInfo {
        match self {
            Event::StreamCreate(s) | Event::StreamClose { stream: s, .. } => s,
        }
    }

    /// The JSON body, signed with `signature` over (`timestamp`, `nonce`).
    ///
    /// The simulator does not model room sessions or stream SIDs beyond a stable value per
    /// stream: `room_session_id` is `"0"`, `stream_sid` is derived from the stream's number
    /// and creation time.
    pub fn body(&self, timestamp: i64, nonce: &str, signature: &str) -> String {
        let s = self.stream();
        let mut body = json!({
            "event": self.name(),
            "appid": s.app_id.to_string(),
            "timestamp": timestamp.to_string(),
            "nonce": nonce,
            "signature": signature,
            "room_id": s.room_id,
            "room_session_id": "0",
            "user_id": s.user_id,
            "user_name": s.user_name,
            "channel_id": "0",
            "stream_id": s.stream_id,
            "stream_sid": format!("sim-{}-{}", s.create_time_ms, s.stream_seq),
            "stream_alias": s.stream_id,
            "stream_seq": s.stream_seq.to_string(),
            "create_time_ms": s.create_time_ms.to_string(),
        });
        let extra = match self {
            Event::StreamCreate(_) => json!({
                "title": "",
                "stream_attr": "{\"cid\":0}",
                "create_time": s.create_time_ms.div_euclid(1000).to_string(),
                "extra_info": "",
                "recreate": "0",
                "publish_id": s.user_id,
                "publish_name": s.user_name,
                "rtmp_url": [format!("rtmp://{MEDIA_HOST}/live/{}", s.stream_id)],
                "hls_url": [format!("http://{MEDIA_HOST}/live/{}/playlist.m3u8", s.stream_id)],
                "hdl_url": [format!("http://{MEDIA_HOST}/live/{}.flv", s.stream_id)],
                "pic_url": [],
            }),
            Event::StreamClose {
                close_type,
                destroy_time_ms,
                ..
            } => json!({
                "type": close_type.to_string(),
                "third_define_data": "",
                "destroy_timemillis": destroy_time_ms.to_string(),
            }),
        };
        if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
            body.extend(extra);
        }
        body.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream() -> StreamInfo {
        StreamInfo {
            app_id: 7,
            room_id: "r".into(),
            user_id: "u".into(),
            user_name: "U".into(),
            stream_id: "s\"1".into(),
            stream_seq: 2,
            create_time_ms: 1_700_000_000_123,
        }
    }

    #[test]
    fn every_scalar_is_a_string_and_the_url_lists_are_arrays() {
        let create: Value =
            serde_json::from_str(&Event::StreamCreate(stream()).body(1, "n", "sig")).unwrap();
        for (key, value) in create.as_object().unwrap() {
            assert!(
                value.is_string() || key.ends_with("_url") && value.is_array(),
                "{key}: {value}"
            );
        }
        assert_eq!(create["stream_id"], "s\"1");
        assert_eq!(create["create_time"], "1700000000");
        let close: Value = serde_json::from_str(
            &Event::StreamClose {
                stream: stream(),
                close_type: 100,
                destroy_time_ms: 5,
            }
            .body(1, "n", "sig"),
        )
        .unwrap();
        assert_eq!(close["type"], "100");
        assert_eq!(close["destroy_timemillis"], "5");
        assert_eq!(close["event"], "stream_close");
        assert!(close.get("rtmp_url").is_none());
    }
}
