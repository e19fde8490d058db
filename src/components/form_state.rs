//! A form's busy flag and last error, and the one way a form talks to the
//! server.

use leptos::prelude::*;
use portico_api_types::{ApiError, NextStep};
use std::future::Future;
use std::pin::Pin;

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
        if self.start() {
            self.send(
                Box::pin(call()),
                true,
                Box::new(|next| crate::follow(&next)),
            );
        }
    }

    /// Send a request that keeps the visitor on this page; `then` gets the
    /// answer once the form is ready again.
    pub fn run<T, F, Fut>(self, call: F, then: impl FnOnce(T) + 'static)
    where
        T: 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ApiError>> + 'static,
    {
        if self.start() {
            self.send(Box::pin(call()), false, Box::new(then));
        }
    }

    /// One request at a time: false while one is on its way.
    fn start(self) -> bool {
        if self.busy.get_untracked() {
            return false;
        }
        self.busy.set(true);
        self.error.set(None);
        true
    }

    // Boxed, so that one copy per answer type serves every form (the
    // login page's wasm carries every copy).
    fn send<T: 'static>(
        self,
        call: Pin<Box<dyn Future<Output = Result<T, ApiError>>>>,
        leaving: bool,
        then: Box<dyn FnOnce(T)>,
    ) {
        leptos::task::spawn_local(async move {
            match call.await {
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
