//! The RabbitMQ topology editor: exchanges, queues (with their `x-` arguments), bindings,
//! publishers and consumers as rows to change, remove and add (`view::rabbit_edit` holds the draft and its rules). A problem is
//! shown at its row; "Apply topology" restarts the run with the new setup only when the engine
//! accepts it, and the draft stays as typed until then.

use crate::engine::rabbit::config::RabbitSpec;
use crate::view::export::{ImportReport, MAX_IMPORT_BYTES};
use crate::view::i18n::{t, tf};
use crate::view::rabbit_edit::{add_arg, dest_key, Draft, List, Problem, ACK_MODES, EXCHANGE_TYPES, QUICK_ARGS};
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub spec: Rc<RabbitSpec>,
    /// Node names the scenario's faults name: those clients cannot be removed.
    pub pinned: Rc<Vec<String>>,
    pub on_apply: Callback<RabbitSpec>,
}

/// What the "add" rows hold while being typed.
#[derive(Clone, PartialEq)]
struct NewRows {
    x_name: String,
    x_type: String,
    x_durable: bool,
    q_name: String,
    q_durable: bool,
    q_args: String,
    b_source: String,
    b_dest: String,
    b_key: String,
    b_args: String,
    p_id: String,
    p_exchange: String,
    p_keys: String,
    c_id: String,
    c_queue: String,
    /// Why the last client could not be added (its name is taken).
    client_error: Option<String>,
}

fn typed(e: &InputEvent) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}
fn chosen(e: &Event) -> String {
    e.target_unchecked_into::<HtmlSelectElement>().value()
}
fn checked(e: &Event) -> bool {
    e.target_unchecked_into::<HtmlInputElement>().checked()
}

/// `edit` for row `i` of `list`: nothing happens if the row is gone (an event from a row removed
/// meanwhile must not index past the end: a panic would kill the page).
/// `f` is a plain function of the row index, not a closure: one copy of this per event type
/// rather than one per field (each closure type would compile its own callback code).
fn edit_at<E: 'static>(h: &UseStateHandle<Draft>, list: List, i: usize, f: fn(&mut Draft, usize, E)) -> Callback<E> {
    edit(h, move |d: &mut Draft, e: E| {
        if i < d.len(list) {
            f(d, i, e)
        }
    })
}

/// A callback that edits a copy of the state in `h` with the event and stores it.
fn edit<T: Clone + 'static, E: 'static>(h: &UseStateHandle<T>, f: impl Fn(&mut T, E) + 'static) -> Callback<E> {
    let h = h.clone();
    Callback::from(move |e: E| {
        let mut v = (*h).clone();
        f(&mut v, e);
        h.set(v);
    })
}

/// A "+ …" button: `add` the typed row to the draft, then `clear` what was typed for it; or, if
/// the draft refuses it (a client's name is taken), keep everything typed and say why.
fn add_row(
    draft: &UseStateHandle<Draft>,
    new: &UseStateHandle<NewRows>,
    add: fn(&mut Draft, &NewRows) -> Result<(), String>,
    clear: fn(&mut NewRows),
) -> Callback<MouseEvent> {
    let (draft, new) = (draft.clone(), new.clone());
    Callback::from(move |_: MouseEvent| {
        let (mut d, mut n) = ((*draft).clone(), (*new).clone());
        match add(&mut d, &n) {
            Ok(()) => {
                draft.set(d);
                clear(&mut n);
            }
            Err(e) => n.client_error = Some(e),
        }
        new.set(n);
    })
}

/// A row's ✕: disabled, with the reason as its tooltip, while something still needs the row.
fn remove_button(blocked: Option<String>, what: &str, onclick: Callback<MouseEvent>) -> Html {
    let disabled = blocked.is_some();
    html! {
        <button class="remove" {disabled} title={blocked.unwrap_or_else(|| what.to_string())} {onclick}>{"✕"}</button>
    }
}

fn options(items: &[String], selected: &str, none: Option<&str>) -> Html {
    html! {
        <>
            if let Some(label) = none { <option value="" selected={selected.is_empty()}>{label}</option> }
            { for items.iter().map(|o| html! { <option value={o.clone()} selected={o == selected}>{o}</option> }) }
        </>
    }
}

