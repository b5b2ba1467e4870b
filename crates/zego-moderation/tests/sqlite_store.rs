//! The SQLite store: leases (one holder at a time, a crashed holder loses its work), two
//! connections on one file, catch-up after an outage, the audit log per user/stream.

use std::time::Duration;

use zego_moderation::{
    AuditEntry, AuditFilter, BanDuration, BanRequest, Enforcement, Scopes, SqliteStore, Store,
    Target, WorkKind,
};

fn user_ban(user: &str, secs: u64) -> BanRequest {
    BanRequest::new(
        Target::User {
            user_id: user.into(),
            room_id: Some("room1".into()),
            scopes: Scopes::ALL,
        },
        BanDuration::For(Duration::from_secs(secs)),
        "spam",
        "mod-1",
    )
    .unwrap()
}

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("zego-moderation-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("bans.sqlite")
}

#[test]
fn a_crashed_worker_loses_its_lease_and_cannot_complete_after_takeover() {
    let store = SqliteStore::open_in_memory().unwrap();
    let ban = store.insert_ban(&user_ban("u1", 600), 100).unwrap();
    let claimed = store.claim_due("w1", 100, 30, 10).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].ban, ban.id);
    // While the lease runs, nobody else gets the work.
    assert!(store.claim_due("w2", 129, 30, 10).unwrap().is_empty());
    // w1 "crashes": at the lease's end, w2 takes the work over.
    let taken = store.claim_due("w2", 130, 30, 10).unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].id, claimed[0].id);
    assert!(!store.complete(&claimed[0], "w1").unwrap(), "stale lease");
    assert!(store.complete(&taken[0], "w2").unwrap());
    assert!(store.claim_due("w3", 10_000, 30, 10).unwrap().is_empty());
}

#[test]
fn work_is_claimed_when_due_oldest_first_and_catches_up_after_an_outage() {
    let store = SqliteStore::open_in_memory().unwrap();
    let a = store.insert_ban(&user_ban("a", 600), 0).unwrap();
    let b = store.insert_ban(&user_ban("b", 600), 0).unwrap();
    for w in store.claim_due("w", 0, 30, 10).unwrap() {
        assert!(store.complete(&w, "w").unwrap());
    }
    store.schedule(a.id, WorkKind::Renew, 500).unwrap();
    store.schedule(b.id, WorkKind::Lift, 600).unwrap();
    store.schedule(a.id, WorkKind::Lift, 600).unwrap();
    // Rescheduling replaces unleased work of the same kind.
    store.schedule(a.id, WorkKind::Renew, 400).unwrap();
    assert!(store.claim_due("w", 399, 30, 10).unwrap().is_empty());
    // A worker back after an outage claims everything overdue at once, oldest first.
    let due = store.claim_due("w", 5_000, 30, 10).unwrap();
    let got: Vec<_> = due.iter().map(|w| (w.ban, w.kind, w.due_at)).collect();
    assert_eq!(
        got,
        [
            (a.id, WorkKind::Renew, 400),
            (b.id, WorkKind::Lift, 600),
            (a.id, WorkKind::Lift, 600)
        ]
    );
}

#[test]
fn two_connections_on_one_file_never_share_a_piece_of_work() {
    let path = temp_db("two");
    let one = SqliteStore::open(&path).unwrap();
    let two = SqliteStore::open(&path).unwrap();
    for i in 0..50 {
        one.insert_ban(&user_ban(&format!("u{i}"), 600), 0).unwrap();
    }
    let (x, y) = std::thread::scope(|s| {
        let x = s.spawn(|| {
            let mut got = Vec::new();
            loop {
                let batch = one.claim_due("w1", 0, 30, 3).unwrap();
                if batch.is_empty() {
                    break got;
                }
                got.extend(batch.into_iter().map(|w| w.id));
            }
        });
        let y = s.spawn(|| {
            let mut got = Vec::new();
            loop {
                let batch = two.claim_due("w2", 0, 30, 3).unwrap();
                if batch.is_empty() {
                    break got;
                }
                got.extend(batch.into_iter().map(|w| w.id));
            }
        });
        (x.join().unwrap(), y.join().unwrap())
    });
    let mut all: Vec<_> = x.iter().chain(&y).copied().collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 50);
    assert_eq!(x.len() + y.len(), 50, "a piece of work was claimed twice");
    // The bans survive reopening.
    drop((one, two));
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(again.unlifted_bans().unwrap().len(), 50);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn lifted_bans_leave_the_unlifted_list_and_enforcement_round_trips() {
    let store = SqliteStore::open_in_memory().unwrap();
    let mut ban = store.insert_ban(&user_ban("u1", 600), 0).unwrap();
    assert_eq!(ban.enforcement, Enforcement::Pending);
    ban.enforcement = Enforcement::WithoutRule {
        means: vec![
            "stream forbids".into(),
            "kick".into(),
            "token refusal".into(),
        ],
    };
    ban.effects.forbidden_streams = vec!["s1".into()];
    store.update_ban(&ban).unwrap();
    assert_eq!(store.ban(ban.id).unwrap(), ban);
    ban.enforcement = Enforcement::Lifted;
    assert!(store.update_ban(&ban).unwrap());
    assert!(store.unlifted_bans().unwrap().is_empty());
    // A worker that still holds the old copy cannot revive it.
    ban.enforcement = Enforcement::Full;
    assert!(!store.update_ban(&ban).unwrap());
    assert_eq!(store.ban(ban.id).unwrap().enforcement, Enforcement::Lifted);
    assert!(store.unlifted_bans().unwrap().is_empty());
    assert!(!store.ban(ban.id).unwrap().is_active_at(1));
}

