//! Second factors (issue 18): authenticator apps (TOTP), passkeys and
//! recovery codes; when a sign-in needs one; and the step between the
//! password and the second factor.
//!
//! Every ceremony that spans requests (the second-factor step, an app key
//! awaiting "Turn on", WebAuthn challenges) is kept in the store by the
//! hash of a random id, single use and short-lived, so any instance can
//! finish what another started.

use crate::infra::provider::Provider;
use crate::model::{
    AuthRequest, Ceremony, CeremonyKind, Factor, FactorKind, FactorKindExt, MfaPolicy, UnixTime,
    User,
};
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::secret::lookup_hash;
use crate::protocol::types::{ACR_MFA, amr};
use crate::services::audit::{self, Event};
use crate::services::entrypoint::{behind, find_or_default, negotiate};
use crate::services::lockout;
use crate::services::mail::{self, Kind};
use crate::services::totp;
use portico_api_types::FactorInfo;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Adding or removing a factor needs a sign-in this recent (seconds).
pub const RECENT_SIGN_IN: i64 = 300;
/// How long the second-factor step waits after the password.
pub const SECOND_FACTOR_TTL: i64 = 600;
/// How long a WebAuthn challenge or an app key awaiting "Turn on" lives.
pub const CEREMONY_TTL: i64 = 300;
/// Recovery codes in a set.
pub const RECOVERY_CODES: usize = 10;
/// The longest factor name.
pub const MAX_NAME: usize = 64;

/// What went wrong with a factor.
#[derive(Debug)]
pub enum FactorError {
    /// The code (app or recovery) is not right, or was used already.
    InvalidCode,
    /// Too many wrong codes: wait this many seconds.
    Locked(i64),
    /// The ceremony is unknown, expired or already finished.
    Expired,
    /// The WebAuthn ceremony failed (the detail is for the log).
    Passkey(String),
    /// The issuer cannot be a WebAuthn relying party.
    PasskeysOff,
    NotFound,
    /// A name that is empty or too long.
    BadName,
    Server(OAuthError),
}

impl<E: Into<OAuthError>> From<E> for FactorError {
    fn from(e: E) -> Self {
        Self::Server(e.into())
    }
}

pub type FactorResult<T> = std::result::Result<T, FactorError>;

/// What a sign-in still needs before a request may complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Nothing,
    /// The account has a second factor: it must be given.
    SecondFactor,
    /// A second factor is required and the account has none: enrol one.
    Enrol,
}

/// The second-factor policy for a sign-in: the entrypoint's, made
/// `Required` by a client with `require_mfa` or by `acr_values` preferring
/// [`ACR_MFA`]. Without a request (the account pages), `Optional`.
pub async fn policy(p: &Provider, req: Option<&AuthRequest>) -> Result<MfaPolicy> {
    let Some(req) = req else {
        return Ok(MfaPolicy::Optional);
    };
    let client_requires = p
        .client(&req.client_id)
        .await?
        .is_some_and(|c| c.require_mfa);
    if client_requires || req.wanted_acr() == Some(ACR_MFA) {
        return Ok(MfaPolicy::Required);
    }
    Ok(find_or_default(p, &req.entrypoint).await?.mfa)
}

/// The policy for a stored request, by id (`None` or a gone request: the
/// account pages' `Optional`).
pub async fn policy_for(p: &Provider, request_id: Option<&str>) -> Result<MfaPolicy> {
    let req = match request_id {
        Some(id) => p.store.auth_request(id, p.now()).await?,
        None => None,
    };
    policy(p, req.as_ref()).await
}

/// What `user_id`, authenticated with `methods` so far, still needs under
/// `policy`. An account with a second factor gives it wherever the policy
/// is not `Off`, so having one always protects the account.
pub async fn need(
    p: &Provider,
    user_id: &str,
    methods: &[String],
    policy: MfaPolicy,
) -> Result<Need> {
    if amr::is_mfa(methods) || policy == MfaPolicy::Off {
        return Ok(Need::Nothing);
    }
    let has = !p.store.factors(user_id).await?.is_empty();
    Ok(match (has, policy) {
        (true, _) => Need::SecondFactor,
        (false, MfaPolicy::Required) => Need::Enrol,
        (false, _) => Need::Nothing,
    })
}

