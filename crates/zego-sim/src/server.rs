//! The loopback HTTP/1.1 server (hyper 1), run on its own thread and runtime.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

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
        (_, "/") => return Ok(respond(405, "text/plain", "method not allowed")),
        _ => return Ok(respond(404, "text/plain", "not found")),
    }
    let query = req.uri().query().unwrap_or("").to_owned();
    let outcome = match engine.begin(&query) {
        Begin::Done(o) => o,
        Begin::Later { delay, pending } => {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            engine.finish(*pending)
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
) {
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
                    let engine = engine.clone();
                    let mut sd = shutdown.clone();
                    tokio::spawn(async move {
                        let svc = service_fn(move |req| {
                            let engine = engine.clone();
                            async move { handle(req, engine).await }
                        });
                        let conn = http1::Builder::new()
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
                    tracing::warn!("zego-sim: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
            _ = stop.wait_for(|v| *v) => break,
        }
    }
}
