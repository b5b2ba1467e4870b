//! The shared conformance suite, run against the blocking client.

use zego_conformance::{ClientSetup, ClientUnderTest};
use zego_proto::ops::{DescribeUserList, UserPage};
use zego_proto::{
    bulk::{BulkAction, BulkOptions, BulkReport},
    driver::ClientCore,
    ApiResponse, CallError, CallOptions, Operation,
};
use zego_transport_blocking::Client;

struct Blocking(Client);

fn make_client(setup: ClientSetup) -> Blocking {
    Blocking(setup.build::<Client>())
}

impl ClientUnderTest for Blocking {
    fn core(&self) -> &ClientCore {
        self.0.core()
    }
    fn execute<O>(&self, op: &O) -> Result<ApiResponse<O::Output>, CallError>
    where
        O: Operation + Sync,
        O::Output: Send,
    {
        self.0.execute(op)
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
        self.0.execute_with(op, options)
    }
    fn user_pages(&self, first: DescribeUserList) -> Vec<Result<ApiResponse<UserPage>, CallError>> {
        self.0.pages(first).collect()
    }
    fn bulk(
        &self,
        action: BulkAction,
        ids: Box<dyn Iterator<Item = String> + Send>,
        options: &BulkOptions,
    ) -> BulkReport {
        self.0.bulk(action, ids, options)
    }
}

zego_conformance::conformance_tests!(make_client);