/// Whether the session's sign-in is recent enough to change factors.
pub fn recent(p: &Provider, auth_time: UnixTime) -> bool {
    p.now() - auth_time <= RECENT_SIGN_IN
}

/// Methods so far, plus `added` and `mfa`, without repeats.
pub fn with_second_factor(so_far: &[String], added: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = so_far.to_vec();
    for m in added.iter().chain(std::iter::once(&amr::MFA)) {
        if !out.iter().any(|o| o == m) {
            out.push((*m).to_owned());
        }
    }
    out
}

async fn put_ceremony<S: Serialize>(
    p: &Provider,
    kind: CeremonyKind,
    user_id: Option<&str>,
    state: &S,
    ttl: i64,
) -> Result<String> {
    let id = p.random.token(32)?;
    let now = p.now();
    let state = serde_json::to_string(state).map_err(OAuthError::server_error)?;
    p.store
        .put_ceremony(&Ceremony {
            id_hash: lookup_hash(&id),
            kind,
            user_id: user_id.map(str::to_owned),
            state,
            created_at: now,
            expires_at: now + ttl,
        })
        .await?;
    Ok(id)
}

fn state_of<T: for<'de> Deserialize<'de>>(c: &Ceremony) -> FactorResult<T> {
    serde_json::from_str(&c.state).map_err(|e| FactorError::Server(OAuthError::server_error(e)))
}

fn ceremony_id_ok(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128
}

// ---------------------------------------------------------------------
// The step between password and second factor.

#[derive(Serialize, Deserialize)]
struct Pending {
    /// Methods used so far (`pwd`).
    amr: Vec<String>,
}

/// The password was right and a second factor is due: keep that for
/// [`SECOND_FACTOR_TTL`]. Returns the value for the browser's cookie.
pub async fn begin_second_factor(p: &Provider, user_id: &str, methods: &[&str]) -> Result<String> {
    let state = Pending {
        amr: methods.iter().map(|m| (*m).to_owned()).collect(),
    };
    put_ceremony(
        p,
        CeremonyKind::SecondFactor,
        Some(user_id),
        &state,
        SECOND_FACTOR_TTL,
    )
    .await
}

/// The pending second-factor step behind a cookie: the user and the
/// methods used so far.
pub async fn pending(p: &Provider, cookie: &str) -> Result<Option<(String, Vec<String>)>> {
    if !ceremony_id_ok(cookie) {
        return Ok(None);
    }
    let c = p
        .store
        .ceremony(&lookup_hash(cookie), CeremonyKind::SecondFactor, p.now())
        .await?;
    Ok(c.and_then(|c| {
        let state: Pending = serde_json::from_str(&c.state).ok()?;
        Some((c.user_id?, state.amr))
    }))
}

/// Finish the step: the ceremony is used up (a second use of the cookie
/// finds nothing). False if it expired or another request finished it.
pub async fn finish_second_factor(p: &Provider, cookie: &str) -> Result<bool> {
    if !ceremony_id_ok(cookie) {
        return Ok(false);
    }
    Ok(p.store
        .take_ceremony(&lookup_hash(cookie), CeremonyKind::SecondFactor, p.now())
        .await?
        .is_some())
}

/// Which second factors `user_id` has: (app, passkey, unused recovery
/// codes).
pub async fn available(p: &Provider, user_id: &str) -> Result<(bool, bool, bool)> {
    let factors = p.store.factors(user_id).await?;
    let left = p.store.recovery_codes_left(user_id).await?;
    Ok((
        factors.iter().any(|f| f.kind == FactorKind::Totp),
        factors.iter().any(|f| f.kind == FactorKind::Passkey),
        left > 0,
    ))
}

