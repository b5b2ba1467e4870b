//! The operations built from loose inputs (one `Input` per catalogued action, and raw
//! ones), what `prepare` must send for each, and the check of what it sent.

use super::*;

/// The ops, built from loose inputs; the constructor may refuse them.
#[derive(Debug, Clone)]
pub(crate) enum Input {
    ForbidBatch(Vec<String>, u64),
    ResumeBatch(Vec<String>, u64),
    Forbid(String, u64),
    Resume(String, u64),
    SetStreamRule(String, String, bool, bool, u64),
    DescribeStreamRules(String, Vec<String>),
    DelStreamRule(String, String),
    ForbidCdn(String, Option<String>),
    ResumeCdn(String),
    QueryCdn,
    StreamState(String, u64),
    SetUserRule(UserFields, Vec<bool>, u64),
    DescribeUserRules(i64),
    DelUserRule(UserFields),
    Kick(String, Vec<String>, Option<String>),
    CloseRoom(String, Option<String>, Option<bool>),
    DeleteStream(RoomStreamFields),
    AddStream(
        RoomStreamFields,
        Option<String>,
        Option<String>,
        Option<bool>,
    ),
    StreamList(String),
    UserList(String, Option<bool>, Option<u32>, String),
    Users(String, Vec<String>),
    UserNum(Vec<String>),
    Raw(String, Vec<(String, String)>, Option<u64>),
}

impl Input {
    /// The catalogued action the input builds (`None`: a raw operation). Exhaustive, so a
    /// new input says which action it covers.
    pub(crate) fn action(&self) -> Option<&'static str> {
        Some(match self {
            Input::ForbidBatch(..) => ForbidRtcStreams::ACTION,
            Input::ResumeBatch(..) => ResumeRtcStreams::ACTION,
            Input::Forbid(..) => ForbidRtcStream::ACTION,
            Input::Resume(..) => ResumeRtcStream::ACTION,
            Input::SetStreamRule(..) => SetForbidStreamRule::ACTION,
            Input::DescribeStreamRules(..) => DescribeForbidStreamRules::ACTION,
            Input::DelStreamRule(..) => DelForbidStreamRule::ACTION,
            Input::ForbidCdn(..) => ForbidCdnLiveStream::ACTION,
            Input::ResumeCdn(..) => ResumeCdnLiveStream::ACTION,
            Input::QueryCdn => QueryForbidCdnLiveStream::ACTION,
            Input::StreamState(..) => DescribeRtcStreamState::ACTION,
            Input::SetUserRule(..) => SetForbidUserRule::ACTION,
            Input::DescribeUserRules(..) => DescribeForbidUserRules::ACTION,
            Input::DelUserRule(..) => DelForbidUserRule::ACTION,
            Input::Kick(..) => KickoutUser::ACTION,
            Input::CloseRoom(..) => CloseRoom::ACTION,
            Input::DeleteStream(..) => DeleteStream::ACTION,
            Input::AddStream(..) => AddStream::ACTION,
            Input::StreamList(..) => DescribeSimpleStreamList::ACTION,
            Input::UserList(..) => DescribeUserList::ACTION,
            Input::Users(..) => DescribeUsers::ACTION,
            Input::UserNum(..) => DescribeUserNum::ACTION,
            Input::Raw(..) => return None,
        })
    }
}

/// Room, user, user name and stream of `DeleteStream` and `AddStream`.
pub(crate) type RoomStreamFields = (String, String, String, String);

pub(crate) type UserFields = (i64, Option<String>, Option<String>, Option<String>);

pub(crate) fn user_fields(text: BoxedStrategy<String>) -> impl Strategy<Value = UserFields> {
    let ip = prop_oneof![
        text.clone(),
        Just("203.0.113.7".to_owned()),
        Just("2001:db8::1".to_owned())
    ];
    (
        prop_oneof![4 => 1i64..=4, 1 => any::<i64>()],
        prop::option::of(ip),
        prop::option::of(text.clone()),
        prop::option::of(text),
    )
}

pub(crate) fn raw_key(text: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => text,
        1 => prop::sample::select(RESERVED.to_vec()).prop_map(str::to_owned),
        1 => Just("Sequence".to_owned()),
        1 => Just("StreamId".to_owned()),
        1 => Just("signature".to_owned()),
    ]
}

