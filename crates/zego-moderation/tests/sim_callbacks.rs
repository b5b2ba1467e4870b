//! Callbacks as a shortcut for bans, over real HTTP: the simulator delivers its signed
//! stream callbacks to the `ban_callbacks` example service (zego-axum's extractor, then
//! `Engine::on_stream_event`), on the simulator's manual clock. A `stream_create` from a
//! banned user is forbidden at once and resumed by the lift; a ban applied with complete
//! sightings sends no `DescribeSimpleStreamList`; without them the room is still listed.

#[allow(dead_code)] // The example's `main` is not used here.
#[path = "../examples/ban_callbacks.rs"]
mod ban_callbacks;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ban_callbacks::{app, AppState};
use zego_axum::CallbackConfig;
use zego_callback::CallbackSecret;
use zego_moderation::{
    AuditFilter, BanDuration, BanRequest, Enforcement, Engine, Scopes, Sightings, SqliteStore,
    Store, Target,
};
use zego_proto::clock::Clock;
use zego_proto::ops::{DisabledPrivilege, EffectiveTime, SetForbidUserRule, UserRuleTarget};
use zego_proto::{Credentials, Endpoint};
use zego_sim::{Env, SimClock, SimHandle, Simulator};
use zego_transport_blocking::Client;

const APP: u32 = 1;
const SECRET: &str = "0123456789abcdef0123456789abcdef";
const CALLBACK_SECRET: &str = "cb-S3cr3t-of-the-bans";
const T0_MS: i64 = 1_700_000_000_000;
const DAY: u64 = 86_400;
/// Real HTTP on a shared machine: a generous bound, polled every few milliseconds.
const PATIENCE: Duration = Duration::from_secs(30);

/// The simulator's clock for the client and the callback verifier alike.
struct SimTime(SimClock);

impl Clock for SimTime {
    fn unix_time(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.0.now_millis()).unwrap())
    }
    fn monotonic(&self) -> Duration {
        self.unix_time()
    }
}

/// The simulator, delivering its callbacks to the example service on a loopback port.
struct Setup {
    sim: SimHandle,
    client: Client,
    store: Arc<SqliteStore>,
    sightings: Arc<Sightings>,
    _runtime: tokio::runtime::Runtime,
}

impl Setup {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        // The service's URL must be known before the simulator starts: bind first.
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}/zego/callback", listener.local_addr().unwrap());
        let clock = SimClock::manual(T0_MS);
        let sim = Simulator::builder()
            .app(APP, SECRET)
            .clock(clock.clone())
            .callback_url(&url)
            .callback_secret(CALLBACK_SECRET)
            .start()
            .unwrap();
        let client = Client::builder(Credentials::new(APP, SECRET).unwrap())
            .endpoint(Endpoint::custom(&sim.base_url()).unwrap())
            .clock(Arc::new(SimTime(clock.clone())))
            .no_rate_limit()
            .build();
        let state = AppState {
            callbacks: CallbackConfig::new(CallbackSecret::new(CALLBACK_SECRET).unwrap())
                .clock(Arc::new(SimTime(clock))),
            client: client.clone(),
            store: Arc::new(SqliteStore::open_in_memory().unwrap()),
            sightings: Arc::new(Sightings::new()),
            worker: "callbacks".into(),
        };
        let (store, sightings) = (state.store.clone(), state.sightings.clone());
        runtime.spawn(async move { axum::serve(listener, app(state)).await.unwrap() });
        Self {
            sim,
            client,
            store,
            sightings,
            _runtime: runtime,
        }
    }

    /// The moderators' engine, sharing the service's store and sightings.
    fn engine(&self) -> Engine<'_, SqliteStore> {
        Engine::new(&self.client, self.store.as_ref(), "w1").sightings(&self.sightings)
    }

    fn count(&self, action: &str) -> usize {
        self.sim
            .request_log()
            .iter()
            .filter(|r| r.action == action && r.code == Some(0))
            .count()
    }

    /// Publishes as a client SDK would; the simulator announces it with a `stream_create`.
    fn publish(&self, room: &str, user: &str, stream: &str) {
        self.sim
            .try_publish_stream(APP, Env::Production, room, user, stream)
            .unwrap();
    }

    /// Waits until the `stream_create` of `stream` was answered 2xx by the service (which
    /// answers after handling it).
    fn delivered(&self, stream: &str) {
        eventually(&format!("stream_create of {stream} delivered"), || {
            self.sim.callback_log().iter().any(|a| {
                a.event == "stream_create" && a.stream_id == stream && a.outcome.is_delivered()
            })
        });
    }
}

fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn user_ban(user: &str, room: &str, secs: u64) -> BanRequest {
    BanRequest::new(
        Target::User {
            user_id: user.into(),
            room_id: Some(room.into()),
            scopes: Scopes::ALL,
        },
        BanDuration::For(Duration::from_secs(secs)),
        "spam",
        "mod-1",
    )
    .unwrap()
}

