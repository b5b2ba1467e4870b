//! Callbacks as a shortcut for bans: an axum service that receives ZEGO's stream callbacks
//! (verified by `zego_axum::ZegoCallback`) and hands each to [`Engine::on_stream_event`]:
//! a `stream_create` from a banned user (or of a banned stream ID) is forbidden at once, and
//! the streams it sees spare the room listing when a ban is applied (the [`Sightings`] are
//! shared with the worker that runs the bans' due work).
//!
//! ```sh
//! export ZEGO_APP_ID=1234567890 ZEGO_SERVER_SECRET=...     # the API credentials
//! export ZEGO_CALLBACK_SECRET=...                          # the callback secret (not the ServerSecret)
//! export ZEGO_ENDPOINT=http://127.0.0.1:8080               # optional: a `zego sim`
//! export BANS_DB=bans.sqlite                               # the ban store (default: bans.sqlite)
//! cargo run -p zego-moderation --example ban_callbacks     # listens on 127.0.0.1:8089 (LISTEN_ADDR)
//! ```
//!
//! Its tests (`tests/sim_callbacks.rs`) run it against the simulator, which delivers its
//! signed callbacks over real HTTP.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use zego_axum::{CallbackConfig, ZegoCallback};
use zego_callback::CallbackSecret;
use zego_moderation::{Engine, Sightings, SqliteStore};
use zego_proto::{Credentials, Endpoint};
use zego_transport_blocking::Client;

/// What a request needs: the callback verifier, the blocking client, the ban store, the
/// sightings (shared with the worker) and this instance's worker name.
#[derive(Clone)]
pub struct AppState {
    /// The CallbackSecret's verifier (for the extractor).
    pub callbacks: CallbackConfig,
    /// The ZEGO client the engine forbids through.
    pub client: Client,
    /// The bans.
    pub store: Arc<SqliteStore>,
    /// The streams seen through callbacks.
    pub sightings: Arc<Sightings>,
    /// This instance's worker name (host and PID, say).
    pub worker: Arc<str>,
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

/// A verified callback (the extractor already answered 401/400 for a bad one, 200 for a
/// repeated delivery). The engine uses the blocking client: it runs on a blocking thread.
async fn on_callback(
    State(state): State<AppState>,
    ZegoCallback(event): ZegoCallback,
) -> (StatusCode, String) {
    let header = event.header().clone();
    let st = state.clone();
    let handled = tokio::task::spawn_blocking(move || {
        Engine::new(&st.client, st.store.as_ref(), st.worker.as_ref())
            .sightings(&st.sightings)
            .on_stream_event(&event)
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|join| Err(join.to_string()));
    match handled {
        Ok(Some(forbid)) => {
            tracing::info!(stream_id = %forbid.stream_id, bans = ?forbid.bans, "forbidden on callback");
            (StatusCode::OK, format!("forbidden {}", forbid.stream_id))
        }
        Ok(None) => (StatusCode::OK, "ok".into()),
        Err(error) => {
            // Let ZEGO's retry of this delivery through: answer 500, forget the delivery.
            if let Err(forget) = state.callbacks.verifier().forget(&header) {
                tracing::warn!(%forget, "ZEGO's retry of this delivery will be taken for a duplicate");
            }
            tracing::error!(%error, "callback handling failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "failed".into())
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app_id: u32 = std::env::var("ZEGO_APP_ID")?.parse()?;
    let credentials = Credentials::new(app_id, std::env::var("ZEGO_SERVER_SECRET")?)?;
    let mut builder = Client::builder(credentials);
    if let Ok(endpoint) = std::env::var("ZEGO_ENDPOINT") {
        builder = builder.endpoint(Endpoint::custom(&endpoint)?);
    }
    let secret = std::env::var("ZEGO_CALLBACK_SECRET")
        .map_err(|_| "set ZEGO_CALLBACK_SECRET (the callback secret, not the ServerSecret)")?;
    let db = std::env::var("BANS_DB").unwrap_or_else(|_| "bans.sqlite".into());
    let state = AppState {
        callbacks: CallbackConfig::new(CallbackSecret::new(secret)?),
        client: builder.build(),
        store: Arc::new(SqliteStore::open(&db)?),
        sightings: Arc::new(Sightings::new()),
        worker: format!("callbacks-{}", std::process::id()).into(),
    };
    // The worker: the bans' due work (renewals, lifts) every few seconds, with the same
    // sightings, so the bans it applies use them.
    let worker = state.clone();
    std::thread::spawn(move || loop {
        let engine = Engine::new(
            &worker.client,
            worker.store.as_ref(),
            worker.worker.as_ref(),
        )
        .sightings(&worker.sightings);
        if let Err(error) = engine.tick() {
            tracing::error!(%error, "tick failed");
        }
        std::thread::sleep(Duration::from_secs(5));
    });
    let addr = std::env::var("LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:8089".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "listening on http://{}/zego/callback",
        listener.local_addr()?
    );
    axum::serve(listener, app(state)).await?;
    Ok(())
}
