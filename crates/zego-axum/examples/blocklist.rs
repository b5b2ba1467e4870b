//! A moderation service: every new stream whose ID or publishing user is on a blocklist is
//! forbidden as soon as ZEGO reports it (`stream_create`), through the async client.
//!
//! ```sh
//! export ZEGO_APP_ID=1234567890 ZEGO_SERVER_SECRET=...     # the API credentials
//! export ZEGO_CALLBACK_SECRET=...                          # the callback secret (not the ServerSecret)
//! export BLOCKED_STREAMS=cheater-1,cheater-2 BLOCKED_USERS=troll-7
//! export ZEGO_ENDPOINT=http://127.0.0.1:8080               # optional: a `zego sim`
//! export ZEGO_REDIS_URL=redis://10.0.0.5:6379/0            # optional: a fleet of instances
//! cargo run -p zego-axum --example blocklist               # listens on 127.0.0.1:8088 (LISTEN_ADDR)
//! ```
//!
//! Point ZEGO's stream callbacks at `http://<host>:8088/zego/callback` (or a simulator's:
//! `zego sim --callback-url http://127.0.0.1:8088/zego/callback`). Its tests run this service
//! against the simulator over real HTTP: `tests/blocklist_service.rs` posts callbacks to it,
//! `tests/loop_through_the_simulator.rs` lets the simulator send them.
//!
//! Several instances behind one callback URL share one Redis (`ZEGO_REDIS_URL`, any URL
//! form of `zego_redis`): each delivery is then processed by one instance only
//! ([`zego_redis::RedisReplayCache`]); without it, each instance remembers only the
//! deliveries it received itself. See [`callback_config`].
//!
//! It is served with the limits a service on the open internet needs ([`ServerLimits`]):
//! a client gets [`ServerLimits::header_read_timeout`] to send its request head, each piece
//! of the body must come within [`ServerLimits::body_read_timeout`] and the whole request
//! within [`ServerLimits::request_timeout`] (else 408), a body over the callback limit is
//! refused with 413 as soon as its `Content-Length` says so, and at most
//! [`ServerLimits::max_connections`] connections are served at once (the next ones wait in
//! the listen backlog). `axum::serve` has none of those knobs, hence [`serve`].

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use zego_axum::{CallbackConfig, ZegoCallback};
use zego_callback::{CallbackEvent, CallbackSecret, CallbackVerifier, StreamCreate};
use zego_proto::ops::ForbidRtcStream;
use zego_proto::{AppId, Config, Endpoint};
use zego_redis::{RedisConfigError, RedisReplayCache};
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

/// The callback verifier's configuration: with the in-process replay cache, or, given a
/// Redis URL, with the fleet's [`RedisReplayCache`] for `app_id` (checked now: a wrong
/// password is an error; an unreachable Redis is not, every callback is then answered 503
/// until it answers, and ZEGO retries).
pub fn callback_config(
    secret: CallbackSecret,
    redis: Option<(&str, AppId)>,
) -> Result<CallbackConfig, RedisConfigError> {
    let verifier = CallbackVerifier::new(secret);
    Ok(CallbackConfig::from_verifier(match redis {
        None => verifier,
        Some((url, app_id)) => {
            verifier.replay_cache(Arc::new(RedisReplayCache::builder(url, app_id)?.connect()?))
        }
    }))
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
            if let Err(forget) = state.callbacks.verifier().forget(&created.header) {
                tracing::warn!(%forget, "ZEGO's retry of this delivery will be taken for a duplicate");
            }
            tracing::error!(stream_id = %created.stream_id, %error, "forbid failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "forbid failed".into())
        }
    }
}

/// The limits [`serve`] applies to every client.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Time to send the request line and headers, from the first byte (hyper closes the
    /// connection after it; an idle keep-alive connection is closed after it too).
    pub header_read_timeout: Duration,
    /// The longest pause between two pieces of a body (408 after it).
    pub body_read_timeout: Duration,
    /// The longest a whole request may take, body and handler included (408 after it).
    /// Longer than the handler's forbid takes: the client's own timeouts and retries.
    pub request_timeout: Duration,
    /// The largest body: ZEGO's callbacks are far smaller (413 above it, at once when the
    /// `Content-Length` says so).
    pub max_body_bytes: usize,
    /// The largest request head (request line and headers), in bytes.
    pub max_header_bytes: usize,
    /// Connections served at once; further ones wait to be accepted.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(5),
            body_read_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: zego_callback::MAX_BODY_BYTES,
            max_header_bytes: 16 * 1024,
            max_connections: 1024,
        }
    }
}

/// Serves `router` on `listener` under `limits`, for ever (a failed accept is logged and
/// retried).
pub async fn serve(listener: TcpListener, router: Router, limits: ServerLimits) {
    let router = router
        .layer(RequestBodyTimeoutLayer::new(limits.body_read_timeout))
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ));
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        // Wait for a free connection slot before accepting: excess clients queue in the
        // kernel's backlog instead of costing a task each.
        // (The semaphore is never closed: acquiring only waits.)
        let Ok(slot) = connections.clone().acquire_owned().await else {
            return;
        };
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors, a connection reset before it was accepted...: wait
            // a moment and keep serving (as `axum::serve` does).
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(router.clone());
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_buf_size(limits.max_header_bytes.max(8192));
        tokio::spawn(async move {
            if let Err(error) = http.serve_connection(TokioIo::new(stream), service).await {
                tracing::debug!(%error, "connection closed");
            }
            drop(slot);
        });
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
    let client = builder.build();
    let redis = std::env::var("ZEGO_REDIS_URL").ok();
    let fleet = redis
        .as_deref()
        .map(|url| (url, client.core().credentials().app_id()));
    let state = AppState {
        callbacks: callback_config(CallbackSecret::new(secret)?, fleet)?,
        client,
        blocklist: Arc::new(Blocklist {
            streams: list("BLOCKED_STREAMS"),
            users: list("BLOCKED_USERS"),
        }),
    };
    let addr = std::env::var("LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:8088".into());
    let listener = TcpListener::bind(&addr).await?;
    println!(
        "listening on http://{}/zego/callback",
        listener.local_addr()?
    );
    serve(listener, app(state), ServerLimits::default()).await;
    Ok(())
}
