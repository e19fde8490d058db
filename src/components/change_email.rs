//! The account page's "Change email": the new address, then the code that
//! was mailed to it.

use super::{ErrorBanner, Field, FormState, SubmitButton, field_error};
use crate::theme::use_ui;
use leptos::either::EitherOf4;
use leptos::html;
use leptos::prelude::*;
use portico_api_types::{ApiError, SessionInfo};

/// Where the change stands.
#[derive(Clone)]
enum Step {
    /// Only the "Change email" button.
    Closed,
    /// "New email" and "Send code".
    Enter,
    /// The code was mailed to this address.
    Confirm(String),
    /// Changed: the address the account has now.
    Done(String),
}

/// "Change email" and, once pressed, the two forms in its place. The old
/// address keeps working until the code from the new one is confirmed;
/// `changed` then gets the account as the server now has it.
#[component]
pub fn ChangeEmail(changed: impl Fn(SessionInfo) + Copy + Send + Sync + 'static) -> impl IntoView {
    let t = use_ui().t;
    let step = RwSignal::new(Step::Closed);
    // Each step replaces the control that was just used: move focus into
    // the new one (its input, or the outcome line), so keyboard and screen
    // reader users are not sent back to the top of the page. Nothing is
    // focused while the page opens: the closed step has no panel.
    let panel = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = panel.get() {
            focus_within(&el);
        }
    });
    let open = move |_| step.set(Step::Enter);
    let close = move |_| step.set(Step::Closed);
    let cancel = move || {
        view! { <button type="button" class="button-link" on:click=close>{t.cancel}</button> }
    };
    move || match step.get() {
        Step::Closed => EitherOf4::A(view! {
            <button type="button" class="button-secondary" on:click=open>{t.change_email}</button>
        }),
        Step::Enter => EitherOf4::B(view! {
            <div class="email-change" node_ref=panel>
                <NewEmailForm sent=move |to| step.set(Step::Confirm(to))/>
                {cancel()}
            </div>
        }),
        Step::Confirm(to) => EitherOf4::C(view! {
            <div class="email-change" node_ref=panel>
                <ConfirmEmailForm
                    new_email=to.clone()
                    changed=move |account: SessionInfo| {
                        step.set(Step::Done(account.email.clone().unwrap_or_else(|| to.clone())));
                        changed(account);
                    }
                />
                {cancel()}
            </div>
        }),
        Step::Done(email) => EitherOf4::D(view! {
            <div class="email-change outcome" tabindex="-1" node_ref=panel>
                <p role="status">{t.email_now} <strong>{email}</strong> {t.email_now_end}</p>
            </div>
            <button type="button" class="button-secondary" on:click=open>{t.change_email}</button>
        }),
    }
}

/// Focus the first input inside `el`, or `el` itself when it has none.
fn focus_within(el: &web_sys::HtmlElement) {
    use wasm_bindgen::JsCast;
    let input = el
        .query_selector("input")
        .ok()
        .flatten()
        .and_then(|i| i.dyn_into::<web_sys::HtmlElement>().ok());
    let _ = input.as_ref().unwrap_or(el).focus();
}

/// Errors about one of `fields` sit under the field; others (a wrong code,
/// too many attempts, no mail here) in the banner, as on the sign-in form.
fn banner(form: FormState) -> Signal<Option<ApiError>> {
    Signal::derive(move || form.error.get().filter(|e| e.field_errors.is_empty()))
}

/// "New email" and "Send code": mail a code to the new address. `sent`
/// gets the address once the server has accepted it; the answer is the
/// same whether the address is free or not.
#[component]
pub fn NewEmailForm(sent: impl Fn(String) + Copy + Send + Sync + 'static) -> impl IntoView {
    let new_email = RwSignal::new(String::new());
    let form = FormState::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let to = new_email.get_untracked();
        let asked = to.clone();
        form.run(
            move || async move { crate::api::email_change(&asked).await },
            move |_| sent(to),
        );
    };
    // The server names the field `new_email`, or `email` for the checks
    // it shares with sign-up.
    let (named, shared) = (
        field_error(form.error, "new_email"),
        field_error(form.error, "email"),
    );
    let error = Signal::derive(move || named.get().or_else(|| shared.get()));
    let t = use_ui().t;
    view! {
        <form class="form" on:submit=submit novalidate=true>
            <ErrorBanner error=banner(form)/>
            <Field id="new_email" label=t.new_email kind="email" autocomplete="email" value=new_email error=error/>
            <SubmitButton label=t.send_code busy=form.busy/>
        </form>
    }
}

/// "Verification code" and "Confirm": the code mailed to `new_email`.
/// `changed` gets the account once the new address has replaced the old.
#[component]
pub fn ConfirmEmailForm(
    #[prop(into)] new_email: String,
    changed: impl Fn(SessionInfo) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let form = FormState::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = code.get_untracked();
        form.run(
            move || async move { crate::api::email_change_confirm(&typed).await },
            changed.clone(),
        );
    };
    let t = use_ui().t;
    view! {
        <p>{t.code_sent_to} <strong>{new_email}</strong> {t.code_works_for}</p>
        <form class="form" on:submit=submit novalidate=true>
            <ErrorBanner error=banner(form)/>
            <Field
                id="code"
                label=t.verification_code
                autocomplete="one-time-code"
                inputmode="numeric"
                value=code
                error=field_error(form.error, "code")
            />
            <SubmitButton label=t.confirm busy=form.busy/>
        </form>
    }
}