pub(crate) fn input(
    text: BoxedStrategy<String>,
    ids: BoxedStrategy<Vec<String>>,
) -> BoxedStrategy<Input> {
    let t = text;
    prop_oneof![
        (ids.clone(), any::<u64>()).prop_map(|(i, s)| Input::ForbidBatch(i, s)),
        (ids.clone(), any::<u64>()).prop_map(|(i, s)| Input::ResumeBatch(i, s)),
        (t.clone(), any::<u64>()).prop_map(|(i, s)| Input::Forbid(i, s)),
        (t.clone(), any::<u64>()).prop_map(|(i, s)| Input::Resume(i, s)),
        (
            t.clone(),
            t.clone(),
            any::<bool>(),
            any::<bool>(),
            prop_oneof![0u64..=90_000, any::<u64>()]
        )
            .prop_map(|(r, s, a, v, e)| Input::SetStreamRule(r, s, a, v, e)),
        (t.clone(), ids.clone()).prop_map(|(r, i)| Input::DescribeStreamRules(r, i)),
        (t.clone(), t.clone()).prop_map(|(r, s)| Input::DelStreamRule(r, s)),
        (
            t.clone(),
            prop::option::of(prop_oneof![
                t.clone(),
                Just("2018-11-29T19:00:00Z".to_owned())
            ])
        )
            .prop_map(|(s, r)| Input::ForbidCdn(s, r)),
        t.clone().prop_map(Input::ResumeCdn),
        Just(Input::QueryCdn),
        (t.clone(), any::<u64>()).prop_map(|(s, q)| Input::StreamState(s, q)),
        (
            user_fields(t.clone()),
            prop::collection::vec(any::<bool>(), 0..4),
            prop_oneof![0u64..=90_000, any::<u64>()]
        )
            .prop_map(|(f, p, e)| Input::SetUserRule(f, p, e)),
        prop_oneof![1i64..=4, any::<i64>()].prop_map(Input::DescribeUserRules),
        user_fields(t.clone()).prop_map(Input::DelUserRule),
        (t.clone(), ids.clone(), prop::option::of(t.clone()))
            .prop_map(|(r, u, c)| Input::Kick(r, u, c)),
        (
            t.clone(),
            prop::option::of(t.clone()),
            prop::option::of(any::<bool>())
        )
            .prop_map(|(r, c, b)| Input::CloseRoom(r, c, b)),
        (t.clone(), t.clone(), t.clone(), t.clone()).prop_map(Input::DeleteStream),
        (
            (t.clone(), t.clone(), t.clone(), t.clone()),
            prop::option::of(t.clone()),
            prop::option::of(t.clone()),
            prop::option::of(any::<bool>())
        )
            .prop_map(|(f, title, extra, censor)| Input::AddStream(f, title, extra, censor)),
        t.clone().prop_map(Input::StreamList),
        (
            t.clone(),
            prop::option::of(any::<bool>()),
            prop::option::of(prop_oneof![0u32..=250, any::<u32>()]),
            t.clone()
        )
            .prop_map(|(r, o, l, m)| Input::UserList(r, o, l, m)),
        (t.clone(), ids.clone()).prop_map(|(r, u)| Input::Users(r, u)),
        ids.prop_map(Input::UserNum),
        (
            prop_oneof![
                3 => "[A-Za-z0-9]{1,30}",
                1 => t.clone()
            ],
            prop::collection::vec((raw_key(t.clone()), t), 0..6),
            prop::option::of(any::<u64>())
        )
            .prop_map(|(a, p, s)| Input::Raw(a, p, s)),
    ]
    .boxed()
}

pub(crate) fn privileges(flags: &[bool]) -> Vec<DisabledPrivilege> {
    flags
        .iter()
        .map(|login| {
            if *login {
                DisabledPrivilege::Login
            } else {
                DisabledPrivilege::Publish
            }
        })
        .collect()
}

pub(crate) fn effective(secs: u64) -> Result<EffectiveTime, ValidationError> {
    EffectiveTime::new(secs)
}

