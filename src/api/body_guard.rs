//! Request bodies are read under two rules, for every route, before any handler sees them:
//!
//! - A declared `Content-Length` above what the route family accepts (JSON and CSV bodies:
//!   `ASNAD_MAX_JSON_BYTES`; multipart uploads: `ASNAD_MAX_ATTACHMENT_BYTES` plus room for the
//!   form's own fields) is refused with 413 at once: nothing is read, nothing is buffered. Under
//!   `/console/` the answer is the console's error page.
//! - A body that stops arriving — no byte for `ASNAD_BODY_TIMEOUT_SECONDS` — is cut: the
//!   handler's read fails with a timeout, answered 408 (see [`is_timeout`]), and the connection
//!   is closed. So is one that trickles: after that time, a body must have averaged at least
//!   [`MIN_BYTES_PER_SECOND`] (1 KiB/s: a 10 MB scan needs less than three hours' patience at
//!   that rate; a byte every few seconds is an attack, not a slow phone). Without this, a client that sends headers and then nothing holds a worker's
//!   connection (and an authenticated upload's memory) forever.
//!
//! Slow headers are actix's own `client_request_timeout`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::HttpMessage;
use futures_util::Stream;

use crate::context::ServiceContext;
use crate::error::AppError;

/// The slowest average rate a body may arrive at once `ASNAD_BODY_TIMEOUT_SECONDS` have passed.
pub const MIN_BYTES_PER_SECOND: f64 = 1024.0;

/// Room for a multipart form's boundaries and its small text fields around the file.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// actix middleware (`from_fn`): the size and time rules above.
pub async fn guard_body(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<ServiceContext>>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("multipart/"));
    let limit = if multipart {
        state.config.max_attachment_bytes + MULTIPART_OVERHEAD
    } else {
        state.config.max_json_bytes
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        let error = AppError::PayloadTooLarge(format!("the body may be at most {limit} bytes"));
        // A console page is answered by the console's error page (Persian, HTML), not the API's
        // problem+json: a person sent it from a browser.
        let mut res = if req.path().starts_with("/console/") {
            req.error_response(crate::console::ConsoleError::App(error))
        } else {
            req.error_response(error)
        };
        // The unread body is not drained: the connection ends with this answer.
        res.response_mut().head_mut().set_connection_type(actix_web::http::ConnectionType::Close);
        return Ok(res.map_into_right_body());
    }
    // A request without a body (most GETs) needs no timer.
    let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
    if declared.is_none_or(|n| n == 0) && !chunked {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    }
    let inner = req.take_payload();
    req.set_payload(Payload::Stream {
        payload: Box::pin(IdleTimeout::new(inner, state.config.body_timeout)),
    });
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

/// The body's stream, failing when no chunk arrives within `idle`.
struct IdleTimeout {
    inner: Payload,
    idle: Duration,
    timer: Pin<Box<tokio::time::Sleep>>,
    started: tokio::time::Instant,
    received: u64,
    done: bool,
}

impl IdleTimeout {
    fn new(inner: Payload, idle: Duration) -> Self {
        let started = tokio::time::Instant::now();
        Self { inner, idle, timer: Box::pin(tokio::time::sleep(idle)), started, received: 0, done: false }
    }

    fn cut(&mut self, why: String) -> Poll<Option<Result<Bytes, PayloadError>>> {
        self.done = true;
        Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, why)))))
    }
}

impl Stream for IdleTimeout {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(chunk)) => {
                if let Ok(bytes) = &chunk {
                    this.received += bytes.len() as u64;
                }
                let elapsed = this.started.elapsed();
                if elapsed > this.idle
                    && (this.received as f64) < elapsed.as_secs_f64() * MIN_BYTES_PER_SECOND
                {
                    return this
                        .cut(format!("the body arrives slower than {MIN_BYTES_PER_SECOND} bytes a second"));
                }
                let deadline = tokio::time::Instant::now() + this.idle;
                this.timer.as_mut().reset(deadline);
                Poll::Ready(Some(chunk))
            }
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    let why = format!("no part of the body arrived for {} s", this.idle.as_secs());
                    this.cut(why)
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

/// Whether a body read failed because the body stopped arriving.
pub fn is_timeout(e: &actix_web::Error) -> bool {
    e.as_error::<PayloadError>().is_some_and(payload_timed_out)
}

/// The same test on the payload error itself (multipart wraps it).
pub fn payload_timed_out(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}

/// The answer to a body that stopped arriving.
pub fn timeout_error() -> AppError {
    AppError::RequestTimeout("the request body stopped arriving; send it again".into())
}
