//! View models: what the playground shows, folded from the engine's world and events. Pure Rust
//! with no web dependency, so it is unit-tested natively; `ui` only draws these.
//!
//! - `layout`  — where each node sits on the stage.
//! - `flights` — messages in the air, and recent losses, for the animation.
//! - `series`  — bounded rate series for the live charts.
//! - `speed`   — the speed ladder (slow motion to ×1000).
//! - `params`  — the page's URL parameters, validated.
//! - `compare` — the side-by-side page: chips, violations, both topologies laid out alike.

pub mod compare;
pub mod flights;
pub mod layout;
pub mod params;
pub mod series;
pub mod speed;
