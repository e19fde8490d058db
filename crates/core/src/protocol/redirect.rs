//! Redirect URIs: exact matching (RFC 9700 §4.1.3) and building responses.

use url::{Host, Url};

/// Why a URI may not be registered as a redirect URI, or `Ok`. Allowed:
/// - `https://` URLs;
/// - `http://` only on a loopback host, `127.0.0.1` (any of 127/8), `[::1]`
///   or `localhost`, for native apps listening on the loopback interface
///   (RFC 8252 §7.3, §8.3; RFC 9700 §4.1.1 forbids plain http elsewhere);
/// - private-use schemes of native apps, named in reverse-domain style so
///   they hold a dot, such as `com.example.app:/callback` (RFC 8252 §7.1).
///
/// Everything else (`javascript:`, `data:`, `file:`, `ftp:`, schemes
/// without a dot) is refused. A fragment never is allowed (RFC 6749 §3.1.2).
pub fn check_registrable(uri: &str) -> Result<(), &'static str> {
    let Ok(u) = Url::parse(uri) else {
        return Err("is not an absolute URL");
    };
    if uri.contains('#') || u.fragment().is_some() {
        return Err("must not have a fragment (RFC 6749 §3.1.2)");
    }
    match u.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match u.host() {
                Some(Host::Ipv4(ip)) => ip.is_loopback(),
                Some(Host::Ipv6(ip)) => ip.is_loopback(),
                Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err("uses http on a host that is not loopback; use https \
                     (http is only for 127.0.0.1, [::1] or localhost, RFC 8252 §7.3)")
            }
        }
        private if private.contains('.') => {
            if u.cannot_be_a_base() {
                Err("must have a path, such as com.example.app:/callback (RFC 8252 §7.1)")
            } else {
                Ok(())
            }
        }
        _ => Err(
            "has a scheme that is not allowed; use https, http on a loopback host, \
                  or a native app's private-use scheme such as com.example.app:/callback \
                  (RFC 8252 §7.1)",
        ),
    }
}

/// Whether a URI may be registered ([`check_registrable`]).
pub fn is_registrable(uri: &str) -> bool {
    check_registrable(uri).is_ok()
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
    use proptest::prelude::*;

    proptest! {
        /// Only a byte-for-byte equal string matches: any change to a
        /// registered URI (one character replaced, inserted or removed, a
        /// case change, a trailing slash) is refused.
        #[test]
        fn only_the_exact_string_matches(
            registered in "https://[a-z]{1,8}\\.example(:[0-9]{2,4})?/[a-zA-Z0-9/_.-]{0,12}(\\?[a-z]=[a-z0-9]{1,4})?",
            edit in 0usize..3,
            at in any::<prop::sample::Index>(),
            c in any::<char>(),
        ) {
            let list = vec![registered.clone()];
            prop_assert!(matches_registered(&registered, &list));
            let mut chars: Vec<char> = registered.chars().collect();
            let i = at.index(chars.len());
            match edit {
                0 => chars[i] = c,
                1 => chars.insert(i, c),
                _ => { chars.remove(i); }
            }
            let changed: String = chars.into_iter().collect();
            prop_assert_eq!(matches_registered(&changed, &list), changed == registered);
            let slash = registered.clone() + "/";
            prop_assert!(!matches_registered(&slash, &list));
            let upper = registered.to_uppercase();
            prop_assert_eq!(matches_registered(&upper, &list), upper == registered);
        }

        /// Nothing with a fragment can be registered, whatever surrounds it.
        #[test]
        fn fragments_are_never_registrable(base in "https://[a-z]{1,8}\\.example/[a-z]{0,8}", frag in "\\PC{0,12}") {
            let uri = base + "#" + &frag;
            prop_assert!(!is_registrable(&uri));
        }

        /// Building a response never loses the registered URI: the query
        /// keeps what it had, and the parameters come back as given.
        #[test]
        fn responses_keep_the_uri_and_carry_the_parameters(
            path in "[a-z]{0,8}",
            state in "\\PC{0,20}",
            code in "[A-Za-z0-9_-]{1,43}",
        ) {
            let base = String::from("https://app.example/") + &path + "?keep=1";
            let built = with_query(&base, &[("code", &code), ("state", &state)]).unwrap();
            let u = Url::parse(&built).unwrap();
            prop_assert!(built.starts_with(&base));
            let q: Vec<(String, String)> = u.query_pairs().into_owned().collect();
            prop_assert_eq!(q, vec![
                ("keep".to_owned(), "1".to_owned()),
                ("code".to_owned(), code.clone()),
                ("state".to_owned(), state.clone()),
            ]);
            let f = with_fragment(&base, &[("code", &code), ("state", &state)]).unwrap();
            let u = Url::parse(&f).unwrap();
            let got: Vec<(String, String)> = url::form_urlencoded::parse(u.fragment().unwrap_or("").as_bytes()).into_owned().collect();
            prop_assert_eq!(got, vec![("code".to_owned(), code), ("state".to_owned(), state)]);
        }
    }

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
    fn https_loopback_http_and_private_use_schemes_are_registrable() {
        for ok in [
            "https://app.example/cb",
            "https://app.example:8443/cb?x=1",
            "http://127.0.0.1/cb",
            "http://127.0.0.1:9/cb",
            "http://127.1.2.3:8080/cb",
            "http://[::1]:53412/cb",
            "http://localhost:3000/cb",
            "http://LOCALHOST/cb",
            "com.example.app:/callback",
            "com.example.app:/oauth2redirect/example-provider",
            "com.example.app://callback",
        ] {
            assert_eq!(check_registrable(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn other_schemes_and_plain_http_are_refused() {
        for bad in [
            "http://evil.example/cb",
            "http://app.example.com/callback",
            "http://10.0.0.1/cb",
            "http://[::2]/cb",
            "http://localhost.evil.example/cb",
            "http://127.0.0.1.evil.example/cb",
            "javascript:alert(1)",
            "javascript://app.example/%0aalert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "ftp://files.example/cb",
            "ws://app.example/cb",
            "myapp:/callback",
            "myapp://callback",
            "com.example.app:callback",
            "mailto:a@b.c",
            "/relative",
            "",
        ] {
            assert!(check_registrable(bad).is_err(), "{bad}");
            assert!(!is_registrable(bad), "{bad}");
        }
    }

    #[test]
    fn with_query_keeps_existing_parameters_and_encodes() {
        let u = with_query("https://app.example/cb?a=1", &[("state", "x y&z")]).unwrap();
        assert_eq!(u, "https://app.example/cb?a=1&state=x+y%26z");
    }
}
