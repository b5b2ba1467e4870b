//! Property tests of the public API: preparing, encoding, signing, validation, response
//! parsing, return codes, sequences, the rate limiter and the retry policy.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use zego_proto::admission::{Quotas, RateLimitKey, SequenceGenerator, TokenBucketLimiter};
use zego_proto::ops::{
    CdnVendor, DelForbidStreamRule, DelForbidUserRule, DescribeForbidStreamRules,
    DescribeForbidUserRules, DescribeRtcStreamState, DisabledPrivilege, EffectiveTime,
    ForbidCdnLiveStream, ForbidRtcStream, ForbidRtcStreams, MediaBan, QueryForbidCdnLiveStream,
    RawOperation, ResumeCdnLiveStream, ResumeRtcStream, ResumeRtcStreams, SetForbidStreamRule,
    SetForbidUserRule, UserRuleTarget, UserRuleType,
};
use zego_proto::retry::{AttemptFailure, RetryDecision, RetryOn};
use zego_proto::wire::{
    decode_query, parse_response, prepare, prepare_with_nonce, sign, test_stream_prefix,
    HttpResponse, Nonce, ResponseError, BODY_SNIPPET_BYTES,
};
use zego_proto::{
    ops::{RateLimitGroup, Sequencing},
    retry::{RetryPolicy, StopReason},
    AppId, Config, Credentials, Endpoint, Environment, ErrorClass, Operation, Problem, ReturnCode,
    Sequence, ServerSecret, ValidationError,
};

type Params = Vec<(String, String)>;

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const RESERVED: [&str; 7] = [
    "Action",
    "AppId",
    "SignatureNonce",
    "Timestamp",
    "Signature",
    "SignatureVersion",
    "IsTest",
];

// ---------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------

/// Characters that stress the encoder: separators, escapes, spaces, controls, non-ASCII.
fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(vec![
            '&', '=', '%', '+', ' ', '?', '#', '[', ']', '/', '\\', '"', '\'', '\0', '\n', '\r',
            '\t', '\u{7f}', '\u{85}', '\u{a0}', '\u{200b}', '\u{feff}', 'é', '中', '😀', '~', '-',
            '.', '_',
        ]),
        4 => prop::char::range('a', 'z'),
        1 => any::<char>(),
    ]
}

/// Any text, from empty to well beyond 256 bytes.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(nasty_char(), 0..24).prop_map(String::from_iter),
        1 => any::<String>(),
        1 => prop::collection::vec(nasty_char(), 60..120).prop_map(String::from_iter),
        1 => (250usize..=262).prop_map(|n| "x".repeat(n)),
    ]
}

/// The punctuation spec §7 allows in stream, user and room IDs (written out here again, on
/// purpose: the test is an independent reading of the spec).
const ID_PUNCTUATION: &str = "-_~!@#$%^&*()+=`;',.<>/\\";

/// A character of the ID set, biased toward those that need percent-encoding.
fn id_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(ID_PUNCTUATION.chars().collect::<Vec<_>>()),
        4 => prop::char::range('a', 'z'),
        1 => prop::char::range('A', 'Z'),
        1 => prop::char::range('0', '9'),
    ]
}

/// Whether spec §7 allows `c` in an ID.
fn allowed_in_id(c: char) -> bool {
    c.is_ascii_alphanumeric() || ID_PUNCTUATION.contains(c)
}

/// A character spec §7 refuses in an ID.
fn refused_char() -> impl Strategy<Value = char> {
    prop_oneof![nasty_char(), any::<char>()]
        .prop_filter("outside the ID set", |c| !allowed_in_id(*c))
}

/// The error spec §7 gives an ID with a refused character: the first one, and its
/// 1-based position in characters.
fn character_problem(id: &str) -> Option<(char, usize)> {
    id.chars()
        .enumerate()
        .find(|(_, c)| !allowed_in_id(*c))
        .map(|(i, c)| (c, i + 1))
}

/// A non-empty ID of at most `max_bytes` bytes, with awkward (but allowed) characters.
fn valid_id(max_bytes: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(id_char(), 1..40).prop_map(String::from_iter),
        1 => (1..=max_bytes).prop_map(|n| "s".repeat(n)),
        1 => prop::collection::vec(id_char(), 1..300).prop_map(String::from_iter),
    ]
    .prop_map(move |s| truncate_to(s, max_bytes))
    .prop_filter("non-empty", |s| !s.is_empty())
}

fn truncate_to(mut s: String, max_bytes: usize) -> String {
    while s.len() > max_bytes {
        s.pop();
    }
    s
}

fn environment() -> impl Strategy<Value = Environment> {
    prop_oneof![Just(Environment::Production), Just(Environment::Test)]
}

fn config(env: Environment) -> Config {
    Config::new(Endpoint::Unified).with_environment(env)
}

fn nonce_of(bytes: [u8; 8]) -> Nonce {
    Nonce::from_bytes(bytes)
}

/// The ops, built from loose inputs; the constructor may refuse them.
#[derive(Debug, Clone)]
enum Input {
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
    Raw(String, Vec<(String, String)>, Option<u64>),
}

type UserFields = (i64, Option<String>, Option<String>, Option<String>);

fn user_fields(text: BoxedStrategy<String>) -> impl Strategy<Value = UserFields> {
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

fn raw_key(text: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => text,
        1 => prop::sample::select(RESERVED.to_vec()).prop_map(str::to_owned),
        1 => Just("Sequence".to_owned()),
        1 => Just("StreamId".to_owned()),
        1 => Just("signature".to_owned()),
    ]
}

