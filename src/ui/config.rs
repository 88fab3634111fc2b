//! The configuration panel: the Kafka scenario as a form (`view::config`). Each field shows what
//! the user typed; a problem appears next to its field; applying restarts the run with the new
//! scenario only when the engine accepts it.

use crate::view::config::{Form, Kind, Problem};
use crate::view::i18n::t;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// A DOM id for a field's key: `kafka.topics[0].partitions` → `cfg-kafka-topics-0--partitions`.
pub fn field_id(key: &str) -> String {
    let body: String = key.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!("cfg-{body}")
}

pub fn panel(
    form: &Form,
    problem: Option<&Problem>,
    on_input: Callback<(String, String)>,
    on_apply: Callback<()>,
) -> Html {
    if form.fields.is_empty() {
        return html! {};
    }
    let mut sections: Vec<&str> = form.fields.iter().map(|f| f.section.as_str()).collect();
    sections.dedup();
    let section = |name: &str| {
        let fields = form.fields.iter().filter(|f| f.section == name).map(|f| {
            let key = f.key.clone();
            let id = field_id(&f.key);
            let error = problem.filter(|p| p.key.as_deref() == Some(f.key.as_str()));
            let oninput = on_input.reform(move |e: InputEvent| (key.clone(), e.target_unchecked_into::<HtmlInputElement>().value()));
            let class = classes!(error.is_some().then_some("invalid"));
            let input = match f.kind {
                Kind::Choice(options) => {
                    let key = f.key.clone();
                    let onchange = on_input.reform(move |e: Event| (key.clone(), e.target_unchecked_into::<HtmlInputElement>().value()));
                    html! {
                        <select id={id.clone()} {class} {onchange}>
                            { for options.iter().map(|o| html! { <option value={*o} selected={*o == f.value}>{*o}</option> }) }
                            if !options.contains(&f.value.as_str()) { <option value={f.value.clone()} selected=true>{&f.value}</option> }
                        </select>
                    }
                }
                Kind::Count | Kind::Duration => html! {
                    <input id={id.clone()} {class} value={f.value.clone()} size="7" {oninput}
                        inputmode={if f.kind == Kind::Count { "numeric" } else { "text" }} />
                },
            };
            html! {
                <div class="cfg-field">
                    <label for={id.clone()}>{&f.label}</label>
                    { input }
                    if let Some(p) = error { <span class="field-error" id={format!("{id}-error")} role="alert">{&p.message}</span> }
                </div>
            }
        });
        html! { <fieldset><legend>{name.to_string()}</legend>{ for fields }</fieldset> }
    };
    let general = problem.filter(|p| p.key.is_none());
    html! {
        <section class="panel config" id="config">
            <h2>{t("Configuration")}<span class="sub">{t(" — edit the Kafka scenario; apply restarts the run")}</span></h2>
            <div class="cfg-sections">{ for sections.iter().map(|s| section(s)) }</div>
            <div class="editor-actions">
                <button id="apply-config" class="primary" disabled={problem.is_some()} onclick={on_apply.reform(|_| ())}>{t("Apply configuration")}</button>
                if let Some(p) = general { <span class="field-error" id="config-error">{&p.message}</span> }
                if problem.is_some() && general.is_none() { <span class="field-error">{t("fix the field marked above to apply")}</span> }
            </div>
        </section>
    }
}
