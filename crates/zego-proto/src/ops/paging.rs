//! Following `DescribeUserList`'s `Marker`, without I/O: the transports' paginators
//! (`Client::pages`) drive this cursor.

use super::{DescribeUserList, UserPage};

/// Where a listing of a room's users stands: the next page to ask for, if any.
///
/// Each answer's [`UserPage::marker`] becomes the next request's `Marker`; an empty one
/// ends the listing. A server that answers with the marker it was just sent would make a
/// naive loop spin forever: the cursor ends the listing instead. The pacing is not the
/// cursor's business: each page is an ordinary call, admitted under the AppId's quota and
/// the room's (1/s).
///
/// ```
/// use zego_proto::ops::{DescribeUserList, UserListCursor, UserPage};
/// let mut cursor = UserListCursor::new(DescribeUserList::new("room1")?);
/// assert_eq!(cursor.next_request().unwrap().marker(), "");
/// cursor.advance(&UserPage { marker: "1700000000000-u9".into(), users: vec![] });
/// assert_eq!(cursor.next_request().unwrap().marker(), "1700000000000-u9");
/// cursor.advance(&UserPage::default()); // the last page: no marker
/// assert!(cursor.next_request().is_none());
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserListCursor {
    next: Option<DescribeUserList>,
}

impl UserListCursor {
    /// Starts at `first` (normally without a marker: the first page).
    pub fn new(first: DescribeUserList) -> Self {
        Self { next: Some(first) }
    }

    /// The request for the next page, `None` when the listing is complete.
    pub fn next_request(&self) -> Option<&DescribeUserList> {
        self.next.as_ref()
    }

    /// Takes in the answer to [`UserListCursor::next_request`].
    pub fn advance(&mut self, page: &UserPage) {
        self.next = match self.next.take() {
            Some(sent) if page.has_more() && page.marker != sent.marker() => {
                Some(sent.with_marker(page.marker.clone()))
            }
            _ => None,
        };
    }

    /// Ends the listing (after an error).
    pub fn stop(&mut self) {
        self.next = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_marker_ends_the_listing() {
        let mut cursor = UserListCursor::new(DescribeUserList::new("r").unwrap().with_marker("m"));
        cursor.advance(&UserPage {
            marker: "m".into(),
            users: vec![],
        });
        assert!(cursor.next_request().is_none());
    }

    #[test]
    fn the_order_and_limit_carry_over() {
        let first = DescribeUserList::new("r")
            .unwrap()
            .with_order(crate::ops::UserOrder::NewestFirst)
            .with_limit(10)
            .unwrap();
        let mut cursor = UserListCursor::new(first.clone());
        cursor.advance(&UserPage {
            marker: "5-u".into(),
            users: vec![],
        });
        assert_eq!(cursor.next_request(), Some(&first.with_marker("5-u")));
        cursor.stop();
        assert!(cursor.next_request().is_none());
    }
}