#[test]
fn a_stream_create_from_a_banned_user_is_forbidden_at_once_and_the_lift_resumes_it() {
    let s = Setup::new();
    // ZEGO's cap of 200 user rules is reached, so the ban holds without a rule: the user can
    // publish again, and only the callback catches the new stream.
    for i in 0..200 {
        if i % 10 == 0 {
            s.sim.clock().advance(Duration::from_secs(1)); // 10/s
        }
        let op = SetForbidUserRule::new(
            UserRuleTarget::room_user("other", format!("u{i}")).unwrap(),
            [DisabledPrivilege::Publish],
            EffectiveTime::new(3600).unwrap(),
        )
        .unwrap();
        s.client.execute(&op).unwrap();
    }
    s.sim.clock().advance(Duration::from_secs(1));
    let engine = s.engine();
    let ban = engine.ban(&user_ban("troll", "room1", DAY)).unwrap();
    assert!(
        matches!(ban.enforcement, Enforcement::WithoutRule { .. }),
        "{:?}",
        ban.enforcement
    );
    let forbids_before = s.count("ForbidRTCStreams");

    s.publish("room1", "troll", "s-sneaky");
    s.publish("room1", "host", "s-host");
    s.delivered("s-sneaky");
    s.delivered("s-host");
    let forbidden = s.sim.forbidden_rtc_streams(APP, Env::Production);
    assert!(forbidden.contains("s-sneaky"), "{forbidden:?}");
    assert!(!forbidden.contains("s-host"));
    assert_eq!(s.count("ForbidRTCStreams"), forbids_before + 1);
    // Recorded in the ban's effects and in the audit, with the forbid's RequestId.
    let stored = s.store.ban(ban.id).unwrap();
    assert!(stored
        .effects
        .forbidden_streams
        .contains(&"s-sneaky".to_owned()));
    let mut filter = AuditFilter::default();
    filter.stream_id = Some("s-sneaky".into());
    let audit = s.store.audit(&filter).unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].action, "forbid_on_callback");
    assert_eq!(audit[0].outcome, "ok");
    assert_eq!(audit[0].request_ids.len(), 1);
    let forbid_request = s
        .sim
        .request_log()
        .into_iter()
        .rfind(|r| r.action == "ForbidRTCStreams")
        .unwrap();
    assert_eq!(forbid_request.request_id, audit[0].request_ids[0]);

    // The lift resumes it.
    engine.unban(ban.id, "mod-2").unwrap();
    assert!(!s
        .sim
        .forbidden_rtc_streams(APP, Env::Production)
        .contains("s-sneaky"));
    assert_eq!(
        s.sim
            .try_publish_stream(APP, Env::Production, "room1", "troll", "s-sneaky"),
        Ok(())
    );
}

#[test]
fn a_ban_applied_with_complete_sightings_sends_no_stream_listing() {
    let s = Setup::new();
    // The service started with the (empty) app: its feed holds every stream.
    s.sightings.complete_since(s.sim.clock().now_secs());
    s.publish("room1", "troll", "s-troll");
    s.publish("room1", "host", "s-host");
    s.delivered("s-troll");
    s.delivered("s-host");
    s.sim.clock().advance(Duration::from_secs(1));

    let ban = s.engine().ban(&user_ban("troll", "room1", DAY)).unwrap();
    assert_eq!(ban.enforcement, Enforcement::Full);
    assert_eq!(ban.effects.forbidden_streams, ["s-troll"]);
    assert_eq!(s.count("DescribeSimpleStreamList"), 0);
    let forbidden = s.sim.forbidden_rtc_streams(APP, Env::Production);
    assert!(forbidden.contains("s-troll") && !forbidden.contains("s-host"));
    assert_eq!(s.count("KickoutUser"), 1);
    assert_eq!(s.count("SetForbidUserRule"), 1);
}

