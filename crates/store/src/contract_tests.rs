//! The storage contracts, checked on every backend: each test below runs
//! once on SQLite and once on a fresh PostgreSQL database; most also run on
//! core's memory store.

use crate::testing::{fresh_pg_database, pg_enabled};
use crate::{PoolSettings, connect};
use portico_core::infra::store::{Store, StoreError, Take};
use portico_core::model::{
    AuthCode, AuthRequest, Ceremony, CeremonyKind, Client, DeviceApproval, DeviceAuthorization,
    DeviceStatus, DisabledBy, EmailToken, EmailTokenKind, Entrypoint, Factor, FactorKind, Grant,
    OutboxMail, PushedRequest, RefreshToken, Session, SigningKeyRecord, User,
};
use portico_core::protocol::types::ResponseMode;
use std::sync::Arc;

pub(crate) async fn sqlite_store() -> (Option<tempfile::TempDir>, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let s = connect(
        dir.path().join("t.db").to_str().unwrap(),
        true,
        &PoolSettings::default(),
    )
    .await
    .unwrap();
    (Some(dir), s)
}

pub(crate) async fn pg_store(test: &str) -> Option<(Option<tempfile::TempDir>, Arc<dyn Store>)> {
    if !pg_enabled(test) {
        return None;
    }
    let url = fresh_pg_database().await.unwrap();
    Some((
        None,
        connect(&url, true, &PoolSettings::default()).await.unwrap(),
    ))
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let (_guard, s) = super::sqlite_store().await;
                    super::$name(s).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some((_guard, s)) = super::pg_store(stringify!($name)).await else { return };
                    super::$name(s).await;
                }
            )*
        }
    };
}

/// The same contracts on core's memory store, which core's own tests use.
macro_rules! on_the_memory_store_too {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(std::sync::Arc::new(portico_core::infra::memory::MemoryStore::default())).await;
                }
            )*
        }
    };
}

on_both_backends!(
    mail_is_claimed_by_one_sender_until_its_lease_runs_out,
    concurrent_claims_hand_each_mail_to_one_sender,
    mailed_tokens_are_single_use_and_replaced_by_newer_ones,
    a_password_reset_ends_every_session_and_grant_and_voids_pending_tokens,
    an_address_change_and_its_undo,
    concurrent_takes_of_one_code_have_exactly_one_winner,
    duplicate_emails_conflict_case_insensitively,
    auth_requests_are_taken_once_and_expire,
    first_key_and_secret_writer_wins,
    concurrent_first_starts_keep_one_current_key_per_alg,
    a_rotation_ends_the_current_key_where_the_next_begins,
    concurrent_rotations_of_one_key_have_exactly_one_winner,
    keys_past_their_window_are_retired_and_erased_once,
    only_keys_that_stopped_signing_or_wait_to_sign_can_be_retired_early,
    revoking_a_grant_keeps_the_first_time,
    values_of_a_revoked_grant_cannot_be_taken,
    consent_accumulates_per_user_and_client,
    revoked_access_tokens_are_remembered,
    refresh_tokens_can_be_read_and_record_their_use_time,
    concurrent_puts_of_one_refresh_token_leave_one_that_is_taken_once,
    profile_fields_round_trip,
    device_codes_round_trip_and_user_codes_are_unique_while_live,
    concurrent_device_decisions_have_exactly_one_winner,
    polls_too_soon_grow_the_interval,
    approved_device_codes_are_taken_once,
    pushed_requests_are_taken_once_and_expire,
    entrypoints_keep_their_theme_and_are_listed_by_id,
    lockout_failures_count_atomically_and_restart_when_stale,
    audit_entries_append_and_filter_newest_first,
    the_sweep_deletes_what_is_dead_and_nothing_else,
    clients_are_listed_by_id_and_keep_their_state,
    revoking_a_clients_grants_spares_other_clients,
    deleting_a_client_revokes_its_grants_and_forgets_its_consents,
    factors_are_listed_oldest_first_and_a_passkey_belongs_to_one_account,
    only_the_owner_renames_or_removes_a_factor_and_the_last_one_takes_the_recovery_codes,
    an_app_code_step_is_accepted_once_and_only_forward,
    recovery_codes_are_single_use_per_account_and_replaced_as_a_set,
    ceremonies_are_read_in_place_and_taken_once_before_they_expire,
    sessions_remember_how_the_user_signed_in,
    deleting_a_user_removes_their_factors_recovery_codes_and_ceremonies,
    roles_are_granted_once_and_never_lose_their_last_holder,
    users_are_found_by_email_or_name_a_page_at_a_time,
    disabling_a_user_ends_their_sessions_grants_and_mailed_tokens,
    a_users_sessions_end_one_or_all_with_the_grants_given_from_them,
    a_users_live_grants_are_listed_newest_first_and_revoked_together,
    erasing_a_user_drops_their_unsent_mail_and_keeps_only_their_id_in_the_audit_log,
    a_new_client_id_is_inserted_once,
);

// Not `duplicate_emails_conflict_case_insensitively`: the memory store
// compares emails as given.
on_the_memory_store_too!(
    an_address_change_and_its_undo,
    mail_is_claimed_by_one_sender_until_its_lease_runs_out,
    concurrent_claims_hand_each_mail_to_one_sender,
    mailed_tokens_are_single_use_and_replaced_by_newer_ones,
    a_password_reset_ends_every_session_and_grant_and_voids_pending_tokens,
    concurrent_takes_of_one_code_have_exactly_one_winner,
    auth_requests_are_taken_once_and_expire,
    first_key_and_secret_writer_wins,
    concurrent_first_starts_keep_one_current_key_per_alg,
    a_rotation_ends_the_current_key_where_the_next_begins,
    concurrent_rotations_of_one_key_have_exactly_one_winner,
    keys_past_their_window_are_retired_and_erased_once,
    only_keys_that_stopped_signing_or_wait_to_sign_can_be_retired_early,
    revoking_a_grant_keeps_the_first_time,
    values_of_a_revoked_grant_cannot_be_taken,
    consent_accumulates_per_user_and_client,
    revoked_access_tokens_are_remembered,
    refresh_tokens_can_be_read_and_record_their_use_time,
    concurrent_puts_of_one_refresh_token_leave_one_that_is_taken_once,
    profile_fields_round_trip,
    device_codes_round_trip_and_user_codes_are_unique_while_live,
    concurrent_device_decisions_have_exactly_one_winner,
    polls_too_soon_grow_the_interval,
    approved_device_codes_are_taken_once,
    pushed_requests_are_taken_once_and_expire,
    entrypoints_keep_their_theme_and_are_listed_by_id,
    lockout_failures_count_atomically_and_restart_when_stale,
    audit_entries_append_and_filter_newest_first,
    the_sweep_deletes_what_is_dead_and_nothing_else,
    clients_are_listed_by_id_and_keep_their_state,
    revoking_a_clients_grants_spares_other_clients,
    deleting_a_client_revokes_its_grants_and_forgets_its_consents,
    factors_are_listed_oldest_first_and_a_passkey_belongs_to_one_account,
    only_the_owner_renames_or_removes_a_factor_and_the_last_one_takes_the_recovery_codes,
    an_app_code_step_is_accepted_once_and_only_forward,
    recovery_codes_are_single_use_per_account_and_replaced_as_a_set,
    ceremonies_are_read_in_place_and_taken_once_before_they_expire,
    sessions_remember_how_the_user_signed_in,
    deleting_a_user_removes_their_factors_recovery_codes_and_ceremonies,
    roles_are_granted_once_and_never_lose_their_last_holder,
    users_are_found_by_email_or_name_a_page_at_a_time,
    disabling_a_user_ends_their_sessions_grants_and_mailed_tokens,
    a_users_sessions_end_one_or_all_with_the_grants_given_from_them,
    a_users_live_grants_are_listed_newest_first_and_revoked_together,
    erasing_a_user_drops_their_unsent_mail_and_keeps_only_their_id_in_the_audit_log,
    a_new_client_id_is_inserted_once,
);

pub(crate) fn client(id: &str) -> Client {
    Client {
        id: id.into(),
        name: id.to_uppercase(),
        secret_hash: None,
        redirect_uris: vec!["https://app.example/cb".into()],
        grant_types: vec!["authorization_code".into()],
        response_types: vec![portico_core::protocol::types::ResponseType::Code],
        scopes: vec!["openid".into()],
        first_party: false,
        id_token_signed_response_alg: None,
        require_pushed_authorization_requests: false,
        require_mfa: false,
        post_logout_redirect_uris: vec![],
        introspection: false,
        from_config: false,
        disabled: None,
        tokens_not_before: 0,
    }
}

fn grant_of(id: &str, client_id: &str, user_id: &str) -> Grant {
    Grant {
        id: id.into(),
        client_id: client_id.into(),
        user_id: user_id.into(),
        scopes: vec!["openid".into()],
        created_at: 0,
        revoked_at: None,
        session_id_hash: None,
    }
}

async fn clients_are_listed_by_id_and_keep_their_state(s: Arc<dyn Store>) {
    assert!(s.clients().await.unwrap().is_empty());
    let b = Client {
        introspection: true,
        from_config: true,
        disabled: Some(DisabledBy::Config),
        ..client("b")
    };
    s.upsert_client(&b).await.unwrap();
    s.upsert_client(&client("a")).await.unwrap();
    let ids: Vec<String> = s
        .clients()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(s.client("b").await.unwrap().unwrap(), b);
    let b = Client {
        disabled: None,
        tokens_not_before: 42,
        ..b
    };
    s.upsert_client(&b).await.unwrap();
    assert_eq!(s.client("b").await.unwrap().unwrap(), b);
}

async fn revoking_a_clients_grants_spares_other_clients(s: Arc<dyn Store>) {
    for (id, c, u) in [("a", "c", "u1"), ("b", "c", "u2"), ("x", "c2", "u1")] {
        s.create_grant(&grant_of(id, c, u)).await.unwrap();
    }
    s.revoke_grant("b", 5).await.unwrap();
    assert_eq!(s.revoke_grants_of_client("c", 9).await.unwrap(), 1);
    assert_eq!(s.revoke_grants_of_client("c", 10).await.unwrap(), 0);
    for (id, revoked) in [("a", Some(9)), ("b", Some(5)), ("x", None)] {
        assert_eq!(
            s.grant(id).await.unwrap().unwrap().revoked_at,
            revoked,
            "{id}"
        );
    }
}

async fn deleting_a_client_revokes_its_grants_and_forgets_its_consents(s: Arc<dyn Store>) {
    for id in ["c", "c2"] {
        s.upsert_client(&client(id)).await.unwrap();
    }
    let u = User {
        id: "u".into(),
        email: "u@x.y".into(),
        email_verified: false,
        name: "U".into(),
        given_name: None,
        family_name: None,
        phone_number: None,
        birthdate: None,
        terms_accepted_at: None,
        password_hash: "x".into(),
        created_at: 0,
        updated_at: 0,
        self_registered: false,
        disabled_at: None,
    };
    s.create_user(&u).await.unwrap();
    for c in ["c", "c2"] {
        s.add_consent("u", c, &["openid".into()], 1).await.unwrap();
    }
    for (id, c) in [("a", "c"), ("b", "c"), ("x", "c2")] {
        s.create_grant(&grant_of(id, c, "u")).await.unwrap();
    }
    s.revoke_grant("b", 5).await.unwrap();
    assert_eq!(s.delete_client("c", 9).await.unwrap(), Some(1));
    assert!(s.client("c").await.unwrap().is_none());
    assert!(s.client("c2").await.unwrap().is_some());
    for (id, revoked) in [("a", Some(9)), ("b", Some(5)), ("x", None)] {
        assert_eq!(
            s.grant(id).await.unwrap().unwrap().revoked_at,
            revoked,
            "{id}"
        );
    }
    assert!(s.consented_scopes("u", "c").await.unwrap().is_empty());
    assert_eq!(s.consented_scopes("u", "c2").await.unwrap(), ["openid"]);
    // Deleting what is not there changes nothing.
    assert_eq!(s.delete_client("c", 10).await.unwrap(), None);
    assert_eq!(s.grant("x").await.unwrap().unwrap().revoked_at, None);
    // Concurrent deletes of one client: exactly one finds it.
    s.upsert_client(&client("c")).await.unwrap();
    let (one, two) = tokio::join!(s.delete_client("c", 11), s.delete_client("c", 11));
    let found = [one.unwrap(), two.unwrap()];
    assert_eq!(found.iter().filter(|f| f.is_some()).count(), 1, "{found:?}");
}

