//! `/status`, `/health` and `/readyz`: the fleet at a glance, liveness and readiness.

use actix_web::{get, web, HttpResponse};

use crate::api::access::{Authorized, Viewer};
use crate::api::connections::HttpStats;
use crate::api::views::{
    AlertsStatusView, AuthStatusView, FilesView, HealthView, HttpStatusView, LogsStatusView, NotifyStatusView,
    PollerView, ReachView, ReadyView, ReceiverStateView, ReceiverView, SnmpSocketsView, StatusSummaryView, StorageView,
    TcpStatusView,
};
use crate::api::AppState;
use crate::device::DeviceState;

/// How many devices are up, down and unknown, and the poller's work since start.
#[utoipa::path(operation_id = "getStatus", tag = "status", responses((status = 200, description = "Fleet summary", body = StatusSummaryView)))]
#[get("/status")]
pub async fn summary(_who: Authorized<Viewer>, state: web::Data<AppState>, http: web::Data<HttpStats>) -> HttpResponse {
    let devices = state.store.visit_devices(|_, live| (live.status.state, live.interfaces.len()));
    let count = |s: DeviceState| devices.iter().filter(|d| d.0 == s).count();
    let p = state.scheduler.stats().counts();
    HttpResponse::Ok().json(StatusSummaryView {
        devices: devices.len(),
        up: count(DeviceState::Up),
        snmp_down: count(DeviceState::SnmpDown),
        unreachable: count(DeviceState::Unreachable),
        down: devices.iter().filter(|d| d.0.is_down()).count(),
        unknown: count(DeviceState::Unknown),
        interfaces: devices.iter().map(|d| d.1).sum(),
        poller: PollerView {
            polls_total: p.polls_total,
            polls_failed: p.polls_failed,
            polls_late: p.polls_late,
            polls_over_deadline: p.polls_over_deadline,
            polls_panicked: p.polls_panicked,
            nudges_deferred: p.nudges_deferred,
            interface_samples_total: p.interface_samples_total,
            samples_dropped: p.samples_dropped,
        },
        reach: reach_status(state.reach.counts()),
        tasks_restarted: crate::supervisor::restarts(),
        logs: logs_status(&state),
        storage: storage_status(state.store.storage_status()),
        files: FilesView {
            open_limit: crate::open_files::open_limit(),
            devices_supported: crate::open_files::devices_supported(crate::open_files::open_limit()),
        },
        snmp_sockets: snmp_sockets_status(crate::snmp::socket_pool::stats()),
        http: http_status(&http),
        auth: auth_status(state.auth.counts()),
        notify: notify_status(state.notifier.stats()),
        alerts: alerts_status(state.alerts.stats()),
        receivers: state.receivers.snapshot().into_iter().map(receiver_status).collect(),
        remote_write: state.remote_write.status().into_iter().map(Into::into).collect(),
        role: state.role.name().to_string(),
        pollers: state.pollers.list().into_iter().map(Into::into).collect(),
        shard: shard_status(&state),
    })
}

fn shard_status(state: &AppState) -> Option<crate::api::views::poller::ShardStatusView> {
    use std::sync::atomic::Ordering::Relaxed;
    let (crate::config::cluster::Role::Poller(settings), Some(feed)) = (&state.role, &state.shard_feed) else {
        return None;
    };
    Some(crate::api::views::poller::ShardStatusView {
        shard: settings.shard.to_string(),
        devices: feed.devices.load(Relaxed),
        last_fetch_at: Some(feed.last_fetch_at.load(Relaxed)).filter(|&at| at > 0),
        fetches_failed: feed.fetches_failed.load(Relaxed),
        stream_connected: feed.stream_connected.load(Relaxed),
        stream_reconnects: feed.stream_reconnects.load(Relaxed),
    })
}

fn snmp_sockets_status(s: crate::snmp::socket_pool::SocketStats) -> SnmpSocketsView {
    SnmpSocketsView { open: s.open, stray_datagrams: s.stray_datagrams, sends_dropped: s.sends_dropped }
}

fn receiver_status(r: crate::logs::receivers::ReceiverState) -> ReceiverView {
    ReceiverView {
        name: r.name.to_string(),
        address: r.address.to_string(),
        state: if r.listening { ReceiverStateView::Listening } else { ReceiverStateView::Failed },
        error: r.error,
        next_retry_at: r.next_retry_at,
        failed_attempts: r.failed_attempts,
    }
}

fn alerts_status(s: crate::alerts::AlertStats) -> AlertsStatusView {
    AlertsStatusView {
        rules: s.rules,
        maintenance_windows: s.windows,
        open_incidents: s.open_incidents,
        tracked_conditions: s.tracked_conditions,
        events_lost: s.events_lost,
        conditions_refused: s.conditions_refused,
    }
}

fn notify_status(s: crate::notify::NotifyStats) -> NotifyStatusView {
    NotifyStatusView {
        queued: s.queued,
        delivered: s.delivered,
        failed: s.failed,
        dropped: s.dropped,
        retrying: s.retrying,
        pending: s.pending,
        pending_bytes: s.pending_bytes,
        max_bytes: s.max_bytes,
        attempts_failed: s.attempts_failed,
        channels: s.channels,
    }
}

