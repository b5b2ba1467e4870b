//! [`Client::pages`]: every page of a room's users, as an iterator.

use zego_proto::ops::{DescribeUserList, UserListCursor, UserPage};
use zego_proto::{ApiResponse, CallError};

use crate::Client;

/// The pages of a `DescribeUserList` listing, fetched one per [`Iterator::next`]
/// (made by [`Client::pages`]). After an error the iterator ends.
#[derive(Debug)]
pub struct UserPages<'a> {
    client: &'a Client,
    cursor: UserListCursor,
}

impl Iterator for UserPages<'_> {
    type Item = Result<ApiResponse<UserPage>, CallError>;

    fn next(&mut self) -> Option<Self::Item> {
        let op = self.cursor.next_request()?.clone();
        Some(match self.client.execute(&op) {
            Ok(page) => {
                self.cursor.advance(&page.data);
                Ok(page)
            }
            Err(e) => {
                self.cursor.stop();
                Err(e)
            }
        })
    }
}

impl Client {
    /// Every page of a room's users, following `Marker` from `first`: each page is one
    /// call, admitted under the AppId's quota and the room's (1/s), so a listing never
    /// draws a rate-limit answer, however many pages it has.
    ///
    /// ```
    /// use zego_proto::ops::DescribeUserList;
    /// use zego_proto::{Credentials, Endpoint};
    /// use zego_sim::Env;
    /// use zego_transport_blocking::Client;
    /// let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// for i in 0..3 {
    ///     sim.login_user(7, Env::Production, "room1", &format!("u{i}"), "U");
    /// }
    /// let client = Client::builder(Credentials::new(7u32, "secret")?)
    ///     .endpoint(Endpoint::custom(&sim.base_url())?)
    ///     .build();
    /// let mut users = Vec::new();
    /// for page in client.pages(DescribeUserList::new("room1")?.with_limit(2)?) {
    ///     users.extend(page?.data.users);
    /// }
    /// assert_eq!(users.len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pages(&self, first: DescribeUserList) -> UserPages<'_> {
        UserPages {
            client: self,
            cursor: UserListCursor::new(first),
        }
    }
}
