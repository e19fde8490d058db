//! `/admin/users/{id}`: one account: its claims, roles, factors and state;
//! disable or enable, unlock, force a password reset, the admin role,
//! erase; its sessions and grants, revoked one or all.

use crate::admin::parts::Failure;
use crate::admin::{api, i18n, when};
use crate::components::FormState;
use leptos::prelude::*;
use portico_api_types::admin::{UserView, paths};

#[component]
pub fn UserPage(id: String) -> impl IntoView {
    let loaded = LocalResource::new({
        let id = id.clone();
        move || {
            let id = id.clone();
            async move { api::user(&id).await }
        }
    });
    move || {
        loaded.get().map(|r| match r {
            Ok(u) => view! { <Account user=u/> }.into_any(),
            Err(e) => view! { <div class="panel"><h1>{id.clone()}</h1><p role="alert">{e.message}</p></div> }.into_any(),
        })
    }
}

#[component]
fn Account(user: UserView) -> impl IntoView {
    let t = i18n::t();
    let id = StoredValue::new(user.id.clone());
    let current = RwSignal::new(user);
    let form = FormState::new();
    let status = RwSignal::new(String::new());
    let confirming = RwSignal::new(false);
    let gone = RwSignal::new(false);
    let sessions = LocalResource::new(move || {
        let id = id.get_value();
        async move { api::sessions(&id).await }
    });
    let grants = LocalResource::new(move || {
        let id = id.get_value();
        async move { api::grants(&id).await }
    });
    let action = move |template: &'static str, said: &'static str| {
        let id = id.get_value();
        form.run(
            move || async move { api::user_action(template, &id).await },
            move |u| {
                current.set(u);
                status.set(said.to_owned());
                // Disabling ends sessions and revokes grants.
                sessions.refetch();
                grants.refetch();
            },
        );
    };
    let toggle = move |_| {
        if current.get_untracked().disabled_at.is_some() {
            action(paths::USER_ENABLE, t.enabled);
        } else {
            action(paths::USER_DISABLE, t.disabled);
        }
    };
    let unlock = move |_| action(paths::USER_UNLOCK, t.unlocked);
    let reset = move |_| {
        let id = id.get_value();
        form.run(
            move || async move { api::force_password_reset(&id).await },
            move |r| {
                status.set(
                    if r.mailed {
                        t.reset_mailed
                    } else {
                        t.reset_ended
                    }
                    .to_owned(),
                );
                sessions.refetch();
                grants.refetch();
            },
        );
    };
    let role = move |_| {
        let id = id.get_value();
        let on = !current.get_untracked().roles.iter().any(|r| r == "admin");
        form.run(
            move || async move { api::set_role(&id, "admin", on).await },
            move |u| {
                current.set(u);
                status.set(t.saved.to_owned());
            },
        );
    };
    let erase = move |_| {
        let id = id.get_value();
        form.run(
            move || async move { api::delete_user(&id).await },
            move |()| gone.set(true),
        );
    };
    let end_all = move |_| {
        let id = id.get_value();
        form.run(
            move || async move { api::end_sessions(&id).await },
            move |r| {
                status.set(format!("{} {}", r.count, t.sessions_ended));
                sessions.refetch();
                grants.refetch();
            },
        );
    };
    let revoke_all = move |_| {
        let id = id.get_value();
        form.run(
            move || async move { api::revoke_grants(&id).await },
            move |r| {
                status.set(format!("{} {}", r.count, t.grants_revoked));
                grants.refetch();
            },
        );
    };
    view! {
        <section class="panel" aria-labelledby="user-heading">
            <h1 id="user-heading">{move || current.get().email}</h1>
            <Show when=move || !gone.get() fallback=move || view! { <p role="status">{t.user_erased}</p> }>
                {move || {
                    let u = current.get();
                    let factors = u.factors.iter().map(|f| format!("{} ({})", f.name, f.kind)).collect::<Vec<_>>().join(", ");
                    view! {
                        <dl class="facts">
                            <dt>{t.name}</dt><dd>{u.name.clone()}</dd>
                            <dt>{t.user_id}</dt><dd class="mono">{u.id.clone()}</dd>
                            <dt>{t.state}</dt><dd>{if u.disabled_at.is_some() { t.disabled } else { t.enabled }}</dd>
                            <dt>{t.email_verified}</dt><dd>{if u.email_verified { t.yes } else { t.no }}</dd>
                            <dt>{t.roles}</dt><dd>{u.roles.join(", ")}</dd>
                            <dt>{t.factors}</dt><dd>{factors}</dd>
                            <dt>{t.locked_until}</dt><dd>{u.locked_until.map(when).unwrap_or_default()}</dd>
                            <dt>{t.created}</dt><dd>{when(u.created_at)}</dd>
                        </dl>
                    }
                }}
                <Failure error=form.error/>
                <p role="status">{move || status.get()}</p>
                <div class="actions">
                    <button type="button" class="button-secondary" on:click=toggle disabled=move || form.busy.get()>
                        {move || if current.get().disabled_at.is_some() { t.enable } else { t.disable }}
                    </button>
                    <button type="button" class="button-secondary" on:click=unlock disabled=move || form.busy.get()>{t.unlock}</button>
                    <button type="button" class="button-secondary" on:click=reset disabled=move || form.busy.get()>{t.force_reset}</button>
                    <button type="button" class="button-secondary" on:click=role disabled=move || form.busy.get()>
                        {move || if current.get().roles.iter().any(|r| r == "admin") { t.remove_admin } else { t.make_admin }}
                    </button>
                    <button type="button" class="button-secondary" on:click=move |_| confirming.set(true) disabled=move || form.busy.get()>{t.delete_user}</button>
                </div>
                <Show when=move || confirming.get()>
                    <div class="banner banner-error" role="alertdialog" aria-labelledby="confirm-erase">
                        <p id="confirm-erase">{t.confirm_erase}</p>
                        <div class="actions">
                            <button type="button" class="button-primary" on:click=erase>{t.yes_delete}</button>
                            <button type="button" class="button-secondary" on:click=move |_| confirming.set(false)>{t.cancel}</button>
                        </div>
                    </div>
                </Show>
            </Show>
        </section>
        <section class="panel" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">{t.sessions}</h2>
            {move || sessions.get().map(|r| match r {
                Err(e) => view! { <p role="alert">{e.message}</p> }.into_any(),
                Ok(l) if l.items.is_empty() => view! { <p>{t.none}</p> }.into_any(),
                Ok(l) => view! {
                    <table>
                        <caption class="visually-hidden">{t.sessions}</caption>
                        <thead><tr><th scope="col">{t.signed_in}</th><th scope="col">{t.methods}</th><th scope="col">{t.expires}</th><th scope="col"><span class="visually-hidden">{t.actions}</span></th></tr></thead>
                        <tbody>
                            {l.items.into_iter().map(|s| {
                                let sid = s.id.clone();
                                let end = move |_| {
                                    let (id, sid) = (id.get_value(), sid.clone());
                                    form.run(
                                        move || async move { api::end_session(&id, &sid).await },
                                        move |()| { sessions.refetch(); grants.refetch(); },
                                    );
                                };
                                view! {
                                    <tr>
                                        <td>{when(s.auth_time)}</td>
                                        <td>{s.amr.join(" ")}</td>
                                        <td>{when(s.expires_at)}</td>
                                        <td><button type="button" class="button-secondary" on:click=end>{t.end_session}</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <div class="actions">
                        <button type="button" class="button-secondary" on:click=end_all>{t.end_all_sessions}</button>
                    </div>
                }.into_any(),
            })}
        </section>
        <section class="panel" aria-labelledby="grants-heading">
            <h2 id="grants-heading">{t.grants}</h2>
            {move || grants.get().map(|r| match r {
                Err(e) => view! { <p role="alert">{e.message}</p> }.into_any(),
                Ok(l) if l.items.is_empty() => view! { <p>{t.none}</p> }.into_any(),
                Ok(l) => view! {
                    <table>
                        <caption class="visually-hidden">{t.grants}</caption>
                        <thead><tr><th scope="col">{t.client_id}</th><th scope="col">{t.scopes}</th><th scope="col">{t.created}</th><th scope="col"><span class="visually-hidden">{t.actions}</span></th></tr></thead>
                        <tbody>
                            {l.items.into_iter().map(|g| {
                                let gid = g.id.clone();
                                let revoke = move |_| {
                                    let (id, gid) = (id.get_value(), gid.clone());
                                    form.run(
                                        move || async move { api::revoke_grant(&id, &gid).await },
                                        move |()| grants.refetch(),
                                    );
                                };
                                view! {
                                    <tr>
                                        <td class="mono">{g.client_id}</td>
                                        <td>{g.scopes.join(" ")}</td>
                                        <td>{when(g.created_at)}</td>
                                        <td><button type="button" class="button-secondary" on:click=revoke>{t.revoke}</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <div class="actions">
                        <button type="button" class="button-secondary" on:click=revoke_all>{t.revoke_all}</button>
                    </div>
                }.into_any(),
            })}
        </section>
    }
}
