//! The registry's promises: unique names, constants that match the operations, examples
//! that really are valid requests.

use super::testing::examples;
use super::CATALOG;
use crate::config::{Config, Endpoint, Environment};
use crate::credentials::Credentials;
use crate::operation::{Operation, Sequencing};
use crate::sequence::Sequence;

#[test]
fn catalog_names_are_unique() {
    let mut names: Vec<_> = CATALOG.iter().map(|entry| entry.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CATALOG.len());
    assert_eq!(CATALOG.len(), 22);
}

#[test]
fn every_example_matches_its_catalog_row_and_prepares() {
    let examples = examples();
    assert_eq!(examples.len(), CATALOG.len());
    let credentials = Credentials::new(7u32, "0123456789abcdef0123456789abcdef").unwrap();
    for (op, entry) in examples.iter().zip(CATALOG) {
        assert_eq!(op.action(), entry.name);
        assert_eq!(op.rate_limit_group(), entry.group, "{}", entry.name);
        assert_eq!(
            !matches!(op.sequencing(), Sequencing::None),
            entry.sequenced,
            "{}",
            entry.name
        );
        for environment in [Environment::Production, Environment::Test] {
            let config = Config::new(Endpoint::Unified).with_environment(environment);
            let prepared = crate::request::prepare_stamped(
                op,
                &config,
                &credentials,
                1_700_000_000,
                entry.sequenced.then(|| Sequence::new(1)),
                "4fd24687296dd9f3".parse().unwrap(),
            );
            assert!(prepared.is_ok(), "{}: {prepared:?}", entry.name);
        }
    }
}