#[test]
fn without_complete_sightings_the_room_is_listed_and_the_listing_serves_the_window() {
    let s = Setup::new();
    let engine = s.engine();
    s.publish("room1", "troll-1", "s-1");
    s.publish("room1", "troll-2", "s-2");
    s.publish("room1", "troll-3", "s-3");
    // No callback has been received yet: the ban lists the room, and the listing is not a
    // baseline (nothing would keep it current).
    let first = s
        .engine()
        .sightings(&Sightings::new())
        .ban(&user_ban("troll-1", "room1", DAY))
        .unwrap();
    assert_eq!(first.effects.forbidden_streams, ["s-1"]);
    assert_eq!(s.count("DescribeSimpleStreamList"), 1);

    // Callbacks arrive (the feed is alive), but the room was first heard of through them:
    // a stream older than that would be missed, so the room is listed (after its 10 s).
    s.delivered("s-3");
    s.sim.clock().advance(Duration::from_secs(11));
    let second = engine.ban(&user_ban("troll-2", "room1", DAY)).unwrap();
    assert_eq!(second.effects.forbidden_streams, ["s-2"]);
    assert_eq!(s.count("DescribeSimpleStreamList"), 2);

    // That listing, made with the feed alive, is the room's baseline: a ban 1 s later (the
    // room's listing quota would refuse a listing) uses the sightings.
    s.sim.clock().advance(Duration::from_secs(1));
    let third = engine.ban(&user_ban("troll-3", "room1", DAY)).unwrap();
    assert_eq!(third.effects.forbidden_streams, ["s-3"]);
    assert_eq!(s.count("DescribeSimpleStreamList"), 2);

    // Past the freshness window, the room is listed again.
    s.publish("room1", "troll-4", "s-4");
    s.delivered("s-4");
    s.sim.clock().advance(Duration::from_secs(
        zego_moderation::DEFAULT_FRESHNESS_SECS as u64 + 1,
    ));
    let fourth = engine.ban(&user_ban("troll-4", "room1", DAY)).unwrap();
    assert_eq!(fourth.effects.forbidden_streams, ["s-4"]);
    assert_eq!(s.count("DescribeSimpleStreamList"), 3);
}

#[test]
fn a_failed_forbid_on_callback_is_audited_answered_500_and_done_on_zego_s_retry() {
    let s = Setup::new();
    // Stored by another process, not applied yet: the user still publishes.
    let now = s.sim.clock().now_secs();
    let ban = s
        .store
        .insert_ban(&user_ban("troll", "room1", DAY), now)
        .unwrap();
    // Code 3 (authentication failed): the client does not retry it.
    s.sim.set_faults(zego_sim::FaultPlan::new().action(
        "ForbidRTCStreams",
        zego_sim::Fault::Code(3),
        1.0,
    ));
    s.publish("room1", "troll", "s-x");
    eventually("the first delivery answered 500", || {
        s.sim
            .callback_log()
            .iter()
            .any(|a| a.stream_id == "s-x" && a.status == Some(500))
    });
    let failed = s.store.audit(&AuditFilter::default()).unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].action, "forbid_on_callback");
    assert_ne!(failed[0].outcome, "ok");
    assert_eq!(
        failed[0].request_ids.len(),
        1,
        "the refused forbid's RequestId"
    );
    assert!(s
        .store
        .ban(ban.id)
        .unwrap()
        .effects
        .forbidden_streams
        .is_empty());

    // ZEGO delivers it again 2 s later; the verifier forgot it, so it is handled.
    s.sim.set_faults(zego_sim::FaultPlan::new());
    s.sim.clock().advance(Duration::from_secs(2));
    s.delivered("s-x");
    assert!(s
        .sim
        .forbidden_rtc_streams(APP, Env::Production)
        .contains("s-x"));
    assert_eq!(
        s.store.ban(ban.id).unwrap().effects.forbidden_streams,
        ["s-x"]
    );
    let attempts: Vec<u32> = s
        .sim
        .callback_log()
        .iter()
        .filter(|a| a.stream_id == "s-x")
        .map(|a| a.attempt)
        .collect();
    assert_eq!(attempts, [1, 2]);
}

#[test]
fn another_app_s_callback_or_another_event_forbids_nothing() {
    use zego_callback::{callback_signature, CallbackVerifier};
    let s = Setup::new();
    let now = s.sim.clock().now_secs();
    s.store
        .insert_ban(&user_ban("troll", "room1", DAY), now)
        .unwrap();
    let verifier = CallbackVerifier::new(CallbackSecret::new(CALLBACK_SECRET).unwrap());
    let event = |name: &str, app: u32, nonce: &str| {
        let signature = callback_signature(CALLBACK_SECRET, &now.to_string(), nonce);
        let body = format!(
            r#"{{"event":"{name}","appid":"{app}","timestamp":"{now}","nonce":"{nonce}","signature":"{signature}","room_id":"room1","user_id":"troll","stream_id":"s-t"}}"#
        );
        verifier
            .verify(body.as_bytes(), None, u64::try_from(now).unwrap())
            .unwrap()
    };
    let engine = s.engine();
    assert_eq!(
        engine
            .on_stream_event(&event("stream_create", 999, "1"))
            .unwrap(),
        None
    );
    assert_eq!(
        engine
            .on_stream_event(&event("stream_close", APP, "2"))
            .unwrap(),
        None
    );
    assert_eq!(s.count("ForbidRTCStreams"), 0);
    // The same stream_create for this app is forbidden.
    let forbid = engine
        .on_stream_event(&event("stream_create", APP, "3"))
        .unwrap()
        .unwrap();
    assert_eq!(forbid.stream_id, "s-t");
    assert_eq!(s.count("ForbidRTCStreams"), 1);
}
