//! Entrypoints as saved and as the admin API reads and writes them: one
//! type for the store's JSON, portico.toml's `[[entrypoints]]` and the
//! cockpit, so none can drift from the others. Checked in core
//! (`services::entrypoint::problems`) before anything is saved.

use crate::{EmailVerification, SignUpFields, ThemeTexts, XMethod};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An entrypoint (DruID): named in `scope`, decides which screens exist,
/// what sign-up asks for, and how the screens look. Saved as JSON, so
/// fields added later need a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Entrypoint {
    pub id: String,
    pub display_name: String,
    /// The x_method values it offers (all three unless narrowed).
    #[serde(default = "all_x_methods")]
    pub x_methods: Vec<XMethod>,
    #[serde(default)]
    pub sign_up: SignUpFields,
    #[serde(default)]
    pub theme: Theme,
    /// The language when neither ui_locales nor the browser picks one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_locale: Option<String>,
    /// Whether new accounts verify their address (when mail is on).
    #[serde(default)]
    pub email_verification: EmailVerification,
    /// Whether sign-ins here ask for a second factor.
    #[serde(default)]
    pub mfa: MfaPolicy,
}

/// An entrypoint's second-factor policy (`mfa = "off" | "optional" |
/// "required"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MfaPolicy {
    /// No second factor is asked here, even of accounts that have one.
    Off,
    /// Accounts that have a second factor give it; others sign in with
    /// their password.
    #[default]
    Optional,
    /// Every sign-in needs a second factor: accounts without one enrol
    /// one (passkey or app) before the request completes.
    Required,
}

impl Entrypoint {
    /// The verification policy in effect: off without mail.
    pub fn verification(&self, mail: bool) -> EmailVerification {
        if mail {
            self.email_verification
        } else {
            EmailVerification::Off
        }
    }
}

fn all_x_methods() -> Vec<XMethod> {
    vec![XMethod::Login, XMethod::SignUp, XMethod::Reauthorize]
}

impl Entrypoint {
    /// An entrypoint with Portico's defaults.
    pub fn new(id: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            display_name: display_name.into(),
            x_methods: all_x_methods(),
            sign_up: SignUpFields::default(),
            theme: Theme::default(),
            default_locale: None,
            email_verification: EmailVerification::default(),
            mfa: MfaPolicy::default(),
        }
    }

    pub fn offers(&self, m: XMethod) -> bool {
        self.x_methods.contains(&m)
    }
}

/// An entrypoint's theme as saved: every token optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// Buttons, links, focus rings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<String>,
    /// The label colour on primary buttons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_primary: Option<String>,
    /// The page behind the card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    /// The card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surface: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A CSS font-family list, e.g. `Georgia, serif`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font_family: Option<String>,
    /// Corner radius, e.g. `12px` or `0.5rem`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radius: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_image: Option<String>,
    /// The entrypoint's words, by locale (`en`, `es`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub texts: BTreeMap<String, ThemeTexts>,
}
