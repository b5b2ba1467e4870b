//! Bans against the simulator over real HTTP, on its manual clock: a 3-day user ban probed
//! every simulated minute, overlapping bans, two workers on one SQLite file (a crashed one
//! included), and the 200-rule cap.

mod common;

use std::time::Duration;

use zego_moderation::{
    issue_token, BanDuration, BanRequest, Enforcement, Engine, Scopes, SqliteStore, Store, Target,
    TokenRefusal,
};
use zego_proto::ops::{DisabledPrivilege, EffectiveTime, SetForbidUserRule, UserRuleTarget};
use zego_proto::token::TokenRequest;
use zego_proto::Credentials;
use zego_sim::{Env, Refusal, SimHandle};

use common::{
    client, count, login, publish, sim, two_workers_through_a_crashed_renewal, user_ban, APP, DAY,
    SECRET,
};

#[test]
fn a_three_day_ban_holds_every_simulated_minute_and_is_lifted_at_the_end() {
    let sim = sim();
    let client = client(&sim);
    let store = SqliteStore::open_in_memory().unwrap();
    let engine = Engine::new(&client, &store, "w1");
    publish(&sim, "room1", "troll", "s-troll").unwrap();
    publish(&sim, "room1", "host", "s-host").unwrap();

    let ban = engine
        .ban(&user_ban("troll", "room1", Scopes::ALL, 3 * DAY))
        .unwrap();
    assert_eq!(ban.enforcement, Enforcement::Full);
    assert_eq!(ban.effects.forbidden_streams, ["s-troll"]);
    assert!(ban.effects.kicked);
    let state = sim.state(APP, Env::Production);
    assert!(state.forbidden_rtc_streams.contains("s-troll"));
    assert!(!state.forbidden_rtc_streams.contains("s-host"));
    let room = sim.room(APP, Env::Production, "room1").unwrap();
    assert!(!room.users.contains_key("troll"));
    assert!(room.streams.contains_key("s-host"));

    let end = ban.ends_at.unwrap();
    let mut minutes = 0;
    while sim.clock().now_secs() + 60 < end {
        sim.clock().advance(Duration::from_secs(60));
        engine.tick().unwrap();
        minutes += 1;
        assert!(
            matches!(
                login(&sim, "room1", "troll"),
                Err(Refusal::LoginForbidden { .. })
            ),
            "minute {minutes}: login allowed"
        );
        assert!(
            publish(&sim, "room1", "troll", "s-troll-2").is_err(),
            "minute {minutes}: publish allowed"
        );
        assert_eq!(
            publish(&sim, "room1", "troll", "s-troll"),
            Err(Refusal::StreamForbidden)
        );
    }
    assert!(minutes >= 4318, "{minutes}");
    sim.clock().set(end * 1000);
    engine.tick().unwrap();
    assert_eq!(store.ban(ban.id).unwrap().enforcement, Enforcement::Lifted);
    assert_eq!(login(&sim, "room1", "troll"), Ok(()));
    assert_eq!(publish(&sim, "room1", "troll", "s-troll"), Ok(()));
    // One rule at the ban, renewed an hour before each lapse: 82800 s, 165600 s, 248400 s.
    assert_eq!(count(&sim, "SetForbidUserRule"), 4);
    assert_eq!(count(&sim, "ResumeRTCStreams"), 1);
    let audit: Vec<String> = store
        .audit(&zego_moderation::AuditFilter::default())
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(audit, ["ban", "apply", "renew", "renew", "renew", "lift"]);
}

