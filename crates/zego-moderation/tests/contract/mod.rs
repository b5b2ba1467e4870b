//! The [`Store`] contract, one generic body per property, run against every store
//! (`sqlite_store.rs`, `redis_store.rs`).
#![allow(dead_code)] // Each test binary runs its own part of the contract.

use std::time::Duration;

use zego_moderation::{
    AuditEntry, AuditFilter, BanDuration, BanId, BanRequest, Enforcement, ListedStream,
    RoomListing, Scopes, Store, StoreError, Target, WorkKind,
};

pub fn user_ban(user: &str, secs: u64) -> BanRequest {
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

/// A crashed worker loses its lease: the next claim after it runs out takes the work over,
/// and the crashed worker can no longer complete it.
pub fn a_crashed_worker_loses_its_lease<S: Store + ?Sized>(store: &S) {
    let ban = store.insert_ban(&user_ban("u1", 600), 100).unwrap();
    let claimed = store.claim_due("w1", 100, 30, 10).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].ban, ban.id);
    assert_eq!(claimed[0].kind, WorkKind::Apply);
    assert_eq!(claimed[0].lease_until, 130);
    // While the lease runs, nobody else gets the work.
    assert!(store.claim_due("w2", 129, 30, 10).unwrap().is_empty());
    // w1 "crashes": at the lease's end, w2 takes the work over.
    let taken = store.claim_due("w2", 130, 30, 10).unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].id, claimed[0].id);
    assert!(!store.complete(&claimed[0], "w1").unwrap(), "stale lease");
    assert!(store.complete(&taken[0], "w2").unwrap());
    assert!(!store.complete(&taken[0], "w2").unwrap(), "completed twice");
    assert!(store.claim_due("w3", 10_000, 30, 10).unwrap().is_empty());
}

/// Work is claimed when due, oldest first, rescheduling replaces unleased work of the same
/// kind (never leased work), and a worker back after an outage claims everything at once.
pub fn work_is_claimed_oldest_first_and_catches_up<S: Store + ?Sized>(store: &S) {
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
    // A worker back after an outage claims everything overdue at once, oldest first, and
    // within its limit.
    assert_eq!(store.claim_due("w", 5_000, 30, 0).unwrap(), []);
    let first = store.claim_due("w", 5_000, 30, 1).unwrap();
    let rest = store.claim_due("w", 5_000, 30, 10).unwrap();
    let got: Vec<_> = first
        .iter()
        .chain(&rest)
        .map(|w| (w.ban, w.kind, w.due_at))
        .collect();
    assert_eq!(
        got,
        [
            (a.id, WorkKind::Renew, 400),
            (b.id, WorkKind::Lift, 600),
            (a.id, WorkKind::Lift, 600)
        ]
    );
    // Leased work is not replaced by a new schedule: both are there.
    store.schedule(a.id, WorkKind::Renew, 5_001).unwrap();
    let again = store.claim_due("w2", 5_031, 30, 10).unwrap();
    let renewals = again.iter().filter(|w| w.kind == WorkKind::Renew).count();
    assert_eq!(renewals, 2, "{again:?}");
}

/// Two handles on one store never lease the same piece of work; the bans survive a new
/// handle (`reopen`), and a listing longer than one page is whole and in order.
pub fn two_handles_never_share_a_piece_of_work<S: Store>(one: &S, two: &S, reopen: impl Fn() -> S) {
    const BANS: usize = 150;
    for i in 0..BANS {
        one.insert_ban(&user_ban(&format!("u{i}"), 600), 0).unwrap();
    }
    let claim_all = |store: &S, worker: &str| {
        let mut got = Vec::new();
        loop {
            let batch = store.claim_due(worker, 0, 30, 3).unwrap();
            if batch.is_empty() {
                break got;
            }
            got.extend(batch.into_iter().map(|w| w.id));
        }
    };
    let (x, y) = std::thread::scope(|s| {
        let x = s.spawn(|| claim_all(one, "w1"));
        let y = s.spawn(|| claim_all(two, "w2"));
        (x.join().unwrap(), y.join().unwrap())
    });
    let mut all: Vec<_> = x.iter().chain(&y).copied().collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), BANS);
    assert_eq!(x.len() + y.len(), BANS, "a piece of work was claimed twice");
    let again = reopen();
    let bans = again.unlifted_bans().unwrap();
    assert_eq!(bans.len(), BANS);
    assert!(bans.windows(2).all(|w| w[0].id < w[1].id), "in ID order");
}

