//! Issue 17 over HTTP: mail through a real SMTP server on 127.0.0.1 (the
//! sink in `common::smtp`), password reset end to end, the same answers
//! for known and unknown addresses, retries, restarts and two instances.

use crate::common::smtp::SmtpSink;
use crate::common::*;
use crate::on_both_backends;
use portico_core::model::OutboxMail;
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    a_forgotten_password_is_reset_through_the_mailed_link,
    known_and_unknown_addresses_get_identical_answers,
    a_refused_mail_is_retried_until_the_relay_takes_it,
    queued_mail_survives_a_restart_and_goes_out_once,
    two_instances_deliver_each_mail_once,
    without_email_there_is_no_reset_and_no_link,
    sign_up_answers_the_same_for_a_free_and_a_taken_address,
    a_new_account_verifies_with_the_mailed_code_and_the_app_gets_its_code,
    required_verification_holds_the_request_until_the_code,
    the_mailed_link_verifies_in_one_click,
    the_demo_mailbox_receives_what_would_be_mailed,
    an_address_change_is_confirmed_from_the_new_address_and_undone_from_the_old,
    with_optional_verification_the_app_gets_its_answer_and_the_address_is_verified_later,
);

const WAIT: Duration = Duration::from_secs(15);

async fn ask_reset(s: &TestServer, email: &str) -> reqwest::Response {
    s.ui_post("/api/ui/password-reset", json!({ "email": email }))
        .await
}