#[test]
fn lifting_one_of_two_overlapping_bans_keeps_the_other_in_force() {
    let sim = sim();
    let client = client(&sim);
    let store = SqliteStore::open_in_memory().unwrap();
    let engine = Engine::new(&client, &store, "w1");
    publish(&sim, "room1", "troll", "s-troll").unwrap();
    let full = engine
        .ban(&user_ban("troll", "room1", Scopes::ALL, 2 * DAY))
        .unwrap();
    sim.clock().advance(Duration::from_secs(11)); // the room's stream-list quota
    let publish_only = Scopes {
        login: false,
        publish: true,
    };
    let mute = engine
        .ban(&user_ban("troll", "room1", publish_only, DAY))
        .unwrap();
    assert_eq!(mute.enforcement, Enforcement::Full);
    assert!(login(&sim, "room1", "troll").is_err());

    // Lifting the login ban: the user may log in again but still not publish, and the
    // stream the first ban forbade stays forbidden only if another ban holds it (none does).
    engine.unban(full.id, "mod-2").unwrap();
    assert_eq!(login(&sim, "room1", "troll"), Ok(()));
    assert_eq!(
        publish(&sim, "room1", "troll", "s-new"),
        Err(Refusal::PublishForbiddenByRule { rule_type: 4 })
    );
    assert_eq!(
        publish(&sim, "room1", "troll", "s-troll").unwrap_err(),
        Refusal::PublishForbiddenByRule { rule_type: 4 }
    );
    assert!(!sim
        .forbidden_rtc_streams(APP, Env::Production)
        .contains("s-troll"));
    let rules = sim.state(APP, Env::Production).user_rules;
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].disabled_privileges, [2]);

    // Lifting the second: nothing is left.
    engine.unban(mute.id, "mod-2").unwrap();
    assert_eq!(publish(&sim, "room1", "troll", "s-new"), Ok(()));
    assert!(sim.state(APP, Env::Production).user_rules.is_empty());
}

