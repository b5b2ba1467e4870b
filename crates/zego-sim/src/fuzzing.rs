//! A pure, HTTP-free entry point for fuzzers: query parsing, gateway and dispatch on in-memory
//! state. Not part of the stable API.

use std::collections::HashMap;

use crate::clock::SimClock;
use crate::engine::{Config, Engine, Outcome};
use crate::faults::FaultPlan;
use crate::gateway::AppConfig;

/// The AppId the fuzz target knows.
pub const FUZZ_APP_ID: u32 = 1_234_567_890;
/// Its ServerSecret.
pub const FUZZ_SECRET: &str = "0123456789abcdef0123456789abcdef";
/// The fuzz target's (manual) clock, Unix milliseconds: Timestamp 1700000000 is current.
pub const FUZZ_NOW_MS: i64 = 1_700_000_000_000;

/// A reusable in-memory simulator (state accumulates across calls).
///
/// ```
/// let t = zego_sim::fuzzing::FuzzTarget::new();
/// let body = t.handle("Action=ForbidRTCStream").unwrap();
/// assert!(body.contains("100000001"));
/// ```
#[derive(Debug)]
pub struct FuzzTarget {
    engine: Engine,
}

impl Default for FuzzTarget {
    fn default() -> Self {
        Self::new()
    }
}

impl FuzzTarget {
    /// One app ([`FUZZ_APP_ID`]/[`FUZZ_SECRET`]), manual clock at [`FUZZ_NOW_MS`], rate limits
    /// on, no faults, seed 0.
    ///
    /// ```
    /// let _t = zego_sim::fuzzing::FuzzTarget::new();
    /// ```
    pub fn new() -> Self {
        let mut apps = HashMap::new();
        apps.insert(
            FUZZ_APP_ID,
            AppConfig {
                secret: FUZZ_SECRET.to_owned(),
                rules_enabled: true,
            },
        );
        Self {
            engine: Engine::new(Config {
                apps,
                clock: SimClock::manual(FUZZ_NOW_MS),
                rate_limit: true,
                room_entries_per_app: crate::engine::ROOM_ENTRIES_PER_APP,
                quotas: HashMap::new(),
                faults: FaultPlan::new(),
                seed: 0,
                file: None,
                log_capacity: 0,
                log_bytes: 0,
                callbacks: None,
            }),
        }
    }

    /// Handles one raw query string; returns the response body (`None` for no response).
    ///
    /// ```
    /// let t = zego_sim::fuzzing::FuzzTarget::new();
    /// assert!(t.handle("%zz").unwrap().contains("\"Code\":2"));
    /// ```
    pub fn handle(&self, query: &str) -> Option<String> {
        match self.engine.handle_now(query) {
            Outcome::Json { body, .. } => Some(body),
            Outcome::Html { body, .. } => Some(body.to_owned()),
            Outcome::Drop | Outcome::Hang => None,
        }
    }
}

/// Handles one raw query string on a fresh [`FuzzTarget`]; never panics.
///
/// ```
/// let body = zego_sim::fuzzing::handle_query("Action=&AppId=x").unwrap();
/// assert!(body.contains("100000006"));
/// ```
pub fn handle_query(query: &str) -> Option<String> {
    FuzzTarget::new().handle(query)
}