/// What `prepare` must send: the business parameters, with the test-environment prefix
/// applied to stream IDs where it applies.
pub(crate) struct Expected {
    pub(crate) business: Params,
    /// A raw operation: its parameters are sent verbatim, whatever their length.
    pub(crate) raw: bool,
}

impl Expected {
    pub(crate) fn new() -> Self {
        Self {
            business: Vec::new(),
            raw: false,
        }
    }

    #[allow(clippy::needless_pass_by_value)] // Takes numbers and strings alike.
    pub(crate) fn p(&mut self, k: &str, v: impl ToString) {
        self.business.push((k.to_owned(), v.to_string()));
    }

    pub(crate) fn stream(&mut self, k: &str, id: &str, prefix: Option<&str>) {
        let wire = match prefix {
            Some(p) if !id.starts_with(p) => format!("{p}{id}"),
            _ => id.to_owned(),
        };
        self.business.push((k.to_owned(), wire));
    }

    pub(crate) fn room_stream(
        &mut self,
        room: &str,
        user: &str,
        name: &str,
        stream: &str,
        prefix: Option<&str>,
    ) {
        self.p("RoomId", room);
        self.p("UserId", user);
        self.p("UserName", name);
        self.stream("StreamId", stream, prefix);
    }

    pub(crate) fn target(&mut self, t: &UserRuleTarget) {
        self.p("RuleType", t.rule_type().code());
        match t {
            UserRuleTarget::Ip(ip) => self.p("IP", ip),
            UserRuleTarget::Room(r) => self.p("RoomId", r),
            UserRuleTarget::User(u) => self.p("UserId", u),
            UserRuleTarget::RoomUser { room_id, user_id } => {
                self.p("RoomId", room_id);
                self.p("UserId", user_id);
            }
        }
    }
}

/// `text` percent-encoded once, as ZEGO asks for reasons and titles: every byte but the
/// unreserved ones as `%XX` (written out here again, on purpose: an independent reading).
pub(crate) fn encoded_once(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            write!(out, "%{b:02X}").unwrap();
        }
    }
    out
}

/// What happened to one input.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The constructor refused the input.
    Refused(ValidationError),
    /// `prepare` refused it.
    NotPrepared(ValidationError),
    /// The request was prepared; the URL decodes to these parameters, which should be these.
    Prepared {
        url: String,
        decoded: Params,
        expected: Params,
        raw: bool,
    },
}

#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) env: Environment,
    pub(crate) app_id: u32,
    pub(crate) ts: u64,
    pub(crate) nonce: Nonce,
}

impl Run {
    pub(crate) fn prefix(&self) -> Option<String> {
        self.env.is_test().then(|| test_stream_prefix(self.app_id))
    }

    pub(crate) fn go<O: Operation>(&self, op: &O, expected: &Expected) -> Outcome {
        let creds = Credentials::new(self.app_id, SECRET).unwrap();
        match prepare_with_nonce(op, &config(self.env), &creds, self.ts, self.nonce) {
            Err(e) => Outcome::NotPrepared(e),
            Ok(request) => {
                let url = request.url().to_owned();
                let decoded = decode_query(&url).expect("a prepared URL always decodes");
                let mut all = vec![("Action".to_owned(), op.action().to_owned())];
                all.extend(expected.business.iter().cloned());
                let signature = sign(
                    AppId::new(self.app_id),
                    &self.nonce,
                    creds.secret(),
                    self.ts,
                );
                for (k, v) in [
                    ("AppId", self.app_id.to_string()),
                    ("SignatureNonce", self.nonce.as_str().to_owned()),
                    ("Timestamp", self.ts.to_string()),
                    ("Signature", signature.expose().to_owned()),
                    ("SignatureVersion", "2.0".to_owned()),
                ] {
                    all.push((k.to_owned(), v));
                }
                if self.env.is_test() {
                    all.push(("IsTest".to_owned(), "true".to_owned()));
                }
                Outcome::Prepared {
                    url,
                    decoded,
                    expected: all,
                    raw: expected.raw,
                }
            }
        }
    }

