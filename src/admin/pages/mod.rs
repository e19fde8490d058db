//! One file per page of the cockpit; the client form the create and edit
//! pages share.

mod audit;
mod client;
mod client_form;
mod clients;
mod entrypoint;
mod entrypoints;
mod keys;
mod overview;
mod user;
mod users;

pub use audit::Audit;
pub use client::ClientPage;
pub use client_form::ClientFields;
pub use clients::Clients;
pub use entrypoint::{Contrast, EntrypointPage, Preview, Screen};
pub use entrypoints::Entrypoints;
pub use keys::Keys;
pub use overview::Overview;
pub use user::UserPage;
pub use users::Users;
