//! Operations built from arbitrary input: when the constructor accepts, `prepare` never
//! panics, and `decode_query(url)` gives back exactly the parameters that were meant, in
//! order, with the right signature (and the redacted URL hides only the signature).
//!
//! The expected parameters are written out here from the spec, independently of the
//! operations' `write_params`. `OpInput::Catalogued` also sends the catalog's example of
//! any action (`ops::testing::examples()`), so an action added to the catalog is fuzzed
//! (its action name, common parameters and signature checked) before it has a variant here.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zego_proto::ops::{testing, CATALOG};
use zego_proto::ops::{
    AddStream, CloseRoom, DeleteStream, DescribeSimpleStreamList, DescribeUserList,
    DescribeUserNum, DescribeUsers, KickoutUser, UserOrder,
};
use zego_proto::ops::{
    CdnVendor, DelForbidStreamRule, DelForbidUserRule, DescribeForbidStreamRules,
    DescribeForbidUserRules, DescribeRtcStreamState, DisabledPrivilege, EffectiveTime,
    ForbidCdnLiveStream, ForbidRtcStream, ForbidRtcStreams, MediaBan, QueryForbidCdnLiveStream,
    RawOperation, ResumeCdnLiveStream, ResumeRtcStream, ResumeRtcStreams, SetForbidStreamRule,
    SetForbidUserRule, UserRuleTarget, UserRuleType,
};
use zego_proto::wire::{
    decode_query, prepare_stamped, prepare_with_nonce, sign, test_stream_prefix, Nonce,
    MAX_STREAM_ID_BYTES,
};
use zego_proto::{Config, Credentials, Endpoint, Environment, Operation, Region, Sequence};

#[derive(Debug, Arbitrary)]
enum EndpointInput {
    Unified,
    Region(u8),
    Custom(String),
}

#[derive(Debug, Arbitrary)]
enum OpInput {
    ForbidRtcStreams(Vec<String>, u64),
    ResumeRtcStreams(Vec<String>, u64),
    ForbidRtcStream(String, u64),
    ResumeRtcStream(String, u64),
    SetForbidStreamRule {
        room: String,
        stream: String,
        audio: bool,
        video: bool,
        secs: u64,
    },
    DescribeForbidStreamRules(String, Vec<String>),
    DelForbidStreamRule(String, String),
    ForbidCdnLiveStream(String, Option<String>),
    ResumeCdnLiveStream(String),
    QueryForbidCdnLiveStream,
    DescribeRtcStreamState(String, u64),
    SetForbidUserRule {
        target: TargetInput,
        /// `true` is Login, `false` Publish.
        privileges: Vec<bool>,
        secs: u64,
    },
    DescribeForbidUserRules(u8),
    DelForbidUserRule(TargetInput),
    KickoutUser(String, Vec<String>, Option<String>),
    CloseRoom(String, Option<String>, Option<bool>),
    DeleteStream(RoomStreamInput),
    AddStream {
        target: RoomStreamInput,
        title: Option<String>,
        extra_info: Option<String>,
        censor: Option<bool>,
    },
    DescribeSimpleStreamList(String),
    DescribeUserList {
        room: String,
        newest_first: Option<bool>,
        limit: Option<u32>,
        marker: String,
    },
    DescribeUsers(String, Vec<String>),
    DescribeUserNum(Vec<String>),
    /// The catalog's example of action `index % CATALOG.len()`, stamped with this
    /// `Sequence` if the action is sequenced.
    Catalogued(u8, u64),
    Raw {
        action: String,
        params: Vec<(String, String)>,
        sequence: Option<u64>,
    },
}

#[derive(Debug, Arbitrary)]
struct RoomStreamInput {
    room: String,
    user: String,
    user_name: String,
    stream: String,
}

impl RoomStreamInput {
    /// `RoomId`, `UserId`, `UserName`, `StreamId`, in the documented order.
    fn params(&self, case: &Case<'_>) -> Params {
        vec![
            kv("RoomId", &self.room),
            kv("UserId", &self.user),
            kv("UserName", &self.user_name),
            kv("StreamId", case.stream(&self.stream)),
        ]
    }
}

