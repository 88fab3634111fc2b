//! The playground UI (wasm only).
