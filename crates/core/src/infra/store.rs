//! Narrow storage traits. `crates/store` implements them (SQLite now,
//! PostgreSQL next); core never sees SQL. Every contract that matters for
//! security (single use, atomic take, first writer wins) is stated here and
//! must hold even when several Portico instances share one database.

use crate::model::UnixTime;
use crate::model::{
    AuthCode, AuthRequest, Ceremony, CeremonyKind, Client, DeviceApproval, DeviceAuthorization,
    EmailToken, EmailTokenKind, Entrypoint, Factor, Grant, OutboxMail, PushedRequest, RefreshToken,
    Session, SigningKeyRecord, User,
};
use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken (e.g. the email is already registered).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("storage failure: {0}")]
    Backend(String),
    /// The database cannot be reached or cannot write right now (connection
    /// refused or lost, the pool's acquire timeout, a full disk). Transient:
    /// answered with 503 and Retry-After, and the next request tries again.
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// Seconds a client is asked to wait when the database is unavailable.
pub const UNAVAILABLE_RETRY_AFTER: i64 = 5;

impl From<StoreError> for crate::protocol::error::OAuthError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(detail) => {
                // One clear line per refused request: the operator's signal.
                tracing::warn!(%detail, "database unavailable: answering 503");
                Self::new(
                    crate::protocol::error::ErrorCode::TemporarilyUnavailable,
                    "the service is temporarily unavailable; try again shortly",
                )
                .retry_after(UNAVAILABLE_RETRY_AFTER)
            }
            e => Self::server_error(e),
        }
    }
}

#[async_trait]
pub trait ClientStore: Send + Sync {
    /// The client with this id, disabled or not.
    async fn client(&self, id: &str) -> StoreResult<Option<Client>>;
    /// Insert or replace by id (config is applied idempotently at start).
    async fn upsert_client(&self, client: &Client) -> StoreResult<()>;
    /// Insert a new client, atomically: false when the id is taken (of
    /// concurrent inserts of one id exactly one succeeds).
    async fn insert_client(&self, client: &Client) -> StoreResult<bool>;
    /// Every client, disabled ones included, by id.
    async fn clients(&self) -> StoreResult<Vec<Client>>;
    /// Remove the client together with what it holds, in one transaction
    /// (all of it happens or none): every live grant of the client is
    /// revoked at `now` (so every token it was issued dies) and the
    /// consents given to it are forgotten (a later client with the same id
    /// starts afresh). Returns how many grants were revoked, or `None`,
    /// changing nothing, when no client has this id.
    async fn delete_client(&self, id: &str, now: UnixTime) -> StoreResult<Option<u64>>;
}

