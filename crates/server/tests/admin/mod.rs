//! The admin API (issue 19): who may call it, the clients it manages, the
//! audit trail of every change, and its OpenAPI document.

use crate::common::*;
use crate::on_both_backends;
use portico_core::model::Factor;
use portico_core::services::audit::Actor;
use portico_core::services::roles;
use serde_json::{Value, json};

on_both_backends!(
    only_administrators_and_admin_tokens_get_in,
    clients_are_managed_through_the_api_and_every_change_is_audited,
    a_client_changed_on_one_instance_is_served_so_by_the_other,
    the_document_describes_the_api_and_unknown_paths_get_json,
    keys_are_listed_rotated_and_retired_through_the_api,
    a_theme_saved_on_one_instance_is_on_the_other_s_login_page_at_once,
    users_are_searched_a_page_at_a_time,
    users_are_created_disabled_enabled_and_erased_and_every_change_is_audited,
    a_disabled_user_cannot_sign_in_and_their_refresh_token_dies,
    unlock_lets_a_locked_out_login_through,
    a_users_sessions_and_grants_are_revoked_one_or_all,
    the_last_admin_cannot_be_disabled_deleted_or_demoted,
    the_demo_user_can_try_the_cockpit,
);

const ROOT: &str = "root@example.com";
const ROOT_PASSWORD: &str = "root password, long enough";
const BOT_SECRET: &str = "bot-secret-bot-secret-bot-secret-bot-secret-01";

/// An administrator and an admin client beside the usual test set-up.
const ADMIN_CONFIG: &str = r#"
[[users]]
email = "root@example.com"
name = "Root"
password = "root password, long enough"
roles = ["admin"]

[[clients]]
id = "bot"
secret = "bot-secret-bot-secret-bot-secret-bot-secret-01"
grant_types = ["client_credentials"]
scopes = ["portico:admin"]
"#;

const CLIENTS: &str = "/admin/api/v1/clients";

async fn cc_token(s: &TestServer, id: &str, secret: &str, scope: &str) -> String {
    let r = s
        .token(
            &[("grant_type", "client_credentials"), ("scope", scope)],
            Some((id, secret)),
        )
        .await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    t["access_token"].as_str().unwrap().to_owned()
}

async fn bot(s: &TestServer) -> String {
    cc_token(s, "bot", BOT_SECRET, "portico:admin").await
}

async fn sign_in_as(s: &TestServer, email: &str, password: &str) -> String {
    let r = s
        .ui_post(
            "/api/ui/login",
            json!({"email": email, "password": password}),
        )
        .await;
    assert_eq!(r.status(), 200, "{email} signs in");
    session_cookie(r.headers()).unwrap()
}

