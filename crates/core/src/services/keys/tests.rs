use super::*;
use crate::infra::clock::{Clock, ManualClock};
use crate::infra::jose::Unverified;
use crate::infra::provider::ProviderConfig;
use crate::infra::random::SequenceRandom;
use crate::testkit::*;
use std::sync::Arc;

/// The kid in a compact JWS's header.
fn kid_of(token: &str) -> String {
    use base64::Engine;
    let header = token.split('.').next().unwrap();
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

fn published(k: &Kit) -> Vec<String> {
    k.p.jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["kid"].as_str().unwrap().to_owned())
        .collect()
}

fn signing_kid(k: &Kit, alg: SigningAlg) -> String {
    k.p.keys().key(alg, k.clock.now()).unwrap().kid.clone()
}

async fn state(k: &Kit, kid: &str) -> KeyState {
    list(&k.p)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.kid == kid)
        .unwrap()
        .state
}

#[tokio::test]
async fn an_old_token_verifies_after_rotation_until_its_key_retires() {
    let k = kit().await;
    let t = tokens_for(&k).await;
    let old_at = kid_of(&t.access_token);
    let rotated = rotate(&k.p, None, true, &Actor::Cli).await.unwrap();
    assert_eq!(rotated.len(), 2, "both algorithms");
    assert!(rotated.iter().all(|i| i.state == KeyState::Signing));
    // Tokens signed before still work; new ones carry the new key.
    crate::endpoints::userinfo::userinfo(&k.p, &t.access_token)
        .await
        .unwrap();
    k.p.verify(t.id_token.as_deref().unwrap()).await.unwrap();
    let t2 = tokens_for(&k).await;
    assert_ne!(kid_of(&t2.access_token), old_at);
    assert!(rotated.iter().any(|i| i.kid == kid_of(&t2.access_token)));
    assert_eq!(published(&k).len(), 4);

    let grace = k.p.config.key_verify_grace();
    k.clock.advance(grace - 1);
    assert!(k.p.verify(&t.access_token).await.is_ok());
    assert!(published(&k).contains(&old_at));
    assert!(matches!(
        state(&k, &old_at).await,
        KeyState::Verifying { until } if until == k.clock.now() + 1
    ));
    // Retired by time, before any sweep: gone from the JWKS and from
    // verification.
    k.clock.advance(1);
    assert_eq!(
        k.p.verify(&t.access_token).await.unwrap_err(),
        Unverified::UnknownKey
    );
    assert!(!published(&k).contains(&old_at));
    assert_eq!(published(&k).len(), 2);
    assert_eq!(state(&k, &old_at).await, KeyState::Retired);
    // The sweep then erases the private halves, once.
    k.clock.advance(1);
    crate::services::sweep::sweep(&k.p).await.unwrap();
    let stored = k.p.store.signing_keys().await.unwrap();
    let old = stored.iter().find(|r| r.kid == old_at).unwrap();
    assert!(old.private_pkcs8.is_empty());
    assert!(old.retired_at.is_some());
    assert_eq!(retire_expired(&k.p).await.unwrap(), 0);
    // The new keys still sign after a reload.
    k.p.reload_keys().await.unwrap();
    let t3 = tokens_for(&k).await;
    assert_eq!(kid_of(&t3.access_token), kid_of(&t2.access_token));
}

