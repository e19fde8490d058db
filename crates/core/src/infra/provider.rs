//! The provider: configuration, storage, clock, randomness and keys that
//! every operation needs, built once at start.

use crate::infra::cache::TtlCache;
use crate::infra::clock::Clock;
use crate::infra::jose::{
    JWKS_MAX_AGE, KEY_REFRESH, KeySet, SigningKey, Unverified, VERIFY_LEEWAY, Verified,
};
use crate::infra::random::Random;
use crate::infra::store::Store;
use crate::model::Client;
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::secret::{ClientSecretHasher, MacKey, SealingKey, SuccessorKey};
use crate::protocol::types::SigningAlg;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

/// At most one reload of the key set per this many seconds is caused by
/// tokens with an unknown kid, so random kids cannot turn into one
/// database read per request.
const FORCED_RELOAD_EVERY: i64 = 5;

/// Lifetimes and names. Durations are seconds.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The issuer identifier, e.g. `http://127.0.0.1:8080` (no trailing slash).
    pub issuer: String,
    pub code_ttl: i64,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
    /// How long a rotated refresh token still works (a client retrying after
    /// a lost response), answered with the same successor token; 0 (the
    /// default, as in Hydra, Auth0 and Okta) makes refresh tokens strictly
    /// single use. A reuse outside this window, or once the successor has
    /// been used, revokes the whole family (RFC 9700 §4.14.2).
    pub refresh_token_grace: i64,
    pub id_token_ttl: i64,
    pub auth_request_ttl: i64,
    pub session_ttl: i64,
    /// Algorithm of access tokens (RFC 9068 JWTs).
    pub access_token_alg: SigningAlg,
    /// Default algorithm of id_tokens (OIDC requires RS256 support).
    pub id_token_alg: SigningAlg,
    /// Lifetime of a pushed authorization request's request_uri (RFC 9126).
    pub par_ttl: i64,
    /// Lifetime of a device authorization (RFC 8628 `expires_in`).
    pub device_code_ttl: i64,
    /// The polling interval a device starts with (RFC 8628 `interval`).
    pub device_poll_interval: i64,
    /// Seconds a client record read from the store is reused ([`crate::infra::cache`]).
    /// A client changed by another process (the CLI, another instance)
    /// takes effect after at most this long; 0 reads the store every time.
    pub client_cache_ttl: i64,
    /// Seconds a lockout key found clear is trusted without a read. A lock
    /// set by another instance is seen after at most this long; failures on
    /// this instance drop the entry at once.
    pub lockout_cache_ttl: i64,
    /// Days audit entries are kept (`[retention] audit_days`).
    pub audit_retention_days: i64,
    /// Whether this installation sends mail (`[email]`, or the demo
    /// mailbox). Without it, what needs mail is off and not offered.
    pub mail: bool,
}

impl ProviderConfig {
    /// Seconds a signing key keeps verifying (and stays in the JWKS) after
    /// it stopped signing: the longest token it signed can still be used,
    /// plus the JWKS cache time and a clock leeway. Read at each use, so a
    /// longer lifetime configured later keeps old keys longer.
    pub fn key_verify_grace(&self) -> i64 {
        self.access_token_ttl
            .max(self.id_token_ttl)
            .saturating_add(JWKS_MAX_AGE + VERIFY_LEEWAY)
    }

    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            code_ttl: 60,
            access_token_ttl: 3600,
            refresh_token_ttl: 30 * 24 * 3600,
            refresh_token_grace: 0,
            id_token_ttl: 3600,
            auth_request_ttl: 600,
            session_ttl: 14 * 24 * 3600,
            access_token_alg: SigningAlg::ES256,
            id_token_alg: SigningAlg::RS256,
            par_ttl: 60,
            device_code_ttl: 600,
            device_poll_interval: 5,
            client_cache_ttl: 5,
            lockout_cache_ttl: 1,
            audit_retention_days: 90,
            mail: false,
        }
    }
}

