//! The entrypoint's look and language for every screen: loaded once at
//! start (`GET /api/ui/theme`), applied as CSS custom properties on the
//! root element, and shared with the screens through a context.

use crate::i18n::{self, EN, Strings};
use leptos::prelude::*;
use portico_api_types::{
    ApiError, EmailVerification, ScopeInfo, SignUpFields, ThemeInfo, ThemeTexts, XMethod,
};

/// What the screens read about the look and language.
#[derive(Clone)]
pub struct Ui {
    pub t: &'static Strings,
    pub theme: Option<ThemeInfo>,
}

impl Default for Ui {
    fn default() -> Self {
        Self {
            t: &EN,
            theme: None,
        }
    }
}

impl Ui {
    pub fn new(theme: Option<ThemeInfo>) -> Self {
        let t = theme.as_ref().map_or(&EN, |th| i18n::strings(&th.locale));
        Self { t, theme }
    }

    fn texts(&self) -> Option<&ThemeTexts> {
        self.theme.as_ref().map(|t| &t.texts)
    }

    fn word(&self, pick: fn(&ThemeTexts) -> &Option<String>, built_in: &'static str) -> String {
        self.texts()
            .and_then(|x| pick(x).clone())
            .unwrap_or_else(|| built_in.to_owned())
    }

    /// The name above every heading.
    pub fn brand(&self) -> String {
        self.theme.as_ref().map_or_else(
            || "Portico".to_owned(),
            |t| t.entrypoint.display_name.clone(),
        )
    }

    pub fn logo_url(&self) -> Option<String> {
        self.theme.as_ref().and_then(|t| t.tokens.logo_url.clone())
    }

    pub fn sign_in_title(&self) -> String {
        self.word(|x| &x.title, self.t.sign_in_title)
    }

    pub fn subtitle(&self) -> Option<String> {
        self.texts().and_then(|x| x.subtitle.clone())
    }

    pub fn sign_in_label(&self) -> String {
        self.word(|x| &x.sign_in, self.t.sign_in)
    }

    pub fn create_account_label(&self) -> String {
        self.word(|x| &x.create_account, self.t.create_account)
    }

    pub fn continue_label(&self) -> String {
        self.word(|x| &x.continue_label, self.t.continue_label)
    }

    pub fn sign_up_fields(&self) -> SignUpFields {
        self.theme
            .as_ref()
            .map(|t| t.sign_up.clone())
            .unwrap_or_default()
    }

    /// Whether the entrypoint offers a screen (all of them when unknown).
    pub fn offers(&self, m: XMethod) -> bool {
        self.theme.as_ref().is_none_or(|t| t.x_methods.contains(&m))
    }

    /// Whether sign-in offers "Forgot password?" (only when the server
    /// says it sends mail).
    pub fn password_reset(&self) -> bool {
        self.theme.as_ref().is_some_and(|t| t.password_reset)
    }

    /// Whether sign-in offers "Sign in with a passkey" (the server says
    /// the installation can; the browser must have passkeys too).
    pub fn passkeys(&self) -> bool {
        self.theme.as_ref().is_some_and(|t| t.passkeys)
    }

    /// Whether a new account may be used before its address is verified
    /// (the entrypoint's verification is optional). Unknown means no: the
    /// "Check your email" screen then promises nothing.
    pub fn verification_optional(&self) -> bool {
        self.theme
            .as_ref()
            .is_some_and(|t| t.email_verification == EmailVerification::Optional)
    }

    /// A server error in the UI's language.
    pub fn error(&self, e: &ApiError) -> String {
        i18n::message(self.t.locale, &e.error, &e.message)
    }

    /// The message for one rejected field, in the UI's language.
    pub fn field_error(&self, e: &ApiError, field: &str) -> Option<String> {
        e.field_errors
            .iter()
            .find(|f| f.field == field)
            .map(|f| i18n::message(self.t.locale, &f.code, &f.message))
    }

    pub fn scope(&self, s: &ScopeInfo) -> String {
        i18n::scope(self.t.locale, &s.name, &s.description)
    }
}

/// The screens' [`Ui`]; the English default outside the app (tests).
pub fn use_ui() -> Ui {
    use_context::<Ui>().unwrap_or_default()
}

/// The custom properties a theme sets, as (name, value). Values were
/// checked by the server; a value the browser still rejects leaves that
/// one property at the stylesheet's default.
pub fn properties(t: &ThemeInfo) -> Vec<(&'static str, String)> {
    let k = &t.tokens;
    let mut v = vec![
        ("--color-primary", k.primary.clone()),
        ("--color-on-primary", k.on_primary.clone()),
        ("--color-background", k.background.clone()),
        ("--color-surface", k.surface.clone()),
        ("--color-text", k.text.clone()),
        ("--color-error", k.error.clone()),
        ("--color-muted", k.muted.clone()),
        ("--color-border", k.border.clone()),
        ("--color-error-surface", k.error_surface.clone()),
        ("--color-info-surface", k.info_surface.clone()),
        ("--color-warning-surface", k.warning_surface.clone()),
        ("--color-warning", k.warning.clone()),
        ("--font-family", k.font_family.clone()),
        ("--radius", k.radius.clone()),
    ];
    if let Some(img) = &k.background_image {
        v.push(("--background-image", format!("url(\"{img}\")")));
    }
    v
}

/// Apply a theme's custom properties to one element (the cockpit's live
/// preview), through the CSSOM as [`apply`] does, which the UI's CSP allows.
#[cfg(feature = "admin")]
pub fn apply_to(el: &web_sys::HtmlElement, t: &ThemeInfo) {
    let style = el.style();
    for (name, value) in properties(t) {
        let _ = style.set_property(name, &value);
    }
}

/// Apply a theme to the document: custom properties on `<html>` and its
/// `lang`, so screen readers speak the right language.
pub fn apply(t: &ThemeInfo) {
    let Some(root) = document().document_element() else {
        return;
    };
    let _ = root.set_attribute("lang", &t.locale);
    let Ok(html) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(root) else {
        return;
    };
    let style = html.style();
    for (name, value) in properties(t) {
        if style.set_property(name, &value).is_err() {
            leptos::logging::warn!("theme: {name} was not applied");
        }
    }
    document().set_title(&t.entrypoint.display_name);
}
