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

pub use audit::Audit;
pub use client::ClientPage;
pub use clients::Clients;
pub use entrypoint::EntrypointPage;
pub use entrypoints::Entrypoints;
pub use keys::Keys;
pub use overview::Overview;
