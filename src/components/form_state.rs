//! A form's busy flag and last error, and the one way a form talks to the
//! server.

use leptos::prelude::*;
use portico_api_types::{ApiError, NextStep};
use std::future::Future;

/// A form's busy flag and the server's last error. A form sends one request
/// at a time; a failure shows the server's words and makes the form ready
/// again.
#[derive(Clone, Copy)]
pub struct FormState {
    pub busy: RwSignal<bool>,
    pub error: RwSignal<Option<ApiError>>,
}

impl FormState {
    pub fn new() -> Self {
        Self {
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// Send a request whose answer is the next step, and take it. The form
    /// stays busy while the browser leaves, so a second click sends nothing.
    pub fn submit<F, Fut>(self, call: F)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<NextStep, ApiError>> + 'static,
    {
        self.send(call, true, |next| crate::follow(&next));
    }

    /// Send a request that keeps the visitor on this page; `then` gets the
    /// answer once the form is ready again.
    pub fn run<T, F, Fut>(self, call: F, then: impl FnOnce(T) + 'static)
    where
        T: 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ApiError>> + 'static,
    {
        self.send(call, false, then);
    }

    fn send<T, F, Fut>(self, call: F, leaving: bool, then: impl FnOnce(T) + 'static)
    where
        T: 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ApiError>> + 'static,
    {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        let fut = call();
        leptos::task::spawn_local(async move {
            match fut.await {
                Ok(answer) => {
                    if !leaving {
                        self.busy.set(false);
                    }
                    then(answer);
                }
                Err(e) => {
                    self.error.set(Some(e));
                    self.busy.set(false);
                }
            }
        });
    }
}

impl Default for FormState {
    fn default() -> Self {
        Self::new()
    }
}
