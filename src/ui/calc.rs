//! "Which partition does this key go to?": Kafka's default partitioner on a key the user types,
//! computed by the same function the engine and `brokerlab partition` use.

use crate::engine::kafka::partitioner::{murmur2, partition_for_key, to_positive};
use crate::view::i18n::{t, tf};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[function_component(PartitionCalc)]
pub fn partition_calc() -> Html {
    let key = use_state(|| "customer-42".to_string());
    let partitions = use_state(|| "6".to_string());
    let on_key = {
        let key = key.clone();
        Callback::from(move |e: InputEvent| key.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_parts = {
        let partitions = partitions.clone();
        Callback::from(move |e: InputEvent| partitions.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let bytes = key.as_bytes();
    let hash = murmur2(bytes);
    let result = partitions
        .trim()
        .parse::<u32>()
        .map_err(|_| tf("\"{0}\" is not a number of partitions (1 to {1})", &[&partitions.trim(), &i32::MAX]))
        .and_then(|n| partition_for_key(bytes, n).map(|p| (n, p)));
    html! {
        <div class="panel calc" id="partition-calc">
            <h2>{t("Kafka: which partition does a key go to?")}</h2>
            <div class="calc-inputs">
                <label>{t("key ")}<input id="calc-key" value={(*key).clone()} oninput={on_key} size="16" /></label>
                <label>{t("partitions ")}<input id="calc-partitions" class={classes!(result.is_err().then_some("invalid"))}
                    value={(*partitions).clone()} oninput={on_parts} size="5" /></label>
            </div>
            { match result {
                Ok((n, p)) => html! {
                    <p class="calc-result">
                        {"murmur2 = "}<code>{hash}</code>{", toPositive = "}<code>{to_positive(hash)}</code>
                        {tf(", mod {0} → ", &[&n])}<b id="calc-partition">{tf("partition {0}", &[&p])}</b>
                    </p>
                },
                Err(e) => html! { <p class="field-error" id="calc-error">{e}</p> },
            } }
            <p class="hint">{t("Kafka's default partitioner: toPositive(murmur2(UTF-8 key bytes)) % partitions. The same key always lands in the same partition — until the partition count changes.")}</p>
        </div>
    }
}
