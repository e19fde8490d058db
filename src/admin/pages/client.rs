//! `/admin/clients/{id}`: edit a client, give it a new secret (shown
//! once), disable or enable it, delete it.

use super::client_form::{ClientFields, ClientFieldset};
use crate::admin::parts::{Failure, SecretOnce};
use crate::admin::{api, i18n};
use crate::components::FormState;
use leptos::prelude::*;
use portico_api_types::admin::ClientView;

#[component]
pub fn ClientPage(id: String) -> impl IntoView {
    let loaded = LocalResource::new({
        let id = id.clone();
        move || {
            let id = id.clone();
            async move { api::client(&id).await }
        }
    });
    move || {
        loaded.get().map(|r| match r {
            Ok(c) => view! { <Editor client=c/> }.into_any(),
            Err(e) => view! { <div class="panel"><h1>{id.clone()}</h1><p role="alert">{e.message}</p></div> }.into_any(),
        })
    }
}

#[component]
fn Editor(client: ClientView) -> impl IntoView {
    let t = i18n::t();
    let current = RwSignal::new(client.clone());
    let fields = ClientFields::of(&client);
    let form = FormState::new();
    let status = RwSignal::new("");
    let secret = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(false);
    let gone = RwSignal::new(false);
    // Stored, so every handler below is a plain Copy closure.
    let id = StoredValue::new(client.id.clone());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let before = current.get_untracked();
        let input = fields.input(Some(&before));
        let id = id.get_value();
        status.set("");
        form.run(
            move || async move { api::update_client(&id, &input).await },
            move |c| {
                current.set(c);
                status.set(t.saved);
            },
        );
    };
    let rotate = move |_| {
        let id = id.get_value();
        form.run(
            move || async move { api::rotate_secret(&id).await },
            move |c| {
                secret.set(c.client_secret);
                current.set(c.client);
            },
        );
    };
    let toggle = move |_| {
        let id = id.get_value();
        let disable = !current.get_untracked().disabled;
        form.run(
            move || async move { api::set_disabled(&id, disable).await },
            move |c| current.set(c),
        );
    };
    let delete = move |_| {
        let id = id.get_value();
        form.run(
            move || async move { api::delete_client(&id).await },
            move |()| gone.set(true),
        );
    };
    view! {
        <section class="panel" aria-labelledby="client-heading">
            <h1 id="client-heading" class="mono">{id.get_value()}</h1>
            <Show when=move || !gone.get() fallback=move || view! { <p role="status">{t.deleted}</p> }>
                <p>
                    {move || if current.get().disabled { t.disabled } else { t.enabled }}
                    {move || current.get().from_config.then(|| format!(" · {}", t.config_managed))}
                </p>
                {move || secret.get().map(|s| view! { <SecretOnce secret=s/> })}
                <form class="form" on:submit=save>
                    <ClientFieldset fields=fields creating=false/>
                    <Failure error=form.error/>
                    <p role="status">{move || status.get()}</p>
                    <div class="actions">
                        <button type="submit" class="button-primary" disabled=move || form.busy.get()>{t.save_changes}</button>
                        <button type="button" class="button-secondary" on:click=rotate disabled=move || form.busy.get()>{t.rotate_secret}</button>
                        <button type="button" class="button-secondary" on:click=toggle disabled=move || form.busy.get()>
                            {move || if current.get().disabled { t.enable } else { t.disable }}
                        </button>
                        <button type="button" class="button-secondary" on:click=move |_| confirming.set(true) disabled=move || form.busy.get()>{t.delete_client}</button>
                    </div>
                </form>
                <Show when=move || confirming.get()>
                    <div class="banner banner-error" role="alertdialog" aria-labelledby="confirm-delete">
                        <p id="confirm-delete">{t.confirm_delete}</p>
                        <div class="actions">
                            <button type="button" class="button-primary" on:click=delete>{t.yes_delete}</button>
                            <button type="button" class="button-secondary" on:click=move |_| confirming.set(false)>{t.cancel}</button>
                        </div>
                    </div>
                </Show>
            </Show>
        </section>
    }
}