#[async_trait]
pub trait EntrypointStore: Send + Sync {
    async fn entrypoint(&self, id: &str) -> StoreResult<Option<Entrypoint>>;
    async fn upsert_entrypoint(&self, entrypoint: &Entrypoint) -> StoreResult<()>;
    /// Every entrypoint, by id.
    async fn entrypoints(&self) -> StoreResult<Vec<Entrypoint>>;
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// `email` is compared lower-cased.
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>>;
    /// Insert a new user. [`StoreError::Conflict`] if the email is taken,
    /// atomically (no check-then-insert race).
    async fn create_user(&self, user: &User) -> StoreResult<()>;
    /// Insert, or update name and password of the user with this email
    /// (config users). Returns the stored user's id.
    async fn upsert_user_by_email(&self, user: &User) -> StoreResult<String>;
    /// Remove the user for good (erasure), in one transaction: every grant
    /// of theirs is revoked at `now` (so every token of theirs dies), their
    /// sessions, consents, factors and mailed tokens are deleted, the
    /// unsent mail to their address is dropped, their audit entries keep
    /// only the user id (`detail` emptied, `ip` cleared), then the account
    /// goes. False when no user has this id.
    async fn delete_user(&self, id: &str, now: UnixTime) -> StoreResult<bool>;
    /// At most `limit` users whose email or name holds `text` (ignoring
    /// case; `%` and `_` are plain characters), ordered by email, starting
    /// after the email `after_email` (keyset paging: a user added or
    /// removed meanwhile never shifts the next page).
    async fn users_page(
        &self,
        text: Option<&str>,
        after_email: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<User>>;
    /// Disable (`disabled_at = now`) or enable the account. Disabling is one
    /// transaction that also revokes every live grant at `now`, ends every
    /// session and drops unused mailed tokens, so nothing issued before
    /// outlives it; disabling a disabled user keeps the first time.
    /// Enabling only clears `disabled_at`. False when no user has this id.
    async fn set_user_disabled(&self, id: &str, disabled: bool, now: UnixTime)
    -> StoreResult<bool>;
    /// A password reset, in one transaction: the new hash, every grant of
    /// the user revoked at `now` (so every token dies), every session
    /// ended, every unused mailed token dropped. False when no user has
    /// this id.
    async fn reset_password(
        &self,
        id: &str,
        password_hash: &str,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// Mark the user's address verified, if it is still `email` (an address
    /// changed since the mail was sent stays unverified). True when it was.
    async fn mark_email_verified(&self, id: &str, email: &str, now: UnixTime) -> StoreResult<bool>;
    /// Replace the user's address `from` with `to`, verified (the change
    /// was confirmed from `to`). False when the address is no longer
    /// `from`; [`StoreError::Conflict`] when `to` has an account.
    async fn change_email(
        &self,
        id: &str,
        from: &str,
        to: &str,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// Undo a change, in one transaction: the address `current` goes back
    /// to `restore` (verified: the link proved it), every grant of the user
    /// is revoked at `now`, every session ended, every unused mailed token
    /// dropped. False when the address is no longer `current`;
    /// [`StoreError::Conflict`] when `restore` has an account meanwhile.
    async fn undo_email_change(
        &self,
        id: &str,
        current: &str,
        restore: &str,
        now: UnixTime,
    ) -> StoreResult<bool>;
}

/// What [`RoleStore::revoke_role`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    Done,
    /// The user did not hold the role (or does not exist).
    NotHeld,
    /// Refused: the user is the role's last holder.
    LastHolder,
}

/// Roles of users (`admin`). Read at every admin request, never cached, so
/// a role taken away counts at once on every instance.
#[async_trait]
pub trait RoleStore: Send + Sync {
    /// The user's roles, sorted.
    async fn user_roles(&self, user_id: &str) -> StoreResult<Vec<String>>;
    /// Give the user a role. Idempotent (concurrent grants leave one row).
    /// True when the user did not hold it before; false also when no user
    /// has this id.
    async fn grant_role(&self, user_id: &str, role: &str) -> StoreResult<bool>;
    /// Take a role away unless the user is its last holder, atomically: of
    /// two concurrent revocations from the last two holders, one is
    /// refused, so a role once held is never left without a holder.
    async fn revoke_role(&self, user_id: &str, role: &str) -> StoreResult<Revoked>;
    /// The ids of the users holding the role, sorted.
    async fn role_holders(&self, role: &str) -> StoreResult<Vec<String>>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    /// The session with this id hash, if it exists and has not expired at `now`.
    async fn session(&self, id_hash: &str, now: UnixTime) -> StoreResult<Option<Session>>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// The user's live sessions at `now`, newest first.
    async fn sessions_of_user(&self, user_id: &str, now: UnixTime) -> StoreResult<Vec<Session>>;
    /// End the session with this id hash if it is `user_id`'s, in one
    /// transaction with revoking (at `now`) every live grant given from it,
    /// as signing out does. `user_id` keeps an admin URL naming one user
    /// from ending another's session. False when no such session.
    async fn end_session_of_user(
        &self,
        user_id: &str,
        id_hash: &str,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// End every session of the user and revoke (at `now`) the live grants
    /// given from them, in one transaction. Grants given without a session
    /// stay. Returns how many sessions ended.
    async fn end_sessions_of_user(&self, user_id: &str, now: UnixTime) -> StoreResult<u64>;
}

#[async_trait]
pub trait AuthRequestStore: Send + Sync {
    async fn put_auth_request(&self, request: &AuthRequest) -> StoreResult<()>;
    /// The pending request, if it exists and has not expired at `now`.
    async fn auth_request(&self, id: &str, now: UnixTime) -> StoreResult<Option<AuthRequest>>;
    /// Replace the stored body of a pending request (same id). Returns false
    /// when the request is gone or expired.
    async fn update_auth_request(&self, request: &AuthRequest, now: UnixTime) -> StoreResult<bool>;
    /// Remove and return the request, atomically: of two concurrent takes,
    /// exactly one gets `Some`. Expired requests are never returned.
    async fn take_auth_request(&self, id: &str, now: UnixTime) -> StoreResult<Option<AuthRequest>>;
}

#[async_trait]
pub trait GrantStore: Send + Sync {
    async fn create_grant(&self, grant: &Grant) -> StoreResult<()>;
    async fn grant(&self, id: &str) -> StoreResult<Option<Grant>>;
    /// Mark the grant revoked (idempotent; the first revocation time is kept).
    /// Every token of the grant is dead from then on.
    async fn revoke_grant(&self, id: &str, now: UnixTime) -> StoreResult<()>;
    /// Revoke every live grant given from this SSO session (sign-out), in
    /// one statement. Returns how many were revoked.
    async fn revoke_grants_of_session(
        &self,
        session_id_hash: &str,
        now: UnixTime,
    ) -> StoreResult<u64>;
    /// Re-attach every grant given from session `from` to session `to`, in
    /// one statement (the same user signed in again on a browser that
    /// still had a session): signing out of `to` then revokes them too.
    /// Returns how many moved.
    async fn move_grants_to_session(&self, from: &str, to: &str) -> StoreResult<u64>;
    /// Revoke every live grant this user gave this client (reauthorize), in
    /// one statement. Returns how many were revoked.
    async fn revoke_grants_of(
        &self,
        user_id: &str,
        client_id: &str,
        now: UnixTime,
    ) -> StoreResult<u64>;
    /// Revoke every live grant of this client, whoever gave it (the client
    /// is disabled), in one statement; revoked grants keep their first
    /// revocation time. Returns how many were revoked.
    async fn revoke_grants_of_client(&self, client_id: &str, now: UnixTime) -> StoreResult<u64>;
    /// The user's live (unrevoked) grants, newest first (ties by id).
    async fn grants_of_user(&self, user_id: &str) -> StoreResult<Vec<Grant>>;
    /// Revoke every live grant of the user at `now`, in one statement;
    /// revoked grants keep their first revocation time. Returns how many.
    async fn revoke_grants_of_user(&self, user_id: &str, now: UnixTime) -> StoreResult<u64>;
}

/// The result of taking a single-use value (code or refresh token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Take<T> {
    /// This caller is the one and only user of the value.
    Taken(T),
    /// The value exists but was already used (at the given time): a replay.
    /// Carries the record so the caller can revoke what was issued from it.
    AlreadyUsed(T, UnixTime),
    /// The value is unused but its grant has been revoked: it is dead.
    Revoked,
    NotFound,
}

#[async_trait]
pub trait CodeStore: Send + Sync {
    async fn put_code(&self, code: &AuthCode) -> StoreResult<()>;
    /// Mark the code used and return it, atomically (one conditional update,
    /// never read-then-write): of any number of concurrent takes of one code,
    /// exactly one gets [`Take::Taken`]; the others get [`Take::AlreadyUsed`].
    /// A code whose grant is revoked is never taken ([`Take::Revoked`]); the
    /// check is part of the same update, so a winner never needs to re-check
    /// its grant (a revocation after the take kills the issued tokens, which
    /// carry the grant id). Expiry is checked by the caller.
    async fn take_code(&self, code_hash: &str, now: UnixTime) -> StoreResult<Take<AuthCode>>;
}

#[async_trait]
pub trait RefreshTokenStore: Send + Sync {
    /// Insert the token unless one with the same hash exists, in one
    /// statement; an existing token, its use included, is left as it was.
    /// A rotated token's successor is derived from it, so every retry of one
    /// token puts the same successor: concurrent puts leave one row, and a
    /// retry never revives a successor that was used meanwhile.
    async fn put_refresh_token(&self, token: &RefreshToken) -> StoreResult<()>;
    /// Same contract as [`CodeStore::take_code`]: exactly one concurrent
    /// taker wins; a used token yields [`Take::AlreadyUsed`].
    async fn take_refresh_token(
        &self,
        token_hash: &str,
        now: UnixTime,
    ) -> StoreResult<Take<RefreshToken>>;
    /// Read without taking (introspection): the token and when it was used.
    async fn refresh_token(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<(RefreshToken, Option<UnixTime>)>>;
}

#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// Every scope this user has allowed this client (empty if none).
    async fn consented_scopes(&self, user_id: &str, client_id: &str) -> StoreResult<Vec<String>>;
    /// Remember that the user allowed these scopes to the client, adding to
    /// what was allowed before (idempotent; concurrent adds both stick).
    async fn add_consent(
        &self,
        user_id: &str,
        client_id: &str,
        scopes: &[String],
        now: UnixTime,
    ) -> StoreResult<()>;
}

#[async_trait]
pub trait RevocationStore: Send + Sync {
    /// Record that the access token with this `jti` is revoked. The record
    /// may be dropped after `expires_at`, when the token is dead anyway.
    async fn revoke_access_token(&self, jti: &str, expires_at: UnixTime) -> StoreResult<()>;
    async fn access_token_revoked(&self, jti: &str) -> StoreResult<bool>;
}

#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Insert a new device authorization. A live (unexpired) authorization
    /// holding the same user code makes this fail with
    /// [`StoreError::Conflict`] (the caller draws a new code); an expired
    /// holder is deleted first, so spent codes can be drawn again.
    async fn put_device_authorization(
        &self,
        d: &DeviceAuthorization,
        now: UnixTime,
    ) -> StoreResult<()>;
    /// The authorization with this user code hash, in whatever state
    /// (expired, decided and used included) so the caller can say why a code
    /// does not work.
    async fn device_by_user_code(
        &self,
        user_code_hash: &str,
    ) -> StoreResult<Option<DeviceAuthorization>>;
    /// Record the user's decision: `Some` approves, `None` denies. Only a
    /// pending, unexpired authorization is decided, in one conditional
    /// update: of concurrent decisions exactly one returns true. A user code
    /// is therefore used at most once.
    async fn decide_device(
        &self,
        user_code_hash: &str,
        approval: Option<&DeviceApproval>,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// Record a poll by `client_id`, atomically, and return the record as it
    /// is after the poll together with whether the poll came sooner than the
    /// interval after the previous one. Such a poll grows the interval by
    /// `step` seconds (RFC 8628 §3.5 slow_down). The first poll is never too
    /// soon. `None` when no authorization of that client has this hash.
    async fn poll_device(
        &self,
        device_code_hash: &str,
        client_id: &str,
        now: UnixTime,
        step: i64,
    ) -> StoreResult<Option<(DeviceAuthorization, bool)>>;
    /// Spend an approved device code, atomically: of concurrent takes
    /// exactly one returns true; a pending, denied or spent code gives false.
    async fn take_device(&self, device_code_hash: &str, now: UnixTime) -> StoreResult<bool>;
}

#[async_trait]
pub trait PushedRequestStore: Send + Sync {
    async fn put_pushed_request(&self, r: &PushedRequest) -> StoreResult<()>;
    /// Remove and return the pushed request, atomically: of concurrent
    /// takes exactly one gets `Some`. Expired requests are never returned.
    async fn take_pushed_request(
        &self,
        uri_hash: &str,
        now: UnixTime,
    ) -> StoreResult<Option<PushedRequest>>;
}

/// Failed-credential counters with a lock (brute force, [`crate::services::lockout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    pub failures: i64,
    /// No attempt is checked before this time (0: not locked).
    pub locked_until: UnixTime,
    /// When the last failure was counted.
    pub last_failure: UnixTime,
}

/// How a counter locks (the store applies it inside one statement, see
/// [`LockoutStore::reserve_attempt`]; [`crate::services::lockout`] names the policies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockPolicy {
    /// Failures allowed before the first lock.
    pub free: i64,
    /// The first lock, in seconds; each further failure doubles it.
    pub base: i64,
    /// The longest lock.
    pub max: i64,
    /// A counter whose last failure is this old starts again.
    pub forget_after: i64,
}

