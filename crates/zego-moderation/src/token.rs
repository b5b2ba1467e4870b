//! Token refusal: the customer's backend issues Token04 tokens through this, so a user whose
//! active ban covers login cannot even get a token.

use zego_proto::token::{TokenError, TokenRequest};
use zego_proto::Credentials;

use crate::store::{BanId, Store, StoreError};

/// Why no token was issued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRefusal {
    /// An active ban covers this user's login.
    #[error("user_id: {user_id} is banned from logging in ({ban}, until {})", until.map_or_else(|| "lifted".to_owned(), |t| t.to_string()))]
    Banned {
        /// The user.
        user_id: String,
        /// The ban that covers the login.
        ban: BanId,
        /// When that ban ends (Unix seconds; `None`: until lifted).
        until: Option<i64>,
    },
    /// The ban store could not be read (no token is issued when bans cannot be checked).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The token itself could not be made.
    #[error(transparent)]
    Token(#[from] TokenError),
}

/// Issues a Token04 token for `request` at `now_secs` (OS randomness), unless an active ban in
/// `store` covers the user's login: in the token's room (its room privilege) or, for a token
/// without one (which opens every room), in any room.
///
/// ```
/// use std::time::Duration;
/// use zego_moderation::{issue_token, BanDuration, BanRequest, Scopes, SqliteStore, Store, Target, TokenRefusal};
/// use zego_proto::token::TokenRequest;
/// use zego_proto::Credentials;
///
/// let store = SqliteStore::open_in_memory()?;
/// let credentials = Credentials::new(1u32, "0123456789abcdef0123456789abcdef")?;
/// let request = TokenRequest::new("troll", Duration::from_secs(3600))?;
/// assert!(issue_token(&store, &credentials, &request, 1_000)?.starts_with("04"));
///
/// let ban = BanRequest::new(
///     Target::User { user_id: "troll".into(), room_id: None, scopes: Scopes::ALL },
///     BanDuration::For(Duration::from_secs(60)), "spam", "mod")?;
/// store.insert_ban(&ban, 1_000)?;
/// let err = issue_token(&store, &credentials, &request, 1_000).unwrap_err();
/// assert!(matches!(err, TokenRefusal::Banned { until: Some(1_060), .. }));
/// assert!(issue_token(&store, &credentials, &request, 1_060).is_ok()); // the ban ended
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn issue_token(
    store: &dyn Store,
    credentials: &Credentials,
    request: &TokenRequest,
    now_secs: u64,
) -> Result<String, TokenRefusal> {
    let now = i64::try_from(now_secs).unwrap_or(i64::MAX);
    let room = request
        .room_privilege()
        .map(zego_proto::token::RoomPrivilege::room_id);
    let user = request.user_id();
    if let Some(ban) = store
        .unlifted_bans()?
        .into_iter()
        .find(|b| b.is_active_at(now) && b.request.covers_login(user, room))
    {
        return Err(TokenRefusal::Banned {
            user_id: user.to_owned(),
            ban: ban.id,
            until: ban.ends_at,
        });
    }
    Ok(request.generate_with_os_random(credentials, now_secs)?)
}
