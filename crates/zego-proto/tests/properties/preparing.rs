//! Preparing and encoding: every operation round-trips exactly, and every catalogued action is covered.

use super::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary input through every constructor: refused, or prepared, never a panic;
    /// and whatever is prepared decodes back to exactly what was given.
    #[test]
    fn preparing_never_panics_and_round_trips(
        run in run_strategy(),
        input in input(loose_text(), loose_ids()),
    ) {
        let outcome = run.run(&input);
        check_outcome(&run, &outcome)?;
    }

    /// Mostly valid input, so nearly every case reaches the URL: parameters, values
    /// (with the test prefix where it applies) and order survive the round trip.
    #[test]
    fn valid_operations_round_trip_exactly(
        run in run_strategy(),
        input in input(good_text(), good_ids()),
    ) {
        let outcome = run.run(&input);
        check_outcome(&run, &outcome)?;
    }
}

#[test]
fn the_round_trip_covers_every_operation() {
    // The property above only means something if each operation is really prepared;
    // make sure valid inputs for every catalogued action (and a raw one) get through in
    // both environments.
    let inputs = [
        Input::ForbidBatch(vec!["a&b".into(), "c/d".into()], 1),
        Input::ResumeBatch(vec!["%".into()], 2),
        Input::Forbid("<a\\b>".into(), 3),
        Input::Resume("+".into(), 4),
        Input::SetStreamRule("r=1".into(), "s".into(), true, false, 60),
        Input::DescribeStreamRules("r".into(), vec!["a".into(), "zegotest-7-b".into()]),
        Input::DelStreamRule("r".into(), "s".into()),
        Input::ForbidCdn("s".into(), Some("2018-11-29T19:00:00Z".into())),
        Input::ResumeCdn("s".into()),
        Input::QueryCdn,
        Input::StreamState("s".into(), 5),
        Input::SetUserRule(
            (4, None, Some("r".into()), Some("u".into())),
            vec![true, false],
            1,
        ),
        Input::DescribeUserRules(2),
        Input::DelUserRule((1, Some("::1".into()), None, None)),
        Input::Kick(
            "r".into(),
            vec!["u1".into(), "u2".into()],
            Some("spam & abuse".into()),
        ),
        Input::CloseRoom("r".into(), Some("closed 中".into()), Some(true)),
        Input::DeleteStream(("r".into(), "u".into(), "U Name".into(), "s&1".into())),
        Input::AddStream(
            ("r".into(), "u".into(), "U".into(), "zegotest-7-s".into()),
            Some("Movie night".into()),
            Some("{\"seat\":1}".into()),
            Some(false),
        ),
        Input::StreamList("r".into()),
        Input::UserList(
            "r".into(),
            Some(true),
            Some(100),
            "1635940599950-user2".into(),
        ),
        Input::Users("r".into(), vec!["u1".into()]),
        Input::UserNum(vec!["r1".into(), "r2".into()]),
        Input::Raw(
            "DescribeUserNum".into(),
            // A raw operation sends what it is given, even characters typed ones refuse.
            vec![
                ("RoomId[]".into(), "a b".into()),
                ("StreamId".into(), "中 \r".into()),
            ],
            Some(9),
        ),
    ];
    for env in [Environment::Production, Environment::Test] {
        let run = Run {
            env,
            app_id: 7,
            ts: 1_700_000_000,
            nonce: nonce_of([1, 2, 3, 4, 5, 6, 7, 8]),
        };
        for input in &inputs {
            let outcome = run.run(input);
            assert!(
                matches!(outcome, Outcome::Prepared { .. }),
                "{input:?}: {outcome:?}"
            );
            check_outcome(&run, &outcome).unwrap();
        }
    }
    // Every action of the catalog is among them: a new action fails here until it has an
    // input (and so a strategy and an expected request).
    let covered: HashSet<&str> = inputs.iter().filter_map(Input::action).collect();
    let missing: Vec<&str> = CATALOG
        .iter()
        .map(|entry| entry.name)
        .filter(|name| !covered.contains(name))
        .collect();
    assert!(missing.is_empty(), "no round-trip input for {missing:?}");
}

#[test]
fn raw_operation_stream_ids_get_the_test_prefix() {
    let op = RawOperation::new("ForbidRTCStream")
        .unwrap()
        .param("StreamId", "s1")
        .unwrap()
        .sequence(Sequence::new(1));
    let creds = Credentials::new(7u32, SECRET).unwrap();
    let request =
        prepare_with_nonce(&op, &config(Environment::Test), &creds, 1, nonce_of([0; 8])).unwrap();
    let params = decode_query(request.url()).unwrap();
    assert!(params.contains(&("StreamId".into(), "zegotest-7-s1".into())));
}

#[test]
fn prepare_draws_its_nonce_from_the_given_rng() {
    // Same seed, same nonce: `prepare` uses the rng it is given and nothing else.
    let op = ForbidRtcStream::new("s")
        .unwrap()
        .with_sequence(Sequence::new(1));
    let creds = Credentials::new(1u32, SECRET).unwrap();
    let a = prepare(
        &op,
        &Config::default(),
        &creds,
        1,
        &mut SmallRng::seed_from_u64(5),
    )
    .unwrap();
    let b = prepare(
        &op,
        &Config::default(),
        &creds,
        1,
        &mut SmallRng::seed_from_u64(5),
    )
    .unwrap();
    assert_eq!(a.url(), b.url());
}

#[test]
fn sequenced_operations_prepared_without_a_sequence_are_refused() {
    // Outside a client nothing stamps a Sequence: `prepare` refuses rather than send none.
    let creds = Credentials::new(1u32, SECRET).unwrap();
    let config = Config::default();
    let refused = |result: Result<zego_proto::wire::HttpRequest, ValidationError>| {
        let err = result.unwrap_err();
        assert_eq!(err.field(), "Sequence");
        assert!(matches!(err.problem(), Problem::Invalid { .. }), "{err:?}");
    };
    let nonce = nonce_of([0; 8]);
    refused(prepare_with_nonce(
        &ForbidRtcStreams::new(["s"]).unwrap(),
        &config,
        &creds,
        1,
        nonce,
    ));
    refused(prepare_with_nonce(
        &ResumeRtcStreams::new(["s"]).unwrap(),
        &config,
        &creds,
        1,
        nonce,
    ));
    refused(prepare_with_nonce(
        &ForbidRtcStream::new("s").unwrap(),
        &config,
        &creds,
        1,
        nonce,
    ));
    refused(prepare_with_nonce(
        &ResumeRtcStream::new("s").unwrap(),
        &config,
        &creds,
        1,
        nonce,
    ));
    refused(prepare_with_nonce(
        &DescribeRtcStreamState::new("s").unwrap(),
        &config,
        &creds,
        1,
        nonce,
    ));
    let raw = RawOperation::new("ForbidRTCStream")
        .unwrap()
        .stamped_sequence();
    assert_eq!(raw.sequencing(), Sequencing::Stamped(&[]));
    refused(prepare_with_nonce(&raw, &config, &creds, 1, nonce));
    // With one given, the same operation prepares.
    let op = ForbidRtcStream::new("s")
        .unwrap()
        .with_sequence(Sequence::new(7));
    let request = prepare_with_nonce(&op, &config, &creds, 1, nonce).unwrap();
    assert!(decode_query(request.url())
        .unwrap()
        .contains(&("Sequence".into(), "7".into())));
}