async fn audit_entries_append_and_filter_newest_first(s: Arc<dyn Store>) {
    use portico_core::services::audit::{Filter, Record};
    let rec = |at: i64, event: &str, user: Option<&str>, client: Option<&str>| Record {
        id: 0,
        at,
        event: event.into(),
        user_id: user.map(Into::into),
        client_id: client.map(Into::into),
        ip: Some("192.0.2.1".into()),
        detail: format!("at {at}"),
        actor: None,
    };
    let mut tasks = Vec::new();
    for i in 0..10 {
        let s = s.clone();
        let r = rec(100 + i, "login.failed", Some("u1"), None);
        tasks.push(tokio::spawn(
            async move { s.append_audit(&r).await.unwrap() },
        ));
    }
    for t in tasks {
        t.await.unwrap();
    }
    s.append_audit(&rec(200, "tokens.issued", Some("u2"), Some("web")))
        .await
        .unwrap();
    s.append_audit(&rec(300, "client.updated", None, Some("web")))
        .await
        .unwrap();
    let all = s
        .audit_log(&Filter {
            limit: 100,
            ..Filter::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 12, "concurrent appends all land");
    assert_eq!(all[0].event, "client.updated", "newest first");
    assert!(all.windows(2).all(|w| w[0].id > w[1].id));
    assert_eq!(all[1].ip.as_deref(), Some("192.0.2.1"));
    let web = Filter {
        client_id: Some("web".into()),
        limit: 100,
        ..Filter::default()
    };
    let got: Vec<i64> = s
        .audit_log(&web)
        .await
        .unwrap()
        .iter()
        .map(|r| r.at)
        .collect();
    assert_eq!(got, [300, 200]);
    let u1_window = Filter {
        user_id: Some("u1".into()),
        since: Some(103),
        until: Some(106),
        limit: 100,
        ..Filter::default()
    };
    let mut got: Vec<i64> = s
        .audit_log(&u1_window)
        .await
        .unwrap()
        .iter()
        .map(|r| r.at)
        .collect();
    got.sort_unstable();
    assert_eq!(got, [103, 104, 105]);
    let two = Filter {
        limit: 2,
        ..Filter::default()
    };
    assert_eq!(s.audit_log(&two).await.unwrap().len(), 2);
    // Paging by id: each page starts below the last id of the one before,
    // and together the pages are the whole log once, in order.
    let mut pages = Vec::new();
    let mut before_id = None;
    loop {
        let page = s
            .audit_log(&Filter {
                before_id,
                limit: 5,
                ..Filter::default()
            })
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        before_id = Some(last.id);
        pages.extend(page.iter().map(|r| r.id));
    }
    assert_eq!(pages, all.iter().map(|r| r.id).collect::<Vec<_>>());
    // The actor is kept, and the event and actor filters hold.
    s.append_audit(&Record {
        actor: Some("user:admin-1".into()),
        ..rec(400, "client.created", None, Some("new"))
    })
    .await
    .unwrap();
    let by = |event: Option<&str>, actor: Option<&str>| Filter {
        event: event.map(Into::into),
        actor: actor.map(Into::into),
        limit: 100,
        ..Filter::default()
    };
    let got = s.audit_log(&by(None, Some("user:admin-1"))).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].client_id.as_deref(), Some("new"));
    assert_eq!(got[0].actor.as_deref(), Some("user:admin-1"));
    let failed = s.audit_log(&by(Some("login.failed"), None)).await.unwrap();
    assert_eq!(failed.len(), 10);
    assert!(failed.iter().all(|r| r.actor.is_none()));
    let none = s
        .audit_log(&by(Some("login.failed"), Some("user:admin-1")))
        .await
        .unwrap();
    assert!(none.is_empty());
}

async fn lockout_failures_count_atomically_and_restart_when_stale(s: Arc<dyn Store>) {
    use portico_core::infra::store::{LockPolicy, Lockout, Reservation};
    let policy = LockPolicy {
        free: 5,
        base: 30,
        max: 900,
        forget_after: 3600,
    };
    assert_eq!(s.lockout("k").await.unwrap(), None);
    // 50 concurrent attempts: the first five are let through (the fifth
    // locks the key as if it failed), the other 45 are refused uncounted.
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.reserve_attempt("k", 100, policy).await.unwrap()
        }));
    }
    let mut granted = Vec::new();
    for t in tasks {
        granted.extend(t.await.unwrap());
    }
    granted.sort_unstable_by_key(|r| r.failures);
    assert_eq!(
        granted,
        [(1, 100), (2, 100), (3, 100), (4, 100), (5, 130)].map(|(failures, locked_until)| {
            Reservation {
                failures,
                locked_until,
            }
        }),
        "only the policy's allowance is let through, counted once each"
    );
    assert_eq!(s.reserve_attempt("k", 129, policy).await.unwrap(), None);
    // After the lock, one more attempt goes through and doubles the lock.
    let sixth = s.reserve_attempt("k", 130, policy).await.unwrap().unwrap();
    assert_eq!((sixth.failures, sixth.locked_until), (6, 190));
    // Released (the credential was right): one failure less, its lock lifted.
    s.release_attempt("k", sixth.locked_until).await.unwrap();
    assert_eq!(
        s.lockout("k").await.unwrap(),
        Some(Lockout {
            failures: 5,
            locked_until: 0,
            last_failure: 130,
        })
    );
    // A release never lifts a lock another attempt set.
    let seventh = s.reserve_attempt("k", 131, policy).await.unwrap().unwrap();
    assert_eq!(seventh.locked_until, 131 + 60);
    s.release_attempt("k", 131).await.unwrap();
    assert_eq!(s.lockout("k").await.unwrap().unwrap().locked_until, 191);
    // Long locks stop at the ceiling.
    let mut last = 0;
    for n in 0..10 {
        let now = 10_000 + n * 1000;
        last = s
            .reserve_attempt("k", now, policy)
            .await
            .unwrap()
            .unwrap()
            .locked_until
            - now;
    }
    assert_eq!(last, 900);
    // A counter quiet for forget_after starts again, unlocked.
    let fresh = s
        .reserve_attempt("k", 50_000, policy)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((fresh.failures, fresh.locked_until), (1, 50_000));
    s.clear_lockout("k").await.unwrap();
    assert_eq!(s.lockout("k").await.unwrap(), None);
}

async fn entrypoints_keep_their_theme_and_are_listed_by_id(s: Arc<dyn Store>) {
    let mut shop = Entrypoint::new("shop", "The Shop");
    shop.theme.primary = Some("#0f766e".into());
    shop.theme.texts.insert(
        "es".into(),
        portico_api_types::ThemeTexts {
            title: Some("Entra en la tienda".into()),
            ..Default::default()
        },
    );
    shop.sign_up.phone = portico_api_types::FieldRule::Required;
    shop.x_methods = vec![portico_api_types::XMethod::Login];
    shop.default_locale = Some("es".into());
    s.upsert_entrypoint(&Entrypoint::new("acme", "Acme"))
        .await
        .unwrap();
    s.upsert_entrypoint(&shop).await.unwrap();
    assert_eq!(s.entrypoint("shop").await.unwrap(), Some(shop.clone()));
    shop.display_name = "The Shop, renamed".into();
    s.upsert_entrypoint(&shop).await.unwrap();
    let all = s.entrypoints().await.unwrap();
    let ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["acme", "shop"]);
    assert_eq!(all[1], shop);
}

fn code(hash: &str) -> AuthCode {
    AuthCode {
        code_hash: hash.into(),
        grant_id: "g1".into(),
        client_id: "c".into(),
        redirect_uri: "https://a/cb".into(),
        redirect_uri_given: true,
        user_id: "u".into(),
        session_id_hash: "s".into(),
        scopes: vec!["openid".into()],
        nonce: None,
        code_challenge: None,
        code_challenge_method: None,
        auth_time: 1,
        acr: Some("1".into()),
        amr: vec![],
        created_at: 1,
        expires_at: 61,
    }
}

async fn concurrent_takes_of_one_code_have_exactly_one_winner(s: Arc<dyn Store>) {
    s.put_code(&code("h1")).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.take_code("h1", 5).await.unwrap() })
        })
        .collect();
    let mut taken = 0;
    for t in tasks {
        match t.await.unwrap() {
            Take::Taken(_) => taken += 1,
            Take::AlreadyUsed(c, at) => {
                assert_eq!(c.grant_id, "g1");
                assert_eq!(c.acr.as_deref(), Some("1"));
                assert_eq!(at, 5);
            }
            Take::NotFound | Take::Revoked => panic!("the code exists and its grant is live"),
        }
    }
    assert_eq!(taken, 1);
    assert_eq!(s.take_code("nope", 5).await.unwrap(), Take::NotFound);
}

async fn duplicate_emails_conflict_case_insensitively(s: Arc<dyn Store>) {
    let u = User {
        id: "u1".into(),
        email: "a@b.c".into(),
        email_verified: true,
        name: "A".into(),
        given_name: None,
        family_name: None,
        phone_number: None,
        birthdate: None,
        terms_accepted_at: None,
        password_hash: "x".into(),
        created_at: 0,
        updated_at: 0,
        self_registered: false,
        disabled_at: None,
    };
    s.create_user(&u).await.unwrap();
    let dup = User {
        id: "u2".into(),
        email: "A@B.C".into(),
        ..u.clone()
    };
    assert!(matches!(
        s.create_user(&dup).await,
        Err(StoreError::Conflict(_))
    ));
    let found = s.user_by_email("A@b.C").await.unwrap().unwrap();
    assert_eq!(found.id, "u1");
    assert!(found.email_verified);
    let renamed = User {
        id: "u3".into(),
        name: "B".into(),
        email_verified: false,
        ..u
    };
    assert_eq!(s.upsert_user_by_email(&renamed).await.unwrap(), "u1");
    let after = s.user_by_id("u1").await.unwrap().unwrap();
    assert_eq!(after.name, "B");
    assert!(!after.email_verified);
}

