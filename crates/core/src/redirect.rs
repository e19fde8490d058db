//! Redirect URIs: exact matching (RFC 9700 §4.1.3) and building responses.

use url::Url;

/// Whether a URI may be registered: absolute, no fragment (RFC 6749 §3.1.2).
pub fn is_registrable(uri: &str) -> bool {
    match Url::parse(uri) {
        Ok(u) => u.fragment().is_none() && !u.cannot_be_a_base() && !uri.contains('#'),
        Err(_) => false,
    }
}

/// Exact string comparison against the registered list: no normalisation,
/// no prefix or wildcard matching.
pub fn matches_registered(requested: &str, registered: &[String]) -> bool {
    registered.iter().any(|r| r == requested)
}

/// `uri` with `params` added to its query, keeping the query it had.
/// Returns `None` if `uri` is not a URL (it always is once registered).
pub fn with_query(uri: &str, params: &[(&str, &str)]) -> Option<String> {
    let mut u = Url::parse(uri).ok()?;
    {
        let mut q = u.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    Some(u.into())
}

/// `uri` with `params` form-encoded in its fragment (implicit and hybrid
/// responses, OAuth 2.0 Multiple Response Types §2). Registered URIs have
/// no fragment, so the fragment is ours alone.
pub fn with_fragment(uri: &str, params: &[(&str, &str)]) -> Option<String> {
    let mut u = Url::parse(uri).ok()?;
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    u.set_fragment(Some(&encoded));
    Some(u.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_responses_keep_the_query_and_encode_values() {
        let u = with_fragment(
            "https://a.example/cb?x=1",
            &[("access_token", "a b&c"), ("state", "s")],
        )
        .unwrap();
        assert_eq!(u, "https://a.example/cb?x=1#access_token=a+b%26c&state=s");
    }

    #[test]
    fn exact_match_only() {
        let reg = vec!["https://app.example/cb".to_owned()];
        assert!(matches_registered("https://app.example/cb", &reg));
        assert!(!matches_registered("https://app.example/cb/", &reg));
        assert!(!matches_registered("https://app.example/cb?x=1", &reg));
        assert!(!matches_registered("https://APP.example/cb", &reg));
        assert!(!matches_registered("https://app.example/c", &reg));
    }

    #[test]
    fn fragments_are_not_registrable() {
        assert!(is_registrable("https://app.example/cb"));
        assert!(!is_registrable("https://app.example/cb#x"));
        assert!(!is_registrable("/relative"));
        assert!(!is_registrable("mailto:a@b.c"));
    }

    #[test]
    fn with_query_keeps_existing_parameters_and_encodes() {
        let u = with_query("https://app.example/cb?a=1", &[("state", "x y&z")]).unwrap();
        assert_eq!(u, "https://app.example/cb?a=1&state=x+y%26z");
    }
}
