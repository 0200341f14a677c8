//! Prometheus metrics, served at `GET /metrics` in the Prometheus text format.
//!
//! What the request path counts (requests, their duration, in-flight
//! requests; registrations and compatibility checks) is kept in
//! prometheus-client's atomics as it happens; what the process can read at
//! any time (cache figures, the database pool, schemas and subjects by
//! format, the change log) is read when scraped, so it costs nothing
//! between scrapes.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use prometheus_client::encoding::{prometheus_text, EncodeLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry as MetricRegistry;

use crate::registry::RegistryError;

/// The `Content-Type` of the answer.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Request latency buckets, in seconds: 100 µs to 10 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5, 10.0,
];

/// Database counts are read at most this often, however often scraped.
const COUNTS_MAX_AGE: Duration = Duration::from_secs(10);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FormatLabels {
    format: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    backend: &'static str,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// What the registry service counts: registrations, their refusals by
/// reason, and compatibility checks. Cheap to clone (shared counters).
#[derive(Clone, Debug, Default)]
pub struct RegistryMetrics {
    registrations: Counter,
    versions_created: Counter,
    refused: Family<ReasonLabels, Counter>,
    checks: Family<ResultLabels, Counter>,
}

impl RegistryMetrics {
    /// A registration's outcome: accepted (new version or known content)
    /// or refused, by reason.
    pub fn registration<T>(&self, outcome: &Result<T, RegistryError>) {
        match outcome {
            Ok(_) => {
                self.registrations.inc();
            }
            Err(error) => {
                self.refused
                    .get_or_create(&ReasonLabels {
                        reason: refusal_reason(error),
                    })
                    .inc();
            }
        }
    }

    /// New versions written (a registration of known content writes none).
    pub fn versions_created(&self, count: u64) {
        self.versions_created.inc_by(count);
    }

    /// A compatibility check's verdict.
    pub fn compatibility_check(&self, compatible: bool) {
        let result = if compatible {
            "compatible"
        } else {
            "incompatible"
        };
        self.checks.get_or_create(&ResultLabels { result }).inc();
    }

    fn register_into(&self, registry: &mut MetricRegistry) {
        registry.register(
            "accord_registrations",
            "Registrations accepted (new versions and content the subject already had)",
            self.registrations.clone(),
        );
        registry.register(
            "accord_schema_versions_created",
            "Subject versions written by registrations",
            self.versions_created.clone(),
        );
        registry.register(
            "accord_registrations_refused",
            "Registrations refused, by reason",
            self.refused.clone(),
        );
        registry.register(
            "accord_compatibility_checks",
            "Compatibility checks answered by the compatibility endpoints, by verdict",
            self.checks.clone(),
        );
    }
}

/// The label a refused registration is counted under: which rule refused it.
fn refusal_reason(error: &RegistryError) -> &'static str {
    match error {
        RegistryError::Incompatible { .. } => "incompatible",
        RegistryError::InvalidSchema(_)
        | RegistryError::EmptySchema
        | RegistryError::InvalidSchemaType(_) => "invalid_schema",
        RegistryError::ReferenceNotFound { .. } => "reference_not_found",
        RegistryError::SchemaTooLarge { .. } => "too_large",
        RegistryError::OperationNotPermitted(_) => "mode",
        RegistryError::InvalidSubject(_) => "invalid_subject",
        RegistryError::Store(_) | RegistryError::Internal(_) => "error",
        _ => "invalid_request",
    }
}

/// HTTP request figures, kept by the request middleware.
#[derive(Clone, Debug)]
struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
}

/// Every metric of the process. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: MetricRegistry,
    http: HttpMetrics,
    counts: tokio::sync::Mutex<Option<(Instant, FormatCounts)>>,
    started: Instant,
    backend: &'static str,
}

/// Schemas and subjects per format, as the database holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormatCounts {
    pub schemas: Vec<(String, i64)>,
    pub subjects: Vec<(String, i64)>,
}

/// What a scrape reads from the rest of the process.
pub struct Snapshot {
    pub caches: Vec<crate::registry::CacheStats>,
    pub pool: crate::store::PoolStatus,
    /// Change-log positions not yet applied by this replica, and seconds
    /// since it last caught up (PostgreSQL); `None` where there is no log.
    pub change_log: Option<(i64, f64)>,
}

