//! Sequences: strictly increasing, under concurrency and with the clock.

use super::*;

#[test]
fn sequences_strictly_increase_under_concurrency() {
    const THREADS: u64 = 8;
    const PER_THREAD: usize = 2000;
    let generator = Arc::new(SequenceGenerator::new());
    let base: u64 = 1_700_000_000_000;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let generator = Arc::clone(&generator);
            std::thread::spawn(move || {
                let mut rng = SmallRng::seed_from_u64(t);
                let mut clock = base;
                let mut out = Vec::with_capacity(PER_THREAD);
                for _ in 0..PER_THREAD {
                    // The clock stands still, steps back, creeps or jumps.
                    match rng.random_range(0..4) {
                        0 => {}
                        1 => clock = clock.saturating_sub(rng.random_range(1..5_000)),
                        2 => clock += rng.random_range(1..3),
                        _ => clock += rng.random_range(100..10_000),
                    }
                    let seq = generator.next(clock);
                    assert!(seq.get() >= clock, "{seq} < reading {clock}");
                    out.push(seq.get());
                }
                out
            })
        })
        .collect();
    let per_thread: Vec<Vec<u64>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let mut all = HashSet::new();
    for seqs in &per_thread {
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "a thread saw its sequences go backwards"
        );
        for s in seqs {
            assert!(all.insert(*s), "sequence {s} handed out twice");
        }
    }
    assert_eq!(all.len(), per_thread.len() * PER_THREAD);
    assert_eq!(
        generator.last().map(Sequence::get),
        all.iter().max().copied()
    );
}

proptest! {
    #[test]
    fn sequences_strictly_increase_and_follow_the_clock(
        start in prop::option::of(0u64..(1 << 60)),
        readings in prop::collection::vec(
            prop_oneof![
                0u64..(1 << 60),
                1_699_999_990_000u64..1_700_000_010_000,
                Just(0u64),
            ],
            1..200
        ),
    ) {
        let generator = match start {
            Some(s) => SequenceGenerator::starting_after(Sequence::new(s)),
            None => SequenceGenerator::new(),
        };
        let mut previous = start;
        for now in readings {
            let seq = generator.next(now).get();
            prop_assert!(seq >= now, "{} < reading {}", seq, now);
            if let Some(p) = previous {
                prop_assert!(seq > p, "{} after {}", seq, p);
                // Never skips ahead needlessly: the reading, or one more than the last.
                prop_assert_eq!(seq, now.max(p + 1));
            }
            prop_assert_eq!(generator.last(), Some(Sequence::new(seq)));
            previous = Some(seq);
        }
    }
}
