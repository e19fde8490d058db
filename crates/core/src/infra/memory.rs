//! An in-memory [`Store`](crate::infra::store::Store) for core's own tests and for
//! fuzzing. One mutex makes every operation atomic. Not for production: it
//! forgets everything on restart.

use crate::infra::store::*;
use crate::model::UnixTime;
use crate::model::{
    AuthCode, AuthRequest, Client, DeviceApproval, DeviceAuthorization, DeviceStatus, EmailToken,
    EmailTokenKind, Entrypoint, Grant, OutboxMail, PushedRequest, RefreshToken, Session,
    SigningKeyRecord, User,
};
use crate::model::{Ceremony, CeremonyKind, Factor};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

#[derive(Default)]
struct Inner {
    clients: HashMap<String, Client>,
    entrypoints: HashMap<String, Entrypoint>,
    users: HashMap<String, User>,
    sessions: HashMap<String, Session>,
    requests: HashMap<String, AuthRequest>,
    grants: HashMap<String, Grant>,
    codes: HashMap<String, (AuthCode, Option<UnixTime>)>,
    refresh: HashMap<String, (RefreshToken, Option<UnixTime>)>,
    consents: HashMap<(String, String), Vec<String>>,
    revoked_jti: HashMap<String, UnixTime>,
    devices: HashMap<String, DeviceAuthorization>,
    /// key -> (failures, locked_until, last failure)
    lockouts: HashMap<String, (i64, UnixTime, UnixTime)>,
    pushed: HashMap<String, PushedRequest>,
    audit: Vec<crate::model::AuditRecord>,
    keys: Vec<SigningKeyRecord>,
    secrets: HashMap<String, Vec<u8>>,
    /// Mail with its lease, sent and failed times.
    outbox: Vec<Queued>,
    /// Mailed tokens with their use time.
    email_tokens: HashMap<String, (EmailToken, Option<UnixTime>)>,
    factors: Vec<Factor>,
    /// (user id, code hash) -> used at.
    recovery_codes: HashMap<(String, String), Option<UnixTime>>,
    ceremonies: HashMap<String, Ceremony>,
    /// (user id, role)
    roles: std::collections::BTreeSet<(String, String)>,
}

/// A mail in the memory outbox: the mail, its lease, sent and failed times.
type Queued = (
    OutboxMail,
    Option<UnixTime>,
    Option<UnixTime>,
    Option<UnixTime>,
);

#[derive(Default)]
pub struct MemoryStore(Mutex<Inner>);

impl MemoryStore {
    /// Mark the user disabled and nothing else, unlike
    /// `set_user_disabled`, which also ends their sessions and grants: the
    /// state a sign-in racing the disabling sees, where only
    /// [`crate::services::accounts::usable`] stands in the way.
    #[cfg(test)]
    pub(crate) fn mark_disabled_only(&self, id: &str, at: UnixTime) {
        if let Ok(mut g) = self.lock()
            && let Some(u) = g.users.get_mut(id)
        {
            u.disabled_at = Some(at);
        }
    }

    fn lock(&self) -> StoreResult<MutexGuard<'_, Inner>> {
        self.0
            .lock()
            .map_err(|_| StoreError::Backend("memory store poisoned".into()))
    }
}

#[async_trait]
impl OpsStore for MemoryStore {
    async fn ping(&self) -> StoreResult<std::time::Duration> {
        self.lock().map(|_| std::time::Duration::ZERO)
    }
    fn pool_stats(&self) -> PoolStats {
        PoolStats::default()
    }
    async fn checkpoint(&self) -> StoreResult<()> {
        Ok(())
    }
    async fn close(&self) {}
}

#[async_trait]
impl ClientStore for MemoryStore {
    async fn client(&self, id: &str) -> StoreResult<Option<Client>> {
        Ok(self.lock()?.clients.get(id).cloned())
    }
    async fn upsert_client(&self, c: &Client) -> StoreResult<()> {
        self.lock()?.clients.insert(c.id.clone(), c.clone());
        Ok(())
    }
    async fn insert_client(&self, c: &Client) -> StoreResult<bool> {
        let mut g = self.lock()?;
        if g.clients.contains_key(&c.id) {
            return Ok(false);
        }
        g.clients.insert(c.id.clone(), c.clone());
        Ok(true)
    }
    async fn clients(&self) -> StoreResult<Vec<Client>> {
        let mut all: Vec<Client> = self.lock()?.clients.values().cloned().collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(all)
    }
    async fn delete_client(&self, id: &str, now: UnixTime) -> StoreResult<Option<u64>> {
        let mut g = self.lock()?;
        if g.clients.remove(id).is_none() {
            return Ok(None);
        }
        let mut n = 0;
        for grant in g.grants.values_mut() {
            if grant.client_id == id && grant.revoked_at.is_none() {
                grant.revoked_at = Some(now);
                n += 1;
            }
        }
        g.consents.retain(|(_, client), _| client != id);
        Ok(Some(n))
    }
}

