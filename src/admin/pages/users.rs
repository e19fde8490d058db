//! `/admin/users`: search by email or name, page by page, and create an
//! account (with a password, or invited by mail).

use crate::admin::parts::{Failure, Line};
use crate::admin::{api, i18n, param};
use crate::api::encode_segment;
use crate::components::FormState;
use leptos::prelude::*;
use portico_api_types::admin::{UserCreated, UserInput};

#[component]
pub fn Users() -> impl IntoView {
    let t = i18n::t();
    let query = RwSignal::new(param("q"));
    let search = window().location().search().unwrap_or_default();
    let page = LocalResource::new(move || {
        let s = search.clone();
        async move { api::users(&s).await }
    });
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q = query.get_untracked();
        crate::navigate(&format!("/admin/users?q={}", encode_segment(q.trim())));
    };
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let form = FormState::new();
    let created = RwSignal::new(None::<UserCreated>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let pw = password.get_untracked();
        let input = UserInput {
            email: email.get_untracked().trim().to_owned(),
            name: name.get_untracked().trim().to_owned(),
            password: (!pw.is_empty()).then_some(pw),
        };
        form.run(
            move || async move { api::create_user(&input).await },
            move |c| {
                password.set(String::new());
                created.set(Some(c));
            },
        );
    };
    view! {
        <section class="panel" aria-labelledby="users-heading">
            <h1 id="users-heading">{t.users}</h1>
            <form class="filters" role="search" on:submit=apply>
                <Line id="user-search" label=t.search_users value=query/>
                <button type="submit" class="button-secondary">{t.search}</button>
            </form>
            {move || page.get().map(|r| match r {
                Err(e) => view! { <p role="alert">{e.message}</p> }.into_any(),
                Ok(p) if p.items.is_empty() => view! { <p>{t.no_users}</p> }.into_any(),
                Ok(p) => {
                    let older = p.next.map(|c| {
                        format!("/admin/users?q={}&cursor={}", encode_segment(&param("q")), encode_segment(&c))
                    });
                    view! {
                        <table>
                            <caption class="visually-hidden">{t.users}</caption>
                            <thead><tr><th scope="col">{t.email}</th><th scope="col">{t.name}</th><th scope="col">{t.state}</th></tr></thead>
                            <tbody>
                                {p.items.into_iter().map(|u| {
                                    let href = format!("/admin/users/{}", encode_segment(&u.id));
                                    let state = if u.disabled { t.disabled } else { t.enabled };
                                    view! { <tr><td><a href=href>{u.email}</a></td><td>{u.name}</td><td>{state}</td></tr> }
                                }).collect_view()}
                            </tbody>
                        </table>
                        {older.map(|href| view! { <p><a href=href>{t.next_page}</a></p> })}
                    }.into_any()
                }
            })}
        </section>
        <section class="panel" aria-labelledby="new-user-heading">
            <h2 id="new-user-heading">{t.new_user}</h2>
            {move || created.get().map(|c| {
                let href = format!("/admin/users/{}", encode_segment(&c.user.id));
                let said = if c.invited { t.user_invited } else { t.user_created };
                view! { <p role="status">{said}" "<a href=href>{c.user.email}</a></p> }
            })}
            <form class="form" on:submit=create>
                <div class="grid">
                    <Line id="new-user-email" label=t.email value=email required=true/>
                    <Line id="new-user-name" label=t.name value=name/>
                    <div class="field">
                        <label for="new-user-password">{t.password}</label>
                        <p class="hint" id="new-user-password-hint">{t.password_hint}</p>
                        <input id="new-user-password" type="password" autocomplete="new-password" aria-describedby="new-user-password-hint" bind:value=password/>
                    </div>
                </div>
                <Failure error=form.error/>
                <div class="actions">
                    <button type="submit" class="button-primary" disabled=move || form.busy.get()>{t.create_user}</button>
                </div>
            </form>
        </section>
    }
}
