//! `/admin/audit`: the audit log, filtered by user, client, event and
//! actor, a page at a time. The filters and the cursor live in the page's
//! query string, so a page can be bookmarked and "Older entries" is a link.

use crate::admin::parts::Line;
use crate::admin::{api, i18n, param, when};
use crate::api::encode_segment;
use leptos::prelude::*;

const FILTERS: [&str; 4] = ["user_id", "client_id", "event", "actor"];

#[component]
pub fn Audit() -> impl IntoView {
    let t = i18n::t();
    let values = FILTERS.map(|f| RwSignal::new(param(f)));
    let filter_query = move || {
        FILTERS
            .iter()
            .zip(values.iter())
            .filter_map(|(name, v)| {
                let v = v.get_untracked();
                (!v.trim().is_empty()).then(|| format!("{name}={}", encode_segment(v.trim())))
            })
            .collect::<Vec<_>>()
            .join("&")
    };
    let search = window().location().search().unwrap_or_default();
    let page = LocalResource::new(move || {
        let q = search.clone();
        async move { api::audit(&q).await }
    });
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        crate::navigate(&format!("/admin/audit?{}", filter_query()));
    };
    let [user, client, event, actor] = values;
    view! {
        <section class="panel" aria-labelledby="audit-heading">
            <h1 id="audit-heading">{t.audit_log}</h1>
            <form class="filters" role="search" on:submit=apply>
                <Line id="audit-user" label=t.user_id value=user/>
                <Line id="audit-client" label=t.client_id value=client/>
                <Line id="audit-event" label=t.event value=event/>
                <Line id="audit-actor" label=t.actor value=actor/>
                <button type="submit" class="button-secondary">{t.filter}</button>
            </form>
            {move || page.get().map(|r| match r {
                Err(e) => view! { <p role="alert">{e.message}</p> }.into_any(),
                Ok(p) if p.items.is_empty() => view! { <p>{t.no_entries}</p> }.into_any(),
                Ok(p) => {
                    let older = p.next.map(|c| {
                        let f = filter_query();
                        let sep = if f.is_empty() { "" } else { "&" };
                        format!("/admin/audit?{f}{sep}cursor={}", encode_segment(&c))
                    });
                    view! {
                        <table>
                            <caption class="visually-hidden">{t.audit_log}</caption>
                            <thead><tr>
                                <th scope="col">{t.time}</th><th scope="col">{t.event}</th><th scope="col">{t.user_id}</th>
                                <th scope="col">{t.client_id}</th><th scope="col">{t.actor}</th><th scope="col">{t.detail}</th>
                            </tr></thead>
                            <tbody>
                                {p.items.into_iter().map(|e| view! {
                                    <tr>
                                        <td>{when(e.at)}</td>
                                        <td class="mono">{e.event}</td>
                                        <td class="mono">{e.user_id.unwrap_or_default()}</td>
                                        <td class="mono">{e.client_id.unwrap_or_default()}</td>
                                        <td class="mono">{e.actor.unwrap_or_default()}</td>
                                        <td>{e.detail}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <div class="actions">
                            <a href="/admin/audit">{t.newest}</a>
                            {older.map(|href| view! { <a href=href>{t.older}</a> })}
                        </div>
                    }.into_any()
                }
            })}
        </section>
    }
}
