//! The [`Operation`] trait: what every ZEGO action (typed or raw) provides; and the two
//! traits a catalogued action implements instead ([`Action`], written by its catalog row in
//! `ops/mod.rs`, and [`TypedOperation`], written by its ops file), which give it
//! `Operation` without repeating its name and quota group.

use serde_json::value::RawValue;

use crate::encode::ParamWriter;
use crate::error::ValidationError;
pub use crate::rate_limit::RateLimitGroup;
use crate::response::DataError;
use crate::sequence::Sequence;

/// Whether an operation carries a `Sequence`, and where it comes from.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sequencing<'a> {
    /// The action takes no `Sequence`.
    None,
    /// The core stamps one when the call is admitted to be sent (and keeps it across
    /// retries); it orders these streams (empty: the whole app, for raw operations).
    Stamped(&'a [String]),
    /// The caller chose this one (`with_sequence`); the core sends it as is.
    Explicit(Sequence),
}

/// One ZEGO server API action with its parameters.
///
/// Implemented by every type in [`crate::ops`] and by [`crate::ops::RawOperation`] for any
/// other action. [`crate::wire::prepare`] turns an operation into a signed request and
/// [`crate::wire::parse_response`] turns the answer into [`Operation::Output`].
///
/// ```
/// use zego_proto::{Operation, ops::{DelForbidStreamRule, RateLimitGroup, Sequencing}};
/// let op = DelForbidStreamRule::new("room1", "stream1")?;
/// assert_eq!(op.action(), "DelForbidStreamRule");
/// assert_eq!(op.rate_limit_group(), RateLimitGroup::Rules);
/// assert_eq!(op.sequencing(), Sequencing::None);
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
pub trait Operation {
    /// The typed `Data` of a successful answer.
    type Output;

    /// The `Action` parameter.
    fn action(&self) -> &str;

    /// The rate-limit group the action draws from.
    fn rate_limit_group(&self) -> RateLimitGroup;

    /// Whether the action carries a `Sequence`. A retry sends the same sequence again, so
    /// the server still orders it correctly.
    fn sequencing(&self) -> Sequencing<'_> {
        Sequencing::None
    }

    /// The room whose own quota the action also draws from (`DescribeSimpleStreamList`,
    /// `DescribeUserList`: ZEGO limits them per room on top of the AppId's quota);
    /// admission then waits for both. `None` (the default) for every other action.
    fn quota_room(&self) -> Option<&str> {
        None
    }

    /// Writes the business parameters (everything but `Action` and the common ones); a
    /// sequenced operation writes its `Sequence` with [`ParamWriter::sequence`].
    fn write_params(&self, params: &mut ParamWriter<'_>) -> Result<(), ValidationError>;

    /// Rough length of the encoded business parameters, to size the URL in one allocation.
    fn params_len_hint(&self) -> usize {
        64
    }

    /// Turns the envelope's `Data` (absent or `null` is `None`) into the output.
    fn parse_data(&self, data: Option<&RawValue>) -> Result<Self::Output, DataError>;
}

/// The constants of one catalogued action: what its row in [`crate::ops::CATALOG`] says.
///
/// Implemented by the `ops!` registry in `ops/mod.rs` for every type of [`crate::ops`]
/// (one row each), never by hand: the row is the one place an action's name, quota group
/// and sequencing are written.
///
/// ```
/// use zego_proto::ops::{Action, ForbidRtcStreams, KickoutUser};
/// use zego_proto::ops::RateLimitGroup;
/// assert_eq!(<ForbidRtcStreams as Action>::ACTION, "ForbidRTCStreams");
/// assert_eq!(<KickoutUser as Action>::GROUP, RateLimitGroup::RoomKick);
/// assert!(<ForbidRtcStreams as Action>::SEQUENCED && !<KickoutUser as Action>::SEQUENCED);
/// ```
pub trait Action {
    /// The `Action` parameter.
    const ACTION: &'static str;
    /// The rate-limit group the action draws from.
    const GROUP: RateLimitGroup;
    /// Whether the action carries a `Sequence` (its `sequencing()` is never `None`).
    const SEQUENCED: bool;
}

/// [`Operation`] for a catalogued action, minus what its [`Action`] constants already say
/// (`action()` and `rate_limit_group()` come from them): every method has the meaning of
/// the `Operation` method of the same name.
///
/// ```
/// use zego_proto::{ops::{DelForbidStreamRule, RateLimitGroup}, Operation};
/// // A `TypedOperation` is an `Operation` (blanket implementation).
/// let op = DelForbidStreamRule::new("room1", "stream1")?;
/// assert_eq!((op.action(), op.rate_limit_group()), ("DelForbidStreamRule", RateLimitGroup::Rules));
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
pub trait TypedOperation: Action {
    /// See [`Operation::Output`].
    type Output;

    /// See [`Operation::sequencing`].
    fn sequencing(&self) -> Sequencing<'_> {
        Sequencing::None
    }

    /// See [`Operation::quota_room`].
    fn quota_room(&self) -> Option<&str> {
        None
    }

    /// See [`Operation::write_params`].
    fn write_params(&self, params: &mut ParamWriter<'_>) -> Result<(), ValidationError>;

    /// See [`Operation::params_len_hint`].
    fn params_len_hint(&self) -> usize {
        64
    }

    /// See [`Operation::parse_data`].
    fn parse_data(&self, data: Option<&RawValue>) -> Result<Self::Output, DataError>;
}

impl<T: TypedOperation> Operation for T {
    type Output = T::Output;

    fn action(&self) -> &str {
        T::ACTION
    }

    fn rate_limit_group(&self) -> RateLimitGroup {
        T::GROUP
    }

    fn sequencing(&self) -> Sequencing<'_> {
        TypedOperation::sequencing(self)
    }

    fn quota_room(&self) -> Option<&str> {
        TypedOperation::quota_room(self)
    }

    fn write_params(&self, params: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        TypedOperation::write_params(self, params)
    }

    fn params_len_hint(&self) -> usize {
        TypedOperation::params_len_hint(self)
    }

    fn parse_data(&self, data: Option<&RawValue>) -> Result<T::Output, DataError> {
        TypedOperation::parse_data(self, data)
    }
}