async fn a_forgotten_password_is_reset_through_the_mailed_link(db: Db) {
    let sink = SmtpSink::start().await;
    let s = start_with(db, &sink.config()).await;
    let theme = s.get_json("/api/ui/theme").await;
    assert_eq!(theme["password_reset"], true, "the link is offered");
    let old_session = s.sign_in().await;
    let r = ask_reset(&s, "Alice@Example.com").await;
    assert_eq!(r.status(), 200);
    let mails = sink.wait_for(1, WAIT).await;
    let m = &mails[0];
    assert_eq!(m.rcpt_to, [EMAIL]);
    assert!(m.header("From").unwrap().contains("no-reply@acme.example"));
    assert!(m.header("Message-ID").is_some());
    assert!(
        m.html().contains("<a href=\""),
        "an HTML part with the button"
    );
    let link = m.link(&format!("{}/reset-password?token=", s.issuer));
    let token = link
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();

    let r = s
        .ui_post(
            "/api/ui/password-reset/complete",
            json!({ "token": token, "password": "a brand new password" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let next: Value = r.json().await.unwrap();
    assert_eq!(next["redirect_to"], "/login");
    // The old session is over; the old password is refused, the new works.
    let r = s
        .http
        .get(s.url("/api/ui/session"))
        .header("cookie", &old_session)
        .send()
        .await
        .unwrap();
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["signed_in"], false);
    let old = s
        .ui_post(
            "/api/ui/login",
            json!({ "email": EMAIL, "password": PASSWORD }),
        )
        .await;
    assert_eq!(old.status(), 401);
    let new = s
        .ui_post(
            "/api/ui/login",
            json!({ "email": EMAIL, "password": "a brand new password" }),
        )
        .await;
    assert_eq!(new.status(), 200);
    // Single use.
    let again = s
        .ui_post(
            "/api/ui/password-reset/complete",
            json!({ "token": token, "password": "yet another password" }),
        )
        .await;
    assert_eq!(again.status(), 400);
    let e: Value = again.json().await.unwrap();
    assert_eq!(e["error"], "invalid_link");
    // And the owner is told.
    let mails = sink.wait_for(2, WAIT).await;
    assert!(
        mails[1].text().contains("was just changed"),
        "{}",
        mails[1].text()
    );
}

async fn known_and_unknown_addresses_get_identical_answers(db: Db) {
    let sink = SmtpSink::start().await;
    let s = start_with(db, &sink.config()).await;
    let mut answers = Vec::new();
    for email in [EMAIL, "nobody@example.com"] {
        let r = ask_reset(&s, email).await;
        let status = r.status();
        let mut headers: Vec<(String, String)> = r
            .headers()
            .iter()
            // The time and the request's own id (a counter, the same
            // whatever the address) differ between any two answers.
            .filter(|(k, _)| *k != "date" && *k != "x-request-id")
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        headers.sort();
        answers.push((status, headers, r.text().await.unwrap()));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, 200);
    let mails = sink.wait_for(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sink.received().len(),
        1,
        "only the known address got a mail"
    );
    assert_eq!(mails[0].rcpt_to, [EMAIL]);
}

async fn a_refused_mail_is_retried_until_the_relay_takes_it(db: Db) {
    let sink = SmtpSink::start().await;
    sink.refuse_next(1);
    let s = start_with(db, &sink.config()).await;
    s.clock.freeze();
    assert_eq!(ask_reset(&s, EMAIL).await.status(), 200);
    // The first try got 451: the mail waits 30 s (on Portico's clock).
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(sink.received().is_empty());
    let store = &s.running.state.provider.store;
    assert_eq!(store.outbox_depth().await.unwrap(), 1);
    s.clock.advance(31);
    let mails = sink.wait_for(1, WAIT).await;
    assert_eq!(mails[0].rcpt_to, [EMAIL]);
    assert_eq!(store.outbox_depth().await.unwrap(), 0);
}

async fn queued_mail_survives_a_restart_and_goes_out_once(db: Db) {
    // The first instance's relay is down (nothing listens on its port).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = closed.local_addr().unwrap().port();
    drop(closed);
    let dead = format!(
        "[email]\nsmtp_url = \"smtp://127.0.0.1:{dead_port}\"\nfrom = \"Acme <no-reply@acme.example>\"\n"
    );
    let first = start_with(db, &dead).await;
    assert_eq!(ask_reset(&first, EMAIL).await.status(), 200);
    let url = first.database_url.clone();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        first
            .running
            .state
            .provider
            .store
            .outbox_depth()
            .await
            .unwrap(),
        1
    );
    // The process goes away without a word; a new one starts with a relay.
    first.running.task.abort();
    let sink = SmtpSink::start().await;
    let second = start_instance_with(&url, &first.issuer, &sink.config()).await;
    second.clock.advance(3600);
    let mails = sink.wait_for(1, WAIT).await;
    assert_eq!(mails[0].rcpt_to, [EMAIL]);
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(sink.received().len(), 1, "exactly once");
    drop(first);
}

async fn two_instances_deliver_each_mail_once(db: Db) {
    let sink = SmtpSink::start().await;
    let (url, _guard) = fresh_database(db).await;
    let issuer = "http://127.0.0.1:1";
    let a = start_instance_with(&url, issuer, &sink.config()).await;
    let b = start_instance_with(&url, issuer, &sink.config()).await;
    let now = a.running.state.provider.now();
    for i in 0..40 {
        let m = OutboxMail {
            id: format!("mail-{i:02}"),
            recipient: format!("user{i}@example.com"),
            subject: format!("Mail {i}"),
            text: format!("Text {i}"),
            html: format!("<p>Html {i}</p>"),
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
        };
        a.running
            .state
            .provider
            .store
            .queue_mail(&m, &[])
            .await
            .unwrap();
    }
    a.running.state.provider.mail_queued.notify_one();
    b.running.state.provider.mail_queued.notify_one();
    sink.wait_for(40, WAIT).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut ids: Vec<String> = sink
        .received()
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    assert_eq!(ids.len(), 40, "no mail twice");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40);
}

async fn without_email_there_is_no_reset_and_no_link(db: Db) {
    let s = start(db).await;
    let theme = s.get_json("/api/ui/theme").await;
    assert_eq!(theme["password_reset"], false);
    let r = ask_reset(&s, EMAIL).await;
    assert_eq!(r.status(), 404);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "email_off");
}

/// An entrypoint that requires verified addresses.
const STRICT: &str = r#"
[[entrypoints]]
id = "strict"
display_name = "Strict Shop"
email_verification = "required"
"#;

