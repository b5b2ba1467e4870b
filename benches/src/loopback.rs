//! Loopback HTTP fixtures of the round-trip benches: a minimal hyper server answering a
//! constant JSON body, the ureq agent of the blocking baseline, and pre-signed URLs.
//!
//! The round trips compare the SDK's client with the raw HTTP client under it, against the
//! same server, so the difference is the SDK's own work: rate-limit check, signing, URL
//! encoding, parsing and the retry decision.

use std::io;
use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;
use zego_proto::driver::TransportOptions;
use zego_proto::ops::ForbidRtcStream;
use zego_proto::wire::prepare_with_nonce;
use zego_proto::{Config, Endpoint, Sequence};

use crate::fixtures;

/// The stream every round trip forbids.
pub const STREAM_ID: &str = "bench-stream";

/// The answer of [`ConstJsonServer`]: the spec's success envelope, as zego-sim answers it
/// (same `Content-Type`, a 19-digit `RequestId`).
pub const CONST_BODY: &str = fixtures::SUCCESS_BODY;

/// A minimal server on the simulator's HTTP stack — hyper 1 `http1` connections served by
/// hyper-util on a current-thread tokio runtime on its own thread, exactly as zego-sim runs —
/// whose handler ignores the request and answers [`CONST_BODY`]. Stops when dropped.
///
/// ```
/// use std::io::Read;
/// let server = zego_benches::loopback::ConstJsonServer::start()?;
/// let agent = zego_benches::loopback::ureq_agent();
/// let mut body = String::new();
/// agent.get(&format!("{}/?Action=X", server.base_url())).call().unwrap()
///     .into_body().into_reader().read_to_string(&mut body)?;
/// assert_eq!(body, zego_benches::loopback::CONST_BODY);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct ConstJsonServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ConstJsonServer {
    /// Binds `127.0.0.1:0` and starts serving.
    pub fn start() -> io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("const-json-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(serve(listener, stopped));
            })?;
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ConstJsonServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn answer(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let mut response = Response::new(Full::new(Bytes::from_static(CONST_BODY.as_bytes())));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    Ok(response)
}

async fn serve(listener: std::net::TcpListener, mut stopped: oneshot::Receiver<()>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                tokio::spawn(async move {
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service_fn(answer))
                        .await;
                });
            }
            _ = &mut stopped => break,
        }
    }
}

/// Answers an IP literal host without a lookup, as the SDK's transport does: ureq's default
/// resolver, with a timeout set, starts a thread per request (issue 23), which a raw
/// baseline paying and the SDK not would make the round-trip ratio meaningless (0.28x).
#[derive(Debug)]
struct LiteralResolver;

impl ureq::unversioned::resolver::Resolver for LiteralResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        _config: &ureq::config::Config,
        _timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let ip: std::net::IpAddr = uri
            .host()
            .and_then(|h| h.parse().ok())
            .ok_or(ureq::Error::HostNotFound)?;
        let mut addrs = self.empty();
        addrs.push(std::net::SocketAddr::new(ip, uri.port_u16().unwrap_or(80)));
        Ok(addrs)
    }
}

/// A ureq agent configured exactly as `zego_transport_blocking::UreqTransport` configures
/// its own from the default [`TransportOptions`]: keep-alive pooling (ureq's default),
/// connect and whole-request timeouts, no redirects, statuses not turned into errors, the
/// SDK's user agent, the proxy from the environment, IP literals resolved without a
/// thread.
pub fn ureq_agent() -> ureq::Agent {
    let options = TransportOptions::default();
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(options.connect_timeout))
        .timeout_global(Some(options.request_timeout))
        .max_redirects(0)
        .max_redirects_will_error(false)
        .http_status_as_error(false)
        .user_agent(options.user_agent.as_str())
        .proxy(ureq::Proxy::try_from_env())
        .build();
    ureq::Agent::with_parts(
        config,
        ureq::unversioned::transport::DefaultConnector::new(),
        LiteralResolver,
    )
}

/// The operation every round trip sends: `ForbidRTCStream` of [`STREAM_ID`]. The SDK
/// executes this very value (its `Sequence` stamped at admission, as in real use) and the
/// baselines send it pre-signed with the fixtures' `Sequence`, so the server does the same
/// work for both.
pub fn forbid_op() -> ForbidRtcStream {
    ForbidRtcStream::new(STREAM_ID).expect("valid operation")
}

/// [`forbid_op`] signed once, now, with the fixtures' credentials, as a URL on `base_url`.
///
/// zego-sim accepts it for the whole run: it allows 600 s of `Timestamp` skew and does not
/// check nonce reuse.
pub fn presigned_url(base_url: &str) -> String {
    let config = Config::new(Endpoint::custom(base_url).expect("a loopback URL"));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    prepare_with_nonce(
        &forbid_op().with_sequence(Sequence::new(fixtures::SEQUENCE)),
        &config,
        &fixtures::credentials(),
        now,
        fixtures::nonce(),
    )
    .expect("the fixture is valid")
    .into_url()
}

