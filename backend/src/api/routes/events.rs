//! `/events`: a server-sent-events stream of new samples and status changes, shared by every
//! viewer: a device is polled once whoever watches.

use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{get, web, HttpResponse};
use tokio::sync::broadcast::error::RecvError;

use crate::api::error::{ApiError, ApiErrorBody};
use crate::api::extract::QueryParams;
use crate::api::views::{EventData, EventsQuery, LogEntryView, SampleEvent, StatusEvent, StatusView};
use crate::api::AppState;
use crate::store::StoreEvent;

/// A comment line now and then keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Live events as `text/event-stream`: `event: sample` (data: SampleEvent) after every poll that
/// answered, `event: status` (data: StatusEvent) when a device goes up or down, `event: log`
/// (data: LogEntryView) for every new log entry.
#[utoipa::path(operation_id = "streamEvents", tag = "events",
    params(EventsQuery),
    responses(
        (status = 200, description = "An endless stream; each `data:` line is one JSON SampleEvent, StatusEvent or LogEntryView",
            body = EventData, content_type = "text/event-stream"),
        (status = 400, description = "A query parameter is invalid", body = ApiErrorBody),
    )
)]
#[get("/events")]
pub async fn stream(state: web::Data<AppState>, query: QueryParams<EventsQuery>) -> Result<HttpResponse, ApiError> {
    let filter = Filter::parse(query.0)?;
    let receiver = state.store.subscribe();
    let keep_alive = tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
    let events = futures_util::stream::unfold((receiver, keep_alive), move |(mut receiver, mut keep_alive)| {
        let filter = filter.clone();
        async move {
            loop {
                let frame = tokio::select! {
                    event = receiver.recv() => match event {
                        Ok(event) => filter.encode(&event),
                        Err(RecvError::Lagged(_)) => None,
                        Err(RecvError::Closed) => return None,
                    },
                    _ = keep_alive.tick() => Some(": keep-alive\n\n".to_string()),
                };
                if let Some(frame) = frame {
                    return Some((Ok::<_, actix_web::Error>(Bytes::from(frame)), (receiver, keep_alive)));
                }
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(events))
}

/// Which events one listener wants.
#[derive(Clone)]
struct Filter {
    device_id: Option<String>,
    types: [bool; 3],
}

const TYPES: [&str; 3] = ["sample", "status", "log"];

impl Filter {
    fn parse(query: EventsQuery) -> Result<Filter, ApiError> {
        let types = match query.types {
            None => [true; 3],
            Some(list) => {
                let mut types = [false; 3];
                for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    let i = TYPES.iter().position(|t| *t == name).ok_or_else(|| ApiError::InvalidParameter {
                        param: "types".into(),
                        reason: format!("'{name}' is not one of sample, status, log"),
                    })?;
                    types[i] = true;
                }
                types
            }
        };
        Ok(Filter { device_id: query.device_id, types })
    }

    /// One SSE frame, or None when the event is filtered out.
    fn encode(&self, event: &StoreEvent) -> Option<String> {
        let (kind, device_id) = match event {
            StoreEvent::Sample { device_id, .. } => (0, Some(device_id)),
            StoreEvent::Status { device_id, .. } => (1, Some(device_id)),
            StoreEvent::Log(entry) => (2, entry.entry.device_id.as_ref()),
        };
        if !self.types[kind] || self.device_id.as_ref().is_some_and(|only| device_id.is_none_or(|d| &d.0 != only)) {
            return None;
        }
        let data = match event {
            StoreEvent::Sample { device_id, timestamp, rates } => {
                serde_json::to_string(&SampleEvent::new(device_id, *timestamp, rates))
            }
            StoreEvent::Status { device_id, status } => {
                serde_json::to_string(&StatusEvent { device_id: device_id.0.clone(), status: StatusView::from(status) })
            }
            StoreEvent::Log(entry) => serde_json::to_string(&LogEntryView::from(entry.clone())),
        };
        Some(format!("event: {}\ndata: {}\n\n", TYPES[kind], data.expect("events serialize")))
    }
}
