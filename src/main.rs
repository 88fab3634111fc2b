//! In the browser: mounts the playground. Natively: the `brokerlab` command line.

#[cfg(target_arch = "wasm32")]
fn main() {
    brokerlab::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(brokerlab::cli::main(&args));
}
