//! brokerlab: a deterministic message-broker simulator and teaching playground.
//!
//! - `engine` — the pure, deterministic simulation core (native and wasm alike).
//! - `cli`    — the native command line (`brokerlab run`, `brokerlab bench`).
//! - `ui`     — the Yew playground, compiled for wasm only.

pub mod engine;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(target_arch = "wasm32")]
pub mod ui;