    #[allow(clippy::too_many_lines)] // One arm per operation.
    pub(crate) fn run(&self, input: &Input) -> Outcome {
        let prefix = self.prefix();
        let prefix = prefix.as_deref();
        let mut e = Expected::new();
        macro_rules! built {
            ($result:expr) => {
                match $result {
                    Ok(op) => op,
                    Err(err) => return Outcome::Refused(err),
                }
            };
        }
        match input {
            Input::ForbidBatch(ids, seq) | Input::ResumeBatch(ids, seq) => {
                for id in ids {
                    e.stream("StreamId[]", id, prefix);
                }
                e.p("Sequence", seq);
                if matches!(input, Input::ForbidBatch(..)) {
                    let op = built!(ForbidRtcStreams::new(ids.clone()))
                        .with_sequence(Sequence::new(*seq));
                    assert_eq!(op.stream_ids(), ids.as_slice());
                    self.go(&op, &e)
                } else {
                    let op = built!(ResumeRtcStreams::new(ids.clone()))
                        .with_sequence(Sequence::new(*seq));
                    self.go(&op, &e)
                }
            }
            Input::Forbid(id, seq) | Input::Resume(id, seq) | Input::StreamState(id, seq) => {
                e.stream("StreamId", id, prefix);
                e.p("Sequence", seq);
                let seq = Sequence::new(*seq);
                match input {
                    Input::Forbid(..) => {
                        let op = built!(ForbidRtcStream::new(id.clone())).with_sequence(seq);
                        assert_eq!(op.sequencing(), Sequencing::Explicit(seq));
                        self.go(&op, &e)
                    }
                    Input::Resume(..) => self.go(
                        &built!(ResumeRtcStream::new(id.clone())).with_sequence(seq),
                        &e,
                    ),
                    _ => self.go(
                        &built!(DescribeRtcStreamState::new(id.clone())).with_sequence(seq),
                        &e,
                    ),
                }
            }
            Input::SetStreamRule(room, id, audio, video, secs) => {
                let ban = built!(MediaBan::from_flags(*audio, *video));
                let time = built!(effective(*secs));
                let op = built!(SetForbidStreamRule::new(
                    room.clone(),
                    id.clone(),
                    ban,
                    time
                ));
                e.p("RoomId", room);
                e.stream("StreamId", id, prefix);
                e.p("DisableAudio", u8::from(*audio));
                e.p("DisableVideo", u8::from(*video));
                e.p("EffectiveTime", secs);
                self.go(&op, &e)
            }
            Input::DescribeStreamRules(room, ids) => {
                let op = built!(DescribeForbidStreamRules::new(room.clone(), ids.clone()));
                e.p("RoomId", room);
                for id in ids {
                    e.stream("StreamId[]", id, prefix);
                }
                self.go(&op, &e)
            }
            Input::DelStreamRule(room, id) => {
                let op = built!(DelForbidStreamRule::new(room.clone(), id.clone()));
                e.p("RoomId", room);
                e.stream("StreamId", id, prefix);
                self.go(&op, &e)
            }
            Input::ForbidCdn(id, resume) => {
                let mut op = built!(ForbidCdnLiveStream::new(id.clone()));
                e.stream("StreamId", id, prefix);
                if let Some(t) = resume {
                    op = built!(op.resume_at(t.clone()));
                    e.p("ResumeTime", t);
                }
                self.go(&op, &e)
            }
            Input::ResumeCdn(id) => {
                let op = built!(ResumeCdnLiveStream::new(id.clone()));
                e.stream("StreamId", id, prefix);
                self.go(&op, &e)
            }
            Input::QueryCdn => {
                e.p("Vendor", "ws");
                self.go(&QueryForbidCdnLiveStream::new(CdnVendor::WangSu), &e)
            }
            Input::SetUserRule((t, ip, room, user), flags, secs) => {
                let target = built!(UserRuleTarget::from_fields(
                    *t,
                    ip.clone(),
                    room.clone(),
                    user.clone()
                ));
                let time = built!(effective(*secs));
                let op = built!(SetForbidUserRule::new(
                    target.clone(),
                    privileges(flags),
                    time
                ));
                e.target(&target);
                if flags.contains(&true) {
                    e.p("DisabledPrivilege[]", 1);
                }
                if flags.contains(&false) {
                    e.p("DisabledPrivilege[]", 2);
                }
                e.p("EffectiveTime", secs);
                self.go(&op, &e)
            }
            Input::DescribeUserRules(t) => {
                let rule_type = built!(UserRuleType::from_code(*t));
                e.p("RuleType", t);
                self.go(&DescribeForbidUserRules::new(rule_type), &e)
            }
            Input::DelUserRule((t, ip, room, user)) => {
                let target = built!(UserRuleTarget::from_fields(
                    *t,
                    ip.clone(),
                    room.clone(),
                    user.clone()
                ));
                e.target(&target);
                self.go(&DelForbidUserRule::new(target), &e)
            }
            Input::Kick(room, users, reason) => {
                let mut op = built!(KickoutUser::new(room.clone(), users.clone()));
                e.p("RoomId", room);
                for user in users {
                    e.p("UserId[]", user);
                }
                if let Some(reason) = reason {
                    op = built!(op.with_reason(reason));
                    e.p("CustomReason", encoded_once(reason));
                }
                self.go(&op, &e)
            }
            Input::CloseRoom(room, reason, callback) => {
                let mut op = built!(CloseRoom::new(room.clone()));
                e.p("RoomId", room);
                if let Some(reason) = reason {
                    op = built!(op.with_reason(reason));
                    e.p("CustomReason", encoded_once(reason));
                }
                if let Some(callback) = callback {
                    op = op.with_room_close_callback(*callback);
                    e.p("RoomCloseCallback", callback);
                }
                self.go(&op, &e)
            }
            Input::DeleteStream((room, user, name, stream)) => {
                let op = built!(DeleteStream::new(
                    room.clone(),
                    user.clone(),
                    name.clone(),
                    stream.clone()
                ));
                e.room_stream(room, user, name, stream, prefix);
                self.go(&op, &e)
            }
            Input::AddStream((room, user, name, stream), title, extra, censor) => {
                let mut op = built!(AddStream::new(
                    room.clone(),
                    user.clone(),
                    name.clone(),
                    stream.clone()
                ));
                e.room_stream(room, user, name, stream, prefix);
                if let Some(title) = title {
                    op = built!(op.with_title(title));
                    e.p("StreamTitle", encoded_once(title));
                }
                if let Some(extra) = extra {
                    op = built!(op.with_extra_info(extra));
                    e.p("ExtraInfo", extra);
                }
                if let Some(allowed) = censor {
                    op = op.with_censor(*allowed);
                    e.p("CensorFlag", u8::from(!allowed));
                }
                self.go(&op, &e)
            }
            Input::StreamList(room) => {
                let op = built!(DescribeSimpleStreamList::new(room.clone()));
                e.p("RoomId", room);
                self.go(&op, &e)
            }
            Input::UserList(room, newest_first, limit, marker) => {
                let mut op = built!(DescribeUserList::new(room.clone()));
                e.p("RoomId", room);
                if let Some(newest_first) = newest_first {
                    let order = if *newest_first {
                        UserOrder::NewestFirst
                    } else {
                        UserOrder::OldestFirst
                    };
                    op = op.with_order(order);
                    e.p("Mode", u8::from(*newest_first));
                }
                if let Some(limit) = limit {
                    op = built!(op.with_limit(*limit));
                    e.p("Limit", limit);
                }
                op = op.with_marker(marker.clone());
                if !marker.is_empty() {
                    e.p("Marker", marker);
                }
                self.go(&op, &e)
            }
            Input::Users(room, users) => {
                let op = built!(DescribeUsers::new(room.clone(), users.clone()));
                e.p("RoomId", room);
                for user in users {
                    e.p("UserId[]", user);
                }
                self.go(&op, &e)
            }
            Input::UserNum(rooms) => {
                let op = built!(DescribeUserNum::new(rooms.clone()));
                for room in rooms {
                    e.p("RoomId[]", room);
                }
                self.go(&op, &e)
            }
            Input::Raw(action, params, seq) => {
                e.raw = true;
                let mut op = built!(RawOperation::new(action.clone()));
                for (k, v) in params {
                    op = built!(op.param(k.clone(), v.clone()));
                    // Raw parameters are sent verbatim, but stream IDs get the
                    // test-environment prefix like those of typed operations.
                    if k == "StreamId" || k == "StreamId[]" {
                        e.stream(k, v, prefix);
                    } else {
                        e.p(k, v);
                    }
                }
                if let Some(s) = seq {
                    op = op.sequence(Sequence::new(*s));
                    e.p("Sequence", s);
                }
                assert_eq!(op.params().len(), params.len());
                self.go(&op, &e)
            }
        }
    }
}

