//! Device flow user codes (RFC 8628 §6.1): drawn, typed, shown and stored.

use crate::infra::provider::Provider;
use crate::infra::random::Random;
use crate::protocol::error::Result;

/// RFC 8628 §6.1: consonants only (no vowels, so no words; no look-alike
/// digits), upper case, 8 characters: 20^8 ≈ 2^34.6 codes.
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
pub const USER_CODE_LEN: usize = 8;

/// A fresh user code, uniformly drawn (rejection sampling: bytes ≥ 240
/// would bias `% 20`).
pub fn generate_user_code(random: &dyn Random) -> Result<String> {
    let mut out = String::with_capacity(USER_CODE_LEN);
    let mut buf = [0u8; 16];
    while out.len() < USER_CODE_LEN {
        random.fill(&mut buf)?;
        for b in buf {
            if b < 240 && out.len() < USER_CODE_LEN {
                out.push(char::from(USER_CODE_ALPHABET[usize::from(b % 20)]));
            }
        }
    }
    Ok(out)
}

/// The code as typed, made canonical: case-insensitive, dashes and spaces
/// ignored. `None` when it cannot be a user code.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    if typed.len() > 64 {
        return None;
    }
    let code: String = typed
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid =
        code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
    valid.then_some(code)
}

/// `XXXX-XXXX`, as devices show it.
pub fn display_user_code(code: &str) -> String {
    match (code.get(..4), code.get(4..)) {
        (Some(a), Some(b)) => format!("{a}-{b}"),
        _ => code.to_owned(),
    }
}

/// How a canonical user code is stored: a keyed hash under the
/// installation secret. A plain hash of ~35 bits would be reversed from a
/// database dump in seconds.
pub fn user_code_hash(p: &Provider, code: &str) -> String {
    p.client_secrets.hash(&format!("user_code:{code}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infra::random::SequenceRandom;
    use proptest::prelude::*;

    fn alphabet_char() -> impl Strategy<Value = char> {
        proptest::sample::select(USER_CODE_ALPHABET.to_vec()).prop_map(char::from)
    }

    proptest! {
        /// Whatever is typed, the result is either nothing or a canonical
        /// code, and normalising is idempotent.
        #[test]
        fn normalising_gives_a_canonical_code_or_nothing(typed in "\\PC{0,80}") {
            if let Some(code) = normalize_user_code(&typed) {
                prop_assert_eq!(code.len(), USER_CODE_LEN);
                prop_assert!(code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)));
                prop_assert_eq!(normalize_user_code(&code), Some(code.clone()));
                prop_assert_eq!(normalize_user_code(&display_user_code(&code)), Some(code));
            }
        }

        /// Case, dashes and spaces never change which code is meant.
        #[test]
        fn case_dashes_and_spaces_do_not_matter(
            chars in proptest::collection::vec(alphabet_char(), USER_CODE_LEN),
            lower in proptest::collection::vec(any::<bool>(), USER_CODE_LEN),
            seps in proptest::collection::vec(proptest::sample::select(vec!["", "", "-", " ", "\t"]), USER_CODE_LEN + 1),
        ) {
            let code: String = chars.iter().collect();
            let mut typed = String::from(seps[0]);
            for (i, c) in chars.iter().enumerate() {
                typed.push(if lower[i] { c.to_ascii_lowercase() } else { *c });
                typed.push_str(seps[i + 1]);
            }
            prop_assert_eq!(normalize_user_code(&typed), Some(code));
        }

        /// A code with one character outside the alphabet never matches.
        #[test]
        fn foreign_characters_are_refused(
            chars in proptest::collection::vec(alphabet_char(), USER_CODE_LEN - 1),
            bad in "[AEIOUY0-9!@#$%^&*()_+=;:,.?/]",
            at in 0..USER_CODE_LEN,
        ) {
            let mut code: String = chars.iter().collect();
            code.insert_str(at, &bad);
            prop_assert_eq!(normalize_user_code(&code), None);
        }
    }

    #[test]
    fn user_codes_use_the_alphabet_and_vary() {
        let r = SequenceRandom::default();
        let a = generate_user_code(&r).unwrap();
        let b = generate_user_code(&r).unwrap();
        assert_eq!(a.len(), 8);
        assert!(a.bytes().all(|c| USER_CODE_ALPHABET.contains(&c)), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn typed_codes_are_normalised() {
        assert_eq!(
            normalize_user_code("wdjb-mjht").as_deref(),
            Some("WDJBMJHT")
        );
        assert_eq!(
            normalize_user_code(" WDJB MJHT ").as_deref(),
            Some("WDJBMJHT")
        );
        assert_eq!(normalize_user_code("WDJBMJHT").as_deref(), Some("WDJBMJHT"));
        assert_eq!(normalize_user_code("WDJB-MJH"), None, "too short");
        assert_eq!(normalize_user_code("WDJB-MJHA"), None, "a vowel");
        assert_eq!(normalize_user_code("WDJB-MJH1"), None, "a digit");
        assert_eq!(normalize_user_code(&"-".repeat(100)), None);
        assert_eq!(display_user_code("WDJBMJHT"), "WDJB-MJHT");
    }
}