/// Which side of a [`Paired`] measurement a criterion bench ID reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The SDK (or simulator) figure.
    Figure,
    /// Its baseline.
    Baseline,
}

/// A paired measurement of a figure and its baseline, alternating call by call.
///
/// Both criterion IDs of a round-trip group run through [`Paired::run`]: each iteration
/// makes one call of each side, in alternating order, and criterion is given the time of
/// its own side. Every call of both sides is also added up here, so when the group is done
/// [`Paired::write`] can record the two means and their ratio over the same stretch of time.
///
/// Why: on a small shared machine a loopback round trip is mostly scheduling (two threads
/// waking each other), and it changes by several times within seconds when other work
/// lands on the cores. Measured one after the other, the two IDs of a group were seen to
/// differ by 3x in either direction between runs; calls paired one by one see the same
/// conditions, so their ratio is stable. `cargo xtask bench` reads the paired figures.
///
/// ```
/// use zego_benches::loopback::{Paired, Side};
/// let pair = Paired::default();
/// let _ = pair.run(3, Side::Figure, || (), || ());
/// let _ = pair.run(2, Side::Baseline, || (), || ());
/// assert_eq!(pair.calls(), 5);
/// ```
#[derive(Debug, Default)]
pub struct Paired {
    figure: std::cell::Cell<Duration>,
    baseline: std::cell::Cell<Duration>,
    calls: std::cell::Cell<u64>,
}

impl Paired {
    /// Runs `iters` pairs of calls and returns the time of `side`'s calls.
    pub fn run(
        &self,
        iters: u64,
        side: Side,
        mut figure: impl FnMut(),
        mut baseline: impl FnMut(),
    ) -> Duration {
        let (mut f, mut b) = (Duration::ZERO, Duration::ZERO);
        for i in 0..iters {
            let baseline_first = i % 2 == 0;
            if baseline_first {
                b += timed(&mut baseline);
            }
            f += timed(&mut figure);
            if !baseline_first {
                b += timed(&mut baseline);
            }
        }
        self.record(iters, f, b);
        match side {
            Side::Figure => f,
            Side::Baseline => b,
        }
    }

    /// Adds `calls` pairs that took `figure` and `baseline` in total.
    pub fn record(&self, calls: u64, figure: Duration, baseline: Duration) {
        self.figure.set(self.figure.get() + figure);
        self.baseline.set(self.baseline.get() + baseline);
        self.calls.set(self.calls.get() + calls);
    }

    /// Pairs recorded so far.
    pub fn calls(&self) -> u64 {
        self.calls.get()
    }

    /// Mean time of one figure call and one baseline call, ns.
    #[allow(clippy::cast_precision_loss)] // call counts far below 2^52
    pub fn means_ns(&self) -> (f64, f64) {
        let calls = self.calls.get().max(1) as f64;
        (
            self.figure.get().as_secs_f64() * 1e9 / calls,
            self.baseline.get().as_secs_f64() * 1e9 / calls,
        )
    }

    /// Writes `target/zego-bench/<group>.json`: `figure_ns`, `baseline_ns`, `ratio`, `calls`.
    pub fn write(&self, group: &str) {
        let (figure, baseline) = self.means_ns();
        #[allow(clippy::cast_precision_loss)]
        let fields = [
            ("figure_ns", figure),
            ("baseline_ns", baseline),
            ("ratio", figure / baseline),
            ("calls", self.calls.get() as f64),
        ];
        println!(
            "{group} (paired): {:.2} µs vs {:.2} µs = {:.3}x over {} pairs",
            figure / 1e3,
            baseline / 1e3,
            figure / baseline,
            self.calls.get()
        );
        if let Err(e) = crate::results::write(group, &fields) {
            eprintln!("{group}: could not write the figures: {e}");
        }
    }
}

fn timed(f: &mut impl FnMut()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// `url` with its scheme and authority replaced by `base_url`'s: the same path and query
/// sent to another server.
pub fn rebase(url: &str, base_url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    format!("{base_url}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn const_server_answers_the_body() {
        let server = ConstJsonServer::start().unwrap();
        let agent = ureq_agent();
        for _ in 0..3 {
            let mut response = agent
                .get(&format!("{}/?a=b", server.base_url()))
                .call()
                .unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(
                response.headers()["content-type"],
                "application/json; charset=utf-8"
            );
            assert_eq!(response.body_mut().read_to_string().unwrap(), CONST_BODY);
        }
    }

    #[test]
    fn presigned_url_carries_the_operation() {
        let url = presigned_url("http://127.0.0.1:9");
        assert!(url.starts_with(
            "http://127.0.0.1:9/?Action=ForbidRTCStream&StreamId=bench-stream&Sequence="
        ));
        assert!(url.contains("&Signature="));
        assert_eq!(
            rebase(&url, "http://127.0.0.1:10"),
            url.replace(":9/", ":10/")
        );
    }
}