pub(crate) fn run_strategy() -> impl Strategy<Value = Run> {
    (
        environment(),
        prop_oneof![Just(123_456_789u32), any::<u32>()],
        any::<u64>(),
        any::<[u8; 8]>(),
    )
        .prop_map(|(env, app_id, ts, nonce)| Run {
            env,
            app_id,
            ts,
            nonce: nonce_of(nonce),
        })
}

/// The test-environment prefix of AppId 123456789, which `run_strategy` often picks.
pub(crate) const PREFIX_123456789: &str = "zegotest-123456789-";

/// Sometimes already carrying the test-environment prefix (which must not be doubled).
pub(crate) fn sometimes_prefixed(
    text: impl Strategy<Value = String>,
) -> impl Strategy<Value = String> {
    (0u8..6, text).prop_map(|(roll, s)| {
        match roll {
            0 => format!("{PREFIX_123456789}{s}"),
            // Elsewhere than at the start, it is just text: the prefix is still added.
            1 => format!("{s}{PREFIX_123456789}"),
            _ => s,
        }
    })
}

pub(crate) fn loose_text() -> BoxedStrategy<String> {
    sometimes_prefixed(any_text()).boxed()
}

pub(crate) fn good_text() -> BoxedStrategy<String> {
    sometimes_prefixed(valid_id(256))
        .prop_map(|s| truncate_to(s, 256))
        .boxed()
}

