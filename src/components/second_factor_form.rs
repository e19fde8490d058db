//! The second step of a sign-in: the code from the authenticator app, a
//! recovery code, or a passkey.

use super::{ErrorBanner, Field, FormState, PasskeySignIn, SignInAgain, SubmitButton, field_error};
use crate::theme::use_ui;
use crate::{api, switch_link};
use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;
use portico_api_types::routes::pages;
use portico_api_types::{ApiError, SecondFactorInfo, SecondFactorRequest, codes};

/// This page's address in one of its two forms (`recovery=1` for a
/// recovery code), keeping the request or the page to return to.
fn code_page(request: Option<String>, return_to: Option<String>, recovery: bool) -> String {
    let mut query = Vec::new();
    if let Some(r) = request {
        query.push(format!("request={}", api::encode_segment(&r)));
    }
    if let Some(t) = return_to {
        query.push(format!("return_to={}", api::encode_segment(&t)));
    }
    if recovery {
        query.push("recovery=1".to_owned());
    }
    if query.is_empty() {
        pages::SECOND_FACTOR.to_owned()
    } else {
        format!("{}?{}", pages::SECOND_FACTOR, query.join("&"))
    }
}

/// "Verify" with the app's code, or (`recovery`, or after "Use a recovery
/// code") with a recovery code, then take the step the server chose. The
/// links between the two forms are real links to this page; a click
/// switches in place. An account whose only factor is a passkey gets the
/// passkey button and no code field. A sign-in that has expired replaces
/// everything with "Sign in again".
#[component]
pub fn SecondFactorForm(
    info: SecondFactorInfo,
    #[prop(into)] request: Signal<Option<String>>,
    #[prop(into, optional)] return_to: Signal<Option<String>>,
    /// Start with the recovery code (`?recovery=1`).
    #[prop(optional)]
    recovery: bool,
) -> impl IntoView {
    let ui = use_ui();
    let t = ui.t;
    let recovery = RwSignal::new(recovery);
    let code = RwSignal::new(String::new());
    let form = FormState::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = SecondFactorRequest {
            request: request.get_untracked(),
            return_to: return_to.get_untracked(),
            code: code.get_untracked().trim().to_owned(),
            recovery: recovery.get_untracked(),
        };
        form.submit(move || async move { api::second_factor(&req).await });
    };
    let has = move |c: &str| {
        form.error
            .with(|e| e.as_ref().is_some_and(|e| e.error == c))
    };
    // A wrong code is said at the field; field errors too; the rest (too
    // many attempts, a server error) in the banner.
    let named = field_error(form.error, "code");
    let code_error = Signal::derive(move || {
        form.error.with(|e| match e {
            Some(e) if e.error == codes::INVALID_AUTHENTICATION_CODE => Some(ui.error(e)),
            _ => named.get(),
        })
    });
    let banner = Signal::derive(move || {
        form.error.get().filter(|e| {
            e.field_errors.is_empty()
                && e.error != codes::INVALID_AUTHENTICATION_CODE
                && e.error != codes::SIGN_IN_EXPIRED
        })
    });
    let expired = Memo::new(move |_| has(codes::SIGN_IN_EXPIRED));
    // Switching replaces the field the keyboard was about to use: focus
    // the new one once it is in the page (not when the page opens).
    let fields = NodeRef::<html::Div>::new();
    let switched = StoredValue::new(false);
    Effect::new(move |_| {
        if let Some(input) = fields
            .get()
            .and_then(|d| d.query_selector("input").ok().flatten())
            && switched.get_value()
        {
            let _ = wasm_bindgen::JsCast::unchecked_into::<web_sys::HtmlElement>(input).focus();
        }
    });
    let switch = move |to: bool| {
        move |ev: leptos::ev::MouseEvent| {
            ev.prevent_default();
            code.set(String::new());
            form.error.set(None);
            switched.set_value(true);
            recovery.set(to);
        }
    };
    let link = move |to: bool| {
        let href = code_page(request.get_untracked(), return_to.get_untracked(), to);
        let label = if to {
            t.use_recovery_code
        } else {
            t.use_authenticator_app
        };
        view! { <p class="form-aside"><a href=href on:click=switch(to)>{label}</a></p> }
    };
    // Passkey only: no app, so no app code to ask for.
    let asks_code = info.totp || !info.passkey;
    let offers_recovery = info.recovery_codes;
    let passkey = info.passkey;
    move || {
        if expired.get() {
            let href = switch_link(
                pages::LOGIN,
                request.get_untracked(),
                return_to.get_untracked(),
            );
            return Either::Left(
                form.error
                    .get()
                    .map(|e: ApiError| view! { <SignInAgain error=e href=href/> }),
            );
        }
        let in_recovery = recovery.get();
        let intro = match (in_recovery, asks_code) {
            (true, _) => t.recovery_intro,
            (false, true) => t.second_factor_intro,
            (false, false) => t.passkey_intro,
        };
        // One field, named for the code it takes.
        let (id, label, autocomplete, inputmode) = if in_recovery {
            ("recovery_code", t.recovery_code, "off", "text")
        } else {
            ("code", t.authentication_code, "one-time-code", "numeric")
        };
        let field = view! {
            <Field id=id label=label autocomplete=autocomplete inputmode=inputmode value=code error=code_error/>
        };
        let code_form = (in_recovery || asks_code).then(|| {
            view! {
                <form class="form" on:submit=submit novalidate=true>
                    <ErrorBanner error=banner/>
                    <div class="fields" node_ref=fields>{field}</div>
                    <SubmitButton label=t.verify busy=form.busy/>
                </form>
            }
        });
        let other = match (in_recovery, offers_recovery) {
            (true, _) => Some(link(false)),
            (false, true) => Some(link(true)),
            (false, false) => None,
        };
        Either::Right(view! {
            <p>{intro}</p>
            {code_form}
            {passkey.then(|| view! { <PasskeySignIn request=request return_to=return_to/> })}
            {other}
        })
    }
}