#[test]
fn the_audit_log_is_queryable_per_user_and_stream_as_json_lines() {
    let store = SqliteStore::open_in_memory().unwrap();
    let ban = store.insert_ban(&user_ban("u1", 600), 0).unwrap();
    let entry = |at, user: Option<&str>, stream: Option<&str>| AuditEntry {
        at,
        ban: ban.id,
        action: "apply".into(),
        actor: "mod-1".into(),
        reason: "spam".into(),
        user_id: user.map(Into::into),
        stream_id: stream.map(Into::into),
        request_ids: vec!["1234567890123456789".into()],
        outcome: "ok".into(),
    };
    store.append_audit(&entry(1, Some("u1"), None)).unwrap();
    store.append_audit(&entry(2, None, Some("s9"))).unwrap();
    store.append_audit(&entry(3, Some("u2"), None)).unwrap();
    let mut filter = AuditFilter::default();
    assert_eq!(store.audit(&filter).unwrap().len(), 3);
    filter.user_id = Some("u1".into());
    let u1 = store.audit(&filter).unwrap();
    assert_eq!(u1, [entry(1, Some("u1"), None)]);
    let line = serde_json::to_string(&u1[0]).unwrap();
    assert!(!line.contains('\n'));
    assert!(
        line.contains("\"request_ids\":[\"1234567890123456789\"]"),
        "{line}"
    );
    let mut by_stream = AuditFilter::default();
    by_stream.stream_id = Some("s9".into());
    assert_eq!(store.audit(&by_stream).unwrap()[0].at, 2);
}

#[test]
fn bad_bans_are_refused_naming_the_field() {
    let forever = BanDuration::Forever;
    let cases = [
        (
            Target::User {
                user_id: String::new(),
                room_id: None,
                scopes: Scopes::ALL,
            },
            forever,
            "UserId",
        ),
        (
            Target::User {
                user_id: "u".into(),
                room_id: Some("bad room".into()),
                scopes: Scopes::ALL,
            },
            forever,
            "RoomId",
        ),
        (
            Target::User {
                user_id: "u".into(),
                room_id: None,
                scopes: Scopes {
                    login: false,
                    publish: false,
                },
            },
            forever,
            "scopes",
        ),
        (
            Target::Media {
                room_id: "r".into(),
                stream_id: "s".into(),
                audio: false,
                video: false,
            },
            forever,
            "media",
        ),
        (
            Target::Stream {
                stream_id: "s".into(),
            },
            BanDuration::For(Duration::from_millis(999)),
            "duration",
        ),
    ];
    for (target, duration, field) in cases {
        let err = BanRequest::new(target, duration, "r", "a").unwrap_err();
        assert_eq!(err.field(), field, "{err}");
    }
    let long = "x".repeat(513);
    let stream = || Target::Stream {
        stream_id: "s".into(),
    };
    assert_eq!(
        BanRequest::new(stream(), forever, long.clone(), "a")
            .unwrap_err()
            .field(),
        "reason"
    );
    assert_eq!(
        BanRequest::new(stream(), forever, "r", long)
            .unwrap_err()
            .field(),
        "actor"
    );
    assert!(BanRequest::new(stream(), BanDuration::For(Duration::from_secs(1)), "r", "a").is_ok());
}
