//! Issue 19, key rotation over HTTP: `portico keys`, the JWKS during a
//! rotation, and two instances of one deployment learning each other's
//! keys, on both backends.

use crate::common::*;
use crate::on_both_backends;
use portico_core::infra::jose::KEY_REFRESH;
use portico_core::protocol::types::SigningAlg;
use portico_core::services::keys;
use serde_json::Value;
use std::process::Command;

on_both_backends!(
    the_cli_rotates_at_once_and_tokens_signed_before_still_work,
    a_rotation_on_one_instance_is_served_by_the_other,
);

/// Run `portico keys ARGS` on `s`'s database: (success, stdout, stderr).
fn keys_cli(s: &TestServer, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_portico"))
        .env_remove("PORTICO_CONFIG")
        .env_remove("PORTICO_DATABASE_URL")
        .env("RUST_LOG", "error")
        .args(["--database-url", &s.database_url, "keys"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

async fn kids(s: &TestServer) -> Vec<String> {
    s.jwks()
        .await
        .keys
        .into_iter()
        .filter_map(|k| k.common.key_id)
        .collect()
}

/// Wait (a few seconds at most) until `s` publishes `kid`: the server's
/// key task checks its clock every second.
async fn until_published(s: &TestServer, kid: &str) {
    for _ in 0..100 {
        if kids(s).await.iter().any(|k| k == kid) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{kid} was never published by {}", s.base);
}

fn kid_of(jwt: &str) -> String {
    jsonwebtoken::decode_header(jwt).unwrap().kid.unwrap()
}

/// Tokens for alice through a code flow on `s`.
async fn user_tokens(s: &TestServer) -> Value {
    let (code, _) = crate::code_via_login(s, &[]).await;
    let r = crate::exchange(s, &code, &[]).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn the_cli_rotates_at_once_and_tokens_signed_before_still_work(db: Db) {
    let s = start(db).await;
    let before = user_tokens(&s).await;
    let old_at = before["access_token"].as_str().unwrap();
    let old_kids = kids(&s).await;
    assert_eq!(old_kids.len(), 2);

    let (ok, out, err) = keys_cli(&s, &["rotate", "--now"]);
    assert!(ok, "{err}");
    let new_kids: Vec<String> = out
        .lines()
        .filter(|l| l.contains(" signs now"))
        .map(|l| l.split(' ').nth(4).unwrap().to_owned())
        .collect();
    assert_eq!(new_kids.len(), 2, "{out}");
    // The running server reloads within KEY_REFRESH by its clock.
    s.clock.advance(KEY_REFRESH);
    for k in &new_kids {
        until_published(&s, k).await;
    }
    let published = kids(&s).await;
    for k in old_kids.iter().chain(&new_kids) {
        assert!(published.contains(k), "both old and new: {published:?}");
    }
    // A token signed before the rotation still works; new ones carry the
    // new key and verify with the JWKS.
    assert_eq!(s.userinfo(old_at).await.status(), 200);
    let after = user_tokens(&s).await;
    let new_at = after["access_token"].as_str().unwrap();
    assert!(new_kids.contains(&kid_of(new_at)));
    assert_ne!(kid_of(new_at), kid_of(old_at));
    assert_eq!(s.userinfo(new_at).await.status(), 200);
    let id = after["id_token"].as_str().unwrap();
    assert!(new_kids.contains(&kid_of(id)));
    s.verify_id_token(id, "web").await;

    let (ok, list, err) = keys_cli(&s, &["list"]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 4, "{list}");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("\tverifying until "))
            .count(),
        2,
        "{list}"
    );
    // A normal rotation waits before signing; a second one is refused.
    let (ok, out, err) = keys_cli(&s, &["rotate", "--alg", "ES256"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("new ES256 key") && out.contains("signs from"),
        "{out}"
    );
    let (ok, _, err) = keys_cli(&s, &["rotate", "--alg", "ES256", "--now"]);
    assert!(!ok);
    assert!(err.contains("pending"), "{err}");
    // An old key can be retired early; the key that signs cannot.
    let (ok, _, err) = keys_cli(&s, &["retire", &new_kids[0]]);
    assert!(!ok && err.contains("signs now"), "{err}");
    let (ok, _, err) = keys_cli(&s, &["retire", &kid_of(old_at)]);
    assert!(ok, "{err}");
    s.clock.advance(KEY_REFRESH);
    for _ in 0..100 {
        if !kids(&s).await.contains(&kid_of(old_at)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!kids(&s).await.contains(&kid_of(old_at)));
    assert_eq!(s.userinfo(old_at).await.status(), 401);
}

async fn a_rotation_on_one_instance_is_served_by_the_other(db: Db) {
    let (url, _guard) = fresh_database(db).await;
    let issuer = "http://portico.test";
    let (a, b) = tokio::join!(start_instance(&url, issuer), start_instance(&url, issuer));
    let pa = &a.running.state.provider;
    let new = keys::rotate(
        pa,
        Some(SigningAlg::ES256),
        true,
        &portico_core::services::audit::Actor::Cli,
    )
    .await
    .unwrap()
    .remove(0);
    assert!(kids(&a).await.contains(&new.kid), "A reloads at once");
    assert!(!kids(&b).await.contains(&new.kid), "B has not yet");
    // A token A signs with the new key works on B straight away: the
    // unknown kid makes B reload.
    let t = user_tokens(&a).await;
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(kid_of(at), new.kid);
    assert_eq!(b.userinfo(at).await.status(), 200);
    assert!(kids(&b).await.contains(&new.kid));
    // A key rotated in on A to sign later is published by B within
    // KEY_REFRESH of B's clock, long before it signs.
    let next = keys::rotate(
        pa,
        Some(SigningAlg::RS256),
        false,
        &portico_core::services::audit::Actor::Cli,
    )
    .await
    .unwrap()
    .remove(0);
    assert!(next.signs_from > pa.now() + KEY_REFRESH);
    assert!(!kids(&b).await.contains(&next.kid));
    b.clock.advance(KEY_REFRESH);
    until_published(&b, &next.kid).await;
    // The RS256 id_tokens still come from the old key on both.
    let on_b = user_tokens(&b).await;
    let id = on_b["id_token"].as_str().unwrap();
    assert_ne!(kid_of(id), next.kid);
    a.verify_id_token(id, "web").await;
}
