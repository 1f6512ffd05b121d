//! Logs, request ids and metrics.
//!
//! Every request gets a request id (the caller's `X-Request-Id` if it is sane, else a new one),
//! a tracing span carrying it, the id echoed in the response, and a line in the Prometheus
//! counters and latency histograms by method, route pattern and status.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

tokio::task_local! {
    static REQUEST_ID: String;
}

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the request being served on this task, if any (used in problem+json bodies).
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

/// Installs the global tracing subscriber. Safe to call twice (the second call is ignored).
pub fn init_tracing(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// A caller-supplied request id is kept only if it is short and plain, so it cannot be used to
/// inject text into logs.
fn sane_request_id(value: &HeaderValue) -> Option<String> {
    let s = value.to_str().ok()?;
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    ok.then(|| s.to_string())
}

/// actix middleware (`from_fn`): request id, span, access log, metrics.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(sane_request_id)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let method = req.method().to_string();
    let span = tracing::info_span!("request", request_id = %request_id, method = %method, path = %req.path());
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();

    let result = REQUEST_ID.scope(request_id.clone(), next.call(req).instrument(span.clone())).await;
    let mut res = match result {
        Ok(res) => res,
        Err(e) => {
            tracing::error!(parent: &span, error = %e, "request failed in middleware");
            return Err(e);
        }
    };
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_string());
    if let Some(metrics) = metrics {
        metrics.observe(&method, &route, status, elapsed.as_secs_f64());
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(HeaderName::from_static(REQUEST_ID_HEADER), v);
    }
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::error!(parent: &span, status, latency_ms, route = %route, "request completed");
    } else {
        tracing::info!(parent: &span, status, latency_ms, route = %route, "request completed");
    }
    Ok(res)
}

/// Latency histogram buckets, in seconds.
const BUCKETS: [f64; 13] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    /// Non-cumulative counts per bucket; made cumulative when rendered.
    buckets: [u64; BUCKETS.len()],
}

/// Request counters and latency histograms, rendered in the Prometheus text format.
#[derive(Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(String, String, u16), Series>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut map = match self.series.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let s = map.entry((method.to_string(), route.to_string(), status)).or_default();
        s.count += 1;
        s.sum += seconds;
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            s.buckets[i] += 1;
        }
    }

    /// The exposition text; `extra` lines (gauges) are appended as they are.
    pub fn render(&self, extra: &str) -> String {
        use std::fmt::Write;
        let map = match self.series.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut out = String::new();
        out.push_str("# HELP asnad_http_requests_total HTTP requests served, by method, route and status.\n");
        out.push_str("# TYPE asnad_http_requests_total counter\n");
        for ((m, r, st), s) in map.iter() {
            let _ = writeln!(
                out,
                "asnad_http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{st}\"}} {}",
                escape(r),
                s.count
            );
        }
        out.push_str(
            "# HELP asnad_http_request_duration_seconds HTTP request latency, by method, route and status.\n",
        );
        out.push_str("# TYPE asnad_http_request_duration_seconds histogram\n");
        for ((m, r, st), s) in map.iter() {
            let labels = format!("method=\"{m}\",route=\"{}\",status=\"{st}\"", escape(r));
            let mut cumulative = 0;
            for (i, b) in BUCKETS.iter().enumerate() {
                cumulative += s.buckets[i];
                let _ = writeln!(
                    out,
                    "asnad_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "asnad_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(out, "asnad_http_request_duration_seconds_sum{{{labels}}} {}", s.sum);
            let _ = writeln!(out, "asnad_http_request_duration_seconds_count{{{labels}}} {}", s.count);
        }
        out.push_str(extra);
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let m = Metrics::default();
        m.observe("GET", "/healthz", 200, 0.0005);
        m.observe("GET", "/healthz", 200, 0.2);
        let text = m.render("");
        assert!(
            text.contains("asnad_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2")
        );
        assert!(text.contains("le=\"0.001\"} 1"));
        assert!(text.contains("le=\"0.25\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 2"));
    }

    #[test]
    fn request_ids_are_sanitised() {
        assert_eq!(sane_request_id(&HeaderValue::from_static("abc-123_x.y")), Some("abc-123_x.y".into()));
        assert_eq!(sane_request_id(&HeaderValue::from_static("a b")), None);
        assert_eq!(sane_request_id(&HeaderValue::from_str(&"x".repeat(65)).unwrap()), None);
    }
}
