//! The simulator on its manual clock, and clients that read that clock: shared by the
//! tests that run bans against `zego-sim` over HTTP.
#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::sync::Arc;
use std::time::Duration;

use zego_moderation::{BanDuration, BanRequest, Scopes, Target};
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
pub struct SimTime(SimClock);

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

pub fn client(sim: &SimHandle) -> Client {
    // The simulator enforces the quotas; the client must not wait on a clock that only the
    // test moves.
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

pub fn count(sim: &SimHandle, action: &str) -> usize {
    sim.request_log()
        .iter()
        .filter(|r| r.action == action && r.code == Some(0))
        .count()
}

pub fn login(sim: &SimHandle, room: &str, user: &str) -> Result<(), Refusal> {
    sim.try_login_user(APP, Env::Production, room, user, user, 2)
}

pub fn publish(sim: &SimHandle, room: &str, user: &str, stream: &str) -> Result<(), Refusal> {
    sim.try_publish_stream(APP, Env::Production, room, user, stream)
}
