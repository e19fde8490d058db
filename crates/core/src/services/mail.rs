//! Mail: composing the messages (plain text and HTML, en and es, branded
//! with the entrypoint), queueing them in the outbox with the tokens they
//! carry, and delivering what is due through a [`Mailer`].
//!
//! Delivery is at least once: a mail is marked sent right after the SMTP
//! server accepted it, so only a crash between those two steps sends it
//! again (its Message-ID is the outbox id, so a duplicate is recognisable).

use crate::infra::mailer::{Mailer, SendError};
use crate::infra::provider::Provider;
use crate::model::{EmailToken, EmailTokenKind, Entrypoint, OutboxMail, UnixTime};
use crate::protocol::error::Result;
use crate::protocol::secret::lookup_hash;
use crate::protocol::theme;
use crate::services::entrypoint::{behind, negotiate};
use portico_api_types::routes::pages;

/// Mails one sender claims at a time.
const BATCH: u32 = 10;
/// How long a claimed mail is left to its sender before another may try:
/// twice the SMTP timeout (30 s, `SmtpMailer`), so a slow send is never
/// taken over while it may still succeed.
pub const LEASE_SECS: i64 = 60;
/// Attempts before a mail is given up (about 3 hours of back-off).
const MAX_ATTEMPTS: i64 = 10;

/// A message ready for the outbox.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The words of one mail in one language. `{name}` in them is the
/// entrypoint's display name.
pub struct Words {
    pub subject: &'static str,
    pub heading: &'static str,
    /// Paragraphs before the button (and the code, when there is one).
    pub lead: &'static [&'static str],
    /// The button's label, when the mail carries a link.
    pub action: Option<&'static str>,
    /// Paragraphs after the button.
    pub tail: &'static [&'static str],
}