impl LockPolicy {
    /// The lock after `failures` failures, in seconds (0: none).
    pub fn lock_secs(&self, failures: i64) -> i64 {
        if failures < self.free {
            return 0;
        }
        let doublings = u32::try_from((failures - self.free).min(30)).unwrap_or(30);
        self.base.saturating_mul(1_i64 << doublings).min(self.max)
    }

    /// The fewest doublings past the allowance that reach the longest lock
    /// (so SQL can compute [`Self::lock_secs`] without `min`/`power`).
    pub fn doublings_to_max(&self) -> i64 {
        (0..=30)
            .find(|&k| self.base.saturating_mul(1_i64 << k) >= self.max)
            .unwrap_or(30)
    }
}

/// An attempt counted in advance by [`LockoutStore::reserve_attempt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    /// Failures counted, this attempt included.
    pub failures: i64,
    /// The lock this attempt set (`now` plus the policy's lock for
    /// `failures`; `now` itself when that is none).
    pub locked_until: UnixTime,
}

#[async_trait]
pub trait LockoutStore: Send + Sync {
    /// The counter under `key`, if it ever failed.
    async fn lockout(&self, key: &str) -> StoreResult<Option<Lockout>>;
    /// Begin a credential check under `key` at `now`, in one atomic
    /// statement. A key locked at `now` is left alone and `None` comes back:
    /// the check must be refused unchecked. Otherwise the attempt is counted
    /// as a failure in advance (a counter whose last failure came before
    /// `now - policy.forget_after` restarts at 1) and the key is locked for
    /// `policy.lock_secs(count)` from `now`, as if the attempt had failed.
    /// So of any number of concurrent attempts, only as many as the policy
    /// allows are let through, on every instance sharing the database; the
    /// caller gives the attempt back with [`Self::release_attempt`] when the
    /// credential was right.
    async fn reserve_attempt(
        &self,
        key: &str,
        now: UnixTime,
        policy: LockPolicy,
    ) -> StoreResult<Option<Reservation>>;
    /// Give back one reserved attempt that succeeded (or was never
    /// checked): one failure less, and the lock it set (`locked_until`
    /// still equal to `its_lock`) lifted. A lock set since by another
    /// attempt stays.
    async fn release_attempt(&self, key: &str, its_lock: UnixTime) -> StoreResult<()>;
    /// Forget `key` entirely (a success).
    async fn clear_lockout(&self, key: &str) -> StoreResult<()>;
}

