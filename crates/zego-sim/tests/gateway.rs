//! Gateway checks over real HTTP: every code, both signing vectors, clock skew.

mod common;

use common::*;
use zego_sim::{SimClock, Simulator};

fn base(sim: &zego_sim::SimHandle) -> (String, String, i64) {
    let ts = sim.clock().now_secs();
    let n = nonce();
    (n.clone(), sign(APP, &n, SECRET, ts), ts)
}

#[test]
fn every_gateway_code() {
    let sim = start();
    let (n, sig, ts) = base(&sim);
    let biz = "StreamId=s&Sequence=1";
    let cases: Vec<(String, i64)> = vec![
        (format!("{biz}&AppId={APP}&SignatureNonce={n}&Timestamp={ts}&Signature={sig}&SignatureVersion=2.0"), 100_000_006),
        (format!("Action=&{biz}&AppId={APP}"), 100_000_006),
        (format!("Action=ForbidRTCStream&{biz}"), 100_000_001),
        ("Action=ForbidRTCStream&AppId=abc".to_owned(), 100_000_001),
        ("Action=ForbidRTCStream&AppId=-1".to_owned(), 100_000_001),
        ("Action=ForbidRTCStream&AppId=4294967296".to_owned(), 100_000_001),
        (format!("Action=ForbidRTCStream&AppId={APP}"), 100_000_002),
        (format!("Action=ForbidRTCStream&AppId={APP}&Timestamp="), 100_000_002),
        (format!("Action=ForbidRTCStream&AppId={APP}&Timestamp=12a"), 100_000_003),
        (format!("Action=ForbidRTCStream&AppId={APP}&Timestamp=1.5"), 100_000_003),
        (format!("Action=ForbidRTCStream&AppId={APP}&Timestamp={ts}"), 100_000_008),
        (format!("Action=ForbidRTCStream&AppId={APP}&Timestamp={ts}&SignatureNonce={n}"), 100_000_009),
        (format!("Action=ForbidRTCStream&AppId={APP}&Timestamp={ts}&SignatureNonce={n}&Signature={sig}"), 100_000_013),
        (format!("Action=ForbidRTCStream&AppId={APP}&Timestamp={ts}&SignatureNonce={n}&Signature={sig}&SignatureVersion=1.0"), 100_000_014),
        (format!("Action=ForbidRTCStream&AppId=42&Timestamp={ts}&SignatureNonce={n}&Signature={sig}&SignatureVersion=2.0"), 100_000_010),
        (format!("Action=ForbidRTCStream&{biz}&AppId={APP}&Timestamp={ts}&SignatureNonce={n}&Signature={}&SignatureVersion=2.0", "0".repeat(32)), 100_000_005),
        (format!("Action=ForbidRTCStream&{biz}&AppId={APP}&Timestamp={ts}&SignatureNonce={n}&Signature={}&SignatureVersion=2.0", sig.to_uppercase()), 100_000_005),
        (format!("Action=NoSuchAction&{biz}&AppId={APP}&Timestamp={ts}&SignatureNonce={n}&Signature={sig}&SignatureVersion=2.0"), 100_000_007),
        (format!("Action=forbidrtcstream&{biz}&AppId={APP}&Timestamp={ts}&SignatureNonce={n}&Signature={sig}&SignatureVersion=2.0"), 100_000_007),
    ];
    for (q, want) in cases {
        let v = get(&sim, &q);
        assert_eq!(code_of(&v), want, "{q}");
        assert!(v["Data"].is_null());
    }
    // A signature made with another secret fails; the right one passes.
    let bad = format!(
        "Action=ForbidRTCStream&{biz}&{}",
        common(APP, "ffffffffffffffffffffffffffffffff", ts)
    );
    assert_eq!(code_of(&get(&sim, &bad)), 100_000_005);
    assert_eq!(code(&sim, "ForbidRTCStream", biz), 0);
    assert!(sim
        .forbidden_rtc_streams(APP, zego_sim::Env::Production)
        .contains("s"));
}

#[test]
fn known_vector_1() {
    let sim = Simulator::builder()
        .app(12345, "9193cc662a4c0ec135ec71fb57194b38")
        .clock(SimClock::manual(1_615_186_943_000))
        .start()
        .unwrap();
    let q =
        "Action=ForbidRTCStream&StreamId=s1&Sequence=1&AppId=12345&SignatureNonce=4fd24687296dd9f3\
             &Timestamp=1615186943&Signature=43e5cfcca828314675f91b001390566a&SignatureVersion=2.0";
    assert_eq!(code_of(&get(&sim, q)), 0);
}

#[test]
fn known_vector_2() {
    let sim = start(); // clock at 1700000000 s
    let q = "Action=ForbidRTCStream&StreamId=s1&Sequence=1&AppId=1234567890&SignatureNonce=a1b2c3d4e5f60718\
             &Timestamp=1700000000&Signature=c90a56c08221a571fbf3007d1d7300d6&SignatureVersion=2.0";
    assert_eq!(code_of(&get(&sim, q)), 0);
    assert_eq!(
        sign(APP, "a1b2c3d4e5f60718", SECRET, 1_700_000_000),
        "c90a56c08221a571fbf3007d1d7300d6"
    );
}

fn skewed(sim: &zego_sim::SimHandle, delta: i64) -> i64 {
    let ts = sim.clock().now_secs() + delta;
    let q = format!(
        "Action=ForbidRTCStream&StreamId=s&Sequence={}&{}",
        1000 + delta,
        common(APP, SECRET, ts)
    );
    code_of(&get(sim, &q))
}

#[test]
fn clock_skew() {
    let sim = start();
    assert_eq!(skewed(&sim, 601), 100_000_004);
    assert_eq!(skewed(&sim, -601), 100_000_004);
    assert_eq!(skewed(&sim, 599), 0);
    sim.clock().advance(std::time::Duration::from_secs(11));
    assert_eq!(skewed(&sim, -599), 0);
    assert_eq!(skewed(&sim, 600), 0);
}

#[test]
fn malformed_query_is_bad_parameter() {
    let sim = start();
    assert_eq!(code_of(&get(&sim, "Action=ForbidRTCStream&AppId=%zz")), 2);
    assert_eq!(code_of(&get(&sim, "Action=%ff%fe")), 2);
    assert_eq!(code_of(&get(&sim, "")), 100_000_006);
}
