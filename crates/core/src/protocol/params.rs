//! Request parameters as name/value pairs, with RFC 6749 §3.1/§3.2's rule
//! that no parameter may appear twice.

use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct Params<'a> {
    values: HashMap<&'a str, &'a str>,
    repeated: Vec<&'a str>,
}

impl<'a> Params<'a> {
    pub fn new(pairs: &'a [(String, String)]) -> Self {
        let mut p = Self::default();
        for (k, v) in pairs {
            if p.values.insert(k.as_str(), v.as_str()).is_some()
                && !p.repeated.contains(&k.as_str())
            {
                p.repeated.push(k.as_str());
            }
        }
        p
    }

    /// The value, treating an empty value as absent (RFC 6749 §3.1).
    /// A repeated parameter yields `None` here; check [`Self::repeated`].
    pub fn get(&self, name: &str) -> Option<&'a str> {
        if self.is_repeated(name) {
            return None;
        }
        self.values.get(name).copied().filter(|v| !v.is_empty())
    }

    pub fn is_repeated(&self, name: &str) -> bool {
        self.repeated.contains(&name)
    }

    /// The first repeated parameter, if any.
    pub fn first_repeated(&self) -> Option<&'a str> {
        self.repeated.first().copied()
    }
}

/// The longest value Portico accepts for each parameter it stores with a
/// pending request and may echo back (`state` in every answer, `nonce` in
/// the id_token). Without a cap one request could park kilobytes per row
/// and make redirects too long for browsers. Generous for real clients:
/// `state` is usually a random string or a small signed blob.
pub const CAPS: &[(&str, usize)] = &[
    ("state", 1024),
    ("nonce", 512),
    ("scope", 2048),
    ("login_hint", 320),
    ("id_token_hint", 8192),
    ("acr_values", 256),
    ("ui_locales", 256),
    ("claims_locales", 256),
    ("prompt", 64),
    ("max_age", 20),
    ("display", 32),
    ("response_mode", 32),
    ("response_type", 64),
    ("code_challenge", 128),
    ("code_challenge_method", 16),
    ("x_method", 32),
];

/// The cap of `name`, if it has one.
pub fn cap(name: &str) -> Option<usize> {
    CAPS.iter().find(|(n, _)| *n == name).map(|&(_, c)| c)
}

impl Params<'_> {
    /// The first capped parameter whose value is too long, with its cap.
    pub fn first_too_long(&self) -> Option<(&'static str, usize)> {
        CAPS.iter()
            .find(|(name, cap)| self.values.get(name).is_some_and(|v| v.len() > *cap))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn overlong_values_are_found_with_their_cap() {
        let v = pairs(&[("state", &"s".repeat(1024)), ("nonce", "n")]);
        assert_eq!(Params::new(&v).first_too_long(), None);
        let v = pairs(&[("state", &"s".repeat(1025))]);
        assert_eq!(Params::new(&v).first_too_long(), Some(("state", 1024)));
        assert_eq!(cap("nonce"), Some(512));
    }

    #[test]
    fn repeated_parameters_are_detected() {
        let v = pairs(&[("a", "1"), ("b", "2"), ("a", "3")]);
        let p = Params::new(&v);
        assert!(p.is_repeated("a"));
        assert_eq!(p.get("a"), None);
        assert_eq!(p.get("b"), Some("2"));
        assert_eq!(p.first_repeated(), Some("a"));
    }

    #[test]
    fn empty_values_are_absent() {
        let v = pairs(&[("a", "")]);
        assert_eq!(Params::new(&v).get("a"), None);
    }
}
