//! `/admin/keys`: the signing keys and "Rotate keys".

use crate::admin::parts::{CheckBox, Failure};
use crate::admin::{api, i18n, when};
use crate::components::FormState;
use leptos::prelude::*;

#[component]
pub fn Keys() -> impl IntoView {
    let t = i18n::t();
    let list = LocalResource::new(api::keys);
    let now = RwSignal::new(false);
    let form = FormState::new();
    let status = RwSignal::new("");
    let rotate = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let immediately = now.get_untracked();
        status.set("");
        form.run(
            move || async move { api::rotate_keys(immediately).await },
            move |_| {
                status.set(t.rotated);
                list.refetch();
            },
        );
    };
    let state = move |s: &str| match s {
        "next" => t.state_next,
        "signing" => t.state_signing,
        "verifying" => t.state_verifying,
        _ => t.state_retired,
    };
    view! {
        <section class="panel" aria-labelledby="keys-heading">
            <h1 id="keys-heading">{t.signing_keys}</h1>
            <p>{t.keys_help}</p>
            {move || list.get().map(|r| match r {
                Err(e) => view! { <p role="alert">{e.message}</p> }.into_any(),
                Ok(l) => view! {
                    <table>
                        <caption class="visually-hidden">{t.signing_keys}</caption>
                        <thead><tr>
                            <th scope="col">{t.kid}</th><th scope="col">{t.alg}</th><th scope="col">{t.state}</th>
                            <th scope="col">{t.signs_from}</th><th scope="col">{t.verifying_until}</th>
                        </tr></thead>
                        <tbody>
                            {l.items.into_iter().map(|k| view! {
                                <tr data-kid=k.kid.clone()>
                                    <td class="mono">{k.kid.clone()}</td>
                                    <td>{k.alg.clone()}</td>
                                    <td>{state(&k.state)}</td>
                                    <td>{when(k.signs_from)}</td>
                                    <td>{k.verifying_until.map(when).unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
            <form class="form" on:submit=rotate>
                <CheckBox id="rotate-now" label=t.rotate_now value=now/>
                <Failure error=form.error/>
                <p role="status">{move || status.get()}</p>
                <div class="actions">
                    <button type="submit" class="button-primary" disabled=move || form.busy.get()>{t.rotate_keys}</button>
                </div>
            </form>
        </section>
    }
}
