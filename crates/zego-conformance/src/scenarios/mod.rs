//! The scenarios, one module per theme; [`all`] collects them. Each starts its own
//! simulator (own port, own state) and its own clients, so they run in parallel; none
//! asserts on luck with the wall clock, only generous upper bounds.
//!
//! A scenario is a `pub fn name<C: ClientUnderTest>(make: MakeClient<'_, C>)` in a theme
//! module, registered in that module's `scenarios()` (a test checks that none is missing).

use std::collections::BTreeSet;

use zego_proto::{CallError, Credentials};
use zego_sim::{Env, SimHandle, Simulator};

use crate::{ClientSetup, ClientUnderTest};

/// Lists scenarios by function name.
macro_rules! register {
    ($($name:ident),* $(,)?) => {
        vec![$(Scenario { name: stringify!($name), run: $name }),*]
    };
}

mod actions;
mod bulk;
mod faults;
mod rate_limits;
mod validation;

/// One scenario, for a client type `C`: its name (the test's) and its function.
#[non_exhaustive]
pub struct Scenario<C> {
    /// The scenario's name: its function's.
    pub name: &'static str,
    /// Runs it, making clients with the given function.
    pub run: fn(MakeClient<'_, C>),
}

impl<C> std::fmt::Debug for Scenario<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Every scenario of every theme.
pub fn all<C: ClientUnderTest>() -> Vec<Scenario<C>> {
    [
        actions::scenarios(),
        validation::scenarios(),
        rate_limits::scenarios(),
        faults::scenarios(),
        bulk::scenarios(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// How a scenario makes its clients.
pub type MakeClient<'a, C> = &'a dyn Fn(ClientSetup) -> C;

/// The simulator app every scenario uses.
pub const APP_ID: u32 = 1234567890;
/// Its ServerSecret.
pub const SECRET: &str = "0123456789abcdef0123456789abcdef";

fn credentials() -> Credentials {
    Credentials::new(APP_ID, SECRET).expect("valid credentials")
}

fn sim() -> SimHandle {
    Simulator::builder()
        .app(APP_ID, SECRET)
        .start()
        .expect("the simulator starts")
}

fn setup(sim: &SimHandle) -> ClientSetup {
    ClientSetup::new(credentials(), sim.base_url())
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

fn forbidden(sim: &SimHandle) -> BTreeSet<String> {
    sim.forbidden_rtc_streams(APP_ID, Env::Production)
}

fn rate_limit_answers(sim: &SimHandle) -> usize {
    sim.request_log()
        .iter()
        .filter(|r| {
            matches!(r.code, Some(30002 | 206 | 1010 | 5007 | 7 | 207)) && r.fault.is_none()
        })
        .count()
}

fn code(err: &CallError) -> Option<i64> {
    err.code().map(zego_proto::ReturnCode::code)
}

fn ids_numbered(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:02}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client type for listing the scenarios (never run).
    struct Listed;

    impl ClientUnderTest for Listed {
        fn core(&self) -> &zego_proto::driver::ClientCore {
            unreachable!("only listed")
        }
        fn execute<O>(&self, _: &O) -> Result<zego_proto::ApiResponse<O::Output>, CallError>
        where
            O: zego_proto::Operation + Sync,
            O::Output: Send,
        {
            unreachable!("only listed")
        }
        fn execute_with<O>(
            &self,
            _: &O,
            _: &zego_proto::CallOptions,
        ) -> Result<zego_proto::ApiResponse<O::Output>, CallError>
        where
            O: zego_proto::Operation + Sync,
            O::Output: Send,
        {
            unreachable!("only listed")
        }
        fn user_pages(
            &self,
            _: zego_proto::ops::DescribeUserList,
        ) -> Vec<Result<zego_proto::ApiResponse<zego_proto::ops::UserPage>, CallError>> {
            unreachable!("only listed")
        }
        fn bulk(
            &self,
            _: zego_proto::bulk::BulkAction,
            _: Box<dyn Iterator<Item = String> + Send>,
            _: &zego_proto::bulk::BulkOptions,
        ) -> zego_proto::bulk::BulkReport {
            unreachable!("only listed")
        }
    }

    /// Every `pub fn ...<C: ClientUnderTest>` of a theme module is registered, once.
    #[test]
    fn every_scenario_is_registered() {
        let sources = [
            include_str!("actions.rs"),
            include_str!("validation.rs"),
            include_str!("rate_limits.rs"),
            include_str!("faults.rs"),
            include_str!("bulk.rs"),
        ];
        let mut written: Vec<&str> = sources
            .iter()
            .flat_map(|source| source.lines())
            .filter_map(|line| line.strip_prefix("pub fn "))
            .filter_map(|rest| {
                rest.split_once("<C: ClientUnderTest>")
                    .map(|(name, _)| name)
            })
            .collect();
        let mut registered: Vec<&str> = all::<Listed>().iter().map(|s| s.name).collect();
        written.sort_unstable();
        registered.sort_unstable();
        assert_eq!(registered, written);
        assert!(registered.len() >= 27, "{}", registered.len());
    }

    /// Every quota group the SDK lets users raise can be raised in the simulator under the
    /// same name (strings compared).
    #[test]
    fn the_simulator_knows_every_quota_group_by_name() {
        for group in zego_proto::ops::RateLimitGroup::ALL {
            if *group == zego_proto::ops::RateLimitGroup::Unmetered {
                continue;
            }
            assert!(
                zego_sim::RateGroup::ALL
                    .iter()
                    .any(|g| g.config_name() == group.as_str()),
                "{} is not a zego-sim quota group",
                group.as_str()
            );
        }
    }

    /// The simulator serves every action of the core's catalog (names compared as
    /// strings: the two share no code).
    #[test]
    fn the_simulator_supports_every_catalogued_action() {
        for entry in zego_proto::ops::CATALOG {
            assert!(
                zego_sim::SUPPORTED_ACTIONS.contains(&entry.name),
                "{} is not served by zego-sim",
                entry.name
            );
        }
    }
}
