//! Signing: every signed input matters.

use super::*;

fn secret_text() -> impl Strategy<Value = String> {
    "[!-~]{1,48}"
}

proptest! {
    /// Changing any one signed input changes the signature.
    #[test]
    fn every_signed_input_matters(
        app in any::<u32>(),
        app2 in any::<u32>(),
        nonce in any::<[u8; 8]>(),
        nonce2 in any::<[u8; 8]>(),
        secret in secret_text(),
        secret2 in secret_text(),
        ts in any::<u64>(),
        ts2 in any::<u64>(),
    ) {
        let s = ServerSecret::new(secret.clone()).unwrap();
        let base = sign(AppId::new(app), &nonce_of(nonce), &s, ts);
        prop_assert_eq!(base.expose().len(), 32);
        prop_assert!(base.expose().bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
        // Deterministic.
        prop_assert_eq!(base, sign(AppId::new(app), &nonce_of(nonce), &s, ts));
        prop_assert!(base.matches(base.expose()));
        if app2 != app {
            prop_assert_ne!(base, sign(AppId::new(app2), &nonce_of(nonce), &s, ts));
        }
        if nonce2 != nonce {
            prop_assert_ne!(base, sign(AppId::new(app), &nonce_of(nonce2), &s, ts));
        }
        if secret2 != secret {
            let s2 = ServerSecret::new(secret2).unwrap();
            prop_assert_ne!(base, sign(AppId::new(app), &nonce_of(nonce), &s2, ts));
        }
        if ts2 != ts {
            prop_assert_ne!(base, sign(AppId::new(app), &nonce_of(nonce), &s, ts2));
        }
    }

    /// Neighbouring values (one digit, one bit, one character off) also change it.
    #[test]
    fn nearby_inputs_sign_differently(
        app in 0u32..u32::MAX,
        nonce in any::<[u8; 8]>(),
        bit in 0usize..64,
        secret in secret_text(),
        ts in 0u64..u64::MAX,
    ) {
        let s = ServerSecret::new(secret.clone()).unwrap();
        let base = sign(AppId::new(app), &nonce_of(nonce), &s, ts);
        prop_assert_ne!(base, sign(AppId::new(app + 1), &nonce_of(nonce), &s, ts));
        prop_assert_ne!(base, sign(AppId::new(app), &nonce_of(nonce), &s, ts + 1));
        let mut flipped = nonce;
        flipped[bit / 8] ^= 1 << (bit % 8);
        prop_assert_ne!(base, sign(AppId::new(app), &nonce_of(flipped), &s, ts));
        let longer = ServerSecret::new(format!("{secret}a")).unwrap();
        prop_assert_ne!(base, sign(AppId::new(app), &nonce_of(nonce), &longer, ts));
    }
}