#[function_component(TopologyEditor)]
pub fn topology_editor(p: &EditorProps) -> Html {
    let spec = p.spec.clone();
    let draft = use_state(|| Draft::from_spec(&spec));
    let new = use_state(|| NewRows {
        x_name: String::new(),
        x_type: "topic".into(),
        x_durable: true,
        q_name: String::new(),
        q_durable: true,
        q_args: String::new(),
        b_source: spec.exchanges.first().map_or("amq.direct".into(), |x| x.name.clone()),
        b_dest: spec.queues.first().map_or(String::new(), |q| format!("queue:{}", q.name)),
        b_key: String::new(),
        b_args: String::new(),
        p_id: String::new(),
        p_exchange: spec.exchanges.first().map_or(String::new(), |x| x.name.clone()),
        p_keys: String::new(),
        c_id: String::new(),
        c_queue: spec.queues.first().map_or(String::new(), |q| q.name.clone()),
        client_error: None,
    });
    // The last definitions.json chosen: what it did, or why it changed nothing.
    let import_report = use_state(|| None::<ImportReport>);
    let on_import = {
        let (draft, report) = (draft.clone(), import_report.clone());
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            let (draft, report) = (draft.clone(), report.clone());
            crate::ui::dom::read_chosen_file(&input, MAX_IMPORT_BYTES, move |file| {
                let mut d = (*draft).clone();
                let r = match file {
                    Ok((name, bytes, text)) => d.import_file(&name, bytes, &text),
                    Err(e) => ImportReport {
                        ok: false,
                        summary: tf("{0}. The topology below is unchanged.", &[&e]),
                        notes: vec![],
                    },
                };
                if r.ok {
                    draft.set(d);
                }
                report.set(Some(r));
            });
            // Choosing the same file again must fire `change` again.
            input.set_value("");
        })
    };
    let built = draft.build(&spec);
    let problem: Option<&Problem> = built.as_ref().err();
    let changed = *draft != Draft::from_spec(&spec);
    let invalid = |l: List, i: usize| problem.is_some_and(|p| p.row == Some((l, i)));
    let row_error = |l: List, i: usize| match problem {
        Some(p) if p.row == Some((l, i)) => {
            html! { <tr class="rq-edit-error"><td colspan="6" class="field-error" role="alert">{&p.message}</td></tr> }
        }
        _ => html! {},
    };
    let names: Vec<String> = draft.exchanges.iter().map(|x| x.name.clone()).collect();
    let sources = draft.sources();
    let dests = draft.destinations();

    let exchanges = draft.exchanges.iter().enumerate().map(|(i, x)| {
        let in_use = draft.exchange_in_use(i);
        let others: Vec<String> = names.iter().filter(|n| **n != x.name).cloned().collect();
        let types: Vec<String> = EXCHANGE_TYPES.iter().map(|t| t.to_string()).collect();
        html! {
            <>
                <tr class={classes!(invalid(List::Exchanges, i).then_some("invalid"))} data-exchange-row={x.name.clone()}>
                    <td class="name" title={x.name.clone()}>{&x.name}</td>
                    <td><select aria-label={t("type")} onchange={edit_at(&draft, List::Exchanges, i, |d: &mut Draft, i: usize, e: Event| d.exchanges[i].kind = chosen(&e))}>{ options(&types, &x.kind, None) }</select></td>
                    <td><label><input type="checkbox" checked={x.durable} onchange={edit_at(&draft, List::Exchanges, i, |d: &mut Draft, i: usize, e: Event| d.exchanges[i].durable = checked(&e))} />{t("durable")}</label></td>
                    <td><select aria-label={t("alternate exchange")} title={t("alternate-exchange: where messages no binding takes go")}
                        onchange={edit_at(&draft, List::Exchanges, i, |d: &mut Draft, i: usize, e: Event| { let v = chosen(&e); d.exchanges[i].alternate_exchange = (!v.is_empty()).then_some(v); })}>
                        { options(&others, x.alternate_exchange.as_deref().unwrap_or(""), Some(t("no alternate exchange"))) }
                    </select></td>
                    <td>{ remove_button(in_use, t("exchange.delete: removes it and its bindings"), edit(&draft, move |d: &mut Draft, _: MouseEvent| { let _ = d.remove_exchange(i); })) }</td>
                </tr>
                { row_error(List::Exchanges, i) }
            </>
        }
    });
    let queues = draft.queues.iter().enumerate().map(|(i, q)| {
        let in_use = draft.queue_in_use(i);
        html! {
            <>
                <tr class={classes!(invalid(List::Queues, i).then_some("invalid"))} data-queue-row={q.spec.name.clone()}>
                    <td class="name" title={q.spec.name.clone()}>{&q.spec.name}</td>
                    <td><label><input type="checkbox" checked={q.spec.durable} onchange={edit_at(&draft, List::Queues, i, |d: &mut Draft, i: usize, e: Event| d.queues[i].spec.durable = checked(&e))} />{t("durable")}</label></td>
                    <td class="wide"><input class="args" value={q.args.clone()} placeholder={t("arguments, e.g. {\"x-max-length\": 10}")} spellcheck="false"
                        oninput={edit_at(&draft, List::Queues, i, |d: &mut Draft, i: usize, e: InputEvent| d.queues[i].args = typed(&e))} /></td>
                    <td>{ remove_button(in_use, t("queue.delete: removes it, its messages and its bindings"), edit(&draft, move |d: &mut Draft, _: MouseEvent| { let _ = d.remove_queue(i); })) }</td>
                </tr>
                { row_error(List::Queues, i) }
            </>
        }
    });
    let bindings = draft.bindings.iter().enumerate().map(|(i, b)| {
        let headers = draft.exchanges.iter().any(|x| x.name == b.spec.source && x.kind == "headers") || b.spec.source.starts_with("amq.headers") || b.spec.source == "amq.match";
        html! {
            <>
                <tr class={classes!(invalid(List::Bindings, i).then_some("invalid"))}>
                    <td class="name" title={b.spec.source.clone()}>{&b.spec.source}</td>
                    <td class="name" title={dest_key(&b.spec).replacen(':', " ", 1)}>{dest_key(&b.spec).replacen(':', " ", 1)}</td>
                    <td><input class="key" value={b.spec.routing_key.clone()} placeholder={t("binding key")} spellcheck="false"
                        oninput={edit_at(&draft, List::Bindings, i, |d: &mut Draft, i: usize, e: InputEvent| d.bindings[i].spec.routing_key = typed(&e))} /></td>
                    <td class="wide"><input class="args" value={b.args.clone()} spellcheck="false"
                        placeholder={if headers { "{\"x-match\": \"all\", \"format\": \"pdf\"}" } else { t("arguments (headers exchanges)") }}
                        oninput={edit_at(&draft, List::Bindings, i, |d: &mut Draft, i: usize, e: InputEvent| d.bindings[i].args = typed(&e))} /></td>
                    <td>{ remove_button(None, t("queue.unbind / exchange.unbind"), edit(&draft, move |d: &mut Draft, _: MouseEvent| d.remove_binding(i))) }</td>
                </tr>
                { row_error(List::Bindings, i) }
            </>
        }
    });

    let mut targets: Vec<String> = vec![String::new()];
    targets.extend(sources.iter().cloned());
    let queue_names = draft.queue_names();
    let modes: Vec<String> = ACK_MODES.iter().map(|m| m.to_string()).collect();
    let pinned = |id: &str| Draft::client_pinned(&p.pinned, id);
    let publishers = draft.publishers.iter().enumerate().map(|(i, pb)| {
        let why = pinned(&pb.spec.id);
        let flag = |label: &'static str, on: bool, set: fn(&mut Draft, usize, Event)| html! {
            <label><input type="checkbox" checked={on} onchange={edit_at(&draft, List::Publishers, i, set)} />{label}</label>
        };
        html! {
            <>
                <tr class={classes!(invalid(List::Publishers, i).then_some("invalid"))} data-publisher-row={pb.spec.id.clone()}>
                    <td class="name" title={pb.spec.id.clone()}>{&pb.spec.id}</td>
                    <td><select aria-label={t("exchange")} onchange={edit_at(&draft, List::Publishers, i, |d: &mut Draft, i: usize, e: Event| d.publishers[i].spec.exchange = chosen(&e))}>
                        { for targets.iter().map(|o| html! { <option value={o.clone()} selected={*o == pb.spec.exchange}>{ if o.is_empty() { "(default)" } else { o } }</option> }) }
                    </select></td>
                    <td><input class="key" value={pb.keys.clone()} placeholder={t("routing keys, comma-separated")} spellcheck="false"
                        oninput={edit_at(&draft, List::Publishers, i, |d: &mut Draft, i: usize, e: InputEvent| d.publishers[i].keys = typed(&e))} /></td>
                    <td><input class="short" aria-label={t("interval")} title={t("one message every …")} value={pb.interval.clone()}
                        oninput={edit_at(&draft, List::Publishers, i, |d: &mut Draft, i: usize, e: InputEvent| d.publishers[i].interval = typed(&e))} /></td>
                    <td><input class="short" aria-label={t("count")} placeholder={t("forever")} title={t("how many messages (blank: forever)")} value={pb.count.clone()}
                        oninput={edit_at(&draft, List::Publishers, i, |d: &mut Draft, i: usize, e: InputEvent| d.publishers[i].count = typed(&e))} /></td>
                    <td class="flags">
                        { flag("confirms", pb.spec.confirms, |d, i, e| d.publishers[i].spec.confirms = checked(&e)) }
                        { flag("persistent", pb.spec.persistent, |d, i, e| d.publishers[i].spec.persistent = checked(&e)) }
                        { flag("mandatory", pb.spec.mandatory, |d, i, e| d.publishers[i].spec.mandatory = checked(&e)) }
                    </td>
                    <td>{ remove_button(why, t("remove this publisher"), edit(&draft, move |d: &mut Draft, _: MouseEvent| d.remove_publisher(i))) }</td>
                </tr>
                { row_error(List::Publishers, i) }
            </>
        }
    });
    let consumers = draft.consumers.iter().enumerate().map(|(i, c)| {
        let why = pinned(&c.spec.id);
        html! {
            <>
                <tr class={classes!(invalid(List::Consumers, i).then_some("invalid"))} data-consumer-row={c.spec.id.clone()}>
                    <td class="name" title={c.spec.id.clone()}>{&c.spec.id}</td>
                    <td><select aria-label={t("queue")} onchange={edit_at(&draft, List::Consumers, i, |d: &mut Draft, i: usize, e: Event| d.consumers[i].spec.queue = chosen(&e))}>{ options(&queue_names, &c.spec.queue, None) }</select></td>
                    <td><select aria-label={t("acknowledgements")} class="mode" title={t("manual: acks after processing; auto: no acks (the broker forgets on sending); hold: you settle each delivery in the inspector")}
                        onchange={edit_at(&draft, List::Consumers, i, |d: &mut Draft, i: usize, e: Event| d.consumers[i].mode = chosen(&e))}>{ options(&modes, &c.mode, None) }</select></td>
                    <td><input class="short prefetch" value={c.prefetch.clone()} title={t("basic.qos prefetch_count (0: unlimited)")}
                        oninput={edit_at(&draft, List::Consumers, i, |d: &mut Draft, i: usize, e: InputEvent| d.consumers[i].prefetch = typed(&e))} /></td>
                    <td><input class="short" value={c.processing.clone()} title={t("processing time per message")}
                        oninput={edit_at(&draft, List::Consumers, i, |d: &mut Draft, i: usize, e: InputEvent| d.consumers[i].processing = typed(&e))} /></td>
                    <td><input class="short" value={c.reject_every.clone()} title={t("reject every Nth message (0: never)")}
                        oninput={edit_at(&draft, List::Consumers, i, |d: &mut Draft, i: usize, e: InputEvent| d.consumers[i].reject_every = typed(&e))} />
                        <label><input type="checkbox" checked={c.spec.requeue} onchange={edit_at(&draft, List::Consumers, i, |d: &mut Draft, i: usize, e: Event| d.consumers[i].spec.requeue = checked(&e))} />{t("requeue")}</label></td>
                    <td>{ remove_button(why, t("remove this consumer"), edit(&draft, move |d: &mut Draft, _: MouseEvent| d.remove_consumer(i))) }</td>
                </tr>
                { row_error(List::Consumers, i) }
            </>
        }
    });
    let add_publisher = add_row(
        &draft,
        &new,
        |d, n| d.add_publisher(&n.p_id, &n.p_exchange, &n.p_keys),
        |n| {
            n.p_id.clear();
            n.client_error = None;
        },
    );
    let add_consumer = add_row(
        &draft,
        &new,
        |d, n| d.add_consumer(&n.c_id, &n.c_queue),
        |n| {
            n.c_id.clear();
            n.client_error = None;
        },
    );

    let add_exchange = add_row(
        &draft,
        &new,
        |d, n| {
            d.add_exchange(&n.x_name, &n.x_type, n.x_durable);
            Ok(())
        },
        |n| n.x_name.clear(),
    );
    let add_queue = add_row(
        &draft,
        &new,
        |d, n| {
            d.add_queue(&n.q_name, n.q_durable, &n.q_args);
            Ok(())
        },
        |n| {
            n.q_name.clear();
            n.q_args.clear();
        },
    );
    let add_binding = add_row(
        &draft,
        &new,
        |d, n| {
            d.add_binding(&n.b_source, &n.b_dest, &n.b_key, &n.b_args);
            Ok(())
        },
        |_| {},
    );
    let quick = QUICK_ARGS.iter().map(|(k, v)| {
        let entry = format!("\"{k}\": {v}");
        html! {
            <button class="chip" title={tf("add {0}", &[&entry])} onclick={edit(&new, move |n: &mut NewRows, _: MouseEvent| n.q_args = add_arg(&n.q_args, &entry))}>{*k}</button>
        }
    });
    let types: Vec<String> = EXCHANGE_TYPES.iter().map(|t| t.to_string()).collect();
    let apply = {
        let on_apply = p.on_apply.clone();
        let built = built.clone();
        Callback::from(move |_: MouseEvent| {
            if let Ok(s) = &built {
                on_apply.emit(s.clone());
            }
        })
    };
    let revert = {
        let (draft, spec) = (draft.clone(), spec.clone());
        Callback::from(move |_: MouseEvent| draft.set(Draft::from_spec(&spec)))
    };

    html! {
        <details class="rq-edit" id="topology-editor">
            <summary>{t("Edit the topology")}<span class="hint">{t(" — exchanges, queues with their arguments, bindings, publishers, consumers; applying restarts the run with them declared at setup")}</span></summary>
            <div class="rq-import">
                <label class="file-button">{t("Import definitions.json")}
                    <input type="file" id="import-definitions" accept=".json,application/json" onchange={on_import} />
                </label>
                <span class="hint">{t(" from ")}<code>{"rabbitmqctl export_definitions"}</code>{t(" or the management UI: its exchanges, queues and bindings replace these; the clients stay")}</span>
                if let Some(r) = &*import_report {
                    <div id="import-report" class={classes!("import-report", (!r.ok).then_some("field-error"))} role="status">
                        <p>{&r.summary}</p>
                        if !r.notes.is_empty() { <ul>{ for r.notes.iter().map(|n| html! { <li>{n}</li> }) }</ul> }
                    </div>
                }
            </div>
            <div class="rq-edit-grid">
                <fieldset>
                    <legend>{t("Exchanges")}</legend>
                    <table id="edit-exchanges">
                        { for exchanges }
                        <tr class="add">
                            <td><input id="new-exchange-name" placeholder={t("new exchange")} value={new.x_name.clone()} spellcheck="false"
                                oninput={edit(&new, |n: &mut NewRows, e: InputEvent| n.x_name = typed(&e))} /></td>
                            <td><select id="new-exchange-type" onchange={edit(&new, |n: &mut NewRows, e: Event| n.x_type = chosen(&e))}>{ options(&types, &new.x_type, None) }</select></td>
                            <td><label><input type="checkbox" checked={new.x_durable} onchange={edit(&new, |n: &mut NewRows, e: Event| n.x_durable = checked(&e))} />{t("durable")}</label></td>
                            <td colspan="2"><button id="add-exchange" disabled={new.x_name.trim().is_empty()} onclick={add_exchange}>{t("+ exchange")}</button></td>
                        </tr>
                    </table>
                </fieldset>
                <fieldset>
                    <legend>{t("Queues")}</legend>
                    <table id="edit-queues">
                        { for queues }
                        <tr class="add">
                            <td><input id="new-queue-name" placeholder={t("new queue")} value={new.q_name.clone()} spellcheck="false"
                                oninput={edit(&new, |n: &mut NewRows, e: InputEvent| n.q_name = typed(&e))} /></td>
                            <td><label><input type="checkbox" checked={new.q_durable} onchange={edit(&new, |n: &mut NewRows, e: Event| n.q_durable = checked(&e))} />{t("durable")}</label></td>
                            <td class="wide"><input id="new-queue-args" class="args" placeholder={t("arguments (JSON), or click below")} value={new.q_args.clone()} spellcheck="false"
                                oninput={edit(&new, |n: &mut NewRows, e: InputEvent| n.q_args = typed(&e))} /></td>
                            <td><button id="add-queue" disabled={new.q_name.trim().is_empty()} onclick={add_queue}>{t("+ queue")}</button></td>
                        </tr>
                    </table>
                    <p class="chips">{ for quick }</p>
                </fieldset>
                <fieldset>
                    <legend>{t("Bindings")}</legend>
                    <table id="edit-bindings">
                        { for bindings }
                        <tr class="add">
                            <td><select id="new-binding-source" aria-label={t("source exchange")} onchange={edit(&new, |n: &mut NewRows, e: Event| n.b_source = chosen(&e))}>{ options(&sources, &new.b_source, None) }</select></td>
                            <td><select id="new-binding-dest" aria-label={t("destination")} onchange={edit(&new, |n: &mut NewRows, e: Event| n.b_dest = chosen(&e))}>
                                { options(&dests, &new.b_dest, Some("destination…")) }
                            </select></td>
                            <td><input id="new-binding-key" placeholder={t("binding key")} value={new.b_key.clone()} spellcheck="false"
                                oninput={edit(&new, |n: &mut NewRows, e: InputEvent| n.b_key = typed(&e))} /></td>
                            <td class="wide"><input id="new-binding-args" class="args" placeholder={t("arguments (headers)")} value={new.b_args.clone()} spellcheck="false"
                                oninput={edit(&new, |n: &mut NewRows, e: InputEvent| n.b_args = typed(&e))} /></td>
                            <td><button id="add-binding" disabled={new.b_dest.is_empty()} onclick={add_binding}>{t("+ binding")}</button></td>
                        </tr>
                    </table>
                </fieldset>
                <fieldset>
                    <legend>{t("Publishers")}</legend>
                    <table id="edit-publishers">
                        <tr class="head"><th>{t("id")}</th><th>{t("exchange")}</th><th>{t("routing keys")}</th><th>{t("every")}</th><th>{t("count")}</th><th></th><th></th></tr>
                        { for publishers }
                        <tr class="add">
                            <td><input id="new-publisher-id" placeholder={t("new publisher")} value={new.p_id.clone()} spellcheck="false"
                                oninput={edit(&new, |n: &mut NewRows, e: InputEvent| n.p_id = typed(&e))} /></td>
                            <td><select id="new-publisher-exchange" onchange={edit(&new, |n: &mut NewRows, e: Event| n.p_exchange = chosen(&e))}>
                                { for targets.iter().map(|o| html! { <option value={o.clone()} selected={*o == new.p_exchange}>{ if o.is_empty() { "(default)" } else { o } }</option> }) }
                            </select></td>
                            <td><input id="new-publisher-keys" class="key" placeholder={t("routing keys")} value={new.p_keys.clone()} spellcheck="false"
                                oninput={edit(&new, |n: &mut NewRows, e: InputEvent| n.p_keys = typed(&e))} /></td>
                            <td colspan="4"><button id="add-publisher" disabled={new.p_id.trim().is_empty()} onclick={add_publisher}>{t("+ publisher")}</button>
                                <span class="hint">{t(" every 100ms, confirms, persistent")}</span></td>
                        </tr>
                    </table>
                </fieldset>
                <fieldset>
                    <legend>{t("Consumers")}</legend>
                    <table id="edit-consumers">
                        <tr class="head"><th>{t("id")}</th><th>{t("queue")}</th><th>{t("acks")}</th><th>{t("prefetch")}</th><th>{t("work per message")}</th><th>{t("reject every Nth")}</th><th></th></tr>
                        { for consumers }
                        <tr class="add">
                            <td><input id="new-consumer-id" placeholder={t("new consumer")} value={new.c_id.clone()} spellcheck="false"
                                oninput={edit(&new, |n: &mut NewRows, e: InputEvent| n.c_id = typed(&e))} /></td>
                            <td><select id="new-consumer-queue" onchange={edit(&new, |n: &mut NewRows, e: Event| n.c_queue = chosen(&e))}>{ options(&queue_names, &new.c_queue, None) }</select></td>
                            <td colspan="5"><button id="add-consumer" disabled={new.c_id.trim().is_empty() || new.c_queue.is_empty()} onclick={add_consumer}>{t("+ consumer")}</button>
                                <span class="hint">{t(" manual acks, prefetch 10, 5ms per message")}</span></td>
                        </tr>
                    </table>
                    if let Some(e) = &new.client_error { <p class="field-error" id="client-error">{e}</p> }
                </fieldset>
            </div>
            <div class="editor-actions">
                <button id="apply-topology" class="primary" disabled={!changed || problem.is_some()} onclick={apply}>{t("Apply topology")}</button>
                <button id="revert-topology" disabled={!changed} onclick={revert}>{t("Revert")}</button>
                if let Some(p) = problem.filter(|p| p.row.is_none()) { <span class="field-error" id="topology-error" role="alert">{&p.message}</span> }
                if problem.is_some_and(|p| p.row.is_some()) { <span class="field-error" id="topology-error">{t("fix the row marked above to apply")}</span> }
            </div>
        </details>
    }
}

