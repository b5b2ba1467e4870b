//! The loopback HTTP/1.1 server (hyper 1), run on its own thread and runtime.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::engine::{Begin, Engine, Outcome};

/// The error a service returns to make hyper close the connection without a response.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected fault: connection dropped")
    }
}

impl std::error::Error for DropConnection {}

type Resp = Response<Full<Bytes>>;

/// What one client may cost the server.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServerLimits {
    /// Headers must arrive (and an idle kept-alive connection must send its next request)
    /// within this time.
    pub header_read_timeout: Duration,
    /// Connections served at once; more are closed on accept.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// The largest request head accepted (the request line holds the query): 64 KiB, four
/// times the longest request the SDK can make (20 stream IDs of 256 bytes, encoded).
const MAX_REQUEST_HEAD: usize = 64 * 1024;

fn respond(status: u16, content_type: &str, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

async fn handle(req: Request<Incoming>, engine: Arc<Engine>) -> Result<Resp, DropConnection> {
    let path = req.uri().path();
    let method = req.method();
    match (method, path) {
        (&Method::GET, "/_sim/health") => {
            return Ok(respond(200, "application/json", "{\"status\":\"ok\"}"));
        }
        (&Method::GET, "/_sim/state") => {
            let body = serde_json::to_string(&engine.all_states()).unwrap_or_else(|_| "[]".into());
            return Ok(respond(200, "application/json", body));
        }
        (&Method::GET | &Method::POST, "/") => {}
        (&Method::GET | &Method::POST, p) if p.starts_with("/_sim/") => {
            let post = method == Method::POST;
            let query = req.uri().query().unwrap_or("");
            if let Some((status, content_type, body)) =
                crate::control::handle(&engine, post, p, query)
            {
                return Ok(respond(status, content_type, body));
            }
            return Ok(respond(404, "text/plain", "not found"));
        }
        (_, "/") => return Ok(respond(405, "text/plain", "method not allowed")),
        _ => return Ok(respond(404, "text/plain", "not found")),
    }
    let query = req.uri().query().unwrap_or("").to_owned();
    let outcome = match engine.begin(&query) {
        Begin::Done(o) => o,
        Begin::Later { delay, pending } => {
            // On its own task: a client that gives up during the delay does not stop the
            // request from being applied and logged, as on a real server.
            let engine = Arc::clone(&engine);
            let finished = tokio::spawn(async move {
                if let Some(d) = delay {
                    tokio::time::sleep(d).await;
                }
                engine.finish(*pending)
            });
            match finished.await {
                Ok(outcome) => outcome,
                Err(_) => return Err(DropConnection),
            }
        }
    };
    match outcome {
        Outcome::Json { status, body } => {
            Ok(respond(status, "application/json; charset=utf-8", body))
        }
        Outcome::Html { status, body } => Ok(respond(status, "text/html", body)),
        Outcome::Drop => Err(DropConnection),
        Outcome::Hang => {
            std::future::pending::<()>().await;
            Err(DropConnection)
        }
    }
}

/// Accepts connections until `shutdown` flips; dropping the runtime afterwards closes every
/// connection still open (including hung ones).
pub(crate) async fn serve(
    listener: std::net::TcpListener,
    engine: Arc<Engine>,
    shutdown: watch::Receiver<bool>,
    limits: ServerLimits,
) {
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    // After an accept error (e.g. out of file descriptors), wait longer each time, and
    // say so once per streak instead of ~100 times a second.
    let mut backoff = Duration::ZERO;
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("zego-sim: cannot register the listener: {e}");
            return;
        }
    };
    let mut stop = shutdown.clone();
    loop {
        tokio::select! {
            res = listener.accept() => match res {
                Ok((stream, _)) => {
                    backoff = Duration::ZERO;
                    let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
                        tracing::debug!("zego-sim: connection limit reached, closing a new connection");
                        drop(stream);
                        continue;
                    };
                    let engine = engine.clone();
                    let mut sd = shutdown.clone();
                    tokio::spawn(async move {
                        let _permit = permit;
                        let svc = service_fn(move |req| {
                            let engine = engine.clone();
                            async move { handle(req, engine).await }
                        });
                        let conn = http1::Builder::new()
                            .timer(TokioTimer::new())
                            .header_read_timeout(limits.header_read_timeout)
                            .max_buf_size(MAX_REQUEST_HEAD)
                            .serve_connection(TokioIo::new(stream), svc);
                        tokio::select! {
                            r = conn => {
                                if let Err(e) = r {
                                    tracing::debug!("zego-sim connection ended: {e}");
                                }
                            }
                            _ = sd.wait_for(|v| *v) => {}
                        }
                    });
                }
                Err(e) => {
                    if backoff.is_zero() {
                        tracing::warn!("zego-sim: accept failed: {e} (backing off until it works again)");
                    }
                    backoff = (backoff * 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
                    tokio::time::sleep(backoff).await;
                }
            },
            _ = stop.wait_for(|v| *v) => break,
        }
    }
}