/// A lifted ban leaves the unlifted list and cannot be revived by a stale copy; what a
/// ban stores round-trips.
pub fn lifted_bans_are_never_revived<S: Store + ?Sized>(store: &S) {
    let mut ban = store.insert_ban(&user_ban("u1", 600), 0).unwrap();
    assert_eq!(ban.enforcement, Enforcement::Pending);
    assert_eq!(store.ban(ban.id).unwrap(), ban);
    ban.enforcement = Enforcement::WithoutRule {
        means: vec![
            "stream forbids".into(),
            "kick".into(),
            "token refusal".into(),
        ],
    };
    ban.effects.forbidden_streams = vec!["s1".into()];
    ban.effects.rule_expires_at = Some(86_400);
    assert!(store.update_ban(&mut ban).unwrap());
    assert_eq!(store.ban(ban.id).unwrap(), ban);
    let forever = store
        .insert_ban(
            &BanRequest::new(
                Target::Stream {
                    stream_id: "s9".into(),
                },
                BanDuration::Forever,
                "r",
                "a",
            )
            .unwrap(),
            5,
        )
        .unwrap();
    assert_eq!(store.ban(forever.id).unwrap().ends_at, None);
    ban.enforcement = Enforcement::Lifted;
    assert!(store.update_ban(&mut ban).unwrap());
    assert_eq!(
        store.unlifted_bans().unwrap(),
        std::slice::from_ref(&forever)
    );
    // A worker that still holds the old copy cannot revive it.
    ban.enforcement = Enforcement::Full;
    assert!(!store.update_ban(&mut ban).unwrap());
    assert_eq!(store.ban(ban.id).unwrap().enforcement, Enforcement::Lifted);
    assert_eq!(store.unlifted_bans().unwrap(), [forever]);
    assert!(!store.ban(ban.id).unwrap().is_active_at(1));
    // An unknown ban is an error of its own.
    let missing = BanId(999_999);
    assert!(matches!(store.ban(missing), Err(StoreError::NoSuchBan(id)) if id == missing));
    ban.id = missing;
    assert!(matches!(
        store.update_ban(&mut ban),
        Err(StoreError::NoSuchBan(_))
    ));
}

/// Two writers holding copies of one ban (a worker applying it, a callback forbidding a new
/// stream) each record a stream: the store keeps both, and the flags either set; the
/// writer's copy comes back current; a lifted ban is still never revived.
pub fn no_writer_loses_another_writers_effects<S: Store + ?Sized>(store: &S) {
    let ban = store.insert_ban(&user_ban("u1", 600), 0).unwrap();
    let (mut worker, mut callback) = (store.ban(ban.id).unwrap(), store.ban(ban.id).unwrap());
    callback.effects.forbidden_streams.push("s-callback".into());
    assert!(store.update_ban(&mut callback).unwrap());
    worker.enforcement = Enforcement::Full;
    worker.effects.forbidden_streams.push("s-listed".into());
    worker.effects.kicked = true;
    worker.effects.user_rule = true;
    worker.effects.rule_expires_at = Some(86_400);
    assert!(store.update_ban(&mut worker).unwrap());
    let stored = store.ban(ban.id).unwrap();
    assert_eq!(stored.effects.forbidden_streams, ["s-callback", "s-listed"]);
    assert_eq!(worker, stored, "the writer's copy is what is stored");
    // A stale copy neither drops a stream nor clears a flag; it moves what moves both ways.
    let mut stale = callback.clone();
    stale.enforcement = Enforcement::WithoutRule {
        means: vec!["kick".into()],
    };
    stale.effects.rule_expires_at = None;
    stale.effects.room_done_at = Some(5);
    assert!(store.update_ban(&mut stale).unwrap());
    let stored = store.ban(ban.id).unwrap();
    assert_eq!(stored.effects.forbidden_streams, ["s-callback", "s-listed"]);
    assert!(stored.effects.kicked && stored.effects.user_rule && !stored.effects.stream_rule);
    assert_eq!(stored.effects.rule_expires_at, None);
    assert_eq!(stored.effects.room_done_at, Some(5));
    assert_eq!(stored.enforcement, stale.enforcement);
    // A writer whose effects add nothing to the stored ones keeps them as they are, even
    // with no stream at all on either side.
    let other = store.insert_ban(&user_ban("u2", 600), 0).unwrap();
    let mut flagged = other.clone();
    flagged.effects.kicked = true;
    assert!(store.update_ban(&mut flagged).unwrap());
    let mut unflagged = other.clone();
    assert!(store.update_ban(&mut unflagged).unwrap());
    assert!(unflagged.effects.kicked && unflagged.effects.forbidden_streams.is_empty());
    assert_eq!(store.ban(other.id).unwrap(), unflagged);
    // Lifted: a late writer (with a stream the lift never saw) changes nothing.
    let mut lift = store.ban(ban.id).unwrap();
    lift.enforcement = Enforcement::Lifted;
    assert!(store.update_ban(&mut lift).unwrap());
    let mut late = worker.clone();
    late.effects.forbidden_streams.push("s-late".into());
    let before = late.clone();
    assert!(!store.update_ban(&mut late).unwrap());
    assert_eq!(late, before, "a refused write leaves the copy as it was");
    let stored = store.ban(ban.id).unwrap();
    assert_eq!(stored.enforcement, Enforcement::Lifted);
    assert_eq!(stored.effects.forbidden_streams, ["s-callback", "s-listed"]);
}

