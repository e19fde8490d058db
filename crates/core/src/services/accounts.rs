//! Sign-in, sign-up and SSO sessions.

use crate::infra::metrics::SignInResult;
use crate::infra::password;
use crate::infra::provider::Provider;
use crate::infra::store::StoreError;
use crate::model::UnixTime;
use crate::model::{Session, User};
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::secret::{Secret, lookup_hash};
use crate::services::audit::{self, Event};
use crate::services::lockout;
use crate::services::mail;
use crate::services::verification::{check_email_page, send_code};
use portico_api_types::{EmailVerification, FieldRule, SignUpFields};

/// Why a sign-in or sign-up did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountError {
    /// Wrong email or password; deliberately does not say which.
    InvalidCredentials,
    /// Form fields that need fixing.
    Invalid(Vec<Problem>),
    EmailTaken,
    /// Too many failures: no password is checked for this many seconds.
    Locked(i64),
    /// The entrypoint behind the request does not offer sign-up.
    SignUpNotOffered,
    /// Sign-up without a live authorization request: there is no
    /// entrypoint whose rules could apply.
    RequestRequired,
    Server(OAuthError),
}

impl From<OAuthError> for AccountError {
    fn from(e: OAuthError) -> Self {
        Self::Server(e)
    }
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        Self::Server(e.into())
    }
}

pub use crate::model::normalize_email;

/// One form field that needs fixing: which, a stable code the UI
/// translates, and the English sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

fn problem(field: &'static str, code: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        field,
        code,
        message: message.into(),
    }
}

pub fn validate_email(email: &str) -> Option<Problem> {
    let e = email.trim();
    if e.is_empty() {
        return Some(problem(
            "email",
            "email_missing",
            "Enter your email address.",
        ));
    }
    let valid = e.len() <= 254
        // Control characters too: no address has one, and PostgreSQL
        // refuses a NUL in text.
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && e.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty() && !d.contains('@'));
    (!valid).then(|| {
        problem(
            "email",
            "email_invalid",
            "Enter an email address like name@example.com.",
        )
    })
}

pub const MIN_PASSWORD_LEN: usize = 8;
pub const MAX_PASSWORD_LEN: usize = 1024;

pub fn validate_password(pw: &str) -> Option<Problem> {
    let n = pw.chars().count();
    if n < MIN_PASSWORD_LEN {
        Some(problem(
            "password",
            "password_too_short",
            format!("Use at least {MIN_PASSWORD_LEN} characters."),
        ))
    } else if pw.len() > MAX_PASSWORD_LEN {
        Some(problem(
            "password",
            "password_too_long",
            format!("Use at most {MAX_PASSWORD_LEN} characters."),
        ))
    } else {
        None
    }
}

pub fn validate_name(name: &str) -> Option<Problem> {
    let n = name.trim();
    if n.is_empty() {
        Some(problem("name", "name_missing", "Enter your name."))
    } else if n.chars().count() > 100 {
        Some(problem(
            "name",
            "name_too_long",
            "Use at most 100 characters.",
        ))
    } else {
        None
    }
}

/// A phone number as people type it: spaces, dots, dashes and brackets
/// are dropped; what is left is an optional `+` and 7 to 15 digits (the
/// E.164 maximum).
pub fn normalize_phone(typed: &str) -> Option<String> {
    let kept: String = typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let digits = kept.strip_prefix('+').unwrap_or(&kept);
    let ok = (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(kept)
}

/// A birthdate as `YYYY-MM-DD` (what `<input type=date>` sends and the
/// OIDC claim uses): a real day, not after `today`, not before 1900.
pub fn validate_birthdate(typed: &str, today: time::Date) -> Result<time::Date, Problem> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(typed.trim(), format).map_err(|_| {
        problem(
            "birthdate",
            "birthdate_invalid",
            "Enter your date of birth as year, month and day.",
        )
    })?;
    if date > today || date.year() < 1900 {
        return Err(problem(
            "birthdate",
            "birthdate_out_of_range",
            "Enter your real date of birth.",
        ));
    }
    Ok(date)
}

