// Expected side-by-side results (`engine::compare`), shared by the native tests (tests/compare.rs)
// and the browser tests (tests/browser.rs): the same workload and seed must give these counts and
// lane trace hashes on every platform. `brokerlab compare PRESET --seed 1` prints the summary.

pub const COMPETING_SEED_1: &str = "539deea3290d8824 8701c3f8d01efcb0\nKafka    published=80 processed=80 out_of_order=0 duplicates=0 redelivered=0 lost=0 throughput=425/s mean_latency=41.361ms max_latency=121.836ms finished=700.836ms\nRabbitMQ published=80 processed=80 out_of_order=7 duplicates=0 redelivered=0 lost=0 throughput=590/s mean_latency=31.347ms max_latency=61.139ms finished=640.139ms\n";
pub const CRASH_SEED_1: &str = "82b708b54e640e01 ea11dcf294fd0869\nKafka    published=180 processed=186 out_of_order=0 duplicates=6 redelivered=0 lost=0 throughput=48/s mean_latency=947.68ms max_latency=2.875475s finished=4.262764s\nRabbitMQ published=180 processed=180 out_of_order=9 duplicates=0 redelivered=10 lost=0 throughput=113/s mean_latency=282.438ms max_latency=709.423ms finished=2.109423s\n";
