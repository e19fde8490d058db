//! What the operator counts: tokens issued, sign-ins, lockouts, consent
//! decisions, mail, sweeps. One registry per provider, rendered by the
//! server's `/metrics` in the OpenMetrics text format (which Prometheus
//! reads); the server adds its own families (requests, the database pool)
//! with [`Metrics::register`].
//!
//! Every label value is a `&'static str`: a word from a fixed set (a grant
//! type, a result), never a user id, client id, email or address. That is
//! the type system keeping the series few (cardinality) and the numbers
//! anonymous (privacy).

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::{Metric, Registry};
use std::sync::Mutex;

/// A label set: fixed names, values from fixed sets.
type Labels<const N: usize> = [(&'static str, &'static str); N];

/// How a sign-in ended ([`Metrics::sign_in`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInResult {
    Succeeded,
    Failed,
    /// Refused before any check: the account or address is locked out.
    Locked,
}

impl SignInResult {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Locked => "locked",
        }
    }
}

/// The provider's counters. Cheap to update: an atomic add behind a
/// read lock on the family's map, no allocation once a series exists.
pub struct Metrics {
    registry: Mutex<Registry>,
    tokens_issued: Family<Labels<2>, Counter>,
    sign_ins: Family<Labels<2>, Counter>,
    lockouts: Family<Labels<1>, Counter>,
    consents: Family<Labels<1>, Counter>,
    mail_sent: Counter,
    mail_failures: Counter,
    sweeps: Family<Labels<1>, Counter>,
    swept_rows: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut r = Registry::default();
        let tokens_issued = Family::<Labels<2>, Counter>::default();
        r.register(
            "portico_tokens_issued",
            "Token responses issued, by grant type and client kind (public or confidential)",
            tokens_issued.clone(),
        );
        let sign_ins = Family::<Labels<2>, Counter>::default();
        r.register(
            "portico_sign_ins",
            "Sign-in attempts by method (password, passkey) and result (succeeded, failed, locked)",
            sign_ins.clone(),
        );
        let lockouts = Family::<Labels<1>, Counter>::default();
        r.register(
            "portico_lockouts",
            "Lockouts started, by what was locked (sign_in, client, device_code)",
            lockouts.clone(),
        );
        let consents = Family::<Labels<1>, Counter>::default();
        r.register(
            "portico_consent_decisions",
            "Consent screens answered, by decision (granted, denied)",
            consents.clone(),
        );
        let mail_sent = Counter::default();
        r.register(
            "portico_mail_sent",
            "Mails handed to the SMTP server",
            mail_sent.clone(),
        );
        let mail_failures = Counter::default();
        r.register(
            "portico_mail_send_failures",
            "Attempts to send a mail that failed (retried later or given up)",
            mail_failures.clone(),
        );
        let sweeps = Family::<Labels<1>, Counter>::default();
        r.register(
            "portico_sweeps",
            "Sweeper runs, by result (ok, failed)",
            sweeps.clone(),
        );
        let swept_rows = Counter::default();
        r.register(
            "portico_swept_rows",
            "Expired rows the sweeper deleted",
            swept_rows.clone(),
        );
        Self {
            registry: Mutex::new(r),
            tokens_issued,
            sign_ins,
            lockouts,
            consents,
            mail_sent,
            mail_failures,
            sweeps,
            swept_rows,
        }
    }
}

impl Metrics {
    /// A token response went out. `grant` is a grant type's name (or
    /// `implicit` for tokens the authorization endpoint returns).
    pub fn token_issued(&self, grant: &'static str, public_client: bool) {
        let kind = if public_client {
            "public"
        } else {
            "confidential"
        };
        self.tokens_issued
            .get_or_create(&[("grant", grant), ("client", kind)])
            .inc();
    }

    pub fn sign_in(&self, method: &'static str, result: SignInResult) {
        self.sign_ins
            .get_or_create(&[("method", method), ("result", result.as_str())])
            .inc();
    }

    /// A lockout began; `what`: `sign_in`, `client` or `device_code`.
    pub fn lockout(&self, what: &'static str) {
        self.lockouts.get_or_create(&[("kind", what)]).inc();
    }

    pub fn consent(&self, granted: bool) {
        let decision = if granted { "granted" } else { "denied" };
        self.consents.get_or_create(&[("decision", decision)]).inc();
    }

    pub fn mail(&self, sent: bool) {
        if sent {
            self.mail_sent.inc();
        } else {
            self.mail_failures.inc();
        }
    }

    /// A sweep ran; `rows` deleted, or `None` when it failed.
    pub fn sweep(&self, rows: Option<u64>) {
        let result = if rows.is_some() { "ok" } else { "failed" };
        self.sweeps.get_or_create(&[("result", result)]).inc();
        self.swept_rows.inc_by(rows.unwrap_or(0));
    }

    /// Add a family of the embedding server's (registered once, at start).
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        if let Ok(mut r) = self.registry.lock() {
            r.register(name, help, metric);
        }
    }

    /// Everything, in the OpenMetrics text format (ending in `# EOF`).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let r = match self.registry.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &r);
        out
    }
}

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_carry_only_fixed_words_and_count() {
        let m = Metrics::default();
        m.token_issued("client_credentials", false);
        m.token_issued("client_credentials", false);
        m.token_issued("authorization_code", true);
        m.sign_in("password", SignInResult::Failed);
        m.lockout("sign_in");
        m.consent(false);
        m.sweep(Some(7));
        m.sweep(None);
        let text = m.render();
        assert!(text.contains(
            "portico_tokens_issued_total{grant=\"client_credentials\",client=\"confidential\"} 2"
        ));
        assert!(text.contains(
            "portico_tokens_issued_total{grant=\"authorization_code\",client=\"public\"} 1"
        ));
        assert!(text.contains("portico_sign_ins_total{method=\"password\",result=\"failed\"} 1"));
        assert!(text.contains("portico_lockouts_total{kind=\"sign_in\"} 1"));
        assert!(text.contains("portico_consent_decisions_total{decision=\"denied\"} 1"));
        assert!(text.contains("portico_sweeps_total{result=\"failed\"} 1"));
        assert!(text.contains("portico_swept_rows_total 7"));
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