fn reach_status(c: crate::reach::ReachCounts) -> ReachView {
    use crate::reach::IcmpMode;
    let name = |mode: Option<&IcmpMode>| mode.map_or("starting", IcmpMode::name).to_string();
    let reason = c.modes.as_ref().and_then(|(v4, v6)| match (v4, v6) {
        (IcmpMode::Unavailable { reason }, _) | (_, IcmpMode::Unavailable { reason }) => Some(reason.clone()),
        _ => None,
    });
    ReachView {
        mode4: name(c.modes.as_ref().map(|m| &m.0)),
        mode6: name(c.modes.as_ref().map(|m| &m.1)),
        reason,
        rounds_total: c.rounds_total,
        rounds_silent: c.rounds_silent,
        rounds_deferred: c.rounds_deferred,
        resolve_failures: c.resolve_failures,
        max_in_flight: crate::reach::MAX_IN_FLIGHT,
    }
}

fn auth_status(c: crate::auth::AuthCounts) -> AuthStatusView {
    AuthStatusView {
        enabled: c.enabled,
        users: c.users,
        tokens: c.tokens,
        sessions: c.sessions,
        failed_logins: c.failed_logins,
        rate_limited: c.rate_limited,
    }
}

fn http_status(s: &HttpStats) -> HttpStatusView {
    let read = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
    HttpStatusView {
        workers: s.limits.workers,
        connections: read(&s.connections),
        max_connections: s.limits.max_connections,
        sse_streams: read(&s.sse_streams),
        max_sse_streams: s.limits.max_sse_streams,
        max_sse_streams_per_address: s.limits.max_sse_streams_per_address,
        sse_buffer_bytes: s.limits.sse_buffer_bytes,
        sse_dropped: read(&s.sse_dropped),
        sse_refused: read(&s.sse_refused),
        bodies_too_large: read(&s.bodies_too_large),
        bodies_timed_out: read(&s.bodies_timed_out),
    }
}

fn logs_status(state: &AppState) -> LogsStatusView {
    let c = &state.sink.counters;
    let read = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
    let queue = state.sink.usage();
    let memory = state.store.log_memory();
    let limits = &state.log_limits;
    LogsStatusView {
        syslog_received: read(&c.syslog.received),
        syslog_malformed: read(&c.syslog.malformed),
        syslog_truncated: read(&c.syslog.truncated),
        traps_received: read(&c.traps.received),
        traps_malformed: read(&c.traps.malformed),
        traps_v3_unknown_user: read(&c.traps_v3.unknown_user),
        traps_v3_not_authentic: read(&c.traps_v3.not_authentic),
        dropped: read(&c.dropped),
        stored: read(&c.stored),
        dropped_bytes: read(&c.dropped_bytes),
        queue_entries: queue.entries as u64,
        queue_bytes: queue.bytes as u64,
        queue_max_bytes: queue.max_bytes as u64,
        memory_entries: memory.entries as u64,
        memory_bytes: memory.bytes as u64,
        memory_max_bytes: memory.max_bytes as u64,
        memory_evicted: memory.evicted,
        memory_clipped: memory.clipped,
        query_budget_ms: limits.query_budget.as_millis() as u64,
        tcp: TcpStatusView {
            open: read(&c.tcp.open),
            accepted: read(&c.tcp.accepted),
            refused: read(&c.tcp.refused),
            evicted: read(&c.tcp.evicted),
            closed_idle: read(&c.tcp.closed_idle),
            closed_deadline: read(&c.tcp.closed_deadline),
            frames_cut: read(&c.tcp.frames_cut),
            buffered_bytes: read(&c.tcp.buffered_bytes),
            max_peers: limits.tcp.max_peers as u64,
            max_peers_per_addr: limits.tcp.max_peers_per_addr as u64,
            idle_secs: limits.tcp.idle.as_secs(),
            frame_secs: limits.tcp.frame_deadline.as_secs(),
        },
    }
}

fn storage_status(s: crate::store::StorageStatus) -> StorageView {
    StorageView {
        write_errors: s.write_errors,
        last_write_error: s.last_write_error,
        last_write_error_at: s.last_write_error_at,
        sealed_files: s.sealed_files,
        sealed_lines: s.sealed_lines,
        sealed_torn_tails: s.sealed_torn_tails,
        samples_files_open: s.samples_files_open,
        samples_files_max_open: s.samples_files_max_open,
        samples_files_reopened: s.samples_files_reopened,
        latency_files_open: s.latency_files_open,
        latency_files_max_open: s.latency_files_max_open,
        latency_files_reopened: s.latency_files_reopened,
    }
}

/// Answers while the server runs.
#[utoipa::path(operation_id = "getHealth", tag = "status", responses((status = 200, description = "Alive", body = HealthView)))]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    health_answer(&state)
}

/// The same as `/api/v1/health`, where load balancers and container probes look first.
#[utoipa::path(operation_id = "getRootHealth", tag = "status", responses((status = 200, description = "Alive", body = HealthView)))]
#[get("/health")]
pub async fn root_health(state: web::Data<AppState>) -> HttpResponse {
    health_answer(&state)
}

fn health_answer(state: &AppState) -> HttpResponse {
    HttpResponse::Ok().json(HealthView {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        uptime_secs: state.started.elapsed().as_secs(),
    })
}

/// Ready to serve: the store is loaded and every receiver has tried to listen (one that could not
/// is retried in the background and shown in `/status`; it does not make Vigie unready).
#[utoipa::path(operation_id = "getReadiness", tag = "status", responses(
    (status = 200, description = "Ready", body = ReadyView),
    (status = 503, description = "Still starting, or stopping", body = ReadyView),
))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let status = state.readiness.state();
    let ready = status == "ready";
    let view = ReadyView { ready, status: status.into() };
    if ready {
        HttpResponse::Ok().json(view)
    } else {
        HttpResponse::ServiceUnavailable().json(view)
    }
}