/// Marks a request in flight until dropped.
pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Metrics {
    pub fn new(registry_metrics: RegistryMetrics, backend: crate::store::Backend) -> Metrics {
        let mut registry = MetricRegistry::default();
        let http = HttpMetrics {
            requests: Family::default(),
            durations: Family::new_with_constructor(latency_histogram),
            in_flight: Gauge::default(),
        };
        registry.register(
            "accord_http_requests",
            "HTTP requests answered, by method, route template and status",
            http.requests.clone(),
        );
        registry.register(
            "accord_http_request_duration_seconds",
            "Time from a request's arrival to its response, by method and route template",
            http.durations.clone(),
        );
        registry.register(
            "accord_http_requests_in_flight",
            "Requests being answered",
            http.in_flight.clone(),
        );
        registry_metrics.register_into(&mut registry);
        Metrics {
            inner: Arc::new(Inner {
                registry,
                http,
                counts: tokio::sync::Mutex::new(None),
                started: Instant::now(),
                backend: match backend {
                    crate::store::Backend::Sqlite => "sqlite",
                    crate::store::Backend::Postgres => "postgres",
                },
            }),
        }
    }

    /// Counts a request in flight until the guard is dropped.
    pub fn request_started(&self) -> InFlight {
        self.inner.http.in_flight.inc();
        InFlight(self.inner.http.in_flight.clone())
    }

    /// Counts an answered request.
    pub fn request_finished(
        &self,
        method: &http::Method,
        route: &'static str,
        status: u16,
        elapsed: Duration,
    ) {
        let method = method_label(method);
        self.inner
            .http
            .requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
        self.inner
            .http
            .durations
            .get_or_create(&RouteLabels { method, route })
            .observe(elapsed.as_secs_f64());
    }

    /// The database counts, read again when older than [`COUNTS_MAX_AGE`]
    /// (concurrent scrapes wait for one read).
    pub async fn format_counts<F, Fut, E>(&self, read: F) -> Result<FormatCounts, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<FormatCounts, E>>,
    {
        let mut cached = self.inner.counts.lock().await;
        if let Some((at, counts)) = cached.as_ref() {
            if at.elapsed() < COUNTS_MAX_AGE {
                return Ok(counts.clone());
            }
        }
        let counts = read().await?;
        *cached = Some((Instant::now(), counts.clone()));
        Ok(counts)
    }

    /// The exposition: the kept metrics, then what was read for this scrape.
    pub fn render(&self, snapshot: &Snapshot, counts: &FormatCounts) -> String {
        let mut text = String::with_capacity(16 * 1024);
        // Writing to a String cannot fail.
        let _ = prometheus_text::encode(&mut text, &self.inner.registry);
        let _ = prometheus_text::encode(&mut text, &self.scraped(snapshot, counts));
        text
    }

    fn scraped(&self, snapshot: &Snapshot, counts: &FormatCounts) -> MetricRegistry {
        let mut registry = MetricRegistry::default();
        let cache_family =
            |registry: &mut MetricRegistry,
             name: &str,
             help: &str,
             value: fn(&crate::registry::CacheStats) -> u64| {
                let family = Family::<CacheLabels, Gauge>::default();
                for stats in &snapshot.caches {
                    family
                        .get_or_create(&CacheLabels { cache: stats.name })
                        .set(i64::try_from(value(stats)).unwrap_or(i64::MAX));
                }
                registry.register(name, help, family);
            };
        let hits = Family::<CacheLabels, Counter>::default();
        let misses = Family::<CacheLabels, Counter>::default();
        for stats in &snapshot.caches {
            let labels = CacheLabels { cache: stats.name };
            hits.get_or_create(&labels).inc_by(stats.hits);
            misses.get_or_create(&labels).inc_by(stats.misses);
        }
        registry.register(
            "accord_cache_hits",
            "Cache lookups that found their entry",
            hits,
        );
        registry.register(
            "accord_cache_misses",
            "Cache lookups that did not find their entry",
            misses,
        );
        cache_family(
            &mut registry,
            "accord_cache_entries",
            "Entries held per cache",
            |stats| stats.entries,
        );
        cache_family(
            &mut registry,
            "accord_cache_bytes",
            "Estimated bytes held per cache, as weighed against its budget",
            |stats| stats.bytes,
        );
        cache_family(
            &mut registry,
            "accord_cache_max_bytes",
            "Byte budget per cache",
            |stats| stats.max_bytes,
        );

        let by_format =
            |registry: &mut MetricRegistry, name: &str, help: &str, rows: &[(String, i64)]| {
                let family = Family::<FormatLabels, Gauge>::default();
                for (format, count) in rows {
                    family
                        .get_or_create(&FormatLabels {
                            format: format.clone(),
                        })
                        .set(*count);
                }
                registry.register(name, help, family);
            };
        by_format(
            &mut registry,
            "accord_schemas",
            "Schemas stored (distinct ids, every context), by format",
            &counts.schemas,
        );
        by_format(
            &mut registry,
            "accord_subjects",
            "Subjects with a live version, by the format of their versions",
            &counts.subjects,
        );

        let pool = Family::<StateLabels, Gauge>::default();
        let status = snapshot.pool;
        pool.get_or_create(&StateLabels { state: "in_use" })
            .set(i64::from(status.size.saturating_sub(status.idle)));
        pool.get_or_create(&StateLabels { state: "idle" })
            .set(i64::from(status.idle));
        registry.register(
            "accord_db_pool_connections",
            "Database connections of this process's pool, by state",
            pool,
        );
        registry.register(
            "accord_db_pool_max_connections",
            "The pool's connection limit",
            gauge(i64::from(status.max)),
        );
        registry.register(
            "accord_db_pool_acquires",
            "Connections taken from the pool (reads) and write transactions begun",
            counter(status.acquires),
        );
        registry.register(
            "accord_db_pool_acquire_wait_seconds",
            "Total time spent waiting for a pooled connection (and, for writes, to begin)",
            counter_f64(status.wait.as_secs_f64()),
        );

        if let Some((behind, since)) = snapshot.change_log {
            registry.register(
                "accord_change_log_lag",
                "Change-log entries other replicas wrote that this replica has not applied yet",
                gauge(behind),
            );
            registry.register(
                "accord_change_log_seconds_since_caught_up",
                "Seconds since this replica last caught up with the change log",
                gauge_f64(since),
            );
        }

        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
                backend: self.inner.backend,
            })
            .set(1);
        registry.register(
            "accord_build_info",
            "Accord's version and storage backend",
            build,
        );
        registry.register(
            "accord_uptime_seconds",
            "Seconds since this process started serving",
            gauge_f64(self.inner.started.elapsed().as_secs_f64()),
        );
        if let Some(bytes) = resident_bytes() {
            registry.register(
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                gauge(bytes),
            );
        }
        registry
    }
}