#[test]
fn two_workers_on_one_sqlite_file_send_each_renewal_and_lift_once_even_after_a_crash() {
    let dir = std::env::temp_dir().join(format!("zego-moderation-fleet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bans.sqlite");
    let sim = sim();
    let (s1, s2) = (
        SqliteStore::open(&path).unwrap(),
        SqliteStore::open(&path).unwrap(),
    );
    two_workers_through_a_crashed_renewal(&sim, &s1, &s2);
    assert_eq!(count(&sim, "SetForbidUserRule"), 4);
    assert_eq!(
        count(&sim, "DelForbidUserRule") + count(&sim, "ResumeRTCStreams"),
        1
    );
    assert_eq!(login(&sim, "room1", "troll"), Ok(()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn past_the_rule_cap_the_ban_holds_by_its_other_means_and_says_so() {
    let sim = sim();
    let client = client(&sim);
    for i in 0..200 {
        if i % 10 == 0 {
            sim.clock().advance(Duration::from_secs(1)); // 10/s
        }
        let op = SetForbidUserRule::new(
            UserRuleTarget::room_user("other", format!("u{i}")).unwrap(),
            [DisabledPrivilege::Publish],
            EffectiveTime::new(3600).unwrap(),
        )
        .unwrap();
        client.execute(&op).unwrap();
    }
    sim.clock().advance(Duration::from_secs(1));
    let store = SqliteStore::open_in_memory().unwrap();
    let engine = Engine::new(&client, &store, "w1");
    publish(&sim, "room1", "troll", "s-troll").unwrap();
    let ban = engine
        .ban(&user_ban("troll", "room1", Scopes::ALL, DAY))
        .unwrap();
    assert_eq!(
        ban.enforcement,
        Enforcement::WithoutRule {
            means: vec![
                "stream forbids".into(),
                "kick".into(),
                "token refusal".into()
            ]
        }
    );
    assert_eq!(
        publish(&sim, "room1", "troll", "s-troll"),
        Err(Refusal::StreamForbidden)
    );
    let credentials = Credentials::new(APP, SECRET).unwrap();
    let request = TokenRequest::new("troll", Duration::from_secs(3600)).unwrap();
    let now = u64::try_from(sim.clock().now_secs()).unwrap();
    assert!(matches!(
        issue_token(&store, &credentials, &request, now),
        Err(TokenRefusal::Banned { .. })
    ));
    // The rule is tried again every 10 minutes and lands once the other rules lapse.
    sim.clock().advance(Duration::from_secs(1200));
    engine.tick().unwrap();
    assert!(matches!(
        store.ban(ban.id).unwrap().enforcement,
        Enforcement::WithoutRule { .. }
    ));
    sim.clock().advance(Duration::from_secs(3600));
    engine.tick().unwrap();
    assert_eq!(store.ban(ban.id).unwrap().enforcement, Enforcement::Full);
    assert!(matches!(
        login(&sim, "room1", "troll"),
        Err(Refusal::LoginForbidden { .. })
    ));
}

#[test]
fn a_worker_back_after_an_outage_reapplies_what_lapsed() {
    let sim = sim();
    let client = client(&sim);
    let store = SqliteStore::open_in_memory().unwrap();
    let engine = Engine::new(&client, &store, "w1");
    let ban = engine
        .ban(&user_ban("troll", "room1", Scopes::ALL, 3 * DAY))
        .unwrap();
    // No worker runs for 30 hours: the rule lapses at 24 h and the user comes back.
    sim.clock().advance(Duration::from_secs(30 * 3600));
    publish(&sim, "room1", "troll", "s-back").unwrap();
    engine.tick().unwrap();
    let after = store.ban(ban.id).unwrap();
    assert_eq!(after.enforcement, Enforcement::Full);
    assert_eq!(after.effects.forbidden_streams, ["s-back"]);
    let room = sim.room(APP, Env::Production, "room1");
    assert!(room.is_none_or(|r| !r.users.contains_key("troll")));
    assert!(matches!(
        login(&sim, "room1", "troll"),
        Err(Refusal::LoginForbidden { .. })
    ));
    let actions: Vec<String> = store
        .audit(&zego_moderation::AuditFilter::default())
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["ban", "apply", "reapply"]);
}

#[test]
fn a_failed_call_is_audited_with_its_request_id_and_retried_when_the_lease_runs_out() {
    let sim = sim();
    let client = client(&sim);
    let store = SqliteStore::open_in_memory().unwrap();
    let engine = Engine::new(&client, &store, "w1");
    // Code 3 (authentication failed): never retried by the client.
    sim.set_faults(zego_sim::FaultPlan::new().action("KickoutUser", zego_sim::Fault::Code(3), 1.0));
    sim.login_user(APP, Env::Production, "room1", "troll", "troll");
    let ban = engine
        .ban(&user_ban("troll", "room1", Scopes::ALL, DAY))
        .unwrap();
    assert!(
        matches!(ban.enforcement, Enforcement::Failing { .. }),
        "{:?}",
        ban.enforcement
    );
    let audit = store
        .audit(&zego_moderation::AuditFilter::default())
        .unwrap();
    let failed = audit.last().unwrap();
    assert_eq!(failed.action, "apply");
    assert_ne!(failed.outcome, "ok");
    // The stream list and the refused kick both answered with a RequestId.
    assert_eq!(failed.request_ids.len(), 2, "{failed:?}");
    // Within the lease nothing is retried; after it, the apply succeeds.
    sim.set_faults(zego_sim::FaultPlan::new());
    sim.clock().advance(Duration::from_secs(30));
    assert_eq!(engine.tick().unwrap().done, 0);
    sim.clock().advance(Duration::from_secs(31));
    assert_eq!(engine.tick().unwrap().done, 1);
    assert_eq!(store.ban(ban.id).unwrap().enforcement, Enforcement::Full);
    assert!(matches!(
        login(&sim, "room1", "troll"),
        Err(Refusal::LoginForbidden { .. })
    ));
}

fn run_until(sim: &SimHandle, engine: &Engine<'_, SqliteStore>, until: i64, step: u64) {
    while sim.clock().now_secs() < until {
        sim.clock().advance(Duration::from_secs(step));
        engine.tick().unwrap();
    }
}

#[test]
fn a_stream_ban_is_resumed_at_its_end_unless_a_user_ban_still_holds_the_stream() {
    let sim = sim();
    let client = client(&sim);
    let store = SqliteStore::open_in_memory().unwrap();
    let engine = Engine::new(&client, &store, "w1");
    let stream_ban = |id: &str, secs| {
        BanRequest::new(
            Target::Stream {
                stream_id: id.into(),
            },
            BanDuration::For(Duration::from_secs(secs)),
            "spam",
            "mod-1",
        )
        .unwrap()
    };
    let short = engine.ban(&stream_ban("s-a", 1800)).unwrap();
    engine.ban(&stream_ban("s-b", 1800)).unwrap();
    publish(&sim, "room1", "troll", "s-b").unwrap_err();
    // A user ban that (as its effects record) forbade s-b too.
    sim.clock().advance(Duration::from_secs(1));
    let forbidden = sim.forbidden_rtc_streams(APP, Env::Production);
    assert!(forbidden.contains("s-a") && forbidden.contains("s-b"));
    let mut user = store
        .insert_ban(
            &user_ban("troll", "room1", Scopes::ALL, DAY),
            sim.clock().now_secs(),
        )
        .unwrap();
    user.effects.forbidden_streams = vec!["s-b".into()];
    store.update_ban(&mut user).unwrap();
    run_until(&sim, &engine, short.ends_at.unwrap() + 60, 60);
    let forbidden = sim.forbidden_rtc_streams(APP, Env::Production);
    assert!(!forbidden.contains("s-a"), "s-a resumed at its end");
    assert!(forbidden.contains("s-b"), "the user ban still holds s-b");
    assert_eq!(count(&sim, "ResumeRTCStreams"), 1);
}

#[test]
fn a_media_ban_sets_renews_and_deletes_its_stream_rule() {
    let sim = sim();
    let client = client(&sim);
    let store = SqliteStore::open_in_memory().unwrap();
    let engine = Engine::new(&client, &store, "w1");
    let ban = engine
        .ban(
            &BanRequest::new(
                Target::Media {
                    room_id: "room1".into(),
                    stream_id: "s1".into(),
                    audio: true,
                    video: false,
                },
                BanDuration::For(Duration::from_secs(2 * DAY)),
                "loud",
                "mod-1",
            )
            .unwrap(),
        )
        .unwrap();
    assert_eq!(ban.enforcement, Enforcement::Full);
    let end = ban.ends_at.unwrap();
    while sim.clock().now_secs() + 3600 < end {
        sim.clock().advance(Duration::from_secs(3600));
        engine.tick().unwrap();
        let rules = sim.state(APP, Env::Production).stream_rules;
        assert_eq!(rules.len(), 1, "hour {}", sim.clock().now_secs());
        assert!(rules[0].disable_audio && !rules[0].disable_video);
    }
    run_until(&sim, &engine, end, 3600);
    assert!(sim.state(APP, Env::Production).stream_rules.is_empty());
    // Set at 0, renewed at 82800 s (for 24 h) and 165600 s (for the last 2 h).
    assert_eq!(count(&sim, "SetForbidStreamRule"), 3);
    assert_eq!(store.ban(ban.id).unwrap().enforcement, Enforcement::Lifted);
}

#[test]
fn an_app_wide_ban_keeps_the_user_out_of_every_room_and_from_tokens() {
    let sim = sim();
    let client = client(&sim);
    let store = SqliteStore::open_in_memory().unwrap();
    let engine = Engine::new(&client, &store, "w1");
    let ban = BanRequest::new(
        Target::User {
            user_id: "troll".into(),
            room_id: None,
            scopes: Scopes::ALL,
        },
        BanDuration::Forever,
        "spam",
        "mod-1",
    )
    .unwrap();
    let ban = engine.ban(&ban).unwrap();
    assert_eq!(ban.enforcement, Enforcement::Full);
    for room in ["room1", "room2"] {
        assert_eq!(
            login(&sim, room, "troll"),
            Err(Refusal::LoginForbidden { rule_type: 3 })
        );
    }
    let credentials = Credentials::new(APP, SECRET).unwrap();
    let privileged = TokenRequest::new("troll", Duration::from_secs(60))
        .unwrap()
        .privilege(zego_proto::token::RoomPrivilege::new("room9").unwrap());
    let now = u64::try_from(sim.clock().now_secs()).unwrap();
    assert!(issue_token(&store, &credentials, &privileged, now).is_err());
    // Forever: renewed every day (an hour early), never lifted.
    run_until(&sim, &engine, sim.clock().now_secs() + 10 * 86_400, 3600);
    assert!(login(&sim, "room1", "troll").is_err());
    assert_eq!(count(&sim, "SetForbidUserRule"), 11);
}

/// A store through which "another worker" lifts a ban at the moment this worker's renewal
/// reads the other bans (after its claim, before its `SetForbidUserRule`).
struct LiftsMidway<'a> {
    inner: &'a SqliteStore,
    hook: std::sync::Mutex<Option<Box<dyn FnOnce() + Send + 'a>>>,
}

impl Store for LiftsMidway<'_> {
    fn insert_ban(
        &self,
        r: &BanRequest,
        now: i64,
    ) -> Result<zego_moderation::StoredBan, zego_moderation::StoreError> {
        self.inner.insert_ban(r, now)
    }
    fn ban(
        &self,
        id: zego_moderation::BanId,
    ) -> Result<zego_moderation::StoredBan, zego_moderation::StoreError> {
        self.inner.ban(id)
    }
    fn unlifted_bans(
        &self,
    ) -> Result<Vec<zego_moderation::StoredBan>, zego_moderation::StoreError> {
        let hook = self.hook.lock().unwrap().take();
        if let Some(lift) = hook {
            lift();
        }
        self.inner.unlifted_bans()
    }
    fn update_ban(
        &self,
        b: &mut zego_moderation::StoredBan,
    ) -> Result<bool, zego_moderation::StoreError> {
        self.inner.update_ban(b)
    }
    fn schedule(
        &self,
        id: zego_moderation::BanId,
        kind: zego_moderation::WorkKind,
        at: i64,
    ) -> Result<(), zego_moderation::StoreError> {
        self.inner.schedule(id, kind, at)
    }
    fn claim_due(
        &self,
        w: &str,
        now: i64,
        lease: i64,
        limit: usize,
    ) -> Result<Vec<zego_moderation::DueWork>, zego_moderation::StoreError> {
        self.inner.claim_due(w, now, lease, limit)
    }
    fn complete(
        &self,
        work: &zego_moderation::DueWork,
        w: &str,
    ) -> Result<bool, zego_moderation::StoreError> {
        self.inner.complete(work, w)
    }
    fn append_audit(
        &self,
        e: &zego_moderation::AuditEntry,
    ) -> Result<(), zego_moderation::StoreError> {
        self.inner.append_audit(e)
    }
    fn audit(
        &self,
        f: &zego_moderation::AuditFilter,
    ) -> Result<Vec<zego_moderation::AuditEntry>, zego_moderation::StoreError> {
        self.inner.audit(f)
    }
}

#[test]
fn a_renewal_racing_an_unban_never_revives_the_ban_nor_leaves_its_rule() {
    let sim = sim();
    let (c1, c2) = (client(&sim), client(&sim));
    let inner = SqliteStore::open_in_memory().unwrap();
    let racing = LiftsMidway {
        inner: &inner,
        hook: std::sync::Mutex::new(None),
    };
    let w1 = Engine::new(&c1, &racing, "w1");
    let ban = w1
        .ban(&user_ban("troll", "room1", Scopes::ALL, 3 * DAY))
        .unwrap();
    sim.clock().set((ban.created_at + 86_400 - 3600) * 1000);
    let id = ban.id;
    let (c2, inner_ref) = (&c2, &inner);
    *racing.hook.lock().unwrap() = Some(Box::new(move || {
        Engine::new(c2, inner_ref, "w2").unban(id, "mod-2").unwrap();
    }));
    w1.tick().unwrap();
    assert!(
        racing.hook.lock().unwrap().is_none(),
        "the other worker lifted midway"
    );
    // The renewal's rule landed after the other worker's delete, and was deleted again.
    assert_eq!(count(&sim, "SetForbidUserRule"), 2);
    assert_eq!(count(&sim, "DelForbidUserRule"), 2);
    assert_eq!(inner.ban(id).unwrap().enforcement, Enforcement::Lifted);
    assert!(sim.state(APP, Env::Production).user_rules.is_empty());
    assert_eq!(login(&sim, "room1", "troll"), Ok(()));
    // Nothing more is due for the ban.
    sim.clock().advance(Duration::from_secs(4 * DAY));
    let before = sim.request_log().len();
    w1.tick().unwrap();
    assert_eq!(sim.request_log().len(), before);
}

#[test]
fn with_a_store_that_keeps_no_listings_a_worker_reuses_its_own_within_the_window() {
    let sim = sim();
    let client = client(&sim);
    let inner = SqliteStore::open_in_memory().unwrap();
    // No hook: a plain store without `recent_listing` (the trait's default keeps none).
    let plain = LiftsMidway {
        inner: &inner,
        hook: std::sync::Mutex::new(None),
    };
    let engine = Engine::new(&client, &plain, "w1");
    publish(&sim, "room1", "a", "s-a").unwrap();
    publish(&sim, "room1", "b", "s-b").unwrap();
    engine
        .ban(&user_ban("a", "room1", Scopes::ALL, DAY))
        .unwrap();
    sim.clock().advance(Duration::from_secs(5));
    let b = engine
        .ban(&user_ban("b", "room1", Scopes::ALL, DAY))
        .unwrap();
    assert_eq!(b.effects.forbidden_streams, ["s-b"]);
    assert_eq!(count(&sim, "DescribeSimpleStreamList"), 1);
    assert!(inner.recent_listing("room1", 0).unwrap().is_none());
}
