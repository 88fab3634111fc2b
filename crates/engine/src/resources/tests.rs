use super::*;

const US: u64 = 1000;

#[test]
fn an_idle_server_serves_at_once_and_a_busy_one_queues() {
    let mut s = Server::default();
    assert_eq!(s.serve(0, 10 * US), 10 * US, "idle: done after its own work");
    assert_eq!(s.serve(2 * US, 10 * US), 20 * US, "arrives while busy: waits for the first");
    assert_eq!(s.backlog(Time::us(5)), Time::us(15));
    assert_eq!(s.serve(50 * US, US), 51 * US, "after an idle gap: no wait");
    assert_eq!(s.busy, 21 * US, "busy counts work, not waiting");
}

#[test]
fn requests_take_the_cpu_then_the_disk_and_complete_in_order() {
    let mut st = Station::default();
    let a = st.admit(Time::ZERO, Cost { cpu: 5 * US, disk: 100 * US });
    assert_eq!(a, Time::us(105));
    // The next request's CPU overlaps the first one's disk time, but it completes after it.
    let b = st.admit(Time::ZERO, Cost { cpu: 5 * US, disk: 0 });
    assert_eq!(st.cpu.free_at, 10 * US, "the CPU is free again at 10 µs");
    assert_eq!(b, Time::us(105), "a request never overtakes an earlier one");
    let c = st.admit(Time::ZERO, Cost { cpu: 5 * US, disk: 100 * US });
    assert_eq!(c, Time::us(205), "the disk is a FIFO too: 15 µs of CPU, then after the first write");
}

#[test]
fn sub_microsecond_costs_add_up_and_round_up_to_the_clock() {
    let mut st = Station::default();
    let mut last = Time::ZERO;
    for _ in 0..1000 {
        last = st.admit(Time::ZERO, Cost { cpu: 300, disk: 0 });
    }
    assert_eq!(last, Time::us(300), "1000 × 300 ns = 300 µs exactly");
    assert_eq!(st.admit(Time::ZERO, Cost { cpu: 1, disk: 0 }), Time::us(301), "rounded up, never down");
}

/// Offered load below the service rate: requests wait for nothing; above it: the backlog grows
/// with every request and the completion rate is the service rate — saturation.
#[test]
fn saturation_caps_the_completion_rate_and_grows_the_queue() {
    let run = |gap_us: u64| {
        let mut st = Station::default();
        let mut done = Time::ZERO;
        let mut worst_wait = Time::ZERO;
        for i in 0..1000u64 {
            let now = Time::us(i * gap_us);
            done = st.admit(now, Cost { cpu: 10 * US, disk: 0 });
            worst_wait = worst_wait.max(done.saturating_sub(now));
        }
        (done, worst_wait)
    };
    let (done, wait) = run(20);
    assert_eq!(wait, Time::us(10), "half loaded: each request only takes its own 10 µs");
    assert_eq!(done, Time::us(999 * 20 + 10));
    let (done, wait) = run(5);
    assert_eq!(done, Time::us(10_000), "twice the capacity offered: 1000 requests still take 10 ms");
    assert!(wait > Time::ms(4), "the queue grew: the last request waited {wait}");
}

#[test]
fn charged_work_delays_later_requests() {
    let mut st = Station::default();
    st.charge(Time::ZERO, Cost { cpu: 50 * US, disk: 0 });
    assert_eq!(st.admit(Time::us(10), Cost { cpu: US, disk: 0 }), Time::us(51));
}

#[test]
fn transfer_time_is_bytes_over_bandwidth() {
    assert_eq!(transfer_ns(1_000_000, 200), 5_000_000, "1 MB at 200 MB/s is 5 ms");
    assert_eq!(transfer_ns(100, 200), 500, "100 bytes: half a microsecond");
}

#[test]
fn the_watermark_and_paging_threshold_follow_rabbitmqs_ratios() {
    let r = RabbitResources { memory_mb: 1000, ..RabbitResources::default() };
    assert_eq!(r.watermark_bytes(), 400_000_000, "0.4 of the memory");
    assert_eq!(r.paging_bytes(), 200_000_000, "0.5 of the watermark");
}

#[test]
fn bad_settings_name_their_field() {
    let r = RabbitResources { disk_mb_s: 0, ..RabbitResources::default() };
    assert!(r.validate().unwrap_err().starts_with("rabbit.resources.disk_mb_s"));
    let k = KafkaResources { disk_mb_s: 0, ..KafkaResources::default() };
    assert!(k.validate().unwrap_err().starts_with("kafka.resources.disk_mb_s"));
    let r = RabbitResources { vm_memory_high_watermark: 0, ..RabbitResources::default() };
    assert!(r.validate().unwrap_err().starts_with("rabbit.resources.vm_memory_high_watermark"));
}

#[test]
fn utilisation_reads_the_last_whole_window() {
    let mut s = Server::default();
    let ms = 1_000_000;
    s.serve(0, 5 * ms);
    s.serve(10 * ms, 5 * ms);
    assert_eq!(s.utilisation(Time::ms(25)), 500, "10 ms of work in the first 20 ms window");
    s.serve(21 * ms, 30 * ms);
    assert_eq!(s.utilisation(Time::ms(45)), 1000, "more work than the window: saturated");
    assert_eq!(s.utilisation(Time::ms(90)), 0, "idle since");
}