/// Which mail, with what it needs.
pub enum Kind<'a> {
    /// A password reset link.
    PasswordReset { link: &'a str },
    /// Someone signed up with an address that has an account.
    SignUpWithTakenAddress { reset_link: &'a str },
    /// The password of the account was changed.
    PasswordChanged,
    /// A verification code and a one-click link.
    VerifyEmail { code: &'a str, link: &'a str },
    /// An operator made an account: set its first password.
    Invite { link: &'a str },
    /// The code that confirms a new address (mailed to it).
    ConfirmNewEmail { code: &'a str },
    /// The address was changed to `new_email` (mailed to the old one),
    /// with a link that undoes it.
    EmailChanged {
        new_email: &'a str,
        undo_link: &'a str,
    },
    /// A sign-in factor was added; `what` names it ("an authenticator
    /// app", "the passkey Laptop").
    FactorAdded { what: &'a str },
    /// A sign-in factor was removed.
    FactorRemoved { what: &'a str },
}

fn words(kind: &Kind<'_>, locale: &str) -> Words {
    let es = locale == "es";
    match (kind, es) {
        (Kind::PasswordReset { .. }, false) => Words {
            subject: "Reset your {name} password",
            heading: "Reset your password",
            lead: &[
                "Someone asked to reset the password of your {name} account. If it was you, choose a new password with the button below. The link works once, for 30 minutes.",
            ],
            action: Some("Set a new password"),
            tail: &["If you did not ask, ignore this mail: your password stays as it is."],
        },
        (Kind::PasswordReset { .. }, true) => Words {
            subject: "Restablece tu contraseña de {name}",
            heading: "Restablece tu contraseña",
            lead: &[
                "Alguien pidió restablecer la contraseña de tu cuenta de {name}. Si fuiste tú, elige una contraseña nueva con el botón de abajo. El enlace funciona una vez, durante 30 minutos.",
            ],
            action: Some("Elegir una contraseña nueva"),
            tail: &["Si no lo pediste, ignora este correo: tu contraseña no cambia."],
        },
        (Kind::SignUpWithTakenAddress { .. }, false) => Words {
            subject: "Someone tried to sign up to {name} with your address",
            heading: "You already have an account",
            lead: &[
                "Someone tried to create a {name} account with this address, which already has one. If it was you and you forgot your password, reset it with the button below. The link works once, for 30 minutes.",
            ],
            action: Some("Reset your password"),
            tail: &["If it was not you, ignore this mail: nothing has changed."],
        },
        (Kind::SignUpWithTakenAddress { .. }, true) => Words {
            subject: "Alguien intentó registrarse en {name} con tu dirección",
            heading: "Ya tienes una cuenta",
            lead: &[
                "Alguien intentó crear una cuenta de {name} con esta dirección, que ya tiene una. Si fuiste tú y olvidaste tu contraseña, restablécela con el botón de abajo. El enlace funciona una vez, durante 30 minutos.",
            ],
            action: Some("Restablecer tu contraseña"),
            tail: &["Si no fuiste tú, ignora este correo: nada ha cambiado."],
        },
        (Kind::FactorAdded { .. }, false) => Words {
            subject: "A sign-in method was added to your {name} account",
            heading: "A sign-in method was added",
            lead: &["{new} was just added to your {name} account."],
            action: None,
            tail: &[
                "If you did not do this, reset your password at once from the sign-in page (\"Forgot password?\") and remove it on your account's Security page.",
            ],
        },
        (Kind::FactorAdded { .. }, true) => Words {
            subject: "Se añadió un método de inicio de sesión a tu cuenta de {name}",
            heading: "Se añadió un método de inicio de sesión",
            lead: &["Se acaba de añadir {new} a tu cuenta de {name}."],
            action: None,
            tail: &[
                "Si no fuiste tú, restablece tu contraseña de inmediato desde la página de inicio de sesión (\"¿Olvidaste tu contraseña?\") y quítalo en la página de Seguridad de tu cuenta.",
            ],
        },
        (Kind::FactorRemoved { .. }, false) => Words {
            subject: "A sign-in method was removed from your {name} account",
            heading: "A sign-in method was removed",
            lead: &["{new} was just removed from your {name} account."],
            action: None,
            tail: &[
                "If you did not do this, reset your password at once from the sign-in page (\"Forgot password?\").",
            ],
        },
        (Kind::FactorRemoved { .. }, true) => Words {
            subject: "Se quitó un método de inicio de sesión de tu cuenta de {name}",
            heading: "Se quitó un método de inicio de sesión",
            lead: &["Se acaba de quitar {new} de tu cuenta de {name}."],
            action: None,
            tail: &[
                "Si no fuiste tú, restablece tu contraseña de inmediato desde la página de inicio de sesión (\"¿Olvidaste tu contraseña?\").",
            ],
        },
        (Kind::PasswordChanged, false) => Words {
            subject: "Your {name} password was changed",
            heading: "Your password was changed",
            lead: &[
                "The password of your {name} account was just changed, and every device signed in to it was signed out.",
            ],
            action: None,
            tail: &[
                "If you did not do this, reset your password at once from the sign-in page (\"Forgot password?\").",
            ],
        },
        (Kind::PasswordChanged, true) => Words {
            subject: "Tu contraseña de {name} cambió",
            heading: "Tu contraseña cambió",
            lead: &[
                "La contraseña de tu cuenta de {name} acaba de cambiar, y se cerró la sesión en todos los dispositivos.",
            ],
            action: None,
            tail: &[
                "Si no fuiste tú, restablece tu contraseña de inmediato desde la página de inicio de sesión (\"¿Olvidaste tu contraseña?\").",
            ],
        },
        (Kind::Invite { .. }, false) => Words {
            subject: "You are invited to {name}",
            heading: "Your {name} account is ready",
            lead: &[
                "An account with this address was made for you at {name}. Choose your password with the button below to start using it. The link works once, for 7 days.",
            ],
            action: Some("Choose your password"),
            tail: &["If you did not expect this, ignore this mail."],
        },
        (Kind::Invite { .. }, true) => Words {
            subject: "Te invitan a {name}",
            heading: "Tu cuenta de {name} está lista",
            lead: &[
                "Se creó una cuenta con esta dirección para ti en {name}. Elige tu contraseña con el botón de abajo para empezar a usarla. El enlace funciona una vez, durante 7 días.",
            ],
            action: Some("Elegir tu contraseña"),
            tail: &["Si no lo esperabas, ignora este correo."],
        },
        (Kind::ConfirmNewEmail { .. }, false) => Words {
            subject: "Confirm your new {name} email",
            heading: "Confirm your new email",
            lead: &[
                "Enter this code on your {name} account page to make this your email address. It works once, for 15 minutes.",
            ],
            action: None,
            tail: &["If you did not ask for this, ignore this mail: nothing changes."],
        },
        (Kind::ConfirmNewEmail { .. }, true) => Words {
            subject: "Confirma tu nuevo correo de {name}",
            heading: "Confirma tu nuevo correo",
            lead: &[
                "Escribe este código en la página de tu cuenta de {name} para usar esta dirección de correo. Funciona una vez, durante 15 minutos.",
            ],
            action: None,
            tail: &["Si no lo pediste, ignora este correo: nada cambia."],
        },
        (Kind::EmailChanged { .. }, false) => Words {
            subject: "Your {name} email was changed",
            heading: "Your email was changed",
            lead: &[
                "The email of your {name} account was changed to {new}. Mail for the account now goes there.",
            ],
            action: Some("It was not me: undo"),
            tail: &[
                "The link works for 7 days. Undoing puts this address back and signs every device out.",
            ],
        },
        (Kind::EmailChanged { .. }, true) => Words {
            subject: "Tu correo de {name} cambió",
            heading: "Tu correo cambió",
            lead: &[
                "El correo de tu cuenta de {name} cambió a {new}. El correo de la cuenta llega ahora allí.",
            ],
            action: Some("No fui yo: deshacer"),
            tail: &[
                "El enlace funciona durante 7 días. Deshacerlo recupera esta dirección y cierra la sesión en todos los dispositivos.",
            ],
        },
        (Kind::VerifyEmail { .. }, false) => Words {
            subject: "Your {name} verification code",
            heading: "Verify your email",
            lead: &[
                "Enter this code to verify your email address for {name}. It works once, for 15 minutes.",
            ],
            action: Some("Verify my email"),
            tail: &["If you did not create an account, ignore this mail."],
        },
        (Kind::VerifyEmail { .. }, true) => Words {
            subject: "Tu código de verificación de {name}",
            heading: "Verifica tu correo",
            lead: &[
                "Escribe este código para verificar tu dirección de correo en {name}. Funciona una vez, durante 15 minutos.",
            ],
            action: Some("Verificar mi correo"),
            tail: &["Si no creaste una cuenta, ignora este correo."],
        },
    }
}

/// Text safe inside HTML elements and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Compose `kind` in `locale` for the entrypoint `e`. The HTML has only
/// inline styles (mail clients drop `<style>`), a table layout, and no
/// image but the entrypoint's logo; links are absolute under the issuer.
pub fn compose(p: &Provider, e: &Entrypoint, kind: &Kind<'_>, locale: &str) -> Message {
    let w = words(kind, locale);
    let name = e.display_name.as_str();
    let new = match kind {
        Kind::EmailChanged { new_email, .. } => *new_email,
        Kind::FactorAdded { what } | Kind::FactorRemoved { what } => *what,
        _ => "",
    };
    let fill = |s: &str| s.replace("{name}", name).replace("{new}", new);
    let tokens = theme::resolve(&e.theme);
    let (link, code) = match kind {
        Kind::PasswordReset { link }
        | Kind::SignUpWithTakenAddress { reset_link: link }
        | Kind::Invite { link } => (Some(*link), None),
        Kind::ConfirmNewEmail { code } => (None, Some(*code)),
        Kind::EmailChanged { undo_link, .. } => (Some(*undo_link), None),
        Kind::VerifyEmail { code, link } => (Some(*link), Some(*code)),
        Kind::PasswordChanged | Kind::FactorAdded { .. } | Kind::FactorRemoved { .. } => {
            (None, None)
        }
    };

    let mut text = format!("{}\n\n", fill(w.heading));
    for l in w.lead {
        text.push_str(&fill(l));
        text.push_str("\n\n");
    }
    if let Some(c) = code {
        text.push_str(&format!("    {c}\n\n"));
    }
    if let (Some(a), Some(l)) = (w.action, link) {
        text.push_str(&format!("{a}:\n{l}\n\n"));
    }
    for l in w.tail {
        text.push_str(&fill(l));
        text.push_str("\n\n");
    }
    text.push_str(&format!("-- \n{name}\n"));

    let font = escape(&tokens.font_family);
    let color = escape(&tokens.text);
    let logo = tokens.logo_url.as_deref().map(|u| {
        let abs = if u.starts_with('/') {
            p.url(u)
        } else {
            u.to_owned()
        };
        format!(
            r#"<tr><td style="padding:0 0 16px 0"><img src="{}" alt="{}" height="40" style="display:block;height:40px;border:0"></td></tr>"#,
            escape(&abs),
            escape(name)
        )
    });
    let mut body = String::new();
    body.push_str(&format!(
        r#"<tr><td style="padding:0 0 12px 0;font-size:22px;font-weight:bold">{}</td></tr>"#,
        escape(&fill(w.heading))
    ));
    for l in w.lead {
        body.push_str(&format!(
            r#"<tr><td style="padding:0 0 12px 0">{}</td></tr>"#,
            escape(&fill(l))
        ));
    }
    if let Some(c) = code {
        body.push_str(&format!(
            r#"<tr><td style="padding:4px 0 16px 0;font-size:28px;font-weight:bold;letter-spacing:6px;font-family:monospace">{}</td></tr>"#,
            escape(c)
        ));
    }
    if let (Some(a), Some(l)) = (w.action, link) {
        body.push_str(&format!(
            r#"<tr><td style="padding:4px 0 16px 0"><a href="{href}" style="display:inline-block;padding:12px 20px;background:{bg};color:{fg};text-decoration:none;border-radius:{radius};font-weight:bold">{a}</a></td></tr><tr><td style="padding:0 0 12px 0;font-size:13px;word-break:break-all">{href}</td></tr>"#,
            href = escape(l),
            bg = escape(&tokens.primary),
            fg = escape(&tokens.on_primary),
            radius = escape(&tokens.radius),
            a = escape(a),
        ));
    }
    for l in w.tail {
        body.push_str(&format!(
            r#"<tr><td style="padding:0 0 12px 0;font-size:14px">{}</td></tr>"#,
            escape(&fill(l))
        ));
    }
    let html = format!(
        r#"<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{title}</title></head><body style="margin:0;padding:0;background:{page}"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:{page}"><tr><td align="center" style="padding:24px 12px"><table role="presentation" width="560" cellpadding="0" cellspacing="0" style="max-width:560px;width:100%;background:{surface};border:1px solid {border};border-radius:{radius};font-family:{font};color:{color};font-size:16px;line-height:1.5"><tr><td style="padding:24px"><table role="presentation" width="100%" cellpadding="0" cellspacing="0">{logo}{body}<tr><td style="padding:12px 0 0 0;font-size:13px;color:{muted}">{name}</td></tr></table></td></tr></table></td></tr></table></body></html>"#,
        lang = if locale == "es" { "es" } else { "en" },
        title = escape(&fill(w.subject)),
        page = escape(&tokens.background),
        surface = escape(&tokens.surface),
        border = escape(&tokens.border),
        radius = escape(&tokens.radius),
        muted = escape(&tokens.muted),
        logo = logo.unwrap_or_default(),
        name = escape(name),
    );
    Message {
        subject: fill(w.subject),
        text,
        html,
    }
}

/// Queue `m` to `to`, with the tokens it carries (one transaction), and
/// wake this instance's sender.
pub async fn queue(p: &Provider, to: &str, m: Message, tokens: &[EmailToken]) -> Result<()> {
    let now = p.now();
    let mail = OutboxMail {
        id: p.random.token(16)?,
        recipient: to.to_owned(),
        subject: m.subject,
        text: m.text,
        html: m.html,
        created_at: now,
        attempts: 0,
        next_attempt_at: now,
    };
    p.store.queue_mail(&mail, tokens).await?;
    p.mail_queued.notify_one();
    Ok(())
}

/// The link a mail carries to one of the UI's pages: the token first, then
/// the language (and the authorization request, for its entrypoint's look)
/// so the page opens as the mail was written.
pub fn page_link(
    p: &Provider,
    page: &str,
    token: &str,
    locale: &str,
    request: Option<&str>,
) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("token", token)
        .append_pair("ui_locales", locale);
    if let Some(r) = request {
        q.append_pair("request", r);
    }
    p.url(&format!("{page}?{}", q.finish()))
}

/// How long a password reset link works.
pub const RESET_TTL: i64 = 30 * 60;

/// Queue a reset link for the account `user_id` at `email`. `taken`: the
/// mail explains that someone tried to sign up with the address.
pub async fn reset_link(
    p: &Provider,
    user_id: &str,
    email: &str,
    request: Option<&str>,
    accept_language: Option<&str>,
    taken: bool,
) -> Result<()> {
    let token = p.random.token(32)?;
    let now = p.now();
    let record = EmailToken {
        token_hash: lookup_hash(&token),
        kind: EmailTokenKind::PasswordReset,
        user_id: user_id.to_owned(),
        email: email.to_owned(),
        request_id: request.map(str::to_owned),
        created_at: now,
        expires_at: now + RESET_TTL,
    };
    let (entrypoint, locales) = behind(p, request).await?;
    let locale = negotiate(
        &locales,
        accept_language,
        entrypoint.default_locale.as_deref(),
    );
    let link = page_link(p, pages::RESET_PASSWORD, &token, locale, request);
    let kind = if taken {
        Kind::SignUpWithTakenAddress { reset_link: &link }
    } else {
        Kind::PasswordReset { link: &link }
    };
    let m = compose(p, &entrypoint, &kind, locale);
    queue(p, email, m, &[record]).await
}

/// When to try again after `attempts` failed: 30 s, 1, 2, 4... minutes,
/// at most an hour apart.
pub fn retry_delay(attempts: i64) -> UnixTime {
    let exp = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    (30 * 2_i64.pow(exp)).min(3600)
}

/// Deliver the mails due now through `mailer`: claim a batch, send each,
/// record the outcome. Returns how many went out. Transient failures are
/// retried with back-off; permanent ones (5xx) and mails past
/// `MAX_ATTEMPTS` are given up and logged.
pub async fn deliver_due(p: &Provider, mailer: &dyn Mailer) -> Result<usize> {
    let now = p.now();
    let due = p.store.claim_mail(now, now + LEASE_SECS, BATCH).await?;
    let mut sent = 0;
    for m in due {
        match mailer.send(&m).await {
            Ok(()) => {
                p.store.mail_sent(&m.id, p.now()).await?;
                tracing::info!(mail_id = %m.id, attempts = m.attempts, "mail sent");
                p.metrics.mail(true);
                sent += 1;
            }
            Err(SendError::Transient(why)) if m.attempts < MAX_ATTEMPTS => {
                let at = p.now() + retry_delay(m.attempts);
                tracing::warn!(mail_id = %m.id, attempts = m.attempts, error = %why, "mail not sent; will retry");
                p.metrics.mail(false);
                p.store.mail_failed(&m.id, Some(at), &why, p.now()).await?;
            }
            Err(SendError::Transient(why) | SendError::Permanent(why)) => {
                tracing::error!(mail_id = %m.id, attempts = m.attempts, error = %why, "mail given up");
                p.metrics.mail(false);
                p.store.mail_failed(&m.id, None, &why, p.now()).await?;
            }
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;

    async fn entrypoint(k: &Kit) -> Entrypoint {
        crate::services::entrypoint::find_or_default(&k.p, "default")
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn every_mail_has_both_parts_in_both_languages_with_only_inline_styles() {
        let k = kit().await;
        let mut e = entrypoint(&k).await;
        e.display_name = "Acme <Shop>".into();
        e.theme.logo_url = Some("/public/logo.png".into());
        let link = "https://id.example/reset-password?token=abc&x=1";
        let kinds = [
            Kind::PasswordReset { link },
            Kind::SignUpWithTakenAddress { reset_link: link },
            Kind::PasswordChanged,
            Kind::VerifyEmail {
                code: "123456",
                link,
            },
            Kind::Invite { link },
            Kind::EmailChanged {
                new_email: "new@example.com",
                undo_link: link,
            },
        ];
        for kind in &kinds {
            let en = compose(&k.p, &e, kind, "en");
            let es = compose(&k.p, &e, kind, "es");
            assert_ne!(en.subject, es.subject);
            assert_ne!(en.text, es.text);
            for m in [&en, &es] {
                assert!(m.subject.contains("Acme <Shop>"), "{}", m.subject);
                assert!(m.text.contains("Acme <Shop>"));
                assert!(m.html.contains("Acme &lt;Shop&gt;"), "the name is escaped");
                assert!(!m.html.contains("<Shop>"));
                assert!(!m.html.contains("<style"), "mail clients drop <style>");
                assert!(
                    m.html
                        .contains(r#"<img src="https://id.example/public/logo.png""#),
                    "the logo, absolute"
                );
                assert_eq!(m.html.matches("<img").count(), 1, "no other image");
                if !matches!(kind, Kind::PasswordChanged | Kind::ConfirmNewEmail { .. }) {
                    assert!(m.text.contains(link));
                    assert!(
                        m.html
                            .contains("https://id.example/reset-password?token=abc&amp;x=1")
                    );
                }
            }
            assert!(es.html.contains(r#"lang="es""#));
        }
        let v = compose(&k.p, &e, &kinds[3], "es");
        assert!(v.text.contains("123456") && v.html.contains("123456"));
        assert!(v.text.contains("15 minutos"));
    }

    #[tokio::test]
    async fn the_primary_colour_paints_the_button() {
        let k = kit().await;
        let mut e = entrypoint(&k).await;
        e.theme.primary = Some("#0f766e".into());
        let m = compose(
            &k.p,
            &e,
            &Kind::PasswordReset {
                link: "https://x.example/r",
            },
            "en",
        );
        assert!(m.html.contains("background:#0f766e"), "{}", m.html);
    }

    #[test]
    fn retries_back_off_up_to_an_hour() {
        assert_eq!(retry_delay(1), 30);
        assert_eq!(retry_delay(2), 60);
        assert_eq!(retry_delay(4), 240);
        assert_eq!(retry_delay(9), 3600);
        assert_eq!(retry_delay(100), 3600);
    }
}