#[async_trait]
impl EntrypointStore for MemoryStore {
    async fn entrypoint(&self, id: &str) -> StoreResult<Option<Entrypoint>> {
        Ok(self.lock()?.entrypoints.get(id).cloned())
    }
    async fn upsert_entrypoint(&self, e: &Entrypoint) -> StoreResult<()> {
        self.lock()?.entrypoints.insert(e.id.clone(), e.clone());
        Ok(())
    }
    async fn entrypoints(&self) -> StoreResult<Vec<Entrypoint>> {
        let mut all: Vec<Entrypoint> = self.lock()?.entrypoints.values().cloned().collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(all)
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        Ok(self
            .lock()?
            .users
            .values()
            .find(|u| u.email == email.to_lowercase())
            .cloned())
    }
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>> {
        Ok(self.lock()?.users.get(id).cloned())
    }
    async fn create_user(&self, u: &User) -> StoreResult<()> {
        let mut g = self.lock()?;
        if g.users.values().any(|x| x.email == u.email) {
            return Err(StoreError::Conflict("email".into()));
        }
        g.users.insert(u.id.clone(), u.clone());
        Ok(())
    }
    async fn upsert_user_by_email(&self, u: &User) -> StoreResult<String> {
        let mut g = self.lock()?;
        if let Some(existing) = g.users.values_mut().find(|x| x.email == u.email) {
            existing.name = u.name.clone();
            existing.given_name = u.given_name.clone();
            existing.family_name = u.family_name.clone();
            existing.password_hash = u.password_hash.clone();
            existing.updated_at = u.updated_at;
            existing.self_registered = u.self_registered;
            return Ok(existing.id.clone());
        }
        g.users.insert(u.id.clone(), u.clone());
        Ok(u.id.clone())
    }
    async fn delete_user(&self, id: &str, now: UnixTime) -> StoreResult<bool> {
        let mut g = self.lock()?;
        for grant in g.grants.values_mut() {
            if grant.user_id == id && grant.revoked_at.is_none() {
                grant.revoked_at = Some(now);
            }
        }
        g.sessions.retain(|_, s| s.user_id != id);
        g.consents.retain(|(user, _), _| user != id);
        g.email_tokens.retain(|_, (t, _)| t.user_id != id);
        g.factors.retain(|f| f.user_id != id);
        g.recovery_codes.retain(|(u, _), _| u != id);
        g.ceremonies.retain(|_, c| c.user_id.as_deref() != Some(id));
        g.roles.retain(|(u, _)| u != id);
        for r in g.audit.iter_mut() {
            if r.user_id.as_deref() == Some(id) {
                r.detail.clear();
                r.ip = None;
            }
        }
        let Some(gone) = g.users.remove(id) else {
            return Ok(false);
        };
        g.outbox
            .retain(|(m, _, sent, _)| m.recipient != gone.email || sent.is_some());
        Ok(true)
    }
    async fn users_page(
        &self,
        text: Option<&str>,
        after_email: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<User>> {
        let text = text.map(str::to_lowercase).filter(|t| !t.is_empty());
        let mut found: Vec<User> = self
            .lock()?
            .users
            .values()
            .filter(|u| after_email.is_none_or(|a| u.email.as_str() > a))
            .filter(|u| {
                text.as_ref().is_none_or(|t| {
                    u.email.to_lowercase().contains(t) || u.name.to_lowercase().contains(t)
                })
            })
            .cloned()
            .collect();
        found.sort_by(|a, b| a.email.cmp(&b.email));
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(found)
    }
    async fn set_user_disabled(
        &self,
        id: &str,
        disabled: bool,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let mut g = self.lock()?;
        let Some(u) = g.users.get_mut(id) else {
            return Ok(false);
        };
        if !disabled {
            u.disabled_at = None;
            return Ok(true);
        }
        u.disabled_at.get_or_insert(now);
        for grant in g.grants.values_mut() {
            if grant.user_id == id && grant.revoked_at.is_none() {
                grant.revoked_at = Some(now);
            }
        }
        g.sessions.retain(|_, s| s.user_id != id);
        g.email_tokens
            .retain(|_, (t, used)| t.user_id != id || used.is_some());
        Ok(true)
    }
    async fn reset_password(&self, id: &str, hash: &str, now: UnixTime) -> StoreResult<bool> {
        let mut g = self.lock()?;
        let Some(u) = g.users.get_mut(id) else {
            return Ok(false);
        };
        u.password_hash = hash.to_owned();
        u.updated_at = now;
        for grant in g.grants.values_mut() {
            if grant.user_id == id && grant.revoked_at.is_none() {
                grant.revoked_at = Some(now);
            }
        }
        g.sessions.retain(|_, s| s.user_id != id);
        g.email_tokens
            .retain(|_, (t, used)| t.user_id != id || used.is_some());
        Ok(true)
    }
    async fn change_email(
        &self,
        id: &str,
        from: &str,
        to: &str,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let mut g = self.lock()?;
        let to = to.to_lowercase();
        if g.users.values().any(|u| u.id != id && u.email == to) {
            return Err(StoreError::Conflict("email".into()));
        }
        match g.users.get_mut(id) {
            Some(u) if u.email == from.to_lowercase() => {
                u.email = to;
                u.email_verified = true;
                u.updated_at = now;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn undo_email_change(
        &self,
        id: &str,
        current: &str,
        restore: &str,
        now: UnixTime,
    ) -> StoreResult<bool> {
        if !self.change_email(id, current, restore, now).await? {
            return Ok(false);
        }
        let mut g = self.lock()?;
        for grant in g.grants.values_mut() {
            if grant.user_id == id && grant.revoked_at.is_none() {
                grant.revoked_at = Some(now);
            }
        }
        g.sessions.retain(|_, s| s.user_id != id);
        g.email_tokens
            .retain(|_, (t, used)| t.user_id != id || used.is_some());
        Ok(true)
    }
    async fn mark_email_verified(&self, id: &str, email: &str, now: UnixTime) -> StoreResult<bool> {
        let mut g = self.lock()?;
        match g.users.get_mut(id) {
            Some(u) if u.email == email.to_lowercase() => {
                u.email_verified = true;
                u.updated_at = now;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[async_trait]
impl MailStore for MemoryStore {
    async fn queue_mail(&self, mail: &OutboxMail, tokens: &[EmailToken]) -> StoreResult<()> {
        let mut g = self.lock()?;
        for t in tokens {
            g.email_tokens.retain(|_, (old, used)| {
                used.is_some() || old.user_id != t.user_id || old.kind != t.kind
            });
        }
        for t in tokens {
            g.email_tokens
                .insert(t.token_hash.clone(), (t.clone(), None));
        }
        g.outbox.push((mail.clone(), None, None, None));
        Ok(())
    }
    async fn claim_mail(
        &self,
        now: UnixTime,
        lease_until: UnixTime,
        limit: u32,
    ) -> StoreResult<Vec<OutboxMail>> {
        let mut g = self.lock()?;
        let mut out = Vec::new();
        for (m, lease, sent, failed) in g.outbox.iter_mut() {
            if out.len() >= limit as usize {
                break;
            }
            if sent.is_none()
                && failed.is_none()
                && m.next_attempt_at <= now
                && lease.is_none_or(|l| l <= now)
            {
                *lease = Some(lease_until);
                m.attempts += 1;
                out.push(m.clone());
            }
        }
        Ok(out)
    }
    async fn mail_sent(&self, id: &str, now: UnixTime) -> StoreResult<()> {
        let mut g = self.lock()?;
        if let Some((m, _, sent, _)) = g.outbox.iter_mut().find(|(m, ..)| m.id == id) {
            *sent = Some(now);
            m.text.clear();
            m.html.clear();
        }
        Ok(())
    }
    async fn mail_failed(
        &self,
        id: &str,
        retry_at: Option<UnixTime>,
        _error: &str,
        now: UnixTime,
    ) -> StoreResult<()> {
        let mut g = self.lock()?;
        if let Some((m, lease, _, failed)) = g.outbox.iter_mut().find(|(m, ..)| m.id == id) {
            *lease = None;
            match retry_at {
                Some(at) => m.next_attempt_at = at,
                None => {
                    *failed = Some(now);
                    m.text.clear();
                    m.html.clear();
                }
            }
        }
        Ok(())
    }
    async fn outbox_depth(&self) -> StoreResult<u64> {
        let g = self.lock()?;
        Ok(g.outbox
            .iter()
            .filter(|(_, _, sent, failed)| sent.is_none() && failed.is_none())
            .count() as u64)
    }
    async fn take_email_token(
        &self,
        hash: &str,
        kind: EmailTokenKind,
        now: UnixTime,
    ) -> StoreResult<Option<EmailToken>> {
        let mut g = self.lock()?;
        let Some((t, used)) = g.email_tokens.get_mut(hash) else {
            return Ok(None);
        };
        if used.is_some() || t.kind != kind || t.expires_at <= now {
            return Ok(None);
        }
        *used = Some(now);
        let t = t.clone();
        g.email_tokens
            .retain(|_, (o, used)| used.is_some() || o.user_id != t.user_id || o.kind != kind);
        Ok(Some(t))
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create_session(&self, s: &Session) -> StoreResult<()> {
        self.lock()?.sessions.insert(s.id_hash.clone(), s.clone());
        Ok(())
    }
    async fn session(&self, id_hash: &str, now: UnixTime) -> StoreResult<Option<Session>> {
        Ok(self
            .lock()?
            .sessions
            .get(id_hash)
            .filter(|s| s.expires_at > now)
            .cloned())
    }
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        self.lock()?.sessions.remove(id_hash);
        Ok(())
    }
    async fn sessions_of_user(&self, user_id: &str, now: UnixTime) -> StoreResult<Vec<Session>> {
        let mut all: Vec<Session> = self
            .lock()?
            .sessions
            .values()
            .filter(|s| s.user_id == user_id && s.expires_at > now)
            .cloned()
            .collect();
        all.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| a.id_hash.cmp(&b.id_hash))
        });
        Ok(all)
    }
    async fn end_session_of_user(
        &self,
        user_id: &str,
        id_hash: &str,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let mut g = self.lock()?;
        if g.sessions.get(id_hash).is_none_or(|s| s.user_id != user_id) {
            return Ok(false);
        }
        g.sessions.remove(id_hash);
        for grant in g.grants.values_mut() {
            if grant.session_id_hash.as_deref() == Some(id_hash)
                && grant.user_id == user_id
                && grant.revoked_at.is_none()
            {
                grant.revoked_at = Some(now);
            }
        }
        Ok(true)
    }
    async fn end_sessions_of_user(&self, user_id: &str, now: UnixTime) -> StoreResult<u64> {
        let mut g = self.lock()?;
        let ended: Vec<String> = g
            .sessions
            .values()
            .filter(|s| s.user_id == user_id)
            .map(|s| s.id_hash.clone())
            .collect();
        for grant in g.grants.values_mut() {
            let from_one = grant
                .session_id_hash
                .as_ref()
                .is_some_and(|h| ended.contains(h));
            if from_one && grant.user_id == user_id && grant.revoked_at.is_none() {
                grant.revoked_at = Some(now);
            }
        }
        g.sessions.retain(|_, s| s.user_id != user_id);
        Ok(ended.len() as u64)
    }
}

#[async_trait]
impl AuthRequestStore for MemoryStore {
    async fn put_auth_request(&self, r: &AuthRequest) -> StoreResult<()> {
        self.lock()?.requests.insert(r.id.clone(), r.clone());
        Ok(())
    }
    async fn auth_request(&self, id: &str, now: UnixTime) -> StoreResult<Option<AuthRequest>> {
        Ok(self
            .lock()?
            .requests
            .get(id)
            .filter(|r| r.expires_at > now)
            .cloned())
    }
    async fn update_auth_request(&self, r: &AuthRequest, now: UnixTime) -> StoreResult<bool> {
        let mut g = self.lock()?;
        match g.requests.get_mut(&r.id) {
            Some(old) if old.expires_at > now => {
                *old = r.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn take_auth_request(&self, id: &str, now: UnixTime) -> StoreResult<Option<AuthRequest>> {
        Ok(self
            .lock()?
            .requests
            .remove(id)
            .filter(|r| r.expires_at > now))
    }
}

#[async_trait]
impl GrantStore for MemoryStore {
    async fn create_grant(&self, g: &Grant) -> StoreResult<()> {
        self.lock()?.grants.insert(g.id.clone(), g.clone());
        Ok(())
    }
    async fn grant(&self, id: &str) -> StoreResult<Option<Grant>> {
        Ok(self.lock()?.grants.get(id).cloned())
    }
    async fn revoke_grants_of_session(
        &self,
        session_id_hash: &str,
        now: UnixTime,
    ) -> StoreResult<u64> {
        let mut n = 0;
        for g in self.lock()?.grants.values_mut() {
            if g.session_id_hash.as_deref() == Some(session_id_hash) && g.revoked_at.is_none() {
                g.revoked_at = Some(now);
                n += 1;
            }
        }
        Ok(n)
    }
    async fn move_grants_to_session(&self, from: &str, to: &str) -> StoreResult<u64> {
        let mut n = 0;
        for g in self.lock()?.grants.values_mut() {
            if g.session_id_hash.as_deref() == Some(from) {
                g.session_id_hash = Some(to.to_owned());
                n += 1;
            }
        }
        Ok(n)
    }
    async fn revoke_grants_of(
        &self,
        user_id: &str,
        client_id: &str,
        now: UnixTime,
    ) -> StoreResult<u64> {
        let mut n = 0;
        for g in self.lock()?.grants.values_mut() {
            if g.user_id == user_id && g.client_id == client_id && g.revoked_at.is_none() {
                g.revoked_at = Some(now);
                n += 1;
            }
        }
        Ok(n)
    }
    async fn revoke_grants_of_client(&self, client_id: &str, now: UnixTime) -> StoreResult<u64> {
        let mut n = 0;
        for g in self.lock()?.grants.values_mut() {
            if g.client_id == client_id && g.revoked_at.is_none() {
                g.revoked_at = Some(now);
                n += 1;
            }
        }
        Ok(n)
    }
    async fn grants_of_user(&self, user_id: &str) -> StoreResult<Vec<Grant>> {
        let mut all: Vec<Grant> = self
            .lock()?
            .grants
            .values()
            .filter(|g| g.user_id == user_id && g.revoked_at.is_none())
            .cloned()
            .collect();
        all.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(all)
    }
    async fn revoke_grants_of_user(&self, user_id: &str, now: UnixTime) -> StoreResult<u64> {
        let mut n = 0;
        for g in self.lock()?.grants.values_mut() {
            if g.user_id == user_id && g.revoked_at.is_none() {
                g.revoked_at = Some(now);
                n += 1;
            }
        }
        Ok(n)
    }
    async fn revoke_grant(&self, id: &str, now: UnixTime) -> StoreResult<()> {
        if let Some(g) = self.lock()?.grants.get_mut(id) {
            g.revoked_at.get_or_insert(now);
        }
        Ok(())
    }
}

fn take<T: Clone>(
    m: &mut HashMap<String, (T, Option<UnixTime>)>,
    grants: &HashMap<String, Grant>,
    key: &str,
    now: UnixTime,
    grant_of: impl Fn(&T) -> &str,
) -> Take<T> {
    match m.get_mut(key) {
        None => Take::NotFound,
        Some((v, Some(at))) => Take::AlreadyUsed(v.clone(), *at),
        Some((v, _))
            if grants
                .get(grant_of(v))
                .is_some_and(|g| g.revoked_at.is_some()) =>
        {
            Take::Revoked
        }
        Some((v, used)) => {
            *used = Some(now);
            Take::Taken(v.clone())
        }
    }
}

#[async_trait]
impl CodeStore for MemoryStore {
    async fn put_code(&self, c: &AuthCode) -> StoreResult<()> {
        self.lock()?
            .codes
            .insert(c.code_hash.clone(), (c.clone(), None));
        Ok(())
    }
    async fn take_code(&self, h: &str, now: UnixTime) -> StoreResult<Take<AuthCode>> {
        let mut g = self.lock()?;
        let inner = &mut *g;
        Ok(take(&mut inner.codes, &inner.grants, h, now, |c| {
            &c.grant_id
        }))
    }
}

#[async_trait]
impl RefreshTokenStore for MemoryStore {
    async fn put_refresh_token(&self, t: &RefreshToken) -> StoreResult<()> {
        self.lock()?
            .refresh
            .entry(t.token_hash.clone())
            .or_insert_with(|| (t.clone(), None));
        Ok(())
    }
    async fn take_refresh_token(&self, h: &str, now: UnixTime) -> StoreResult<Take<RefreshToken>> {
        let mut g = self.lock()?;
        let inner = &mut *g;
        Ok(take(&mut inner.refresh, &inner.grants, h, now, |t| {
            &t.grant_id
        }))
    }
    async fn refresh_token(
        &self,
        h: &str,
    ) -> StoreResult<Option<(RefreshToken, Option<UnixTime>)>> {
        Ok(self.lock()?.refresh.get(h).cloned())
    }
}

#[async_trait]
impl ConsentStore for MemoryStore {
    async fn consented_scopes(&self, user_id: &str, client_id: &str) -> StoreResult<Vec<String>> {
        Ok(self
            .lock()?
            .consents
            .get(&(user_id.to_owned(), client_id.to_owned()))
            .cloned()
            .unwrap_or_default())
    }
    async fn add_consent(
        &self,
        user_id: &str,
        client_id: &str,
        scopes: &[String],
        _now: UnixTime,
    ) -> StoreResult<()> {
        let mut g = self.lock()?;
        let held = g
            .consents
            .entry((user_id.to_owned(), client_id.to_owned()))
            .or_default();
        for s in scopes {
            if !held.contains(s) {
                held.push(s.clone());
            }
        }
        Ok(())
    }
}

#[async_trait]
impl RevocationStore for MemoryStore {
    async fn revoke_access_token(&self, jti: &str, expires_at: UnixTime) -> StoreResult<()> {
        self.lock()?.revoked_jti.insert(jti.to_owned(), expires_at);
        Ok(())
    }
    async fn access_token_revoked(&self, jti: &str) -> StoreResult<bool> {
        Ok(self.lock()?.revoked_jti.contains_key(jti))
    }
}

#[async_trait]
impl DeviceStore for MemoryStore {
    async fn put_device_authorization(
        &self,
        d: &DeviceAuthorization,
        now: UnixTime,
    ) -> StoreResult<()> {
        let mut g = self.lock()?;
        g.devices
            .retain(|_, x| x.user_code_hash != d.user_code_hash || x.expires_at > now);
        if g.devices.contains_key(&d.device_code_hash)
            || g.devices
                .values()
                .any(|x| x.user_code_hash == d.user_code_hash)
        {
            return Err(StoreError::Conflict("user code".into()));
        }
        g.devices.insert(d.device_code_hash.clone(), d.clone());
        Ok(())
    }
    async fn device_by_user_code(
        &self,
        user_code_hash: &str,
    ) -> StoreResult<Option<DeviceAuthorization>> {
        Ok(self
            .lock()?
            .devices
            .values()
            .find(|x| x.user_code_hash == user_code_hash)
            .cloned())
    }
    async fn decide_device(
        &self,
        user_code_hash: &str,
        approval: Option<&DeviceApproval>,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let mut g = self.lock()?;
        let Some(d) = g.devices.values_mut().find(|x| {
            x.user_code_hash == user_code_hash
                && x.status == DeviceStatus::Pending
                && x.expires_at > now
        }) else {
            return Ok(false);
        };
        d.status = if approval.is_some() {
            DeviceStatus::Approved
        } else {
            DeviceStatus::Denied
        };
        d.approval = approval.cloned();
        Ok(true)
    }
    async fn poll_device(
        &self,
        device_code_hash: &str,
        client_id: &str,
        now: UnixTime,
        step: i64,
    ) -> StoreResult<Option<(DeviceAuthorization, bool)>> {
        let mut g = self.lock()?;
        let Some(d) = g
            .devices
            .get_mut(device_code_hash)
            .filter(|d| d.client_id == client_id)
        else {
            return Ok(None);
        };
        let slow = d.last_polled_at.is_some_and(|t| now - t < d.interval);
        if slow {
            d.interval += step;
        }
        d.last_polled_at = Some(now);
        Ok(Some((d.clone(), slow)))
    }
    async fn take_device(&self, device_code_hash: &str, now: UnixTime) -> StoreResult<bool> {
        let mut g = self.lock()?;
        match g.devices.get_mut(device_code_hash) {
            Some(d) if d.status == DeviceStatus::Approved && d.used_at.is_none() => {
                d.used_at = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[async_trait]
impl PushedRequestStore for MemoryStore {
    async fn put_pushed_request(&self, r: &PushedRequest) -> StoreResult<()> {
        self.lock()?.pushed.insert(r.uri_hash.clone(), r.clone());
        Ok(())
    }
    async fn take_pushed_request(
        &self,
        uri_hash: &str,
        now: UnixTime,
    ) -> StoreResult<Option<PushedRequest>> {
        Ok(self
            .lock()?
            .pushed
            .remove(uri_hash)
            .filter(|r| r.expires_at > now))
    }
}

#[async_trait]
impl SweepStore for MemoryStore {
    async fn sweep_expired(&self, c: &Cutoffs) -> StoreResult<Swept> {
        fn drop_where<K, V>(m: &mut HashMap<K, V>, dead: impl Fn(&V) -> bool) -> u64 {
            let before = m.len();
            m.retain(|_, v| !dead(v));
            (before - m.len()) as u64
        }
        let mut g = self.lock()?;
        let g = &mut *g;
        let t = c.expired_before;
        let mut s = Swept {
            auth_requests: drop_where(&mut g.requests, |r| r.expires_at < t),
            pushed_requests: drop_where(&mut g.pushed, |r| r.expires_at < t),
            device_authorizations: drop_where(&mut g.devices, |d| d.expires_at < t),
            sessions: drop_where(&mut g.sessions, |s| s.expires_at < t),
            codes: drop_where(&mut g.codes, |(code, _)| {
                code.expires_at < c.codes_expired_before
            }),
            refresh_tokens: drop_where(&mut g.refresh, |(r, _)| r.expires_at < t),
            revoked_jtis: drop_where(&mut g.revoked_jti, |&exp| exp < t),
            lockouts: drop_where(&mut g.lockouts, |&(_, locked_until, last)| {
                last < c.lockouts_failed_before && locked_until <= t
            }),
            ..Swept::default()
        };
        let referred: std::collections::HashSet<String> = g
            .codes
            .values()
            .map(|(code, _)| code.grant_id.clone())
            .chain(g.refresh.values().map(|(r, _)| r.grant_id.clone()))
            .chain(
                g.devices
                    .values()
                    .filter_map(|d| d.approval.as_ref().map(|a| a.grant_id.clone())),
            )
            .collect();
        s.grants = drop_where(&mut g.grants, |gr| {
            gr.created_at < c.grants_created_before && !referred.contains(&gr.id)
        });
        let before = g.audit.len();
        g.audit.retain(|r| r.at >= c.audit_before);
        s.audit = (before - g.audit.len()) as u64;
        let before = g.outbox.len();
        g.outbox.retain(|(_, _, sent, failed)| {
            sent.or(*failed)
                .is_none_or(|done| done >= c.mail_done_before)
        });
        s.mails = (before - g.outbox.len()) as u64;
        s.email_tokens = drop_where(&mut g.email_tokens, |(tok, _)| tok.expires_at < t);
        s.ceremonies = drop_where(&mut g.ceremonies, |c| c.expires_at < t);
        Ok(s)
    }
}

#[async_trait]
impl RoleStore for MemoryStore {
    async fn user_roles(&self, user_id: &str) -> StoreResult<Vec<String>> {
        Ok(self
            .lock()?
            .roles
            .iter()
            .filter(|(u, _)| u == user_id)
            .map(|(_, r)| r.clone())
            .collect())
    }
    async fn grant_role(&self, user_id: &str, role: &str) -> StoreResult<bool> {
        let mut g = self.lock()?;
        if !g.users.contains_key(user_id) {
            return Ok(false);
        }
        Ok(g.roles.insert((user_id.to_owned(), role.to_owned())))
    }
    async fn revoke_role(&self, user_id: &str, role: &str) -> StoreResult<Revoked> {
        let mut g = self.lock()?;
        let key = (user_id.to_owned(), role.to_owned());
        if !g.roles.contains(&key) {
            return Ok(Revoked::NotHeld);
        }
        if g.roles.iter().filter(|(_, r)| r == role).count() <= 1 {
            return Ok(Revoked::LastHolder);
        }
        g.roles.remove(&key);
        Ok(Revoked::Done)
    }
    async fn role_holders(&self, role: &str) -> StoreResult<Vec<String>> {
        Ok(self
            .lock()?
            .roles
            .iter()
            .filter(|(_, r)| r == role)
            .map(|(u, _)| u.clone())
            .collect())
    }
}

#[async_trait]
impl AuditStore for MemoryStore {
    async fn append_audit(&self, record: &crate::model::AuditRecord) -> StoreResult<()> {
        let mut g = self.lock()?;
        // Ids only grow, also after the sweeper removed old entries.
        let id = g.audit.last().map_or(0, |r| r.id) + 1;
        g.audit.push(crate::model::AuditRecord {
            id,
            ..record.clone()
        });
        Ok(())
    }
    async fn audit_log(
        &self,
        f: &crate::model::AuditFilter,
    ) -> StoreResult<Vec<crate::model::AuditRecord>> {
        let g = self.lock()?;
        Ok(g.audit
            .iter()
            .rev()
            .filter(|r| f.user_id.is_none() || r.user_id == f.user_id)
            .filter(|r| f.client_id.is_none() || r.client_id == f.client_id)
            .filter(|r| f.since.is_none_or(|s| r.at >= s))
            .filter(|r| f.until.is_none_or(|u| r.at < u))
            .filter(|r| f.event.is_none() || Some(&r.event) == f.event.as_ref())
            .filter(|r| f.actor.is_none() || r.actor == f.actor)
            .filter(|r| f.before_id.is_none_or(|b| r.id < b))
            .take(usize::try_from(f.limit).unwrap_or(0))
            .cloned()
            .collect())
    }
}

#[async_trait]
impl LockoutStore for MemoryStore {
    async fn lockout(&self, key: &str) -> StoreResult<Option<Lockout>> {
        Ok(self
            .lock()?
            .lockouts
            .get(key)
            .map(|&(failures, locked_until, last_failure)| Lockout {
                failures,
                locked_until,
                last_failure,
            }))
    }
    async fn reserve_attempt(
        &self,
        key: &str,
        now: UnixTime,
        policy: LockPolicy,
    ) -> StoreResult<Option<Reservation>> {
        let mut g = self.lock()?;
        let e = g.lockouts.entry(key.to_owned()).or_insert((0, 0, now));
        if e.1 > now {
            return Ok(None);
        }
        if e.2 < now - policy.forget_after {
            *e = (0, 0, now);
        }
        e.0 += 1;
        e.1 = now + policy.lock_secs(e.0);
        e.2 = now;
        Ok(Some(Reservation {
            failures: e.0,
            locked_until: e.1,
        }))
    }
    async fn release_attempt(&self, key: &str, its_lock: UnixTime) -> StoreResult<()> {
        if let Some(e) = self.lock()?.lockouts.get_mut(key) {
            e.0 = (e.0 - 1).max(0);
            if e.1 == its_lock {
                e.1 = 0;
            }
        }
        Ok(())
    }
    async fn clear_lockout(&self, key: &str) -> StoreResult<()> {
        self.lock()?.lockouts.remove(key);
        Ok(())
    }
}

#[async_trait]
impl KeyStore for MemoryStore {
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let mut keys = self.lock()?.keys.clone();
        keys.sort_by(|a, b| (&a.alg, a.signs_from, &a.kid).cmp(&(&b.alg, b.signs_from, &b.kid)));
        Ok(keys)
    }
    async fn insert_signing_key_if_absent(&self, k: &SigningKeyRecord) -> StoreResult<()> {
        let mut g = self.lock()?;
        let current = |x: &SigningKeyRecord| x.alg == k.alg && x.signs_until.is_none();
        if !g.keys.iter().any(|x| current(x) || x.kid == k.kid) {
            g.keys.push(k.clone());
        }
        Ok(())
    }
    async fn rotate_signing_key(
        &self,
        alg: &str,
        current_kid: &str,
        new: &SigningKeyRecord,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let mut g = self.lock()?;
        if g.keys.iter().any(|x| x.kid == new.kid) {
            return Err(StoreError::Conflict("the key id is taken".into()));
        }
        let Some(old) = g.keys.iter_mut().find(|x| {
            x.kid == current_kid
                && x.alg == alg
                && x.signs_until.is_none()
                && x.retired_at.is_none()
                && x.signs_from <= now
        }) else {
            return Ok(false);
        };
        old.signs_until = Some(new.signs_from);
        g.keys.push(SigningKeyRecord {
            alg: alg.to_owned(),
            signs_until: None,
            retired_at: None,
            ..new.clone()
        });
        Ok(true)
    }
    async fn retire_signing_keys(
        &self,
        signed_until_before: UnixTime,
        now: UnixTime,
    ) -> StoreResult<u64> {
        let mut g = self.lock()?;
        let mut n = 0;
        for k in g.keys.iter_mut().filter(|k| {
            k.retired_at.is_none() && k.signs_until.is_some_and(|u| u < signed_until_before)
        }) {
            k.retired_at = Some(now);
            k.private_pkcs8 = Vec::new();
            n += 1;
        }
        Ok(n)
    }
    async fn retire_signing_key(&self, kid: &str, now: UnixTime) -> StoreResult<bool> {
        let mut g = self.lock()?;
        let Some(i) = g
            .keys
            .iter()
            .position(|k| k.kid == kid && k.retired_at.is_none())
        else {
            return Ok(false);
        };
        let (alg, from, until) = {
            let k = &g.keys[i];
            (k.alg.clone(), k.signs_from, k.signs_until)
        };
        let predecessor = g.keys.iter().position(|p| {
            p.alg == alg && p.signs_until == Some(from) && p.retired_at.is_none() && p.kid != kid
        });
        let allowed = match until {
            Some(u) => u <= now,
            None => from > now && predecessor.is_some(),
        };
        if !allowed {
            return Ok(false);
        }
        let k = &mut g.keys[i];
        k.retired_at = Some(now);
        k.private_pkcs8 = Vec::new();
        k.signs_until = Some(until.unwrap_or(from));
        if let (None, Some(p)) = (until, predecessor) {
            g.keys[p].signs_until = None;
        }
        Ok(true)
    }
    async fn installation_secret(&self, name: &str, candidate: &[u8]) -> StoreResult<Vec<u8>> {
        Ok(self
            .lock()?
            .secrets
            .entry(name.to_owned())
            .or_insert_with(|| candidate.to_vec())
            .clone())
    }
}

#[async_trait]
impl FactorStore for MemoryStore {
    async fn add_factor(&self, f: &Factor) -> StoreResult<()> {
        let mut g = self.lock()?;
        if f.credential_id.is_some() && g.factors.iter().any(|o| o.credential_id == f.credential_id)
        {
            return Err(StoreError::Conflict(
                "this passkey is already registered".into(),
            ));
        }
        g.factors.push(f.clone());
        Ok(())
    }
    async fn factors(&self, user_id: &str) -> StoreResult<Vec<Factor>> {
        let g = self.lock()?;
        let mut v: Vec<Factor> = g
            .factors
            .iter()
            .filter(|f| f.user_id == user_id)
            .cloned()
            .collect();
        v.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(v)
    }
    async fn factor_by_credential(&self, credential_id: &str) -> StoreResult<Option<Factor>> {
        let g = self.lock()?;
        Ok(g.factors
            .iter()
            .find(|f| f.credential_id.as_deref() == Some(credential_id))
            .cloned())
    }
    async fn rename_factor(&self, user_id: &str, id: &str, name: &str) -> StoreResult<bool> {
        let mut g = self.lock()?;
        match g
            .factors
            .iter_mut()
            .find(|f| f.user_id == user_id && f.id == id)
        {
            Some(f) => {
                f.name = name.to_owned();
                Ok(true)
            }
            None => Ok(false),
        }
    }
    async fn remove_factor(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        let mut g = self.lock()?;
        let before = g.factors.len();
        g.factors.retain(|f| !(f.user_id == user_id && f.id == id));
        let removed = g.factors.len() < before;
        if removed && !g.factors.iter().any(|f| f.user_id == user_id) {
            g.recovery_codes.retain(|(u, _), _| u != user_id);
        }
        Ok(removed)
    }
    async fn advance_totp_step(&self, id: &str, step: i64, now: UnixTime) -> StoreResult<bool> {
        let mut g = self.lock()?;
        match g.factors.iter_mut().find(|f| f.id == id) {
            Some(f) if f.last_step.is_none_or(|l| l < step) => {
                f.last_step = Some(step);
                f.last_used_at = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn passkey_used(&self, id: &str, credential: &str, now: UnixTime) -> StoreResult<()> {
        let mut g = self.lock()?;
        if let Some(f) = g.factors.iter_mut().find(|f| f.id == id) {
            f.secret = credential.to_owned();
            f.last_used_at = Some(now);
        }
        Ok(())
    }
    async fn replace_recovery_codes(
        &self,
        user_id: &str,
        hashes: &[String],
        _now: UnixTime,
    ) -> StoreResult<()> {
        let mut g = self.lock()?;
        g.recovery_codes.retain(|(u, _), _| u != user_id);
        for h in hashes {
            g.recovery_codes
                .insert((user_id.to_owned(), h.clone()), None);
        }
        Ok(())
    }
    async fn use_recovery_code(
        &self,
        user_id: &str,
        hash: &str,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let mut g = self.lock()?;
        match g
            .recovery_codes
            .get_mut(&(user_id.to_owned(), hash.to_owned()))
        {
            Some(used @ None) => {
                *used = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn recovery_codes_left(&self, user_id: &str) -> StoreResult<u32> {
        let g = self.lock()?;
        Ok(g.recovery_codes
            .iter()
            .filter(|((u, _), used)| u == user_id && used.is_none())
            .count() as u32)
    }
}

#[async_trait]
impl CeremonyStore for MemoryStore {
    async fn put_ceremony(&self, c: &Ceremony) -> StoreResult<()> {
        self.lock()?.ceremonies.insert(c.id_hash.clone(), c.clone());
        Ok(())
    }
    async fn ceremony(
        &self,
        id_hash: &str,
        kind: CeremonyKind,
        now: UnixTime,
    ) -> StoreResult<Option<Ceremony>> {
        let g = self.lock()?;
        Ok(g.ceremonies
            .get(id_hash)
            .filter(|c| c.kind == kind && c.expires_at > now)
            .cloned())
    }
    async fn take_ceremony(
        &self,
        id_hash: &str,
        kind: CeremonyKind,
        now: UnixTime,
    ) -> StoreResult<Option<Ceremony>> {
        let mut g = self.lock()?;
        let live = g
            .ceremonies
            .get(id_hash)
            .is_some_and(|c| c.kind == kind && c.expires_at > now);
        Ok(if live {
            g.ceremonies.remove(id_hash)
        } else {
            None
        })
    }
}
