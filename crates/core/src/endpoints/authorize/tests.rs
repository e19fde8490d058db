//! The authorization endpoint's behaviour, through its entry points.

use super::*;
use crate::protocol::secret::lookup_hash;
use crate::protocol::types::ResponseType;
use crate::testkit::*;
use portico_api_types::XMethod;

fn base() -> String {
    format!("client_id=web&redirect_uri={CB}&response_type=code&scope=openid&state=xyz")
}

async fn run(k: &Kit, query: &str, session: Option<&Session>) -> Outcome {
    authorize(&k.p, &q(query), session).await
}

fn expect_error_redirect(o: Outcome, code: &str) -> std::collections::HashMap<String, String> {
    let Outcome::Redirect(url) = o else {
        panic!("expected a redirect, got {o:?}")
    };
    assert!(url.starts_with(CB), "{url}");
    let p = redirect_params(&url);
    assert_eq!(p.get("error").map(String::as_str), Some(code), "{url}");
    assert!(p.contains_key("error_description"));
    assert_eq!(p.get("iss").map(String::as_str), Some(ISSUER));
    p
}

fn expect_error_page(o: Outcome, code: ErrorCode) {
    match o {
        Outcome::ErrorPage(e) => assert_eq!(e.code, code),
        other => panic!("expected an error page, got {other:?}"),
    }
}

#[tokio::test]
async fn missing_or_unknown_client_never_redirects() {
    let k = kit().await;
    expect_error_page(
        run(&k, &format!("redirect_uri={CB}&response_type=code"), None).await,
        ErrorCode::InvalidRequest,
    );
    expect_error_page(
        run(
            &k,
            &format!("client_id=nope&redirect_uri={CB}&response_type=code"),
            None,
        )
        .await,
        ErrorCode::InvalidClient,
    );
    expect_error_page(
        run(
            &k,
            &format!("client_id=web&client_id=spa&redirect_uri={CB}&response_type=code"),
            None,
        )
        .await,
        ErrorCode::InvalidRequest,
    );
}

#[tokio::test]
async fn a_disabled_public_client_gets_the_error_page_like_an_unknown_one() {
    let k = kit().await;
    let query = format!(
        "client_id=spa&redirect_uri={CB}&response_type=code&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S256"
    );
    assert!(!matches!(
        run(&k, &query, None).await,
        Outcome::ErrorPage(_)
    ));
    crate::services::clients::disable(
        &k.p,
        "spa",
        crate::model::DisabledBy::Admin,
        &crate::services::audit::Actor::Cli,
        "test",
    )
    .await
    .unwrap();
    expect_error_page(run(&k, &query, None).await, ErrorCode::InvalidClient);
}

