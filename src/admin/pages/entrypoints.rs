//! `/admin/entrypoints`: the entrypoints, each opening its editor.

use crate::admin::{api, i18n};
use crate::api::encode_segment;
use leptos::prelude::*;

#[component]
pub fn Entrypoints() -> impl IntoView {
    let t = i18n::t();
    let list = LocalResource::new(api::entrypoints);
    view! {
        <section class="panel" aria-labelledby="entrypoints-heading">
            <h1 id="entrypoints-heading">{t.entrypoints}</h1>
            <p>{t.entrypoints_help}</p>
            {move || list.get().map(|r| match r {
                Err(e) => view! { <p role="alert">{e.message}</p> }.into_any(),
                Ok(l) => view! {
                    <ul>
                        {l.items.into_iter().map(|e| {
                            let href = format!("/admin/entrypoints/{}", encode_segment(&e.id));
                            view! { <li><a href=href class="mono">{e.id}</a>" · "{e.display_name}</li> }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </section>
    }
}