pub struct Provider {
    pub config: ProviderConfig,
    /// What the operator counts (`/metrics`).
    pub metrics: crate::infra::metrics::Metrics,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    /// The signing keys, swapped whole on reload ([`Self::keys`]).
    keys: RwLock<Arc<KeySet>>,
    /// When the key set was last loaded (clock time).
    keys_loaded_at: AtomicI64,
    /// When an unknown kid last caused a reload (clock time).
    forced_reload_at: AtomicI64,
    pub client_secrets: ClientSecretHasher,
    /// Derives each rotated refresh token from the one it replaces.
    pub refresh_successors: SuccessorKey,
    /// Signs form_post answers relayed through the browser.
    pub relay_key: MacKey,
    clients: TtlCache<Client>,
    /// Lockout keys a read found without any record.
    pub(crate) clear_lockouts: TtlCache<()>,
    /// Counts failures seen by this process. A clear mark is only kept if
    /// no failure happened between the read and the mark, so a read racing
    /// a failure cannot hide the failure's lock.
    pub(crate) lockout_epoch: std::sync::atomic::AtomicU64,
    /// Attempts refused while locked, waiting to be written as one audit
    /// entry per address ([`crate::infra::cache::Refusals`]).
    pub refusals: crate::infra::cache::Refusals,
    /// Woken when this instance queues a mail, so its sender need not wait
    /// for its next poll.
    pub mail_queued: tokio::sync::Notify,
    /// Encrypts secrets kept at rest.
    pub sealing: SealingKey,
    /// Portico as a WebAuthn relying party; `None` when the issuer cannot
    /// be one (an IP address), and then passkeys are not offered.
    pub passkeys: Option<crate::infra::passkey::RelyingParty>,
}

const CLIENT_SECRET_KEY_NAME: &str = "client_secret_hmac_key";
/// A key of its own, so no client secret hash can ever equal a successor.
const REFRESH_SUCCESSOR_KEY_NAME: &str = "refresh_successor_hmac_key";
const RELAY_KEY_NAME: &str = "form_post_relay_hmac_key";
/// Encrypts secrets kept at rest (authenticator apps, issue 18).
const SEALING_KEY_NAME: &str = "secrets_at_rest_aes256gcm_key";

/// The unretired signing keys in the store, parsed.
async fn load_keys(store: &dyn Store, verify_grace: i64) -> Result<KeySet> {
    let keys = store
        .signing_keys()
        .await?
        .iter()
        .filter(|r| r.retired_at.is_none())
        .map(SigningKey::from_record)
        .collect::<Result<Vec<_>>>()?;
    Ok(KeySet::new(keys, verify_grace))
}

/// The named installation secret, drawn on first start (first writer wins,
/// so every instance sharing the database gets the same key).
async fn installation_key(store: &dyn Store, random: &dyn Random, name: &str) -> Result<Vec<u8>> {
    let mut candidate = [0u8; 32];
    random.fill(&mut candidate)?;
    let secret = store.installation_secret(name, &candidate).await?;
    if secret.len() < 32 {
        return Err(OAuthError::server_error("installation secret too short"));
    }
    Ok(secret)
}

