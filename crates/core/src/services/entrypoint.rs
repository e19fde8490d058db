//! Entrypoints (DruID): the checks when one is saved, and what a page needs
//! to know about the one behind a request: its theme, its words, the
//! language, its sign-up fields and screens.

use crate::infra::provider::Provider;
use crate::model::{Client, Entrypoint};
use crate::protocol::error::Result;
use crate::protocol::scope;
use crate::protocol::scope::{DEFAULT_ENTRYPOINT, STANDARD_SCOPES};
use crate::protocol::theme;
use portico_api_types::admin::EntrypointPreview;
use portico_api_types::{EntrypointInfo, FieldError, LOCALES, ThemeInfo};

/// Everything wrong with an entrypoint, in one message naming it, or Ok
/// (what portico.toml and `portico entrypoint` print).
pub fn check(e: &Entrypoint) -> std::result::Result<(), String> {
    let problems = problems(e);
    if problems.is_empty() {
        Ok(())
    } else {
        let all: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        Err(format!("entrypoint {}: {}", e.id, all.join("; ")))
    }
}

/// Everything wrong with an entrypoint, each problem with the field it is
/// about (`display_name`, `theme.primary`, `theme.texts.es.title`), for the
/// cockpit to show beside the field. The same rules as [`check`].
pub fn problems(e: &Entrypoint) -> Vec<FieldError> {
    let mut problems = Vec::new();
    let mut say = |field: &str, message: String| {
        problems.push(FieldError {
            field: field.to_owned(),
            code: "invalid".to_owned(),
            message,
        });
    };
    let id_ok = !e.id.is_empty()
        && e.id.len() <= 64
        && e.id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if !id_ok {
        say(
            "id",
            "the id must have 1 to 64 letters, digits, '.', '_' or '-' (it is sent as a scope)"
                .to_owned(),
        );
    }
    if STANDARD_SCOPES.contains(&e.id.as_str()) {
        say("id", format!("the id {} is a standard scope", e.id));
    }
    if e.display_name.trim().is_empty() || e.display_name.chars().count() > 100 {
        say(
            "display_name",
            "display_name must have 1 to 100 characters".to_owned(),
        );
    }
    if e.x_methods.is_empty() {
        say(
            "x_methods",
            "x_methods must name at least one of login, sign_up, reauthorize".to_owned(),
        );
    }
    if let Some(l) = &e.default_locale
        && !LOCALES.contains(&l.as_str())
    {
        say(
            "default_locale",
            format!("default_locale {l} is not one of {}", LOCALES.join(", ")),
        );
    }
    if let Some(u) = &e.sign_up.terms_url
        && !url::Url::parse(u).is_ok_and(|x| matches!(x.scheme(), "https" | "http"))
    {
        say(
            "sign_up.terms_url",
            format!("sign_up.terms_url {u} must be an http(s) URL"),
        );
    }
    for m in theme::check(&e.theme) {
        say(&theme_field(&m), m);
    }
    problems
}

/// The token a theme message is about: `theme.primary "x" is not...` is
/// `theme.primary`; a contrast failure (`theme: text #.. on surface ..`)
/// is about its foreground token, `theme.text`.
fn theme_field(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("theme: ") {
        let token = rest.split(' ').next().unwrap_or_default();
        return format!("theme.{token}");
    }
    message
        .split([' ', ':'])
        .next()
        .unwrap_or("theme")
        .to_owned()
}

/// What the cockpit's live preview shows for an entrypoint being edited:
/// its problems (as saving would refuse them), the page's look and words
/// for `locale` exactly as the login UI would get them, and every colour
/// pair with its WCAG contrast.
pub fn preview(p: &Provider, e: &Entrypoint, locale: &str) -> EntrypointPreview {
    let locale = LOCALES
        .iter()
        .copied()
        .find(|l| *l == locale)
        .unwrap_or("en");
    EntrypointPreview {
        problems: problems(e),
        theme: info(p, e, locale),
        pairs: theme::pairs(&e.theme),
    }
}

