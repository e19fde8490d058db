//! Mail out through SMTP (lettre, rustls on aws-lc-rs) and the sender task
//! that drains the outbox.

use crate::problems::Problem;
use async_trait::async_trait;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use portico_core::Provider;
use portico_core::infra::mailer::{Mailer, SendError};
use portico_core::model::OutboxMail;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// `[email]`: where mail goes out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSection {
    /// `smtp://host[:port]` (plain: local relays only),
    /// `smtp+starttls://user:pass@host[:port]` or `smtps://user:pass@host[:port]`.
    /// It may hold a password: never printed.
    pub smtp_url: portico_core::protocol::secret::Secret,
    /// The sender, e.g. `Acme Accounts <no-reply@acme.example>`.
    pub from: String,
}

/// How the connection to the relay is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// `smtp://`: no TLS (a relay on the same host or network).
    Plain,
    /// `smtp+starttls://`: STARTTLS, required.
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Implicit,
}

/// An SMTP relay, from `[email]`.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The right-hand side of Message-IDs: the issuer's host.
    domain: String,
}

/// `[email]` read and checked: all a transport needs, nothing opened.
struct Relay {
    host: String,
    port: u16,
    tls: Tls,
    credentials: Option<Credentials>,
    from: Mailbox,
}

impl Relay {
    fn parse(cfg: &EmailSection) -> Result<Self, Problem> {
        let url_problem = |message: String| Problem::new("email.smtp_url", message);
        // Parsed here rather than by lettre's `from_url`, which has no
        // scheme for required STARTTLS (`smtp+starttls://`).
        let url = url::Url::parse(cfg.smtp_url.expose())
            .map_err(|e| url_problem(format!("is not a URL: {e}")))?;
        let security = match url.scheme() {
            "smtp" => Security::Plain,
            "smtp+starttls" => Security::StartTls,
            "smtps" => Security::Implicit,
            s => {
                return Err(url_problem(format!(
                    "the scheme {s:?} is not one of smtp, smtp+starttls, smtps"
                )));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| url_problem("has no host".into()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url.port().unwrap_or(match security {
            Security::Plain => 25,
            Security::StartTls => 587,
            Security::Implicit => 465,
        });
        let tls = || {
            TlsParameters::new(host.clone())
                .map_err(|e| url_problem(format!("TLS for {host}: {e}")))
        };
        let tls = match security {
            Security::Plain => Tls::None,
            Security::StartTls => Tls::Required(tls()?),
            Security::Implicit => Tls::Wrapper(tls()?),
        };
        let credentials = if url.username().is_empty() {
            None
        } else {
            let decode = |s: &str| {
                percent_decode(s)
                    .ok_or_else(|| url_problem("the user or password is not valid UTF-8".into()))
            };
            let user = decode(url.username())?;
            let pass = decode(url.password().unwrap_or(""))?;
            Some(Credentials::new(user, pass))
        };
        let from: Mailbox = cfg.from.parse().map_err(|e| {
            Problem::new(
                "email.from",
                format!("{:?} is not an address: {e}", cfg.from),
            )
        })?;
        Ok(Self {
            host,
            port,
            tls,
            credentials,
            from,
        })
    }
}

/// What is wrong with `[email]`, if anything: the same checks as
/// [`SmtpMailer::new`], without building a transport.
pub fn check(cfg: &EmailSection) -> Option<Problem> {
    Relay::parse(cfg).err()
}

impl SmtpMailer {
    pub fn new(cfg: &EmailSection, issuer: &str) -> Result<Self, String> {
        let relay = Relay::parse(cfg).map_err(|p| p.to_string())?;
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&relay.host)
            .port(relay.port)
            .timeout(Some(Duration::from_secs(30)))
            .tls(relay.tls);
        if let Some(c) = relay.credentials {
            b = b.credentials(c);
        }
        let domain = url::Url::parse(issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "portico.invalid".into());
        Ok(Self {
            transport: b.build(),
            from: relay.from,
            domain,
        })
    }

    fn message(&self, m: &OutboxMail) -> Result<Message, SendError> {
        let to: Mailbox = m
            .recipient
            .parse()
            .map_err(|e| SendError::Permanent(format!("bad recipient: {e}")))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            // One id per outbox row: a mail sent twice (a crash between
            // the relay's acceptance and the outbox update) is recognisable.
            .message_id(Some(format!("<{}@{}>", m.id, self.domain)))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".into(),
            ))
            .multipart(MultiPart::alternative_plain_html(
                m.text.clone(),
                m.html.clone(),
            ))
            .map_err(|e| SendError::Permanent(format!("cannot build the mail: {e}")))
    }
}

/// `%XX` escapes of a URL's user and password.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(h) = s.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(h, 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, m: &OutboxMail) -> Result<(), SendError> {
        let msg = self.message(m)?;
        match self.transport.send(msg).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }
}

/// Drain the outbox: deliver what is due, then wait for a new mail on this
/// instance or the next poll (mails queued by other instances, retries).
pub async fn sender(provider: Arc<Provider>, mailer: Arc<dyn Mailer>, poll: Duration) {
    loop {
        match portico_core::services::mail::deliver_due(&provider, mailer.as_ref()).await {
            // A full batch: there may be more at once.
            Ok(n) if n >= 10 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the mail sender could not read the outbox"),
        }
        let _ = tokio::time::timeout(poll, provider.mail_queued.notified()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(url: &str) -> EmailSection {
        EmailSection {
            smtp_url: url.to_owned().into(),
            from: "Acme <no-reply@acme.example>".into(),
        }
    }

    /// (The connection pool starts a task: a runtime is needed.)
    #[tokio::test]
    async fn the_three_schemes_and_nothing_else() {
        for ok in [
            "smtp://127.0.0.1:2525",
            "smtp+starttls://user:p%40ss@smtp.example.com",
            "smtps://user:pass@smtp.example.com:465",
        ] {
            assert!(
                SmtpMailer::new(&cfg(ok), "https://id.example").is_ok(),
                "{ok}"
            );
        }
        for bad in ["http://smtp.example.com", "smtp://", "not a url"] {
            assert!(
                SmtpMailer::new(&cfg(bad), "https://id.example").is_err(),
                "{bad}"
            );
        }
        let mut c = cfg("smtp://127.0.0.1");
        c.from = "not an address".into();
        assert!(SmtpMailer::new(&c, "https://id.example").is_err());
    }

    #[test]
    fn credentials_are_percent_decoded() {
        assert_eq!(
            percent_decode("p%40ss%3Aword").as_deref(),
            Some("p@ss:word")
        );
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        assert_eq!(percent_decode("%ff").as_deref(), None);
    }

    #[test]
    fn the_smtp_url_never_prints() {
        let c = cfg("smtps://user:hunter2@smtp.example.com");
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