/// Check an authentication code for `user_id`: the app's current code, or
/// (`recovery`) one of the recovery codes. Guessing counts under the
/// lockout (per account and per address); a wrong code is audited.
/// Returns the RFC 8176 method the code proves.
pub async fn check_code(
    p: &Provider,
    user_id: &str,
    code: &str,
    recovery: bool,
    from: Option<IpAddr>,
) -> FactorResult<&'static str> {
    let attempt = match lockout::begin(p, lockout::second_factor(user_id, from)).await? {
        lockout::Begin::Go(a) => a,
        lockout::Begin::Locked(wait) => return Err(FactorError::Locked(wait)),
    };
    let ok = if recovery {
        let normal = normalize_recovery(code);
        !normal.is_empty()
            && p.store
                .use_recovery_code(user_id, &recovery_hash(p, user_id, &normal), p.now())
                .await?
    } else {
        totp_matches(p, user_id, code).await?
    };
    if ok {
        if let Err(wait) = attempt.succeeded(p).await? {
            return Err(FactorError::Locked(wait));
        }
        if recovery {
            let left = p.store.recovery_codes_left(user_id).await?;
            let e = Event::RecoveryCodeUsed
                .entry()
                .user(user_id)
                .detail(format!("{left} left"));
            audit::record(p, e).await?;
        }
        return Ok(amr::OTP);
    }
    let locked = attempt.failed(p).await?;
    let what = if recovery {
        "recovery code"
    } else {
        "app code"
    };
    audit::record(
        p,
        Event::SecondFactorFailed.entry().user(user_id).detail(what),
    )
    .await?;
    Err(match locked {
        Some(wait) => FactorError::Locked(wait),
        None => FactorError::InvalidCode,
    })
}