async fn auth_requests_are_taken_once_and_expire(s: Arc<dyn Store>) {
    let r = AuthRequest {
        id: "r1".into(),
        client_id: "c".into(),
        redirect_uri: "https://a/cb".into(),
        redirect_uri_given: true,
        response_type: portico_core::protocol::types::ResponseType::Code,
        response_mode: ResponseMode::Query,
        scopes: vec![],
        entrypoint: "default".into(),
        state: None,
        nonce: None,
        code_challenge: None,
        code_challenge_method: None,
        x_method: Default::default(),
        prompt: vec![],
        max_age: None,
        acr_values: vec![],
        ui_locales: vec!["es".into()],
        login_session: None,
        created_at: 0,
        expires_at: 100,
    };
    s.put_auth_request(&r).await.unwrap();
    assert!(
        s.auth_request("r1", 100).await.unwrap().is_none(),
        "expired at 100"
    );
    let r = AuthRequest {
        login_session: Some("sess".into()),
        response_mode: ResponseMode::FormPost,
        ..r
    };
    assert!(s.update_auth_request(&r, 50).await.unwrap());
    assert!(!s.update_auth_request(&r, 100).await.unwrap(), "expired");
    assert_eq!(s.auth_request("r1", 50).await.unwrap(), Some(r.clone()));
    assert_eq!(
        s.take_auth_request("r1", 50).await.unwrap(),
        Some(r.clone())
    );
    assert!(!s.update_auth_request(&r, 50).await.unwrap(), "taken");
    assert!(s.take_auth_request("r1", 50).await.unwrap().is_none());
}

fn key_rec(kid: &str, alg: &str, signs_from: i64) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.into(),
        alg: alg.into(),
        private_pkcs8: kid.as_bytes().to_vec(),
        created_at: signs_from,
        signs_from,
        signs_until: None,
        retired_at: None,
    }
}

/// (kid, signs_until, retired) of every key of `alg`, oldest first.
async fn key_states(s: &Arc<dyn Store>, alg: &str) -> Vec<(String, Option<i64>, bool)> {
    s.signing_keys()
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.alg == alg)
        .map(|k| (k.kid, k.signs_until, k.retired_at.is_some()))
        .collect()
}

async fn first_key_and_secret_writer_wins(s: Arc<dyn Store>) {
    let k1 = SigningKeyRecord {
        private_pkcs8: vec![1],
        ..key_rec("k1", "ES256", 0)
    };
    let k2 = SigningKeyRecord {
        private_pkcs8: vec![2],
        ..key_rec("k2", "ES256", 0)
    };
    s.insert_signing_key_if_absent(&k1).await.unwrap();
    s.insert_signing_key_if_absent(&k2).await.unwrap();
    let keys = s.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].kid, "k1");
    assert_eq!(keys[0].private_pkcs8, vec![1]);
    assert_eq!(
        s.installation_secret("x", b"first").await.unwrap(),
        b"first"
    );
    assert_eq!(
        s.installation_secret("x", b"second").await.unwrap(),
        b"first"
    );
}

async fn concurrent_first_starts_keep_one_current_key_per_alg(s: Arc<dyn Store>) {
    let n = std::sync::atomic::AtomicU64::new(0);
    let n = Arc::new(n);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (s, n) = (s.clone(), n.clone());
            tokio::spawn(async move {
                let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                for alg in ["RS256", "ES256"] {
                    s.insert_signing_key_if_absent(&key_rec(&format!("{alg}-{i}"), alg, 10))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    for alg in ["RS256", "ES256"] {
        let keys = key_states(&s, alg).await;
        assert_eq!(keys.len(), 1, "{alg}: {keys:?}");
        assert_eq!(keys[0].1, None, "current");
    }
    // A rotated-out key does not count: the alg still has its current key.
    let current = key_states(&s, "ES256").await[0].0.clone();
    assert!(
        s.rotate_signing_key("ES256", &current, &key_rec("next", "ES256", 20), 10)
            .await
            .unwrap()
    );
    s.insert_signing_key_if_absent(&key_rec("late", "ES256", 30))
        .await
        .unwrap();
    let kids: Vec<_> = key_states(&s, "ES256")
        .await
        .into_iter()
        .map(|k| k.0)
        .collect();
    assert_eq!(kids, [current, "next".to_owned()]);
}

async fn a_rotation_ends_the_current_key_where_the_next_begins(s: Arc<dyn Store>) {
    s.insert_signing_key_if_absent(&key_rec("a", "ES256", 10))
        .await
        .unwrap();
    s.insert_signing_key_if_absent(&key_rec("r", "RS256", 10))
        .await
        .unwrap();
    // A key that has not started signing cannot be rotated out, and only
    // the current key of the named alg can.
    assert!(
        !s.rotate_signing_key("ES256", "a", &key_rec("b", "ES256", 400), 9)
            .await
            .unwrap()
    );
    assert!(
        !s.rotate_signing_key("RS256", "a", &key_rec("b", "RS256", 400), 40)
            .await
            .unwrap()
    );
    assert!(
        s.rotate_signing_key("ES256", "a", &key_rec("b", "ES256", 400), 40)
            .await
            .unwrap()
    );
    assert_eq!(
        key_states(&s, "ES256").await,
        [("a".into(), Some(400), false), ("b".into(), None, false)]
    );
    let b = s
        .signing_keys()
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.kid == "b")
        .unwrap();
    assert_eq!(b, key_rec("b", "ES256", 400), "stored as given");
    // `a` is no longer current; `b` is current but waits until 400.
    assert!(
        !s.rotate_signing_key("ES256", "a", &key_rec("c", "ES256", 500), 40)
            .await
            .unwrap()
    );
    assert!(
        !s.rotate_signing_key("ES256", "b", &key_rec("c", "ES256", 500), 399)
            .await
            .unwrap()
    );
    assert!(
        s.rotate_signing_key("ES256", "b", &key_rec("c", "ES256", 400), 400)
            .await
            .unwrap(),
        "at once (signs_from = now) once b signs"
    );
    assert_eq!(key_states(&s, "ES256").await.len(), 3);
    assert_eq!(key_states(&s, "RS256").await, [("r".into(), None, false)]);
}

async fn concurrent_rotations_of_one_key_have_exactly_one_winner(s: Arc<dyn Store>) {
    s.insert_signing_key_if_absent(&key_rec("old", "ES256", 10))
        .await
        .unwrap();
    let n = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let wins = winners(8, || {
        let (s, n) = (s.clone(), n.clone());
        async move {
            let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            s.rotate_signing_key(
                "ES256",
                "old",
                &key_rec(&format!("new-{i}"), "ES256", 50),
                20,
            )
            .await
            .unwrap()
        }
    })
    .await;
    assert_eq!(wins, 1);
    let keys = key_states(&s, "ES256").await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(keys[0], ("old".into(), Some(50), false));
    assert!(keys[1].0.starts_with("new-") && keys[1].1.is_none());
}

async fn keys_past_their_window_are_retired_and_erased_once(s: Arc<dyn Store>) {
    s.insert_signing_key_if_absent(&key_rec("a", "ES256", 10))
        .await
        .unwrap();
    s.insert_signing_key_if_absent(&key_rec("r", "RS256", 10))
        .await
        .unwrap();
    assert!(
        s.rotate_signing_key("ES256", "a", &key_rec("b", "ES256", 100), 20)
            .await
            .unwrap()
    );
    // `a` signed until 100: a cutoff at 100 is not past it yet.
    assert_eq!(s.retire_signing_keys(100, 500).await.unwrap(), 0);
    assert_eq!(s.retire_signing_keys(101, 500).await.unwrap(), 1);
    assert_eq!(s.retire_signing_keys(10_000, 600).await.unwrap(), 0, "once");
    let keys = s.signing_keys().await.unwrap();
    let a = keys.iter().find(|k| k.kid == "a").unwrap();
    assert_eq!(a.retired_at, Some(500));
    assert!(a.private_pkcs8.is_empty(), "erased");
    for current in ["b", "r"] {
        let k = keys.iter().find(|k| k.kid == current).unwrap();
        assert_eq!(k.retired_at, None);
        assert_eq!(k.private_pkcs8, current.as_bytes());
    }
}

async fn only_keys_that_stopped_signing_or_wait_to_sign_can_be_retired_early(s: Arc<dyn Store>) {
    s.insert_signing_key_if_absent(&key_rec("a", "ES256", 10))
        .await
        .unwrap();
    assert!(!s.retire_signing_key("a", 20).await.unwrap(), "it signs");
    assert!(!s.retire_signing_key("nope", 20).await.unwrap());
    assert!(
        s.rotate_signing_key("ES256", "a", &key_rec("b", "ES256", 400), 20)
            .await
            .unwrap()
    );
    assert!(
        !s.retire_signing_key("a", 30).await.unwrap(),
        "a signs until 400"
    );
    // Cancel the pending rotation: `a` is current again.
    assert!(s.retire_signing_key("b", 30).await.unwrap());
    assert_eq!(
        key_states(&s, "ES256").await,
        [("a".into(), None, false), ("b".into(), Some(400), true)]
    );
    assert!(!s.retire_signing_key("b", 31).await.unwrap(), "once");
    // An immediate rotation, then the old key retired at once.
    assert!(
        s.rotate_signing_key("ES256", "a", &key_rec("c", "ES256", 40), 40)
            .await
            .unwrap()
    );
    assert!(s.retire_signing_key("a", 40).await.unwrap());
    let keys = s.signing_keys().await.unwrap();
    let a = keys.iter().find(|k| k.kid == "a").unwrap();
    assert_eq!((a.signs_until, a.retired_at), (Some(40), Some(40)));
    assert!(a.private_pkcs8.is_empty());
    let c = keys.iter().find(|k| k.kid == "c").unwrap();
    assert_eq!((c.signs_until, c.retired_at), (None, None), "c untouched");
    assert!(!s.retire_signing_key("c", 41).await.unwrap(), "c signs");
}

async fn revoking_a_grant_keeps_the_first_time(s: Arc<dyn Store>) {
    let g = Grant {
        id: "g".into(),
        client_id: "c".into(),
        user_id: "u".into(),
        scopes: vec!["openid".into(), "email".into()],
        created_at: 0,
        revoked_at: None,
        session_id_hash: None,
    };
    s.create_grant(&g).await.unwrap();
    assert_eq!(s.grant("g").await.unwrap().unwrap(), g);
    s.revoke_grant("g", 5).await.unwrap();
    s.revoke_grant("g", 9).await.unwrap();
    assert_eq!(s.grant("g").await.unwrap().unwrap().revoked_at, Some(5));
    // Revoking all of a user's grants for a client spares the rest.
    for (id, client, user) in [
        ("a", "c", "u"),
        ("b", "c", "u"),
        ("x", "c2", "u"),
        ("y", "c", "u2"),
    ] {
        s.create_grant(&Grant {
            id: id.into(),
            client_id: client.into(),
            user_id: user.into(),
            ..g.clone()
        })
        .await
        .unwrap();
    }
    assert_eq!(s.revoke_grants_of("u", "c", 20).await.unwrap(), 2);
    for (id, revoked) in [
        ("a", Some(20)),
        ("b", Some(20)),
        ("x", None),
        ("y", None),
        ("g", Some(5)),
    ] {
        assert_eq!(
            s.grant(id).await.unwrap().unwrap().revoked_at,
            revoked,
            "{id}"
        );
    }
}

async fn values_of_a_revoked_grant_cannot_be_taken(s: Arc<dyn Store>) {
    let g = Grant {
        id: "g1".into(),
        client_id: "c".into(),
        user_id: "u".into(),
        scopes: vec![],
        created_at: 0,
        revoked_at: None,
        session_id_hash: None,
    };
    s.create_grant(&g).await.unwrap();
    s.put_code(&code("live")).await.unwrap();
    s.put_code(&code("dead")).await.unwrap();
    assert!(matches!(
        s.take_code("live", 2).await.unwrap(),
        Take::Taken(_)
    ));
    s.revoke_grant("g1", 3).await.unwrap();
    assert_eq!(s.take_code("dead", 4).await.unwrap(), Take::Revoked);
    assert!(matches!(
        s.take_code("live", 4).await.unwrap(),
        Take::AlreadyUsed(_, 2)
    ));
}

async fn consent_accumulates_per_user_and_client(s: Arc<dyn Store>) {
    let u = User {
        id: "u".into(),
        email: "u@x.y".into(),
        email_verified: false,
        name: "U".into(),
        given_name: None,
        family_name: None,
        phone_number: None,
        birthdate: None,
        terms_accepted_at: None,
        password_hash: "x".into(),
        created_at: 0,
        updated_at: 0,
        self_registered: false,
        disabled_at: None,
    };
    s.create_user(&u).await.unwrap();
    assert!(s.consented_scopes("u", "c").await.unwrap().is_empty());
    let v = |x: &[&str]| x.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    s.add_consent("u", "c", &v(&["openid", "email"]), 1)
        .await
        .unwrap();
    s.add_consent("u", "c", &v(&["email", "profile"]), 2)
        .await
        .unwrap();
    let mut got = s.consented_scopes("u", "c").await.unwrap();
    got.sort();
    assert_eq!(got, v(&["email", "openid", "profile"]));
    assert!(s.consented_scopes("u", "other").await.unwrap().is_empty());
    // Deleting the user takes everything that signs in as them.
    s.create_session(&portico_core::model::Session {
        id_hash: "sess".into(),
        user_id: "u".into(),
        auth_time: 1,
        amr: vec!["pwd".into()],
        created_at: 1,
        expires_at: 1000,
    })
    .await
    .unwrap();
    s.create_grant(&Grant {
        id: "gu".into(),
        client_id: "c".into(),
        user_id: "u".into(),
        scopes: v(&["openid"]),
        created_at: 1,
        revoked_at: None,
        session_id_hash: Some("sess".into()),
    })
    .await
    .unwrap();
    assert!(s.delete_user("u", 7).await.unwrap());
    assert!(s.user_by_id("u").await.unwrap().is_none());
    assert!(s.session("sess", 2).await.unwrap().is_none());
    assert!(s.consented_scopes("u", "c").await.unwrap().is_empty());
    assert_eq!(s.grant("gu").await.unwrap().unwrap().revoked_at, Some(7));
    assert!(!s.delete_user("u", 8).await.unwrap(), "already gone");
}

async fn revoked_access_tokens_are_remembered(s: Arc<dyn Store>) {
    assert!(!s.access_token_revoked("j1").await.unwrap());
    s.revoke_access_token("j1", 100).await.unwrap();
    s.revoke_access_token("j1", 100).await.unwrap();
    assert!(s.access_token_revoked("j1").await.unwrap());
    assert!(!s.access_token_revoked("j2").await.unwrap());
}

fn refresh(hash: &str) -> RefreshToken {
    RefreshToken {
        token_hash: hash.into(),
        grant_id: "g1".into(),
        client_id: "c".into(),
        user_id: "u".into(),
        scopes: vec!["openid".into()],
        auth_time: 1,
        acr: None,
        amr: vec![],
        created_at: 1,
        expires_at: 100,
    }
}

async fn refresh_tokens_can_be_read_and_record_their_use_time(s: Arc<dyn Store>) {
    let t = refresh("rt");
    s.put_refresh_token(&t).await.unwrap();
    assert_eq!(
        s.refresh_token("rt").await.unwrap(),
        Some((t.clone(), None))
    );
    assert_eq!(
        s.take_refresh_token("rt", 7).await.unwrap(),
        Take::Taken(t.clone())
    );
    assert_eq!(
        s.refresh_token("rt").await.unwrap(),
        Some((t.clone(), Some(7)))
    );
    assert_eq!(
        s.take_refresh_token("rt", 9).await.unwrap(),
        Take::AlreadyUsed(t, 7)
    );
    assert_eq!(s.refresh_token("nope").await.unwrap(), None);
}

/// A retry in the grace period puts the successor the first use put (or is
/// putting): every put after the first leaves the stored token alone, its
/// use included, so a used successor is never revived.
async fn concurrent_puts_of_one_refresh_token_leave_one_that_is_taken_once(s: Arc<dyn Store>) {
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let t = RefreshToken {
                    created_at: i,
                    ..refresh("rt2")
                };
                s.put_refresh_token(&t).await.unwrap();
                s.take_refresh_token("rt2", 10 + i).await.unwrap()
            })
        })
        .collect();
    let mut taken = 0;
    for t in tasks {
        match t.await.unwrap() {
            Take::Taken(_) => taken += 1,
            Take::AlreadyUsed(t, _) => assert_eq!(t.token_hash, "rt2"),
            Take::NotFound | Take::Revoked => panic!("the token was put before the take"),
        }
    }
    assert_eq!(taken, 1, "one row, taken once");
    let (stored, used_at) = s.refresh_token("rt2").await.unwrap().unwrap();
    let used_at = used_at.unwrap();
    // A put after the use changes nothing.
    let again = RefreshToken {
        created_at: 99,
        ..refresh("rt2")
    };
    s.put_refresh_token(&again).await.unwrap();
    assert_eq!(
        s.refresh_token("rt2").await.unwrap(),
        Some((stored.clone(), Some(used_at)))
    );
    assert_eq!(
        s.take_refresh_token("rt2", 50).await.unwrap(),
        Take::AlreadyUsed(stored, used_at)
    );
}