pub(crate) fn loose_ids() -> BoxedStrategy<Vec<String>> {
    prop::collection::vec(loose_text(), 0..24).boxed()
}

pub(crate) fn good_ids() -> BoxedStrategy<Vec<String>> {
    prop::collection::vec(good_text(), 1..=10).boxed()
}

/// Whether the query is fully encoded: only unreserved characters, `%XX` escapes with
/// upper-case hex, and the `&`/`=` separators.
pub(crate) fn query_is_fully_encoded(url: &str) -> bool {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let bytes = query.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'&' | b'=' => {
                i += 1;
            }
            b'%' => {
                let hex = |b: u8| b.is_ascii_digit() || (b'A'..=b'F').contains(&b);
                if i + 2 >= bytes.len() || !hex(bytes[i + 1]) || !hex(bytes[i + 2]) {
                    return false;
                }
                i += 3;
            }
            _ => return false,
        }
    }
    true
}

pub(crate) fn check_outcome(run: &Run, outcome: &Outcome) -> Result<(), TestCaseError> {
    match outcome {
        Outcome::Refused(err) => {
            // A refusal names the field it is about.
            prop_assert!(!err.field().is_empty());
            prop_assert!(err.to_string().starts_with(err.field()), "{}", err);
        }
        Outcome::NotPrepared(err) => {
            // Constructors check everything but the prefixed length, so production always
            // prepares, and the test environment only ever refuses an overlong stream ID.
            prop_assert!(run.env.is_test(), "production refused: {err:?}");
            prop_assert!(matches!(err.field(), "StreamId" | "StreamId[]"), "{err:?}");
            let Problem::TooLong { max_bytes, actual } = err.problem() else {
                return Err(TestCaseError::fail(format!("{err:?}")));
            };
            prop_assert_eq!(*max_bytes, 256);
            prop_assert!(*actual > 256);
        }
        Outcome::Prepared {
            url,
            decoded,
            expected,
            raw,
        } => {
            prop_assert!(
                url.starts_with("https://rtc-api.zego.im/?Action="),
                "{}",
                url
            );
            prop_assert!(query_is_fully_encoded(url), "not fully encoded: {}", url);
            prop_assert_eq!(decoded, expected);
            if !raw {
                // What goes on the wire respects the 256-byte limit, prefix included.
                for (k, v) in decoded {
                    if k == "StreamId" || k == "StreamId[]" {
                        prop_assert!(!v.is_empty() && v.len() <= 256, "{} = {:?}", k, v);
                    }
                }
            }
        }
    }
    Ok(())
}
