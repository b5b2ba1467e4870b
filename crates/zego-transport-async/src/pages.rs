//! [`Client::pages`]: every page of a room's users, as a `Stream`.

use futures::stream::{self, Stream};
use zego_proto::ops::{DescribeUserList, UserListCursor, UserPage};
use zego_proto::{ApiResponse, CallError};

use crate::Client;

impl Client {
    /// Every page of a room's users, following `Marker` from `first`, as a stream: each
    /// page is one call, admitted under the AppId's quota and the room's (1/s), so a
    /// listing never draws a rate-limit answer, however many pages it has. After an error
    /// the stream ends.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use zego_proto::ops::DescribeUserList;
    /// use zego_proto::{Credentials, Endpoint};
    /// use zego_sim::Env;
    /// use zego_transport_async::Client;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// for i in 0..3 {
    ///     sim.login_user(7, Env::Production, "room1", &format!("u{i}"), "U");
    /// }
    /// let client = Client::builder(Credentials::new(7u32, "secret")?)
    ///     .endpoint(Endpoint::custom(&sim.base_url())?)
    ///     .build();
    /// let mut pages = std::pin::pin!(client.pages(DescribeUserList::new("room1")?.with_limit(2)?));
    /// let mut users = Vec::new();
    /// while let Some(page) = pages.next().await {
    ///     users.extend(page?.data.users);
    /// }
    /// assert_eq!(users.len(), 3);
    /// # Ok(())
    /// # }
    /// ```
    pub fn pages(
        &self,
        first: DescribeUserList,
    ) -> impl Stream<Item = Result<ApiResponse<UserPage>, CallError>> + Send + '_ {
        stream::unfold(UserListCursor::new(first), move |mut cursor| async move {
            let op = cursor.next_request()?.clone();
            let page = self.execute(&op).await;
            match &page {
                Ok(page) => cursor.advance(&page.data),
                Err(_) => cursor.stop(),
            }
            Some((page, cursor))
        })
    }
}