/// Signing keys are superseded by time (`signs_from`, `signs_until`) and
/// retired, never edited otherwise. At most one key per algorithm is
/// *current* (`signs_until` is `None`); the database holds that under races
/// (a partial unique index), so two writers cannot both make a current key.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Every key, retired ones included, ordered by alg then `signs_from`.
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Store `key` as the current key for its algorithm unless that
    /// algorithm already has a current key; first writer wins, so
    /// instances starting together on one database keep one key. Callers
    /// reload with [`Self::signing_keys`] after.
    async fn insert_signing_key_if_absent(&self, key: &SigningKeyRecord) -> StoreResult<()>;
    /// In one transaction: end the current key `current_kid` of `alg` at
    /// `new.signs_from` and store `new` as the current key. Only a current
    /// key that has started signing (`signs_from <= now`) can be rotated
    /// out. `false`, with nothing changed, when `current_kid` is not that
    /// key any more or is still waiting to sign: of two concurrent
    /// rotations of one key exactly one wins.
    async fn rotate_signing_key(
        &self,
        alg: &str,
        current_kid: &str,
        new: &SigningKeyRecord,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// Retire every unretired key that stopped signing before
    /// `signed_until_before`: `retired_at = now` and its private bytes
    /// overwritten with empty, for good. Current keys are never touched.
    /// Returns how many; a second run retires nothing.
    async fn retire_signing_keys(
        &self,
        signed_until_before: UnixTime,
        now: UnixTime,
    ) -> StoreResult<u64>;
    /// Retire the key `kid` now, before its time (an emergency), in one
    /// transaction. A key that is current and has started signing is
    /// refused (`false`): rotate it out first. A current key still waiting
    /// to sign can be retired, which cancels its rotation: its predecessor
    /// becomes current again. `false` too when `kid` is unknown or already
    /// retired.
    async fn retire_signing_key(&self, kid: &str, now: UnixTime) -> StoreResult<bool>;
    /// The named installation secret, creating it from `candidate` if absent
    /// (first writer wins; everybody gets the same value back).
    async fn installation_secret(&self, name: &str, candidate: &[u8]) -> StoreResult<Vec<u8>>;
}

