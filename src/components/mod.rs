//! The parts the screens share, one file each: form building blocks
//! (field, error banner, submit button, form state), the forms two screens
//! use, the heading, and the status lines. Each is accessible on its own;
//! none loads data.

mod cancel_button;
mod consent_choices;
mod error_banner;
mod field;
mod form_state;
mod heading;
mod loading;
mod login_form;
mod sign_up_form;
mod signed_in_as;
mod submit_button;

pub use cancel_button::CancelButton;
pub use consent_choices::ConsentChoices;
pub use error_banner::ErrorBanner;
pub use field::{Field, field_error};
pub use form_state::FormState;
pub use heading::{Brand, Heading, Title};
pub use loading::Loading;
pub use login_form::LoginForm;
pub use sign_up_form::SignUpForm;
pub use signed_in_as::SignedInAs;
pub use submit_button::SubmitButton;