/// `text` percent-encoded once, as ZEGO asks for reasons and titles: every byte but the
/// unreserved ones as `%XX` (an independent reading of the spec).
fn encoded_once(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[derive(Debug, Arbitrary)]
struct TargetInput {
    rule_type: i8,
    ip: Option<String>,
    room: Option<String>,
    user: Option<String>,
}

impl TargetInput {
    fn build(self) -> Option<UserRuleTarget> {
        UserRuleTarget::from_fields(self.rule_type.into(), self.ip, self.room, self.user).ok()
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    op: OpInput,
    endpoint: EndpointInput,
    test_environment: bool,
    app_id: u32,
    secret: String,
    timestamp: u64,
    nonce: [u8; 8],
}

type Params = Vec<(String, String)>;

fn kv(key: &str, value: impl ToString) -> (String, String) {
    (key.to_owned(), value.to_string())
}

/// What `prepare` must produce for `op`, given its expected business parameters.
struct Case<'a> {
    config: &'a Config,
    credentials: &'a Credentials,
    timestamp: u64,
    nonce: Nonce,
    prefix: Option<String>,
}

impl Case<'_> {
    /// A stream ID as sent: with the test prefix unless it already has it.
    fn stream(&self, id: &str) -> String {
        match &self.prefix {
            Some(p) if !id.starts_with(p.as_str()) => format!("{p}{id}"),
            _ => id.to_owned(),
        }
    }

    /// Checks one operation. `streams` are the stream IDs it sends (for the length check).
    fn check<O: Operation>(&self, op: &O, streams: &[&str], business: Params) {
        let result = prepare_with_nonce(
            op,
            self.config,
            self.credentials,
            self.timestamp,
            self.nonce,
        );
        let too_long = streams
            .iter()
            .any(|id| self.stream(id).len() > MAX_STREAM_ID_BYTES);
        let request = match result {
            Ok(request) => {
                assert!(
                    !too_long,
                    "a stream ID over 256 bytes on the wire was accepted"
                );
                request
            }
            Err(err) => {
                assert!(too_long, "prepare refused a valid operation: {err}");
                return;
            }
        };

        let app_id = self.credentials.app_id();
        let signature = sign(
            app_id,
            &self.nonce,
            self.credentials.secret(),
            self.timestamp,
        );
        let mut expected = vec![kv("Action", op.action())];
        expected.extend(business);
        expected.extend([
            kv("AppId", app_id.get()),
            kv("SignatureNonce", self.nonce.as_str()),
            kv("Timestamp", self.timestamp),
            kv("Signature", signature.expose()),
            kv("SignatureVersion", "2.0"),
        ]);
        if self.prefix.is_some() {
            expected.push(kv("IsTest", "true"));
        }

        let url = request.url();
        let base = self.config.endpoint().base_url();
        assert!(
            url.starts_with(base),
            "{url:?} does not start with {base:?}"
        );
        assert_eq!(&url[base.len()..base.len() + 2], "/?");
        let decoded = decode_query(url).expect("prepare wrote an undecodable query");
        assert_eq!(decoded, expected, "url: {url:?}");

        let redacted = decode_query(&request.redacted_url()).expect("redacted url decodes");
        let mut expected_redacted = expected;
        for (key, value) in &mut expected_redacted {
            if key == "Signature" {
                *value = "<redacted>".to_owned();
            }
        }
        assert_eq!(redacted, expected_redacted);
    }
}

impl Case<'_> {
    /// Checks what does not depend on an operation's own parameters: it is prepared (the
    /// catalog's examples are short enough for any prefix), its action comes first, and the
    /// common parameters and the signature come last.
    fn check_envelope<O: Operation>(&self, op: &O, stamped: Sequence) {
        let request = prepare_stamped(
            op,
            self.config,
            self.credentials,
            self.timestamp,
            Some(stamped),
            self.nonce,
        )
        .expect("a catalog example is prepared");
        let decoded = decode_query(request.url()).expect("prepare wrote an undecodable query");
        assert_eq!(decoded.first(), Some(&kv("Action", op.action())));
        let app_id = self.credentials.app_id();
        let signature = sign(
            app_id,
            &self.nonce,
            self.credentials.secret(),
            self.timestamp,
        );
        let mut common = vec![
            kv("AppId", app_id.get()),
            kv("SignatureNonce", self.nonce.as_str()),
            kv("Timestamp", self.timestamp),
            kv("Signature", signature.expose()),
            kv("SignatureVersion", "2.0"),
        ];
        if self.prefix.is_some() {
            common.push(kv("IsTest", "true"));
        }
        assert!(decoded.ends_with(&common), "{decoded:?}");
    }
}