/// The audit log: append-only.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Append `record` (its `id` is ignored; the store numbers entries in
    /// the order they are appended).
    async fn append_audit(&self, record: &crate::model::AuditRecord) -> StoreResult<()>;
    /// Entries matching every condition of `filter`, newest first, at most
    /// `filter.limit`.
    async fn audit_log(
        &self,
        filter: &crate::model::AuditFilter,
    ) -> StoreResult<Vec<crate::model::AuditRecord>>;
}

/// What [`SweepStore::sweep_expired`] may delete: each cutoff is a time;
/// rows whose deciding time lies before it are dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// Authorization requests, pushed requests, device authorizations,
    /// sessions, refresh tokens and revoked-jti entries that expired
    /// before this.
    pub expired_before: UnixTime,
    /// Authorization codes that expired before this (later than the
    /// others, so a replay of a spent code can still revoke what it issued).
    pub codes_expired_before: UnixTime,
    /// Grants created before this and no longer referred to by any code,
    /// refresh token or device authorization: every token of theirs has
    /// expired.
    pub grants_created_before: UnixTime,
    /// Lockout counters whose last failure came before this and that are
    /// not locked at `expired_before`.
    pub lockouts_failed_before: UnixTime,
    /// Audit entries written before this.
    pub audit_before: UnixTime,
    /// Mails sent or given up before this (their bodies are already gone;
    /// the rows are kept a while for diagnosis). Mailed tokens go when
    /// they expire (`expired_before`).
    pub mail_done_before: UnixTime,
}

