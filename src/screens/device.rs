//! The device page (RFC 8628 verification_uri).

use super::{query_param, session, signed_in_email, when_loaded};
use crate::api;
use crate::components::{
    ConsentChoices, ErrorBanner, Field, FormState, SignedInAs, SubmitButton, Title, field_error,
};
use crate::theme::use_ui;
use leptos::prelude::*;
use portico_api_types::{DeviceInfo, SessionInfo};

/// Where the device page stands.
#[derive(Clone)]
enum DeviceStep {
    Enter,
    Confirm(DeviceInfo),
    /// Done; true when the device was allowed.
    Done(bool),
}

/// Type the code the device shows, confirm it is your device, allow or
/// refuse. Signed-out visitors sign in first and come back here with the
/// code still filled in; until the session is known (and while a
/// signed-out visitor is on the way to sign in) only the loading line shows.
#[component]
pub fn Device() -> impl IntoView {
    let ui = use_ui();
    let t = ui.t;
    let typed = query_param("user_code").get_untracked().unwrap_or_default();
    let code = RwSignal::new(typed);
    let step = RwSignal::new(DeviceStep::Enter);
    let form = FormState::new();
    let session = session();
    let signed_out = move || {
        matches!(
            session.get(),
            Some(Ok(SessionInfo {
                signed_in: false,
                ..
            }))
        )
    };
    Effect::new(move |_| {
        if signed_out() {
            let here = format!(
                "/device?user_code={}",
                api::encode_segment(&code.get_untracked())
            );
            crate::navigate(&format!("/login?return_to={}", api::encode_segment(&here)));
        }
    });
    // Failures keep the user on the current step with the server's words.
    let look_up = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let c = code.get_untracked();
        form.run(
            move || async move { api::device_lookup(&c).await },
            move |info| step.set(DeviceStep::Confirm(info)),
        );
    };
    let answer = move |allow: bool| {
        let c = code.get_untracked();
        form.run(
            move || async move { api::device_decide(&c, allow).await },
            move |done| step.set(DeviceStep::Done(done.allowed)),
        );
    };
    // Errors about the code sit under the field; others in the banner.
    let banner = Signal::derive(move || form.error.get().filter(|e| e.field_errors.is_empty()));
    let continue_label = ui.continue_label();
    let steps = move |email: Option<String>| {
        let signed_in_as = move || {
            email
                .clone()
                .map(|email| view! { <SignedInAs email=email/> })
        };
        let continue_label = continue_label.clone();
        move || {
            match step.get() {
            DeviceStep::Enter => view! {
                <Title title=t.device_title/>
                <p>{t.device_intro}</p>
                <form class="form" on:submit=look_up novalidate=true>
                    <ErrorBanner error=banner/>
                    <Field
                        id="user_code"
                        label=t.code
                        autocomplete="one-time-code"
                        value=code
                        error=field_error(form.error, "user_code")
                        hint=t.code_hint
                    />
                    <SubmitButton label=continue_label.clone() busy=form.busy/>
                </form>
                {signed_in_as()}
            }.into_any(),
            DeviceStep::Confirm(info) => view! {
                <Title title=t.device_confirm_title/>
                <ErrorBanner error=form.error/>
                <p><strong>{info.client_name.clone()}</strong> {t.device_wants}</p>
                <div class="banner banner-warning" role="note">
                    <p>
                        {t.device_warning}
                        <strong class="user-code">{info.user_code.clone()}</strong> {t.device_warning_end}
                    </p>
                    <p>{t.device_warning_sent}</p>
                </div>
                <ConsentChoices client_name=info.client_name scopes=info.scopes busy=form.busy answer=answer/>
                {signed_in_as()}
            }.into_any(),
            DeviceStep::Done(true) => view! {
                <Title title=t.device_done_title/>
                <p role="status">{t.device_done}</p>
            }.into_any(),
            DeviceStep::Done(false) => view! {
                <Title title=t.device_denied_title/>
                <p role="status">{t.device_denied}</p>
            }.into_any(),
        }
        }
    };
    // A failed session read shows the code form: the look-up then says
    // what is wrong.
    when_loaded(
        move || session.get().is_some() && !signed_out(),
        move || steps(signed_in_email(session)),
    )
}