#[tokio::test]
async fn unregistered_redirect_uri_never_redirects() {
    let k = kit().await;
    for uri in [
        "https://evil.example/cb",
        "https://app.example/cb/",
        "https://app.example/cb?x=1",
    ] {
        let o = run(
            &k,
            &format!("client_id=web&redirect_uri={uri}&response_type=code"),
            None,
        )
        .await;
        expect_error_page(o, ErrorCode::RedirectUriMismatch);
    }
    // Two registered URIs: redirect_uri cannot be left out.
    expect_error_page(
        run(&k, "client_id=web&response_type=code", None).await,
        ErrorCode::InvalidRequest,
    );
    // Repeated redirect_uri cannot be trusted either.
    let o = run(
        &k,
        &format!("client_id=web&redirect_uri={CB}&redirect_uri={CB}&response_type=code"),
        None,
    )
    .await;
    expect_error_page(o, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn single_registered_uri_may_be_omitted() {
    let k = kit().await;
    let o = run(&k, &format!("client_id=spa&response_type=code&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S256"), None).await;
    assert!(
        matches!(
            o,
            Outcome::Interaction {
                screen: Screen::Login,
                ..
            }
        ),
        "{o:?}"
    );
}

#[tokio::test]
async fn response_type_errors_redirect() {
    let k = kit().await;
    let p = expect_error_redirect(
        run(
            &k,
            &format!("client_id=web&redirect_uri={CB}&state=s1"),
            None,
        )
        .await,
        "invalid_request",
    );
    assert_eq!(p.get("state").map(String::as_str), Some("s1"));
    let o = run(
        &k,
        &format!("client_id=web&redirect_uri={CB}&response_type=code magic&state=s1"),
        None,
    )
    .await;
    expect_error_redirect(o, "unsupported_response_type");
    // Implicit for a client not configured for it: the error travels in
    // the fragment, where a token would have.
    let o = run(
        &k,
        &format!("client_id=web&redirect_uri={CB}&response_type=token&state=s1"),
        None,
    )
    .await;
    let url = redirect_url(o);
    assert!(url.contains('#') && !url.contains('?'), "{url}");
    assert_eq!(fragment_params(&url)["error"], "unauthorized_client");
    let o = run(
        &k,
        &format!("client_id=m2m&redirect_uri={CB}&response_type=code"),
        None,
    )
    .await;
    expect_error_redirect(o, "unauthorized_client");
}

#[tokio::test]
async fn scope_errors_redirect_with_invalid_scope() {
    let k = kit().await;
    let o = run(
        &k,
        &format!("client_id=web&redirect_uri={CB}&response_type=code&scope=unknown"),
        None,
    )
    .await;
    expect_error_redirect(o, "invalid_scope");
    let o = run(
        &k,
        &format!("client_id=web&redirect_uri={CB}&response_type=code&scope=shop default"),
        None,
    )
    .await;
    expect_error_redirect(o, "invalid_scope");
}

#[tokio::test]
async fn entrypoint_in_scope_is_kept_apart_from_scopes() {
    let k = kit().await;
    let o = run(
        &k,
        &format!("client_id=web&redirect_uri={CB}&response_type=code&scope=openid shop"),
        None,
    )
    .await;
    let Outcome::Interaction { request_id, .. } = o else {
        panic!("{o:?}")
    };
    let r =
        k.p.store
            .auth_request(&request_id, T0)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(r.scopes, vec!["openid"]);
    assert_eq!(r.entrypoint, "shop");
    let info = describe(&k.p, &request_id).await.unwrap();
    assert_eq!(info.entrypoint.display_name, "The Shop");
    assert_eq!(info.client_name, "Web App");
}

#[tokio::test]
async fn no_entrypoint_means_default() {
    let k = kit().await;
    let Outcome::Interaction { request_id, .. } = run(&k, &base(), None).await else {
        panic!()
    };
    assert_eq!(
        k.p.store
            .auth_request(&request_id, T0)
            .await
            .unwrap()
            .unwrap()
            .entrypoint,
        "default"
    );
}

#[tokio::test]
async fn pkce_rules() {
    let k = kit().await;
    // Public client without PKCE.
    expect_error_redirect(
        run(&k, "client_id=spa&response_type=code", None).await,
        "invalid_request",
    );
    // Public client with plain.
    let o = run(
        &k,
        &format!(
            "client_id=spa&response_type=code&code_challenge={VERIFIER}&code_challenge_method=plain"
        ),
        None,
    )
    .await;
    expect_error_redirect(o, "invalid_request");
    // Method without challenge.
    expect_error_redirect(
        run(&k, &format!("{}&code_challenge_method=S256", base()), None).await,
        "invalid_request",
    );
    // Unknown method.
    let o = run(
        &k,
        &format!(
            "{}&code_challenge={CHALLENGE}&code_challenge_method=S512",
            base()
        ),
        None,
    )
    .await;
    expect_error_redirect(o, "invalid_request");
    // Malformed challenge.
    expect_error_redirect(
        run(
            &k,
            &format!("{}&code_challenge=short&code_challenge_method=S256", base()),
            None,
        )
        .await,
        "invalid_request",
    );
    // Confidential client may use plain.
    let o = run(
        &k,
        &format!(
            "{}&code_challenge={VERIFIER}&code_challenge_method=plain",
            base()
        ),
        None,
    )
    .await;
    assert!(matches!(o, Outcome::Interaction { .. }), "{o:?}");
}

#[tokio::test]
async fn x_method_prompt_and_max_age_validation() {
    let k = kit().await;
    expect_error_redirect(
        run(&k, &format!("{}&x_method=dance", base()), None).await,
        "invalid_request",
    );
    expect_error_redirect(
        run(&k, &format!("{}&prompt=maybe", base()), None).await,
        "invalid_request",
    );
    expect_error_redirect(
        run(&k, &format!("{}&prompt=none login", base()), None).await,
        "invalid_request",
    );
    expect_error_redirect(
        run(&k, &format!("{}&max_age=-1", base()), None).await,
        "invalid_request",
    );
    expect_error_redirect(
        run(&k, &format!("{}&state=a&state=b", base()), None).await,
        "invalid_request",
    );
    expect_error_page(
        run(&k, &format!("{}&request_uri=urn:x", base()), None).await,
        ErrorCode::InvalidRequestUri,
    );
    expect_error_redirect(
        run(&k, &format!("{}&request=eyJ", base()), None).await,
        "request_not_supported",
    );
    expect_error_redirect(
        run(&k, &format!("{}&response_mode=magic", base()), None).await,
        "invalid_request",
    );
}

#[tokio::test]
async fn screens_follow_x_method() {
    let k = kit().await;
    assert!(matches!(
        run(&k, &base(), None).await,
        Outcome::Interaction {
            screen: Screen::Login,
            ..
        }
    ));
    let o = run(&k, &format!("{}&x_method=sign_up", base()), None).await;
    assert!(matches!(
        o,
        Outcome::Interaction {
            screen: Screen::SignUp,
            ..
        }
    ));
    let o = run(&k, &format!("{}&prompt=create", base()), None).await;
    assert!(matches!(
        o,
        Outcome::Interaction {
            screen: Screen::SignUp,
            ..
        }
    ));
}

#[tokio::test]
async fn session_state_is_salted_and_follows_the_session_and_origin() {
    let k = kit().await;
    let s = consented(&k).await;
    let get = |o: Outcome| {
        let Outcome::Redirect(url) = o else {
            panic!("expected a redirect, got {o:?}")
        };
        redirect_params(&url)["session_state"].clone()
    };
    let ss = get(run(&k, &base(), Some(&s)).await);
    let (digest, salt) = ss.split_once('.').unwrap();
    let opbs = browser_state(&k.p, &s);
    assert_eq!(
        digest,
        lookup_hash(&format!("web https://app.example {opbs} {salt}"))
    );
    let again = get(run(&k, &base(), Some(&s)).await);
    assert_ne!(again, ss, "a fresh salt each time");
    let other = Session {
        id_hash: "another".into(),
        ..s.clone()
    };
    assert_ne!(browser_state(&k.p, &other), opbs);
    // Without openid there is no OIDC session to speak of.
    let o = run(
        &k,
        &base().replace("scope=openid", "scope=profile"),
        Some(&s),
    )
    .await;
    let Outcome::Redirect(url) = o else {
        panic!("{o:?}")
    };
    assert!(!redirect_params(&url).contains_key("session_state"));
}

#[tokio::test]
async fn an_entrypoint_only_offers_its_x_methods() {
    let k = kit().await;
    let mut shop = crate::model::Entrypoint::new("shop", "The Shop");
    shop.x_methods = vec![XMethod::Login];
    k.p.store.upsert_entrypoint(&shop).await.unwrap();
    let q = |extra: &str| {
        format!(
            "{}&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
            base().replace("scope=openid", "scope=openid shop")
        )
    };
    let p = expect_error_redirect(
        run(&k, &q("&x_method=sign_up"), None).await,
        "invalid_request",
    );
    assert!(p["error_description"].contains("x_method=sign_up"), "{p:?}");
    expect_error_redirect(run(&k, &q("&prompt=create"), None).await, "invalid_request");
    expect_error_redirect(
        run(&k, &q("&x_method=reauthorize"), None).await,
        "invalid_request",
    );
    assert!(matches!(
        run(&k, &q(""), None).await,
        Outcome::Interaction {
            screen: Screen::Login,
            ..
        }
    ));
    // The default entrypoint still offers everything.
    assert!(matches!(
        run(&k, &format!("{}&x_method=sign_up", base()), None).await,
        Outcome::Interaction {
            screen: Screen::SignUp,
            ..
        }
    ));
}

#[tokio::test]
async fn a_session_gets_a_code_at_once() {
    let k = kit().await;
    let s = k.session(T0).await;
    let Outcome::Redirect(url) = run(&k, &base(), Some(&s)).await else {
        panic!()
    };
    let p = redirect_params(&url);
    assert_eq!(p.get("state").map(String::as_str), Some("xyz"));
    assert_eq!(p.get("iss").map(String::as_str), Some(ISSUER));
    assert!(
        p.get("code").is_some_and(|c| c.len() >= 43),
        "≥256 bits: {url}"
    );
    assert!(!p.contains_key("error"));
}

#[tokio::test]
async fn prompt_login_max_age_and_reauthorize_force_the_login_screen() {
    let k = kit().await;
    let s = k.session(T0).await;
    k.clock.advance(100);
    for extra in [
        "&prompt=login",
        "&max_age=50",
        "&x_method=reauthorize",
        "&max_age=0",
    ] {
        let o = run(&k, &format!("{}{extra}", base()), Some(&s)).await;
        assert!(
            matches!(
                o,
                Outcome::Interaction {
                    screen: Screen::Login,
                    ..
                }
            ),
            "{extra}: {o:?}"
        );
    }
    let o = run(&k, &format!("{}&max_age=500", base()), Some(&s)).await;
    assert!(matches!(o, Outcome::Redirect(_)), "{o:?}");
}

#[tokio::test]
async fn prompt_none_never_shows_a_screen() {
    let k = kit().await;
    expect_error_redirect(
        run(&k, &format!("{}&prompt=none", base()), None).await,
        "login_required",
    );
    let s = k.session(T0).await;
    k.clock.advance(100);
    expect_error_redirect(
        run(&k, &format!("{}&prompt=none&max_age=10", base()), Some(&s)).await,
        "login_required",
    );
    assert!(matches!(
        run(&k, &format!("{}&prompt=none", base()), Some(&s)).await,
        Outcome::Redirect(_)
    ));
}

#[tokio::test]
async fn complete_issues_once_and_respects_fresh_login() {
    let k = kit().await;
    let Outcome::Interaction { request_id, .. } =
        run(&k, &format!("{}&prompt=login", base()), None).await
    else {
        panic!()
    };
    let s = k.session(T0).await;
    let e = complete(&k.p, &request_id, &s, false).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::LoginRequired);
    let url = redirect_url(complete(&k.p, &request_id, &s, true).await.unwrap());
    assert!(redirect_params(&url).contains_key("code"));
    let again = complete(&k.p, &request_id, &s, true).await.unwrap_err();
    assert_eq!(again.code, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn cancel_redirects_access_denied_once() {
    let k = kit().await;
    let Outcome::Interaction { request_id, .. } = run(&k, &base(), None).await else {
        panic!()
    };
    let url = redirect_url(cancel(&k.p, &request_id, "cancelled").await.unwrap());
    let p = redirect_params(&url);
    assert_eq!(p.get("error").map(String::as_str), Some("access_denied"));
    assert_eq!(p.get("state").map(String::as_str), Some("xyz"));
    assert_eq!(p.get("iss").map(String::as_str), Some(ISSUER));
    assert!(cancel(&k.p, &request_id, "cancelled").await.is_err());
}

#[tokio::test]
async fn stored_requests_expire() {
    let k = kit().await;
    let Outcome::Interaction { request_id, .. } = run(&k, &base(), None).await else {
        panic!()
    };
    k.clock.advance(601);
    let s = k.session(k.clock.now()).await;
    assert!(complete(&k.p, &request_id, &s, true).await.is_err());
    assert!(describe(&k.p, &request_id).await.is_err());
}

#[tokio::test]
async fn explain_error_only_explains_non_redirectable_errors() {
    let k = kit().await;
    assert_eq!(
        explain_error(&k.p, &q("client_id=nope")).await.code,
        ErrorCode::InvalidClient
    );
    let e = explain_error(&k.p, &q("client_id=web&redirect_uri=https://evil.example")).await;
    assert_eq!(e.code, ErrorCode::RedirectUriMismatch);
}

use crate::infra::clock::Clock;

fn rp(rt: &str, extra: &str) -> String {
    format!(
        "client_id=rp&redirect_uri={CB}&response_type={rt}&scope=openid email&state=st&nonce=n-1{extra}"
    )
}

/// Sign Ada in and allow the rp client once, so later requests need no screen.
async fn consented(k: &Kit) -> Session {
    let s = k.session(T0).await;
    k.p.store
        .add_consent("user-1", "rp", &["openid".into(), "email".into()], T0)
        .await
        .unwrap();
    s
}

#[tokio::test]
async fn every_response_type_returns_what_it_names_in_the_fragment() {
    let k = kit().await;
    let s = consented(&k).await;
    for rt in ResponseType::ALL.map(ResponseType::as_str) {
        let url = redirect_url(run(&k, &rp(rt, ""), Some(&s)).await);
        let kinds: Vec<&str> = rt.split(' ').collect();
        let f = if rt == "code" {
            assert!(!url.contains('#'), "{rt}: code goes in the query");
            redirect_params(&url)
        } else {
            assert!(!url.contains('?'), "{rt}: {url}");
            fragment_params(&url)
        };
        assert_eq!(f["state"], "st", "{rt}");
        assert_eq!(f["iss"], ISSUER, "{rt}");
        assert_eq!(f.contains_key("code"), kinds.contains(&"code"), "{rt}");
        assert_eq!(
            f.contains_key("access_token"),
            kinds.contains(&"token"),
            "{rt}"
        );
        assert_eq!(
            f.contains_key("id_token"),
            kinds.contains(&"id_token"),
            "{rt}"
        );
        if let Some(at) = f.get("access_token") {
            assert_eq!(f["token_type"], "Bearer");
            assert_eq!(f["expires_in"], "3600");
            let info = crate::endpoints::userinfo::userinfo(&k.p, at)
                .await
                .unwrap();
            assert_eq!(info["email"], "ada@example.com");
        }
        if let Some(id) = f.get("id_token") {
            let c = k.p.verify(id).await.unwrap().claims;
            assert_eq!(c["nonce"], "n-1", "{rt}");
            assert_eq!(c["aud"], "rp");
            assert_eq!(c["acr"], "0", "an SSO session was reused");
            assert_eq!(c["auth_time"], T0);
            match f.get("access_token") {
                Some(at) => assert_eq!(c["at_hash"], crate::infra::jose::half_hash(at), "{rt}"),
                None => assert!(c.get("at_hash").is_none(), "{rt}"),
            }
            match f.get("code") {
                Some(code) => {
                    assert_eq!(c["c_hash"], crate::infra::jose::half_hash(code), "{rt}")
                }
                None => assert!(c.get("c_hash").is_none(), "{rt}"),
            }
            // Only a lone id_token carries the user's claims.
            assert_eq!(c.get("email").is_some(), rt == "id_token", "{rt}");
        }
    }
}

#[tokio::test]
async fn response_types_in_any_order_and_their_rules() {
    let k = kit().await;
    let s = consented(&k).await;
    // nonce is required whenever an id_token comes from this endpoint.
    for rt in ["id_token", "code id_token", "id_token token"] {
        let q = format!("client_id=rp&redirect_uri={CB}&response_type={rt}&scope=openid&state=st");
        let url = redirect_url(run(&k, &q, Some(&s)).await);
        let f = fragment_params(&url);
        assert_eq!(f["error"], "invalid_request", "{rt}");
        assert!(f["error_description"].contains("nonce"));
    }
    // ...but not for code or token.
    let q = format!("client_id=rp&redirect_uri={CB}&response_type=token&scope=openid email");
    assert!(
        fragment_params(&redirect_url(run(&k, &q, Some(&s)).await)).contains_key("access_token")
    );
    // An id_token needs openid.
    let q = format!("client_id=rp&redirect_uri={CB}&response_type=id_token&scope=email&nonce=n");
    assert_eq!(
        fragment_params(&redirect_url(run(&k, &q, Some(&s)).await))["error"],
        "invalid_request"
    );
    // Tokens never go in the query.
    let url = redirect_url(run(&k, &rp("token", "&response_mode=query"), Some(&s)).await);
    assert_eq!(fragment_params(&url)["error"], "invalid_request");
    // A code may go in the fragment when asked.
    let url = redirect_url(run(&k, &rp("code", "&response_mode=fragment"), Some(&s)).await);
    assert!(fragment_params(&url).contains_key("code"));
}

#[tokio::test]
async fn form_post_carries_the_response_and_errors() {
    let k = kit().await;
    let s = consented(&k).await;
    let Outcome::FormPost(f) = run(
        &k,
        &rp("code id_token", "&response_mode=form_post"),
        Some(&s),
    )
    .await
    else {
        panic!()
    };
    assert_eq!(f.action, CB);
    let names: Vec<&str> = f.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["code", "id_token", "state", "session_state", "iss"]);
    assert!(
        !format!("{f:?}").contains(&f.fields[0].1),
        "Debug hides the code"
    );
    // Errors use the requested mode too.
    k.clock.advance(10);
    let Outcome::FormPost(f) = run(
        &k,
        &rp("code", "&response_mode=form_post&prompt=none&max_age=5"),
        Some(&s),
    )
    .await
    else {
        panic!()
    };
    let fields: std::collections::HashMap<_, _> = f.fields.into_iter().collect();
    assert_eq!(fields["error"], "login_required");
    assert_eq!(fields["state"], "st");
    assert!(!fields.contains_key("code"));
}

#[tokio::test]
async fn a_request_without_scope_gets_invalid_scope_never_a_silent_code() {
    let k = kit().await;
    let s = k.session(T0).await;
    // Signed in, prompt=none: before, an empty scope set counted as
    // already allowed and the third-party client got a code silently.
    for client in ["rp", "web"] {
        for scope in ["", "&scope=", "&scope=  ", "&scope=shop"] {
            for extra in ["", "&prompt=none"] {
                let query = format!(
                    "client_id={client}&redirect_uri={CB}&response_type=code&state=st{scope}{extra}"
                );
                let o = run(&k, &query, Some(&s)).await;
                let p = expect_error_redirect(o, "invalid_scope");
                assert_eq!(p["state"], "st", "{query}");
                assert!(!p.contains_key("code"), "{query}");
                let why = &p["error_description"];
                if scope.ends_with("shop") {
                    assert!(why.contains("only an entrypoint"), "{why}");
                } else {
                    assert_eq!(why, "scope is required");
                }
            }
        }
    }
}

#[tokio::test]
async fn third_party_clients_need_consent_which_is_remembered() {
    let k = kit().await;
    let s = k.session(T0).await;
    let q =
        format!("client_id=rp&redirect_uri={CB}&response_type=code&scope=openid email&state=st");
    // prompt=none cannot ask: consent_required.
    let url = redirect_url(run(&k, &format!("{q}&prompt=none"), Some(&s)).await);
    assert_eq!(redirect_params(&url)["error"], "consent_required");
    let Outcome::Interaction {
        screen: Screen::Consent,
        request_id,
    } = run(&k, &q, Some(&s)).await
    else {
        panic!()
    };
    let info = describe(&k.p, &request_id).await.unwrap();
    assert_eq!(info.client_name, "Partner App");
    let words: Vec<&str> = info.scopes.iter().map(|s| s.description.as_str()).collect();
    assert_eq!(
        words,
        [
            "Know who you are when you sign in",
            "See your email address"
        ]
    );
    // "Continue" cannot skip the consent screen.
    assert!(matches!(
        complete(&k.p, &request_id, &s, false).await.unwrap(),
        Outcome::Interaction {
            screen: Screen::Consent,
            ..
        }
    ));
    let url = redirect_url(consent(&k.p, &request_id, &s, true).await.unwrap());
    assert!(redirect_params(&url).contains_key("code"));
    let audit =
        k.p.store
            .audit_log(&crate::services::audit::Filter {
                client_id: Some("rp".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
    assert_eq!(audit[0].event, "consent.given");
    assert_eq!(
        (audit[0].user_id.as_deref(), audit[0].detail.as_str()),
        (Some("user-1"), "openid email")
    );
    // Remembered: the same scopes need no screen, even with prompt=none.
    assert!(
        matches!(run(&k, &format!("{q}&prompt=none"), Some(&s)).await, Outcome::Redirect(u) if u.contains("code="))
    );
    // More scopes, or prompt=consent, ask again.
    let more = q.replace("openid email", "openid email profile");
    assert!(matches!(
        run(&k, &more, Some(&s)).await,
        Outcome::Interaction {
            screen: Screen::Consent,
            ..
        }
    ));
    assert!(matches!(
        run(&k, &format!("{q}&prompt=consent"), Some(&s)).await,
        Outcome::Interaction {
            screen: Screen::Consent,
            ..
        }
    ));
    // First-party clients never ask.
    assert!(matches!(
        run(&k, &base(), Some(&s)).await,
        Outcome::Redirect(_)
    ));
}

#[tokio::test]
async fn denying_consent_sends_access_denied_and_remembers_nothing() {
    let k = kit().await;
    let s = k.session(T0).await;
    let q = format!("client_id=rp&redirect_uri={CB}&response_type=code&scope=openid&state=st");
    let Outcome::Interaction { request_id, .. } = run(&k, &q, Some(&s)).await else {
        panic!()
    };
    let url = redirect_url(consent(&k.p, &request_id, &s, false).await.unwrap());
    let p = redirect_params(&url);
    assert_eq!(p["error"], "access_denied");
    assert_eq!(p["state"], "st");
    assert!(
        k.p.store
            .consented_scopes("user-1", "rp")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        consent(&k.p, &request_id, &s, true).await.is_err(),
        "the request is gone"
    );
}

#[tokio::test]
async fn a_fresh_login_carries_through_the_consent_screen() {
    let k = kit().await;
    let q = format!(
        "client_id=rp&redirect_uri={CB}&response_type=code id_token&scope=openid&nonce=n&prompt=login"
    );
    let s = k.session(T0).await;
    let Outcome::Interaction {
        screen: Screen::Login,
        request_id,
    } = run(&k, &q, Some(&s)).await
    else {
        panic!()
    };
    // The user typed credentials: a new session.
    let fresh = k.session(T0 + 1).await;
    let Outcome::Interaction {
        screen: Screen::Consent,
        ..
    } = complete(&k.p, &request_id, &fresh, true).await.unwrap()
    else {
        panic!()
    };
    // The old session cannot finish it (prompt=login).
    assert_eq!(
        consent(&k.p, &request_id, &s, true).await.unwrap_err().code,
        ErrorCode::LoginRequired
    );
    let url = redirect_url(consent(&k.p, &request_id, &fresh, true).await.unwrap());
    let c =
        k.p.verify(&fragment_params(&url)["id_token"])
            .await
            .unwrap()
            .claims;
    assert_eq!(c["acr"], "1", "credentials were typed for this request");
    assert_eq!(c["auth_time"], T0 + 1);
}

#[tokio::test]
async fn acr_values_one_forces_credentials_and_the_claim_tells_the_truth() {
    let k = kit().await;
    let s = consented(&k).await;
    // Asking for "1" with only an SSO session: the login screen.
    assert!(matches!(
        run(&k, &rp("id_token", "&acr_values=1 0"), Some(&s)).await,
        Outcome::Interaction {
            screen: Screen::Login,
            ..
        }
    ));
    // prompt=none cannot do it.
    let url = redirect_url(run(&k, &rp("id_token", "&acr_values=1&prompt=none"), Some(&s)).await);
    assert_eq!(fragment_params(&url)["error"], "login_required");
    // Unknown values are ignored; the claim says what happened.
    let url = redirect_url(run(&k, &rp("id_token", "&acr_values=urn:mfa"), Some(&s)).await);
    let c =
        k.p.verify(&fragment_params(&url)["id_token"])
            .await
            .unwrap()
            .claims;
    assert_eq!(c["acr"], "0");
}

#[tokio::test]
async fn select_account_shows_the_chooser_even_with_a_session() {
    let k = kit().await;
    let s = k.session(T0).await;
    let Outcome::Interaction {
        screen: Screen::Login,
        request_id,
    } = run(&k, &format!("{}&prompt=select_account", base()), Some(&s)).await
    else {
        panic!()
    };
    // Choosing the current account needs no password.
    let url = redirect_url(complete(&k.p, &request_id, &s, false).await.unwrap());
    assert!(redirect_params(&url).contains_key("code"));
    // prompt=none with no session: login_required.
    let url = redirect_url(run(&k, &format!("{}&prompt=none", base()), None).await);
    assert_eq!(redirect_params(&url)["error"], "login_required");
}

#[tokio::test]
async fn authorize_answers_no_unusable_account_from_its_session() {
    let k = kit().await;
    let s = k.session(k.clock.now()).await;
    k.disable_ada_only();
    let query = format!(
        "client_id=web&redirect_uri={CB}&response_type=code&scope=openid&nonce=n1&state=st"
    );
    let o = authorize(&k.p, &q(&query), Some(&s)).await;
    if let Outcome::Redirect(url) = &o {
        assert!(!redirect_params(url).contains_key("code"), "{url}");
    }
    assert!(
        k.p.store.grants_of_user("user-1").await.unwrap().is_empty(),
        "no grant made: {o:?}"
    );
}
