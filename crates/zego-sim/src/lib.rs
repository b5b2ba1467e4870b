//! # zego-sim: a ZEGO server-API simulator on a real loopback HTTP server
//!
//! `zego-sim` answers the stream-forbid family of the ZEGO server API (`GET /?Action=...`) the way
//! the spec (`docs/spec/zego-server-api.md` in the repository) and ZEGO's pages describe it: the gateway's
//! signature checks, all twenty-two actions (the forbid family and the room moderation actions) with their parameter limits and codes, per-app state,
//! the `Sequence` rule, rate limits and deterministic fault injection. Point a staging service or
//! a test at [`SimHandle::base_url`]. It is implemented independently of `zego-proto`, so that it
//! cross-checks the SDK.
//!
//! ```
//! use md5::{Digest, Md5};
//! use std::io::{Read, Write};
//! use zego_sim::{Env, SimClock, Simulator};
//!
//! let sim = Simulator::builder()
//!     .app(1234567890, "0123456789abcdef0123456789abcdef")
//!     .clock(SimClock::manual(1_700_000_000_000))
//!     .start()?;
//! // Signature = md5(AppId ‖ SignatureNonce ‖ ServerSecret ‖ Timestamp), lower-case hex.
//! let sig: String = Md5::digest(
//!     b"1234567890a1b2c3d4e5f607180123456789abcdef0123456789abcdef1700000000",
//! )
//! .iter()
//! .map(|b| format!("{b:02x}"))
//! .collect();
//! let path = format!(
//!     "/?Action=ForbidRTCStream&StreamId=s1&Sequence=1&AppId=1234567890\
//!      &SignatureNonce=a1b2c3d4e5f60718&Timestamp=1700000000&Signature={sig}&SignatureVersion=2.0"
//! );
//! let mut tcp = std::net::TcpStream::connect(sim.addr()).unwrap();
//! write!(tcp, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
//! let mut response = String::new();
//! tcp.read_to_string(&mut response).unwrap();
//! assert!(response.contains("\"Code\":0"));
//! assert!(sim.forbidden_rtc_streams(1234567890, Env::Production).contains("s1"));
//! # Ok::<(), zego_sim::SimError>(())
//! ```
//!
//! ## Request handling, in order
//!
//! 1. Only `/` serves the API, with `GET` or `POST` (the body of a POST is ignored; parameters come
//!    from the query string). `GET /_sim/health` answers `{"status":"ok"}`; `GET /_sim/state`
//!    answers the JSON array of every configured app's [`AppStateSnapshot`] in both
//!    environments (no secrets). The room control endpoints stand in for client SDKs (each
//!    takes `app_id`, optional with one app, and `env=production|test`; an app the simulator
//!    was not started with is answered 404, and a login or publish past the app's bound,
//!    `SimulatorBuilder::room_entries_per_app`, 507): `POST
//!    /_sim/rooms/{room}/users/{user}/login[?user_name=N&role=1|2|4]`, `POST
//!    /_sim/rooms/{room}/users/{user}/logout`, `POST
//!    /_sim/streams/{stream_id}/publish?room_id=R&user_id=U` (logs the user in as a host if
//!    needed, makes the stream live), `POST /_sim/streams/{stream_id}/close[?type=N]` (ends
//!    it: 404 if no room has it, 400 for a `type` that is not a decimal integer), `GET /_sim/rooms/{room}` (the [`Room`] as JSON, 404 if
//!    it has no users); bad input answers HTTP 400, a stream ID another user publishes 409.
//!    A login or publish a ban refuses answers 403 with `{"ok":false,"code":N,"message":...}`
//!    (see [`Refusal`]): a login covered by a user rule in force with privilege 1
//!    ([`LOGIN_FORBIDDEN_CODE`], our choice: ZEGO's pages give none), a publish of a stream
//!    ID forbidden on RTC or by a user covered by a rule with privilege 1 or 2
//!    ([`PUBLISH_FORBIDDEN_CODE`], 1003025). Rules lapse on the simulator's clock; type-1
//!    (IP) rules never match a stand-in client (it has no IP). At most 200 user rules per
//!    type (100 IP rules) may be in force: one more answers 50123.
//!    The same as library calls: [`SimHandle::login_user`], [`SimHandle::logout_user`],
//!    [`SimHandle::publish_stream`], [`SimHandle::close_stream`], [`SimHandle::room`]
//!    ([`SimHandle::try_login_user`] and [`SimHandle::try_publish_stream`] say why a ban
//!    refused). Other paths get HTTP 404, other methods on `/` HTTP 405 (plain text).
//! 2. The query string is decoded strictly: `%XX` escapes and `+` (as a space) are decoded; a
//!    malformed escape or non-UTF-8 result answers **Code 2**. `StreamId[]=` and `StreamId%5B%5D=`
//!    are the same key. A repeated scalar key: the first value wins.
//! 3. Gateway checks, each with its code: `Action` empty → 100000006; `AppId` missing or not a
//!    plain decimal u32 → 100000001; `Timestamp` empty → 100000002; not a decimal integer →
//!    100000003; `SignatureNonce` empty → 100000008; `Signature` empty → 100000009;
//!    `SignatureVersion` empty → 100000013; not `2.0` → 100000014; unknown AppId → 100000010;
//!    `|Timestamp − now| > 600 s` → 100000004 (exactly 600 s passes); signature mismatch →
//!    100000005; unknown action name (case-sensitive) → 100000007. The signature is compared in
//!    constant time (`subtle`) against the **lower-case** hex digest only: upper-case hex is
//!    rejected (the SDK never sends it; accepting only the canonical form catches one that would).
//!    Nonce reuse is not checked.
//! 4. `IsTest`: absent, empty or `false` → production; `true` → test (both case-insensitive);
//!    anything else → **30004**.
//! 5. Faults (see [`FaultPlan`]) are drawn only for requests that passed 1–4. A delay sleeps
//!    (real time, not the simulator clock) and then processing continues; every other fault
//!    answers instead of the action, which is then **not** applied and consumes no rate quota.
//! 6. Rule and CDN actions of an app added with
//!    [`SimulatorBuilder::app_without_rule_permission`] → **9**.
//! 7. Rate limit per AppId, environment and [`RateGroup`]: a token bucket whose burst equals the
//!    per-second quota and which refills continuously (`quota` tokens per second of the
//!    simulator clock): forbid/resume 20/s (test 5/s) → 30002; rule actions 10/s → 206; CDN
//!    20/s → 30002; `DescribeRTCStreamState` 40/s (test 10/s) → 30002; `KickoutUser` 50/s,
//!    `CloseRoom` 1/s, `DeleteStream` and `AddStream` 10/s each (test 1/s),
//!    `DescribeSimpleStreamList` 50/s, `DescribeUserList` 200/s, `DescribeUsers` 10/s,
//!    `DescribeUserNum` 10/s (test 1/s) → 206. Then the per-room quotas, per `RoomId`:
//!    `DescribeSimpleStreamList` 1 per 10 s and `DescribeUserList` 1 per second (a request
//!    less than 10 s / 1 s after the room's last admitted one) → **207**. A
//!    rejected-by-validation request still consumes a token.
//! 8. Parameter validation, then the operation.
//!
//! ## Actions and codes
//!
//! | Action | Validation → code | Success `Data` |
//! |---|---|---|
//! | `ForbidRTCStreams`, `ResumeRTCStreams` | `StreamId[]` missing, empty or > 20 → 30006; an ID empty or > 256 bytes → 30009; test env without `zegotest-<AppId>-` → 30004; `Sequence` missing/empty → 2 | `null` |
//! | `ForbidRTCStream`, `ResumeRTCStream` | `StreamId` missing/empty/> 256 bytes → 30009; prefix → 30004; `Sequence` → 2 | `null` |
//! | `DescribeRTCStreamState` | as the single forbid; stream never set through the API → **41004** | `{"create_time":"<n>","close_time":"<n or 0>"}` |
//! | `SetForbidStreamRule` | `RoomId`/`StreamId` missing or empty → 2; `StreamId` > 256 bytes → 3; prefix → 30004; `DisableAudio`/`DisableVideo` not `0`/`1` → 2 (absent = 0); both 0 → 2; `EffectiveTime` not an integer or < 1 → 2, > 86400 → clamped, absent → 21600 | absent |
//! | `DescribeForbidStreamRules` | `RoomId` → 2; `StreamId[]` and/or `StreamId` (both accepted, merged) empty or > 10 → 2; an ID empty → 2, > 256 bytes → 3; prefix → 30004 | `{"RoomId","ForbidStreamRuleList":[{"StreamId","DisableAudio","DisableVideo","CreateTime","EffectiveTime"}]}`, one entry per requested ID in request order, all numbers 0 for a stream without a rule |
//! | `DelForbidStreamRule` | as Set's `RoomId`/`StreamId` checks; deleting a missing rule succeeds | absent |
//! | `ForbidCDNLiveStream` | `StreamId` → 30009 / 30004; `ResumeTime` not exactly `YYYY-MM-DDTHH:MM:SSZ` or not in the future → 2 | `[{"CdnType":"ws","CdnResult":"success append purge tasks."}]` |
//! | `ResumeCDNLiveStream` | `StreamId` → 30009 / 30004 | `[{"CdnType":"ws","CdnResult":"Resume tasks added successfully."}]` |
//! | `QueryForbidCDNLiveStream` | `Vendor` other than `ws` → 2 | `{"Ws":{"ResultDetail":[{"Channel","Url","StartTime","EndTime"}]}}` |
//! | `SetForbidUserRule` | `RuleType` not 1..=4 → 2; the fields it needs (1 `IP`, 2 `RoomId`, 3 `UserId`, 4 `RoomId`+`UserId`) missing → 2; `DisabledPrivilege[]` empty or a value outside {1,2} → 2; `EffectiveTime` as for stream rules | `{"ExpireTime":<unix s>}` |
//! | `DescribeForbidUserRules` | `RuleType` absent → every rule; else not 1..=4 → 2 | `{"RuleList":[{"RuleType","IP","RoomId","UserId","DisabledPrivilegeList","ExpireTime"}]}` |
//! | `DelForbidUserRule` | as Set's `RuleType` and fields; deleting a missing rule succeeds | absent |
//! | `KickoutUser` | `RoomId` empty or a character outside section 7's set → 2, > 128 bytes → 3; `UserId[]` (or `UserId`) missing → 2, > 5 → **50011**, an ID bad → 2, > 64 bytes → 3; `CustomReason` (its text, once the caller's own URL-encoding is undone leniently: a `%` that starts no escape stays a `%`) > 256 bytes → 3, not UTF-8 → 2. The users leave the room, their streams close; a user not in the room is no error | absent |
//! | `CloseRoom` | `RoomId` as above; `CustomReason` as above; `RoomCloseCallback` not `true`/`false` → 2; a room without users → **5024**. Users and streams go, the streams close | absent |
//! | `DeleteStream` | `RoomId`, `UserId` as above; `StreamId` empty → 2, > 256 bytes → 3, test prefix → 30004; the stream not in the room under that user → **138**. The user stays | absent |
//! | `AddStream` | as `DeleteStream`; `StreamTitle` (encoded form) > 127 bytes → 3; `ExtraInfo` > 1024 bytes → 3; `CensorFlag` not 0/1 → 2; room without users → **50001**; the stream ID in the room under another user → **1012** | absent |
//! | `DescribeSimpleStreamList` | `RoomId` as above; an unknown room lists nothing | `{"StreamList":[{"StreamId","UserId","UserName","CreateTime" (ms),"StreamNumberId"}]}` in order of appearance |
//! | `DescribeUserList` | `RoomId` as above; `Mode` not 0/1 → 2; `Limit` not 0..=200 → 2 (0 or absent: 200); `Marker` not `<ms>-<UserId>` → 2 | `{"Marker","UserList":[{"UserId","UserName","UserRole"}]}` by login time; `Marker` is the last user's `<login ms>-<UserId>`, empty on the last page, so a page boundary holds while users come and go |
//! | `DescribeUsers` | `RoomId` as above; `UserId[]` 1..=10 (> 10 → 50011); room without users → **50001** | `{"UserStatusList":[{"UserId","Status" 0/1,"LoginTime" (ms, 0 if absent),"UserRole"}]}` |
//! | `DescribeUserNum` | `RoomId[]` (or `RoomId`) 1..=10 → else 2, each as above | `{"UserCountList":[{"RoomId","UserCount","AdminUserCount"}]}`; an unknown room counts 0 |
//!
//! Every answer is HTTP 200 with `{"Code","Message","RequestId","Data"}` (`RequestId`: 19 digits
//! from the seeded RNG); errors carry `"Data":null`; "absent" above means no `Data` member at all
//! (the spec says `Data` may be absent). Only injected HTTP faults use other statuses.
//!
//! ## Interpretations of the spec
//!
//! - **Sequence rule**: per (app, env, StreamId) the simulator remembers the last applied
//!   `Sequence` and when it was applied. Less than 10 s later (simulator clock), a forbid/resume
//!   whose `Sequence` is not strictly greater is **not applied**, yet answers Code 0 (ZEGO
//!   documents misordering, not an error); it is counted ([`SimHandle::sequence_rejections`], one
//!   per stream) and logged (`sequence_rejected: true`). From 10 s on any sequence is accepted.
//!   Sequences compare as integers when both parse as `i128`, else byte-wise
//!   (lexicographically). Forbid and resume share one sequence per stream; a batch applies per
//!   stream; an ID repeated within one batch is applied once. `DescribeRTCStreamState` requires
//!   `Sequence` but is a read and does not take part in the rule.
//! - Forbidding an unknown stream records it; resuming a stream that is not forbidden succeeds.
//! - `DescribeForbidStreamRules`' `EffectiveTime` is the configured duration in seconds (as the
//!   vendor example's 3600 suggests), after clamping; `CreateTime` is the Unix second of the last
//!   `SetForbidStreamRule`. Rules are keyed by (RoomId, StreamId); the last write wins and resets
//!   `CreateTime`. A rule lapses at `CreateTime + EffectiveTime` and then vanishes.
//! - User rules are keyed by (RuleType, IP, RoomId, UserId) using only the fields the type needs;
//!   `ExpireTime` = now + `EffectiveTime` (default 21600, > 86400 clamped, like stream rules);
//!   `DisabledPrivilege` may also be sent without brackets.
//! - CDN forbids: no `ResumeTime` means one day; a `ResumeTime` more than 30 days ahead is
//!   clamped to 30 days (WangSu's documented maximum). A forbid vanishes at its resume time.
//!   `QueryForbidCDNLiveStream` lists the forbids in force with `Channel`
//!   `publish.sim.zego.invalid`, `Url` `rtmp://publish.sim.zego.invalid/live/<StreamId>` and
//!   `StartTime`/`EndTime` as decimal Unix-second strings (WangSu's style).
//! - `DescribeRTCStreamState` reads the stream states set by [`SimHandle::set_stream_live`] /
//!   [`SimHandle::set_stream_closed`]: a live stream has `close_time` `"0"`; a closed stream
//!   still answers Code 0 with its `close_time`; a stream never set answers 41004.
//! - The test-environment prefix `zegotest-<AppId>-` is required of every stream ID of every
//!   action (30004), rule actions included.
//! - Rooms exist while they have users: the last user to leave (logout, kick) takes the
//!   room and its streams with it, as ZEGO's `DescribeUsers` page describes. A kicked user's
//!   streams, a deleted stream and a closed room's streams are closed for
//!   `DescribeRTCStreamState`.
//! - Permission (Code 9) covers the stream-rule, user-rule and CDN actions.
//!
//! ## Callbacks
//!
//! With [`SimulatorBuilder::callback_url`] and [`SimulatorBuilder::callback_secret`] the
//! simulator posts ZEGO's callbacks as JSON, every value a string (the URL lists arrays),
//! signed `sha1(concat(sort([CallbackSecret, timestamp, nonce])))` (spec section 6; this
//! crate's own signer): `stream_create` when a stream that was not in its room is published
//! ([`SimHandle::publish_stream`] or its control endpoint), `stream_close` when one ends, with
//! ZEGO's `type`: [`SimHandle::close_stream`] (the `type` given), `KickoutUser` 3, `CloseRoom`
//! 5, `DeleteStream` 100, a logout 0. `AddStream`, forbids (as the spec decides) and
//! [`SimHandle::set_stream_live`] / [`SimHandle::set_stream_closed`] send none. The
//! callback's `timestamp` is the simulator clock's; `room_session_id` is `"0"` (sessions are
//! not modelled).
//!
//! Delivery is one background thread working a queue, one attempt at a time, so nothing
//! waits on the receiver (the receiver may call the simulator back while it is handled). An
//! attempt fails without a 2xx answer (redirects are not followed), on a connection error or
//! after [`SimulatorBuilder::callback_timeout`] (real time); the same body is sent again
//! [`RETRY_DELAYS_SECS`] (2, 4, 8, 16, 32 s) after each failure, measured on the simulator's
//! clock, then the callback is dropped. Every attempt is in [`SimHandle::callback_log`]
//! ([`CallbackAttempt`]) and logged through `tracing`; the secret and the signature never are.
//! A callback URL whose host is not loopback is refused at start unless
//! [`SimulatorBuilder::allow_remote_callbacks`] says otherwise.
//!
//! ## Faults
//!
//! See [`FaultPlan`] and [`Fault`]; the text grammar is in [`FaultPlan`]'s `FromStr` docs
//! (module `faults`). Outcomes are deterministic for a given seed and request order.
//!
//! ## Observability
//!
//! [`SimHandle::request_log`], [`SimHandle::state`], the optional JSON-lines file
//! ([`SimulatorBuilder::request_log_path`], fields of [`LoggedRequest`]), `GET /_sim/state` and
//! `GET /_sim/health`. The `Signature` value is always logged as `<redacted>`; ServerSecrets are
//! never logged or exposed.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod actions;
mod builder;
mod callbacks;
mod clock;
mod codes;
mod control;
mod enforce;
mod engine;
mod env;
mod error;
pub mod faults;
#[doc(hidden)]
pub mod fuzzing;
mod gateway;
mod handle;
mod log;
mod query;
mod rate_limit;
mod rooms;
mod server;
mod state;

pub use actions::SUPPORTED_ACTIONS;
pub use builder::{Simulator, SimulatorBuilder, DEFAULT_REQUEST_LOG_CAPACITY};
pub use callbacks::{
    CallbackAttempt, CallbackOutcome, CALLBACK_LOG_CAPACITY, DEFAULT_CALLBACK_TIMEOUT,
    RETRY_DELAYS_SECS,
};
pub use clock::SimClock;
pub use enforce::{Refusal, LOGIN_FORBIDDEN_CODE, PUBLISH_FORBIDDEN_CODE};
pub use env::Env;
pub use error::SimError;
pub use faults::{Fault, FaultEntry, FaultPlan, FaultPlanParseError};
pub use handle::SimHandle;
pub use log::LoggedRequest;
pub use rate_limit::RateGroup;
pub use rooms::{Room, RoomMember, RoomStream};
pub use state::{AppStateSnapshot, CdnForbid, SequenceEntry, StreamRule, StreamState, UserRule};