impl Provider {
    /// Load the signing keys and the installation secrets from the store,
    /// creating them on first start. When several instances start at once
    /// on one database, the first writer wins and the others load its keys.
    ///
    /// The parsed keys and the secrets are kept in process. The secrets are
    /// immutable records. Signing keys are only ever added and superseded
    /// by time (`signs_from`, `signs_until`), so a key set loaded a little
    /// while ago still answers correctly: a rotated-in key is published
    /// [`crate::services::keys::PREPUBLISH`] seconds before it signs, which
    /// is longer than [`KEY_REFRESH`], the period every instance reloads
    /// the set on (the server's key task), and a token with a kid we do not
    /// know makes us reload at once ([`Self::verify`]). Retirement is
    /// computed from the clock at each use, so a stale set drops old keys
    /// on time too.
    pub async fn new(
        config: ProviderConfig,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Result<Self> {
        for alg in [SigningAlg::RS256, SigningAlg::ES256] {
            let existing = store.signing_keys().await?;
            if !existing
                .iter()
                .any(|k| k.alg == alg.as_str() && k.signs_until.is_none())
            {
                let record = SigningKey::generate(alg, clock.now())?;
                store.insert_signing_key_if_absent(&record).await?;
            }
        }
        let now = clock.now();
        let keys = load_keys(&*store, config.key_verify_grace()).await?;
        keys.key(SigningAlg::RS256, now)?;
        keys.key(SigningAlg::ES256, now)?;

        let client_key = installation_key(&*store, &*random, CLIENT_SECRET_KEY_NAME).await?;
        let successor_key = installation_key(&*store, &*random, REFRESH_SUCCESSOR_KEY_NAME).await?;
        let relay_key = installation_key(&*store, &*random, RELAY_KEY_NAME).await?;
        let sealing_key = installation_key(&*store, &*random, SEALING_KEY_NAME).await?;
        let sealing = SealingKey::new(&sealing_key)
            .ok_or_else(|| OAuthError::server_error("the sealing key is unusable"))?;
        let passkeys =
            match crate::infra::passkey::RelyingParty::for_issuer(&config.issuer, "Portico") {
                Ok(rp) => Some(rp),
                Err(why) => {
                    tracing::warn!("{why}");
                    None
                }
            };
        Ok(Self {
            clients: TtlCache::new(config.client_cache_ttl, 10_000),
            clear_lockouts: TtlCache::new(config.lockout_cache_ttl, 100_000),
            lockout_epoch: std::sync::atomic::AtomicU64::new(0),
            refusals: crate::infra::cache::Refusals::default(),
            mail_queued: tokio::sync::Notify::new(),
            metrics: crate::infra::metrics::Metrics::default(),
            config,
            store,
            clock,
            random,
            keys: RwLock::new(Arc::new(keys)),
            keys_loaded_at: AtomicI64::new(now),
            forced_reload_at: AtomicI64::new(i64::MIN),
            client_secrets: ClientSecretHasher::new(&client_key),
            refresh_successors: SuccessorKey::new(&successor_key),
            relay_key: MacKey::new(&relay_key),
            sealing,
            passkeys,
        })
    }

    /// The key set as loaded last. Cheap: a read lock and an `Arc` clone.
    pub fn keys(&self) -> Arc<KeySet> {
        match self.keys.read() {
            Ok(k) => Arc::clone(&k),
            // A panic while swapping cannot leave a half-written Arc.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Read the key set from the store again and swap it in.
    pub async fn reload_keys(&self) -> Result<()> {
        let now = self.now();
        let keys = Arc::new(load_keys(&*self.store, self.config.key_verify_grace()).await?);
        match self.keys.write() {
            Ok(mut k) => *k = keys,
            Err(poisoned) => *poisoned.into_inner() = keys,
        }
        self.keys_loaded_at.store(now, Ordering::SeqCst);
        Ok(())
    }

    /// Reload the key set when it is [`KEY_REFRESH`] old or more by the
    /// clock; `true` when it did. The server calls this every second.
    pub async fn reload_keys_if_stale(&self) -> Result<bool> {
        let loaded = self.keys_loaded_at.load(Ordering::SeqCst);
        if self.now().saturating_sub(loaded) < KEY_REFRESH {
            return Ok(false);
        }
        self.reload_keys().await?;
        Ok(true)
    }

    /// Verify a JWS signed by one of our keys ([`KeySet::check`]). A token
    /// whose kid we do not know may come from a key rotated in on another
    /// instance a moment ago: reload the set (at most once per
    /// [`FORCED_RELOAD_EVERY`] seconds, whoever asks) and try once more.
    pub async fn verify(&self, token: &str) -> std::result::Result<Verified, Unverified> {
        let now = self.now();
        match self.keys().check(token, now) {
            Err(Unverified::UnknownKey) => {}
            done => return done,
        }
        let last = self.forced_reload_at.load(Ordering::SeqCst);
        let due = now.saturating_sub(last) >= FORCED_RELOAD_EVERY;
        // Only the caller that moves the mark reloads; the others answer
        // from the set they have.
        if !due
            || self
                .forced_reload_at
                .compare_exchange(last, now, Ordering::SeqCst, Ordering::SeqCst)
                .is_err()
        {
            return Err(Unverified::UnknownKey);
        }
        if let Err(e) = self.reload_keys().await {
            tracing::warn!(error = %e, "cannot reload the signing keys");
            return Err(Unverified::UnknownKey);
        }
        self.keys().check(token, self.now())
    }

    /// The JWKS document at this moment.
    pub fn jwks(&self) -> serde_json::Value {
        self.keys().jwks(self.now())
    }

    /// A registered, enabled client, from the short-lived cache or the
    /// store. Every endpoint looks clients up here, so a disabled client is
    /// exactly as unknown as one never registered: it fails client
    /// authentication, gets the error page at authorize, and its access
    /// tokens stop validating. Disabled through this process, that is at
    /// once; through the CLI or another instance, within
    /// [`ProviderConfig::client_cache_ttl`].
    pub async fn client(&self, id: &str) -> Result<Option<Client>> {
        let now = self.now();
        let found = match self.clients.get(id, now) {
            Some(c) => Some(c),
            None => {
                let found = self.store.client(id).await?;
                if let Some(c) = &found {
                    // Disabled records are cached too: a disabled client
                    // hammering the token endpoint costs no reads.
                    self.clients.put(id, c.clone(), now);
                }
                found
            }
        };
        Ok(found.filter(|c| !c.is_disabled()))
    }

    /// Save a client and drop this process's cached copy.
    pub async fn upsert_client(&self, client: &Client) -> Result<()> {
        self.store.upsert_client(client).await?;
        self.clients.remove(&client.id);
        Ok(())
    }

    /// Delete a client ([`crate::infra::store::ClientStore::delete_client`]) and
    /// drop this process's cached copy. `None` when there was none.
    pub async fn delete_client(&self, id: &str) -> Result<Option<u64>> {
        let gone = self.store.delete_client(id, self.now()).await?;
        self.clients.remove(id);
        Ok(gone)
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// An absolute URL under the issuer.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.issuer, path)
    }
}

#[cfg(test)]
mod tests {
    use crate::testkit::kit;

    #[tokio::test]
    async fn a_client_changed_elsewhere_shows_within_the_cache_ttl() {
        let k = kit().await;
        let before = k.p.client("web").await.unwrap().unwrap();
        // Another process (the CLI, another instance) renames it.
        let renamed = crate::model::Client {
            name: "Renamed".into(),
            ..before.clone()
        };
        k.p.store.upsert_client(&renamed).await.unwrap();
        assert_eq!(k.p.client("web").await.unwrap().unwrap().name, before.name);
        k.clock.advance(k.p.config.client_cache_ttl);
        assert_eq!(k.p.client("web").await.unwrap().unwrap().name, "Renamed");
    }

    #[tokio::test]
    async fn a_client_changed_here_shows_at_once() {
        let k = kit().await;
        let before = k.p.client("web").await.unwrap().unwrap();
        let renamed = crate::model::Client {
            name: "Renamed".into(),
            ..before
        };
        k.p.upsert_client(&renamed).await.unwrap();
        assert_eq!(k.p.client("web").await.unwrap().unwrap().name, "Renamed");
    }

    #[tokio::test]
    async fn unknown_clients_are_not_remembered() {
        let k = kit().await;
        assert!(k.p.client("later").await.unwrap().is_none());
        let web = k.p.client("web").await.unwrap().unwrap();
        let later = crate::model::Client {
            id: "later".into(),
            ..web
        };
        k.p.store.upsert_client(&later).await.unwrap();
        assert!(k.p.client("later").await.unwrap().is_some());
    }
}