/// The look and words a page gets for `e` in `locale`.
fn info(p: &Provider, e: &Entrypoint, locale: &str) -> ThemeInfo {
    ThemeInfo {
        tokens: theme::resolve(&e.theme),
        texts: theme::texts(&e.theme, locale),
        locale: locale.to_owned(),
        sign_up: e.sign_up.clone(),
        x_methods: e.x_methods.clone(),
        password_reset: p.config.mail,
        email_verification: e.verification(p.config.mail),
        passkeys: p.passkeys.is_some(),
        entrypoint: EntrypointInfo {
            id: e.id.clone(),
            display_name: e.display_name.clone(),
        },
    }
}

/// The language of the pages: the first of `ui_locales` the UI speaks
/// (OIDC Core §3.1.2.1), else the browser's best (Accept-Language, by
/// weight), else the entrypoint's default, else English.
pub fn negotiate(
    ui_locales: &[String],
    accept_language: Option<&str>,
    default: Option<&str>,
) -> &'static str {
    let known = |tag: &str| {
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        LOCALES.iter().copied().find(|l| *l == primary)
    };
    if let Some(l) = ui_locales.iter().find_map(|t| known(t)) {
        return l;
    }
    if let Some(h) = accept_language
        && let Some(l) = accept_language::parse(h).iter().find_map(|t| known(t))
    {
        return l;
    }
    default.and_then(known).unwrap_or("en")
}

/// The entrypoint with this id, or Portico's default when there is none
/// saved (a fresh database), so a page always has one.
pub async fn find_or_default(p: &Provider, id: &str) -> Result<Entrypoint> {
    if let Some(e) = p.store.entrypoint(id).await? {
        return Ok(e);
    }
    Ok(p.store
        .entrypoint(DEFAULT_ENTRYPOINT)
        .await?
        .unwrap_or_else(|| Entrypoint::new(DEFAULT_ENTRYPOINT, "Portico")))
}

/// The entrypoint behind a pending request (the default one without a
/// request, or when it has expired), and the request's ui_locales.
pub async fn behind(p: &Provider, request_id: Option<&str>) -> Result<(Entrypoint, Vec<String>)> {
    let req = match request_id {
        Some(id) => p.store.auth_request(id, p.now()).await?,
        None => None,
    };
    match req {
        Some(r) => Ok((find_or_default(p, &r.entrypoint).await?, r.ui_locales)),
        None => Ok((find_or_default(p, DEFAULT_ENTRYPOINT).await?, Vec::new())),
    }
}

/// What every screen needs to look and speak right.
pub async fn theme_info(
    p: &Provider,
    request_id: Option<&str>,
    ui_locales: Option<&str>,
    accept_language: Option<&str>,
) -> Result<ThemeInfo> {
    let (e, mut locales) = behind(p, request_id).await?;
    if let Some(extra) = ui_locales {
        locales.extend(extra.split_whitespace().map(str::to_owned));
    }
    let locale = negotiate(&locales, accept_language, e.default_locale.as_deref());
    Ok(info(p, &e, locale))
}

/// Scope: client scopes plus at most one entrypoint (DruID). Errors are
/// `invalid_scope`.
pub(crate) async fn classify_scope(
    p: &Provider,
    client: &Client,
    raw: Option<&str>,
) -> Result<scope::Classified> {
    let tokens = scope::tokens(raw)?;
    let mut entrypoints = Vec::new();
    for t in &tokens {
        if !scope::contains(&client.scopes, t)
            && !scope::STANDARD_SCOPES.contains(&t.as_str())
            && p.store.entrypoint(t).await?.is_some()
        {
            entrypoints.push(t.clone());
        }
    }
    scope::classify(tokens, &client.scopes, |t| {
        entrypoints.iter().any(|e| e == t)
    })
}