/// A pending authorization request of `web` (scope `openid email`, plus
/// `extra_scope`), answered with `x_method`'s screen; returns its id.
async fn pending(s: &TestServer, x_method: &str, extra_scope: &str) -> String {
    let scope = format!("openid email{extra_scope}");
    let r = s
        .authorize(
            &[
                ("client_id", "web"),
                ("redirect_uri", CB),
                ("response_type", "code"),
                ("scope", &scope),
                ("state", "st"),
                ("nonce", "n"),
                ("x_method", x_method),
            ],
            None,
        )
        .await;
    let to = location(r.headers());
    to.split("request=").nth(1).unwrap().to_owned()
}

async fn sign_up(s: &TestServer, request: &str, email: &str) -> reqwest::Response {
    s.ui_post(
        "/api/ui/sign-up",
        json!({ "request": request, "name": "Bob", "email": email, "password": "long enough pw" }),
    )
    .await
}

/// Bob signs in (with the password he signed up with) within `request`.
async fn sign_in_bob(s: &TestServer, request: &str) -> reqwest::Response {
    s.ui_post(
        "/api/ui/login",
        json!({ "request": request, "email": "bob@example.com", "password": "long enough pw" }),
    )
    .await
}

/// The 6-digit code of a verification mail.
fn code_of(m: &crate::common::smtp::Received) -> String {
    m.text()
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in {}", m.text()))
        .to_owned()
}

async fn verify(s: &TestServer, body: Value) -> reqwest::Response {
    s.ui_post("/api/ui/verify-email", body).await
}

async fn sign_up_answers_the_same_for_a_free_and_a_taken_address(db: Db) {
    let sink = SmtpSink::start().await;
    let s = start_with(db, &sink.config()).await;
    let request = pending(&s, "sign_up", "").await;
    let mut answers = Vec::new();
    // Two addresses of one length: the answers may differ in nothing.
    for email in ["carol@example.com", EMAIL] {
        let r = sign_up(&s, &request, email).await;
        let status = r.status();
        let mut headers: Vec<(String, String)> = r
            .headers()
            .iter()
            // The time and the request's own id (a counter, the same
            // whatever the address) differ between any two answers.
            .filter(|(k, _)| *k != "date" && *k != "x-request-id")
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        headers.sort();
        let encoded: String = url::form_urlencoded::byte_serialize(email.as_bytes()).collect();
        let body = r.text().await.unwrap().replace(&encoded, "EMAIL");
        answers.push((status, headers, body));
    }
    assert_eq!(
        answers[0], answers[1],
        "a taken address answers like a free one"
    );
    assert_eq!(answers[0].0, 200);
    assert!(
        answers[0].1.iter().all(|(k, _)| k != "set-cookie"),
        "no session either way"
    );
    assert!(
        answers[0].2.contains("/verify-email?request="),
        "{}",
        answers[0].2
    );
    let mails = sink.wait_for(2, WAIT).await;
    let to_carol = mails
        .iter()
        .find(|m| m.rcpt_to == ["carol@example.com"])
        .unwrap();
    code_of(to_carol);
    let to_alice = mails.iter().find(|m| m.rcpt_to == [EMAIL]).unwrap();
    assert!(
        to_alice.text().contains("already has one"),
        "{}",
        to_alice.text()
    );
    to_alice.link(&format!("{}/reset-password?token=", s.issuer));
}