async fn profile_fields_round_trip(s: Arc<dyn Store>) {
    let u = User {
        id: "u1".into(),
        email: "p@x.y".into(),
        email_verified: true,
        name: "Grace Hopper".into(),
        given_name: Some("Grace".into()),
        family_name: Some("Hopper".into()),
        phone_number: Some("+15551234567".into()),
        birthdate: Some("1906-12-09".into()),
        terms_accepted_at: Some(3),
        password_hash: "x".into(),
        created_at: 3,
        updated_at: 4,
        self_registered: false,
        disabled_at: None,
    };
    s.create_user(&u).await.unwrap();
    assert_eq!(s.user_by_id("u1").await.unwrap().unwrap(), u);
    let changed = User {
        id: "other".into(),
        given_name: Some("G.".into()),
        updated_at: 9,
        ..u.clone()
    };
    s.upsert_user_by_email(&changed).await.unwrap();
    let got = s.user_by_email("p@x.y").await.unwrap().unwrap();
    assert_eq!(got.given_name.as_deref(), Some("G."));
    assert_eq!(got.updated_at, 9);
    assert_eq!(got.created_at, 3);
}

fn device(device_hash: &str, user_hash: &str) -> DeviceAuthorization {
    DeviceAuthorization {
        device_code_hash: device_hash.into(),
        user_code_hash: user_hash.into(),
        client_id: "tv".into(),
        scopes: vec!["openid".into(), "offline_access".into()],
        entrypoint: "default".into(),
        status: DeviceStatus::Pending,
        approval: None,
        interval: 5,
        last_polled_at: None,
        created_at: 100,
        expires_at: 700,
        used_at: None,
    }
}

fn approval() -> DeviceApproval {
    DeviceApproval {
        user_id: "u".into(),
        grant_id: "g".into(),
        auth_time: 150,
        acr: Some("1".into()),
        amr: vec!["swk".into(), "user".into(), "mfa".into()],
    }
}

async fn device_codes_round_trip_and_user_codes_are_unique_while_live(s: Arc<dyn Store>) {
    let d = device("d1", "u1");
    s.put_device_authorization(&d, 100).await.unwrap();
    assert_eq!(s.device_by_user_code("u1").await.unwrap(), Some(d));
    assert_eq!(s.device_by_user_code("u2").await.unwrap(), None);
    // A live holder keeps its user code.
    let e = s
        .put_device_authorization(&device("d2", "u1"), 699)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    // Once it expired, the code can be drawn again.
    s.put_device_authorization(&device("d2", "u1"), 700)
        .await
        .unwrap();
    let now_holder = s.device_by_user_code("u1").await.unwrap().unwrap();
    assert_eq!(now_holder.device_code_hash, "d2");
}

async fn concurrent_device_decisions_have_exactly_one_winner(s: Arc<dyn Store>) {
    s.put_device_authorization(&device("d1", "u1"), 100)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let a = approval();
                let decision = if i % 2 == 0 { Some(&a) } else { None };
                s.decide_device("u1", decision, 200).await.unwrap()
            })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1);
    let d = s.device_by_user_code("u1").await.unwrap().unwrap();
    match d.status {
        DeviceStatus::Approved => assert_eq!(d.approval, Some(approval())),
        DeviceStatus::Denied => assert_eq!(d.approval, None),
        DeviceStatus::Pending => panic!("one decision must stick"),
    }
    // Expired devices are never decided.
    s.put_device_authorization(&device("d2", "u2"), 100)
        .await
        .unwrap();
    assert!(!s.decide_device("u2", None, 700).await.unwrap());
}

async fn polls_too_soon_grow_the_interval(s: Arc<dyn Store>) {
    s.put_device_authorization(&device("d1", "u1"), 100)
        .await
        .unwrap();
    assert_eq!(s.poll_device("d1", "other", 110, 5).await.unwrap(), None);
    assert_eq!(s.poll_device("nope", "tv", 110, 5).await.unwrap(), None);
    let (d, soon) = s.poll_device("d1", "tv", 110, 5).await.unwrap().unwrap();
    assert!(!soon, "the first poll is never too soon");
    assert_eq!((d.interval, d.last_polled_at), (5, Some(110)));
    let (d, soon) = s.poll_device("d1", "tv", 114, 5).await.unwrap().unwrap();
    assert!(soon);
    assert_eq!((d.interval, d.last_polled_at), (10, Some(114)));
    let (d, soon) = s.poll_device("d1", "tv", 123, 5).await.unwrap().unwrap();
    assert!(soon, "9 seconds is sooner than the grown interval");
    assert_eq!(d.interval, 15);
    let (d, soon) = s.poll_device("d1", "tv", 138, 5).await.unwrap().unwrap();
    assert!(!soon);
    assert_eq!(d.interval, 15);
}

async fn approved_device_codes_are_taken_once(s: Arc<dyn Store>) {
    s.put_device_authorization(&device("d1", "u1"), 100)
        .await
        .unwrap();
    assert!(!s.take_device("d1", 150).await.unwrap(), "still pending");
    assert!(s.decide_device("u1", Some(&approval()), 160).await.unwrap());
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.take_device("d1", 170).await.unwrap() })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1);
    let (d, _) = s.poll_device("d1", "tv", 180, 5).await.unwrap().unwrap();
    assert_eq!(d.used_at, Some(170));
    assert_eq!(d.status, DeviceStatus::Approved);
}

async fn pushed_requests_are_taken_once_and_expire(s: Arc<dyn Store>) {
    let r = PushedRequest {
        uri_hash: "p1".into(),
        client_id: "web".into(),
        params: vec![
            ("client_id".into(), "web".into()),
            ("state".into(), "s".into()),
        ],
        created_at: 100,
        expires_at: 160,
    };
    s.put_pushed_request(&r).await.unwrap();
    s.put_pushed_request(&PushedRequest {
        uri_hash: "p2".into(),
        ..r.clone()
    })
    .await
    .unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.take_pushed_request("p1", 150).await.unwrap() })
        })
        .collect();
    let mut taken = Vec::new();
    for t in tasks {
        taken.extend(t.await.unwrap());
    }
    assert_eq!(taken, vec![r]);
    assert_eq!(
        s.take_pushed_request("p2", 160).await.unwrap(),
        None,
        "expired"
    );
}