/// Whether `code` is the current code of one of the user's apps, and was
/// not used before: the step moves forward in one conditional write.
async fn totp_matches(p: &Provider, user_id: &str, code: &str) -> Result<bool> {
    let now = p.now();
    for f in p.store.factors(user_id).await? {
        if f.kind != FactorKind::Totp {
            continue;
        }
        let Some(key) = p.sealing.open(&totp_context(&f.id), &f.secret) else {
            tracing::error!(factor = %f.id, "an authenticator app's key does not open");
            continue;
        };
        if let Some(step) = totp::matching_step(&key, code, now, f.last_step)
            && p.store.advance_totp_step(&f.id, step, now).await?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

fn totp_context(factor_id: &str) -> String {
    format!("totp:{factor_id}")
}

// ---------------------------------------------------------------------
// Recovery codes.

/// Ten characters of this alphabet: 50 bits. Lowercase letters and digits
/// without the look-alikes i, l, o and u (Crockford's base32).
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

fn normalize_recovery(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Keyed, and bound to the account: a stolen table cannot be searched for
/// 50-bit codes without the installation key.
fn recovery_hash(p: &Provider, user_id: &str, normal: &str) -> String {
    p.client_secrets
        .hash(&format!("recovery_code:{user_id}:{normal}"))
}

/// A new set of [`RECOVERY_CODES`] codes for the account (the old set
/// stops working in the same transaction). Shown once; only keyed hashes
/// are kept.
pub async fn new_recovery_codes(p: &Provider, user_id: &str) -> Result<Vec<String>> {
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    let mut hashes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let mut bytes = [0u8; 10];
        p.random.fill(&mut bytes)?;
        let raw: String = bytes
            .iter()
            .map(|b| char::from(RECOVERY_ALPHABET[usize::from(b & 31)]))
            .collect();
        hashes.push(recovery_hash(p, user_id, &raw));
        codes.push(format!("{}-{}", &raw[..5], &raw[5..]));
    }
    p.store
        .replace_recovery_codes(user_id, &hashes, p.now())
        .await?;
    audit::record(p, Event::RecoveryCodesCreated.entry().user(user_id)).await?;
    Ok(codes)
}

// ---------------------------------------------------------------------
// The account's factors.

pub fn info(f: &Factor) -> FactorInfo {
    FactorInfo {
        id: f.id.clone(),
        kind: f.kind,
        name: f.name.clone(),
        created_at: f.created_at,
        last_used_at: f.last_used_at,
    }
}

pub async fn list(p: &Provider, user_id: &str) -> Result<Vec<FactorInfo>> {
    Ok(p.store.factors(user_id).await?.iter().map(info).collect())
}

/// A factor was added: its info, and the recovery codes when it is the
/// account's first (shown once).
pub struct Added {
    pub factor: FactorInfo,
    pub recovery_codes: Vec<String>,
    /// The RFC 8176 method adding it proved (the session steps up).
    pub method: &'static str,
}

fn described(f: &Factor, locale: &str) -> String {
    match (f.kind, locale == "es") {
        (FactorKind::Totp, false) => "An authenticator app".into(),
        (FactorKind::Totp, true) => "Una app de autenticación".into(),
        (FactorKind::Passkey, false) => format!("The passkey \"{}\"", f.name),
        (FactorKind::Passkey, true) => format!("La llave de acceso \"{}\"", f.name),
    }
}

/// Mail the account a notice about `f`, in the language of the request
/// behind it or the browser's.
async fn notify(
    p: &Provider,
    user: &User,
    f: &Factor,
    added: bool,
    accept_language: Option<&str>,
) -> Result<()> {
    if !p.config.mail {
        return Ok(());
    }
    let (entrypoint, locales) = behind(p, None).await?;
    let locale = negotiate(
        &locales,
        accept_language,
        entrypoint.default_locale.as_deref(),
    );
    let what = described(f, locale);
    let kind = if added {
        Kind::FactorAdded { what: &what }
    } else {
        Kind::FactorRemoved { what: &what }
    };
    let m = mail::compose(p, &entrypoint, &kind, locale);
    mail::queue(p, &user.email, m, &[]).await
}

async fn add(
    p: &Provider,
    user: &User,
    f: Factor,
    method: &'static str,
    accept_language: Option<&str>,
) -> FactorResult<Added> {
    let first = p.store.factors(&user.id).await?.is_empty();
    match p.store.add_factor(&f).await {
        Ok(()) => {}
        Err(crate::infra::store::StoreError::Conflict(_)) => {
            return Err(FactorError::Passkey(
                "this passkey is registered already".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let e =
        Event::FactorAdded
            .entry()
            .user(&user.id)
            .detail(format!("{} {}", f.kind.as_str(), f.id));
    audit::record(p, e).await?;
    let recovery_codes = if first {
        new_recovery_codes(p, &user.id).await?
    } else {
        Vec::new()
    };
    notify(p, user, &f, true, accept_language).await?;
    Ok(Added {
        factor: info(&f),
        recovery_codes,
        method,
    })
}

fn clean_name(name: &str) -> FactorResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(FactorError::BadName);
    }
    Ok(name.to_owned())
}

pub async fn rename(p: &Provider, user_id: &str, id: &str, name: &str) -> FactorResult<()> {
    let name = clean_name(name)?;
    if p.store.rename_factor(user_id, id, &name).await? {
        Ok(())
    } else {
        Err(FactorError::NotFound)
    }
}

pub async fn remove(
    p: &Provider,
    user: &User,
    id: &str,
    accept_language: Option<&str>,
) -> FactorResult<()> {
    let Some(f) = p
        .store
        .factors(&user.id)
        .await?
        .into_iter()
        .find(|f| f.id == id)
    else {
        return Err(FactorError::NotFound);
    };
    if !p.store.remove_factor(&user.id, id).await? {
        return Err(FactorError::NotFound);
    }
    let e =
        Event::FactorRemoved
            .entry()
            .user(&user.id)
            .detail(format!("{} {}", f.kind.as_str(), f.id));
    audit::record(p, e).await?;
    notify(p, user, &f, false, accept_language).await?;
    Ok(())
}

// ---------------------------------------------------------------------
// Authenticator apps.

#[derive(Serialize, Deserialize)]
struct TotpPending {
    factor_id: String,
    /// The key, sealed as it will be stored.
    sealed: String,
}

/// "Set up authenticator app": a new key, kept (sealed) until "Turn on".
pub struct TotpStart {
    pub ceremony: String,
    /// RFC 4648 base32 in groups of four: the "Setup key".
    pub setup_key: String,
    /// What the QR code holds (Google Authenticator's Key Uri Format).
    pub otpauth_uri: String,
}

impl std::fmt::Debug for TotpStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpStart").finish_non_exhaustive()
    }
}

pub async fn start_totp(p: &Provider, user: &User) -> Result<TotpStart> {
    let factor_id = p.random.token(16)?;
    let mut key = [0u8; totp::SECRET_LEN];
    p.random.fill(&mut key)?;
    let mut nonce = [0u8; 12];
    p.random.fill(&mut nonce)?;
    let sealed = p
        .sealing
        .seal(nonce, &totp_context(&factor_id), &key)
        .ok_or_else(|| OAuthError::server_error("sealing failed"))?;
    let ceremony = put_ceremony(
        p,
        CeremonyKind::TotpSetup,
        Some(&user.id),
        &TotpPending { factor_id, sealed },
        CEREMONY_TTL,
    )
    .await?;
    let setup_key = totp::setup_key(&key);
    let label_issuer = url::Url::parse(p.issuer())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "Portico".into());
    // Key Uri Format: the label and issuer percent-encoded (RFC 3986
    // unreserved characters kept, so apps show them as typed).
    const LABEL: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'.')
        .remove(b'-')
        .remove(b'_')
        .remove(b'~');
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, LABEL).to_string();
    let otpauth_uri = format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={}&period={}",
        enc(&label_issuer),
        enc(&user.email),
        setup_key.replace(' ', ""),
        enc(&label_issuer),
        totp::DIGITS,
        totp::STEP_SECS,
    );
    Ok(TotpStart {
        ceremony,
        setup_key,
        otpauth_uri,
    })
}