/// How many rows [`SweepStore::sweep_expired`] deleted, per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub auth_requests: u64,
    pub pushed_requests: u64,
    pub device_authorizations: u64,
    pub sessions: u64,
    pub codes: u64,
    pub refresh_tokens: u64,
    pub grants: u64,
    pub revoked_jtis: u64,
    pub lockouts: u64,
    pub audit: u64,
    pub mails: u64,
    pub email_tokens: u64,
    /// Ceremonies past their expiry (`expired_before`).
    pub ceremonies: u64,
}

impl Swept {
    pub fn total(&self) -> u64 {
        self.auth_requests
            + self.pushed_requests
            + self.device_authorizations
            + self.sessions
            + self.codes
            + self.refresh_tokens
            + self.grants
            + self.revoked_jtis
            + self.lockouts
            + self.audit
            + self.mails
            + self.email_tokens
            + self.ceremonies
    }
}

/// Mail: the outbox and the single-use tokens mails carry.
#[async_trait]
pub trait MailStore: Send + Sync {
    /// Queue `mail` and store the `tokens` it carries, in one transaction:
    /// no mail goes out without its tokens, and no token exists without its
    /// mail. Unused tokens of the same user and kind are dropped in that
    /// transaction (a newer request replaces the older ones).
    async fn queue_mail(&self, mail: &OutboxMail, tokens: &[EmailToken]) -> StoreResult<()>;
    /// Claim up to `limit` mails due at `now` until `lease_until`, counting
    /// an attempt on each. A mail is returned to one caller only, across
    /// instances, until its lease runs out: a sender that died mid-send
    /// leaves its mails to be claimed again after the lease.
    async fn claim_mail(
        &self,
        now: UnixTime,
        lease_until: UnixTime,
        limit: u32,
    ) -> StoreResult<Vec<OutboxMail>>;
    /// The mail went out: mark it sent and forget its bodies (they may
    /// carry a link or a code).
    async fn mail_sent(&self, id: &str, now: UnixTime) -> StoreResult<()>;
    /// Sending failed with `error`: try again at `retry_at`, or give up
    /// (`None`; the bodies are forgotten too).
    async fn mail_failed(
        &self,
        id: &str,
        retry_at: Option<UnixTime>,
        error: &str,
        now: UnixTime,
    ) -> StoreResult<()>;
    /// Mails neither sent nor given up.
    async fn outbox_depth(&self) -> StoreResult<u64>;
    /// Use the token with this hash and kind, if it is unused and not
    /// expired at `now`, atomically (of two concurrent takes, one gets it).
    /// Its user's other unused tokens of that kind go with it (the code and
    /// the link of one mail are used up together).
    async fn take_email_token(
        &self,
        token_hash: &str,
        kind: EmailTokenKind,
        now: UnixTime,
    ) -> StoreResult<Option<EmailToken>>;
}