async fn the_sweep_deletes_what_is_dead_and_nothing_else(s: Arc<dyn Store>) {
    use portico_core::infra::store::{Cutoffs, LockPolicy};
    use portico_core::services::audit::{Filter, Record};
    let grant = |id: &str| Grant {
        id: id.into(),
        client_id: "c".into(),
        user_id: "u".into(),
        scopes: vec!["openid".into()],
        created_at: 0,
        revoked_at: None,
        session_id_hash: None,
    };
    // g-old is referred to only by a code that is swept; g-live by a live
    // refresh token; g-device by a live device authorization.
    for g in ["g-old", "g-live", "g-device"] {
        s.create_grant(&grant(g)).await.unwrap();
    }
    s.put_code(&AuthCode {
        grant_id: "g-old".into(),
        ..code("c-old")
    })
    .await
    .unwrap();
    s.put_code(&AuthCode {
        grant_id: "g-live".into(),
        expires_at: 200,
        ..code("c-live")
    })
    .await
    .unwrap();
    let rt = |hash: &str, expires_at| RefreshToken {
        token_hash: hash.into(),
        grant_id: "g-live".into(),
        client_id: "c".into(),
        user_id: "u".into(),
        scopes: vec![],
        auth_time: 1,
        acr: None,
        amr: vec![],
        created_at: 1,
        expires_at,
    };
    s.put_refresh_token(&rt("rt-dead", 50)).await.unwrap();
    s.put_refresh_token(&rt("rt-live", 10_000)).await.unwrap();
    let mut d = device("dev", "user-code");
    d.expires_at = 500;
    s.put_device_authorization(&d, 0).await.unwrap();
    s.decide_device(
        "user-code",
        Some(&DeviceApproval {
            grant_id: "g-device".into(),
            ..approval()
        }),
        1,
    )
    .await
    .unwrap();
    let mut dead_device = device("dev2", "user-code-2");
    dead_device.expires_at = 50;
    s.put_device_authorization(&dead_device, 0).await.unwrap();
    let pushed = |hash: &str, expires_at| PushedRequest {
        uri_hash: hash.into(),
        client_id: "c".into(),
        params: vec![],
        created_at: 0,
        expires_at,
    };
    s.put_pushed_request(&pushed("p-dead", 50)).await.unwrap();
    s.put_pushed_request(&pushed("p-live", 500)).await.unwrap();
    s.revoke_access_token("jti-dead", 50).await.unwrap();
    s.revoke_access_token("jti-live", 500).await.unwrap();
    let quiet = LockPolicy {
        free: 5,
        base: 30,
        max: 900,
        forget_after: 3600,
    };
    let strict = LockPolicy {
        free: 1,
        base: 1000,
        max: 1000,
        ..quiet
    };
    s.reserve_attempt("stale", 10, quiet).await.unwrap();
    s.reserve_attempt("locked", 10, strict).await.unwrap();
    s.reserve_attempt("recent", 99, quiet).await.unwrap();
    for at in [50, 150] {
        s.append_audit(&Record {
            id: 0,
            at,
            event: "session.ended".into(),
            user_id: None,
            client_id: None,
            ip: None,
            detail: String::new(),
            actor: None,
        })
        .await
        .unwrap();
    }
    // Mail: one sent long ago, one sent lately, one given up long ago, one
    // still queued; mailed tokens, one expired.
    s.create_user(&user_at("mailed", "mailed@example.com"))
        .await
        .unwrap();
    for id in ["sent-old", "sent-new", "failed-old", "queued"] {
        s.queue_mail(&mail(id, 0), &[]).await.unwrap();
    }
    s.claim_mail(0, 1, 10).await.unwrap();
    s.mail_sent("sent-old", 50).await.unwrap();
    s.mail_sent("sent-new", 150).await.unwrap();
    s.mail_failed("failed-old", None, "550", 50).await.unwrap();
    s.mail_failed("queued", Some(200), "451", 50).await.unwrap();
    let reset = EmailTokenKind::PasswordReset;
    let verify = EmailTokenKind::VerifyEmail;
    s.queue_mail(
        &mail("m-dead", 1000),
        &[token("t-dead", reset, "mailed", 50)],
    )
    .await
    .unwrap();
    s.queue_mail(
        &mail("m-live", 1000),
        &[token("t-live", verify, "mailed", 500)],
    )
    .await
    .unwrap();
    // Ceremonies: one expired, one live (the account's, and one of no one).
    let passkey_sign_in = CeremonyKind::PasskeySignIn;
    s.put_ceremony(&ceremony("cer-dead", passkey_sign_in, None, 50))
        .await
        .unwrap();
    s.put_ceremony(&ceremony(
        "cer-live",
        CeremonyKind::SecondFactor,
        Some("mailed"),
        500,
    ))
    .await
    .unwrap();
    let cutoffs = Cutoffs {
        expired_before: 100,
        codes_expired_before: 100,
        grants_created_before: 100,
        lockouts_failed_before: 95,
        audit_before: 100,
        mail_done_before: 100,
    };
    let swept = s.sweep_expired(&cutoffs).await.unwrap();
    assert_eq!(
        swept,
        portico_core::infra::store::Swept {
            auth_requests: 0,
            pushed_requests: 1,
            device_authorizations: 1,
            sessions: 0,
            codes: 1,
            refresh_tokens: 1,
            grants: 1,
            revoked_jtis: 1,
            lockouts: 1,
            audit: 1,
            mails: 2,
            email_tokens: 1,
            ceremonies: 1,
        }
    );
    assert!(
        s.ceremony("cer-live", CeremonyKind::SecondFactor, 99)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(s.outbox_depth().await.unwrap(), 3, "queued mail stays");
    assert!(
        s.take_email_token("t-live", verify, 99)
            .await
            .unwrap()
            .is_some()
    );
    assert!(s.grant("g-old").await.unwrap().is_none());
    for g in ["g-live", "g-device"] {
        assert!(s.grant(g).await.unwrap().is_some(), "{g}");
    }
    assert!(s.refresh_token("rt-live").await.unwrap().is_some());
    assert!(s.refresh_token("rt-dead").await.unwrap().is_none());
    assert!(s.access_token_revoked("jti-live").await.unwrap());
    assert!(!s.access_token_revoked("jti-dead").await.unwrap());
    assert!(s.lockout("stale").await.unwrap().is_none());
    assert!(s.lockout("locked").await.unwrap().is_some());
    assert!(s.lockout("recent").await.unwrap().is_some());
    let audit = s
        .audit_log(&Filter {
            limit: 10,
            ..Filter::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.iter().map(|r| r.at).collect::<Vec<_>>(), [150]);
    assert_eq!(s.sweep_expired(&cutoffs).await.unwrap().total(), 0, "once");
}

fn user_at(id: &str, email: &str) -> User {
    User {
        id: id.into(),
        email: email.into(),
        email_verified: false,
        name: id.to_uppercase(),
        given_name: None,
        family_name: None,
        phone_number: None,
        birthdate: None,
        terms_accepted_at: None,
        password_hash: "old-hash".into(),
        created_at: 0,
        updated_at: 0,
        self_registered: true,
        disabled_at: None,
    }
}

fn mail(id: &str, due: i64) -> OutboxMail {
    OutboxMail {
        id: id.into(),
        recipient: "a@example.com".into(),
        subject: format!("subject {id}"),
        text: format!("text {id}"),
        html: format!("<p>html {id}</p>"),
        created_at: due,
        attempts: 0,
        next_attempt_at: due,
    }
}

fn token(hash: &str, kind: EmailTokenKind, user: &str, expires_at: i64) -> EmailToken {
    EmailToken {
        token_hash: hash.into(),
        kind,
        user_id: user.into(),
        email: "a@example.com".into(),
        request_id: Some("req".into()),
        created_at: 0,
        expires_at,
    }
}

async fn mail_is_claimed_by_one_sender_until_its_lease_runs_out(s: Arc<dyn Store>) {
    s.queue_mail(&mail("m1", 100), &[]).await.unwrap();
    s.queue_mail(&mail("m2", 200), &[]).await.unwrap();
    assert_eq!(s.outbox_depth().await.unwrap(), 2);
    // Not due yet.
    assert!(s.claim_mail(99, 160, 10).await.unwrap().is_empty());
    let got = s.claim_mail(100, 160, 10).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].id, "m1");
    assert_eq!(got[0].attempts, 1);
    assert_eq!(got[0].text, "text m1");
    assert_eq!(got[0].html, "<p>html m1</p>");
    // Leased: nobody else gets it until the lease runs out.
    assert!(s.claim_mail(150, 210, 10).await.unwrap().is_empty());
    let again = s.claim_mail(160, 220, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2, "a claim after a dead sender counts");
    s.mail_sent("m1", 161).await.unwrap();
    assert_eq!(s.outbox_depth().await.unwrap(), 1);
    assert!(
        s.claim_mail(1000, 1060, 10)
            .await
            .unwrap()
            .iter()
            .all(|m| m.id == "m2")
    );
    // A failure is retried when asked, and given up for good otherwise.
    s.mail_failed("m2", Some(2000), "451 try later", 1000)
        .await
        .unwrap();
    assert!(s.claim_mail(1999, 2060, 10).await.unwrap().is_empty());
    assert_eq!(s.claim_mail(2000, 2060, 10).await.unwrap().len(), 1);
    s.mail_failed("m2", None, "550 no such user", 2001)
        .await
        .unwrap();
    assert_eq!(s.outbox_depth().await.unwrap(), 0);
    assert!(s.claim_mail(99_999, 100_060, 10).await.unwrap().is_empty());
}

async fn concurrent_claims_hand_each_mail_to_one_sender(s: Arc<dyn Store>) {
    for i in 0..30 {
        s.queue_mail(&mail(&format!("m{i:02}"), 10), &[])
            .await
            .unwrap();
    }
    let claims = (0..6).map(|_| {
        let s = s.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = s.claim_mail(10, 100, 4).await.unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|m| m.id));
            }
        })
    });
    let mut all: Vec<String> = Vec::new();
    for c in claims {
        all.extend(c.await.unwrap());
    }
    all.sort();
    let before = all.len();
    all.dedup();
    assert_eq!(before, all.len(), "a mail was handed to two senders");
    assert_eq!(all.len(), 30, "every mail was claimed");
}

