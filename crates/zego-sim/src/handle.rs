//! The running simulator.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

use tokio::sync::watch;

use crate::callbacks::CallbackAttempt;
use crate::clock::SimClock;
use crate::enforce::Refusal;
use crate::engine::{Engine, RoomAt};
use crate::env::Env;
use crate::faults::FaultPlan;
use crate::log::LoggedRequest;
use crate::rooms::{Room, ROLE_AUDIENCE};
use crate::state::{AppStateSnapshot, StreamState};

/// A running simulator. Dropping it shuts the server down. `Send + Sync`: share it by reference
/// or in an `Arc`.
///
/// ```
/// use zego_sim::{Env, Simulator};
/// let sim = Simulator::builder().app(1, "secret").start().unwrap();
/// assert!(sim.forbidden_rtc_streams(1, Env::Production).is_empty());
/// assert!(sim.request_log().is_empty());
/// sim.shutdown();
/// ```
pub struct SimHandle {
    engine: Arc<Engine>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    thread: Mutex<Option<JoinHandle<()>>>,
    done: Arc<(Mutex<bool>, Condvar)>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    pub(crate) fn new(
        engine: Arc<Engine>,
        addr: SocketAddr,
        shutdown: watch::Sender<bool>,
        thread: JoinHandle<()>,
        done: Arc<(Mutex<bool>, Condvar)>,
    ) -> Self {
        Self {
            engine,
            addr,
            shutdown,
            thread: Mutex::new(Some(thread)),
            done,
        }
    }

    /// `http://IP:PORT`, without a trailing slash.
    ///
    /// ```
    /// let sim = zego_sim::Simulator::builder().start().unwrap();
    /// assert_eq!(sim.base_url(), format!("http://{}", sim.addr()));
    /// ```
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address (with the real port when bound to port 0).
    ///
    /// ```
    /// let sim = zego_sim::Simulator::builder().start().unwrap();
    /// assert!(sim.addr().ip().is_loopback());
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A snapshot of one app's state in one environment (expired rules removed).
    ///
    /// ```
    /// let sim = zego_sim::Simulator::builder().app(1, "s").start().unwrap();
    /// assert!(sim.state(1, zego_sim::Env::Test).stream_rules.is_empty());
    /// ```
    pub fn state(&self, app_id: u32, env: Env) -> AppStateSnapshot {
        self.engine.state(app_id, env)
    }

    /// The streams currently forbidden on RTC.
    ///
    /// ```
    /// let sim = zego_sim::Simulator::builder().app(1, "s").start().unwrap();
    /// assert!(sim.forbidden_rtc_streams(1, zego_sim::Env::Production).is_empty());
    /// ```
    pub fn forbidden_rtc_streams(&self, app_id: u32, env: Env) -> BTreeSet<String> {
        self.engine.state(app_id, env).forbidden_rtc_streams
    }