/// "Turn on": the code from the app proves it holds the key. A wrong code
/// leaves the setup open for another try (until it expires); a right one
/// finishes it once.
pub async fn confirm_totp(
    p: &Provider,
    user: &User,
    ceremony: &str,
    code: &str,
    accept_language: Option<&str>,
) -> FactorResult<Added> {
    if !ceremony_id_ok(ceremony) {
        return Err(FactorError::Expired);
    }
    let hash = lookup_hash(ceremony);
    let now = p.now();
    let c = p
        .store
        .ceremony(&hash, CeremonyKind::TotpSetup, now)
        .await?
        .filter(|c| c.user_id.as_deref() == Some(user.id.as_str()))
        .ok_or(FactorError::Expired)?;
    let state: TotpPending = state_of(&c)?;
    let key = p
        .sealing
        .open(&totp_context(&state.factor_id), &state.sealed)
        .ok_or_else(|| FactorError::Server(OAuthError::server_error("the key does not open")))?;
    let step = totp::matching_step(&key, code, now, None).ok_or(FactorError::InvalidCode)?;
    if p.store
        .take_ceremony(&hash, CeremonyKind::TotpSetup, now)
        .await?
        .is_none()
    {
        return Err(FactorError::Expired);
    }
    if p.store
        .factors(&user.id)
        .await?
        .iter()
        .any(|f| f.kind == FactorKind::Totp)
    {
        // One app per account: the page offers setup only without one.
        return Err(FactorError::Expired);
    }
    let f = Factor {
        id: state.factor_id,
        user_id: user.id.clone(),
        kind: FactorKind::Totp,
        name: "Authenticator app".into(),
        secret: state.sealed,
        credential_id: None,
        created_at: now,
        last_used_at: Some(now),
        // The code just typed is used.
        last_step: Some(step),
    };
    add(p, user, f, amr::OTP, accept_language).await
}

// ---------------------------------------------------------------------
// Passkeys.

fn relying_party(p: &Provider) -> FactorResult<&crate::infra::passkey::RelyingParty> {
    p.passkeys.as_ref().ok_or(FactorError::PasskeysOff)
}

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn from_b64url(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
}

/// A WebAuthn challenge: the ceremony id and the options (JSON) for the
/// browser.
pub struct Challenge {
    pub ceremony: String,
    pub options: String,
}

/// "Add a passkey": creation options excluding the account's passkeys.
pub async fn start_passkey_registration(p: &Provider, user: &User) -> FactorResult<Challenge> {
    let rp = relying_party(p)?;
    let exclude: Vec<Vec<u8>> = p
        .store
        .factors(&user.id)
        .await?
        .iter()
        .filter_map(|f| f.credential_id.as_deref().and_then(from_b64url))
        .collect();
    let (options, state) = rp
        .start_registration(&user.id, &user.email, &user.name, exclude)
        .map_err(|e| FactorError::Passkey(e.0))?;
    let ceremony = put_ceremony(
        p,
        CeremonyKind::PasskeyRegister,
        Some(&user.id),
        &state,
        CEREMONY_TTL,
    )
    .await?;
    Ok(Challenge { ceremony, options })
}

