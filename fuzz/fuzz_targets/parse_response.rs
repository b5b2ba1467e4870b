//! `parse_response` never panics, for every operation type, on any status and body.
//!
//! Input: byte 0 picks the operation (one per type; 0..=13 the forbid family, 14 raw,
//! 15..=22 the room actions), bytes 1..3 are the HTTP status (big-endian), the rest is
//! the body.

#![no_main]

use std::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use zego_proto::ops::{
    AddStream, CloseRoom, DeleteStream, DescribeSimpleStreamList, DescribeUserList,
    DescribeUserNum, DescribeUsers, KickoutUser,
};
use zego_proto::ops::{
    CdnVendor, DelForbidStreamRule, DelForbidUserRule, DescribeForbidStreamRules,
    DescribeForbidUserRules, DescribeRtcStreamState, DisabledPrivilege, EffectiveTime,
    ForbidCdnLiveStream, ForbidRtcStream, ForbidRtcStreams, MediaBan, QueryForbidCdnLiveStream,
    RawOperation, ResumeCdnLiveStream, ResumeRtcStream, ResumeRtcStreams, SetForbidStreamRule,
    SetForbidUserRule, UserRuleTarget, UserRuleType,
};
use zego_proto::wire::{parse_response, HttpResponse, ResponseError, BODY_SNIPPET_BYTES};
use zego_proto::{Operation, Sequence};

/// The number of operation types below.
const OPERATIONS: u8 = 23;

fuzz_target!(|data: &[u8]| {
    let [selector, hi, lo, body @ ..] = data else {
        return;
    };
    let response = HttpResponse::new(u16::from_be_bytes([*hi, *lo]), body.to_vec());
    let seq = Sequence::new(1);
    match selector % OPERATIONS {
        0 => check(
            &ForbidRtcStreams::new(["s1", "s2"])
                .unwrap()
                .with_sequence(seq),
            &response,
        ),
        1 => check(
            &ResumeRtcStreams::new(["s1"]).unwrap().with_sequence(seq),
            &response,
        ),
        2 => check(
            &ForbidRtcStream::new("s1").unwrap().with_sequence(seq),
            &response,
        ),
        3 => check(
            &ResumeRtcStream::new("s1").unwrap().with_sequence(seq),
            &response,
        ),
        4 => check(
            &SetForbidStreamRule::new("r1", "s1", MediaBan::Audio, EffectiveTime::default())
                .unwrap(),
            &response,
        ),
        5 => check(
            &DescribeForbidStreamRules::new("r1", ["s1", "s2"]).unwrap(),
            &response,
        ),
        6 => check(&DelForbidStreamRule::new("r1", "s1").unwrap(), &response),
        7 => check(&ForbidCdnLiveStream::new("s1").unwrap(), &response),
        8 => check(&ResumeCdnLiveStream::new("s1").unwrap(), &response),
        9 => check(&QueryForbidCdnLiveStream::new(CdnVendor::WangSu), &response),
        10 => check(
            &DescribeRtcStreamState::new("s1")
                .unwrap()
                .with_sequence(seq),
            &response,
        ),
        11 => check(
            &SetForbidUserRule::new(
                UserRuleTarget::user("u1").unwrap(),
                [DisabledPrivilege::Login],
                EffectiveTime::default(),
            )
            .unwrap(),
            &response,
        ),
        12 => check(&DescribeForbidUserRules::new(UserRuleType::Room), &response),
        13 => check(
            &DelForbidUserRule::new(UserRuleTarget::ip("203.0.113.7").unwrap()),
            &response,
        ),
        14 => check(&RawOperation::new("AnyAction").unwrap(), &response),
        15 => check(&KickoutUser::new("r1", ["u1"]).unwrap(), &response),
        16 => check(&CloseRoom::new("r1").unwrap(), &response),
        17 => check(
            &DeleteStream::new("r1", "u1", "U", "s1").unwrap(),
            &response,
        ),
        18 => check(&AddStream::new("r1", "u1", "U", "s1").unwrap(), &response),
        19 => check(&DescribeSimpleStreamList::new("r1").unwrap(), &response),
        20 => check(&DescribeUserList::new("r1").unwrap(), &response),
        21 => check(&DescribeUsers::new("r1", ["u1", "u2"]).unwrap(), &response),
        _ => check(&DescribeUserNum::new(["r1", "r2"]).unwrap(), &response),
    }
});

/// Parses, then uses every part of the result the way a caller would.
fn check<O>(op: &O, response: &HttpResponse)
where
    O: Operation,
    O::Output: Debug,
{
    match parse_response(op, response) {
        Ok(ok) => {
            let _ = format!("{ok:?}");
        }
        Err(err) => {
            let _ = (err.to_string(), format!("{err:?}"), err.class());
            match &err {
                ResponseError::Api(api) => {
                    assert_eq!(api.http_status, response.status);
                    assert_ne!(api.code.code(), 0, "code 0 is success, not an error");
                }
                ResponseError::NotAnEnvelope { status, snippet } => {
                    assert_eq!(*status, response.status);
                    // At most BODY_SNIPPET_BYTES body bytes, each at most one character
                    // once lossily decoded, and the ellipsis.
                    let chars = snippet.chars().count();
                    assert!(chars <= BODY_SNIPPET_BYTES + 1, "snippet of {chars} chars");
                }
                _ => {}
            }
        }
    }
}
