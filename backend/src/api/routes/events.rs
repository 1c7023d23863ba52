//! `/events`: a server-sent-events stream of new samples and status changes, shared by every
//! viewer: a device is polled once whoever watches.

use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::api::access::{Authorized, Viewer};
use crate::api::error::{ApiError, ApiErrorBody};
use crate::api::extract::QueryParams;
use crate::api::sse::{self, SseRegistry};
use crate::api::views::{DeviceEvent, EventsQuery, IncidentView, LogEntryView, SampleEvent, StatusEvent, StatusView};
use crate::api::AppState;
use crate::store::StoreEvent;

/// Live events as `text/event-stream`: `event: sample` (data: SampleEvent) after every poll that
/// answered, `event: device` (data: DeviceEvent: that poll's totals for a device's row, without
/// the interfaces), `event: status` (data: StatusEvent) when a device's state (up, snmp_down, unreachable, unknown) or its reason changes, `event: log`
/// (data: LogEntryView) for every new log entry, `event: alert` (data: IncidentView, its
/// `deliveries` empty) when an incident opens, changes or resolves. The `data:` of every event is one line of JSON
/// described by the `EventData` schema; a comment line (`: keep-alive`) comes every 15 s. Streams
/// are bounded in number, in total and per client address, and a client that stops reading is
/// cut once the events waiting for it pass its buffer.
#[utoipa::path(operation_id = "streamEvents", tag = "events",
    params(EventsQuery),
    responses(
        (status = 200, description = "An endless `text/event-stream`. Each event is an `event:` line naming its kind \
            (sample, device, status, log or alert) and a `data:` line holding one JSON document of the `EventData` schema \
            (components/schemas/EventData: a SampleEvent, DeviceEvent, StatusEvent, LogEntryView or IncidentView respectively).",
            body = String, content_type = "text/event-stream"),
        (status = 400, description = "A query parameter is invalid", body = ApiErrorBody),
        (status = 429, description = "Too many streams are open from this client's address", body = ApiErrorBody),
        (status = 503, description = "Too many streams are open", body = ApiErrorBody),
    )
)]
#[get("/events")]
pub async fn stream(
    who: Authorized<Viewer>,
    req: HttpRequest,
    state: web::Data<AppState>,
    streams: web::Data<SseRegistry>,
    query: QueryParams<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = Filter::parse(query.0)?;
    let encode = Box::new(move |e: &StoreEvent| filter.encode(e));
    sse::respond(&req, &streams, &state.store, &state.auth, &who.principal.via, encode)
}

/// Which events one listener wants.
#[derive(Clone)]
struct Filter {
    device_id: Option<String>,
    types: [bool; 5],
}

const TYPES: [&str; 5] = ["sample", "status", "log", "alert", "device"];
/// Where `device` is in [`TYPES`].
const DEVICE: usize = 4;

impl Filter {
    fn parse(query: EventsQuery) -> Result<Filter, ApiError> {
        let types = match query.types {
            None => [true; 5],
            Some(list) => {
                let mut types = [false; 5];
                for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    let i = TYPES.iter().position(|t| *t == name).ok_or_else(|| ApiError::InvalidParameter {
                        param: "types".into(),
                        reason: format!("'{name}' is not one of {}", TYPES.join(", ")),
                    })?;
                    types[i] = true;
                }
                if types == [false; 5] {
                    return Err(ApiError::InvalidParameter {
                        param: "types".into(),
                        reason: format!("must name at least one of {}", TYPES.join(", ")),
                    });
                }
                types
            }
        };
        Ok(Filter { device_id: query.device_id, types })
    }

    /// The SSE frames of one event (a poll may give both `sample` and `device`), or None when
    /// the event is filtered out.
    fn encode(&self, event: &StoreEvent) -> Option<String> {
        let device_id = match event {
            StoreEvent::Sample { device_id, .. } | StoreEvent::Status { device_id, .. } => Some(device_id),
            StoreEvent::Log(entry) => entry.entry.device_id.as_ref(),
            StoreEvent::Alert(incident) => Some(&incident.device_id),
            // Echo rounds feed alerting; the stream shows their outcome as `status`.
            StoreEvent::Echo { .. } | StoreEvent::Devices => return None,
        };
        if self.device_id.as_ref().is_some_and(|only| device_id.is_none_or(|d| &d.0 != only)) {
            return None;
        }
        let frame = |kind: usize, data: serde_json::Result<String>| {
            format!("event: {}\ndata: {}\n\n", TYPES[kind], data.expect("events serialize"))
        };
        let frames: Vec<String> = match event {
            StoreEvent::Sample { device_id, timestamp, rates, totals } => {
                let sample = self.types[0]
                    .then(|| frame(0, serde_json::to_string(&SampleEvent::new(device_id, *timestamp, rates, totals))));
                let row = self.types[DEVICE]
                    .then(|| frame(DEVICE, serde_json::to_string(&DeviceEvent::new(device_id, *timestamp, totals))));
                sample.into_iter().chain(row).collect()
            }
            StoreEvent::Status { device_id, status } if self.types[1] => {
                let event = StatusEvent { device_id: device_id.0.clone(), status: StatusView::from(status) };
                vec![frame(1, serde_json::to_string(&event))]
            }
            StoreEvent::Log(entry) if self.types[2] => {
                vec![frame(2, serde_json::to_string(&LogEntryView::from(entry.clone())))]
            }
            // Deliveries are not known yet when an incident changes: GET /alerts/{id} has them.
            StoreEvent::Alert(incident) if self.types[3] => {
                vec![frame(3, serde_json::to_string(&IncidentView::new((**incident).clone(), Vec::new())))]
            }
            _ => Vec::new(),
        };
        (!frames.is_empty()).then(|| frames.concat())
    }
}
