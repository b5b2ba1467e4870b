//! The shared conformance suite, run against the async client: each call blocks on a
//! multi-threaded runtime owned by the adapter.

use zego_conformance::{ClientSetup, ClientUnderTest};
use zego_proto::ops::{DescribeUserList, UserPage};
use zego_proto::{
    bulk::{BulkAction, BulkOptions, BulkReport},
    driver::ClientCore,
    ApiResponse, CallError, CallOptions, Operation,
};
use zego_transport_async::Client;

struct Async {
    client: Client,
    runtime: tokio::runtime::Runtime,
}

fn make_client(setup: ClientSetup) -> Async {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let client = setup.build::<Client>();
    Async { client, runtime }
}

impl ClientUnderTest for Async {
    fn core(&self) -> &ClientCore {
        self.client.core()
    }
    fn execute<O>(&self, op: &O) -> Result<ApiResponse<O::Output>, CallError>
    where
        O: Operation + Sync,
        O::Output: Send,
    {
        self.runtime.block_on(self.client.execute(op))
    }
    fn execute_with<O>(
        &self,
        op: &O,
        options: &CallOptions,
    ) -> Result<ApiResponse<O::Output>, CallError>
    where
        O: Operation + Sync,
        O::Output: Send,
    {
        self.runtime.block_on(self.client.execute_with(op, options))
    }
    fn user_pages(&self, first: DescribeUserList) -> Vec<Result<ApiResponse<UserPage>, CallError>> {
        use futures::StreamExt;
        self.runtime.block_on(self.client.pages(first).collect())
    }
    fn bulk(
        &self,
        action: BulkAction,
        ids: Box<dyn Iterator<Item = String> + Send>,
        options: &BulkOptions,
    ) -> BulkReport {
        self.runtime
            .block_on(self.client.bulk(action, ids, options))
    }
}

zego_conformance::conformance_tests!(make_client);
