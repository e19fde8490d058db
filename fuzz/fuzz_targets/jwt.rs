//! JWS/JWT parsing where Portico reads tokens it is handed: introspection
//! and the id_token_hint of RP-initiated logout. The first byte picks the
//! mode: as is (the parser and signature check), or the rest taken as a
//! claims set that Portico signs first (so the claim checks behind the
//! signature are reached too).
#![no_main]
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use portico_core::protocol::types::SigningAlg;
use portico_fuzz::{WEB_SECRET, world};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let w = world();
    let token = if mode % 2 == 0 {
        match std::str::from_utf8(rest) {
            Ok(s) => s.to_owned(),
            Err(_) => return,
        }
    } else {
        let Ok(claims) = serde_json::from_slice::<serde_json::Value>(rest) else {
            return;
        };
        let alg = if mode % 4 == 1 {
            SigningAlg::ES256
        } else {
            SigningAlg::RS256
        };
        let typ = if mode % 8 < 4 { "at+jwt" } else { "JWT" };
        let keys = w.p.keys();
        let Ok(key) = keys.key(alg, w.p.now()) else {
            return;
        };
        match key.sign(typ, &claims) {
            Ok(t) => t,
            Err(_) => return,
        }
    };
    let _ = w.p.keys().check(&token, w.p.now());
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("web:{WEB_SECRET}"))
    );
    let form = vec![("token".to_owned(), token.clone())];
    let hint = vec![
        ("id_token_hint".to_owned(), token.clone()),
        (
            "post_logout_redirect_uri".to_owned(),
            "https://app.example/bye".to_owned(),
        ),
    ];
    w.rt.block_on(async {
        let _ =
            portico_core::endpoints::introspect::introspect(&w.p, Some(&basic), &form, None).await;
        let _ = portico_core::endpoints::userinfo::userinfo(&w.p, &token).await;
        let _ = portico_core::endpoints::end_session::plan(&w.p, &hint, None).await;
        let _ = portico_core::endpoints::end_session::plan(&w.p, &hint, Some(&w.session)).await;
    });
});
