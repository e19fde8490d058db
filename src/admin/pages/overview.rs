//! `/admin`: where to go.

use crate::admin::i18n;
use leptos::prelude::*;

#[component]
pub fn Overview() -> impl IntoView {
    let t = i18n::t();
    view! {
        <div class="panel">
            <h1>{t.cockpit}</h1>
            <ul>
                <li><a href="/admin/clients">{t.clients}</a></li>
                <li><a href="/admin/users">{t.users}</a></li>
                <li><a href="/admin/entrypoints">{t.entrypoints}</a></li>
                <li><a href="/admin/keys">{t.keys}</a></li>
                <li><a href="/admin/audit">{t.audit}</a></li>
            </ul>
        </div>
    }
}
