//! `make bench`'s timeline figures, natively: `kafka-groups` played for 10 minutes of simulated
//! time through a page session (snapshots taken as the page takes them), then
//! - the memory the timeline keeps: the heap bytes of its snapshots (each one's clone counted by
//!   this program's allocator: every byte the clone allocates, plus the snapshot itself), and
//! - the time to seek to the end of the run from its start, and back to the start (best of 5),
//! - a message's journey at the end of the run (the last record read): the time to scan it and the
//!   most heap it takes above what the page already holds while it scans (a snapshot's clone
//!   replayed to the end), and its steps.
//!
//! An example, not a `brokerlab` command, so the counting allocator never sits under the engine
//! benchmark. Run: `cargo run --profile native --example timeline_bench` (one JSON line).

use brokerlab::engine::{presets, Time};
use brokerlab::view::session::Session;
use brokerlab::view::timeline::Snapshot;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Bytes allocated and not yet freed, and the most there were since `PEAK` was last reset.
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        PEAK.fetch_max(LIVE.fetch_add(layout.size(), Relaxed) + layout.size(), Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        PEAK.fetch_max(LIVE.fetch_add(new_size, Relaxed) + new_size, Relaxed);
        LIVE.fetch_sub(layout.size(), Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The bytes a snapshot holds: what cloning it allocates, plus its own size.
fn bytes(s: &Snapshot) -> usize {
    let before = LIVE.load(Relaxed);
    let copy = s.clone();
    let held = LIVE.load(Relaxed) - before;
    drop(copy);
    held + std::mem::size_of::<Snapshot>()
}

fn main() {
    const PRESET: &str = "kafka-groups";
    const SIMULATED: Time = Time::secs(600);
    let scenario = presets::load(PRESET).expect("a preset");
    let seed = scenario.seed;
    let mut s = Session::new(PRESET, scenario, seed).expect("presets are valid");
    let start = std::time::Instant::now();
    s.play_until(SIMULATED);
    let play_ms = start.elapsed().as_secs_f64() * 1e3;
    let tl = s.timeline();
    let snapshot_bytes: Vec<usize> = tl.kept().iter().map(bytes).collect();
    let total: usize = snapshot_bytes.iter().sum();
    let (end, hash) = (s.sim().now(), s.sim().trace_hash());
    let (steps, every, kept) = (s.sim().steps(), tl.every(), tl.kept().len());
    // Best of 5, each timed around the seek alone: from the start to the end, and back.
    let mut seek_end_ms = f64::MAX;
    let mut seek_start_ms = f64::MAX;
    for _ in 0..5 {
        s.seek(Time::ZERO);
        let t = std::time::Instant::now();
        s.seek(end);
        seek_end_ms = seek_end_ms.min(t.elapsed().as_secs_f64() * 1e3);
        let t = std::time::Instant::now();
        s.seek(Time::ZERO);
        seek_start_ms = seek_start_ms.min(t.elapsed().as_secs_f64() * 1e3);
    }
    s.seek(end);
    assert_eq!(s.sim().trace_hash(), hash, "seeking back to the end gives the same trace");
    // The journey of the last record read (the event log holds the lines since the last seek).
    let (subject, since) = s.log().matching("consumed").0.last().and_then(|l| l.2).expect("a read near the end");
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let t = std::time::Instant::now();
    let journey = s.journey(subject, since);
    let journey_ms = t.elapsed().as_secs_f64() * 1e3;
    let journey_peak = PEAK.load(Relaxed) - before;
    println!(
        "{{\"platform\":\"native\",\"timeline\":\"{PRESET}\",\"simulated_us\":{},\"steps\":{steps},\"snapshots\":{kept},\
         \"snapshot_every_steps\":{every},\"snapshot_bytes\":{total},\"largest_snapshot_bytes\":{},\"play_ms\":{play_ms:.1},\
         \"seek_end_ms\":{seek_end_ms:.2},\"seek_start_ms\":{seek_start_ms:.2},\"journey_ms\":{journey_ms:.2},\
         \"journey_peak_bytes\":{journey_peak},\"journey_steps\":{},\"trace_hash\":\"{hash}\"}}",
        end.0,
        snapshot_bytes.iter().max().unwrap_or(&0),
        journey.steps.len(),
    );
}