/// Second factors and recovery codes (issue 18).
#[async_trait]
pub trait FactorStore: Send + Sync {
    /// Add a factor. A passkey's credential id is unique across accounts:
    /// adding one already registered is a `StoreError::Conflict`.
    async fn add_factor(&self, factor: &Factor) -> StoreResult<()>;
    /// The user's factors, oldest first.
    async fn factors(&self, user_id: &str) -> StoreResult<Vec<Factor>>;
    /// The passkey with this credential id, whoever's it is.
    async fn factor_by_credential(&self, credential_id: &str) -> StoreResult<Option<Factor>>;
    /// Rename the user's factor; false if the user has no such factor.
    async fn rename_factor(&self, user_id: &str, id: &str, name: &str) -> StoreResult<bool>;
    /// Remove the user's factor; false if the user has no such factor.
    /// Removing the last factor also deletes the recovery codes (they
    /// would otherwise be a second factor no one can see).
    async fn remove_factor(&self, user_id: &str, id: &str) -> StoreResult<bool>;
    /// Record that an app's code for time step `step` was accepted, if
    /// `step` is newer than the last one recorded, in one conditional
    /// write: of two concurrent uses of one code (on any instances), only
    /// one gets `true`, so each code works once.
    async fn advance_totp_step(&self, id: &str, step: i64, now: UnixTime) -> StoreResult<bool>;
    /// A passkey was used: store its updated credential (the signature
    /// counter) and the time.
    async fn passkey_used(&self, id: &str, credential: &str, now: UnixTime) -> StoreResult<()>;
    /// Replace the user's recovery codes with these hashes, in one
    /// transaction: the old set stops working as the new one starts.
    async fn replace_recovery_codes(
        &self,
        user_id: &str,
        hashes: &[String],
        now: UnixTime,
    ) -> StoreResult<()>;
    /// Use the recovery code with this hash, if unused, atomically (of two
    /// concurrent uses, one gets `true`).
    async fn use_recovery_code(
        &self,
        user_id: &str,
        hash: &str,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// How many of the user's recovery codes are unused.
    async fn recovery_codes_left(&self, user_id: &str) -> StoreResult<u32>;
}

/// Ceremonies that span requests (WebAuthn challenges, the step between
/// password and second factor, an app key awaiting "Turn on").
#[async_trait]
pub trait CeremonyStore: Send + Sync {
    async fn put_ceremony(&self, c: &Ceremony) -> StoreResult<()>;
    /// The ceremony with this hash and kind, unexpired at `now`, left in
    /// place (a wrong code may be retried).
    async fn ceremony(
        &self,
        id_hash: &str,
        kind: CeremonyKind,
        now: UnixTime,
    ) -> StoreResult<Option<Ceremony>>;
    /// Take the ceremony: returned to exactly one caller across instances,
    /// and gone afterwards, so a challenge is answered once.
    async fn take_ceremony(
        &self,
        id_hash: &str,
        kind: CeremonyKind,
        now: UnixTime,
    ) -> StoreResult<Option<Ceremony>>;
}

/// Bounded storage: what has expired is deleted, so an anonymous flood of
/// requests cannot grow the database without bound.
#[async_trait]
pub trait SweepStore: Send + Sync {
    /// Delete every row past its cutoff ([`Cutoffs`]) and nothing else, in
    /// small batches so writers are never held up for long. Safe to run
    /// concurrently from several instances (each row is deleted once; the
    /// counts then add up across them).
    async fn sweep_expired(&self, cutoffs: &Cutoffs) -> StoreResult<Swept>;
}

/// The connection pools at one moment (metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open, busy or idle.
    pub size: u32,
    pub idle: u32,
    /// The most the pools will open.
    pub max: u32,
}

