//! The parts the screens share, one file each: form building blocks
//! (field, error banner, submit button, form state), the forms (sign-in,
//! passkey, second factor, sign-up, password reset, email code, change of
//! email), the security settings and the recovery codes, the heading, and
//! the status lines. Each is accessible on its own; none loads data.

mod cancel_button;
#[cfg(feature = "account")]
mod change_email;
mod consent_choices;
mod error_banner;
mod field;
#[cfg(feature = "account")]
mod forgot_password_form;
mod form_state;
mod heading;
#[cfg(feature = "account")]
mod link_expired;
mod loading;
mod login_form;
#[cfg(feature = "account")]
mod new_password_form;
mod passkey_sign_in;
#[cfg(feature = "account")]
mod recovery_codes_panel;
mod second_factor_form;
#[cfg(feature = "account")]
mod security_settings;
mod sign_in_again;
mod sign_up_form;
mod signed_in_as;
mod submit_button;
#[cfg(feature = "account")]
mod verify_code_form;

pub use cancel_button::CancelButton;
#[cfg(feature = "account")]
pub use change_email::{ChangeEmail, ConfirmEmailForm, NewEmailForm};
pub use consent_choices::ConsentChoices;
pub use error_banner::ErrorBanner;
pub use field::{Field, field_error};
#[cfg(feature = "account")]
pub use forgot_password_form::ForgotPasswordForm;
pub use form_state::FormState;
pub use heading::{Brand, Heading, Title};
#[cfg(feature = "account")]
pub use link_expired::LinkExpired;
pub use loading::Loading;
pub use login_form::LoginForm;
#[cfg(feature = "account")]
pub use new_password_form::NewPasswordForm;
pub use passkey_sign_in::PasskeySignIn;
#[cfg(feature = "account")]
pub use recovery_codes_panel::{RECOVERY_CODES_FILE, RecoveryCodesPanel, recovery_codes_file};
pub use second_factor_form::SecondFactorForm;
#[cfg(feature = "account")]
pub use security_settings::SecuritySettings;
pub use sign_in_again::SignInAgain;
pub use sign_up_form::SignUpForm;
pub use signed_in_as::SignedInAs;
pub use submit_button::SubmitButton;
#[cfg(feature = "account")]
pub use verify_code_form::VerifyCodeForm;