/// The audit log, oldest first, per user, per stream, both, and longer than a page.
pub fn the_audit_log_is_queryable_per_user_and_stream<S: Store + ?Sized>(store: &S) {
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
    store
        .append_audit(&entry(4, Some("u1"), Some("s9")))
        .unwrap();
    let mut filter = AuditFilter::default();
    assert_eq!(store.audit(&filter).unwrap().len(), 4);
    filter.user_id = Some("u1".into());
    let u1 = store.audit(&filter).unwrap();
    assert_eq!(
        u1,
        [entry(1, Some("u1"), None), entry(4, Some("u1"), Some("s9"))]
    );
    let line = serde_json::to_string(&u1[0]).unwrap();
    assert!(!line.contains('\n'));
    filter.stream_id = Some("s9".into());
    assert_eq!(
        store.audit(&filter).unwrap(),
        [entry(4, Some("u1"), Some("s9"))]
    );
    let mut by_stream = AuditFilter::default();
    by_stream.stream_id = Some("s9".into());
    let ats: Vec<_> = store
        .audit(&by_stream)
        .unwrap()
        .iter()
        .map(|e| e.at)
        .collect();
    assert_eq!(ats, [2, 4]);
    let mut nobody = AuditFilter::default();
    nobody.user_id = Some("nobody".into());
    assert!(store.audit(&nobody).unwrap().is_empty());
    // Past a page (the Redis store reads 64 at a time).
    for at in 5..205 {
        store.append_audit(&entry(at, Some("u3"), None)).unwrap();
    }
    let all = store.audit(&AuditFilter::default()).unwrap();
    assert_eq!(all.len(), 204);
    assert!(all.windows(2).all(|w| w[0].at < w[1].at), "oldest first");
    let mut u3 = AuditFilter::default();
    u3.user_id = Some("u3".into());
    assert_eq!(store.audit(&u3).unwrap().len(), 200);
}

/// A room's listing is shared through the store: the newest one is kept, and read back only
/// when taken at or after the time asked.
pub fn a_rooms_newest_listing_is_shared<S: Store + ?Sized>(store: &S) {
    let listing = |at: i64, stream: &str| RoomListing {
        room_id: "room {1} lobby".into(),
        listed_at: at,
        streams: vec![ListedStream {
            stream_id: stream.into(),
            user_id: "u1".into(),
        }],
        request_id: format!("req-{at}"),
    };
    assert_eq!(store.recent_listing("room {1} lobby", 0).unwrap(), None);
    store.save_listing(&listing(100, "s-100")).unwrap();
    assert_eq!(
        store.recent_listing("room {1} lobby", 95).unwrap(),
        Some(listing(100, "s-100"))
    );
    assert_eq!(store.recent_listing("room {1} lobby", 101).unwrap(), None);
    assert_eq!(store.recent_listing("other", 0).unwrap(), None);
    // An older listing saved late does not replace the newer one.
    store.save_listing(&listing(90, "s-90")).unwrap();
    assert_eq!(
        store.recent_listing("room {1} lobby", 0).unwrap(),
        Some(listing(100, "s-100"))
    );
    store.save_listing(&listing(110, "s-110")).unwrap();
    assert_eq!(
        store.recent_listing("room {1} lobby", 105).unwrap(),
        Some(listing(110, "s-110"))
    );
}