async fn mailed_tokens_are_single_use_and_replaced_by_newer_ones(s: Arc<dyn Store>) {
    s.create_user(&user_at("u1", "a@example.com"))
        .await
        .unwrap();
    let reset = EmailTokenKind::PasswordReset;
    let verify = EmailTokenKind::VerifyEmail;
    s.queue_mail(&mail("m1", 0), &[token("r1", reset, "u1", 100)])
        .await
        .unwrap();
    // The code and the link of one verification mail.
    s.queue_mail(
        &mail("m2", 0),
        &[
            token("code", verify, "u1", 100),
            token("link", verify, "u1", 100),
        ],
    )
    .await
    .unwrap();
    // A newer reset replaces the older one, and leaves verification alone.
    s.queue_mail(&mail("m3", 0), &[token("r2", reset, "u1", 100)])
        .await
        .unwrap();
    assert!(s.take_email_token("r1", reset, 10).await.unwrap().is_none());
    // The wrong kind never matches.
    assert!(
        s.take_email_token("r2", verify, 10)
            .await
            .unwrap()
            .is_none()
    );
    let t = s.take_email_token("r2", reset, 10).await.unwrap().unwrap();
    assert_eq!(
        (t.user_id.as_str(), t.request_id.as_deref()),
        ("u1", Some("req"))
    );
    assert!(
        s.take_email_token("r2", reset, 10).await.unwrap().is_none(),
        "single use"
    );
    // Past its life.
    assert!(
        s.take_email_token("code", verify, 100)
            .await
            .unwrap()
            .is_none()
    );
    let t = s
        .take_email_token("code", verify, 99)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.kind, verify);
    assert!(
        s.take_email_token("link", verify, 99)
            .await
            .unwrap()
            .is_none(),
        "the code used up the link of the same mail"
    );
    // Concurrent takes of one token: one winner.
    s.queue_mail(&mail("m4", 0), &[token("r3", reset, "u1", 100)])
        .await
        .unwrap();
    let takes = (0..8).map(|_| {
        let s = s.clone();
        tokio::spawn(async move { s.take_email_token("r3", reset, 10).await.unwrap().is_some() })
    });
    let mut wins = 0;
    for t in takes {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1);
    // Verification applies to the address the mail went to only.
    assert!(
        !s.mark_email_verified("u1", "other@example.com", 5)
            .await
            .unwrap()
    );
    assert!(
        s.mark_email_verified("u1", "A@example.com", 5)
            .await
            .unwrap()
    );
    assert!(s.user_by_id("u1").await.unwrap().unwrap().email_verified);
}

async fn a_password_reset_ends_every_session_and_grant_and_voids_pending_tokens(s: Arc<dyn Store>) {
    s.create_user(&user_at("u1", "a@example.com"))
        .await
        .unwrap();
    s.create_user(&user_at("u2", "b@example.com"))
        .await
        .unwrap();
    s.upsert_client(&client("web")).await.unwrap();
    for (id, user) in [("g1", "u1"), ("g2", "u2")] {
        s.create_grant(&grant_of(id, "web", user)).await.unwrap();
    }
    for (id, user) in [("s1", "u1"), ("s2", "u2")] {
        s.create_session(&Session {
            id_hash: id.into(),
            user_id: user.into(),
            auth_time: 0,
            amr: vec!["pwd".into()],
            created_at: 0,
            expires_at: 1000,
        })
        .await
        .unwrap();
    }
    let reset = EmailTokenKind::PasswordReset;
    s.queue_mail(&mail("m1", 0), &[token("r1", reset, "u1", 100)])
        .await
        .unwrap();
    assert!(s.reset_password("u1", "new-hash", 7).await.unwrap());
    assert!(!s.reset_password("nobody", "new-hash", 7).await.unwrap());
    assert_eq!(
        s.user_by_id("u1").await.unwrap().unwrap().password_hash,
        "new-hash"
    );
    assert_eq!(
        s.user_by_id("u2").await.unwrap().unwrap().password_hash,
        "old-hash"
    );
    assert_eq!(s.grant("g1").await.unwrap().unwrap().revoked_at, Some(7));
    assert_eq!(s.grant("g2").await.unwrap().unwrap().revoked_at, None);
    assert!(s.session("s1", 1).await.unwrap().is_none());
    assert!(s.session("s2", 1).await.unwrap().is_some());
    assert!(s.take_email_token("r1", reset, 10).await.unwrap().is_none());
}

async fn an_address_change_and_its_undo(s: Arc<dyn Store>) {
    s.create_user(&user_at("u1", "old@example.com"))
        .await
        .unwrap();
    s.create_user(&user_at("u2", "taken@example.com"))
        .await
        .unwrap();
    s.upsert_client(&client("web")).await.unwrap();
    s.create_grant(&grant_of("g1", "web", "u1")).await.unwrap();
    s.create_session(&Session {
        id_hash: "s1".into(),
        user_id: "u1".into(),
        auth_time: 0,
        amr: vec!["pwd".into()],
        created_at: 0,
        expires_at: 1000,
    })
    .await
    .unwrap();
    assert!(matches!(
        s.change_email("u1", "old@example.com", "Taken@example.com", 5)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        !s.change_email("u1", "wrong@example.com", "new@example.com", 5)
            .await
            .unwrap()
    );
    assert!(
        s.change_email("u1", "old@example.com", "New@example.com", 5)
            .await
            .unwrap()
    );
    let u = s.user_by_id("u1").await.unwrap().unwrap();
    assert_eq!(
        (u.email.as_str(), u.email_verified),
        ("new@example.com", true)
    );
    assert!(s.user_by_email("old@example.com").await.unwrap().is_none());
    // The change left sessions alone; the undo ends them and the grants.
    assert!(s.session("s1", 1).await.unwrap().is_some());
    assert!(
        !s.undo_email_change("u1", "other@example.com", "old@example.com", 9)
            .await
            .unwrap()
    );
    assert!(
        s.undo_email_change("u1", "new@example.com", "old@example.com", 9)
            .await
            .unwrap()
    );
    assert_eq!(
        s.user_by_id("u1").await.unwrap().unwrap().email,
        "old@example.com"
    );
    assert!(s.session("s1", 1).await.unwrap().is_none());
    assert_eq!(s.grant("g1").await.unwrap().unwrap().revoked_at, Some(9));
}

fn app(id: &str, user: &str, created_at: i64) -> Factor {
    Factor {
        id: id.into(),
        user_id: user.into(),
        kind: FactorKind::Totp,
        name: "Authenticator app".into(),
        secret: format!("sealed-key-of-{id}"),
        credential_id: None,
        created_at,
        last_used_at: Some(created_at),
        last_step: Some(100),
    }
}

fn passkey(id: &str, user: &str, credential_id: &str, created_at: i64) -> Factor {
    Factor {
        id: id.into(),
        user_id: user.into(),
        kind: FactorKind::Passkey,
        name: format!("Passkey {id}"),
        secret: format!("{{\"cred\":\"{credential_id}\"}}"),
        credential_id: Some(credential_id.into()),
        created_at,
        last_used_at: None,
        last_step: None,
    }
}

fn ceremony(id_hash: &str, kind: CeremonyKind, user: Option<&str>, expires_at: i64) -> Ceremony {
    Ceremony {
        id_hash: id_hash.into(),
        kind,
        user_id: user.map(Into::into),
        state: format!("{{\"of\":\"{id_hash}\"}}"),
        created_at: 0,
        expires_at,
    }
}

/// Spawn `n` copies of `f` at once and count the tasks that got `true`.
async fn winners<F, Fut>(n: usize, f: F) -> usize
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool> + Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|_| tokio::spawn(f())).collect();
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap());
    }
    wins
}

async fn factors_are_listed_oldest_first_and_a_passkey_belongs_to_one_account(s: Arc<dyn Store>) {
    for (id, email) in [("u1", "a@example.com"), ("u2", "b@example.com")] {
        s.create_user(&user_at(id, email)).await.unwrap();
    }
    assert!(s.factors("u1").await.unwrap().is_empty());
    let key = passkey("f-key", "u1", "cred-1", 10);
    // Added out of order; the tie at 20 is broken by id.
    for f in [app("f-c", "u1", 20), key.clone(), app("f-b", "u1", 20)] {
        s.add_factor(&f).await.unwrap();
    }
    let listed = s.factors("u1").await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["f-key", "f-b", "f-c"]);
    assert_eq!(listed[0], key, "every field round-trips");
    assert_eq!(listed[1], app("f-b", "u1", 20));
    assert!(s.factors("u2").await.unwrap().is_empty());
    // The same credential on another account: refused, and nothing added.
    let e = s
        .add_factor(&passkey("f-other", "u2", "cred-1", 30))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    assert!(s.factors("u2").await.unwrap().is_empty());
    s.add_factor(&passkey("f-u2", "u2", "cred-2", 30))
        .await
        .unwrap();
    assert_eq!(s.factor_by_credential("cred-1").await.unwrap(), Some(key));
    assert_eq!(
        s.factor_by_credential("cred-2")
            .await
            .unwrap()
            .unwrap()
            .user_id,
        "u2"
    );
    assert_eq!(s.factor_by_credential("cred-3").await.unwrap(), None);
}

async fn only_the_owner_renames_or_removes_a_factor_and_the_last_one_takes_the_recovery_codes(
    s: Arc<dyn Store>,
) {
    for (id, email) in [("u1", "a@example.com"), ("u2", "b@example.com")] {
        s.create_user(&user_at(id, email)).await.unwrap();
    }
    s.add_factor(&app("f-app", "u1", 10)).await.unwrap();
    s.add_factor(&passkey("f-key", "u1", "cred-1", 20))
        .await
        .unwrap();
    s.add_factor(&app("f-u2", "u2", 10)).await.unwrap();
    let codes = |c: &[&str]| c.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>();
    s.replace_recovery_codes("u1", &codes(&["h1", "h2"]), 5)
        .await
        .unwrap();
    s.replace_recovery_codes("u2", &codes(&["h1"]), 5)
        .await
        .unwrap();

    assert!(!s.rename_factor("u2", "f-key", "Stolen").await.unwrap());
    assert!(!s.rename_factor("u1", "nope", "Nothing").await.unwrap());
    assert!(s.rename_factor("u1", "f-key", "Work laptop").await.unwrap());
    let names: Vec<String> = s
        .factors("u1")
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["Authenticator app", "Work laptop"]);

    assert!(!s.remove_factor("u2", "f-key").await.unwrap());
    assert!(!s.remove_factor("u1", "nope").await.unwrap());
    assert_eq!(s.factors("u1").await.unwrap().len(), 2, "nothing removed");
    assert!(s.remove_factor("u1", "f-key").await.unwrap());
    assert!(!s.remove_factor("u1", "f-key").await.unwrap(), "once");
    assert_eq!(s.factor_by_credential("cred-1").await.unwrap(), None);
    assert_eq!(
        s.recovery_codes_left("u1").await.unwrap(),
        2,
        "a factor is left: the codes stay"
    );
    // The last factor goes: so do the codes.
    assert!(s.remove_factor("u1", "f-app").await.unwrap());
    assert!(s.factors("u1").await.unwrap().is_empty());
    assert_eq!(s.recovery_codes_left("u1").await.unwrap(), 0);
    assert!(!s.use_recovery_code("u1", "h1", 6).await.unwrap());
    // The other account is untouched.
    assert_eq!(s.factors("u2").await.unwrap().len(), 1);
    assert_eq!(s.recovery_codes_left("u2").await.unwrap(), 1);
}

async fn an_app_code_step_is_accepted_once_and_only_forward(s: Arc<dyn Store>) {
    s.create_user(&user_at("u1", "a@example.com"))
        .await
        .unwrap();
    s.add_factor(&app("f1", "u1", 10)).await.unwrap();
    s.add_factor(&Factor {
        last_step: None,
        ..app("f2", "u1", 11)
    })
    .await
    .unwrap();
    // f1 was turned on with the code of step 100.
    assert!(!s.advance_totp_step("f1", 100, 50).await.unwrap(), "same");
    assert!(!s.advance_totp_step("f1", 99, 50).await.unwrap(), "older");
    assert!(s.advance_totp_step("f1", 101, 50).await.unwrap(), "newer");
    assert!(!s.advance_totp_step("f1", 101, 51).await.unwrap(), "once");
    let f1 = s.factors("u1").await.unwrap().remove(0);
    assert_eq!((f1.last_step, f1.last_used_at), (Some(101), Some(50)));
    // A factor never used takes any step; an unknown factor none.
    assert!(s.advance_totp_step("f2", 7, 52).await.unwrap());
    assert!(!s.advance_totp_step("nope", 1000, 52).await.unwrap());
    // One code typed on many instances at once: it works once.
    let wins = winners(16, || {
        let s = s.clone();
        async move { s.advance_totp_step("f1", 102, 60).await.unwrap() }
    })
    .await;
    assert_eq!(wins, 1);
    // Neighbouring steps at once: one of them wins for each step written;
    // whatever the order, the step never moves back.
    let tasks: Vec<_> = (103..119)
        .map(|step| {
            let s = s.clone();
            tokio::spawn(async move { s.advance_totp_step("f1", step, 61).await.unwrap() })
        })
        .collect();
    let mut any = false;
    for t in tasks {
        any |= t.await.unwrap();
    }
    assert!(any);
    let f1 = s.factors("u1").await.unwrap().remove(0);
    assert_eq!(f1.last_step, Some(118), "the newest step sticks");
    assert!(!s.advance_totp_step("f1", 117, 62).await.unwrap());
}

