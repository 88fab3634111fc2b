# Sourced by the scripts: pinned tool versions and the PATH that finds them.
# WASM_BINDGEN_VERSION must equal the wasm-bindgen crate in Cargo.lock (setup.sh checks).
export WASM_BINDGEN_VERSION=0.2.130
export TRUNK_VERSION=0.21.14
export WASM_OPT_VERSION=132
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
