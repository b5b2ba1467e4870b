//! The shared conformance suite, run against the async client (each call `block_on` a
//! multi-threaded runtime owned by the adapter).

use zego_conformance::{ClientSetup, ClientUnderTest};
use zego_proto::ops::{
    CdnForbidList, CdnForbidResult, CdnVendor, DisabledPrivilege, EffectiveTime,
    ForbidCdnLiveStream, MediaBan, RawOperation, RawOutput, StreamRules, StreamState,
    UserRuleExpiry, UserRuleTarget, UserRuleType, UserRules,
};
use zego_proto::{ApiResponse, BulkReport, CallError, ClientCore, Endpoint};
use zego_transport_async::{Client, TransportOptions};

struct Async {
    client: Client,
    runtime: tokio::runtime::Runtime,
}

fn make_client(setup: ClientSetup) -> Box<dyn ClientUnderTest> {
    let options = TransportOptions::default()
        .with_connect_timeout(setup.connect_timeout)
        .with_request_timeout(setup.request_timeout)
        .with_max_body_bytes(setup.max_body_bytes);
    let mut builder = Client::builder(setup.credentials)
        .endpoint(Endpoint::custom(&setup.base_url).expect("simulator URL"))
        .transport_options(options);
    if let Some(clock) = setup.clock {
        builder = builder.clock(clock);
    }
    if let Some(policy) = setup.retry_policy {
        builder = builder.retry_policy(policy);
    }
    if !setup.rate_limit {
        builder = builder.no_rate_limit();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    Box::new(Async {
        client: builder.build(),
        runtime,
    })
}

impl ClientUnderTest for Async {
    fn core(&self) -> &ClientCore {
        self.client.core()
    }
    fn call(&self, op: &RawOperation) -> Result<ApiResponse<RawOutput>, CallError> {
        self.runtime.block_on(self.client.call(op))
    }
    fn forbid_rtc_streams(&self, ids: Vec<String>) -> Result<ApiResponse<()>, CallError> {
        self.runtime.block_on(self.client.forbid_rtc_streams(ids))
    }
    fn resume_rtc_streams(&self, ids: Vec<String>) -> Result<ApiResponse<()>, CallError> {
        self.runtime.block_on(self.client.resume_rtc_streams(ids))
    }
    fn forbid_rtc_stream(&self, id: &str) -> Result<ApiResponse<()>, CallError> {
        self.runtime.block_on(self.client.forbid_rtc_stream(id))
    }
    fn resume_rtc_stream(&self, id: &str) -> Result<ApiResponse<()>, CallError> {
        self.runtime.block_on(self.client.resume_rtc_stream(id))
    }
    fn set_forbid_stream_rule(
        &self,
        room_id: &str,
        stream_id: &str,
        ban: MediaBan,
        effective_time: EffectiveTime,
    ) -> Result<ApiResponse<()>, CallError> {
        self.runtime.block_on(self.client.set_forbid_stream_rule(
            room_id,
            stream_id,
            ban,
            effective_time,
        ))
    }
    fn describe_forbid_stream_rules(
        &self,
        room_id: &str,
        stream_ids: Vec<String>,
    ) -> Result<ApiResponse<StreamRules>, CallError> {
        self.runtime.block_on(
            self.client
                .describe_forbid_stream_rules(room_id, stream_ids),
        )
    }
    fn del_forbid_stream_rule(
        &self,
        room_id: &str,
        stream_id: &str,
    ) -> Result<ApiResponse<()>, CallError> {
        self.runtime
            .block_on(self.client.del_forbid_stream_rule(room_id, stream_id))
    }
    fn forbid_cdn_live_stream(
        &self,
        op: &ForbidCdnLiveStream,
    ) -> Result<ApiResponse<Vec<CdnForbidResult>>, CallError> {
        self.runtime
            .block_on(self.client.forbid_cdn_live_stream(op))
    }
    fn resume_cdn_live_stream(
        &self,
        stream_id: &str,
    ) -> Result<ApiResponse<Vec<CdnForbidResult>>, CallError> {
        self.runtime
            .block_on(self.client.resume_cdn_live_stream(stream_id))
    }
    fn query_forbid_cdn_live_stream(
        &self,
        vendor: CdnVendor,
    ) -> Result<ApiResponse<CdnForbidList>, CallError> {
        self.runtime
            .block_on(self.client.query_forbid_cdn_live_stream(vendor))
    }
    fn describe_rtc_stream_state(
        &self,
        stream_id: &str,
    ) -> Result<ApiResponse<StreamState>, CallError> {
        self.runtime
            .block_on(self.client.describe_rtc_stream_state(stream_id))
    }
    fn set_forbid_user_rule(
        &self,
        target: UserRuleTarget,
        privileges: Vec<DisabledPrivilege>,
        effective_time: EffectiveTime,
    ) -> Result<ApiResponse<UserRuleExpiry>, CallError> {
        self.runtime.block_on(
            self.client
                .set_forbid_user_rule(target, privileges, effective_time),
        )
    }
    fn describe_forbid_user_rules(
        &self,
        rule_type: UserRuleType,
    ) -> Result<ApiResponse<UserRules>, CallError> {
        self.runtime
            .block_on(self.client.describe_forbid_user_rules(rule_type))
    }
    fn del_forbid_user_rule(&self, target: UserRuleTarget) -> Result<ApiResponse<()>, CallError> {
        self.runtime
            .block_on(self.client.del_forbid_user_rule(target))
    }
    fn bulk_forbid(&self, ids: Box<dyn Iterator<Item = String> + Send>) -> BulkReport {
        self.runtime.block_on(self.client.bulk_forbid(ids))
    }
}

zego_conformance::conformance_tests!(make_client);