/// The browser's new credential: checked against the challenge (once),
/// then stored.
pub async fn finish_passkey_registration(
    p: &Provider,
    user: &User,
    ceremony: &str,
    credential: &str,
    name: &str,
    accept_language: Option<&str>,
) -> FactorResult<Added> {
    let rp = relying_party(p)?;
    if !ceremony_id_ok(ceremony) {
        return Err(FactorError::Expired);
    }
    let now = p.now();
    let c = p
        .store
        .take_ceremony(&lookup_hash(ceremony), CeremonyKind::PasskeyRegister, now)
        .await?
        .filter(|c| c.user_id.as_deref() == Some(user.id.as_str()))
        .ok_or(FactorError::Expired)?;
    let state: String = state_of(&c)?;
    let (key, cred_id) = rp
        .finish_registration(credential, &state)
        .map_err(|e| FactorError::Passkey(e.0))?;
    let count = p
        .store
        .factors(&user.id)
        .await?
        .iter()
        .filter(|f| f.kind == FactorKind::Passkey)
        .count();
    let name = match name.trim() {
        "" => format!("Passkey {}", count + 1),
        n => clean_name(n)?,
    };
    let f = Factor {
        id: p.random.token(16)?,
        user_id: user.id.clone(),
        kind: FactorKind::Passkey,
        name,
        secret: key,
        credential_id: Some(b64url(&cred_id)),
        created_at: now,
        last_used_at: None,
        last_step: None,
    };
    add(p, user, f, amr::SWK, accept_language).await
}

/// "Sign in with a passkey": a challenge any of this site's passkeys can
/// answer.
pub async fn start_passkey_sign_in(p: &Provider, conditional: bool) -> FactorResult<Challenge> {
    let rp = relying_party(p)?;
    let (options, state) = rp
        .start_sign_in(conditional)
        .map_err(|e| FactorError::Passkey(e.0))?;
    let ceremony = put_ceremony(p, CeremonyKind::PasskeySignIn, None, &state, CEREMONY_TTL).await?;
    Ok(Challenge { ceremony, options })
}

/// The methods a passkey sign-in proves: possession of the key, and the
/// user verified by the authenticator (required), so it is multi-factor on
/// its own.
pub const PASSKEY_AMR: [&str; 3] = [amr::SWK, amr::USER, amr::MFA];

/// The browser's assertion: checked against the challenge (once) and the
/// stored passkey it names, whose owner is signed in.
pub async fn finish_passkey_sign_in(
    p: &Provider,
    ceremony: &str,
    credential: &str,
) -> FactorResult<User> {
    use crate::infra::metrics::SignInResult;
    let outcome = passkey_sign_in(p, ceremony, credential).await;
    let result = match &outcome {
        Ok(_) => SignInResult::Succeeded,
        Err(_) => SignInResult::Failed,
    };
    p.metrics.sign_in("passkey", result);
    outcome
}

async fn passkey_sign_in(p: &Provider, ceremony: &str, credential: &str) -> FactorResult<User> {
    let rp = relying_party(p)?;
    if !ceremony_id_ok(ceremony) {
        return Err(FactorError::Expired);
    }
    let now = p.now();
    let c = p
        .store
        .take_ceremony(&lookup_hash(ceremony), CeremonyKind::PasskeySignIn, now)
        .await?
        .ok_or(FactorError::Expired)?;
    let state: String = state_of(&c)?;
    let (cred_id, handle) = rp
        .identify(credential)
        .map_err(|e| FactorError::Passkey(e.0))?;
    let f = p
        .store
        .factor_by_credential(&b64url(&cred_id))
        .await?
        .filter(|f| f.kind == FactorKind::Passkey)
        .ok_or_else(|| FactorError::Passkey("no account has this passkey".into()))?;
    if crate::infra::passkey::user_handle(&f.user_id) != handle {
        return Err(FactorError::Passkey(
            "the passkey's user handle is not its account's".into(),
        ));
    }
    let updated = rp
        .finish_sign_in(credential, &state, &f.secret)
        .map_err(|e| FactorError::Passkey(e.0))?;
    p.store.passkey_used(&f.id, &updated, now).await?;
    let user = p
        .store
        .user_by_id(&f.user_id)
        .await?
        .ok_or(FactorError::NotFound)?;
    if crate::services::accounts::usable(&user).is_err() {
        // As for a passkey no account has: nothing tells it apart.
        return Err(FactorError::Passkey("no account has this passkey".into()));
    }
    Ok(user)
}

#[cfg(test)]
mod tests;