pub const STYLE: &str = r#"
.rabbit .rq-edit { margin-top: 12px; border-top: 1px solid #d5dbe1; padding-top: 8px; }
.rabbit .rq-edit summary { cursor: pointer; font-weight: 600; }
.rabbit .rq-import { margin: 8px 0; font-size: 0.85rem; }
.rabbit .rq-import .file-button { display: inline-block; border: 1px solid #aab4bf; border-radius: 6px; padding: 3px 10px; cursor: pointer; background: #f4f6f8; }
.rabbit .rq-import .file-button:focus-within { outline: 2px solid #0072B2; }
.rabbit .rq-import input[type=file] { position: absolute; width: 1px; height: 1px; opacity: 0; }
.rabbit .rq-import .import-report { margin-top: 6px; }
.rabbit .rq-import .import-report p { margin: 0; }
.rabbit .rq-import .import-report ul { margin: 4px 0 0; padding-left: 18px; }
.rabbit .rq-edit summary .hint { font-weight: normal; }
.rabbit .rq-edit-grid { display: grid; grid-template-columns: 1fr; gap: 8px; margin-top: 8px; }
.rabbit .rq-edit fieldset { border: 1px solid #d5dbe1; border-radius: 6px; padding: 4px 8px 8px; min-width: 0; overflow-x: auto; }
.rabbit .rq-edit table { width: 100%; border-collapse: collapse; font-size: 0.85rem; }
.rabbit .rq-edit td { padding: 2px 4px; vertical-align: middle; }
.rabbit .rq-edit td.name { font-family: ui-monospace, Menlo, Consolas, monospace; white-space: nowrap;
  max-width: 16em; overflow: hidden; text-overflow: ellipsis; }
.rabbit .rq-edit td.wide { width: 45%; }
.rabbit .rq-edit input.args, .rabbit .rq-edit input.key { width: 100%; box-sizing: border-box; font-family: ui-monospace, Menlo, Consolas, monospace; }
.rabbit .rq-edit tr.invalid td { background: #fdecea; }
.rabbit .rq-edit tr.add td { border-top: 1px dashed #d5dbe1; padding-top: 6px; }
.rabbit .rq-edit button.remove { padding: 0 6px; }
.rabbit .rq-edit input.short { width: 5.5em; }
.rabbit .rq-edit td.flags label { margin-right: 6px; white-space: nowrap; }
.rabbit .rq-edit tr.head th { text-align: left; font-weight: 600; color: #5b6470; font-size: 0.8rem; }
.rabbit .rq-edit .chips { margin: 6px 0 0; display: flex; flex-wrap: wrap; gap: 4px; }
.rabbit .rq-edit button.chip { font-size: 0.75rem; padding: 1px 6px; border-radius: 10px; font-family: ui-monospace, Menlo, Consolas, monospace; }
"#;