async fn recovery_codes_are_single_use_per_account_and_replaced_as_a_set(s: Arc<dyn Store>) {
    for (id, email) in [("u1", "a@example.com"), ("u2", "b@example.com")] {
        s.create_user(&user_at(id, email)).await.unwrap();
    }
    let codes = |c: &[&str]| c.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>();
    assert_eq!(s.recovery_codes_left("u1").await.unwrap(), 0);
    s.replace_recovery_codes("u1", &codes(&["a", "b", "c"]), 1)
        .await
        .unwrap();
    s.replace_recovery_codes("u2", &codes(&["a"]), 1)
        .await
        .unwrap();
    assert_eq!(s.recovery_codes_left("u1").await.unwrap(), 3);
    assert!(s.use_recovery_code("u1", "a", 2).await.unwrap());
    assert!(!s.use_recovery_code("u1", "a", 3).await.unwrap(), "once");
    assert!(!s.use_recovery_code("u1", "zzz", 3).await.unwrap());
    assert!(
        !s.use_recovery_code("u2", "b", 3).await.unwrap(),
        "another account's code"
    );
    assert_eq!(s.recovery_codes_left("u1").await.unwrap(), 2);
    assert!(
        s.use_recovery_code("u2", "a", 3).await.unwrap(),
        "the same code on another account is its own"
    );
    // One code typed on many instances at once: it works once.
    let wins = winners(16, || {
        let s = s.clone();
        async move { s.use_recovery_code("u1", "b", 4).await.unwrap() }
    })
    .await;
    assert_eq!(wins, 1);
    assert_eq!(s.recovery_codes_left("u1").await.unwrap(), 1);
    // A new set: the old one stops working, used or not.
    s.replace_recovery_codes("u1", &codes(&["d", "e"]), 5)
        .await
        .unwrap();
    assert_eq!(s.recovery_codes_left("u1").await.unwrap(), 2);
    assert!(!s.use_recovery_code("u1", "c", 6).await.unwrap());
    assert!(s.use_recovery_code("u1", "d", 6).await.unwrap());
    assert_eq!(s.recovery_codes_left("u1").await.unwrap(), 1);
    assert_eq!(s.recovery_codes_left("u2").await.unwrap(), 0);
}

async fn ceremonies_are_read_in_place_and_taken_once_before_they_expire(s: Arc<dyn Store>) {
    s.create_user(&user_at("u1", "a@example.com"))
        .await
        .unwrap();
    let setup = ceremony("c-setup", CeremonyKind::TotpSetup, Some("u1"), 200);
    let sign_in = ceremony("c-passkey", CeremonyKind::PasskeySignIn, None, 200);
    let step = ceremony("c-step", CeremonyKind::SecondFactor, Some("u1"), 200);
    let old = ceremony("c-old", CeremonyKind::PasskeyRegister, Some("u1"), 100);
    for c in [&setup, &sign_in, &step, &old] {
        s.put_ceremony(c).await.unwrap();
    }
    // Read in place: a wrong code may be retried.
    for _ in 0..2 {
        assert_eq!(
            s.ceremony("c-setup", CeremonyKind::TotpSetup, 199)
                .await
                .unwrap(),
            Some(setup.clone())
        );
    }
    assert_eq!(
        s.ceremony("c-setup", CeremonyKind::SecondFactor, 150)
            .await
            .unwrap(),
        None,
        "another kind"
    );
    assert_eq!(
        s.take_ceremony("c-setup", CeremonyKind::PasskeyRegister, 150)
            .await
            .unwrap(),
        None,
        "another kind"
    );
    assert_eq!(
        s.ceremony("c-setup", CeremonyKind::TotpSetup, 200)
            .await
            .unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        s.ceremony("nope", CeremonyKind::TotpSetup, 1)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.take_ceremony("c-old", CeremonyKind::PasskeyRegister, 100)
            .await
            .unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        s.take_ceremony("c-passkey", CeremonyKind::PasskeySignIn, 150)
            .await
            .unwrap(),
        Some(sign_in),
        "a ceremony of no one yet round-trips"
    );
    assert_eq!(
        s.take_ceremony("c-passkey", CeremonyKind::PasskeySignIn, 150)
            .await
            .unwrap(),
        None,
        "taken once"
    );
    // The step between password and second factor, finished on many
    // instances at once: exactly one finishes it.
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                s.take_ceremony("c-step", CeremonyKind::SecondFactor, 150)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut taken = Vec::new();
    for t in tasks {
        taken.extend(t.await.unwrap());
    }
    assert_eq!(taken, vec![step]);
    assert_eq!(
        s.ceremony("c-step", CeremonyKind::SecondFactor, 150)
            .await
            .unwrap(),
        None,
        "gone once taken"
    );
    assert_eq!(
        s.take_ceremony("c-setup", CeremonyKind::TotpSetup, 150)
            .await
            .unwrap(),
        Some(setup),
        "reading never consumed it"
    );
}

async fn sessions_remember_how_the_user_signed_in(s: Arc<dyn Store>) {
    s.create_user(&user_at("u1", "a@example.com"))
        .await
        .unwrap();
    let session = |id: &str, amr: &[&str]| Session {
        id_hash: id.into(),
        user_id: "u1".into(),
        auth_time: 10,
        amr: amr.iter().map(|m| (*m).to_owned()).collect(),
        created_at: 10,
        expires_at: 1000,
    };
    for s1 in [
        session("s-mfa", &["pwd", "otp", "mfa"]),
        session("s-passkey", &["swk", "user", "mfa"]),
        session("s-pwd", &["pwd"]),
        session("s-none", &[]),
    ] {
        s.create_session(&s1).await.unwrap();
        assert_eq!(s.session(&s1.id_hash, 11).await.unwrap(), Some(s1));
    }
}

async fn deleting_a_user_removes_their_factors_recovery_codes_and_ceremonies(s: Arc<dyn Store>) {
    for (id, email) in [("u1", "a@example.com"), ("u2", "b@example.com")] {
        s.create_user(&user_at(id, email)).await.unwrap();
    }
    s.add_factor(&app("f-app", "u1", 10)).await.unwrap();
    s.add_factor(&passkey("f-key", "u1", "cred-1", 20))
        .await
        .unwrap();
    s.add_factor(&app("f-u2", "u2", 10)).await.unwrap();
    for u in ["u1", "u2"] {
        s.replace_recovery_codes(u, &["h1".to_owned()], 5)
            .await
            .unwrap();
    }
    let kind = CeremonyKind::TotpSetup;
    s.put_ceremony(&ceremony("c-u1", kind, Some("u1"), 500))
        .await
        .unwrap();
    s.put_ceremony(&ceremony("c-u2", kind, Some("u2"), 500))
        .await
        .unwrap();
    assert!(s.delete_user("u1", 50).await.unwrap());
    assert!(s.factors("u1").await.unwrap().is_empty());
    assert_eq!(s.factor_by_credential("cred-1").await.unwrap(), None);
    assert_eq!(s.recovery_codes_left("u1").await.unwrap(), 0);
    assert_eq!(s.ceremony("c-u1", kind, 60).await.unwrap(), None);
    // The other account keeps everything.
    assert_eq!(s.factors("u2").await.unwrap().len(), 1);
    assert_eq!(s.recovery_codes_left("u2").await.unwrap(), 1);
    assert!(s.ceremony("c-u2", kind, 60).await.unwrap().is_some());
    // The deleted account's passkey may be registered anew.
    s.add_factor(&passkey("f-again", "u2", "cred-1", 60))
        .await
        .unwrap();
}

