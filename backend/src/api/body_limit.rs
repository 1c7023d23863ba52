//! Request bodies are bounded in size and in time, on every route, before any handler runs.
//!
//! A `Content-Length` over the limit is refused (413) at once, without reading the body; any
//! other body is read through [`Limited`], which fails as soon as the bytes read so far pass the
//! limit, or when the body has not all arrived by its deadline (408). Either way the connection
//! is closed after the answer: actix closes a connection whose request body was not read to the
//! end while that body is still held, but drains a dropped chunked body for as long as the client
//! sends. So the unread body is held by the answer's body until actix has written it all.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpMessage, ResponseError};
use futures_util::Stream;

use super::connections::HttpStats;
use super::error::ApiError;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a request's body may take to arrive, shared with the handlers as app data.
#[derive(Clone, Copy, Debug)]
pub struct BodyDeadline(pub Duration);

/// An answer's body that holds the request's body as actix delivered it: actix decides whether to
/// close the connection when the answer's last byte is written, and closes it only if the request
/// body is unread and still held then.
struct HoldingRequestBody {
    body: BoxBody,
    _request_body: Rc<RefCell<Payload>>,
}

impl MessageBody for HoldingRequestBody {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> actix_web::body::BodySize {
        self.body.size()
    }

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.body).poll_next(cx)
    }
}

fn holding(response: ServiceResponse<BoxBody>, request_body: Rc<RefCell<Payload>>) -> ServiceResponse<BoxBody> {
    response.map_body(|_, body| HoldingRequestBody { body, _request_body: request_body }.boxed())
}

/// The middleware: wrap every request's body in [`Limited`].
pub async fn limit_body(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let deadline = req.app_data::<BodyDeadline>().map_or(Duration::from_secs(10), |d| d.0);
    let stats = req.app_data::<Data<HttpStats>>().cloned();
    let payload = req.take_payload();
    if matches!(payload, Payload::None) {
        // No body (a GET): nothing to bound.
        req.set_payload(payload);
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let original = Rc::new(RefCell::new(payload));
    if declared_length(&req).is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        if let Some(stats) = &stats {
            stats.bodies_too_large.fetch_add(1, Ordering::Relaxed);
        }
        let response = ApiError::PayloadTooLarge { limit_bytes: MAX_BODY_BYTES }.error_response();
        return Ok(holding(req.into_response(response), original));
    }
    let limited = Limited {
        inner: original.clone(),
        read: 0,
        deadline: Box::pin(tokio::time::sleep(deadline)),
        stats: stats.clone(),
        done: false,
    };
    req.set_payload(Payload::Stream { payload: Box::pin(limited) });
    Ok(holding(next.call(req).await?.map_into_boxed_body(), original))
}

fn declared_length(req: &ServiceRequest) -> Option<u64> {
    req.headers().get(actix_web::http::header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// A request body that ends in an error past [`MAX_BODY_BYTES`] or past its deadline.
struct Limited {
    inner: Rc<RefCell<Payload>>,
    read: usize,
    deadline: Pin<Box<tokio::time::Sleep>>,
    stats: Option<Data<HttpStats>>,
    done: bool,
}

impl Stream for Limited {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let polled = Pin::new(&mut *self.inner.borrow_mut()).poll_next(cx);
        let item = match polled {
            Poll::Ready(Some(Ok(chunk))) => {
                self.read += chunk.len();
                if self.read > MAX_BODY_BYTES {
                    self.fail(|s| &s.bodies_too_large);
                    return Poll::Ready(Some(Err(PayloadError::Overflow)));
                }
                Some(Ok(chunk))
            }
            Poll::Ready(other) => other,
            Poll::Pending => {
                if self.deadline.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                self.fail(|s| &s.bodies_timed_out);
                let late = std::io::Error::new(std::io::ErrorKind::TimedOut, "the body did not arrive in time");
                return Poll::Ready(Some(Err(PayloadError::Io(late))));
            }
        };
        Poll::Ready(item)
    }
}

impl Limited {
    fn fail(&mut self, counter: fn(&HttpStats) -> &std::sync::atomic::AtomicU64) {
        self.done = true;
        if let Some(stats) = &self.stats {
            counter(stats).fetch_add(1, Ordering::Relaxed);
        }
    }
}
