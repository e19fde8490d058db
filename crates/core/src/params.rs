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

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
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
