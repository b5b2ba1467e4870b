//! A moderation service: every new stream whose ID or publishing user is on a blocklist is
//! forbidden as soon as ZEGO reports it (`stream_create`), through the async client.
//!
//! ```sh
//! export ZEGO_APP_ID=1234567890 ZEGO_SERVER_SECRET=...     # the API credentials
//! export ZEGO_CALLBACK_SECRET=...                          # the callback secret (not the ServerSecret)
//! export BLOCKED_STREAMS=cheater-1,cheater-2 BLOCKED_USERS=troll-7
//! export ZEGO_ENDPOINT=http://127.0.0.1:8080               # optional: a `zego sim`
//! cargo run -p zego-axum --example blocklist               # listens on 127.0.0.1:8088 (LISTEN_ADDR)
//! ```
//!
//! Point ZEGO's stream callbacks at `http://<host>:8088/zego/callback` (or a simulator's:
//! `zego sim --callback-url http://127.0.0.1:8088/zego/callback`). Its tests run this service
//! against the simulator over real HTTP: `tests/blocklist_service.rs` posts callbacks to it,
//! `tests/loop_through_the_simulator.rs` lets the simulator send them.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use zego_axum::{CallbackConfig, ZegoCallback};
use zego_proto::callback::{CallbackEvent, CallbackSecret, StreamCreate};
use zego_proto::ops::ForbidRtcStream;
use zego_proto::{Config, Endpoint};
use zego_transport_async::Client;

/// The streams and users whose new streams are forbidden.
#[derive(Debug, Default)]
pub struct Blocklist {
    /// Stream IDs.
    pub streams: HashSet<String>,
    /// User IDs.
    pub users: HashSet<String>,
}

impl Blocklist {
    /// Whether a new stream is blocked: its ID or its publisher is listed.
    pub fn blocks(&self, created: &StreamCreate) -> bool {
        self.streams.contains(&created.stream_id) || self.users.contains(&created.user_id)
    }
}

/// Everything a request needs: the callback verifier, the client, the blocklist.
#[derive(Clone)]
pub struct AppState {
    /// The CallbackSecret's verifier (for the extractor).
    pub callbacks: CallbackConfig,
    /// The ZEGO client that forbids.
    pub client: Client,
    /// Who is blocked.
    pub blocklist: Arc<Blocklist>,
}

impl FromRef<AppState> for CallbackConfig {
    fn from_ref(state: &AppState) -> Self {
        state.callbacks.clone()
    }
}

/// The service: one route, `POST /zego/callback`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/zego/callback", post(on_callback))
        .with_state(state)
}

/// A verified callback (the extractor already answered 401/400 for a bad one).
async fn on_callback(
    State(state): State<AppState>,
    ZegoCallback(event): ZegoCallback,
) -> (StatusCode, String) {
    let CallbackEvent::StreamCreate(created) = event else {
        return (StatusCode::OK, "ignored".into());
    };
    if !state.blocklist.blocks(&created) {
        return (StatusCode::OK, "allowed".into());
    }
    let forbidden = match ForbidRtcStream::new(created.stream_id.as_str()) {
        Ok(op) => state
            .client
            .execute(&op)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        // A stream ID ZEGO accepted from a client but the SDK refuses: nothing to send.
        Err(e) => Err(e.to_string()),
    };
    match forbidden {
        Ok(()) => {
            tracing::info!(stream_id = %created.stream_id, user_id = %created.user_id, "forbidden");
            (StatusCode::OK, format!("forbidden {}", created.stream_id))
        }
        Err(error) => {
            // Let ZEGO's retry of this delivery through: answer 500, forget the delivery.
            state.callbacks.verifier().forget(&created.header);
            tracing::error!(stream_id = %created.stream_id, %error, "forbid failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "forbid failed".into())
        }
    }
}

fn list(var: &str) -> HashSet<String> {
    std::env::var(var)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = Client::from_env()?;
    if let Ok(endpoint) = std::env::var("ZEGO_ENDPOINT") {
        builder = builder.config(Config::new(Endpoint::custom(&endpoint)?));
    }
    let secret = std::env::var("ZEGO_CALLBACK_SECRET")
        .map_err(|_| "set ZEGO_CALLBACK_SECRET (the callback secret, not the ServerSecret)")?;
    let state = AppState {
        callbacks: CallbackConfig::new(CallbackSecret::new(secret)?),
        client: builder.build(),
        blocklist: Arc::new(Blocklist {
            streams: list("BLOCKED_STREAMS"),
            users: list("BLOCKED_USERS"),
        }),
    };
    let addr = std::env::var("LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:8088".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "listening on http://{}/zego/callback",
        listener.local_addr()?
    );
    axum::serve(listener, app(state)).await?;
    Ok(())
}
