//! Return codes the simulator answers with, and their messages.

/// Success.
pub const OK: i64 = 0;
/// Failed (transient, retry).
pub const FAILED: i64 = 1;
/// Bad parameter.
pub const BAD_PARAM: i64 = 2;
/// Parameter too long (room service).
pub const PARAM_TOO_LONG: i64 = 3;
/// No permission for this interface (rule / CDN actions not enabled).
pub const NO_PERMISSION: i64 = 9;
/// Setting stream info failed (room service, transient).
pub const SET_STREAM_INFO_FAILED: i64 = 123;
/// Stream info does not exist (`DeleteStream` of a stream not in the room).
pub const STREAM_INFO_NOT_EXIST: i64 = 138;
/// Room QPS too high (a per-room quota).
pub const ROOM_QPS_LIMITED: i64 = 207;
/// Several users operate on the same stream (`AddStream` of another user's stream).
pub const STREAM_OTHER_USER: i64 = 1012;
/// Room does not exist (`CloseRoom`).
pub const ROOM_NOT_EXIST_CLOSE: i64 = 5024;
/// Too many live ban rules (`SetForbidUserRule` past its per-type cap).
pub const TOO_MANY_RULES: i64 = 50123;
/// Room does not exist (`DescribeUsers`, `AddStream`).
pub const ROOM_NOT_EXIST: i64 = 50001;
/// Too many users in the request (`KickoutUser`, `DescribeUsers`).
pub const TOO_MANY_USERS: i64 = 50011;
/// App QPS too high (room service).
pub const ROOM_RATE_LIMITED: i64 = 206;
/// Rate too high (media service).
pub const MEDIA_RATE_LIMITED: i64 = 30002;
/// Internal error (media service, transient).
pub const MEDIA_INTERNAL: i64 = 30003;
/// `IsTest` wrong (stream ID lacks the test prefix).
pub const IS_TEST_WRONG: i64 = 30004;
/// Invalid StreamId list.
pub const BAD_STREAM_LIST: i64 = 30006;
/// Invalid StreamId.
pub const BAD_STREAM_ID: i64 = 30009;
/// StreamId does not exist.
pub const STREAM_NOT_EXIST: i64 = 41004;
/// Batch forbid failed (transient).
pub const BATCH_FORBID_FAILED: i64 = 42003;

/// Gateway: AppId format.
pub const GW_APPID: i64 = 100_000_001;
/// Gateway: Timestamp empty.
pub const GW_TS_EMPTY: i64 = 100_000_002;
/// Gateway: Timestamp format.
pub const GW_TS_FORMAT: i64 = 100_000_003;
/// Gateway: signature expired.
pub const GW_EXPIRED: i64 = 100_000_004;
/// Gateway: invalid signature.
pub const GW_BAD_SIGNATURE: i64 = 100_000_005;
/// Gateway: Action empty.
pub const GW_ACTION_EMPTY: i64 = 100_000_006;
/// Gateway: unsupported Action.
pub const GW_UNSUPPORTED_ACTION: i64 = 100_000_007;
/// Gateway: SignatureNonce empty.
pub const GW_NONCE_EMPTY: i64 = 100_000_008;
/// Gateway: Signature empty.
pub const GW_SIGNATURE_EMPTY: i64 = 100_000_009;
/// Gateway: ServerSecret not found (unknown AppId).
pub const GW_UNKNOWN_APP: i64 = 100_000_010;
/// Gateway: SignatureVersion empty.
pub const GW_VERSION_EMPTY: i64 = 100_000_013;
/// Gateway: unsupported SignatureVersion.
pub const GW_VERSION_UNSUPPORTED: i64 = 100_000_014;

/// The message that goes with a code.
pub fn message(code: i64) -> &'static str {
    match code {
        OK => "success",
        FAILED => "failed",
        BAD_PARAM => "bad parameter",
        PARAM_TOO_LONG => "parameter too long",
        NO_PERMISSION => "no permission for this interface",
        SET_STREAM_INFO_FAILED => "setting stream info failed",
        ROOM_RATE_LIMITED => "app qps too high",
        STREAM_INFO_NOT_EXIST => "stream info not exist",
        ROOM_QPS_LIMITED => "room qps too high",
        STREAM_OTHER_USER => "stream operated by another user",
        ROOM_NOT_EXIST_CLOSE | ROOM_NOT_EXIST => "room not exist",
        TOO_MANY_USERS => "user list too long",
        TOO_MANY_RULES => "too many live ban rules",
        MEDIA_RATE_LIMITED => "rate too high",
        MEDIA_INTERNAL => "internal error",
        IS_TEST_WRONG => "IsTest wrong",
        BAD_STREAM_LIST => "invalid StreamId list",
        BAD_STREAM_ID => "invalid StreamId",
        STREAM_NOT_EXIST => "StreamId does not exist",
        BATCH_FORBID_FAILED => "batch forbid failed",
        GW_APPID => "AppId format error",
        GW_TS_EMPTY => "Timestamp empty",
        GW_TS_FORMAT => "Timestamp format error",
        GW_EXPIRED => "signature expired",
        GW_BAD_SIGNATURE => "invalid signature",
        GW_ACTION_EMPTY => "Action empty",
        GW_UNSUPPORTED_ACTION => "unsupported Action",
        GW_NONCE_EMPTY => "SignatureNonce empty",
        GW_SIGNATURE_EMPTY => "Signature empty",
        GW_UNKNOWN_APP => "ServerSecret not found, check AppId",
        GW_VERSION_EMPTY => "SignatureVersion empty",
        GW_VERSION_UNSUPPORTED => "unsupported SignatureVersion",
        _ => "error",
    }
}