fn streams_param(key: &str, case: &Case<'_>, ids: &[String]) -> Params {
    ids.iter().map(|id| kv(key, case.stream(id))).collect()
}

fuzz_target!(|input: Input| {
    let endpoint = match input.endpoint {
        EndpointInput::Unified => Endpoint::Unified,
        EndpointInput::Region(i) => {
            Endpoint::Region(Region::ALL[usize::from(i) % Region::ALL.len()])
        }
        EndpointInput::Custom(url) => match Endpoint::custom(&url) {
            Ok(endpoint) => endpoint,
            Err(_) => return,
        },
    };
    let environment = if input.test_environment {
        Environment::Test
    } else {
        Environment::Production
    };
    let config = Config::new(endpoint).with_environment(environment);
    let Ok(credentials) = Credentials::new(input.app_id, input.secret) else {
        return;
    };
    let case = Case {
        config: &config,
        credentials: &credentials,
        timestamp: input.timestamp,
        nonce: Nonce::from_bytes(input.nonce),
        prefix: input
            .test_environment
            .then(|| test_stream_prefix(input.app_id)),
    };

    match input.op {
        OpInput::ForbidRtcStreams(ids, seq) => {
            if let Ok(op) =
                ForbidRtcStreams::new(ids.clone()).map(|op| op.with_sequence(Sequence::new(seq)))
            {
                let mut params = streams_param("StreamId[]", &case, &ids);
                params.push(kv("Sequence", seq));
                case.check(&op, &refs(&ids), params);
            }
        }
        OpInput::ResumeRtcStreams(ids, seq) => {
            if let Ok(op) =
                ResumeRtcStreams::new(ids.clone()).map(|op| op.with_sequence(Sequence::new(seq)))
            {
                let mut params = streams_param("StreamId[]", &case, &ids);
                params.push(kv("Sequence", seq));
                case.check(&op, &refs(&ids), params);
            }
        }
        OpInput::ForbidRtcStream(id, seq) => {
            if let Ok(op) =
                ForbidRtcStream::new(id.clone()).map(|op| op.with_sequence(Sequence::new(seq)))
            {
                let params = vec![kv("StreamId", case.stream(&id)), kv("Sequence", seq)];
                case.check(&op, &[&id], params);
            }
        }
        OpInput::ResumeRtcStream(id, seq) => {
            if let Ok(op) =
                ResumeRtcStream::new(id.clone()).map(|op| op.with_sequence(Sequence::new(seq)))
            {
                let params = vec![kv("StreamId", case.stream(&id)), kv("Sequence", seq)];
                case.check(&op, &[&id], params);
            }
        }
        OpInput::SetForbidStreamRule {
            room,
            stream,
            audio,
            video,
            secs,
        } => {
            let (Ok(ban), Ok(time)) =
                (MediaBan::from_flags(audio, video), EffectiveTime::new(secs))
            else {
                return;
            };
            if let Ok(op) = SetForbidStreamRule::new(room.clone(), stream.clone(), ban, time) {
                let params = vec![
                    kv("RoomId", &room),
                    kv("StreamId", case.stream(&stream)),
                    kv("DisableAudio", u8::from(audio)),
                    kv("DisableVideo", u8::from(video)),
                    kv("EffectiveTime", secs),
                ];
                case.check(&op, &[&stream], params);
            }
        }
        OpInput::DescribeForbidStreamRules(room, ids) => {
            if let Ok(op) = DescribeForbidStreamRules::new(room.clone(), ids.clone()) {
                let mut params = vec![kv("RoomId", &room)];
                params.extend(streams_param("StreamId[]", &case, &ids));
                case.check(&op, &refs(&ids), params);
            }
        }
        OpInput::DelForbidStreamRule(room, stream) => {
            if let Ok(op) = DelForbidStreamRule::new(room.clone(), stream.clone()) {
                let params = vec![kv("RoomId", &room), kv("StreamId", case.stream(&stream))];
                case.check(&op, &[&stream], params);
            }
        }
        OpInput::ForbidCdnLiveStream(stream, resume) => {
            let Ok(op) = ForbidCdnLiveStream::new(stream.clone()) else {
                return;
            };
            let mut params = vec![kv("StreamId", case.stream(&stream))];
            let op = match resume {
                None => op,
                Some(time) => match op.resume_at(time.clone()) {
                    Ok(op) => {
                        params.push(kv("ResumeTime", time));
                        op
                    }
                    Err(_) => return,
                },
            };
            case.check(&op, &[&stream], params);
        }
        OpInput::ResumeCdnLiveStream(stream) => {
            if let Ok(op) = ResumeCdnLiveStream::new(stream.clone()) {
                case.check(&op, &[&stream], vec![kv("StreamId", case.stream(&stream))]);
            }
        }
        OpInput::QueryForbidCdnLiveStream => {
            let op = QueryForbidCdnLiveStream::new(CdnVendor::WangSu);
            case.check(&op, &[], vec![kv("Vendor", "ws")]);
        }
        OpInput::DescribeRtcStreamState(id, seq) => {
            if let Ok(op) = DescribeRtcStreamState::new(id.clone())
                .map(|op| op.with_sequence(Sequence::new(seq)))
            {
                let params = vec![kv("StreamId", case.stream(&id)), kv("Sequence", seq)];
                case.check(&op, &[&id], params);
            }
        }
        OpInput::SetForbidUserRule {
            target,
            privileges,
            secs,
        } => {
            let (Some(target), Ok(time)) = (target.build(), EffectiveTime::new(secs)) else {
                return;
            };
            let privileges: Vec<DisabledPrivilege> = privileges
                .iter()
                .map(|&login| {
                    if login {
                        DisabledPrivilege::Login
                    } else {
                        DisabledPrivilege::Publish
                    }
                })
                .collect();
            let Ok(op) = SetForbidUserRule::new(target.clone(), privileges.clone(), time) else {
                assert!(
                    privileges.is_empty(),
                    "a non-empty privilege list was refused"
                );
                return;
            };
            let mut params = target_params(&target);
            // Sent once each, login (1) before publish (2).
            for (privilege, code) in [
                (DisabledPrivilege::Login, 1),
                (DisabledPrivilege::Publish, 2),
            ] {
                if privileges.contains(&privilege) {
                    params.push(kv("DisabledPrivilege[]", code));
                }
            }
            params.push(kv("EffectiveTime", secs));
            case.check(&op, &[], params);
        }
        OpInput::DescribeForbidUserRules(code) => {
            let rule_type = match code % 4 {
                0 => UserRuleType::Ip,
                1 => UserRuleType::Room,
                2 => UserRuleType::User,
                _ => UserRuleType::RoomUser,
            };
            let op = DescribeForbidUserRules::new(rule_type);
            case.check(&op, &[], vec![kv("RuleType", code % 4 + 1)]);
        }
        OpInput::DelForbidUserRule(target) => {
            if let Some(target) = target.build() {
                let params = target_params(&target);
                case.check(&DelForbidUserRule::new(target), &[], params);
            }
        }
        OpInput::KickoutUser(room, users, reason) => {
            let Ok(mut op) = KickoutUser::new(room.clone(), users.clone()) else {
                return;
            };
            let mut params = vec![kv("RoomId", &room)];
            params.extend(users.iter().map(|user| kv("UserId[]", user)));
            if let Some(reason) = reason {
                let Ok(with) = op.with_reason(&reason) else {
                    return;
                };
                op = with;
                params.push(kv("CustomReason", encoded_once(&reason)));
            }
            case.check(&op, &[], params);
        }
        OpInput::CloseRoom(room, reason, callback) => {
            let Ok(mut op) = CloseRoom::new(room.clone()) else {
                return;
            };
            let mut params = vec![kv("RoomId", &room)];
            if let Some(reason) = reason {
                let Ok(with) = op.with_reason(&reason) else {
                    return;
                };
                op = with;
                params.push(kv("CustomReason", encoded_once(&reason)));
            }
            if let Some(callback) = callback {
                op = op.with_room_close_callback(callback);
                params.push(kv("RoomCloseCallback", callback));
            }
            case.check(&op, &[], params);
        }
        OpInput::DeleteStream(target) => {
            if let Ok(op) = DeleteStream::new(
                target.room.clone(),
                target.user.clone(),
                target.user_name.clone(),
                target.stream.clone(),
            ) {
                case.check(&op, &[&target.stream], target.params(&case));
            }
        }
        OpInput::AddStream {
            target,
            title,
            extra_info,
            censor,
        } => {
            let Ok(mut op) = AddStream::new(
                target.room.clone(),
                target.user.clone(),
                target.user_name.clone(),
                target.stream.clone(),
            ) else {
                return;
            };
            let mut params = target.params(&case);
            if let Some(title) = title {
                let Ok(with) = op.with_title(&title) else {
                    return;
                };
                op = with;
                params.push(kv("StreamTitle", encoded_once(&title)));
            }
            if let Some(extra_info) = extra_info {
                let Ok(with) = op.with_extra_info(&extra_info) else {
                    return;
                };
                op = with;
                params.push(kv("ExtraInfo", extra_info));
            }
            if let Some(allowed) = censor {
                op = op.with_censor(allowed);
                params.push(kv("CensorFlag", u8::from(!allowed)));
            }
            case.check(&op, &[&target.stream], params);
        }
        OpInput::DescribeSimpleStreamList(room) => {
            if let Ok(op) = DescribeSimpleStreamList::new(room.clone()) {
                case.check(&op, &[], vec![kv("RoomId", &room)]);
            }
        }
        OpInput::DescribeUserList {
            room,
            newest_first,
            limit,
            marker,
        } => {
            let Ok(mut op) = DescribeUserList::new(room.clone()) else {
                return;
            };
            let mut params = vec![kv("RoomId", &room)];
            if let Some(newest_first) = newest_first {
                op = op.with_order(if newest_first {
                    UserOrder::NewestFirst
                } else {
                    UserOrder::OldestFirst
                });
                params.push(kv("Mode", u8::from(newest_first)));
            }
            if let Some(limit) = limit {
                let Ok(with) = op.with_limit(limit) else {
                    return;
                };
                op = with;
                params.push(kv("Limit", limit));
            }
            op = op.with_marker(marker.clone());
            if !marker.is_empty() {
                params.push(kv("Marker", marker));
            }
            case.check(&op, &[], params);
        }
        OpInput::DescribeUsers(room, users) => {
            if let Ok(op) = DescribeUsers::new(room.clone(), users.clone()) {
                let mut params = vec![kv("RoomId", &room)];
                params.extend(users.iter().map(|user| kv("UserId[]", user)));
                case.check(&op, &[], params);
            }
        }
        OpInput::DescribeUserNum(rooms) => {
            if let Ok(op) = DescribeUserNum::new(rooms.clone()) {
                let params = rooms.iter().map(|room| kv("RoomId[]", room)).collect();
                case.check(&op, &[], params);
            }
        }
        OpInput::Catalogued(index, sequence) => {
            let examples = testing::examples();
            let index = usize::from(index) % examples.len();
            let op = &examples[index];
            assert_eq!(op.action(), CATALOG[index].name);
            case.check_envelope(op, Sequence::new(sequence));
        }
        OpInput::Raw {
            action,
            params,
            sequence,
        } => {
            let Ok(mut op) = RawOperation::new(action) else {
                return;
            };
            let mut accepted = Vec::new();
            for (key, value) in params {
                if let Ok(next) = op.clone().param(key.clone(), value.clone()) {
                    op = next;
                    accepted.push((key, value));
                }
            }
            if let Some(seq) = sequence {
                op = op.sequence(Sequence::new(seq));
                accepted.push(kv("Sequence", seq));
            }
            case.check(&op, &[], accepted);
        }
    }
});

fn refs(ids: &[String]) -> Vec<&str> {
    ids.iter().map(String::as_str).collect()
}

/// `RuleType` and the fields of its type, in the documented order.
fn target_params(target: &UserRuleTarget) -> Params {
    match target {
        UserRuleTarget::Ip(ip) => vec![kv("RuleType", 1), kv("IP", ip)],
        UserRuleTarget::Room(room) => vec![kv("RuleType", 2), kv("RoomId", room)],
        UserRuleTarget::User(user) => vec![kv("RuleType", 3), kv("UserId", user)],
        UserRuleTarget::RoomUser { room_id, user_id } => vec![
            kv("RuleType", 4),
            kv("RoomId", room_id),
            kv("UserId", user_id),
        ],
    }
}
