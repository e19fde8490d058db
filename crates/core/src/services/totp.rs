//! Authenticator apps (TOTP, RFC 6238): 6 digits, 30-second steps, SHA-1
//! (what every app speaks), one step of clock skew either way. A code is
//! accepted once: its step must be newer than the last one used, which the
//! caller stores atomically (issue 18 wires this into sign-in).

use crate::model::UnixTime;
use crate::protocol::secret::ct_eq;
use totp_rs::{Algorithm, Builder, Totp};

pub const DIGITS: u8 = 6;
pub const STEP_SECS: u64 = 30;
/// Steps accepted on either side of the current one.
pub const SKEW_STEPS: i64 = 1;
/// 160 bits, as RFC 4226 recommends for HMAC-SHA-1.
pub const SECRET_LEN: usize = 20;

fn generator(secret: &[u8], digits: u8) -> Totp {
    // Not `build`: its checks (a secret of at least 128 bits, 6 to 8
    // digits) hold for every caller here (SECRET_LEN-byte secrets, DIGITS
    // or the RFC's 8), so the Result would only be unwrapped.
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(digits)
        .with_skew(0)
        .with_step_duration(STEP_SECS)
        .with_secret(secret.to_vec())
        .build_noncompliant()
}

/// The time step `t` falls in.
pub fn step_of(t: UnixTime) -> i64 {
    t.div_euclid(STEP_SECS as i64)
}

/// The code for step `step`, `digits` long.
pub fn code_at_step(secret: &[u8], digits: u8, step: i64) -> String {
    let t = u64::try_from(step).unwrap_or(0) * STEP_SECS;
    generator(secret, digits).generate(t).to_string()
}

/// The step `code` was made for, if it is right within the skew at `now`
/// and newer than `last_used` (so a code works once, and an older code
/// never works after a newer one). Compared in constant time.
pub fn matching_step(
    secret: &[u8],
    code: &str,
    now: UnixTime,
    last_used: Option<i64>,
) -> Option<i64> {
    let code = code.trim();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_of(now);
    (current - SKEW_STEPS..=current + SKEW_STEPS)
        .filter(|s| *s >= 0 && last_used.is_none_or(|l| *s > l))
        .find(|s| ct_eq(code_at_step(secret, DIGITS, *s).as_bytes(), code.as_bytes()))
}

/// The secret as the "Setup key" people type into an app: base32, no
/// padding, in groups of four.
pub fn setup_key(secret: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    // Written by hand: eight lines, and the base32 crates add a dependency
    // for what is a bit shuffle.
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in secret {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buf >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buf << (5 - bits)) & 31) as usize]));
    }
    out.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1, 8 digits.
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (t, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at_step(secret, 8, step_of(t)), code, "T = {t}");
        }
    }

    #[test]
    fn one_step_of_skew_each_way_and_no_more() {
        let secret = [7u8; SECRET_LEN];
        let now = 1_700_000_015;
        let at = |step| code_at_step(&secret, DIGITS, step);
        let s = step_of(now);
        assert_eq!(matching_step(&secret, &at(s), now, None), Some(s));
        assert_eq!(matching_step(&secret, &at(s - 1), now, None), Some(s - 1));
        assert_eq!(matching_step(&secret, &at(s + 1), now, None), Some(s + 1));
        assert_eq!(matching_step(&secret, &at(s - 2), now, None), None);
        assert_eq!(matching_step(&secret, &at(s + 2), now, None), None);
        assert_eq!(matching_step(&secret, "12345", now, None), None);
        assert_eq!(matching_step(&secret, "abcdef", now, None), None);
    }

    #[test]
    fn a_code_works_once_and_older_ones_never_after_it() {
        let secret = [9u8; SECRET_LEN];
        let now = 1_700_000_015;
        let s = step_of(now);
        let code = code_at_step(&secret, DIGITS, s);
        let used = matching_step(&secret, &code, now, None).unwrap();
        assert_eq!(
            matching_step(&secret, &code, now, Some(used)),
            None,
            "replay"
        );
        let older = code_at_step(&secret, DIGITS, s - 1);
        assert_eq!(matching_step(&secret, &older, now, Some(used)), None);
    }

    #[test]
    fn the_setup_key_is_rfc_4648_base32() {
        // RFC 4648 §10.
        assert_eq!(setup_key(b"foobar"), "MZXW 6YTB OI");
        assert_eq!(setup_key(b"f"), "MY");
        assert_eq!(setup_key(&[0u8; SECRET_LEN]).replace(' ', "").len(), 32);
    }
}