async fn get_bearer(s: &TestServer, path: &str, token: &str) -> reqwest::Response {
    s.http
        .get(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn post_bearer(s: &TestServer, path: &str, token: &str, body: Value) -> reqwest::Response {
    s.http
        .post(s.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn get_cookie(s: &TestServer, path: &str, cookie: &str) -> reqwest::Response {
    s.http
        .get(s.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

async fn error_of(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

fn new_client(id: &str) -> Value {
    json!({
        "id": id,
        "name": "Made in the cockpit",
        "confidential": true,
        "first_party": true,
        "redirect_uris": [CB],
    })
}

async fn only_administrators_and_admin_tokens_get_in(db: Db) {
    let s = start_with(db, ADMIN_CONFIG).await;
    // Nobody: 401.
    let r = s.http.get(s.url(CLIENTS)).send().await.unwrap();
    assert_eq!(error_of(r).await, (401, "login_required".into()));
    // A signed-in user without the role: 403.
    let alice = sign_in_as(&s, EMAIL, PASSWORD).await;
    assert_eq!(
        error_of(get_cookie(&s, CLIENTS, &alice).await).await,
        (403, "forbidden".into())
    );
    // A token that is not one: 401 with a Bearer challenge.
    let r = get_bearer(&s, CLIENTS, "not-a-token").await;
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    assert_eq!(error_of(r).await, (401, "invalid_token".into()));
    // A valid token of a client without the admin scope: 403.
    let machine = cc_token(&s, "machine", MACHINE_SECRET, "api:read").await;
    let r = get_bearer(&s, CLIENTS, &machine).await;
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
    assert_eq!(error_of(r).await, (403, "insufficient_scope".into()));
    // A user's access token (from the code flow) never administers, even
    // of a signed-in administrator.
    let (redirect, _) = s
        .login_flow(&[
            ("client_id", "web"),
            ("redirect_uri", CB),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "st"),
            ("nonce", "n"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .await;
    let code = query_of(&redirect)["code"].clone();
    let r = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ],
            Some(("web", WEB_SECRET)),
        )
        .await;
    let t: Value = r.json().await.unwrap();
    let user_token = t["access_token"].as_str().unwrap();
    assert_eq!(
        error_of(get_bearer(&s, CLIENTS, user_token).await).await.0,
        403
    );

    // The admin client's token gets in, and needs no CSRF header to change
    // things (a bearer token is no ambient credential).
    let token = bot(&s).await;
    let r = get_bearer(&s, "/admin/api/v1/me", &token).await;
    assert_eq!(r.status(), 200);
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["actor"], "client:bot");
    let r = post_bearer(&s, CLIENTS, &token, new_client("by-bot")).await;
    assert_eq!(r.status(), 201);

    // An administrator's session gets in; its changes need the CSRF header.
    let root = sign_in_as(&s, ROOT, ROOT_PASSWORD).await;
    let r = get_cookie(&s, "/admin/api/v1/me", &root).await;
    assert_eq!(r.status(), 200);
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["email"], ROOT);
    let r = s
        .http
        .post(s.url(CLIENTS))
        .header("cookie", &root)
        .json(&new_client("by-root"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await, (403, "csrf".into()));
    let r = s
        .ui_post_with_cookie(CLIENTS, new_client("by-root"), &root)
        .await;
    assert_eq!(r.status(), 201);

    // Roles are read at every request: taken away, the door shuts at once.
    let p = &s.running.state.provider;
    let root_id = p.store.user_by_email(ROOT).await.unwrap().unwrap().id;
    let alice_id = p.store.user_by_email(EMAIL).await.unwrap().unwrap().id;
    roles::set(p, &alice_id, roles::ADMIN, true, &Actor::Cli)
        .await
        .unwrap()
        .unwrap();
    roles::set(p, &root_id, roles::ADMIN, false, &Actor::Cli)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        error_of(get_cookie(&s, CLIENTS, &root).await).await,
        (403, "forbidden".into())
    );
    assert_eq!(get_cookie(&s, CLIENTS, &alice).await.status(), 200);
    // An administrator with a second factor must have used it this session.
    p.store
        .add_factor(&Factor {
            id: "f-1".into(),
            user_id: alice_id.clone(),
            kind: portico_api_types::FactorKind::Totp,
            name: "Phone".into(),
            secret: "sealed".into(),
            credential_id: None,
            created_at: p.now(),
            last_used_at: None,
            last_step: None,
        })
        .await
        .unwrap();
    assert_eq!(
        error_of(get_cookie(&s, CLIENTS, &alice).await).await,
        (401, "second_factor_required".into())
    );

    // An admin client cannot lock itself out (nor take its own scope away,
    // nor change its id); disabled by an administrator, its tokens die
    // with it.
    let r = post_bearer(&s, "/admin/api/v1/clients/bot/disable", &token, json!({})).await;
    assert_eq!(error_of(r).await, (409, "conflict".into()));
    let r = s
        .http
        .delete(s.url("/admin/api/v1/clients/bot"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await, (409, "conflict".into()));
    let put = |body: Value| {
        s.http
            .put(s.url("/admin/api/v1/clients/bot"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let stripped = json!({"confidential": true, "grant_types": ["client_credentials"], "scopes": ["api:read"]});
    assert_eq!(
        error_of(put(stripped).await.unwrap()).await,
        (409, "conflict".into())
    );
    let renamed =
        json!({"id": "other", "grant_types": ["client_credentials"], "scopes": ["portico:admin"]});
    assert_eq!(
        error_of(put(renamed).await.unwrap()).await,
        (400, "validation_failed".into())
    );
    let p = &s.running.state.provider;
    let admin = Actor::User(alice_id.clone());
    portico_core::services::admin::clients::disable(p, "bot", &admin)
        .await
        .unwrap();
    assert_eq!(
        error_of(get_bearer(&s, CLIENTS, &token).await).await,
        (401, "invalid_token".into())
    );
}

async fn clients_are_managed_through_the_api_and_every_change_is_audited(db: Db) {
    let s = start_with(db, ADMIN_CONFIG).await;
    let token = bot(&s).await;
    let r = post_bearer(&s, CLIENTS, &token, new_client("made")).await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(created["client"]["confidential"], true);
    assert_eq!(created["client"]["from_config"], false);
    // The secret is shown once: no listing or read holds it.
    for path in [CLIENTS.to_owned(), format!("{CLIENTS}/made")] {
        let text = get_bearer(&s, &path, &token).await.text().await.unwrap();
        assert!(!text.contains(&secret), "{path} shows the secret");
    }
    let list: Value = get_bearer(&s, &format!("{CLIENTS}?q=MADE"), &token)
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["made"]);

    // The new client runs the authorization-code flow with its secret.
    let (redirect, _) = s
        .login_flow(&[
            ("client_id", "made"),
            ("redirect_uri", CB),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "st"),
            ("nonce", "n"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .await;
    let code = query_of(&redirect)["code"].clone();
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CB),
        ("code_verifier", VERIFIER),
    ];
    let r = s.token(&exchange, Some(("made", &secret))).await;
    assert_eq!(r.status(), 200);

    // The config's rules, naming the field.
    let mut bad = new_client("made");
    bad["redirect_uris"] = json!(["http://app.example/cb"]);
    let r = s
        .http
        .put(s.url(&format!("{CLIENTS}/made")))
        .bearer_auth(&token)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "validation_failed");
    assert_eq!(e["field_errors"][0]["field"], "redirect_uris");
    let mut renamed = new_client("made");
    renamed["name"] = json!("Renamed");
    let r = s
        .http
        .put(s.url(&format!("{CLIENTS}/made")))
        .bearer_auth(&token)
        .json(&renamed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["name"], "Renamed");
    // Unknown fields and duplicate ids are refused.
    let mut extra = new_client("other");
    extra["secret"] = json!("chosen-by-the-caller");
    assert_eq!(
        error_of(post_bearer(&s, CLIENTS, &token, extra).await).await,
        (400, "invalid_body".into())
    );
    assert_eq!(
        error_of(post_bearer(&s, CLIENTS, &token, new_client("made")).await).await,
        (409, "conflict".into())
    );

    // A new secret: the old one stops working at once.
    let r = post_bearer(&s, &format!("{CLIENTS}/made/secret"), &token, json!({})).await;
    assert_eq!(r.status(), 200);
    let rotated: Value = r.json().await.unwrap();
    let new_secret = rotated["client_secret"].as_str().unwrap();
    let probe = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "nothing"),
    ];
    assert_eq!(s.token(&probe, Some(("made", &secret))).await.status(), 401);
    assert_eq!(
        s.token(&probe, Some(("made", new_secret))).await.status(),
        400,
        "authenticated, then invalid_grant"
    );
    // A config client's secret is the file's.
    assert_eq!(
        error_of(post_bearer(&s, &format!("{CLIENTS}/web/secret"), &token, json!({})).await).await,
        (409, "config_managed".into())
    );

    // Disable, enable, delete.
    let v: Value = post_bearer(&s, &format!("{CLIENTS}/made/disable"), &token, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["disabled"], true);
    assert_eq!(
        s.token(&probe, Some(("made", new_secret))).await.status(),
        401
    );
    let v: Value = post_bearer(&s, &format!("{CLIENTS}/made/enable"), &token, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["disabled"], false);
    let r = s
        .http
        .delete(s.url(&format!("{CLIENTS}/made")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        error_of(get_bearer(&s, &format!("{CLIENTS}/made"), &token).await).await,
        (404, "not_found".into())
    );

    // Every change is in the audit log with who made it, newest first,
    // a page at a time.
    let audit = "/admin/api/v1/audit?actor=client:bot&limit=3";
    let page: Value = get_bearer(&s, audit, &token).await.json().await.unwrap();
    let next = page["next"].as_str().unwrap().to_owned();
    let mut events: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect();
    let page: Value = get_bearer(&s, &format!("{audit}&cursor={next}"), &token)
        .await
        .json()
        .await
        .unwrap();
    events.extend(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event"].as_str().unwrap().to_owned()),
    );
    assert_eq!(page["next"], Value::Null, "the last page says so");
    assert_eq!(
        events,
        [
            "client.deleted",
            "client.enabled",
            "client.disabled",
            "client.secret_rotated",
            "client.updated",
            "client.created"
        ]
    );
    assert!(page["items"][0]["client_id"] == "made");
    let r = get_bearer(&s, "/admin/api/v1/audit?limit=0", &token).await;
    assert_eq!(error_of(r).await, (400, "validation_failed".into()));
    let r = get_bearer(&s, "/admin/api/v1/audit?cursor=abc", &token).await;
    assert_eq!(error_of(r).await, (400, "validation_failed".into()));
    // NUL and other control characters never reach the database (where
    // PostgreSQL would fail): a 400 naming the field.
    let r = get_bearer(&s, "/admin/api/v1/audit?user_id=a%00b", &token).await;
    assert_eq!(error_of(r).await, (400, "validation_failed".into()));
    let r = post_bearer(
        &s,
        "/admin/api/v1/users",
        &token,
        json!({"email": "a\u{0}b@example.com", "name": "Nul", "password": "long enough password"}),
    )
    .await;
    let (status, code) = error_of(r).await;
    assert_eq!((status, code.as_str()), (400, "validation_failed"));
    let r = post_bearer(
        &s,
        "/admin/api/v1/users",
        &token,
        json!({"email": "nul@example.com", "name": "N\u{0}l", "password": "long enough password"}),
    )
    .await;
    assert_eq!(error_of(r).await, (400, "validation_failed".into()));
    let r = get_bearer(&s, "/admin/api/v1/audit?since=yesterday", &token).await;
    assert_eq!(error_of(r).await, (400, "invalid_request".into()));
}

async fn a_client_changed_on_one_instance_is_served_so_by_the_other(db: Db) {
    let (url, _guard) = fresh_database(db).await;
    let issuer = "http://portico.test";
    let a = start_instance_with(&url, issuer, ADMIN_CONFIG).await;
    let b = start_instance_with(&url, issuer, ADMIN_CONFIG).await;
    let token = bot(&a).await;
    let mut machine = new_client("shared");
    machine["grant_types"] = json!(["client_credentials"]);
    machine["redirect_uris"] = json!([]);
    machine["scopes"] = json!(["api:read"]);
    let r = post_bearer(&a, CLIENTS, &token, machine).await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    // Created on A: B serves it at once (it had nothing cached).
    let on_b = cc_token(&b, "shared", &secret, "api:read").await;
    // B takes the token: valid, though without openid userinfo has nothing
    // for it (403 insufficient_scope, not 401).
    assert_eq!(b.userinfo(&on_b).await.status(), 403);
    // Disabled on A: B still has it cached, for at most the documented
    // window (client_cache_ttl, 5 seconds), then refuses it.
    let r = post_bearer(&a, &format!("{CLIENTS}/shared/disable"), &token, json!({})).await;
    assert_eq!(r.status(), 200);
    let cc = [("grant_type", "client_credentials"), ("scope", "api:read")];
    b.clock.advance(6);
    assert_eq!(b.token(&cc, Some(("shared", &secret))).await.status(), 401);
    // A's token was accepted on B, and B's admin API sees A's change.
    let v: Value = get_bearer(&b, &format!("{CLIENTS}/shared"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["disabled"], true);
}

async fn the_document_describes_the_api_and_unknown_paths_get_json(db: Db) {
    let s = start_with(db, ADMIN_CONFIG).await;
    let r = s
        .http
        .get(s.url("/admin/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/admin/api/v1/clients/{id}"]["put"].is_object());
    let token = bot(&s).await;
    let r = get_bearer(&s, "/admin/api/v1/no-such-thing", &token).await;
    assert_eq!(error_of(r).await, (404, "not_found".into()));
    // A config that gives the admin scope to a client users sign in to is
    // refused: its users' tokens would administer.
    let why = start_error(
        db,
        r#"
[[clients]]
id = "sneaky"
secret = "sneaky-secret-sneaky-secret-sneaky-secret-01"
redirect_uris = ["http://127.0.0.1:9/cb"]
scopes = ["openid", "portico:admin"]
"#,
    )
    .await;
    assert!(why.contains("portico:admin"), "{why}");
}

async fn keys_are_listed_rotated_and_retired_through_the_api(db: Db) {
    let s = start_with(db, ADMIN_CONFIG).await;
    let token = bot(&s).await;
    let keys = "/admin/api/v1/keys";
    let list: Value = get_bearer(&s, keys, &token).await.json().await.unwrap();
    let states: Vec<(&str, &str)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["alg"].as_str().unwrap(), k["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states.len(), 2, "{list}");
    assert!(states.iter().all(|(_, st)| *st == "signing"), "{list}");
    assert!(
        !list.to_string().contains("private"),
        "never the private part"
    );
    let old_es = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["alg"] == "ES256")
        .unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();

    // At once (a suspected compromise): the new key signs, the old one
    // verifies what it signed (this very token) until that has expired.
    let r = post_bearer(
        &s,
        &format!("{keys}/rotate"),
        &token,
        json!({"alg": "ES256", "immediately": true}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let new: Value = r.json().await.unwrap();
    assert_eq!(new["items"][0]["state"], "signing");
    let list: Value = get_bearer(&s, keys, &token).await.json().await.unwrap();
    let old = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == old_es.as_str())
        .unwrap();
    assert_eq!(old["state"], "verifying");
    assert!(old["verifying_until"].as_i64().unwrap() > s.running.state.provider.now());
    // Planned: published first, a second one waits for it.
    let r = post_bearer(
        &s,
        &format!("{keys}/rotate"),
        &token,
        json!({"alg": "RS256"}),
    )
    .await;
    let next: Value = r.json().await.unwrap();
    assert_eq!(next["items"][0]["state"], "next");
    let r = post_bearer(
        &s,
        &format!("{keys}/rotate"),
        &token,
        json!({"alg": "RS256"}),
    )
    .await;
    assert_eq!(error_of(r).await, (409, "rotation_pending".into()));
    let r = post_bearer(
        &s,
        &format!("{keys}/rotate"),
        &token,
        json!({"alg": "HS256"}),
    )
    .await;
    assert_eq!(error_of(r).await, (400, "invalid_body".into()));
    // Retiring: not the key signing now; unknown keys are not found.
    let signing = new["items"][0]["kid"].as_str().unwrap();
    let r = post_bearer(&s, &format!("{keys}/{signing}/retire"), &token, json!({})).await;
    assert_eq!(error_of(r).await, (409, "key_in_use".into()));
    let r = post_bearer(&s, &format!("{keys}/nope/retire"), &token, json!({})).await;
    assert_eq!(error_of(r).await, (404, "not_found".into()));
    // The old key retired by hand: out of the JWKS, and the token it
    // signed (this one, when access tokens are ES256) no longer works.
    let r = post_bearer(&s, &format!("{keys}/{old_es}/retire"), &token, json!({})).await;
    assert_eq!(r.status(), 200);
    let jwks = s.jwks().await;
    assert!(
        jwks.keys
            .iter()
            .all(|k| k.common.key_id.as_deref() != Some(old_es.as_str()))
    );
    let header = jsonwebtoken::decode_header(&token).unwrap();
    if header.kid.as_deref() == Some(old_es.as_str()) {
        let r = get_bearer(&s, keys, &token).await;
        assert_eq!(error_of(r).await, (401, "invalid_token".into()));
    }
    let token = bot(&s).await;
    let audit: Value = get_bearer(&s, "/admin/api/v1/audit?actor=client:bot", &token)
        .await
        .json()
        .await
        .unwrap();
    let events: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["key.retired", "key.rotated", "key.rotated"]);
}

/// The theme the login page gets for a request through `entrypoint`.
async fn login_theme(s: &TestServer, entrypoint: &str) -> Value {
    let r = s
        .authorize(
            &[
                ("client_id", "web"),
                ("redirect_uri", CB),
                ("response_type", "code"),
                ("scope", &format!("openid {entrypoint}")),
                ("state", "st"),
            ],
            None,
        )
        .await;
    let to = location(r.headers());
    let (_, id) = to.split_once("request=").unwrap();
    let r = s
        .http
        .get(s.url(&format!("/api/ui/theme?request={id}")))
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

async fn a_theme_saved_on_one_instance_is_on_the_other_s_login_page_at_once(db: Db) {
    let (url, _guard) = fresh_database(db).await;
    let issuer = "http://portico.test";
    let a = start_instance_with(&url, issuer, ADMIN_CONFIG).await;
    let b = start_instance_with(&url, issuer, ADMIN_CONFIG).await;
    let token = bot(&a).await;
    let list: Value = get_bearer(&a, "/admin/api/v1/entrypoints", &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == "acme")
    );
    let mut acme: Value = get_bearer(&a, "/admin/api/v1/entrypoints/acme", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(acme["theme"]["primary"], "#0f766e");

    // An unreadable colour: the preview says so pair by pair, saving is
    // refused naming the field, and nothing changes.
    acme["theme"]["primary"] = json!("#a7f3d0");
    let r = post_bearer(
        &a,
        "/admin/api/v1/entrypoints/acme/preview?locale=es",
        &token,
        acme.clone(),
    )
    .await;
    assert_eq!(r.status(), 200);
    let pv: Value = r.json().await.unwrap();
    assert_eq!(pv["theme"]["locale"], "es");
    assert_eq!(pv["theme"]["texts"]["title"], "Hola de nuevo en Acme");
    let failing: Vec<&str> = pv["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["passes"] == false)
        .map(|p| p["foreground"].as_str().unwrap())
        .collect();
    assert!(failing.contains(&"primary"), "{pv}");
    let fields: Vec<&str> = pv["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"theme.primary"), "{pv}");
    let r = s_put(&a, "/admin/api/v1/entrypoints/acme", &token, &acme).await;
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "validation_failed");
    assert!(
        e["field_errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["field"] == "theme.primary")
    );
    assert_eq!(
        login_theme(&b, "acme").await["tokens"]["primary"],
        "#0f766e"
    );

    // A readable one: saved on A, B's login page has it at once.
    acme["theme"]["primary"] = json!("#7c2d12");
    let r = s_put(&a, "/admin/api/v1/entrypoints/acme", &token, &acme).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        login_theme(&b, "acme").await["tokens"]["primary"],
        "#7c2d12"
    );
    let audit: Value = get_bearer(&b, "/admin/api/v1/audit?event=entrypoint.saved", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(audit["items"][0]["actor"], "client:bot");
    // The id is the path's.
    let r = s_put(&a, "/admin/api/v1/entrypoints/other", &token, &acme).await;
    assert_eq!(error_of(r).await, (400, "validation_failed".into()));
}

async fn s_put(s: &TestServer, path: &str, token: &str, body: &Value) -> reqwest::Response {
    s.http
        .put(s.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

const USERS: &str = "/admin/api/v1/users";

async fn delete_bearer(s: &TestServer, path: &str, token: &str) -> reqwest::Response {
    s.http
        .delete(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn put_bearer(s: &TestServer, path: &str, token: &str) -> reqwest::Response {
    s.http
        .put(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn user_id(s: &TestServer, email: &str) -> String {
    let p = &s.running.state.provider;
    p.store.user_by_email(email).await.unwrap().unwrap().id
}

async fn ui_login(s: &TestServer, email: &str, password: &str) -> (u16, Value) {
    let r = s
        .ui_post(
            "/api/ui/login",
            json!({"email": email, "password": password}),
        )
        .await;
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Alice through the code flow: (the token response, her session cookie).
async fn alice_tokens(s: &TestServer) -> (Value, String) {
    let (redirect, cookie) = s
        .login_flow(&[
            ("client_id", "web"),
            ("redirect_uri", CB),
            ("response_type", "code"),
            ("scope", "openid offline_access"),
            ("state", "st"),
            ("nonce", "n"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .await;
    let code = query_of(&redirect)["code"].clone();
    let r = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ],
            Some(("web", WEB_SECRET)),
        )
        .await;
    assert_eq!(r.status(), 200);
    (r.json().await.unwrap(), cookie)
}

async fn refresh(s: &TestServer, t: &Value) -> u16 {
    let rt = t["refresh_token"].as_str().unwrap();
    s.token(
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        Some(("web", WEB_SECRET)),
    )
    .await
    .status()
    .as_u16()
}

/// The (event, actor, detail) of the audit entries about a user, newest first.
async fn audit_of(s: &TestServer, token: &str, user: &str) -> Vec<(String, String, String)> {
    let page: Value = get_bearer(s, &format!("/admin/api/v1/audit?user_id={user}"), token)
        .await
        .json()
        .await
        .unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap_or_default().to_owned(),
                e["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn users_are_searched_a_page_at_a_time(db: Db) {
    let s = start_with(db, ADMIN_CONFIG).await;
    let token = bot(&s).await;
    for (email, name) in [
        ("zoe@example.org", "Zoe 100%"),
        ("yann@example.org", "Yann"),
    ] {
        let r = post_bearer(
            &s,
            USERS,
            &token,
            json!({"email": email, "name": name, "password": "a long password"}),
        )
        .await;
        assert_eq!(r.status(), 201);
    }
    let emails = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap().to_owned())
            .collect()
    };
    let page: Value = get_bearer(&s, &format!("{USERS}?q=EXAMPLE.ORG&limit=1"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(emails(&page), ["yann@example.org"]);
    let next = page["next"].as_str().unwrap().to_owned();
    let page: Value = get_bearer(
        &s,
        &format!("{USERS}?q=example.org&limit=1&cursor={next}"),
        &token,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(emails(&page), ["zoe@example.org"]);
    assert_eq!(page["next"], Value::Null, "the last page says so");
    // `%` is a character, not a pattern.
    let page: Value = get_bearer(&s, &format!("{USERS}?q=100%25"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(emails(&page), ["zoe@example.org"]);
    let all: Value = get_bearer(&s, USERS, &token).await.json().await.unwrap();
    assert_eq!(
        emails(&all),
        [EMAIL, ROOT, "yann@example.org", "zoe@example.org"]
    );
    for bad in ["limit=0", "limit=201", "cursor=!!", "limit=-1"] {
        let (status, _) = error_of(get_bearer(&s, &format!("{USERS}?{bad}"), &token).await).await;
        assert_eq!(status, 400, "{bad}");
    }
    assert_eq!(
        error_of(get_bearer(&s, &format!("{USERS}/no%00body"), &token).await).await,
        (404, "not_found".into())
    );
}

async fn users_are_created_disabled_enabled_and_erased_and_every_change_is_audited(db: Db) {
    let s = start_with(db, ADMIN_CONFIG).await;
    let token = bot(&s).await;
    let r = post_bearer(
        &s,
        USERS,
        &token,
        json!({"email": "New@Example.com", "name": "Newton", "password": "a long password"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let made: Value = r.json().await.unwrap();
    assert_eq!(made["invited"], false);
    assert_eq!(made["user"]["email"], "new@example.com");
    let id = made["user"]["id"].as_str().unwrap().to_owned();
    // Refusals: taken, unknown fields, no password without mail, bad input.
    let again = json!({"email": "new@example.com", "password": "a long password"});
    assert_eq!(
        error_of(post_bearer(&s, USERS, &token, again).await).await,
        (409, "conflict".into())
    );
    let extra =
        json!({"email": "x@example.com", "password": "a long password", "roles": ["admin"]});
    assert_eq!(
        error_of(post_bearer(&s, USERS, &token, extra).await).await,
        (400, "invalid_body".into())
    );
    for body in [
        json!({"email": "x@example.com"}),
        json!({"email": "not an email", "password": "a long password"}),
        json!({"email": "x@example.com", "password": "short"}),
    ] {
        assert_eq!(
            error_of(post_bearer(&s, USERS, &token, body.clone()).await).await,
            (400, "validation_failed".into()),
            "{body}"
        );
    }
    let (status, _) = ui_login(&s, "new@example.com", "a long password").await;
    assert_eq!(status, 200);

    let user = format!("{USERS}/{id}");
    let v: Value = get_bearer(&s, &user, &token).await.json().await.unwrap();
    assert_eq!(
        (v["name"].as_str(), v["disabled_at"].as_i64()),
        (Some("Newton"), None)
    );
    assert!(!v.to_string().contains("argon2"), "no password hash: {v}");
    let v: Value = post_bearer(&s, &format!("{user}/disable"), &token, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert!(v["disabled_at"].is_i64());
    let v: Value = post_bearer(&s, &format!("{user}/enable"), &token, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["disabled_at"], Value::Null);
    let v: Value = put_bearer(&s, &format!("{user}/roles/admin"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["roles"], json!(["admin"]));
    let r = delete_bearer(&s, &format!("{user}/roles/admin"), &token).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        error_of(put_bearer(&s, &format!("{user}/roles/root"), &token).await).await,
        (404, "not_found".into())
    );
    let v: Value = post_bearer(&s, &format!("{user}/password-reset"), &token, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["mailed"], false, "this installation sends no mail");
    assert_eq!(
        post_bearer(&s, &format!("{user}/unlock"), &token, json!({}))
            .await
            .status(),
        200
    );
    // An email change leaves the old address in the log; erasure takes it.
    let p = &s.running.state.provider;
    let e = portico_core::services::audit::Event::EmailChanged
        .entry()
        .user(&id)
        .ip(Some("192.0.2.9".parse().unwrap()))
        .detail("undone: new@example.com -> other@example.com");
    portico_core::services::audit::record(p, e).await.unwrap();
    assert_eq!(delete_bearer(&s, &user, &token).await.status(), 204);
    assert_eq!(
        error_of(get_bearer(&s, &user, &token).await).await,
        (404, "not_found".into())
    );
    assert_eq!(
        error_of(delete_bearer(&s, &user, &token).await).await,
        (404, "not_found".into())
    );
    let log = audit_of(&s, &token, &id).await;
    let events: Vec<(&str, &str)> = log
        .iter()
        .map(|(e, a, _)| (e.as_str(), a.as_str()))
        .collect();
    assert_eq!(
        events,
        [
            ("user.deleted", "client:bot"),
            ("email.changed", ""),
            ("user.unlocked", "client:bot"),
            ("password_reset.forced", "client:bot"),
            ("role.revoked", "client:bot"),
            ("role.granted", "client:bot"),
            ("user.enabled", "client:bot"),
            ("user.disabled", "client:bot"),
            ("login.succeeded", ""),
            ("user.created", "client:bot"),
        ]
    );
    // Only the user id is left: no detail, no address.
    assert!(log.iter().all(|(_, _, d)| d.is_empty()), "{log:?}");
    let raw: Value = get_bearer(&s, &format!("/admin/api/v1/audit?user_id={id}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        raw["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["ip"].is_null()),
        "{raw}"
    );
    assert!(!raw.to_string().contains("example.com"), "{raw}");
}

async fn a_disabled_user_cannot_sign_in_and_their_refresh_token_dies(db: Db) {
    let s = start_with(db, ADMIN_CONFIG).await;
    let token = bot(&s).await;
    let alice = user_id(&s, EMAIL).await;
    let (tokens, cookie) = alice_tokens(&s).await;
    let r = post_bearer(&s, &format!("{USERS}/{alice}/disable"), &token, json!({})).await;
    assert_eq!(r.status(), 200);
    // Answered exactly as a wrong password.
    let (status, body) = ui_login(&s, EMAIL, PASSWORD).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_credentials"))
    );
    let (_, wrong) = ui_login(&s, EMAIL, "not her password").await;
    assert_eq!(body["message"], wrong["message"]);
    assert_eq!(refresh(&s, &tokens).await, 400, "invalid_grant");
    let at = tokens["access_token"].as_str().unwrap();
    assert_eq!(s.userinfo(at).await.status(), 401);
    // Her browser's session ended too.
    let r = get_cookie(&s, "/api/ui/session", &cookie).await;
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(v["signed_in"] != true && v["email"] != EMAIL, "{v}");
    // Enabled: she signs in again (what ended stays ended).
    let r = post_bearer(&s, &format!("{USERS}/{alice}/enable"), &token, json!({})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(ui_login(&s, EMAIL, PASSWORD).await.0, 200);
    assert_eq!(refresh(&s, &tokens).await, 400);
    let log = audit_of(&s, &token, &alice).await;
    assert!(
        log.iter()
            .any(|(e, _, d)| e == "login.failed" && d == "account disabled"),
        "{log:?}"
    );
}

async fn unlock_lets_a_locked_out_login_through(db: Db) {
    let s = start_with(db, ADMIN_CONFIG).await;
    let token = bot(&s).await;
    s.clock.freeze();
    for _ in 0..4 {
        assert_eq!(ui_login(&s, EMAIL, "wrong password").await.0, 401);
    }
    assert_eq!(ui_login(&s, EMAIL, "wrong password").await.0, 429);
    assert_eq!(ui_login(&s, EMAIL, PASSWORD).await.0, 429, "locked");
    let alice = user_id(&s, EMAIL).await;
    let v: Value = get_bearer(&s, &format!("{USERS}/{alice}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(v["locked_until"].as_i64().unwrap() > s.running.state.provider.now());
    let v: Value = post_bearer(&s, &format!("{USERS}/{alice}/unlock"), &token, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["locked_until"], Value::Null);
    assert_eq!(ui_login(&s, EMAIL, PASSWORD).await.0, 200);
    let log = audit_of(&s, &token, &alice).await;
    assert_eq!(log[1].0, "user.unlocked");
    assert_eq!(log[1].1, "client:bot");
}

async fn a_users_sessions_and_grants_are_revoked_one_or_all(db: Db) {
    let s = start_with(db, ADMIN_CONFIG).await;
    let token = bot(&s).await;
    let alice = user_id(&s, EMAIL).await;
    let (first, cookie) = alice_tokens(&s).await;
    // Newest first is by second: the second sign-in comes a second later.
    s.clock.advance(1);
    let (second, second_cookie) = alice_tokens(&s).await;
    let sessions = format!("{USERS}/{alice}/sessions");
    let list: Value = get_bearer(&s, &sessions, &token)
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{list}");
    // The session's id is neither its cookie nor the cookie's stored hash.
    let sid = items[0]["id"].as_str().unwrap().to_owned();
    let value = second_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1;
    assert!(!list.to_string().contains(cookie.as_str()));
    assert!(!value.contains(&sid) && !sid.contains(value));
    let stored = portico_core::protocol::secret::lookup_hash(value);
    assert!(!list.to_string().contains(&stored));
    // Another user's URL does not reach it.
    let root = user_id(&s, ROOT).await;
    assert_eq!(
        error_of(delete_bearer(&s, &format!("{USERS}/{root}/sessions/{sid}"), &token).await).await,
        (404, "not_found".into())
    );
    assert_eq!(
        delete_bearer(&s, &format!("{sessions}/{sid}"), &token)
            .await
            .status(),
        204
    );
    assert_eq!(
        error_of(delete_bearer(&s, &format!("{sessions}/{sid}"), &token).await).await,
        (404, "not_found".into())
    );
    // The newest session was ended: the grant given from it died with it.
    assert_eq!(refresh(&s, &second).await, 400);
    assert_eq!(refresh(&s, &first).await, 200);
    let list: Value = get_bearer(&s, &sessions, &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let v: Value = post_bearer(&s, &format!("{sessions}/end"), &token, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["count"], 1);

    // Grants: one, then all.
    let (third, _) = alice_tokens(&s).await;
    s.clock.advance(1);
    let (fourth, _) = alice_tokens(&s).await;
    let grants = format!("{USERS}/{alice}/grants");
    let list: Value = get_bearer(&s, &grants, &token).await.json().await.unwrap();
    let items = list["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!(items[0]["client_id"], "web");
    let gid = items[0]["id"].as_str().unwrap();
    assert_eq!(
        error_of(delete_bearer(&s, &format!("{USERS}/{root}/grants/{gid}"), &token).await).await,
        (404, "not_found".into())
    );
    assert_eq!(
        delete_bearer(&s, &format!("{grants}/{gid}"), &token)
            .await
            .status(),
        204
    );
    assert_eq!(refresh(&s, &fourth).await, 400, "the newest grant");
    assert_eq!(refresh(&s, &third).await, 200);
    let v: Value = post_bearer(&s, &format!("{grants}/revoke"), &token, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["count"], 1);
    assert_eq!(refresh(&s, &third).await, 400);
    let log = audit_of(&s, &token, &alice).await;
    let mine: Vec<(&str, &str)> = log
        .iter()
        .filter(|(_, a, _)| a == "client:bot")
        .map(|(e, _, d)| (e.as_str(), d.as_str()))
        .collect();
    assert_eq!(
        mine,
        [
            ("grants.revoked", "1 grant(s)"),
            ("grants.revoked", "1 grant"),
            ("sessions.revoked", "1 session(s)"),
            ("sessions.revoked", "1 session"),
        ]
    );
}

async fn the_last_admin_cannot_be_disabled_deleted_or_demoted(db: Db) {
    let s = start_with(db, ADMIN_CONFIG).await;
    let token = bot(&s).await;
    let root = user_id(&s, ROOT).await;
    let user = format!("{USERS}/{root}");
    for r in [
        post_bearer(&s, &format!("{user}/disable"), &token, json!({})).await,
        delete_bearer(&s, &user, &token).await,
        delete_bearer(&s, &format!("{user}/roles/admin"), &token).await,
    ] {
        assert_eq!(error_of(r).await, (409, "last_admin".into()));
    }
    // With a second administrator, the first may go.
    let alice = user_id(&s, EMAIL).await;
    let r = put_bearer(&s, &format!("{USERS}/{alice}/roles/admin"), &token).await;
    assert_eq!(r.status(), 200);
    let r = post_bearer(&s, &format!("{user}/disable"), &token, json!({})).await;
    assert_eq!(r.status(), 200);
    // Now Alice is the last enabled one.
    let r = post_bearer(&s, &format!("{USERS}/{alice}/disable"), &token, json!({})).await;
    assert_eq!(error_of(r).await, (409, "last_admin".into()));
    // A disabled administrator's browser no longer administers.
    assert_eq!(ui_login(&s, ROOT, ROOT_PASSWORD).await.0, 401);
}

async fn the_demo_user_can_try_the_cockpit(db: Db) {
    let s = start_demo(db).await;
    let (email, password) = portico_server::demo_credentials();
    let cookie = sign_in_as(&s, email, password).await;
    let r = get_cookie(&s, "/admin/api/v1/me", &cookie).await;
    assert_eq!(r.status(), 200);
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["email"], email);
}