    /// Every request so far, in the order they were answered.
    ///
    /// ```
    /// let sim = zego_sim::Simulator::builder().start().unwrap();
    /// assert_eq!(sim.request_log().len(), 0);
    /// ```
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.engine.request_log()
    }

    /// How many stream operations the `Sequence` rule has dropped (one per stream of a batch).
    ///
    /// ```
    /// let sim = zego_sim::Simulator::builder().start().unwrap();
    /// assert_eq!(sim.sequence_rejections(), 0);
    /// ```
    pub fn sequence_rejections(&self) -> u64 {
        self.engine.sequence_rejections()
    }

    /// Marks a stream as publishing since `create_time` (for `DescribeRTCStreamState`).
    ///
    /// ```
    /// use zego_sim::Env;
    /// let sim = zego_sim::Simulator::builder().app(1, "s").start().unwrap();
    /// sim.set_stream_live(1, Env::Production, "s1", 1_700_000_000);
    /// assert_eq!(sim.state(1, Env::Production).stream_states["s1"].create_time, 1_700_000_000);
    /// ```
    pub fn set_stream_live(&self, app_id: u32, env: Env, stream_id: &str, create_time: i64) {
        self.engine.with_env_state(app_id, env, |s| {
            s.stream_states.insert(
                stream_id.to_owned(),
                StreamState {
                    create_time,
                    close_time: None,
                },
            );
        });
    }

    /// Marks a stream as closed at `close_time` (a stream never set live gets `create_time` =
    /// `close_time`).
    ///
    /// ```
    /// use zego_sim::Env;
    /// let sim = zego_sim::Simulator::builder().app(1, "s").start().unwrap();
    /// sim.set_stream_live(1, Env::Production, "s1", 10);
    /// sim.set_stream_closed(1, Env::Production, "s1", 20);
    /// assert_eq!(sim.state(1, Env::Production).stream_states["s1"].close_time, Some(20));
    /// ```
    pub fn set_stream_closed(&self, app_id: u32, env: Env, stream_id: &str, close_time: i64) {
        self.engine.with_env_state(app_id, env, |s| {
            let st = s
                .stream_states
                .entry(stream_id.to_owned())
                .or_insert(StreamState {
                    create_time: close_time,
                    close_time: None,
                });
            st.close_time = Some(close_time);
        });
    }

    /// Logs `user_id` into `room_id` as an audience member named `user_name`, at the
    /// simulator clock's time (the room exists while it has users). Logging in again keeps
    /// the first login time. Same as `POST /_sim/rooms/{room}/users/{user}/login`.
    ///
    /// ```
    /// use zego_sim::Env;
    /// let sim = zego_sim::Simulator::builder().app(1, "s").start().unwrap();
    /// sim.login_user(1, Env::Production, "room1", "u1", "User One");
    /// assert_eq!(sim.room(1, Env::Production, "room1").unwrap().users["u1"].user_name, "User One");
    /// ```
    pub fn login_user(&self, app_id: u32, env: Env, room_id: &str, user_id: &str, user_name: &str) {
        self.login_user_with_role(app_id, env, room_id, user_id, user_name, ROLE_AUDIENCE);
    }

    /// As [`SimHandle::login_user`] with a role: 1 host, 2 audience, 4 administrator
    /// (counted in `DescribeUserNum`'s `AdminUserCount`).
    ///
    /// ```
    /// use zego_sim::Env;
    /// let sim = zego_sim::Simulator::builder().app(1, "s").start().unwrap();
    /// sim.login_user_with_role(1, Env::Production, "room1", "recorder", "Recorder", 4);
    /// assert_eq!(sim.room(1, Env::Production, "room1").unwrap().users["recorder"].role, 4);
    /// ```
    pub fn login_user_with_role(
        &self,
        app_id: u32,
        env: Env,
        room_id: &str,
        user_id: &str,
        user_name: &str,
        role: u8,
    ) {
        let at = RoomAt {
            app_id,
            env,
            room: room_id,
        };
        // A refused login changes nothing; `try_login_user` says why.
        let _ = self.engine.login_user(at, user_id, user_name, role);
    }

    /// As [`SimHandle::login_user_with_role`], saying why a login is refused: a user ban rule
    /// in force (`SetForbidUserRule` with privilege 1, type 2, 3 or 4) covering this user in
    /// this room ([`Refusal::LoginForbidden`], code
    /// [`LOGIN_FORBIDDEN_CODE`](crate::LOGIN_FORBIDDEN_CODE)). Rules lapse on the
    /// simulator's clock.
    ///
    /// ```
    /// use zego_sim::{Env, Refusal};
    /// let sim = zego_sim::Simulator::builder().app(1, "s").start().unwrap();
    /// assert_eq!(sim.try_login_user(1, Env::Production, "room1", "u1", "U", 2), Ok(()));
    /// ```
    pub fn try_login_user(
        &self,
        app_id: u32,
        env: Env,
        room_id: &str,
        user_id: &str,
        user_name: &str,
        role: u8,
    ) -> Result<(), Refusal> {
        let at = RoomAt {
            app_id,
            env,
            room: room_id,
        };
        self.engine.login_user(at, user_id, user_name, role)
    }

    /// Logs `user_id` out of `room_id`: their streams end, and a room left without users
    /// is destroyed. Same as `POST /_sim/rooms/{room}/users/{user}/logout`.
    ///
    /// ```
    /// use zego_sim::Env;
    /// let sim = zego_sim::Simulator::builder().app(1, "s").start().unwrap();
    /// sim.login_user(1, Env::Production, "room1", "u1", "U");
    /// sim.logout_user(1, Env::Production, "room1", "u1");
    /// assert!(sim.room(1, Env::Production, "room1").is_none());
    /// ```
    pub fn logout_user(&self, app_id: u32, env: Env, room_id: &str, user_id: &str) {
        let at = RoomAt {
            app_id,
            env,
            room: room_id,
        };
        self.engine.logout_user(at, user_id);
    }

    /// Publishes `stream_id` in `room_id` as `user_id` (logged in as a host first if not in
    /// the room) and marks it live for `DescribeRTCStreamState`. `false` (and nothing
    /// changes) when another user publishes that stream ID in the room. Same as
    /// `POST /_sim/streams/{stream_id}/publish?room_id=R&user_id=U`.
    ///
    /// ```
    /// use zego_sim::Env;
    /// let sim = zego_sim::Simulator::builder().app(1, "s").start().unwrap();
    /// assert!(sim.publish_stream(1, Env::Production, "room1", "host", "s1"));
    /// assert!(!sim.publish_stream(1, Env::Production, "room1", "other", "s1"));
    /// assert_eq!(sim.room(1, Env::Production, "room1").unwrap().streams["s1"].user_id, "host");
    /// ```
    pub fn publish_stream(
        &self,
        app_id: u32,
        env: Env,
        room_id: &str,
        user_id: &str,
        stream_id: &str,
    ) -> bool {
        let at = RoomAt {
            app_id,
            env,
            room: room_id,
        };
        self.engine.publish_stream(at, user_id, stream_id).is_ok()
    }

    /// As [`SimHandle::publish_stream`], saying why a publish is refused: the stream ID is
    /// forbidden on RTC ([`Refusal::StreamForbidden`]), a user rule in force covers this
    /// user's publishing or login in this room ([`Refusal::PublishForbiddenByRule`]; both
    /// answer code [`PUBLISH_FORBIDDEN_CODE`](crate::PUBLISH_FORBIDDEN_CODE), 1003025), or
    /// another user publishes the stream ID ([`Refusal::StreamOfAnotherUser`]).
    ///
    /// ```
    /// use zego_sim::{Env, Refusal};
    /// let sim = zego_sim::Simulator::builder().app(1, "s").start().unwrap();
    /// assert_eq!(sim.try_publish_stream(1, Env::Production, "room1", "host", "s1"), Ok(()));
    /// ```
    pub fn try_publish_stream(
        &self,
        app_id: u32,
        env: Env,
        room_id: &str,
        user_id: &str,
        stream_id: &str,
    ) -> Result<(), Refusal> {
        let at = RoomAt {
            app_id,
            env,
            room: room_id,
        };
        self.engine.publish_stream(at, user_id, stream_id)
    }

    /// Ends a stream published with [`SimHandle::publish_stream`]: it leaves its room, is
    /// closed for `DescribeRTCStreamState` (with `close_time` now) and, with callbacks
    /// configured, a `stream_close` of this `close_type` (ZEGO's `type`: 0 normal, 1
    /// heartbeat timeout, 2 re-login, 3 kicked out, 4 connection dropped, 5 room cleared,
    /// 100 DeleteStream) is delivered. `false` (nothing changes) when no room has the
    /// stream. Same as `POST /_sim/streams/{stream_id}/close?type=N`.
    ///
    /// ```
    /// use zego_sim::Env;
    /// let sim = zego_sim::Simulator::builder().app(1, "s").start().unwrap();
    /// assert!(sim.publish_stream(1, Env::Production, "room1", "host", "s1"));
    /// assert!(sim.close_stream(1, Env::Production, "s1", 0));
    /// assert!(sim.state(1, Env::Production).stream_states["s1"].close_time.is_some());
    /// assert!(!sim.close_stream(1, Env::Production, "s1", 0));
    /// ```
    pub fn close_stream(&self, app_id: u32, env: Env, stream_id: &str, close_type: u32) -> bool {
        self.engine.close_stream(app_id, env, stream_id, close_type)
    }

    /// Every callback delivery attempt so far (the most recent
    /// [`CALLBACK_LOG_CAPACITY`](crate::CALLBACK_LOG_CAPACITY)), oldest first; empty without
    /// a callback URL.
    ///
    /// ```
    /// let sim = zego_sim::Simulator::builder().app(1, "s").start().unwrap();
    /// assert!(sim.callback_log().is_empty());
    /// ```
    pub fn callback_log(&self) -> Vec<CallbackAttempt> {
        self.engine.callback_log()
    }

    /// A copy of a room (its users and streams), `None` if it has no users.
    ///
    /// ```
    /// let sim = zego_sim::Simulator::builder().app(1, "s").start().unwrap();
    /// assert!(sim.room(1, zego_sim::Env::Production, "nobody-here").is_none());
    /// ```
    pub fn room(&self, app_id: u32, env: Env, room_id: &str) -> Option<Room> {
        self.engine.room(RoomAt {
            app_id,
            env,
            room: room_id,
        })
    }

    /// Replaces the fault plan; the fault RNG restarts from the plan's seed (or the simulator's).
    ///
    /// ```
    /// let sim = zego_sim::Simulator::builder().start().unwrap();
    /// sim.set_faults(zego_sim::FaultPlan::new().all(zego_sim::Fault::Http503, 0.5));
    /// ```
    pub fn set_faults(&self, plan: FaultPlan) {
        self.engine.set_faults(plan);
    }

    /// The simulator's clock (advance it when it is manual).
    ///
    /// ```
    /// let sim = zego_sim::Simulator::builder().clock(zego_sim::SimClock::manual(0)).start().unwrap();
    /// sim.clock().advance(std::time::Duration::from_secs(1));
    /// assert_eq!(sim.clock().now_millis(), 1000);
    /// ```
    pub fn clock(&self) -> &SimClock {
        self.engine.clock()
    }

    /// Blocks until the server has stopped (after [`SimHandle::shutdown`] from another thread);
    /// for running the simulator in the foreground.
    ///
    /// ```
    /// let sim = std::sync::Arc::new(zego_sim::Simulator::builder().start().unwrap());
    /// let other = sim.clone();
    /// std::thread::spawn(move || other.shutdown());
    /// sim.wait();
    /// ```
    pub fn wait(&self) {
        let (lock, cv) = &*self.done;
        let mut done = lock.lock().unwrap_or_else(PoisonError::into_inner);
        while !*done {
            done = cv.wait(done).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Stops the server, closing every open connection; idempotent. Also done on drop.
    ///
    /// ```
    /// let sim = zego_sim::Simulator::builder().start().unwrap();
    /// sim.shutdown();
    /// sim.shutdown();
    /// ```
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
        self.engine.stop_callbacks();
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(t) = thread {
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}
