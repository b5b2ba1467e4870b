//! The SQLite store: leases (one holder at a time, a crashed holder loses its work), two
//! connections on one file, catch-up after an outage, the audit log per user/stream (the
//! store contract of `contract/`, shared with the Redis store), and ban validation.

mod contract;

use std::time::Duration;

use zego_moderation::{BanDuration, BanRequest, Scopes, SqliteStore, Target};

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("zego-moderation-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("bans.sqlite")
}

#[test]
fn a_crashed_worker_loses_its_lease_and_cannot_complete_after_takeover() {
    contract::a_crashed_worker_loses_its_lease(&SqliteStore::open_in_memory().unwrap());
}

#[test]
fn work_is_claimed_when_due_oldest_first_and_catches_up_after_an_outage() {
    contract::work_is_claimed_oldest_first_and_catches_up(&SqliteStore::open_in_memory().unwrap());
}

#[test]
fn two_connections_on_one_file_never_share_a_piece_of_work() {
    let path = temp_db("two");
    let one = SqliteStore::open(&path).unwrap();
    let two = SqliteStore::open(&path).unwrap();
    contract::two_handles_never_share_a_piece_of_work(&one, &two, || {
        SqliteStore::open(&path).unwrap()
    });
    drop((one, two));
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn lifted_bans_leave_the_unlifted_list_and_enforcement_round_trips() {
    contract::lifted_bans_are_never_revived(&SqliteStore::open_in_memory().unwrap());
}

#[test]
fn no_writer_loses_another_writers_effects() {
    contract::no_writer_loses_another_writers_effects(&SqliteStore::open_in_memory().unwrap());
}

#[test]
fn the_audit_log_is_queryable_per_user_and_stream_as_json_lines() {
    contract::the_audit_log_is_queryable_per_user_and_stream(
        &SqliteStore::open_in_memory().unwrap(),
    );
}

#[test]
fn a_rooms_newest_listing_is_shared() {
    contract::a_rooms_newest_listing_is_shared(&SqliteStore::open_in_memory().unwrap());
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
