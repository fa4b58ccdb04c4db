//! Drives concurrent HTTP work and keeps latency histograms.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::Mutex;

/// Throughput and latency of one scenario at one concurrency.
#[derive(Debug, Clone)]
pub struct Stats {
    pub ops: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl Stats {
    pub fn per_second(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }
}

fn histogram() -> Histogram<u64> {
    // Microseconds up to a minute, three significant figures.
    Histogram::new_with_bounds(1, 60_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).expect("a histogram"))
}

/// A progress line on stderr while `label` runs.
fn ticker(
    label: String,
    done: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) {
            eprint!("\r  {label}: {} done   ", done.load(Ordering::Relaxed));
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        eprintln!("\r  {label}: {} done   ", done.load(Ordering::Relaxed));
    })
}

/// `workers` tasks each take items from `items` and run `op` on each; every
/// call of `op` returns the latencies of the requests it made and errors.
pub async fn over_items<T, F, Fut>(label: &str, workers: usize, items: Vec<T>, op: F) -> Stats
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = (Vec<Duration>, u64)> + Send,
{
    let queue = Arc::new(Mutex::new(items));
    let op = Arc::new(op);
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let tick = ticker(label.to_string(), done.clone(), stop.clone());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (queue, op, done) = (queue.clone(), op.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut hist = histogram();
            let mut errors = 0;
            loop {
                let Some(item) = queue.lock().await.pop() else {
                    break;
                };
                let (latencies, failed) = op(item).await;
                errors += failed;
                for l in latencies {
                    let _ = hist.record(l.as_micros().max(1) as u64);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
            (hist, errors)
        }));
    }
    collect(tasks, start, stop, tick).await
}

/// `workers` tasks run `op` repeatedly until `duration` has passed.
pub async fn for_duration<F, Fut>(label: &str, workers: usize, duration: Duration, op: F) -> Stats
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let tick = ticker(label.to_string(), done.clone(), stop.clone());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (op, done) = (op.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut hist = histogram();
            let mut errors = 0;
            while start.elapsed() < duration {
                let t = Instant::now();
                let ok = op().await;
                let _ = hist.record(t.elapsed().as_micros().max(1) as u64);
                errors += u64::from(!ok);
                done.fetch_add(1, Ordering::Relaxed);
            }
            (hist, errors)
        }));
    }
    collect(tasks, start, stop, tick).await
}

async fn collect(
    tasks: Vec<tokio::task::JoinHandle<(Histogram<u64>, u64)>>,
    start: Instant,
    stop: Arc<AtomicBool>,
    tick: tokio::task::JoinHandle<()>,
) -> Stats {
    let mut all = histogram();
    let mut errors = 0;
    for t in tasks {
        if let Ok((h, e)) = t.await {
            let _ = all.add(&h);
            errors += e;
        }
    }
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = tick.await;
    Stats {
        ops: all.len(),
        errors,
        elapsed,
        p50_ms: all.value_at_quantile(0.5) as f64 / 1000.0,
        p99_ms: all.value_at_quantile(0.99) as f64 / 1000.0,
    }
}
