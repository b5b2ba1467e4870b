//! Property tests of the public API, one module per theme: preparing and encoding,
//! signing, validation, response parsing and return codes, sequences, the rate limiter
//! and the retry policy (`strategies` holds what they share).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use zego_proto::admission::{Quotas, RateLimitKey, SequenceGenerator, TokenBucketLimiter};
use zego_proto::ops::{
    AddStream, CloseRoom, DeleteStream, DescribeSimpleStreamList, DescribeUserList,
    DescribeUserNum, DescribeUsers, KickoutUser, UserOrder, CATALOG,
};
use zego_proto::ops::{
    CdnVendor, DelForbidStreamRule, DelForbidUserRule, DescribeForbidStreamRules,
    DescribeForbidUserRules, DescribeRtcStreamState, DisabledPrivilege, EffectiveTime,
    ForbidCdnLiveStream, ForbidRtcStream, ForbidRtcStreams, MediaBan, QueryForbidCdnLiveStream,
    RawOperation, ResumeCdnLiveStream, ResumeRtcStream, ResumeRtcStreams, SetForbidStreamRule,
    SetForbidUserRule, UserRuleTarget, UserRuleType,
};
use zego_proto::ops::{RateLimitGroup, Sequencing};
use zego_proto::retry::{AttemptFailure, RetryDecision, RetryOn};
use zego_proto::retry::{RetryPolicy, StopReason};
use zego_proto::wire::{
    decode_query, parse_response, prepare, prepare_with_nonce, sign, test_stream_prefix,
    HttpResponse, Nonce, ResponseError, BODY_SNIPPET_BYTES,
};
use zego_proto::{
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

mod operations;
mod preparing;
mod rate_limiting;
mod responses;
mod retrying;
mod sequences;
mod signing;
mod strategies;
mod validation;

use operations::*;
use strategies::*;
