//! `/admin/clients`: search the clients, open one, register a new one
//! (its secret shown once).

use super::client_form::{ClientFields, ClientFieldset};
use crate::admin::parts::{Failure, SecretOnce};
use crate::admin::{api, i18n};
use crate::api::encode_segment;
use crate::components::FormState;
use leptos::prelude::*;
use portico_api_types::admin::ClientWithSecret;

#[component]
pub fn Clients() -> impl IntoView {
    let t = i18n::t();
    let query = RwSignal::new(String::new());
    let searched = RwSignal::new(String::new());
    let list = LocalResource::new(move || {
        let q = searched.get();
        async move { api::clients(&q).await }
    });
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        searched.set(query.get_untracked());
    };
    let fields = ClientFields::new();
    let form = FormState::new();
    let created = RwSignal::new(None::<ClientWithSecret>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = fields.input(None);
        form.run(
            move || async move { api::create_client(&input).await },
            move |c| {
                created.set(Some(c));
                list.refetch();
            },
        );
    };
    view! {
        <section class="panel" aria-labelledby="clients-heading">
            <h1 id="clients-heading">{t.clients}</h1>
            <form class="filters" role="search" on:submit=search>
                <div class="field">
                    <label for="client-search">{t.search_clients}</label>
                    <input id="client-search" type="search" bind:value=query/>
                </div>
                <button type="submit" class="button-secondary">{t.search}</button>
            </form>
            {move || list.get().map(|r| match r {
                Err(e) => view! { <p role="alert">{e.message}</p> }.into_any(),
                Ok(l) if l.items.is_empty() => view! { <p>{t.no_clients}</p> }.into_any(),
                Ok(l) => view! {
                    <table>
                        <caption class="visually-hidden">{t.clients}</caption>
                        <thead><tr><th scope="col">{t.client_id}</th><th scope="col">{t.name}</th><th scope="col">{t.state}</th></tr></thead>
                        <tbody>
                            {l.items.into_iter().map(|c| {
                                let href = format!("/admin/clients/{}", encode_segment(&c.id));
                                let state = if c.disabled { t.disabled } else { t.enabled };
                                let origin = c.from_config.then_some(t.from_config);
                                view! {
                                    <tr>
                                        <td class="mono"><a href=href>{c.id}</a></td>
                                        <td>{c.name}</td>
                                        <td>{state}{origin.map(|o| format!(" · {o}"))}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </section>
        <section class="panel" aria-labelledby="new-client-heading">
            <h2 id="new-client-heading">{t.new_client}</h2>
            {move || created.get().map(|c| {
                let href = format!("/admin/clients/{}", encode_segment(&c.client.id));
                view! {
                    {c.client_secret.map(|s| view! { <SecretOnce secret=s/> })}
                    <p><a href=href>{t.open_client}</a></p>
                }
            })}
            <form class="form" on:submit=create>
                <ClientFieldset fields=fields creating=true/>
                <Failure error=form.error/>
                <div class="actions">
                    <button type="submit" class="button-primary" disabled=move || form.busy.get()>{t.create_client}</button>
                </div>
            </form>
        </section>
    }
}
