//! `make bench`'s figure for the timeline's snapshots at scale, natively: the preset `kafka-large`
//! (50 brokers, 1 000 partitions RF 3, 2 000 records/s, b7 killed at 10 s) played through a page
//! session to 20 s and to 60 s (when its 1-minute retention starts deleting), and at each the cost
//! of one snapshot of the simulation as the timeline takes it (`Simulation::clone`): the
//! allocations and bytes it makes (counted by this program's allocator: deterministic) and its CPU
//! time (the thread's own, from `/proc/thread-self/schedstat`, so other processes on a loaded
//! machine do not count; the mean of ten clones, as that clock moves in scheduler ticks).
//!
//! Run: `cargo run --profile native --example snapshot_bench` (one JSON line).

use brokerlab::engine::{presets, Time};
use brokerlab::view::session::Session;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

static BYTES: AtomicUsize = AtomicUsize::new(0);
static COUNT: AtomicUsize = AtomicUsize::new(0);

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        BYTES.fetch_add(layout.size(), Relaxed);
        COUNT.fetch_add(1, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        BYTES.fetch_add(new_size.saturating_sub(layout.size()), Relaxed);
        COUNT.fetch_add(1, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// This thread's CPU time in ms (Linux; 0 elsewhere).
fn cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e6)
}

/// Clones timed together (the CPU clock's resolution is a scheduler tick).
const CLONES: usize = 10;

fn main() {
    const PRESET: &str = "kafka-large";
    let scenario = presets::load(PRESET).expect("a preset");
    let seed = scenario.seed;
    let mut s = Session::new(PRESET, scenario, seed).expect("presets are valid");
    let mut parts = Vec::new();
    for secs in [20, 60] {
        s.play_until(Time::secs(secs));
        let sim = s.sim();
        let (b, c) = (BYTES.load(Relaxed), COUNT.load(Relaxed));
        drop(sim.clone());
        let (bytes, allocs) = (BYTES.load(Relaxed) - b, COUNT.load(Relaxed) - c);
        // The thread's CPU clock ticks in scheduler ticks (4 ms here): time ten clones together.
        let t = cpu_ms();
        let copies: Vec<_> = (0..CLONES).map(|_| sim.clone()).collect();
        let mean = (cpu_ms() - t) / CLONES as f64;
        drop(copies);
        parts.push(format!(
            "\"at_{secs}s\":{{\"steps\":{},\"clone_allocations\":{allocs},\"clone_mb\":{:.2},\"clone_cpu_ms\":{mean:.2},\"snapshots\":{}}}",
            sim.steps(),
            bytes as f64 / 1e6,
            s.timeline().snapshots()
        ));
    }
    println!("{{\"scenario\":\"{PRESET}\",{}}}", parts.join(","));
}
