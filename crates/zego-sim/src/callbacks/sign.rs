//! How ZEGO signs a callback (spec §6), written here from the spec: the simulator shares no
//! code with `zego-proto`, so a bug in either signer shows up as a refused delivery.

use sha1::{Digest, Sha1};

/// `sha1(concat(sort([secret, timestamp, nonce])))` in lower-case hex.
pub(crate) fn signature(secret: &str, timestamp: &str, nonce: &str) -> String {
    let mut parts = [secret, timestamp, nonce];
    parts.sort_unstable();
    hex::encode(Sha1::digest(parts.concat().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::signature;

    #[test]
    fn the_spec_s_known_answer() {
        assert_eq!(
            signature("secret", "1470820198", "123412"),
            "5bd59fd62953a8059fb7eaba95720f66d19e4517"
        );
    }

    #[test]
    fn the_order_of_the_inputs_does_not_matter_only_their_sorted_order() {
        // Sorting means the secret may land anywhere in the concatenation.
        assert_eq!(signature("b", "a", "c"), signature("a", "b", "c"));
        assert_ne!(signature("s", "1", "2"), signature("s", "1", "3"));
    }
}
