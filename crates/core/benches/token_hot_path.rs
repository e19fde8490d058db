//! The token endpoint's hot path, without HTTP and without a database:
//! parse the form body, authenticate the client (keyed hash, constant-time
//! compare), build the RFC 9068 claims and sign them (ES256). The in-memory
//! store stands in for SQLite so the numbers are the CPU cost of Portico's
//! own code. Run with `cargo bench -p portico-core --bench token_hot_path`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use criterion::{Criterion, criterion_group, criterion_main};
use portico_core::endpoints::token;
use portico_core::infra::clock::SystemClock;
use portico_core::infra::memory::MemoryStore;
use portico_core::infra::random::SystemRandom;
use portico_core::model::Client;
use portico_core::{Provider, ProviderConfig};
use std::hint::black_box;
use std::sync::Arc;

const SECRET: &str = "bench-secret-0123456789abcdefghijklmnopqrstuv";
const BODY: &[u8] = b"grant_type=client_credentials&scope=api";

fn provider(rt: &tokio::runtime::Runtime) -> Provider {
    rt.block_on(async {
        let p = Provider::new(
            ProviderConfig::new("http://127.0.0.1:8080"),
            Arc::new(MemoryStore::default()),
            Arc::new(SystemClock),
            Arc::new(SystemRandom),
        )
        .await
        .unwrap();
        let client = Client {
            id: "bench".into(),
            name: "Bench".into(),
            secret_hash: Some(p.client_secrets.hash(SECRET)),
            redirect_uris: vec!["https://bench.example/cb".into()],
            grant_types: vec!["client_credentials".into()],
            response_types: vec![],
            scopes: vec!["api".into()],
            first_party: true,
            id_token_signed_response_alg: None,
            require_pushed_authorization_requests: false,
            require_mfa: false,
            post_logout_redirect_uris: vec![],
            introspection: false,
            from_config: false,
            disabled: None,
            tokens_not_before: 0,
        };
        p.store.upsert_client(&client).await.unwrap();
        p
    })
}

fn hot_path(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let p = provider(&rt);
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("bench:{SECRET}"))
    );

    // Correctness first: the path under measurement issues a token.
    let form: Vec<(String, String)> = url::form_urlencoded::parse(BODY).into_owned().collect();
    let t = rt
        .block_on(token::token(&p, Some(&basic), &form, None))
        .unwrap();
    assert_eq!(t.access_token.split('.').count(), 3);

    c.bench_function(
        "token endpoint: client_credentials, ES256 (parse, auth, claims, sign)",
        |b| {
            b.iter(|| {
                let form: Vec<(String, String)> = url::form_urlencoded::parse(black_box(BODY))
                    .into_owned()
                    .collect();
                rt.block_on(token::token(&p, Some(black_box(&basic)), &form, None))
                    .unwrap()
            })
        },
    );
    c.bench_function("access token: claims and ES256 signature only", |b| {
        b.iter(|| {
            portico_core::services::tokens::access_token(
                &p,
                black_box("bench"),
                "bench",
                "api".to_owned(),
                None,
            )
            .unwrap()
        })
    });
    c.bench_function("client secret: keyed hash and constant-time compare", |b| {
        let stored = p.client_secrets.hash(SECRET);
        b.iter(|| p.client_secrets.verify(black_box(SECRET), &stored))
    });
}

fn password_hash(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let secret = || portico_core::protocol::secret::Secret::new("correct horse battery staple");
    let phc = rt
        .block_on(portico_core::infra::password::hash(secret(), [3u8; 16]))
        .unwrap();
    assert!(
        rt.block_on(portico_core::infra::password::verify(secret(), phc.clone()))
            .unwrap()
    );
    let mut g = c.benchmark_group("password");
    g.sample_size(20);
    g.bench_function("argon2id verify (m=19 MiB, t=2, p=1), one core", |b| {
        b.iter(|| {
            rt.block_on(portico_core::infra::password::verify(secret(), phc.clone()))
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, hot_path, password_hash);
criterion_main!(benches);
