//! Drives concurrent HTTP work, keeps latency histograms, and shows a
//! progress bar per running scenario on stderr.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use tokio::sync::Mutex;

/// Every bar of the run, so that concurrent scenarios draw one below the
/// other. Hidden when stderr is not a terminal.
static BARS: LazyLock<MultiProgress> = LazyLock::new(MultiProgress::new);

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

    pub fn summary(&self) -> String {
        let errors = if self.errors > 0 {
            format!(", {} errors", self.errors)
        } else {
            String::new()
        };
        format!(
            "{:.0}/s, p50 {:.1} ms, p99 {:.1} ms{errors}",
            self.per_second(),
            self.p50_ms,
            self.p99_ms
        )
    }
}

/// A spinner with a count and a rate; `finish` leaves its summary on screen.
pub fn bar(label: &str) -> ProgressBar {
    let style =
        ProgressStyle::with_template("{spinner} {prefix:28} {pos:>8} done {per_sec:>12} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let bar = BARS.add(ProgressBar::new_spinner().with_style(style));
    bar.set_prefix(label.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// A line above the bars (for what the tool is doing between scenarios).
pub fn note(line: &str) {
    if BARS.is_hidden() {
        eprintln!("{line}");
    } else {
        let _ = BARS.println(line);
    }
}

fn histogram() -> Histogram<u64> {
    // Microseconds up to ten minutes, three significant figures.
    Histogram::new_with_bounds(1, 600_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).expect("a histogram"))
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
    let progress = bar(label);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (queue, op, progress) = (queue.clone(), op.clone(), progress.clone());
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
                    progress.inc(1);
                }
            }
            (hist, errors)
        }));
    }
    collect(tasks, start, progress).await
}

/// When a timed scenario stops: after a duration, or when told to.
#[derive(Clone)]
pub enum Until {
    Elapsed(Duration),
    Stopped(Arc<AtomicBool>),
}

impl Until {
    fn reached(&self, start: Instant) -> bool {
        match self {
            Until::Elapsed(d) => start.elapsed() >= *d,
            Until::Stopped(flag) => flag.load(Ordering::Relaxed),
        }
    }
}

/// `workers` tasks run `op` again and again until `until`; `op` answers
/// whether the request succeeded.
pub async fn repeat<F, Fut>(label: &str, workers: usize, until: Until, op: F) -> Stats
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let progress = bar(label);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (op, until, progress) = (op.clone(), until.clone(), progress.clone());
        tasks.push(tokio::spawn(async move {
            let mut hist = histogram();
            let mut errors = 0;
            while !until.reached(start) {
                let t = Instant::now();
                let ok = op().await;
                let _ = hist.record(t.elapsed().as_micros().max(1) as u64);
                errors += u64::from(!ok);
                progress.inc(1);
            }
            (hist, errors)
        }));
    }
    collect(tasks, start, progress).await
}

async fn collect(
    tasks: Vec<tokio::task::JoinHandle<(Histogram<u64>, u64)>>,
    start: Instant,
    progress: ProgressBar,
) -> Stats {
    let mut all = histogram();
    let mut errors = 0;
    for t in tasks {
        if let Ok((h, e)) = t.await {
            let _ = all.add(&h);
            errors += e;
        }
    }
    let stats = Stats {
        ops: all.len(),
        errors,
        elapsed: start.elapsed(),
        p50_ms: all.value_at_quantile(0.5) as f64 / 1000.0,
        p99_ms: all.value_at_quantile(0.99) as f64 / 1000.0,
    };
    progress.finish_with_message(stats.summary());
    stats
}