/// What the sign-up form sent.
pub struct NewAccount<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password: Secret,
    pub phone_number: Option<&'a str>,
    pub birthdate: Option<&'a str>,
    pub accept_terms: bool,
}

/// The fields the entrypoint asks for, checked: (name, phone, birthdate).
fn check_new_account(
    form: &NewAccount<'_>,
    rules: &SignUpFields,
    today: time::Date,
) -> Result<(String, Option<String>, Option<String>), Vec<Problem>> {
    let mut problems = Vec::new();
    let given = |v: Option<&str>| {
        v.map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let name = match rules.name {
        FieldRule::Off => String::new(),
        FieldRule::Optional if form.name.trim().is_empty() => String::new(),
        _ => {
            if let Some(m) = validate_name(form.name) {
                problems.push(m);
            }
            form.name.trim().to_owned()
        }
    };
    if let Some(m) = validate_email(form.email) {
        problems.push(m);
    }
    if let Some(m) = validate_password(form.password.expose()) {
        problems.push(m);
    }
    let mut phone = None;
    if rules.phone.shown() {
        match given(form.phone_number) {
            None if rules.phone == FieldRule::Required => problems.push(problem(
                "phone_number",
                "phone_missing",
                "Enter your phone number.",
            )),
            None => {}
            Some(v) => match normalize_phone(&v) {
                Some(n) => phone = Some(n),
                None => problems.push(problem(
                    "phone_number",
                    "phone_invalid",
                    "Enter a phone number with its country code, like +34 600 123 456.",
                )),
            },
        }
    }
    let mut birthdate = None;
    if rules.birthdate.shown() {
        match given(form.birthdate) {
            None if rules.birthdate == FieldRule::Required => problems.push(problem(
                "birthdate",
                "birthdate_missing",
                "Enter your date of birth.",
            )),
            None => {}
            Some(v) => match validate_birthdate(&v, today) {
                Ok(d) => birthdate = Some(d.to_string()),
                Err(m) => problems.push(m),
            },
        }
    }
    if rules.terms_url.is_some() && !form.accept_terms {
        problems.push(problem(
            "accept_terms",
            "terms_required",
            "Accept the terms to create your account.",
        ));
    }
    if problems.is_empty() {
        Ok((name, phone, birthdate))
    } else {
        Err(problems)
    }
}

pub use crate::services::standing::{Unusable, usable, usable_id};

impl From<Unusable> for AccountError {
    /// A disabled account is answered exactly as a wrong password.
    fn from(_: Unusable) -> Self {
        Self::InvalidCredentials
    }
}

/// Check an email and password. Unknown emails cost the same argon2 work as
/// wrong passwords, and get the same answer.
///
/// Failures are counted per account and per client address (`from`), and
/// past an allowance they lock both ([`crate::services::lockout`]): a locked attempt
/// is refused before any password is checked, with the wait. Unknown
/// emails lock the same way, so a lock reveals nothing.
/// The method label of password sign-ins ([`crate::infra::metrics`]).
const PASSWORD: &str = "password";

pub async fn login(
    p: &Provider,
    email: &str,
    password: Secret,
    from: Option<std::net::IpAddr>,
) -> Result<User, AccountError> {
    if email.trim().is_empty()
        || password.expose().is_empty()
        || password.expose().len() > MAX_PASSWORD_LEN
    {
        return Err(AccountError::InvalidCredentials);
    }
    let keys = lockout::login(email, from);
    // Counted before the password is checked, so a burst of guesses gets
    // no more checks than the policy allows ([`lockout::begin`]).
    let attempt = match lockout::begin(p, keys).await? {
        lockout::Begin::Go(a) => a,
        lockout::Begin::Locked(wait) => {
            // One aggregated audit entry per address, not one per attempt.
            p.refusals.count(Event::LoginFailed, from);
            p.metrics.sign_in(PASSWORD, SignInResult::Locked);
            return Err(AccountError::Locked(wait));
        }
    };
    let user = p.store.user_by_email(&normalize_email(email)).await?;
    let phc = user.as_ref().map_or_else(
        || password::DUMMY_HASH.to_owned(),
        |u| u.password_hash.clone(),
    );
    let ok = match password::verify(password, phc).await {
        Ok(ok) => ok,
        Err(e) => {
            // Not checked (the hashers are busy): not a failure either.
            attempt.abandon(p).await?;
            return Err(e.into());
        }
    };
    // A disabled account counts as a wrong password, lockout included:
    // the same answer, the same cost.
    let usable_account = user.as_ref().is_some_and(|u| usable(u).is_ok());
    match user {
        Some(u) if ok && usable_account => match attempt.succeeded(p).await? {
            Ok(()) => {
                audit::record(p, Event::LoginSucceeded.entry().user(&u.id).ip(from)).await?;
                p.metrics.sign_in(PASSWORD, SignInResult::Succeeded);
                Ok(u)
            }
            Err(wait) => {
                // Right, but guesses that began after it locked the
                // account while it was being checked: the lock wins.
                let e = Event::LoginFailed
                    .entry()
                    .user(&u.id)
                    .ip(from)
                    .detail("right password refused: locked while it was checked");
                audit::record(p, e).await?;
                p.metrics.sign_in(PASSWORD, SignInResult::Locked);
                Err(AccountError::Locked(wait))
            }
        },
        _ => {
            let locked = attempt.failed(p).await?;
            // Accounts by id only: what was typed (perhaps a password in
            // the email field) never reaches the log.
            let failed = match &user {
                Some(u) if ok => Event::LoginFailed
                    .entry()
                    .user(&u.id)
                    .detail("account disabled"),
                Some(u) => Event::LoginFailed
                    .entry()
                    .user(&u.id)
                    .detail("wrong password"),
                None => Event::LoginFailed.entry().detail("unknown account"),
            };
            audit::record(p, failed.clone().ip(from)).await?;
            p.metrics.sign_in(PASSWORD, SignInResult::Failed);
            match locked {
                Some(wait) => {
                    let mut e = Event::LockedOut
                        .entry()
                        .ip(from)
                        .detail(format!("sign-in locked for {wait} s"));
                    e.user_id = failed.user_id;
                    audit::record(p, e).await?;
                    p.metrics.lockout("sign_in");
                    Err(AccountError::Locked(wait))
                }
                None => Err(AccountError::InvalidCredentials),
            }
        }
    }
}

/// The operator provisions an email that somebody registered by sign-up.
/// Whoever signed up may not own the address (sign-up does not verify it
/// yet), so the provisioned person must not inherit that account: it is
/// removed first (every grant revoked, so its tokens die; its sessions and
/// consents deleted) and audited, and the caller creates a fresh account
/// with a new `sub`. Provisioned accounts are left alone.
pub async fn reclaim_self_registered(p: &Provider, existing: &User) -> Result<bool> {
    if !existing.self_registered {
        return Ok(false);
    }
    p.store.delete_user(&existing.id, p.now()).await?;
    tracing::warn!(
        user_id = %existing.id,
        "a self-registered account had a provisioned email: removed, its sessions and grants revoked"
    );
    let e = Event::AccountReplaced
        .entry()
        .user(&existing.id)
        .detail("self-registered account removed: its email was provisioned by the operator");
    audit::record(p, e).await?;
    Ok(true)
}

/// Hash a password with a fresh salt.
pub async fn hash_password(p: &Provider, password: Secret) -> Result<String> {
    let mut salt = [0u8; 16];
    p.random.fill(&mut salt)?;
    password::hash(password, salt).await
}

/// Register a new user through the entrypoint behind `request`, a live
/// authorization request: the entrypoint must offer sign-up, and decides
/// which fields the form must carry. Without a live request there are no
/// rules to apply, so there is no sign-up.
///
/// Attempts are counted per address ([`lockout::sign_up`]), and a taken
/// address costs the same password hash as a free one, so sign-up is
/// neither a fast nor a timing oracle for which addresses have accounts.
pub async fn sign_up(
    p: &Provider,
    request: Option<&str>,
    form: NewAccount<'_>,
    from: Option<std::net::IpAddr>,
    accept_language: Option<&str>,
) -> Result<SignedUp, AccountError> {
    let Some(request) = request else {
        return Err(AccountError::RequestRequired);
    };
    let Some(req) = p.store.auth_request(request, p.now()).await? else {
        return Err(AccountError::RequestRequired);
    };
    let entrypoint = crate::services::entrypoint::find_or_default(p, &req.entrypoint).await?;
    if !entrypoint.offers(portico_api_types::XMethod::SignUp) {
        return Err(AccountError::SignUpNotOffered);
    }
    let rules = &entrypoint.sign_up;
    let today = time::OffsetDateTime::from_unix_timestamp(p.now())
        .map_err(|_| OAuthError::server_error("the clock is out of range"))?
        .date();
    let (name, phone_number, birthdate) =
        check_new_account(&form, rules, today).map_err(AccountError::Invalid)?;
    let (email, password) = (form.email, form.password);
    let email = normalize_email(email);
    match lockout::begin(p, lockout::sign_up(from)).await? {
        lockout::Begin::Go(attempt) => attempt.keep(),
        lockout::Begin::Locked(wait) => {
            p.refusals.count(Event::SignedUp, from);
            return Err(AccountError::Locked(wait));
        }
    }
    // Hashed before the address is looked up: taken and free cost the same.
    let password_hash = hash_password(p, password).await?;
    let verify = entrypoint.verification(p.config.mail) != EmailVerification::Off;
    let page = check_email_page(Some(request), &email);
    let check_email = move || SignedUp::CheckEmail(page);
    if let Some(owner) = p.store.user_by_email(&email).await? {
        if !verify {
            return Err(AccountError::EmailTaken);
        }
        // The same answer as for a free address; the owner is told, with
        // a way back in if it was them (within the recipient's allowance of
        // mail, so sign-up cannot flood an inbox).
        if let lockout::Begin::Go(attempt) =
            lockout::begin(p, lockout::mail(&owner.email, from)).await?
        {
            attempt.keep();
            mail::reset_link(
                p,
                &owner.id,
                &owner.email,
                Some(request),
                accept_language,
                true,
            )
            .await?;
        }
        return Ok(check_email());
    }
    let user = User {
        id: p.random.token(16)?,
        email,
        email_verified: false,
        name,
        given_name: None,
        family_name: None,
        phone_number,
        birthdate,
        terms_accepted_at: (rules.terms_url.is_some() && form.accept_terms).then(|| p.now()),
        password_hash,
        created_at: p.now(),
        updated_at: p.now(),
        self_registered: true,
        disabled_at: None,
    };
    match p.store.create_user(&user).await {
        Ok(()) => {
            let e = Event::SignedUp
                .entry()
                .user(&user.id)
                .detail(format!("entrypoint {}", entrypoint.id));
            audit::record(p, e).await?;
            if verify {
                send_code(p, &user, Some(request), from, accept_language).await?;
                Ok(check_email())
            } else {
                Ok(SignedUp::Active(Box::new(user)))
            }
        }
        // Taken in between by a concurrent sign-up.
        Err(StoreError::Conflict(_)) if verify => Ok(check_email()),
        Err(StoreError::Conflict(_)) => Err(AccountError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

/// What a sign-up leads to.
#[derive(Debug)]
pub enum SignedUp {
    /// Signed in at once: the entrypoint does not verify addresses (or the
    /// installation sends no mail).
    Active(Box<User>),
    /// "Check your email", at this page: the same answer whether the
    /// address was free (a code is on its way) or taken (its owner is told).
    CheckEmail(String),
}

/// Start an SSO session. Returns the cookie value (only its hash is stored).
/// Start an SSO session for `user_id`. `replacing` is the session cookie
/// the browser still carried, if any: that session never outlives this
/// one. The same user's old session is absorbed (its grants move to the
/// new one, so signing out revokes everything given from either); another
/// user's is signed out (its grants revoked), as if they had signed out.
pub async fn start_session(
    p: &Provider,
    user_id: &str,
    auth_time: UnixTime,
    amr: &[&str],
    replacing: Option<&str>,
) -> Result<(String, Session)> {
    // Every way in ends here (password, second factor, passkey, mailed
    // link): an account disabled meanwhile (say between the password and
    // the code) gets no session.
    if !usable_id(p, user_id).await? {
        return Err(OAuthError::access_denied("this account cannot sign in"));
    }
    let value = p.random.token(32)?;
    let now = p.now();
    let session = Session {
        id_hash: lookup_hash(&value),
        user_id: user_id.to_owned(),
        auth_time,
        amr: amr.iter().map(|m| (*m).to_owned()).collect(),
        created_at: now,
        expires_at: now + p.config.session_ttl,
    };
    p.store.create_session(&session).await?;
    if let Some(old_cookie) = replacing {
        let old_hash = lookup_hash(old_cookie);
        match p.store.session(&old_hash, now).await? {
            Some(old) if old.user_id == user_id => {
                p.store
                    .move_grants_to_session(&old_hash, &session.id_hash)
                    .await?;
                p.store.delete_session(&old_hash).await?;
            }
            Some(_) => end_session(p, old_cookie).await?,
            None => {}
        }
    }
    Ok((value, session))
}

/// The live session behind a cookie value, if any.
pub async fn session_from_cookie(p: &Provider, cookie: &str) -> Result<Option<Session>> {
    if cookie.is_empty() || cookie.len() > 128 {
        return Ok(None);
    }
    Ok(p.store.session(&lookup_hash(cookie), p.now()).await?)
}

/// Sign out: the SSO session ends and every grant given from it (its
/// refresh and access tokens) is revoked. Grants from other sessions, and
/// those without one (password, client credentials), are untouched.
pub async fn end_session(p: &Provider, cookie: &str) -> Result<()> {
    let id_hash = lookup_hash(cookie);
    let Some(session) = p.store.session(&id_hash, p.now()).await? else {
        return Ok(p.store.delete_session(&id_hash).await?);
    };
    let n = p.store.revoke_grants_of_session(&id_hash, p.now()).await?;
    p.store.delete_session(&id_hash).await?;
    let e = Event::SignedOut
        .entry()
        .user(&session.user_id)
        .detail(format!("{n} grant(s) of the session revoked"));
    audit::record(p, e).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_validation() {
        assert!(validate_email("a@b.c").is_none());
        assert!(validate_email("").is_some());
        assert!(validate_email("no-at").is_some());
        assert!(validate_email("a b@c.d").is_some());
        assert!(validate_email("a@b@c").is_some());
        assert!(validate_email("@b.c").is_some());
    }

    #[test]
    fn password_and_name_validation() {
        assert!(validate_password("1234567").is_some());
        assert!(validate_password("12345678").is_none());
        assert!(validate_password(&"x".repeat(1025)).is_some());
        assert!(validate_name("  ").is_some());
        assert!(validate_name("Ada").is_none());
    }

    #[test]
    fn phones_keep_digits_and_a_leading_plus() {
        assert_eq!(
            normalize_phone("+34 600-123.456").as_deref(),
            Some("+34600123456")
        );
        assert_eq!(
            normalize_phone("(555) 123 4567").as_deref(),
            Some("5551234567")
        );
        for bad in [
            "123",
            "+1234567890123456",
            "call me",
            "+34 600 123 45a",
            "++34600123456",
        ] {
            assert_eq!(normalize_phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn birthdates_are_real_past_days() {
        let today = time::macros::date!(2026 - 11 - 21);
        assert!(validate_birthdate("1990-02-28", today).is_ok());
        assert_eq!(
            validate_birthdate("2026-11-21", today)
                .map(|d| d.to_string())
                .ok()
                .as_deref(),
            Some("2026-11-21")
        );
        for (bad, code) in [
            ("1990-02-30", "birthdate_invalid"),
            ("21/11/1990", "birthdate_invalid"),
            ("2026-11-22", "birthdate_out_of_range"),
            ("1899-12-31", "birthdate_out_of_range"),
        ] {
            assert_eq!(
                validate_birthdate(bad, today).unwrap_err().code,
                code,
                "{bad}"
            );
        }
    }

    fn form<'a>(phone: Option<&'a str>, birthdate: Option<&'a str>, terms: bool) -> NewAccount<'a> {
        NewAccount {
            name: "Ada",
            email: "ada@example.com",
            password: Secret::new("correct horse"),
            phone_number: phone,
            birthdate,
            accept_terms: terms,
        }
    }

    #[test]
    fn the_entrypoint_decides_which_fields_are_needed() {
        let today = time::macros::date!(2026 - 11 - 21);
        let strict = SignUpFields {
            name: FieldRule::Required,
            phone: FieldRule::Required,
            birthdate: FieldRule::Required,
            terms_url: Some("https://shop.example/terms".into()),
        };
        let codes = |r: Result<_, Vec<Problem>>| -> Vec<&'static str> {
            r.err().unwrap_or_default().iter().map(|p| p.code).collect()
        };
        assert_eq!(
            codes(check_new_account(&form(None, None, false), &strict, today)),
            vec!["phone_missing", "birthdate_missing", "terms_required"]
        );
        assert_eq!(
            codes(check_new_account(
                &form(Some("12"), Some("1990-13-01"), true),
                &strict,
                today
            )),
            vec!["phone_invalid", "birthdate_invalid"]
        );
        let ok = check_new_account(
            &form(Some("+34 600 123 456"), Some("1990-01-02"), true),
            &strict,
            today,
        )
        .unwrap();
        assert_eq!(
            ok,
            (
                "Ada".into(),
                Some("+34600123456".into()),
                Some("1990-01-02".into())
            )
        );
        // Fields the entrypoint does not ask for are neither needed nor kept.
        let plain = SignUpFields::default();
        let ok = check_new_account(
            &form(Some("+34600123456"), Some("1990-01-02"), false),
            &plain,
            today,
        )
        .unwrap();
        assert_eq!(ok, ("Ada".into(), None, None));
        // Optional fields may be left empty, but not filled in wrongly.
        let optional = SignUpFields {
            phone: FieldRule::Optional,
            ..SignUpFields::default()
        };
        assert!(check_new_account(&form(Some(" "), None, false), &optional, today).is_ok());
        assert_eq!(
            codes(check_new_account(
                &form(Some("x"), None, false),
                &optional,
                today
            )),
            vec!["phone_invalid"]
        );
    }

    #[test]
    fn emails_with_control_characters_are_invalid() {
        assert!(validate_email("a\u{0}b@example.com").is_some());
        assert!(validate_email("ab@exa\u{7}mple.com").is_some());
        assert!(validate_email("ab@example.com").is_none());
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(normalize_email("  Ada@Example.COM "), "ada@example.com");
    }

    #[tokio::test]
    async fn no_session_starts_for_an_unusable_account_whatever_came_before() {
        use crate::testkit::*;
        let k = kit().await;
        assert!(
            start_session(&k.p, "user-1", T0, &["pwd"], None)
                .await
                .is_ok()
        );
        assert!(
            k.p.store
                .set_user_disabled("user-1", true, T0)
                .await
                .unwrap()
        );
        // As after a password typed before the disable, then the code.
        let e = start_session(&k.p, "user-1", T0, &["pwd", "otp"], None)
            .await
            .unwrap_err();
        assert_eq!(e.code, crate::protocol::error::ErrorCode::AccessDenied);
        assert!(
            start_session(&k.p, "nobody", T0, &["pwd"], None)
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn password_login_refuses_an_unusable_account_as_a_wrong_password() {
        use crate::testkit::*;
        let k = kit().await;
        k.ada_password("correct horse battery").await;
        let login = |pw: &'static str| {
            let p = &k.p;
            async move { super::login(p, "ada@example.com", Secret::new(pw), None).await }
        };
        assert!(login("correct horse battery").await.is_ok());
        assert!(
            k.p.store
                .set_user_disabled("user-1", true, T0)
                .await
                .unwrap()
        );
        assert_eq!(
            login("correct horse battery").await.unwrap_err(),
            AccountError::InvalidCredentials
        );
        assert_eq!(
            login("wrong password").await.unwrap_err(),
            AccountError::InvalidCredentials,
            "the same answer"
        );
        assert!(
            k.p.store
                .set_user_disabled("user-1", false, T0)
                .await
                .unwrap()
        );
        assert!(login("correct horse battery").await.is_ok());
    }
}