async fn a_new_account_verifies_with_the_mailed_code_and_the_app_gets_its_code(db: Db) {
    let sink = SmtpSink::start().await;
    let s = start_with(db, &sink.config()).await;
    let request = pending(&s, "sign_up", "").await;
    assert_eq!(sign_up(&s, &request, "bob@example.com").await.status(), 200);
    let code = code_of(&sink.wait_for(1, WAIT).await[0]);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = verify(
        &s,
        json!({ "request": request, "email": "bob@example.com", "code": wrong }),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "invalid_verification_code"
    );
    let r = verify(
        &s,
        json!({ "request": request, "email": "bob@example.com", "code": code }),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(
        session_cookie(r.headers()).is_some(),
        "signed in by the code"
    );
    let next: Value = r.json().await.unwrap();
    let to = next["redirect_to"].as_str().unwrap();
    assert!(to.starts_with(CB), "{to}");
    let code = query_of(to)["code"].clone();
    let t: Value = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
            ],
            Some(("web", WEB_SECRET)),
        )
        .await
        .json()
        .await
        .unwrap();
    let info: Value = s
        .userinfo(t["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["email"], "bob@example.com");
    assert_eq!(info["email_verified"], true);
}

async fn required_verification_holds_the_request_until_the_code(db: Db) {
    let sink = SmtpSink::start().await;
    let s = start_with(db, &format!("{}{STRICT}", sink.config())).await;
    let request = pending(&s, "sign_up", " strict").await;
    assert_eq!(sign_up(&s, &request, "bob@example.com").await.status(), 200);
    sink.wait_for(1, WAIT).await;
    // Signing in with the right password still leads to the code.
    let r = sign_in_bob(&s, &request).await;
    assert_eq!(r.status(), 200);
    assert!(
        session_cookie(r.headers()).is_none(),
        "no session before the code"
    );
    let next: Value = r.json().await.unwrap();
    assert!(
        next["redirect_to"]
            .as_str()
            .unwrap()
            .starts_with("/verify-email?request=")
    );
    let mails = sink.wait_for(2, WAIT).await;
    let first = code_of(&mails[0]);
    let latest = code_of(&mails[1]);
    if first != latest {
        let r = verify(
            &s,
            json!({ "request": request, "email": "bob@example.com", "code": first }),
        )
        .await;
        assert_eq!(r.status(), 400, "a newer code replaces the older one");
    }
    let r = verify(
        &s,
        json!({ "request": request, "email": "bob@example.com", "code": latest }),
    )
    .await;
    assert_eq!(r.status(), 200);
    let next: Value = r.json().await.unwrap();
    assert!(
        next["redirect_to"].as_str().unwrap().starts_with(CB),
        "{next}"
    );
}

async fn the_mailed_link_verifies_in_one_click(db: Db) {
    let sink = SmtpSink::start().await;
    let s = start_with(db, &format!("{}{STRICT}", sink.config())).await;
    let request = pending(&s, "sign_up", " strict").await;
    assert_eq!(sign_up(&s, &request, "bob@example.com").await.status(), 200);
    let m = &sink.wait_for(1, WAIT).await[0];
    let link = m.link(&format!("{}/verify-email?token=", s.issuer));
    let token = link
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let r = verify(&s, json!({ "token": token })).await;
    assert_eq!(r.status(), 200);
    let next: Value = r.json().await.unwrap();
    assert_eq!(next["redirect_to"], format!("/login?request={request}"));
    // Verified: signing in now completes the request at once.
    let r = sign_in_bob(&s, &request).await;
    let next: Value = r.json().await.unwrap();
    assert!(
        next["redirect_to"].as_str().unwrap().starts_with(CB),
        "{next}"
    );
    let again = verify(&s, json!({ "token": token })).await;
    assert_eq!(again.status(), 400);
}

async fn the_demo_mailbox_receives_what_would_be_mailed(db: Db) {
    let s = start_demo(db).await;
    let (email, _) = portico_server::demo_credentials();
    let theme = s.get_json("/api/ui/theme").await;
    assert_eq!(theme["password_reset"], true, "the demo offers every flow");
    assert_eq!(ask_reset(&s, email).await.status(), 200);
    let prefix = format!("{}/reset-password?token=", s.issuer);
    let deadline = tokio::time::Instant::now() + WAIT;
    let page = loop {
        let page = s
            .http
            .get(s.url(portico_server::DEMO_MAILBOX_PATH))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if page.contains(&prefix) || tokio::time::Instant::now() > deadline {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(page.contains(email), "{page}");
    let at = page
        .find(&prefix)
        .unwrap_or_else(|| panic!("no link in {page}"));
    let token: String = page[at + prefix.len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let r = s
        .ui_post(
            "/api/ui/password-reset/complete",
            json!({ "token": token, "password": "a brand new password" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    // Without --demo there is no mailbox.
    let plain = start(db).await;
    let r = plain
        .http
        .get(plain.url(portico_server::DEMO_MAILBOX_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn an_address_change_is_confirmed_from_the_new_address_and_undone_from_the_old(db: Db) {
    let sink = SmtpSink::start().await;
    let s = start_with(db, &sink.config()).await;
    let cookie = s.sign_in().await;
    let anonymous = s
        .ui_post(
            "/api/ui/email-change",
            json!({ "new_email": "alice@new.example" }),
        )
        .await;
    assert_eq!(anonymous.status(), 401, "signed in only");
    let r = s
        .ui_post_with_cookie(
            "/api/ui/email-change",
            json!({ "new_email": "Alice@New.example" }),
            &cookie,
        )
        .await;
    assert_eq!(r.status(), 200);
    let m = &sink.wait_for(1, WAIT).await[0];
    assert_eq!(m.rcpt_to, ["alice@new.example"]);
    let code = code_of(m);
    let r = s
        .ui_post_with_cookie(
            "/api/ui/email-change/confirm",
            json!({ "code": code }),
            &cookie,
        )
        .await;
    assert_eq!(r.status(), 200);
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["email"], "alice@new.example");
    // The old address is told, with the way back.
    let mails = sink.wait_for(2, WAIT).await;
    let notice = &mails[1];
    assert_eq!(notice.rcpt_to, [EMAIL]);
    assert!(notice.text().contains("alice@new.example"));
    let link = notice.link(&format!("{}/email-change/undo?token=", s.issuer));
    let token = link
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let new_login = s
        .ui_post(
            "/api/ui/login",
            json!({ "email": "alice@new.example", "password": PASSWORD }),
        )
        .await;
    assert_eq!(new_login.status(), 200);
    let r = s
        .ui_post("/api/ui/email-change/undo", json!({ "token": token }))
        .await;
    assert_eq!(r.status(), 200);
    let next: Value = r.json().await.unwrap();
    assert_eq!(next["redirect_to"], "/login");
    let info: Value = s
        .http
        .get(s.url("/api/ui/session"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["signed_in"], false, "every session ended");
    let back = s
        .ui_post(
            "/api/ui/login",
            json!({ "email": EMAIL, "password": PASSWORD }),
        )
        .await;
    assert_eq!(back.status(), 200, "the old address works again");
}

async fn with_optional_verification_the_app_gets_its_answer_and_the_address_is_verified_later(
    db: Db,
) {
    let sink = SmtpSink::start().await;
    let s = start_with(db, &sink.config()).await;
    let request = pending(&s, "sign_up", "").await;
    assert_eq!(sign_up(&s, &request, "bob@example.com").await.status(), 200);
    sink.wait_for(1, WAIT).await;
    // "Verify later and sign in": the request completes unverified.
    let r = sign_in_bob(&s, &request).await;
    let cookie = session_cookie(r.headers()).expect("signed in without the code");
    let next: Value = r.json().await.unwrap();
    assert!(
        next["redirect_to"].as_str().unwrap().starts_with(CB),
        "{next}"
    );
    let session = |cookie: String| {
        let s = &s;
        async move {
            s.http
                .get(s.url("/api/ui/session"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(session(cookie.clone()).await["email_verified"], false);
    // Later, from the account page: a new code.
    let r = s
        .ui_post_with_cookie("/api/ui/verify-email/resend", json!({}), &cookie)
        .await;
    assert_eq!(r.status(), 200);
    let mails = sink.wait_for(2, WAIT).await;
    let code = code_of(&mails[1]);
    let r = verify(&s, json!({ "email": "bob@example.com", "code": code })).await;
    assert_eq!(r.status(), 200);
    let cookie = session_cookie(r.headers()).unwrap();
    let next: Value = r.json().await.unwrap();
    assert_eq!(next["redirect_to"], "/");
    assert_eq!(session(cookie).await["email_verified"], true);
}
