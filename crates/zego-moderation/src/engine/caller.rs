//! What the engine needs of a client: execute an operation, and read the client's clock and
//! coordinator. The blocking client is one; the async engine wraps the async client in
//! another (`crate::async_engine`), so the engine's logic exists once.

use zego_proto::driver::ClientCore;
use zego_proto::{ApiResponse, CallError, CallOptions, Operation};

/// A client the [`Engine`](crate::Engine) calls ZEGO through.
///
/// Implemented by `zego_transport_blocking::Client`; the async engine
/// ([`AsyncEngine`](crate::AsyncEngine), feature `async`) runs the same engine over
/// `zego_transport_async::Client`. Every call goes through the client's admission (quota and
/// `Sequence`), so the engine never paces on its own.
///
/// ```
/// use zego_moderation::Caller;
/// use zego_proto::{ops::DescribeSimpleStreamList, CallOptions, Credentials, Endpoint};
/// let sim = zego_sim::Simulator::builder().app(1, "secret").start()?;
/// let client = zego_transport_blocking::Client::builder(Credentials::new(1u32, "secret")?)
///     .endpoint(Endpoint::custom(&sim.base_url())?)
///     .build();
/// let listed = Caller::execute_with(&client, &DescribeSimpleStreamList::new("room1")?, &CallOptions::new())?;
/// assert!(listed.data.streams.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Caller {
    /// Executes `op` with `options` (admission, signing, sending, retries: the client's).
    fn execute_with<O>(
        &self,
        op: &O,
        options: &CallOptions,
    ) -> Result<ApiResponse<O::Output>, CallError>
    where
        O: Operation + Sync + ?Sized,
        O::Output: Send;

    /// The client's core: its clock (the engine's time) and its coordinator (the quotas it
    /// admits, which size the engine's claims).
    fn core(&self) -> &ClientCore;
}

impl Caller for zego_transport_blocking::Client {
    fn execute_with<O>(
        &self,
        op: &O,
        options: &CallOptions,
    ) -> Result<ApiResponse<O::Output>, CallError>
    where
        O: Operation + Sync + ?Sized,
        O::Output: Send,
    {
        zego_transport_blocking::Client::execute_with(self, op, options)
    }

    fn core(&self) -> &ClientCore {
        zego_transport_blocking::Client::core(self)
    }
}