#[tokio::test]
async fn a_rotated_in_key_is_published_first_and_signs_after_prepublish() {
    let k = kit().await;
    let old = signing_kid(&k, SigningAlg::ES256);
    let rs = signing_kid(&k, SigningAlg::RS256);
    let new = rotate(&k.p, Some(SigningAlg::ES256), false, &Actor::Cli)
        .await
        .unwrap();
    assert_eq!(new.len(), 1);
    let new = &new[0];
    assert_eq!(new.state, KeyState::Next);
    assert_eq!(new.signs_from, k.clock.now() + PREPUBLISH);
    assert!(
        published(&k).contains(&new.kid),
        "published before it signs"
    );
    assert_eq!(state(&k, &old).await, KeyState::Signing);
    // A second rotation while one is pending, at once or not, is refused.
    for now in [false, true] {
        let e = rotate(&k.p, Some(SigningAlg::ES256), now, &Actor::Cli)
            .await
            .unwrap_err();
        assert!(matches!(e, KeyError::RotationPending(SigningAlg::ES256)));
        assert_eq!(e.code(), "rotation_pending");
    }
    let e = rotate(&k.p, None, false, &Actor::Cli).await.unwrap_err();
    assert!(matches!(e, KeyError::RotationPending(SigningAlg::ES256)));
    assert_eq!(signing_kid(&k, SigningAlg::RS256), rs, "nothing rotated");

    k.clock.advance(PREPUBLISH - 1);
    assert_eq!(kid_of(&tokens_for(&k).await.access_token), old);
    k.clock.advance(1);
    assert_eq!(kid_of(&tokens_for(&k).await.access_token), new.kid);
    assert_eq!(state(&k, &new.kid).await, KeyState::Signing);
    assert!(matches!(state(&k, &old).await, KeyState::Verifying { .. }));
    // Once it signs, the next rotation may start.
    rotate(&k.p, Some(SigningAlg::ES256), false, &Actor::Cli)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_emergency_retire_drops_the_key_at_once_and_is_audited() {
    let k = kit().await;
    let t = tokens_for(&k).await;
    let old = kid_of(&t.access_token);
    let e = retire(&k.p, &old, &Actor::Cli).await.unwrap_err();
    assert_eq!(e.code(), "key_in_use", "{e}");
    assert_eq!(
        retire(&k.p, "nope", &Actor::Cli).await.unwrap_err().code(),
        "not_found"
    );
    let admin = Actor::User("admin-1".into());
    rotate(&k.p, Some(SigningAlg::ES256), true, &admin)
        .await
        .unwrap();
    let info = retire(&k.p, &old, &admin).await.unwrap();
    assert_eq!(info.state, KeyState::Retired);
    assert!(!published(&k).contains(&old));
    assert!(
        crate::endpoints::userinfo::userinfo(&k.p, &t.access_token)
            .await
            .is_err()
    );
    // Again: nothing more happens.
    assert_eq!(
        retire(&k.p, &old, &Actor::Cli).await.unwrap().state,
        KeyState::Retired
    );
    let log =
        k.p.store
            .audit_log(&crate::services::audit::Filter {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
    let events: Vec<_> = log.iter().map(|r| r.event.as_str()).collect();
    assert_eq!(
        &events[..2],
        ["key.retired", "key.rotated"],
        "newest first, once"
    );
    assert!(log[0].detail.contains(&old));
    assert_eq!(log[0].actor.as_deref(), Some("user:admin-1"));
    assert!(log[1].detail.contains(&format!("replaces {old}")));
}

#[tokio::test]
async fn retiring_a_pending_key_cancels_its_rotation() {
    let k = kit().await;
    let old = signing_kid(&k, SigningAlg::RS256);
    let new = rotate(&k.p, Some(SigningAlg::RS256), false, &Actor::Cli)
        .await
        .unwrap()
        .remove(0);
    retire(&k.p, &new.kid, &Actor::Cli).await.unwrap();
    assert!(!published(&k).contains(&new.kid));
    k.clock
        .advance(PREPUBLISH + k.p.config.key_verify_grace() + 10);
    assert_eq!(signing_kid(&k, SigningAlg::RS256), old, "still signing");
    assert_eq!(state(&k, &old).await, KeyState::Signing);
    // A pending key about to sign is no longer cancelled: an instance that
    // has not reloaded would sign with it.
    let late = rotate(&k.p, Some(SigningAlg::RS256), false, &Actor::Cli)
        .await
        .unwrap()
        .remove(0);
    k.clock.advance(PREPUBLISH - 10);
    assert_eq!(
        retire(&k.p, &late.kid, &Actor::Cli)
            .await
            .unwrap_err()
            .code(),
        "key_in_use"
    );
}

/// A second instance on the same store, with its own clock.
async fn other_instance(k: &Kit) -> (Provider, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(k.clock.now()));
    let p = Provider::new(
        ProviderConfig::new(ISSUER),
        k.p.store.clone(),
        clock.clone(),
        Arc::new(SequenceRandom::default()),
    )
    .await
    .unwrap();
    (p, clock)
}

#[tokio::test]
async fn another_instance_learns_a_rotation_from_an_unknown_kid_or_within_key_refresh() {
    let k = kit().await;
    let (b, b_clock) = other_instance(&k).await;
    rotate(&k.p, Some(SigningAlg::ES256), true, &Actor::Cli)
        .await
        .unwrap();
    // A token from the new key reaches B before B's periodic reload.
    let t = tokens_for(&k).await;
    assert!(!b.keys().kids().contains(&kid_of(&t.access_token).as_str()));
    crate::endpoints::userinfo::userinfo(&b, &t.access_token)
        .await
        .unwrap();
    // A pending key shows on B after KEY_REFRESH by B's clock.
    let next = rotate(&k.p, Some(SigningAlg::RS256), false, &Actor::Cli)
        .await
        .unwrap()
        .remove(0);
    assert!(!b.reload_keys_if_stale().await.unwrap());
    assert!(!b.keys().kids().contains(&next.kid.as_str()));
    b_clock.advance(KEY_REFRESH);
    assert!(b.reload_keys_if_stale().await.unwrap());
    assert!(b.keys().kids().contains(&next.kid.as_str()));
    assert!(!b.reload_keys_if_stale().await.unwrap(), "fresh again");
}

#[tokio::test]
async fn unknown_kids_reload_the_keys_at_most_once_per_five_seconds() {
    let k = kit().await;
    let (b, b_clock) = other_instance(&k).await;
    // B sees a junk kid first, spending its forced reload.
    let t = tokens_for(&k).await;
    let junk = {
        use base64::Engine;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let h = e.encode(br#"{"alg":"ES256","kid":"junk","typ":"at+jwt"}"#);
        let rest = t.access_token.split_once('.').unwrap().1;
        format!("{h}.{rest}")
    };
    assert_eq!(b.verify(&junk).await.unwrap_err(), Unverified::UnknownKey);
    rotate(&k.p, Some(SigningAlg::ES256), true, &Actor::Cli)
        .await
        .unwrap();
    let t = tokens_for(&k).await;
    assert_eq!(
        b.verify(&t.access_token).await.unwrap_err(),
        Unverified::UnknownKey,
        "no second reload within 5 s"
    );
    b_clock.advance(5);
    assert!(b.verify(&t.access_token).await.is_ok());
}
