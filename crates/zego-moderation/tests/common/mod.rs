//! The simulator on its manual clock, and clients that read that clock: shared by the
//! tests that run bans against `zego-sim` over HTTP.
#![allow(dead_code)] // each test file uses its own part

pub mod hooked;

use std::sync::Arc;
use std::time::Duration;

use zego_moderation::{BanDuration, BanRequest, DueWork, Engine, Scopes, Store, StoredBan, Target};
use zego_proto::clock::Clock;
use zego_proto::{Credentials, Endpoint};
use zego_sim::{Env, Refusal, SimClock, SimHandle, Simulator};
use zego_transport_blocking::Client;

pub const APP: u32 = 1;
pub const SECRET: &str = "0123456789abcdef0123456789abcdef";
pub const T0_MS: i64 = 1_700_000_000_000;
pub const DAY: u64 = 86_400;

/// The client reads the simulator's clock, so signing, sequences and the engine's time all
/// move with it.
pub struct SimTime(pub SimClock);

impl Clock for SimTime {
    fn unix_time(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.0.now_millis()).unwrap())
    }
    fn monotonic(&self) -> Duration {
        self.unix_time()
    }
}

pub fn sim() -> SimHandle {
    Simulator::builder()
        .app(APP, SECRET)
        .clock(SimClock::manual(T0_MS))
        .start()
        .unwrap()
}

/// A simulator on a manual clock without its quotas (for runs of more requests than one
/// simulated second allows; the raid benchmark checks the quotas in real time).
pub fn sim_without_quotas() -> SimHandle {
    Simulator::builder()
        .app(APP, SECRET)
        .clock(SimClock::manual(T0_MS))
        .rate_limit(false)
        .start()
        .unwrap()
}

/// The simulator enforces the quotas; the client must not wait on a clock that only the
/// test moves.
pub fn client(sim: &SimHandle) -> Client {
    Client::builder(Credentials::new(APP, SECRET).unwrap())
        .endpoint(Endpoint::custom(&sim.base_url()).unwrap())
        .clock(Arc::new(SimTime(sim.clock().clone())))
        .no_rate_limit()
        .build()
}

pub fn user_ban(user: &str, room: &str, scopes: Scopes, secs: u64) -> BanRequest {
    BanRequest::new(
        Target::User {
            user_id: user.into(),
            room_id: Some(room.into()),
            scopes,
        },
        BanDuration::For(Duration::from_secs(secs)),
        "spam",
        "mod-1",
    )
    .unwrap()
}

/// Successful requests of `action` in the simulator's log.
pub fn count(sim: &SimHandle, action: &str) -> usize {
    sim.request_log()
        .iter()
        .filter(|r| r.action == action && r.code == Some(0))
        .count()
}

/// A stand-in client's login, as the simulator judges it against the rules in force.
pub fn login(sim: &SimHandle, room: &str, user: &str) -> Result<(), Refusal> {
    sim.try_login_user(APP, Env::Production, room, user, user, 2)
}

/// A stand-in client's publish, as the simulator judges it against forbids and rules.
pub fn publish(sim: &SimHandle, room: &str, user: &str, stream: &str) -> Result<(), Refusal> {
    sim.try_publish_stream(APP, Env::Production, room, user, stream)
}

/// Two workers, each with its own client and store handle (`s1`, `s2`: one store), hold a
/// 3-day user ban in room1 while the first "crashes" at the first renewal: it claims that
/// work and never does it, so its lease (60 s) lapses and the other takes over. Both tick
/// every simulated minute, each first in turn, until 2 minutes past the end; troll's login
/// is refused every minute of the ban. Returns the ban and the work the crashed worker lost.
pub fn two_workers_through_a_crashed_renewal<S: Store>(
    sim: &SimHandle,
    s1: &S,
    s2: &S,
) -> (StoredBan, Vec<DueWork>) {
    let (c1, c2) = (client(sim), client(sim));
    let (w1, w2) = (Engine::new(&c1, s1, "w1"), Engine::new(&c2, s2, "w2"));
    let ban = w1
        .ban(&user_ban("troll", "room1", Scopes::ALL, 3 * DAY))
        .unwrap();
    let end = ban.ends_at.unwrap();
    let first_renewal = ban.created_at + 86_400 - 3600;
    sim.clock().set(first_renewal * 1000);
    let lost = s1.claim_due("w1", first_renewal, 60, 10).unwrap();
    assert_eq!(lost.len(), 1);
    let mut minute = 0;
    while sim.clock().now_secs() < end + 120 {
        sim.clock().advance(Duration::from_secs(60));
        minute += 1;
        if minute % 2 == 0 {
            w1.tick().unwrap();
            w2.tick().unwrap();
        } else {
            w2.tick().unwrap();
            w1.tick().unwrap();
        }
        if sim.clock().now_secs() < end {
            assert!(
                matches!(
                    login(sim, "room1", "troll"),
                    Err(Refusal::LoginForbidden { .. })
                ),
                "minute {minute} after the crash: no rule in force"
            );
        }
    }
    (ban, lost)
}
