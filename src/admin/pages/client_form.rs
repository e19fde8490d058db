//! The fields of a client, for creating one and for editing one: the same
//! words and the same wire type, so both pages ask the same questions.

use crate::admin::i18n;
use crate::admin::parts::{CheckBox, Line, TextArea, lines};
use leptos::prelude::*;
use portico_api_types::admin::{ClientInput, ClientView};

/// A client form's fields, one signal each.
#[derive(Clone, Copy)]
pub struct ClientFields {
    pub id: RwSignal<String>,
    pub name: RwSignal<String>,
    pub redirect_uris: RwSignal<String>,
    pub grant_types: RwSignal<String>,
    pub scopes: RwSignal<String>,
    pub logout_uris: RwSignal<String>,
    pub confidential: RwSignal<bool>,
    pub first_party: RwSignal<bool>,
    pub par: RwSignal<bool>,
    pub mfa: RwSignal<bool>,
}

impl Default for ClientFields {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientFields {
    /// A new client's defaults: confidential, the code flow with refresh.
    pub fn new() -> Self {
        Self {
            id: RwSignal::new(String::new()),
            name: RwSignal::new(String::new()),
            redirect_uris: RwSignal::new(String::new()),
            grant_types: RwSignal::new("authorization_code\nrefresh_token".into()),
            scopes: RwSignal::new("openid profile email offline_access".into()),
            logout_uris: RwSignal::new(String::new()),
            confidential: RwSignal::new(true),
            first_party: RwSignal::new(false),
            par: RwSignal::new(false),
            mfa: RwSignal::new(false),
        }
    }

    pub fn of(c: &ClientView) -> Self {
        let f = Self::new();
        f.id.set(c.id.clone());
        f.name.set(c.name.clone());
        f.redirect_uris.set(c.redirect_uris.join("\n"));
        f.grant_types.set(c.grant_types.join("\n"));
        f.scopes.set(c.scopes.join(" "));
        f.logout_uris.set(c.post_logout_redirect_uris.join("\n"));
        f.confidential.set(c.confidential);
        f.first_party.set(c.first_party);
        f.par.set(c.require_pushed_authorization_requests);
        f.mfa.set(c.require_mfa);
        f
    }

    /// What the API receives. Settings the form does not show (the ID
    /// token algorithm, introspection, response types) keep the values
    /// of `before`, or the API's defaults for a new client.
    pub fn input(&self, before: Option<&ClientView>) -> ClientInput {
        let name = self.name.get_untracked();
        ClientInput {
            id: Some(self.id.get_untracked().trim().to_owned()),
            name: (!name.trim().is_empty()).then(|| name.trim().to_owned()),
            confidential: self.confidential.get_untracked(),
            redirect_uris: lines(&self.redirect_uris.get_untracked()),
            grant_types: Some(lines(&self.grant_types.get_untracked())),
            response_types: before.map(|b| b.response_types.clone()),
            scopes: Some(
                self.scopes
                    .get_untracked()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
            ),
            first_party: self.first_party.get_untracked(),
            id_token_signed_response_alg: before
                .and_then(|b| b.id_token_signed_response_alg.clone()),
            require_pushed_authorization_requests: self.par.get_untracked(),
            require_mfa: self.mfa.get_untracked(),
            post_logout_redirect_uris: lines(&self.logout_uris.get_untracked()),
            introspection: before.is_some_and(|b| b.introspection),
        }
    }
}

/// The fields; `creating` adds the client ID and "Confidential".
#[component]
pub fn ClientFieldset(fields: ClientFields, creating: bool) -> impl IntoView {
    let t = i18n::t();
    view! {
        <div class="grid">
            {creating.then(|| view! { <Line id="client-id" label=t.client_id value=fields.id required=true/> })}
            <Line id="client-name" label=t.name value=fields.name/>
            <TextArea id="client-redirect-uris" label=t.redirect_uris hint=t.one_per_line value=fields.redirect_uris/>
            <TextArea id="client-grant-types" label=t.grant_types hint=t.one_per_line value=fields.grant_types/>
            <Line id="client-scopes" label=t.scopes hint=t.space_separated value=fields.scopes/>
            <TextArea id="client-logout-uris" label=t.logout_uris hint=t.one_per_line value=fields.logout_uris/>
        </div>
        {creating.then(|| view! { <CheckBox id="client-confidential" label=t.confidential value=fields.confidential/> })}
        <CheckBox id="client-first-party" label=t.first_party value=fields.first_party/>
        <CheckBox id="client-par" label=t.require_par value=fields.par/>
        <CheckBox id="client-mfa" label=t.require_mfa value=fields.mfa/>
    }
}