/// The database itself, for the operator: readiness, metrics, shutdown.
#[async_trait]
pub trait OpsStore: Send + Sync {
    /// One round trip to the database, waiting at most the pool's acquire
    /// timeout: Ok with the time spent waiting for a connection when the
    /// database answers, [`StoreError::Unavailable`] when it cannot.
    async fn ping(&self) -> StoreResult<std::time::Duration>;
    /// The pools now.
    fn pool_stats(&self) -> PoolStats;
    /// Fold what sits beside the main file back into it (SQLite: a WAL
    /// checkpoint that truncates the log); a no-op elsewhere. Safe while
    /// serving: readers and the writer carry on.
    async fn checkpoint(&self) -> StoreResult<()>;
    /// Close the pools (shutdown): queries under way finish, later ones
    /// fail. SQLite checkpoints as its last connection closes.
    async fn close(&self);
}

/// Everything Portico stores.
pub trait Store:
    ClientStore
    + EntrypointStore
    + UserStore
    + RoleStore
    + SessionStore
    + AuthRequestStore
    + GrantStore
    + CodeStore
    + RefreshTokenStore
    + ConsentStore
    + RevocationStore
    + DeviceStore
    + PushedRequestStore
    + LockoutStore
    + AuditStore
    + KeyStore
    + SweepStore
    + MailStore
    + FactorStore
    + CeremonyStore
    + OpsStore
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: ClientStore
        + EntrypointStore
        + UserStore
        + RoleStore
        + SessionStore
        + AuthRequestStore
        + GrantStore
        + CodeStore
        + RefreshTokenStore
        + ConsentStore
        + RevocationStore
        + DeviceStore
        + PushedRequestStore
        + LockoutStore
        + AuditStore
        + KeyStore
        + SweepStore
        + MailStore
        + FactorStore
        + CeremonyStore
        + OpsStore
        + Send
        + Sync
        + 'static
{
}
