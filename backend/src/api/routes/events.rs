//! `/events`: a server-sent-events stream of new samples and status changes, shared by every
//! viewer: a device is polled once whoever watches.

use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{get, web, HttpResponse};
use tokio::sync::broadcast::error::RecvError;

use crate::api::error::ApiErrorBody;
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
pub async fn stream(state: web::Data<AppState>, query: QueryParams<EventsQuery>) -> HttpResponse {
    let only = query.0.device_id;
    let receiver = state.store.subscribe();
    let keep_alive = tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
    let events = futures_util::stream::unfold((receiver, keep_alive), move |(mut receiver, mut keep_alive)| {
        let only = only.clone();
        async move {
            loop {
                let frame = tokio::select! {
                    event = receiver.recv() => match event {
                        Ok(event) => encode(&event, only.as_deref()),
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
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(events)
}

/// One SSE frame, or None when the event is filtered out.
fn encode(event: &StoreEvent, only: Option<&str>) -> Option<String> {
    let (name, device_id, data) = match event {
        StoreEvent::Sample { device_id, timestamp, rates } => {
            ("sample", device_id, serde_json::to_string(&SampleEvent::new(device_id, *timestamp, rates)))
        }
        StoreEvent::Log(entry) => {
            if only.is_some_and(|only| entry.entry.device_id.as_ref().is_none_or(|d| d.0 != only)) {
                return None;
            }
            let data = serde_json::to_string(&LogEntryView::from(entry.clone())).expect("events serialize");
            return Some(format!("event: log\ndata: {data}\n\n"));
        }
        StoreEvent::Status { device_id, status } => (
            "status",
            device_id,
            serde_json::to_string(&StatusEvent { device_id: device_id.0.clone(), status: StatusView::from(status) }),
        ),
    };
    if only.is_some_and(|only| only != device_id.0) {
        return None;
    }
    Some(format!("event: {name}\ndata: {}\n\n", data.expect("events serialize")))
}
