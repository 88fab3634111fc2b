//! brokerlab: a deterministic message-broker simulator and teaching playground.
//!
//! - `engine` — the pure, deterministic simulation core (crate `brokerlab-engine`, native and wasm).
//! - `view`   — view models for the playground (crate `brokerlab-view`), pure and natively tested.
//! - `cli`    — the native command line (`brokerlab run`, `brokerlab bench`).
//! - `ui`     — the Yew playground, compiled for wasm only.

pub use brokerlab_engine as engine;
pub use brokerlab_view as view;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(target_arch = "wasm32")]
pub mod ui;
