//! brokerlab: a deterministic message-broker simulator and teaching playground.
//!
//! - `engine` — the pure, deterministic simulation core (native and wasm alike).
//! - `view`   — view models for the playground (layout, flights, series), pure and natively tested.
//! - `cli`    — the native command line (`brokerlab run`, `brokerlab bench`).
//! - `ui`     — the Yew playground, compiled for wasm only.

pub mod engine;
pub mod view;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(target_arch = "wasm32")]
pub mod ui;