fn input(text: BoxedStrategy<String>, ids: BoxedStrategy<Vec<String>>) -> BoxedStrategy<Input> {
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
        (t.clone(), ids).prop_map(|(r, i)| Input::DescribeStreamRules(r, i)),
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

fn privileges(flags: &[bool]) -> Vec<DisabledPrivilege> {
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

fn effective(secs: u64) -> Result<EffectiveTime, ValidationError> {
    EffectiveTime::new(secs)
}

/// What `prepare` must send: the business parameters, with the test-environment prefix
/// applied to stream IDs where it applies.
struct Expected {
    business: Params,
    /// A raw operation: its parameters are sent verbatim, whatever their length.
    raw: bool,
}

impl Expected {
    fn new() -> Self {
        Self {
            business: Vec::new(),
            raw: false,
        }
    }

    #[allow(clippy::needless_pass_by_value)] // Takes numbers and strings alike.
    fn p(&mut self, k: &str, v: impl ToString) {
        self.business.push((k.to_owned(), v.to_string()));
    }

    fn stream(&mut self, k: &str, id: &str, prefix: Option<&str>) {
        let wire = match prefix {
            Some(p) if !id.starts_with(p) => format!("{p}{id}"),
            _ => id.to_owned(),
        };
        self.business.push((k.to_owned(), wire));
    }

    fn target(&mut self, t: &UserRuleTarget) {
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

/// What happened to one input.
#[derive(Debug)]
enum Outcome {
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
struct Run {
    env: Environment,
    app_id: u32,
    ts: u64,
    nonce: Nonce,
}

impl Run {
    fn prefix(&self) -> Option<String> {
        self.env.is_test().then(|| test_stream_prefix(self.app_id))
    }

    fn go<O: Operation>(&self, op: &O, expected: &Expected) -> Outcome {
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
    fn run(&self, input: &Input) -> Outcome {
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

fn run_strategy() -> impl Strategy<Value = Run> {
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
const PREFIX_123456789: &str = "zegotest-123456789-";

/// Sometimes already carrying the test-environment prefix (which must not be doubled).
fn sometimes_prefixed(text: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    (0u8..6, text).prop_map(|(roll, s)| {
        match roll {
            0 => format!("{PREFIX_123456789}{s}"),
            // Elsewhere than at the start, it is just text: the prefix is still added.
            1 => format!("{s}{PREFIX_123456789}"),
            _ => s,
        }
    })
}

fn loose_text() -> BoxedStrategy<String> {
    sometimes_prefixed(any_text()).boxed()
}

fn good_text() -> BoxedStrategy<String> {
    sometimes_prefixed(valid_id(256))
        .prop_map(|s| truncate_to(s, 256))
        .boxed()
}

fn loose_ids() -> BoxedStrategy<Vec<String>> {
    prop::collection::vec(loose_text(), 0..24).boxed()
}

fn good_ids() -> BoxedStrategy<Vec<String>> {
    prop::collection::vec(good_text(), 1..=10).boxed()
}

/// Whether the query is fully encoded: only unreserved characters, `%XX` escapes with
/// upper-case hex, and the `&`/`=` separators.
fn query_is_fully_encoded(url: &str) -> bool {
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

fn check_outcome(run: &Run, outcome: &Outcome) -> Result<(), TestCaseError> {
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

// ---------------------------------------------------------------------------------------
// Preparing and encoding
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary input through every constructor: refused, or prepared, never a panic;
    /// and whatever is prepared decodes back to exactly what was given.
    #[test]
    fn preparing_never_panics_and_round_trips(
        run in run_strategy(),
        input in input(loose_text(), loose_ids()),
    ) {
        let outcome = run.run(&input);
        check_outcome(&run, &outcome)?;
    }

    /// Mostly valid input, so nearly every case reaches the URL: parameters, values
    /// (with the test prefix where it applies) and order survive the round trip.
    #[test]
    fn valid_operations_round_trip_exactly(
        run in run_strategy(),
        input in input(good_text(), good_ids()),
    ) {
        let outcome = run.run(&input);
        check_outcome(&run, &outcome)?;
    }
}

#[test]
fn the_round_trip_covers_every_operation() {
    // The property above only means something if each operation is really prepared;
    // make sure valid inputs for all fifteen get through in both environments.
    let inputs = [
        Input::ForbidBatch(vec!["a&b".into(), "c/d".into()], 1),
        Input::ResumeBatch(vec!["%".into()], 2),
        Input::Forbid("<a\\b>".into(), 3),
        Input::Resume("+".into(), 4),
        Input::SetStreamRule("r=1".into(), "s".into(), true, false, 60),
        Input::DescribeStreamRules("r".into(), vec!["a".into(), "zegotest-7-b".into()]),
        Input::DelStreamRule("r".into(), "s".into()),
        Input::ForbidCdn("s".into(), Some("2018-11-29T19:00:00Z".into())),
        Input::ResumeCdn("s".into()),
        Input::QueryCdn,
        Input::StreamState("s".into(), 5),
        Input::SetUserRule(
            (4, None, Some("r".into()), Some("u".into())),
            vec![true, false],
            1,
        ),
        Input::DescribeUserRules(2),
        Input::DelUserRule((1, Some("::1".into()), None, None)),
        Input::Raw(
            "DescribeUserNum".into(),
            // A raw operation sends what it is given, even characters typed ones refuse.
            vec![
                ("RoomId[]".into(), "a b".into()),
                ("StreamId".into(), "中 \r".into()),
            ],
            Some(9),
        ),
    ];
    for env in [Environment::Production, Environment::Test] {
        let run = Run {
            env,
            app_id: 7,
            ts: 1_700_000_000,
            nonce: nonce_of([1, 2, 3, 4, 5, 6, 7, 8]),
        };
        for input in &inputs {
            let outcome = run.run(input);
            assert!(
                matches!(outcome, Outcome::Prepared { .. }),
                "{input:?}: {outcome:?}"
            );
            check_outcome(&run, &outcome).unwrap();
        }
    }
}

#[test]
fn raw_operation_stream_ids_get_the_test_prefix() {
    let op = RawOperation::new("ForbidRTCStream")
        .unwrap()
        .param("StreamId", "s1")
        .unwrap()
        .sequence(Sequence::new(1));
    let creds = Credentials::new(7u32, SECRET).unwrap();
    let request =
        prepare_with_nonce(&op, &config(Environment::Test), &creds, 1, nonce_of([0; 8])).unwrap();
    let params = decode_query(request.url()).unwrap();
    assert!(params.contains(&("StreamId".into(), "zegotest-7-s1".into())));
}

// ---------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------

fn secret_text() -> impl Strategy<Value = String> {
    "[!-~]{1,48}"
}

proptest! {
    /// Changing any one signed input changes the signature.
    #[test]
    fn every_signed_input_matters(
        app in any::<u32>(),
        app2 in any::<u32>(),
        nonce in any::<[u8; 8]>(),
        nonce2 in any::<[u8; 8]>(),
        secret in secret_text(),
        secret2 in secret_text(),
        ts in any::<u64>(),
        ts2 in any::<u64>(),
    ) {
        let s = ServerSecret::new(secret.clone()).unwrap();
        let base = sign(AppId::new(app), &nonce_of(nonce), &s, ts);
        prop_assert_eq!(base.expose().len(), 32);
        prop_assert!(base.expose().bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
        // Deterministic.
        prop_assert_eq!(base, sign(AppId::new(app), &nonce_of(nonce), &s, ts));
        prop_assert!(base.matches(base.expose()));
        if app2 != app {
            prop_assert_ne!(base, sign(AppId::new(app2), &nonce_of(nonce), &s, ts));
        }
        if nonce2 != nonce {
            prop_assert_ne!(base, sign(AppId::new(app), &nonce_of(nonce2), &s, ts));
        }
        if secret2 != secret {
            let s2 = ServerSecret::new(secret2).unwrap();
            prop_assert_ne!(base, sign(AppId::new(app), &nonce_of(nonce), &s2, ts));
        }
        if ts2 != ts {
            prop_assert_ne!(base, sign(AppId::new(app), &nonce_of(nonce), &s, ts2));
        }
    }

    /// Neighbouring values (one digit, one bit, one character off) also change it.
    #[test]
    fn nearby_inputs_sign_differently(
        app in 0u32..u32::MAX,
        nonce in any::<[u8; 8]>(),
        bit in 0usize..64,
        secret in secret_text(),
        ts in 0u64..u64::MAX,
    ) {
        let s = ServerSecret::new(secret.clone()).unwrap();
        let base = sign(AppId::new(app), &nonce_of(nonce), &s, ts);
        prop_assert_ne!(base, sign(AppId::new(app + 1), &nonce_of(nonce), &s, ts));
        prop_assert_ne!(base, sign(AppId::new(app), &nonce_of(nonce), &s, ts + 1));
        let mut flipped = nonce;
        flipped[bit / 8] ^= 1 << (bit % 8);
        prop_assert_ne!(base, sign(AppId::new(app), &nonce_of(flipped), &s, ts));
        let longer = ServerSecret::new(format!("{secret}a")).unwrap();
        prop_assert_ne!(base, sign(AppId::new(app), &nonce_of(nonce), &longer, ts));
    }
}

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

fn assert_err(
    result: Result<impl std::fmt::Debug, ValidationError>,
    field: &str,
    index: Option<usize>,
    problem: &Problem,
) -> Result<(), TestCaseError> {
    match result {
        Ok(v) => Err(TestCaseError::fail(format!(
            "accepted {v:?}, expected {field} {problem:?}"
        ))),
        Err(e) => {
            prop_assert_eq!(e.field(), field);
            prop_assert_eq!(e.index(), index);
            prop_assert_eq!(e.problem(), problem);
            prop_assert!(e.to_string().starts_with(field));
            Ok(())
        }
    }
}

fn too_long_id() -> impl Strategy<Value = String> {
    prop_oneof![
        (257usize..600).prop_map(|n| "x".repeat(n)),
        prop::collection::vec(nasty_char(), 100..200)
            .prop_map(String::from_iter)
            .prop_filter("over 256 bytes", |s| s.len() > 256),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn valid_operations_always_validate(
        batch in prop::collection::vec(valid_id(256), 1..=20),
        describe in prop::collection::vec(valid_id(256), 1..=10),
        id in valid_id(256),
        room in valid_id(128),
        user in valid_id(64),
        seq in any::<u64>(),
        secs in 1u64..=86_400,
        flags in (any::<bool>(), any::<bool>()).prop_filter("something banned", |(a, v)| *a || *v),
        privileges_flags in prop::collection::vec(any::<bool>(), 1..5),
    ) {
        let seq = Sequence::new(seq);
        let one_id = std::slice::from_ref(&id);
        let forbid = ForbidRtcStreams::new(batch.clone()).unwrap();
        prop_assert_eq!(forbid.stream_ids(), batch.as_slice());
        prop_assert_eq!(forbid.sequencing(), Sequencing::Stamped(batch.as_slice()));
        let explicit = forbid.with_sequence(seq);
        prop_assert_eq!(explicit.sequencing(), Sequencing::Explicit(seq));
        let resume = ResumeRtcStreams::new(batch.clone()).unwrap();
        prop_assert_eq!(resume.stream_ids(), batch.as_slice());
        prop_assert_eq!(resume.sequencing(), Sequencing::Stamped(batch.as_slice()));
        let explicit = resume.with_sequence(seq);
        prop_assert_eq!(explicit.sequencing(), Sequencing::Explicit(seq));
        let single = ForbidRtcStream::new(id.clone()).unwrap();
        prop_assert_eq!(single.stream_id(), id.as_str());
        prop_assert_eq!(single.sequencing(), Sequencing::Stamped(one_id));
        let explicit = single.with_sequence(seq);
        prop_assert_eq!(explicit.sequencing(), Sequencing::Explicit(seq));
        let resume_one = ResumeRtcStream::new(id.clone()).unwrap();
        prop_assert_eq!(resume_one.sequencing(), Sequencing::Stamped(one_id));
        let explicit = resume_one.with_sequence(seq);
        prop_assert_eq!(explicit.sequencing(), Sequencing::Explicit(seq));
        let state = DescribeRtcStreamState::new(id.clone()).unwrap();
        prop_assert_eq!(state.sequencing(), Sequencing::Stamped(one_id));
        let explicit = state.with_sequence(seq);
        prop_assert_eq!(explicit.sequencing(), Sequencing::Explicit(seq));
        prop_assert!(ForbidCdnLiveStream::new(id.clone()).is_ok());
        prop_assert!(ResumeCdnLiveStream::new(id.clone()).is_ok());
        let time = EffectiveTime::new(secs).unwrap();
        prop_assert_eq!(u64::from(time.as_secs()), secs);
        prop_assert_eq!(EffectiveTime::from_duration(Duration::from_secs(secs)).unwrap(), time);
        prop_assert_eq!(EffectiveTime::saturating(secs), time);
        let ban = MediaBan::from_flags(flags.0, flags.1).unwrap();
        prop_assert_eq!((ban.audio(), ban.video()), flags);
        let rule = SetForbidStreamRule::new(room.clone(), id.clone(), ban, time).unwrap();
        prop_assert_eq!(rule.room_id(), room.as_str());
        prop_assert_eq!(rule.stream_id(), id.as_str());
        prop_assert_eq!(rule.ban(), ban);
        prop_assert_eq!(rule.effective_time(), time);
        let described = DescribeForbidStreamRules::new(room.clone(), describe.clone()).unwrap();
        prop_assert_eq!(described.stream_ids(), describe.as_slice());
        prop_assert!(DelForbidStreamRule::new(room.clone(), id.clone()).is_ok());
        for target in [
            UserRuleTarget::room(room.clone()).unwrap(),
            UserRuleTarget::user(user.clone()).unwrap(),
            UserRuleTarget::room_user(room.clone(), user.clone()).unwrap(),
            UserRuleTarget::ip("198.51.100.1").unwrap(),
        ] {
            let op = SetForbidUserRule::new(target.clone(), privileges(&privileges_flags), time)
                .unwrap();
            prop_assert_eq!(op.target(), &target);
        }
    }

    #[test]
    fn id_counts_outside_the_limits_are_rejected(
        extra in 21usize..60,
        describe_extra in 11usize..40,
    ) {
        let ids = |n: usize| (0..n).map(|i| format!("s{i}")).collect::<Vec<_>>();
        let count = |min, max, actual| Problem::Count { min, max, actual };
        assert_err(ForbidRtcStreams::new(ids(extra)), "StreamId[]", None, &count(1, 20, extra))?;
        assert_err(ResumeRtcStreams::new(ids(extra)), "StreamId[]", None, &count(1, 20, extra))?;
        assert_err(ForbidRtcStreams::new(ids(0)), "StreamId[]", None, &count(1, 20, 0))?;
        assert_err(ResumeRtcStreams::new(ids(0)), "StreamId[]", None, &count(1, 20, 0))?;
        prop_assert!(ForbidRtcStreams::new(ids(20)).is_ok());
        assert_err(
            DescribeForbidStreamRules::new("room", ids(describe_extra)),
            "StreamId[]",
            None,
            &count(1, 10, describe_extra),
        )?;
        assert_err(DescribeForbidStreamRules::new("room", ids(0)), "StreamId[]", None, &count(1, 10, 0))?;
        prop_assert!(DescribeForbidStreamRules::new("room", ids(10)).is_ok());
    }

    #[test]
    fn bad_ids_are_rejected_with_their_index(
        mut batch in prop::collection::vec(valid_id(256), 1..=20),
        at in any::<prop::sample::Index>(),
        long in too_long_id(),
    ) {
        let i = at.index(batch.len());
        let too_long = Problem::TooLong { max_bytes: 256, actual: long.len() };

        let mut with_empty = batch.clone();
        with_empty[i] = String::new();
        assert_err(ForbidRtcStreams::new(with_empty.clone()), "StreamId[]", Some(i), &Problem::Empty)?;
        assert_err(ResumeRtcStreams::new(with_empty.clone()), "StreamId[]", Some(i), &Problem::Empty)?;

        batch[i].clone_from(&long);
        assert_err(ForbidRtcStreams::new(batch.clone()), "StreamId[]", Some(i), &too_long)?;
        assert_err(ResumeRtcStreams::new(batch.clone()), "StreamId[]", Some(i), &too_long)?;
        if batch.len() <= 10 {
            assert_err(DescribeForbidStreamRules::new("r", batch.clone()), "StreamId[]", Some(i), &too_long)?;
            assert_err(DescribeForbidStreamRules::new("r", with_empty), "StreamId[]", Some(i), &Problem::Empty)?;
        }

        // Single-stream operations: the same problems, without an index.
        for problem_id in [String::new(), long.clone()] {
            let problem = if problem_id.is_empty() { Problem::Empty } else { too_long.clone() };
            assert_err(ForbidRtcStream::new(problem_id.clone()), "StreamId", None, &problem)?;
            assert_err(ResumeRtcStream::new(problem_id.clone()), "StreamId", None, &problem)?;
            assert_err(DescribeRtcStreamState::new(problem_id.clone()), "StreamId", None, &problem)?;
            assert_err(ForbidCdnLiveStream::new(problem_id.clone()), "StreamId", None, &problem)?;
            assert_err(ResumeCdnLiveStream::new(problem_id.clone()), "StreamId", None, &problem)?;
            assert_err(DelForbidStreamRule::new("r", problem_id.clone()), "StreamId", None, &problem)?;
            assert_err(
                SetForbidStreamRule::new("r", problem_id.clone(), MediaBan::Audio, EffectiveTime::default()),
                "StreamId",
                None,
                &problem,
            )?;
        }
        // An empty room is refused wherever a room is required.
        assert_err(DelForbidStreamRule::new("", "s"), "RoomId", None, &Problem::Empty)?;
        assert_err(DescribeForbidStreamRules::new("", ["s"]), "RoomId", None, &Problem::Empty)?;
        assert_err(
            SetForbidStreamRule::new("", "s", MediaBan::Video, EffectiveTime::default()),
            "RoomId",
            None,
            &Problem::Empty,
        )?;
    }

    /// Spec §7: a typed operation refuses an ID with a character outside the set, naming
    /// the first such character and its position; `RawOperation` sends it as given.
    #[test]
    fn a_character_outside_the_id_set_is_refused_with_its_position(
        valid in prop::collection::vec(id_char(), 0..40).prop_map(String::from_iter),
        bad in refused_char(),
        at in any::<prop::sample::Index>(),
        tail in prop::collection::vec(prop_oneof![id_char(), refused_char()], 0..8).prop_map(String::from_iter),
    ) {
        let split = at.index(valid.chars().count() + 1);
        let head: String = valid.chars().take(split).collect();
        let id = format!("{head}{bad}{}{tail}", valid.chars().skip(split).collect::<String>());
        let problem = Problem::Character { character: bad, position: split + 1 };
        prop_assert_eq!(character_problem(&id), Some((bad, split + 1)));

        assert_err(ForbidRtcStream::new(id.clone()), "StreamId", None, &problem)?;
        assert_err(ResumeRtcStream::new(id.clone()), "StreamId", None, &problem)?;
        assert_err(DescribeRtcStreamState::new(id.clone()), "StreamId", None, &problem)?;
        assert_err(ForbidCdnLiveStream::new(id.clone()), "StreamId", None, &problem)?;
        assert_err(ForbidRtcStreams::new(["ok", id.as_str()]), "StreamId[]", Some(1), &problem)?;
        assert_err(ResumeRtcStreams::new([id.as_str()]), "StreamId[]", Some(0), &problem)?;
        assert_err(DelForbidStreamRule::new("r", id.clone()), "StreamId", None, &problem)?;
        assert_err(DelForbidStreamRule::new(id.clone(), "s"), "RoomId", None, &problem)?;
        if id.len() <= 64 {
            assert_err(UserRuleTarget::user(id.clone()), "UserId", None, &problem)?;
            assert_err(UserRuleTarget::room_user("r", id.clone()), "UserId", None, &problem)?;
        }
        // The batcher uses the same check.
        let batches = zego_proto::bulk::StreamBatches::new(std::iter::empty(), AppId::new(7), Environment::Test);
        let refused = batches.check(&id).unwrap_err();
        prop_assert_eq!(refused.problem(), &problem);
        // A raw operation sends it as it is.
        let raw = RawOperation::new("ForbidRTCStream").unwrap().param("StreamId", id.clone());
        prop_assert!(raw.is_ok());
        let message = ForbidRtcStream::new(id.clone()).unwrap_err().to_string();
        prop_assert!(message.contains(&format!("U+{:04X}", u32::from(bad))), "{}", message);
        prop_assert!(message.contains(&format!(" at position {} ", split + 1)), "{}", message);
        // The message never carries a refused control or non-ASCII character itself.
        if !bad.is_ascii() || bad.is_ascii_control() {
            prop_assert!(!message.contains(bad), "{:?}", message);
        }
    }

    #[test]
    fn user_and_room_ids_have_their_lengths(n in 1usize..300) {
        let id = "u".repeat(n);
        let room = DelForbidStreamRule::new(id.clone(), "s");
        let user = UserRuleTarget::user(id.clone());
        if n <= 128 {
            prop_assert!(room.is_ok());
        } else {
            assert_err(room, "RoomId", None, &Problem::TooLong { max_bytes: 128, actual: n })?;
        }
        if n <= 64 {
            prop_assert!(user.is_ok());
        } else {
            assert_err(user, "UserId", None, &Problem::TooLong { max_bytes: 64, actual: n })?;
        }
    }

    #[test]
    fn effective_times_outside_1_to_86400_are_out_of_range(
        secs in prop_oneof![Just(0u64), Just(86_401u64), 86_401u64..10_000_000, any::<u64>()],
    ) {
        prop_assume!(secs == 0 || secs > 86_400);
        let expected = Problem::OutOfRange {
            min: 1,
            max: 86_400,
            actual: i64::try_from(secs).unwrap_or(i64::MAX),
        };
        assert_err(EffectiveTime::new(secs), "EffectiveTime", None, &expected)?;
        assert_err(
            EffectiveTime::from_duration(Duration::from_secs(secs)),
            "EffectiveTime",
            None,
            &expected,
        )?;
        let clamped = EffectiveTime::saturating(secs).as_secs();
        prop_assert_eq!(clamped, if secs == 0 { 1 } else { 86_400 });
    }

    #[test]
    fn user_rule_targets_need_exactly_their_fields(
        (rule_type, ip, room, user) in user_fields(
            prop_oneof![
                Just(String::new()),
                "[a-z0-9]{1,8}",
                Just("10.0.0.1".to_owned()),
                Just("::1".to_owned()),
            ]
            .boxed()
        ),
    ) {
        let result = UserRuleTarget::from_fields(rule_type, ip.clone(), room.clone(), user.clone());
        if !(1..=4).contains(&rule_type) {
            return assert_err(
                result,
                "RuleType",
                None,
                &Problem::OutOfRange { min: 1, max: 4, actual: rule_type },
            );
        }
        let wanted: &[&str] = match rule_type {
            1 => &["IP"],
            2 => &["RoomId"],
            3 => &["UserId"],
            _ => &["RoomId", "UserId"],
        };
        // Every error this input deserves; the one reported must be among them.
        let mut acceptable: Vec<(&str, Problem)> = Vec::new();
        for (field, value) in [("IP", &ip), ("RoomId", &room), ("UserId", &user)] {
            let needed = wanted.contains(&field);
            match value {
                Some(_) if !needed => acceptable.push((
                    field,
                    Problem::Invalid { expected: "no value: this RuleType does not use it" },
                )),
                None if needed => acceptable.push((field, Problem::Empty)),
                Some(v) if v.is_empty() => acceptable.push((field, Problem::Empty)),
                Some(v) if field == "IP" && v.parse::<std::net::IpAddr>().is_err() => acceptable
                    .push((field, Problem::Invalid { expected: "an IPv4 or IPv6 address" })),
                Some(v) if field != "IP" => {
                    if let Some((character, position)) = character_problem(v) {
                        acceptable.push((field, Problem::Character { character, position }));
                    }
                }
                _ => {}
            }
        }
        match result {
            Ok(target) => {
                prop_assert!(acceptable.is_empty(), "accepted {:?} despite {:?}", target, acceptable);
                prop_assert_eq!(i64::from(target.rule_type().code()), rule_type);
                let expected = match rule_type {
                    1 => UserRuleTarget::ip(ip.unwrap()).unwrap(),
                    2 => UserRuleTarget::room(room.unwrap()).unwrap(),
                    3 => UserRuleTarget::user(user.unwrap()).unwrap(),
                    _ => UserRuleTarget::room_user(room.unwrap(), user.unwrap()).unwrap(),
                };
                prop_assert_eq!(target, expected);
            }
            Err(e) => {
                prop_assert!(e.index().is_none());
                prop_assert!(
                    acceptable.iter().any(|(f, p)| *f == e.field() && p == e.problem()),
                    "{:?} is not one of {:?}", e, acceptable
                );
            }
        }
    }

    #[test]
    fn raw_operations_refuse_reserved_and_malformed_names(
        reserved in prop::sample::select(RESERVED.to_vec()),
        case_mask in any::<u64>(),
        action in any_text(),
        key in any_text(),
    ) {
        // Any capitalisation of a reserved name is refused.
        let spelled: String = reserved
            .chars()
            .enumerate()
            .map(|(i, c)| if (case_mask >> (i % 64)) & 1 == 1 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
            .collect();
        let op = RawOperation::new("Act").unwrap();
        assert_err(op.clone().param(spelled, "v"), "parameter name", None, &Problem::Reserved)?;
        assert_err(op.clone().param("", "v"), "parameter name", None, &Problem::Empty)?;
        assert_err(
            op.clone().param("Sequence", "1"),
            "Sequence",
            None,
            &Problem::Invalid { expected: "a Sequence given with RawOperation::sequence or RawOperation::stamped_sequence" },
        )?;
        // Other keys are accepted verbatim.
        let reserved_key = RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&key));
        if !key.is_empty() && !reserved_key && key != "Sequence" {
            let op = op.param(key.clone(), "v").unwrap();
            prop_assert_eq!(op.params(), &[(key, "v".to_owned())][..]);
        }
        // Action names: ASCII letters and digits only.
        let result = RawOperation::new(action.clone());
        if action.is_empty() {
            assert_err(result, "Action", None, &Problem::Empty)?;
        } else if action.bytes().all(|b| b.is_ascii_alphanumeric()) {
            let op = result.unwrap();
            prop_assert_eq!(op.action(), action.as_str());
        } else {
            assert_err(result, "Action", None, &Problem::Invalid { expected: "ASCII letters and digits" })?;
        }
    }
}

#[test]
fn nothing_disabled_and_no_privileges_are_refused() {
    let err = MediaBan::from_flags(false, false).unwrap_err();
    assert_eq!(err.field(), "DisableAudio/DisableVideo");
    assert_eq!(err.problem(), &Problem::NothingDisabled);
    assert_eq!(err.index(), None);
    let err = SetForbidUserRule::new(
        UserRuleTarget::user("u").unwrap(),
        [],
        EffectiveTime::default(),
    )
    .unwrap_err();
    assert_eq!(
        (err.field(), err.problem()),
        ("DisabledPrivilege[]", &Problem::Empty)
    );
    for code in [0, 5, -1, i64::MAX, i64::MIN] {
        let err = UserRuleType::from_code(code).unwrap_err();
        assert_eq!(err.field(), "RuleType");
        assert_eq!(
            err.problem(),
            &Problem::OutOfRange {
                min: 1,
                max: 4,
                actual: code
            }
        );
    }
    for code in 1..=4 {
        assert_eq!(
            i64::from(UserRuleType::from_code(code).unwrap().code()),
            code
        );
    }
}

// ---------------------------------------------------------------------------------------
// Responses and return codes
// ---------------------------------------------------------------------------------------

/// One value of every operation type, for parsing.
struct AllOps {
    forbid_batch: ForbidRtcStreams,
    resume_batch: ResumeRtcStreams,
    forbid: ForbidRtcStream,
    resume: ResumeRtcStream,
    set_stream_rule: SetForbidStreamRule,
    describe_stream_rules: DescribeForbidStreamRules,
    del_stream_rule: DelForbidStreamRule,
    forbid_cdn: ForbidCdnLiveStream,
    resume_cdn: ResumeCdnLiveStream,
    query_cdn: QueryForbidCdnLiveStream,
    stream_state: DescribeRtcStreamState,
    set_user_rule: SetForbidUserRule,
    describe_user_rules: DescribeForbidUserRules,
    del_user_rule: DelForbidUserRule,
    raw: RawOperation,
}

impl AllOps {
    fn new() -> Self {
        let seq = Sequence::new(1);
        Self {
            forbid_batch: ForbidRtcStreams::new(["a"]).unwrap().with_sequence(seq),
            resume_batch: ResumeRtcStreams::new(["a"]).unwrap().with_sequence(seq),
            forbid: ForbidRtcStream::new("a").unwrap().with_sequence(seq),
            resume: ResumeRtcStream::new("a").unwrap().with_sequence(seq),
            set_stream_rule: SetForbidStreamRule::new(
                "r",
                "a",
                MediaBan::Audio,
                EffectiveTime::default(),
            )
            .unwrap(),
            describe_stream_rules: DescribeForbidStreamRules::new("r", ["a"]).unwrap(),
            del_stream_rule: DelForbidStreamRule::new("r", "a").unwrap(),
            forbid_cdn: ForbidCdnLiveStream::new("a").unwrap(),
            resume_cdn: ResumeCdnLiveStream::new("a").unwrap(),
            query_cdn: QueryForbidCdnLiveStream::default(),
            stream_state: DescribeRtcStreamState::new("a").unwrap().with_sequence(seq),
            set_user_rule: SetForbidUserRule::new(
                UserRuleTarget::user("u").unwrap(),
                [DisabledPrivilege::Login],
                EffectiveTime::default(),
            )
            .unwrap(),
            describe_user_rules: DescribeForbidUserRules::new(UserRuleType::Room),
            del_user_rule: DelForbidUserRule::new(UserRuleTarget::room("r").unwrap()),
            raw: RawOperation::new("Anything").unwrap(),
        }
    }

    /// Parses `response` for every operation and checks `check` on each result, with
    /// the `Data` turned into a debug string.
    fn each(
        &self,
        response: &HttpResponse,
        mut check: impl FnMut(&str, Result<String, ResponseError>) -> Result<(), TestCaseError>,
    ) -> Result<(), TestCaseError> {
        fn one<O: Operation>(
            op: &O,
            response: &HttpResponse,
        ) -> (String, Result<String, ResponseError>)
        where
            O::Output: std::fmt::Debug,
        {
            (
                op.action().to_owned(),
                parse_response(op, response).map(|r| format!("{:?}", r.data)),
            )
        }
        for (action, result) in [
            one(&self.forbid_batch, response),
            one(&self.resume_batch, response),
            one(&self.forbid, response),
            one(&self.resume, response),
            one(&self.set_stream_rule, response),
            one(&self.describe_stream_rules, response),
            one(&self.del_stream_rule, response),
            one(&self.forbid_cdn, response),
            one(&self.resume_cdn, response),
            one(&self.query_cdn, response),
            one(&self.stream_state, response),
            one(&self.set_user_rule, response),
            one(&self.describe_user_rules, response),
            one(&self.del_user_rule, response),
            one(&self.raw, response),
        ] {
            check(&action, result)?;
        }
        Ok(())
    }
}

/// Arbitrary JSON.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        prop::sample::select(vec![
                            "RoomId",
                            "ForbidStreamRuleList",
                            "StreamId",
                            "DisableAudio",
                            "DisableVideo",
                            "CreateTime",
                            "EffectiveTime",
                            "CdnType",
                            "CdnResult",
                            "Ws",
                            "ResultDetail",
                            "Channel",
                            "Url",
                            "StartTime",
                            "EndTime",
                            "create_time",
                            "close_time",
                            "ExpireTime",
                            "RuleList",
                            "RuleType",
                            "IP",
                            "UserId",
                            "DisabledPrivilegeList",
                        ])
                        .prop_map(str::to_owned),
                        any_text(),
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Data shaped like the documented answers, with every scalar of any JSON type.
fn shaped_data() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::json;
    let scalar = || {
        prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(|n| serde_json::Value::String(n.to_string())),
            any_text().prop_map(serde_json::Value::String),
        ]
    };
    prop_oneof![
        prop::collection::vec((scalar(), scalar(), scalar(), scalar(), scalar()), 0..4).prop_map(
            |rules| json!({"RoomId": "r", "ForbidStreamRuleList": rules.into_iter().map(|(s, a, v, c, e)| json!({
                "StreamId": s, "DisableAudio": a, "DisableVideo": v, "CreateTime": c, "EffectiveTime": e
            })).collect::<Vec<_>>()})
        ),
        prop::collection::vec((scalar(), scalar()), 0..4).prop_map(|r| serde_json::Value::Array(
            r.into_iter()
                .map(|(t, x)| json!({"CdnType": t, "CdnResult": x}))
                .collect()
        )),
        prop::collection::vec((scalar(), scalar(), scalar(), scalar()), 0..4).prop_map(|d| json!({
            "Ws": {"ResultDetail": d.into_iter().map(|(c, u, s, e)| json!({
                "Channel": c, "Url": u, "StartTime": s, "EndTime": e
            })).collect::<Vec<_>>()}
        })),
        (scalar(), scalar()).prop_map(|(c, x)| json!({"create_time": c, "close_time": x})),
        scalar().prop_map(|e| json!({"ExpireTime": e})),
        prop::collection::vec(
            (scalar(), scalar(), scalar(), prop::collection::vec(scalar(), 0..3), scalar()),
            0..3
        )
        .prop_map(|r| json!({"RuleList": r.into_iter().map(|(t, ip, u, p, e)| json!({
            "RuleType": t, "IP": ip, "RoomId": "r", "UserId": u, "DisabledPrivilegeList": p, "ExpireTime": e
        })).collect::<Vec<_>>()})),
    ]
}

#[derive(Debug, Clone)]
enum DataField {
    Absent,
    Json(serde_json::Value),
    Garbage(String),
}

fn envelope(
    code: i64,
    message: &serde_json::Value,
    request_id: &serde_json::Value,
    data: &DataField,
) -> String {
    let mut body = format!(r#"{{"Code":{code},"Message":{message},"RequestId":{request_id}"#);
    match data {
        DataField::Absent => {}
        DataField::Json(v) => write!(body, r#","Data":{v}"#).unwrap(),
        DataField::Garbage(g) => write!(body, r#","Data":{g}"#).unwrap(),
    }
    body.push('}');
    body
}

fn code_strategy() -> impl Strategy<Value = i64> {
    prop_oneof![
        2 => Just(0i64),
        2 => prop::sample::select(ReturnCode::TABLE.iter().map(|row| row.1).collect::<Vec<_>>()),
        1 => any::<i64>(),
        1 => i64::from(u32::MAX)..i64::MAX,
    ]
}

fn data_field() -> impl Strategy<Value = DataField> {
    prop_oneof![
        Just(DataField::Absent),
        Just(DataField::Json(serde_json::Value::Null)),
        json_value().prop_map(DataField::Json),
        shaped_data().prop_map(DataField::Json),
        any_text().prop_map(DataField::Garbage),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes never panic; what is not an envelope says so, with a bounded snippet.
    #[test]
    fn arbitrary_bodies_never_panic(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..600),
            any_text().prop_map(String::into_bytes),
        ],
        status in any::<u16>(),
    ) {
        let ops = AllOps::new();
        let response = HttpResponse::new(status, body.clone());
        let is_json_object = serde_json::from_slice::<serde_json::Value>(&body)
            .is_ok_and(|v| v.get("Code").is_some_and(serde_json::Value::is_i64));
        ops.each(&response, |action, result| {
            if let Err(ResponseError::NotAnEnvelope { status: s, snippet }) = &result {
                prop_assert_eq!(*s, status);
                // At most BODY_SNIPPET_BYTES bytes of the body (each lossily decoded to one
                // character at most), plus an ellipsis when cut.
                prop_assert!(snippet.chars().count() <= BODY_SNIPPET_BYTES + 1, "{}", snippet.len());
                if let Ok(text) = std::str::from_utf8(&body) {
                    if text.len() <= BODY_SNIPPET_BYTES {
                        prop_assert_eq!(snippet, text);
                    } else {
                        // Cut on a character boundary, as close to the limit as possible.
                        let shown = snippet.strip_suffix('…').expect("a cut snippet ends with …");
                        prop_assert!(text.starts_with(shown), "{:?} is not a prefix", snippet);
                        prop_assert!(shown.len() <= BODY_SNIPPET_BYTES && shown.len() + 4 > BODY_SNIPPET_BYTES);
                    }
                }
            } else {
                prop_assert!(is_json_object, "{}: {:?}", action, result);
            }
            Ok(())
        })?;
    }

    /// Arbitrary envelopes: a non-zero code is always an API error carrying that code;
    /// code 0 is never one.
    #[test]
    fn arbitrary_envelopes_never_panic(
        code in code_strategy(),
        message in prop_oneof![
            any_text().prop_map(serde_json::Value::String),
            any::<i64>().prop_map(serde_json::Value::from),
            Just(serde_json::Value::Null),
        ],
        request_id in prop_oneof![
            "[0-9]{0,19}".prop_map(serde_json::Value::String),
            any::<u64>().prop_map(serde_json::Value::from),
        ],
        data in data_field(),
        status in prop_oneof![Just(200u16), any::<u16>()],
    ) {
        let ops = AllOps::new();
        let body = envelope(code, &message, &request_id, &data);
        let response = HttpResponse::new(status, body.clone());
        let valid_json = serde_json::from_str::<serde_json::Value>(&body).is_ok();
        ops.each(&response, |action, result| {
            if !valid_json || matches!(data, DataField::Garbage(_)) {
                // Garbage may or may not make the body invalid JSON; either way no panic,
                // and an unparsable body is reported as such.
                if !valid_json {
                    prop_assert!(
                        matches!(result, Err(ResponseError::NotAnEnvelope { .. })),
                        "{}: {:?}", action, result
                    );
                }
                if matches!(result, Err(ResponseError::NotAnEnvelope { .. })) {
                    return Ok(());
                }
            }
            match (code, &result) {
                (0, Err(ResponseError::Api(e))) => {
                    return Err(TestCaseError::fail(format!("{action}: code 0 gave {e:?}")));
                }
                (0, Ok(_) | Err(ResponseError::Data { .. })) => {}
                (_, Err(ResponseError::Api(e))) => {
                    prop_assert_eq!(e.code.code(), code);
                    prop_assert_eq!(e.code, ReturnCode::from_code(code));
                    prop_assert_eq!(e.http_status, status);
                    prop_assert_eq!(e.class(), ReturnCode::from_code(code).class());
                    let shown = e.to_string();
                    prop_assert!(shown.contains(&code.to_string()), "{}", shown);
                }
                (_, other) => {
                    return Err(TestCaseError::fail(format!("{action}: code {code} gave {other:?}")));
                }
            }
            Ok(())
        })?;
    }

    /// Documented Data shapes with scalars of any JSON type parse or fail cleanly; those
    /// that do parse never lose the RequestId.
    #[test]
    fn shaped_data_never_panics(data in shaped_data(), id in "[0-9]{1,19}") {
        let ops = AllOps::new();
        let body = envelope(0, &serde_json::json!("ok"), &serde_json::json!(id), &DataField::Json(data));
        ops.each(&HttpResponse::new(200, body), |action, result| {
            match result {
                Ok(_) => {}
                Err(ResponseError::Data { request_id, source }) => {
                    prop_assert_eq!(&request_id, &id);
                    prop_assert!(source.to_string().contains(action), "{}", source);
                }
                Err(other) => return Err(TestCaseError::fail(format!("{action}: {other:?}"))),
            }
            Ok(())
        })?;
    }

    #[test]
    fn return_codes_round_trip(code in any::<i64>()) {
        let rc = ReturnCode::from_code(code);
        prop_assert_eq!(rc.code(), code);
        prop_assert_eq!(ReturnCode::from(code), rc);
        let known = ReturnCode::TABLE.iter().find(|row| row.1 == code);
        if let Some(&(variant, _, class, _)) = known {
            prop_assert_eq!(rc, variant);
            prop_assert_eq!(rc.class(), class);
        } else {
            prop_assert!(matches!(rc, ReturnCode::Unknown(u) if u.get() == code));
            prop_assert_eq!(rc.class(), ErrorClass::Other);
        }
        prop_assert_eq!(rc.is_success(), code == 0);
        prop_assert!(rc.to_string().starts_with(&code.to_string()));
    }
}

#[test]
fn every_table_code_round_trips() {
    for &(variant, code, class, _) in ReturnCode::TABLE {
        assert_eq!(ReturnCode::from_code(code), variant);
        assert_eq!(variant.code(), code);
        assert_eq!(variant.class(), class);
    }
}

// ---------------------------------------------------------------------------------------
// Sequences
// ---------------------------------------------------------------------------------------

#[test]
fn sequences_strictly_increase_under_concurrency() {
    const THREADS: u64 = 8;
    const PER_THREAD: usize = 2000;
    let generator = Arc::new(SequenceGenerator::new());
    let base: u64 = 1_700_000_000_000;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let generator = Arc::clone(&generator);
            std::thread::spawn(move || {
                let mut rng = SmallRng::seed_from_u64(t);
                let mut clock = base;
                let mut out = Vec::with_capacity(PER_THREAD);
                for _ in 0..PER_THREAD {
                    // The clock stands still, steps back, creeps or jumps.
                    match rng.random_range(0..4) {
                        0 => {}
                        1 => clock = clock.saturating_sub(rng.random_range(1..5_000)),
                        2 => clock += rng.random_range(1..3),
                        _ => clock += rng.random_range(100..10_000),
                    }
                    let seq = generator.next(clock);
                    assert!(seq.get() >= clock, "{seq} < reading {clock}");
                    out.push(seq.get());
                }
                out
            })
        })
        .collect();
    let per_thread: Vec<Vec<u64>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let mut all = HashSet::new();
    for seqs in &per_thread {
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "a thread saw its sequences go backwards"
        );
        for s in seqs {
            assert!(all.insert(*s), "sequence {s} handed out twice");
        }
    }
    assert_eq!(all.len(), per_thread.len() * PER_THREAD);
    assert_eq!(
        generator.last().map(Sequence::get),
        all.iter().max().copied()
    );
}

proptest! {
    #[test]
    fn sequences_strictly_increase_and_follow_the_clock(
        start in prop::option::of(0u64..(1 << 60)),
        readings in prop::collection::vec(
            prop_oneof![
                0u64..(1 << 60),
                1_699_999_990_000u64..1_700_000_010_000,
                Just(0u64),
            ],
            1..200
        ),
    ) {
        let generator = match start {
            Some(s) => SequenceGenerator::starting_after(Sequence::new(s)),
            None => SequenceGenerator::new(),
        };
        let mut previous = start;
        for now in readings {
            let seq = generator.next(now).get();
            prop_assert!(seq >= now, "{} < reading {}", seq, now);
            if let Some(p) = previous {
                prop_assert!(seq > p, "{} after {}", seq, p);
                // Never skips ahead needlessly: the reading, or one more than the last.
                prop_assert_eq!(seq, now.max(p + 1));
            }
            prop_assert_eq!(generator.last(), Some(Sequence::new(seq)));
            previous = Some(seq);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Rate limiting
// ---------------------------------------------------------------------------------------

fn group() -> impl Strategy<Value = RateLimitGroup> {
    prop::sample::select(vec![
        RateLimitGroup::StreamForbid,
        RateLimitGroup::Rules,
        RateLimitGroup::Cdn,
        RateLimitGroup::StreamState,
        RateLimitGroup::RoomKick,
        RateLimitGroup::RoomClose,
        RateLimitGroup::RoomStreams,
        RateLimitGroup::RoomStreamList,
        RateLimitGroup::RoomUserList,
        RateLimitGroup::RoomUsers,
        RateLimitGroup::RoomUserCount,
    ])
}

fn arrivals() -> impl Strategy<Value = Vec<Duration>> {
    prop::collection::vec(
        prop_oneof![
            3 => Just(0u64),
            3 => 0u64..60_000_000,
            2 => 0u64..400_000_000,
            1 => 0u64..3_000_000_000,
        ],
        1..150,
    )
    .prop_map(|gaps| {
        let mut t = Duration::from_secs(1000);
        gaps.into_iter()
            .map(|g| {
                t += Duration::from_nanos(g);
                t
            })
            .collect()
    })
}

/// The most requests in any half-open one-second window.
fn busiest_second(sends: &[Duration]) -> usize {
    let mut sorted = sends.to_vec();
    sorted.sort();
    (0..sorted.len())
        .map(|i| {
            sorted[i..]
                .iter()
                .take_while(|t| **t < sorted[i] + Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

fn schedule(
    limiter: &TokenBucketLimiter,
    key: RateLimitKey,
    arrivals: &[Duration],
) -> Vec<Duration> {
    arrivals
        .iter()
        .map(|now| *now + limiter.reserve(key, *now, None).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// ZEGO's quotas, burst 1: no one-second window ever holds more than the quota, and
    /// no request waits longer than it must.
    #[test]
    fn the_limiter_never_exceeds_the_quota_in_any_second(
        arrivals in arrivals(),
        group in group(),
        env in environment(),
    ) {
        let limiter = TokenBucketLimiter::default();
        let key = RateLimitKey { app_id: AppId::new(1), environment: env, group };
        let quota = Quotas::default().per_second(group, env).unwrap();
        let interval = Duration::from_secs(1) / quota;
        let sends = schedule(&limiter, key, &arrivals);
        prop_assert!(busiest_second(&sends) <= usize::try_from(quota).unwrap(), "{:?}", sends);
        // Exactly the earliest time allowed: evenly spaced, never earlier than arrival.
        let mut previous: Option<Duration> = None;
        for (arrival, send) in arrivals.iter().zip(&sends) {
            let earliest = previous.map_or(*arrival, |p| (*arrival).max(p + interval));
            prop_assert_eq!(*send, earliest);
            previous = Some(*send);
        }
        // Another app's bucket is untouched.
        let other = RateLimitKey { app_id: AppId::new(2), ..key };
        prop_assert_eq!(limiter.reserve(other, arrivals[0], None), Ok(Duration::ZERO));
    }

    /// Unmetered actions never wait.
    #[test]
    fn unmetered_never_waits(arrivals in arrivals(), env in environment()) {
        let limiter = TokenBucketLimiter::default();
        let key = RateLimitKey { app_id: AppId::new(1), environment: env, group: RateLimitGroup::Unmetered };
        for now in arrivals {
            prop_assert_eq!(limiter.reserve(key, now, None), Ok(Duration::ZERO));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any quota a caller configures, burst 1.
    #[test]
    fn the_limiter_never_exceeds_any_configured_quota(
        arrivals in arrivals(),
        quota in 1u32..=100,
    ) {
        let quotas = Quotas { rules: quota, ..Quotas::default() };
        let limiter = TokenBucketLimiter::new(quotas);
        let key = RateLimitKey {
            app_id: AppId::new(1),
            environment: Environment::Production,
            group: RateLimitGroup::Rules,
        };
        let sends = schedule(&limiter, key, &arrivals);
        prop_assert!(busiest_second(&sends) <= usize::try_from(quota).unwrap(), "quota {}: {:?}", quota, sends);
    }
}

#[test]
fn a_quota_of_three_allows_three_per_second() {
    let limiter = TokenBucketLimiter::new(Quotas {
        rules: 3,
        ..Quotas::default()
    });
    let key = RateLimitKey {
        app_id: AppId::new(1),
        environment: Environment::Production,
        group: RateLimitGroup::Rules,
    };
    let sends = schedule(&limiter, key, &[Duration::ZERO; 4]);
    // Today: [0, 333333333 ns, 666666666 ns, 999999999 ns].
    assert!(sends[3] >= Duration::from_secs(1), "{sends:?}");
}

// ---------------------------------------------------------------------------------------
// Retrying
// ---------------------------------------------------------------------------------------

fn failure() -> impl Strategy<Value = AttemptFailure> {
    prop::sample::select(vec![
        AttemptFailure::Answer(ErrorClass::Success),
        AttemptFailure::Answer(ErrorClass::RateLimited),
        AttemptFailure::Answer(ErrorClass::Transient),
        AttemptFailure::Answer(ErrorClass::Clock),
        AttemptFailure::Answer(ErrorClass::AuthOrConfig),
        AttemptFailure::Answer(ErrorClass::BadRequest),
        AttemptFailure::Answer(ErrorClass::NotFound),
        AttemptFailure::Answer(ErrorClass::Other),
        AttemptFailure::Connect,
        AttemptFailure::Interrupted,
        AttemptFailure::Timeout,
        AttemptFailure::Admission,
    ])
}

fn millis(max: u64) -> impl Strategy<Value = Duration> {
    (0..=max).prop_map(Duration::from_millis)
}

fn policy() -> impl Strategy<Value = RetryPolicy> {
    (
        (
            1u32..=12,
            millis(2_000),
            millis(5_000),
            millis(10_000),
            any::<bool>(),
        ),
        any::<[bool; 5]>(),
        prop::option::of(millis(60_000)),
        millis(20_000),
        millis(5_000),
    )
        .prop_map(
            |((max_attempts, base, rl_base, max_delay, jitter), on, deadline, window, margin)| {
                RetryPolicy {
                    max_attempts,
                    base_delay: base,
                    rate_limited_base_delay: rl_base,
                    max_delay,
                    jitter,
                    retry_on: RetryOn {
                        rate_limited: on[0],
                        transient: on[1],
                        clock: on[2],
                        connect: on[3],
                        interrupted: on[4],
                    },
                    deadline,
                    sequence_window: window,
                    sequence_margin: margin,
                    ..RetryPolicy::default()
                }
            },
        )
}

fn enabled(policy: &RetryPolicy, failure: AttemptFailure) -> bool {
    let on = policy.retry_on;
    match failure {
        AttemptFailure::Answer(ErrorClass::RateLimited) => on.rate_limited,
        AttemptFailure::Answer(ErrorClass::Transient) => on.transient,
        AttemptFailure::Answer(ErrorClass::Clock) => on.clock,
        AttemptFailure::Connect | AttemptFailure::Admission => on.connect,
        AttemptFailure::Interrupted | AttemptFailure::Timeout => on.interrupted,
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A retry never leaves before the server's `Retry-After`, and never after the
    /// deadline or (sequenced) the window; when the wait cannot fit, the call stops.
    #[test]
    fn retry_after_is_never_shortened_and_never_stretches_a_bound(
        policy in prop_oneof![Just(RetryPolicy::default()), policy()],
        sequenced in any::<bool>(),
        first_send in millis(10_000_000),
        failures in prop::collection::vec((failure(), millis(3_000), prop::option::of(millis(40_000))), 1..10),
        seed in any::<u64>(),
    ) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut state = policy.begin(first_send, sequenced);
        let last_safe = first_send + policy.sequence_window.saturating_sub(policy.sequence_margin);
        let mut now = first_send;
        for (failure, took, retry_after) in failures {
            now += took;
            match state.on_failure_not_before(failure, now, retry_after, &mut rng) {
                RetryDecision::RetryAfter(delay) => {
                    if let Some(asked) = retry_after {
                        prop_assert!(delay >= asked, "{:?} < Retry-After {:?}", delay, asked);
                    }
                    let send_at = now + delay;
                    if sequenced {
                        prop_assert!(send_at < last_safe);
                    }
                    if let Some(deadline) = policy.deadline {
                        prop_assert!(send_at < first_send + deadline);
                    }
                    // An attempt bounded by the policy still leaves the window open after it.
                    if let Some(bound) = state.attempt_timeout(send_at) {
                        if let Some(deadline) = policy.deadline {
                            prop_assert!(send_at + bound <= first_send + deadline);
                        }
                    }
                    now = send_at;
                }
                RetryDecision::Stop(StopReason::RetryAfterTooLate) => {
                    let asked = retry_after.expect("only a Retry-After stops for it");
                    let end = [
                        policy.deadline.map(|d| first_send + d),
                        sequenced.then_some(last_safe),
                    ];
                    prop_assert!(
                        end.iter().flatten().any(|end| now + asked >= *end),
                        "stopped though {:?} fits", asked
                    );
                    break;
                }
                RetryDecision::Stop(_) => break,
            }
        }
    }

    #[test]
    fn retries_respect_every_bound(
        policy in prop_oneof![Just(RetryPolicy::default()), policy()],
        sequenced in any::<bool>(),
        first_send in millis(10_000_000),
        failures in prop::collection::vec((failure(), millis(3_000)), 1..20),
        seed in any::<u64>(),
    ) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut state = policy.begin(first_send, sequenced);
        prop_assert_eq!(state.attempts(), 1);
        let last_safe = first_send + policy.sequence_window.saturating_sub(policy.sequence_margin);
        let mut now = first_send;
        let mut retries = 0u32;
        let mut clock_retries = 0u32;
        for (failure, took) in failures {
            now += took;
            let attempts_before = state.attempts();
            let decision = state.on_failure(failure, now, &mut rng);
            match decision {
                RetryDecision::RetryAfter(delay) => {
                    retries += 1;
                    prop_assert!(enabled(&policy, failure), "retried {:?} under {:?}", failure, policy.retry_on);
                    prop_assert!(delay <= policy.max_delay, "{:?} > {:?}", delay, policy.max_delay);
                    prop_assert!(state.attempts() <= policy.max_attempts);
                    prop_assert_eq!(state.attempts(), attempts_before + 1);
                    let send_at = now + delay;
                    if sequenced {
                        prop_assert!(send_at < last_safe, "sends at {:?}, window closes {:?}", send_at, last_safe);
                    }
                    if let Some(deadline) = policy.deadline {
                        prop_assert!(send_at < first_send + deadline);
                    }
                    if failure == AttemptFailure::Answer(ErrorClass::Clock) {
                        clock_retries += 1;
                        prop_assert!(clock_retries <= 1, "a clock error was retried twice");
                        prop_assert_eq!(delay, Duration::ZERO);
                    } else {
                        // Exponential backoff from the class's base, capped, with equal jitter.
                        let base = if failure == AttemptFailure::Answer(ErrorClass::RateLimited) {
                            policy.rate_limited_base_delay
                        } else {
                            policy.base_delay
                        };
                        let shift = (attempts_before - 1).min(30);
                        let full = base.saturating_mul(1 << shift).min(policy.max_delay);
                        if policy.jitter {
                            prop_assert!(delay >= full / 2 && delay <= full, "{:?} vs {:?}", delay, full);
                        } else {
                            prop_assert_eq!(delay, full);
                        }
                    }
                    now = send_at;
                }
                RetryDecision::Stop(reason) => {
                    prop_assert_eq!(state.attempts(), attempts_before);
                    if !enabled(&policy, failure) {
                        prop_assert_eq!(reason, StopReason::NotRetryable);
                    }
                    if reason == StopReason::SequenceWindowClosing {
                        prop_assert!(sequenced);
                    }
                    if reason == StopReason::AttemptsExhausted {
                        prop_assert_eq!(state.attempts(), policy.max_attempts);
                    }
                    prop_assert_ne!(reason, StopReason::BudgetExhausted);
                    break;
                }
            }
        }
        prop_assert!(retries < policy.max_attempts);
        prop_assert_eq!(state.attempts(), retries + 1);
    }

    /// Classes that cannot succeed on a retry stop at once, whatever the policy.
    #[test]
    fn non_retryable_classes_always_stop(
        policy in policy(),
        sequenced in any::<bool>(),
        class in prop::sample::select(vec![
            ErrorClass::Success,
            ErrorClass::AuthOrConfig,
            ErrorClass::BadRequest,
            ErrorClass::NotFound,
            ErrorClass::Other,
        ]),
        before in prop::collection::vec(failure(), 0..4),
        seed in any::<u64>(),
    ) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut state = policy.begin(Duration::ZERO, sequenced);
        for f in before {
            if let RetryDecision::Stop(_) = state.on_failure(f, Duration::ZERO, &mut rng) {
                break;
            }
        }
        prop_assert_eq!(
            state.on_failure(AttemptFailure::Answer(class), Duration::ZERO, &mut rng),
            RetryDecision::Stop(StopReason::NotRetryable)
        );
        prop_assert!(!class.is_retryable());
    }
}

#[test]
fn never_means_never() {
    let policy = RetryPolicy::never();
    let mut rng = SmallRng::seed_from_u64(0);
    for f in [
        AttemptFailure::Answer(ErrorClass::Transient),
        AttemptFailure::Answer(ErrorClass::RateLimited),
        AttemptFailure::Connect,
        AttemptFailure::Timeout,
        AttemptFailure::Admission,
    ] {
        let mut state = policy.begin(Duration::ZERO, false);
        assert_eq!(
            state.on_failure(f, Duration::ZERO, &mut rng),
            RetryDecision::Stop(StopReason::AttemptsExhausted)
        );
    }
}

#[test]
fn prepare_draws_its_nonce_from_the_given_rng() {
    // Same seed, same nonce: `prepare` uses the rng it is given and nothing else.
    let op = ForbidRtcStream::new("s")
        .unwrap()
        .with_sequence(Sequence::new(1));
    let creds = Credentials::new(1u32, SECRET).unwrap();
    let a = prepare(
        &op,
        &Config::default(),
        &creds,
        1,
        &mut SmallRng::seed_from_u64(5),
    )
    .unwrap();
    let b = prepare(
        &op,
        &Config::default(),
        &creds,
        1,
        &mut SmallRng::seed_from_u64(5),
    )
    .unwrap();
    assert_eq!(a.url(), b.url());
}

#[test]
fn sequenced_operations_prepared_without_a_sequence_are_refused() {
    // Outside a client nothing stamps a Sequence: `prepare` refuses rather than send none.
    let creds = Credentials::new(1u32, SECRET).unwrap();
    let config = Config::default();
    let refused = |result: Result<zego_proto::wire::HttpRequest, ValidationError>| {
        let err = result.unwrap_err();
        assert_eq!(err.field(), "Sequence");
        assert!(matches!(err.problem(), Problem::Invalid { .. }), "{err:?}");
    };
    let nonce = nonce_of([0; 8]);
    refused(prepare_with_nonce(
        &ForbidRtcStreams::new(["s"]).unwrap(),
        &config,
        &creds,
        1,
        nonce,
    ));
    refused(prepare_with_nonce(
        &ResumeRtcStreams::new(["s"]).unwrap(),
        &config,
        &creds,
        1,
        nonce,
    ));
    refused(prepare_with_nonce(
        &ForbidRtcStream::new("s").unwrap(),
        &config,
        &creds,
        1,
        nonce,
    ));
    refused(prepare_with_nonce(
        &ResumeRtcStream::new("s").unwrap(),
        &config,
        &creds,
        1,
        nonce,
    ));
    refused(prepare_with_nonce(
        &DescribeRtcStreamState::new("s").unwrap(),
        &config,
        &creds,
        1,
        nonce,
    ));
    let raw = RawOperation::new("ForbidRTCStream")
        .unwrap()
        .stamped_sequence();
    assert_eq!(raw.sequencing(), Sequencing::Stamped(&[]));
    refused(prepare_with_nonce(&raw, &config, &creds, 1, nonce));
    // With one given, the same operation prepares.
    let op = ForbidRtcStream::new("s")
        .unwrap()
        .with_sequence(Sequence::new(7));
    let request = prepare_with_nonce(&op, &config, &creds, 1, nonce).unwrap();
    assert!(decode_query(request.url())
        .unwrap()
        .contains(&("Sequence".into(), "7".into())));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Per-room quotas: requests of many rooms at once (enough to saturate the AppId's
    /// quota) never put two requests for one room closer than the room's spacing, never
    /// put more than the AppId's quota into any second, and never leave before arriving.
    #[test]
    fn per_room_bookings_keep_the_room_and_the_app_quota(
        arrivals in arrivals(),
        rooms in prop::collection::vec(0u16..300, 150),
        user_list in any::<bool>(),
    ) {
        let group = if user_list { RateLimitGroup::RoomUserList } else { RateLimitGroup::RoomStreamList };
        let limiter = TokenBucketLimiter::default();
        let quotas = Quotas::default();
        let key = RateLimitKey { app_id: AppId::new(1), environment: Environment::Production, group };
        let spacing = quotas.room_spacing(group).unwrap();
        let quota = quotas.per_second(group, Environment::Production).unwrap();
        let mut sends = Vec::new();
        let mut by_room: std::collections::HashMap<u16, Vec<Duration>> = std::collections::HashMap::new();
        for (arrival, room) in arrivals.iter().zip(&rooms) {
            let wait = limiter.reserve_in_room(key, &format!("r{room}"), *arrival, None).unwrap();
            let send = *arrival + wait;
            sends.push(send);
            by_room.entry(*room).or_default().push(send);
        }
        prop_assert!(busiest_second(&sends) <= usize::try_from(quota).unwrap());
        for times in by_room.values_mut() {
            times.sort();
            for pair in times.windows(2) {
                prop_assert!(pair[1].saturating_sub(pair[0]) >= spacing, "{:?}", pair);
            }
        }
    }
}