/// A gauge read at scrape time.
fn gauge(value: i64) -> Gauge {
    let gauge = Gauge::default();
    gauge.set(value);
    gauge
}

fn gauge_f64(value: f64) -> Gauge<f64, AtomicU64> {
    let gauge = Gauge::default();
    gauge.set(value);
    gauge
}

/// A counter kept elsewhere, read at scrape time.
fn counter(value: u64) -> Counter {
    let counter = Counter::default();
    counter.inc_by(value);
    counter
}

fn counter_f64(value: f64) -> Counter<f64, AtomicU64> {
    let counter = Counter::default();
    counter.inc_by(value);
    counter
}

/// A label for the request's method; anything unusual is `OTHER`, so a
/// client cannot make a series per invented method.
fn method_label(method: &http::Method) -> &'static str {
    match *method {
        http::Method::GET => "GET",
        http::Method::POST => "POST",
        http::Method::PUT => "PUT",
        http::Method::DELETE => "DELETE",
        http::Method::HEAD => "HEAD",
        http::Method::OPTIONS => "OPTIONS",
        http::Method::PATCH => "PATCH",
        _ => "OTHER",
    }
}

/// The process's resident set, from `/proc` (Linux); `None` elsewhere.
fn resident_bytes() -> Option<i64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: i64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // The page size is 4 KiB on every platform Accord's images target.
    Some(pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Backend, PoolStatus};

    fn snapshot() -> Snapshot {
        Snapshot {
            caches: Vec::new(),
            pool: PoolStatus {
                size: 3,
                idle: 1,
                max: 8,
                acquires: 5,
                wait: Duration::from_millis(250),
            },
            change_log: None,
        }
    }

    #[test]
    fn requests_are_counted_by_method_route_and_status() {
        let metrics = Metrics::new(RegistryMetrics::default(), Backend::Sqlite);
        for _ in 0..2 {
            metrics.request_finished(
                &http::Method::GET,
                "/schemas/ids/{id}",
                200,
                Duration::from_millis(2),
            );
        }
        metrics.request_finished(
            &http::Method::from_bytes(b"BREW").unwrap(),
            "-",
            404,
            Duration::ZERO,
        );
        let text = metrics.render(&snapshot(), &FormatCounts::default());
        assert!(text.contains(
            "accord_http_requests_total{method=\"GET\",route=\"/schemas/ids/{id}\",status=\"200\"} 2\n"
        ), "{text}");
        assert!(text.contains(
            "accord_http_requests_total{method=\"OTHER\",route=\"-\",status=\"404\"} 1\n"
        ));
        assert!(text.contains(
            "accord_http_request_duration_seconds_bucket{method=\"GET\",route=\"/schemas/ids/{id}\",le=\"0.0025\"} 2\n"
        ), "{text}");
        assert!(text.contains("accord_db_pool_connections{state=\"in_use\"} 2\n"));
        assert!(
            text.contains("accord_db_pool_acquire_wait_seconds_total 0.25\n"),
            "{text}"
        );
    }

    #[test]
    fn in_flight_requests_are_counted_until_answered() {
        let metrics = Metrics::new(RegistryMetrics::default(), Backend::Sqlite);
        let first = metrics.request_started();
        let _second = metrics.request_started();
        drop(first);
        let text = metrics.render(&snapshot(), &FormatCounts::default());
        assert!(
            text.contains("accord_http_requests_in_flight 1\n"),
            "{text}"
        );
    }
}
