//! Validation: every bad input is refused, naming the field and the limit.

use super::*;

fn assert_err(
    result: Result<impl std::fmt::Debug, ValidationError>,
    field: &str,
    index: Option<usize>,
    problem: &Problem,
) -> Result<(), TestCaseError> {
    match result {
        Ok(v) => Err(TestCaseError::fail(format!(
            "accepted {v:?}, expected {field} {problem:?}"
        ))),
        Err(e) => {
            prop_assert_eq!(e.field(), field);
            prop_assert_eq!(e.index(), index);
            prop_assert_eq!(e.problem(), problem);
            prop_assert!(e.to_string().starts_with(field));
            Ok(())
        }
    }
}

fn too_long_id() -> impl Strategy<Value = String> {
    prop_oneof![
        (257usize..600).prop_map(|n| "x".repeat(n)),
        prop::collection::vec(nasty_char(), 100..200)
            .prop_map(String::from_iter)
            .prop_filter("over 256 bytes", |s| s.len() > 256),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn valid_operations_always_validate(
        batch in prop::collection::vec(valid_id(256), 1..=20),
        describe in prop::collection::vec(valid_id(256), 1..=10),
        id in valid_id(256),
        room in valid_id(128),
        user in valid_id(64),
        seq in any::<u64>(),
        secs in 1u64..=86_400,
        flags in (any::<bool>(), any::<bool>()).prop_filter("something banned", |(a, v)| *a || *v),
        privileges_flags in prop::collection::vec(any::<bool>(), 1..5),
    ) {
        let seq = Sequence::new(seq);
        let one_id = std::slice::from_ref(&id);
        let forbid = ForbidRtcStreams::new(batch.clone()).unwrap();
        prop_assert_eq!(forbid.stream_ids(), batch.as_slice());
        prop_assert_eq!(forbid.sequencing(), Sequencing::Stamped(batch.as_slice()));
        let explicit = forbid.with_sequence(seq);
        prop_assert_eq!(explicit.sequencing(), Sequencing::Explicit(seq));
        let resume = ResumeRtcStreams::new(batch.clone()).unwrap();
        prop_assert_eq!(resume.stream_ids(), batch.as_slice());
        prop_assert_eq!(resume.sequencing(), Sequencing::Stamped(batch.as_slice()));
        let explicit = resume.with_sequence(seq);
        prop_assert_eq!(explicit.sequencing(), Sequencing::Explicit(seq));
        let single = ForbidRtcStream::new(id.clone()).unwrap();
        prop_assert_eq!(single.stream_id(), id.as_str());
        prop_assert_eq!(single.sequencing(), Sequencing::Stamped(one_id));
        let explicit = single.with_sequence(seq);
        prop_assert_eq!(explicit.sequencing(), Sequencing::Explicit(seq));
        let resume_one = ResumeRtcStream::new(id.clone()).unwrap();
        prop_assert_eq!(resume_one.sequencing(), Sequencing::Stamped(one_id));
        let explicit = resume_one.with_sequence(seq);
        prop_assert_eq!(explicit.sequencing(), Sequencing::Explicit(seq));
        let state = DescribeRtcStreamState::new(id.clone()).unwrap();
        prop_assert_eq!(state.sequencing(), Sequencing::Stamped(one_id));
        let explicit = state.with_sequence(seq);
        prop_assert_eq!(explicit.sequencing(), Sequencing::Explicit(seq));
        prop_assert!(ForbidCdnLiveStream::new(id.clone()).is_ok());
        prop_assert!(ResumeCdnLiveStream::new(id.clone()).is_ok());
        let time = EffectiveTime::new(secs).unwrap();
        prop_assert_eq!(u64::from(time.as_secs()), secs);
        prop_assert_eq!(EffectiveTime::from_duration(Duration::from_secs(secs)).unwrap(), time);
        prop_assert_eq!(EffectiveTime::saturating(secs), time);
        let ban = MediaBan::from_flags(flags.0, flags.1).unwrap();
        prop_assert_eq!((ban.audio(), ban.video()), flags);
        let rule = SetForbidStreamRule::new(room.clone(), id.clone(), ban, time).unwrap();
        prop_assert_eq!(rule.room_id(), room.as_str());
        prop_assert_eq!(rule.stream_id(), id.as_str());
        prop_assert_eq!(rule.ban(), ban);
        prop_assert_eq!(rule.effective_time(), time);
        let described = DescribeForbidStreamRules::new(room.clone(), describe.clone()).unwrap();
        prop_assert_eq!(described.stream_ids(), describe.as_slice());
        prop_assert!(DelForbidStreamRule::new(room.clone(), id.clone()).is_ok());
        for target in [
            UserRuleTarget::room(room.clone()).unwrap(),
            UserRuleTarget::user(user.clone()).unwrap(),
            UserRuleTarget::room_user(room.clone(), user.clone()).unwrap(),
            UserRuleTarget::ip("198.51.100.1").unwrap(),
        ] {
            let op = SetForbidUserRule::new(target.clone(), privileges(&privileges_flags), time)
                .unwrap();
            prop_assert_eq!(op.target(), &target);
        }
    }

    #[test]
    fn id_counts_outside_the_limits_are_rejected(
        extra in 21usize..60,
        describe_extra in 11usize..40,
    ) {
        let ids = |n: usize| (0..n).map(|i| format!("s{i}")).collect::<Vec<_>>();
        let count = |min, max, actual| Problem::Count { min, max, actual };
        assert_err(ForbidRtcStreams::new(ids(extra)), "StreamId[]", None, &count(1, 20, extra))?;
        assert_err(ResumeRtcStreams::new(ids(extra)), "StreamId[]", None, &count(1, 20, extra))?;
        assert_err(ForbidRtcStreams::new(ids(0)), "StreamId[]", None, &count(1, 20, 0))?;
        assert_err(ResumeRtcStreams::new(ids(0)), "StreamId[]", None, &count(1, 20, 0))?;
        prop_assert!(ForbidRtcStreams::new(ids(20)).is_ok());
        assert_err(
            DescribeForbidStreamRules::new("room", ids(describe_extra)),
            "StreamId[]",
            None,
            &count(1, 10, describe_extra),
        )?;
        assert_err(DescribeForbidStreamRules::new("room", ids(0)), "StreamId[]", None, &count(1, 10, 0))?;
        prop_assert!(DescribeForbidStreamRules::new("room", ids(10)).is_ok());
    }

    #[test]
    fn bad_ids_are_rejected_with_their_index(
        mut batch in prop::collection::vec(valid_id(256), 1..=20),
        at in any::<prop::sample::Index>(),
        long in too_long_id(),
    ) {
        let i = at.index(batch.len());
        let too_long = Problem::TooLong { max_bytes: 256, actual: long.len() };

        let mut with_empty = batch.clone();
        with_empty[i] = String::new();
        assert_err(ForbidRtcStreams::new(with_empty.clone()), "StreamId[]", Some(i), &Problem::Empty)?;
        assert_err(ResumeRtcStreams::new(with_empty.clone()), "StreamId[]", Some(i), &Problem::Empty)?;

        batch[i].clone_from(&long);
        assert_err(ForbidRtcStreams::new(batch.clone()), "StreamId[]", Some(i), &too_long)?;
        assert_err(ResumeRtcStreams::new(batch.clone()), "StreamId[]", Some(i), &too_long)?;
        if batch.len() <= 10 {
            assert_err(DescribeForbidStreamRules::new("r", batch.clone()), "StreamId[]", Some(i), &too_long)?;
            assert_err(DescribeForbidStreamRules::new("r", with_empty), "StreamId[]", Some(i), &Problem::Empty)?;
        }

        // Single-stream operations: the same problems, without an index.
        for problem_id in [String::new(), long.clone()] {
            let problem = if problem_id.is_empty() { Problem::Empty } else { too_long.clone() };
            assert_err(ForbidRtcStream::new(problem_id.clone()), "StreamId", None, &problem)?;
            assert_err(ResumeRtcStream::new(problem_id.clone()), "StreamId", None, &problem)?;
            assert_err(DescribeRtcStreamState::new(problem_id.clone()), "StreamId", None, &problem)?;
            assert_err(ForbidCdnLiveStream::new(problem_id.clone()), "StreamId", None, &problem)?;
            assert_err(ResumeCdnLiveStream::new(problem_id.clone()), "StreamId", None, &problem)?;
            assert_err(DelForbidStreamRule::new("r", problem_id.clone()), "StreamId", None, &problem)?;
            assert_err(
                SetForbidStreamRule::new("r", problem_id.clone(), MediaBan::Audio, EffectiveTime::default()),
                "StreamId",
                None,
                &problem,
            )?;
        }
        // An empty room is refused wherever a room is required.
        assert_err(DelForbidStreamRule::new("", "s"), "RoomId", None, &Problem::Empty)?;
        assert_err(DescribeForbidStreamRules::new("", ["s"]), "RoomId", None, &Problem::Empty)?;
        assert_err(
            SetForbidStreamRule::new("", "s", MediaBan::Video, EffectiveTime::default()),
            "RoomId",
            None,
            &Problem::Empty,
        )?;
    }

    /// Spec §7: a typed operation refuses an ID with a character outside the set, naming
    /// the first such character and its position; `RawOperation` sends it as given.
    #[test]
    fn a_character_outside_the_id_set_is_refused_with_its_position(
        valid in prop::collection::vec(id_char(), 0..40).prop_map(String::from_iter),
        bad in refused_char(),
        at in any::<prop::sample::Index>(),
        tail in prop::collection::vec(prop_oneof![id_char(), refused_char()], 0..8).prop_map(String::from_iter),
    ) {
        let split = at.index(valid.chars().count() + 1);
        let head: String = valid.chars().take(split).collect();
        let id = format!("{head}{bad}{}{tail}", valid.chars().skip(split).collect::<String>());
        let problem = Problem::Character { character: bad, position: split + 1 };
        prop_assert_eq!(character_problem(&id), Some((bad, split + 1)));

        assert_err(ForbidRtcStream::new(id.clone()), "StreamId", None, &problem)?;
        assert_err(ResumeRtcStream::new(id.clone()), "StreamId", None, &problem)?;
        assert_err(DescribeRtcStreamState::new(id.clone()), "StreamId", None, &problem)?;
        assert_err(ForbidCdnLiveStream::new(id.clone()), "StreamId", None, &problem)?;
        assert_err(ForbidRtcStreams::new(["ok", id.as_str()]), "StreamId[]", Some(1), &problem)?;
        assert_err(ResumeRtcStreams::new([id.as_str()]), "StreamId[]", Some(0), &problem)?;
        assert_err(DelForbidStreamRule::new("r", id.clone()), "StreamId", None, &problem)?;
        assert_err(DelForbidStreamRule::new(id.clone(), "s"), "RoomId", None, &problem)?;
        if id.len() <= 64 {
            assert_err(UserRuleTarget::user(id.clone()), "UserId", None, &problem)?;
            assert_err(UserRuleTarget::room_user("r", id.clone()), "UserId", None, &problem)?;
        }
        // The batcher uses the same check.
        let batches = zego_proto::bulk::StreamBatches::new(std::iter::empty(), AppId::new(7), Environment::Test);
        let refused = batches.check(&id).unwrap_err();
        prop_assert_eq!(refused.problem(), &problem);
        // A raw operation sends it as it is.
        let raw = RawOperation::new("ForbidRTCStream").unwrap().param("StreamId", id.clone());
        prop_assert!(raw.is_ok());
        let message = ForbidRtcStream::new(id.clone()).unwrap_err().to_string();
        prop_assert!(message.contains(&format!("U+{:04X}", u32::from(bad))), "{}", message);
        prop_assert!(message.contains(&format!(" at position {} ", split + 1)), "{}", message);
        // The message never carries a refused control or non-ASCII character itself.
        if !bad.is_ascii() || bad.is_ascii_control() {
            prop_assert!(!message.contains(bad), "{:?}", message);
        }
    }

    #[test]
    fn user_and_room_ids_have_their_lengths(n in 1usize..300) {
        let id = "u".repeat(n);
        let room = DelForbidStreamRule::new(id.clone(), "s");
        let user = UserRuleTarget::user(id.clone());
        if n <= 128 {
            prop_assert!(room.is_ok());
        } else {
            assert_err(room, "RoomId", None, &Problem::TooLong { max_bytes: 128, actual: n })?;
        }
        if n <= 64 {
            prop_assert!(user.is_ok());
        } else {
            assert_err(user, "UserId", None, &Problem::TooLong { max_bytes: 64, actual: n })?;
        }
    }

    #[test]
    fn effective_times_outside_1_to_86400_are_out_of_range(
        secs in prop_oneof![Just(0u64), Just(86_401u64), 86_401u64..10_000_000, any::<u64>()],
    ) {
        prop_assume!(secs == 0 || secs > 86_400);
        let expected = Problem::OutOfRange {
            min: 1,
            max: 86_400,
            actual: i64::try_from(secs).unwrap_or(i64::MAX),
        };
        assert_err(EffectiveTime::new(secs), "EffectiveTime", None, &expected)?;
        assert_err(
            EffectiveTime::from_duration(Duration::from_secs(secs)),
            "EffectiveTime",
            None,
            &expected,
        )?;
        let clamped = EffectiveTime::saturating(secs).as_secs();
        prop_assert_eq!(clamped, if secs == 0 { 1 } else { 86_400 });
    }

    #[test]
    fn user_rule_targets_need_exactly_their_fields(
        (rule_type, ip, room, user) in user_fields(
            prop_oneof![
                Just(String::new()),
                "[a-z0-9]{1,8}",
                Just("10.0.0.1".to_owned()),
                Just("::1".to_owned()),
            ]
            .boxed()
        ),
    ) {
        let result = UserRuleTarget::from_fields(rule_type, ip.clone(), room.clone(), user.clone());
        if !(1..=4).contains(&rule_type) {
            return assert_err(
                result,
                "RuleType",
                None,
                &Problem::OutOfRange { min: 1, max: 4, actual: rule_type },
            );
        }
        let wanted: &[&str] = match rule_type {
            1 => &["IP"],
            2 => &["RoomId"],
            3 => &["UserId"],
            _ => &["RoomId", "UserId"],
        };
        // Every error this input deserves; the one reported must be among them.
        let mut acceptable: Vec<(&str, Problem)> = Vec::new();
        for (field, value) in [("IP", &ip), ("RoomId", &room), ("UserId", &user)] {
            let needed = wanted.contains(&field);
            match value {
                Some(_) if !needed => acceptable.push((
                    field,
                    Problem::Invalid { expected: "no value: this RuleType does not use it" },
                )),
                None if needed => acceptable.push((field, Problem::Empty)),
                Some(v) if v.is_empty() => acceptable.push((field, Problem::Empty)),
                Some(v) if field == "IP" && v.parse::<std::net::IpAddr>().is_err() => acceptable
                    .push((field, Problem::Invalid { expected: "an IPv4 or IPv6 address" })),
                Some(v) if field != "IP" => {
                    if let Some((character, position)) = character_problem(v) {
                        acceptable.push((field, Problem::Character { character, position }));
                    }
                }
                _ => {}
            }
        }
        match result {
            Ok(target) => {
                prop_assert!(acceptable.is_empty(), "accepted {:?} despite {:?}", target, acceptable);
                prop_assert_eq!(i64::from(target.rule_type().code()), rule_type);
                let expected = match rule_type {
                    1 => UserRuleTarget::ip(ip.unwrap()).unwrap(),
                    2 => UserRuleTarget::room(room.unwrap()).unwrap(),
                    3 => UserRuleTarget::user(user.unwrap()).unwrap(),
                    _ => UserRuleTarget::room_user(room.unwrap(), user.unwrap()).unwrap(),
                };
                prop_assert_eq!(target, expected);
            }
            Err(e) => {
                prop_assert!(e.index().is_none());
                prop_assert!(
                    acceptable.iter().any(|(f, p)| *f == e.field() && p == e.problem()),
                    "{:?} is not one of {:?}", e, acceptable
                );
            }
        }
    }

    #[test]
    fn raw_operations_refuse_reserved_and_malformed_names(
        reserved in prop::sample::select(RESERVED.to_vec()),
        case_mask in any::<u64>(),
        action in any_text(),
        key in any_text(),
    ) {
        // Any capitalisation of a reserved name is refused.
        let spelled: String = reserved
            .chars()
            .enumerate()
            .map(|(i, c)| if (case_mask >> (i % 64)) & 1 == 1 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
            .collect();
        let op = RawOperation::new("Act").unwrap();
        assert_err(op.clone().param(spelled, "v"), "parameter name", None, &Problem::Reserved)?;
        assert_err(op.clone().param("", "v"), "parameter name", None, &Problem::Empty)?;
        assert_err(
            op.clone().param("Sequence", "1"),
            "Sequence",
            None,
            &Problem::Invalid { expected: "a Sequence given with RawOperation::sequence or RawOperation::stamped_sequence" },
        )?;
        // Other keys are accepted verbatim.
        let reserved_key = RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&key));
        if !key.is_empty() && !reserved_key && key != "Sequence" {
            let op = op.param(key.clone(), "v").unwrap();
            prop_assert_eq!(op.params(), &[(key, "v".to_owned())][..]);
        }
        // Action names: ASCII letters and digits only.
        let result = RawOperation::new(action.clone());
        if action.is_empty() {
            assert_err(result, "Action", None, &Problem::Empty)?;
        } else if action.bytes().all(|b| b.is_ascii_alphanumeric()) {
            let op = result.unwrap();
            prop_assert_eq!(op.action(), action.as_str());
        } else {
            assert_err(result, "Action", None, &Problem::Invalid { expected: "ASCII letters and digits" })?;
        }
    }
}

#[test]
fn nothing_disabled_and_no_privileges_are_refused() {
    let err = MediaBan::from_flags(false, false).unwrap_err();
    assert_eq!(err.field(), "DisableAudio/DisableVideo");
    assert_eq!(err.problem(), &Problem::NothingDisabled);
    assert_eq!(err.index(), None);
    let err = SetForbidUserRule::new(
        UserRuleTarget::user("u").unwrap(),
        [],
        EffectiveTime::default(),
    )
    .unwrap_err();
    assert_eq!(
        (err.field(), err.problem()),
        ("DisabledPrivilege[]", &Problem::Empty)
    );
    for code in [0, 5, -1, i64::MAX, i64::MIN] {
        let err = UserRuleType::from_code(code).unwrap_err();
        assert_eq!(err.field(), "RuleType");
        assert_eq!(
            err.problem(),
            &Problem::OutOfRange {
                min: 1,
                max: 4,
                actual: code
            }
        );
    }
    for code in 1..=4 {
        assert_eq!(
            i64::from(UserRuleType::from_code(code).unwrap().code()),
            code
        );
    }
}