async fn roles_are_granted_once_and_never_lose_their_last_holder(s: Arc<dyn Store>) {
    use portico_core::infra::store::Revoked;
    for (id, email) in [("u1", "a@example.com"), ("u2", "b@example.com")] {
        s.create_user(&user_at(id, email)).await.unwrap();
    }
    assert!(s.user_roles("u1").await.unwrap().is_empty());
    // Concurrent grants of one role: one changes something, one row stays.
    let s1 = s.clone();
    let granted = winners(8, move || {
        let s = s1.clone();
        async move { s.grant_role("u1", "admin").await.unwrap() }
    })
    .await;
    assert_eq!(granted, 1);
    assert_eq!(s.user_roles("u1").await.unwrap(), ["admin"]);
    assert!(
        !s.grant_role("nobody", "admin").await.unwrap(),
        "no such user"
    );
    assert_eq!(s.role_holders("admin").await.unwrap(), ["u1"]);
    // The last holder keeps the role; someone who never held it is told so.
    assert_eq!(
        s.revoke_role("u1", "admin").await.unwrap(),
        Revoked::LastHolder
    );
    assert_eq!(
        s.revoke_role("u2", "admin").await.unwrap(),
        Revoked::NotHeld
    );
    assert!(s.grant_role("u2", "admin").await.unwrap());
    assert_eq!(s.role_holders("admin").await.unwrap(), ["u1", "u2"]);
    // Two holders revoking each other's role at once: exactly one succeeds.
    let (a, b) = tokio::join!(s.revoke_role("u1", "admin"), s.revoke_role("u2", "admin"));
    let outcomes = [a.unwrap(), b.unwrap()];
    assert_eq!(
        outcomes.iter().filter(|o| **o == Revoked::Done).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(s.role_holders("admin").await.unwrap().len(), 1);
    // Deleting the account takes its roles with it.
    let left = s.role_holders("admin").await.unwrap().remove(0);
    assert!(s.delete_user(&left, 5).await.unwrap());
    assert!(s.role_holders("admin").await.unwrap().is_empty());
}

fn session_at(id: &str, user: &str, created_at: i64, expires_at: i64) -> Session {
    Session {
        id_hash: id.into(),
        user_id: user.into(),
        auth_time: created_at,
        amr: vec!["pwd".into()],
        created_at,
        expires_at,
    }
}

async fn users_are_found_by_email_or_name_a_page_at_a_time(s: Arc<dyn Store>) {
    assert!(s.users_page(None, None, 10).await.unwrap().is_empty());
    for (id, email, name) in [
        ("u1", "carol@example.com", "Carol Tyler"),
        ("u2", "ann@example.com", "Ann 100% Real"),
        ("u3", "bob_x@example.com", "Bob"),
        ("u4", "dan@other.org", "Daniel ANNEX"),
        ("u5", "bobbx@example.com", "Bobby"),
    ] {
        let mut u = user_at(id, email);
        u.name = name.into();
        s.create_user(&u).await.unwrap();
    }
    let emails = |users: Vec<User>| users.into_iter().map(|u| u.email).collect::<Vec<_>>();
    assert_eq!(
        emails(s.users_page(None, None, 10).await.unwrap()),
        [
            "ann@example.com",
            "bob_x@example.com",
            "bobbx@example.com",
            "carol@example.com",
            "dan@other.org"
        ],
        "ordered by email"
    );
    // Email or name, ignoring case.
    assert_eq!(
        emails(s.users_page(Some("ANN"), None, 10).await.unwrap()),
        ["ann@example.com", "dan@other.org"]
    );
    // `%` and `_` are plain characters, not patterns.
    assert_eq!(
        emails(s.users_page(Some("100%"), None, 10).await.unwrap()),
        ["ann@example.com"]
    );
    assert!(
        s.users_page(Some("0%R"), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        emails(s.users_page(Some("b_x"), None, 10).await.unwrap()),
        ["bob_x@example.com"]
    );
    assert_eq!(
        emails(s.users_page(Some(""), None, 1).await.unwrap()),
        ["ann@example.com"],
        "an empty text is no filter"
    );
    // Keyset pages: an exact page, then the rest, then nothing.
    let first = s.users_page(Some("example"), None, 2).await.unwrap();
    assert_eq!(
        emails(first.clone()),
        ["ann@example.com", "bob_x@example.com"]
    );
    let after = first.last().map(|u| u.email.clone());
    let second = s
        .users_page(Some("example"), after.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!(
        emails(second.clone()),
        ["bobbx@example.com", "carol@example.com"]
    );
    let after = second.last().map(|u| u.email.clone());
    assert!(
        s.users_page(Some("example"), after.as_deref(), 2)
            .await
            .unwrap()
            .is_empty()
    );
    // A user removed meanwhile does not shift the next page.
    assert!(s.delete_user("u3", 1).await.unwrap());
    assert_eq!(
        emails(
            s.users_page(None, Some("ann@example.com"), 1)
                .await
                .unwrap()
        ),
        ["bobbx@example.com"]
    );
}

async fn disabling_a_user_ends_their_sessions_grants_and_mailed_tokens(s: Arc<dyn Store>) {
    s.create_user(&user_at("u1", "a@example.com"))
        .await
        .unwrap();
    s.create_user(&user_at("u2", "b@example.com"))
        .await
        .unwrap();
    for (id, user) in [("g1", "u1"), ("g2", "u2")] {
        s.create_grant(&grant_of(id, "web", user)).await.unwrap();
    }
    for (id, user) in [("s1", "u1"), ("s2", "u2")] {
        s.create_session(&session_at(id, user, 0, 1000))
            .await
            .unwrap();
    }
    let reset = EmailTokenKind::PasswordReset;
    s.queue_mail(&mail("m1", 0), &[token("r1", reset, "u1", 100)])
        .await
        .unwrap();
    assert!(s.set_user_disabled("u1", true, 7).await.unwrap());
    assert!(!s.set_user_disabled("nobody", true, 7).await.unwrap());
    assert_eq!(
        s.user_by_id("u1").await.unwrap().unwrap().disabled_at,
        Some(7)
    );
    assert_eq!(s.user_by_id("u2").await.unwrap().unwrap().disabled_at, None);
    assert_eq!(s.grant("g1").await.unwrap().unwrap().revoked_at, Some(7));
    assert_eq!(s.grant("g2").await.unwrap().unwrap().revoked_at, None);
    assert!(s.session("s1", 1).await.unwrap().is_none());
    assert!(s.session("s2", 1).await.unwrap().is_some());
    assert!(s.take_email_token("r1", reset, 10).await.unwrap().is_none());
    // Again: the first time stays.
    assert!(s.set_user_disabled("u1", true, 9).await.unwrap());
    assert_eq!(
        s.user_by_id("u1").await.unwrap().unwrap().disabled_at,
        Some(7)
    );
    // The config file's upsert does not enable the account.
    let mut again = user_at("ignored", "a@example.com");
    again.password_hash = "config-hash".into();
    s.upsert_user_by_email(&again).await.unwrap();
    assert_eq!(
        s.user_by_id("u1").await.unwrap().unwrap().disabled_at,
        Some(7)
    );
    // Enabling clears the mark only: what was ended stays ended.
    assert!(s.set_user_disabled("u1", false, 11).await.unwrap());
    assert_eq!(s.user_by_id("u1").await.unwrap().unwrap().disabled_at, None);
    assert_eq!(s.grant("g1").await.unwrap().unwrap().revoked_at, Some(7));
    assert!(!s.set_user_disabled("nobody", false, 11).await.unwrap());
}

async fn a_users_sessions_end_one_or_all_with_the_grants_given_from_them(s: Arc<dyn Store>) {
    s.create_user(&user_at("u1", "a@example.com"))
        .await
        .unwrap();
    s.create_user(&user_at("u2", "b@example.com"))
        .await
        .unwrap();
    for (id, user, created, expires) in [
        ("s-old", "u1", 10, 1000),
        ("s-new", "u1", 20, 1000),
        ("s-gone", "u1", 5, 50),
        ("s-other", "u2", 10, 1000),
    ] {
        s.create_session(&session_at(id, user, created, expires))
            .await
            .unwrap();
    }
    let from = |id: &str, user: &str, session: Option<&str>| Grant {
        session_id_hash: session.map(Into::into),
        ..grant_of(id, "web", user)
    };
    for g in [
        from("g-old", "u1", Some("s-old")),
        from("g-new", "u1", Some("s-new")),
        from("g-pwd", "u1", None),
        from("g-other", "u2", Some("s-other")),
    ] {
        s.create_grant(&g).await.unwrap();
    }
    let ids = |all: Vec<Session>| all.into_iter().map(|s| s.id_hash).collect::<Vec<_>>();
    assert_eq!(
        ids(s.sessions_of_user("u1", 100).await.unwrap()),
        ["s-new", "s-old"],
        "live ones, newest first"
    );
    // Another user's session is not ended through this user.
    assert!(!s.end_session_of_user("u1", "s-other", 100).await.unwrap());
    assert!(s.session("s-other", 100).await.unwrap().is_some());
    assert_eq!(s.grant("g-other").await.unwrap().unwrap().revoked_at, None);
    // One: its grants go with it, the others stay.
    assert!(s.end_session_of_user("u1", "s-old", 100).await.unwrap());
    assert!(!s.end_session_of_user("u1", "s-old", 101).await.unwrap());
    assert_eq!(
        s.grant("g-old").await.unwrap().unwrap().revoked_at,
        Some(100)
    );
    assert_eq!(s.grant("g-new").await.unwrap().unwrap().revoked_at, None);
    assert_eq!(ids(s.sessions_of_user("u1", 100).await.unwrap()), ["s-new"]);
    // All (the expired row too); a grant given without a session stays.
    assert_eq!(s.end_sessions_of_user("u1", 200).await.unwrap(), 2);
    assert!(s.sessions_of_user("u1", 0).await.unwrap().is_empty());
    assert_eq!(
        s.grant("g-new").await.unwrap().unwrap().revoked_at,
        Some(200)
    );
    assert_eq!(s.grant("g-pwd").await.unwrap().unwrap().revoked_at, None);
    assert_eq!(s.grant("g-other").await.unwrap().unwrap().revoked_at, None);
    assert_eq!(
        ids(s.sessions_of_user("u2", 100).await.unwrap()),
        ["s-other"]
    );
    assert_eq!(s.end_sessions_of_user("u1", 300).await.unwrap(), 0);
}

async fn a_users_live_grants_are_listed_newest_first_and_revoked_together(s: Arc<dyn Store>) {
    let at = |id: &str, user: &str, created_at: i64| Grant {
        created_at,
        ..grant_of(id, "web", user)
    };
    for g in [
        at("g-a", "u1", 10),
        at("g-c", "u1", 30),
        at("g-b", "u1", 30),
        at("g-dead", "u1", 40),
        at("g-other", "u2", 50),
    ] {
        s.create_grant(&g).await.unwrap();
    }
    s.revoke_grant("g-dead", 45).await.unwrap();
    let ids = |all: Vec<Grant>| all.into_iter().map(|g| g.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.grants_of_user("u1").await.unwrap()),
        ["g-b", "g-c", "g-a"],
        "live ones, newest first, ties by id"
    );
    assert_eq!(s.revoke_grants_of_user("u1", 60).await.unwrap(), 3);
    assert!(s.grants_of_user("u1").await.unwrap().is_empty());
    assert_eq!(
        s.grant("g-dead").await.unwrap().unwrap().revoked_at,
        Some(45)
    );
    assert_eq!(s.grant("g-a").await.unwrap().unwrap().revoked_at, Some(60));
    assert_eq!(ids(s.grants_of_user("u2").await.unwrap()), ["g-other"]);
    assert_eq!(s.revoke_grants_of_user("u1", 70).await.unwrap(), 0);
}

async fn erasing_a_user_drops_their_unsent_mail_and_keeps_only_their_id_in_the_audit_log(
    s: Arc<dyn Store>,
) {
    use portico_core::services::audit::{Filter, Record};
    s.create_user(&user_at("u1", "a@example.com"))
        .await
        .unwrap();
    s.create_user(&user_at("u2", "b@example.com"))
        .await
        .unwrap();
    let to_b = OutboxMail {
        recipient: "b@example.com".into(),
        ..mail("m-b", 5)
    };
    // Only the first is due at 0: it is the one sent.
    for m in [mail("m-sent", 0), mail("m-unsent", 5), to_b] {
        s.queue_mail(&m, &[]).await.unwrap();
    }
    let claimed = s.claim_mail(0, 60, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    s.mail_sent("m-sent", 1).await.unwrap();
    let rec = |user: &str, detail: &str| Record {
        id: 0,
        at: 5,
        event: "email.changed".into(),
        user_id: Some(user.into()),
        client_id: Some("web".into()),
        ip: Some("192.0.2.1".into()),
        detail: detail.into(),
        actor: Some("cli".into()),
    };
    s.append_audit(&rec("u1", "undone: old@example.com -> a@example.com"))
        .await
        .unwrap();
    s.append_audit(&rec("u2", "kept")).await.unwrap();
    assert!(s.delete_user("u1", 10).await.unwrap());
    assert!(!s.delete_user("u1", 11).await.unwrap());
    let log = |user: &str| {
        let s = s.clone();
        let user = user.to_owned();
        async move {
            s.audit_log(&Filter {
                user_id: Some(user),
                limit: 10,
                ..Filter::default()
            })
            .await
            .unwrap()
        }
    };
    let erased = log("u1").await;
    assert_eq!(erased.len(), 1, "the entry stays, with the id");
    assert_eq!(
        (erased[0].detail.as_str(), erased[0].ip.as_deref()),
        ("", None)
    );
    assert_eq!(erased[0].event, "email.changed");
    let kept = log("u2").await;
    assert_eq!(
        (kept[0].detail.as_str(), kept[0].ip.as_deref()),
        ("kept", Some("192.0.2.1"))
    );
    // The unsent mail to the address is gone; the other address's and the
    // sent one stay (the sent row is what the sweep deletes).
    let left: Vec<String> = s
        .claim_mail(100, 200, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(left, ["m-b"]);
}

async fn a_new_client_id_is_inserted_once(s: Arc<dyn Store>) {
    let s1 = s.clone();
    let wins = winners(8, move || {
        let s = s1.clone();
        async move { s.insert_client(&client("fresh")).await.unwrap() }
    })
    .await;
    assert_eq!(wins, 1);
    let mut other = client("fresh");
    other.name = "Someone else's".into();
    assert!(!s.insert_client(&other).await.unwrap(), "taken");
    assert_eq!(s.client("fresh").await.unwrap().unwrap().name, "FRESH");
}