/// The entrypoint a screen is themed for; without one, the client's name.
pub(crate) async fn entrypoint_info(
    p: &Provider,
    id: &str,
    client: &Client,
) -> Result<EntrypointInfo> {
    let ep = p.store.entrypoint(id).await?;
    Ok(EntrypointInfo {
        id: id.to_owned(),
        display_name: ep.map_or_else(|| client.name.clone(), |e| e.display_name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{CB, CHALLENGE, kit, q};
    use portico_api_types::XMethod;

    #[test]
    fn locale_comes_from_ui_locales_then_the_browser_then_the_entrypoint() {
        let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(negotiate(&v(&["fr", "es-MX"]), Some("en"), None), "es");
        assert_eq!(
            negotiate(&v(&["fr"]), Some("fr;q=1, es;q=0.8, en;q=0.5"), None),
            "es"
        );
        assert_eq!(negotiate(&[], Some("de, en-GB;q=0.3"), Some("es")), "en");
        assert_eq!(negotiate(&[], Some("de"), Some("es")), "es");
        assert_eq!(negotiate(&[], None, None), "en");
        assert_eq!(negotiate(&[], Some("*"), None), "en");
    }

    #[test]
    fn checks_name_the_entrypoint_and_every_problem() {
        let mut e = Entrypoint::new("shop", "The Shop");
        assert_eq!(check(&e), Ok(()));
        e.x_methods.clear();
        e.default_locale = Some("fr".into());
        e.sign_up.terms_url = Some("javascript:x".into());
        e.theme.primary = Some("#ffff00".into());
        let m = check(&e).unwrap_err();
        assert!(m.starts_with("entrypoint shop: "), "{m}");
        for part in ["x_methods", "default_locale fr", "terms_url", "contrast"] {
            assert!(m.contains(part), "{part}: {m}");
        }
        assert!(check(&Entrypoint::new("openid", "x")).is_err());
        assert!(check(&Entrypoint::new("a b", "x")).is_err());
    }

    #[tokio::test]
    async fn the_theme_follows_the_request_and_falls_back_to_the_default() {
        let k = kit().await;
        let mut shop = Entrypoint::new("shop", "The Shop");
        shop.theme.primary = Some("#0f766e".into());
        shop.default_locale = Some("es".into());
        shop.x_methods = vec![XMethod::Login];
        k.p.store.upsert_entrypoint(&shop).await.unwrap();
        let none = theme_info(&k.p, None, None, None).await.unwrap();
        assert_eq!(none.entrypoint.id, DEFAULT_ENTRYPOINT);
        assert_eq!(none.locale, "en");
        assert_eq!(none.tokens.primary, theme::defaults::PRIMARY);
        let gone = theme_info(&k.p, Some("no-such-request"), Some("es"), None)
            .await
            .unwrap();
        assert_eq!(gone.entrypoint.id, DEFAULT_ENTRYPOINT);
        assert_eq!(gone.locale, "es");

        let o = crate::endpoints::authorize::authorize(
            &k.p,
            &q(&format!(
                "response_type=code&client_id=web&redirect_uri={CB}&scope=openid shop&code_challenge={CHALLENGE}&code_challenge_method=S256"
            )),
            None,
        )
        .await;
        let crate::endpoints::authorize::Outcome::Interaction { request_id, .. } = o else {
            panic!("expected a screen: {o:?}");
        };
        let t = theme_info(&k.p, Some(&request_id), None, Some("en-US"))
            .await
            .unwrap();
        assert_eq!(t.entrypoint.display_name, "The Shop");
        assert_eq!(t.tokens.primary, "#0f766e");
        assert_eq!(t.locale, "en", "the browser beats the entrypoint default");
        assert_eq!(t.x_methods, vec![XMethod::Login]);
        let t = theme_info(&k.p, Some(&request_id), None, None)
            .await
            .unwrap();
        assert_eq!(t.locale, "es");
    }
}
