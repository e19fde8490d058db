//! The port mail leaves through. The server implements it with an SMTP
//! client (lettre); the demo with a mailbox page.

use crate::model::OutboxMail;
use async_trait::async_trait;

/// Why a mail did not go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth trying again later: a 4xx reply, a refused or dropped
    /// connection, a timeout.
    Transient(String),
    /// Never going to work: a 5xx reply (no such mailbox, refused sender).
    Permanent(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Hand `mail` to the next hop. `Ok` means it was accepted.
    async fn send(&self, mail: &OutboxMail) -> Result<(), SendError>;
}
