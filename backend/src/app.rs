//! Wiring only: open the store, start the pollers and the HTTP server, and shut down in order
//! (stop HTTP, cancel pollers and await them, flush the store).

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpServer};
use tokio_util::sync::CancellationToken;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::{self, AppState};
use crate::config::Config;
use crate::logs::syslog_listener::Context;
use crate::logs::trap_users::TrapUsers;
use crate::logs::{Attribution, Sink};
use crate::poller::Scheduler;
use crate::store::Store;
use crate::supervisor;

const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(5);
const RETENTION_EVERY: Duration = Duration::from_secs(600);

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("HTTP server failed: {0}")]
    Http(std::io::Error),
    #[error("cannot start the pollers' runtime: {0}")]
    Pollers(std::io::Error),
    #[error("demo devices: {0}")]
    Demo(#[from] crate::sim::SimError),
    #[error("access control: {0}")]
    Auth(#[from] crate::auth::AuthError),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("notifications: {0}")]
    Notify(String),
    #[error("alerting: {0}")]
    Alerts(String),
    #[error("history: {0}")]
    History(String),
    #[error(transparent)]
    RemoteWrite(#[from] crate::export::ExportError),
    #[error("poller feed: {0}")]
    Feed(String),
}

pub async fn run(config: Config) -> Result<(), AppError> {
    crate::allocator::return_large_blocks();
    crate::open_files::set_kept_files_bounds(config.max_open_samples_files, config.max_open_latency_files);
    crate::open_files::raise_to_hard_limit();
    let store = Arc::new(Store::open(&config.data_dir, config.retention)?);
    store.set_max_open_samples_files(config.max_open_samples_files);
    store.set_max_open_latency_files(config.max_open_latency_files);
    let auth = open_auth(&config)?;
    crate::open_files::check_fleet(store.device_count());
    store.set_log_memory_bytes(config.logs.memory_bytes);
    let sink = Sink::with_max_bytes(config.logs.queue_bytes);
    // Before the pollers start: it reads the system's TLS roots, which takes a moment.
    let notifier = Arc::new(open_notifier(&config, sink.clone()).await?);
    let scheduler = Arc::new(Scheduler::new(store.clone(), sink.clone()).map_err(AppError::Pollers)?);
    let role = config.role.clone();
    if !role.polls() {
        scheduler.hold();
        log::info!("Role primary: this Vigie polls nothing; its sharded pollers do.");
    }
    // Remote-write before the pollers, so that their first polls are sent; it stops after them.
    let remote_write = Arc::new(crate::export::RemoteWrite::open(&config.remote_write, &config.data_dir)?);
    if let Some(handoff) = remote_write.handoff() {
        store.export_to(handoff);
    }
    let export_stop = CancellationToken::new();
    let exporting = remote_write.start(&export_stop)?;
    // Demo agents first, so that the pollers start with their current ports.
    let demo = if config.demo { Some(crate::demo::start(&store).await?) } else { None };
    // A poller starts with the share it polled last, until its primary answers.
    scheduler.start_all();
    let reach = role.polls().then(|| {
        crate::reach::Reach::start(
            store.clone(),
            scheduler.writer(),
            scheduler.runtime(),
            crate::reach::ProbePlan::default(),
            scheduler.device_changes(),
        )
    });
    let background = CancellationToken::new();
    let retention = {
        let (store, cancel) = (store.clone(), background.clone());
        supervisor::spawn("retention task", background.clone(), move || {
            enforce_retention(store.clone(), cancel.clone())
        })
    };
    let auth_sync = {
        let (auth, cancel) = (auth.clone(), background.clone());
        supervisor::spawn("auth file watcher", background.clone(), move || sync_auth(auth.clone(), cancel.clone()))
    };
    let delivery = {
        let (notifier, cancel) = (notifier.clone(), background.clone());
        supervisor::spawn("notification worker", background.clone(), move || notifier.clone().run(cancel.clone()))
    };
    let alerts = Arc::new(open_alerts(&config, &store, &notifier, &sink).await?);
    let alerting = {
        let (alerts, cancel) = (alerts.clone(), background.clone());
        supervisor::spawn("alerting", background.clone(), move || alerts.clone().run(cancel.clone()))
    };
    let mut tasks = vec![retention, auth_sync, delivery, alerting];
    // A poller follows its primary's devices and reports back.
    let shard_feed = match &role {
        crate::config::cluster::Role::Poller(settings) => {
            let (feed, started) = crate::shard::start_poller(settings, &store, &scheduler, &remote_write, &background)
                .map_err(AppError::Feed)?;
            tasks.extend(started);
            Some(feed)
        }
        _ => None,
    };
    // The log writer stops last, after the pollers, so their last events are written.
    let writer_stop = CancellationToken::new();
    let writer = {
        let (sink, store, stop) = (sink.clone(), store.clone(), writer_stop.clone());
        supervisor::spawn("log writer", writer_stop.clone(), move || {
            sink.clone().run_writer(store.clone(), stop.clone())
        })
    };
    let receivers = Context {
        sink: sink.clone(),
        attribution: Arc::new(Wiring { store: store.clone(), scheduler: scheduler.clone() }),
    };
    // Vigie's SNMP engine (for SNMPv3 INFORMs) and the trap users of the file and of the API.
    let engine = crate::store::snmp_engine::start_engine(&config.data_dir)?;
    let receiver = Arc::new(crate::logs::traps_v3::V3Receiver::new(engine, &[]));
    let trap_user_file = crate::store::trap_users::TrapUserFile::open(&config.data_dir)?;
    let trap_users = web::Data::new(TrapUsers::new(config.trap_users.clone(), trap_user_file, receiver));
    let receiver_board = Arc::new(crate::logs::receivers::ReceiverBoard::default());
    let addrs = crate::logs::receivers::ReceiverAddrs {
        syslog_udp: config.syslog_udp,
        syslog_tcp: config.syslog_tcp,
        trap_udp: config.trap_udp,
        tcp_limits: config.logs.tcp,
    };
    tasks.extend(crate::logs::receivers::start(&addrs, &trap_users, &receivers, &receiver_board, &background));

    let history = Arc::new(open_history(&config, &store)?);
    let readiness = Arc::new(api::Readiness::default());
    let ui = web::Data::new(api::ui::Ui::new(config.ui_dir.clone()));
    let cors_origins = config.cors_origins.clone();
    let state = web::Data::new(AppState {
        auth: auth.clone(),
        cookie_secure: config.auth.cookie_secure,
        cors_origins: cors_origins.clone(),
        notifier,
        alerts,
        store: store.clone(),
        sink: sink.clone(),
        scheduler: scheduler.clone(),
        reach: reach.as_ref().map_or_else(Default::default, |r| r.stats()),
        started: Instant::now(),
        log_limits: config.logs,
        readiness: readiness.clone(),
        receivers: receiver_board,
        history,
        remote_write,
        role: role.clone(),
        tls: config.tls.is_some(),
        pollers: Arc::default(),
        shard_feed,
    });
    let limits = config.http.clone();
    let stats = web::Data::new(api::connections::HttpStats::new(limits.clone()));
    let streams = web::Data::new(api::sse::SseRegistry::new(stats.clone()));
    // `http.workers` threads (one by default); `http.max_connections` is shared out between them.
    let workers = limits.workers;
    let body_deadline = api::body_limit::BodyDeadline(Duration::from_secs(limits.body_timeout_secs));
    let server = HttpServer::new({
        let (stats, streams) = (stats.clone(), streams.clone());
        move || {
            // Swagger UI and the spec first: the /api/v1 scope would otherwise claim the spec's path.
            let (app, _) = App::new()
                .service(web::redirect("/docs", "/docs/"))
                .service(SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", api::openapi()))
                .into_utoipa_app()
                .openapi(api::base_document())
                .app_data(state.clone())
                .app_data(stats.clone())
                .app_data(streams.clone())
                .app_data(trap_users.clone())
                .app_data(body_deadline)
                .configure(api::configure)
                .split_for_parts();
            app.wrap(actix_web::middleware::from_fn(api::access::authenticate))
                // Outside authentication: a poller answers 404 for what it does not serve.
                .wrap(actix_web::middleware::from_fn(api::role_gate::serve_by_role))
                .wrap(actix_web::middleware::from_fn(api::body_limit::limit_body))
                .wrap(cors(&cors_origins))
                // gzip, br or zstd when the client asks (the event stream opts out, see events.rs).
                .wrap(actix_web::middleware::Compress::default())
                .app_data(ui.clone())
                .default_service(web::to(api::ui::fallback))
        }
    })
    .on_connect({
        let stats = stats.clone().into_inner();
        move |connection, data| api::connections::on_connect(&stats, connection, data)
    })
    .workers(workers)
    .max_connections(limits.max_connections.div_ceil(workers))
    .client_request_timeout(Duration::from_secs(limits.request_timeout_secs))
    .shutdown_timeout(SHUTDOWN_DEADLINE.as_secs())
    // SIGTERM and SIGINT are ours (stop_on_signal): open event streams end first.
    .disable_signals();
    let listen_error = |source| AppError::Listen { addr: config.listen, source };
    let (server, scheme) = match &config.tls {
        Some(tls) => {
            (server.bind_rustls_0_23(config.listen, crate::tls::server_config(tls)?).map_err(listen_error)?, "https")
        }
        None => (server.bind(config.listen).map_err(listen_error)?, "http"),
    };
    let access = if config.auth.enabled { "access control on" } else { "access control OFF (loopback only)" };
    log::info!("Vigie listens on {scheme}://{} with data in {}; {access}.", config.listen, config.data_dir.display());
    readiness.set_ready();
    let server = server.run();
    let stopper = tokio::spawn(stop_on_signal(server.handle(), streams, readiness));
    server.await.map_err(AppError::Http)?;
    stopper.abort();

    log::info!("Stopping: HTTP closed; stopping pollers.");
    let stopping = std::time::Instant::now();
    background.cancel();
    if let Some(reach) = reach {
        reach.shutdown(SHUTDOWN_DEADLINE).await;
    }
    scheduler.shutdown(SHUTDOWN_DEADLINE).await;
    if let Some(demo) = demo {
        demo.shutdown().await;
    }
    for task in tasks {
        let _ = task.await;
    }
    export_stop.cancel();
    for task in exporting {
        let _ = tokio::time::timeout(SHUTDOWN_DEADLINE, task).await;
    }
    writer_stop.cancel();
    let _ = tokio::time::timeout(SHUTDOWN_DEADLINE, writer).await;
    let stopped = stopping.elapsed();
    let flushing = store.clone();
    match tokio::task::spawn_blocking(move || flushing.flush()).await {
        Ok(flushed) => flushed?,
        Err(e) => log::error!("Flushing the store failed: {e}"),
    }
    log::info!(
        "Stopped; the store is flushed ({:.1} s to stop the tasks, {:.1} s to flush).",
        stopped.as_secs_f64(),
        (stopping.elapsed() - stopped).as_secs_f64()
    );
    Ok(())
}

/// At SIGTERM or SIGINT: marks the server unready, ends every event stream (actix's graceful stop
/// would wait its whole deadline for these endless responses), and stops HTTP gracefully.
async fn stop_on_signal(
    server: actix_web::dev::ServerHandle,
    streams: web::Data<api::sse::SseRegistry>,
    readiness: Arc<api::Readiness>,
) {
    use tokio::signal::unix::{signal, SignalKind};
    let (mut term, mut int) = match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(term), Ok(int)) => (term, int),
        (Err(e), _) | (_, Err(e)) => {
            log::error!("Cannot listen for SIGTERM and SIGINT ({e}): stop Vigie with SIGKILL.");
            return;
        }
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    log::info!("{name} received: ending the event streams and stopping HTTP.");
    readiness.set_stopping();
    streams.shut_down();
    server.stop(true).await;
}

/// Lets the receivers name devices and interfaces, and nudge a device's poller.
struct Wiring {
    store: Arc<Store>,
    scheduler: Arc<Scheduler>,
}

impl Attribution for Wiring {
    fn device_for(&self, addr: std::net::IpAddr) -> Option<crate::device::DeviceId> {
        self.store.device_for_addr(addr)
    }

    fn interface_name(&self, device: &crate::device::DeviceId, if_index: u32) -> Option<String> {
        self.store.interface_name(device, if_index)
    }

    fn link_changed(&self, device: &crate::device::DeviceId) {
        self.scheduler.poll_now(device);
    }
}

/// CORS for an SPA hosted elsewhere: only the configured origins (none by default). Such a
/// page authenticates with a token: the session cookie is `SameSite=Strict`.
fn cors(origins: &[String]) -> actix_cors::Cors {
    origins
        .iter()
        .fold(actix_cors::Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "POST", "PATCH", "DELETE"])
        .allowed_headers([
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::HeaderName::from_static("x-csrf-token"),
        ])
        .max_age(3600)
}

/// The alert channels and the deliveries left pending at the last stop (read on a blocking thread).
async fn open_notifier(config: &Config, sink: Arc<Sink>) -> Result<crate::notify::Notifier, AppError> {
    let (dir, settings) = (config.data_dir.clone(), config.notify.clone());
    let opened = tokio::task::spawn_blocking(move || crate::notify::Notifier::open(&dir, settings, sink)).await;
    Ok(opened.map_err(|e| AppError::Notify(e.to_string()))??)
}

/// Alert rules, maintenance windows and the incidents open at the last stop.
async fn open_alerts(
    config: &Config,
    store: &Arc<Store>,
    notifier: &Arc<crate::notify::Notifier>,
    sink: &Arc<Sink>,
) -> Result<crate::alerts::Alerts, AppError> {
    let (dir, store, notifier, sink) = (config.data_dir.clone(), store.clone(), notifier.clone(), sink.clone());
    let opened = tokio::task::spawn_blocking(move || {
        crate::alerts::Alerts::open(&dir, store, notifier, sink, crate::alerts::TICK)
    })
    .await;
    Ok(opened.map_err(|e| AppError::Alerts(e.to_string()))??)
}

/// Users and tokens from `auth.json`; on first start with access control on, the first admin,
/// whose password is logged this once (and written to `initial-admin-password`).
fn open_auth(config: &Config) -> Result<Arc<crate::auth::Auth>, AppError> {
    let file = crate::store::auth_file::AuthFile::new(&config.data_dir);
    let auth =
        crate::auth::Auth::open(file, config.auth.enabled, config.auth.sessions, Arc::new(crate::auth::SystemClock))?;
    if let Some(password) = auth.ensure_first_admin()? {
        log::warn!(
            "No user existed: created user admin with the password {} (also in {}, mode 0600); it must be changed at first login.",
            password.expose(),
            auth.file().initial_password_path().display()
        );
    }
    Ok(Arc::new(auth))
}

/// Re-reads `auth.json` when `vigie user` (or anyone) changed it, and writes last logins and
/// token uses a few seconds after the first one: nothing wakes this task while neither happens.
/// Where the file cannot be watched (no inotify), it looks every few seconds instead.
async fn sync_auth(auth: Arc<crate::auth::Auth>, cancel: CancellationToken) {
    let every = Duration::from_secs(crate::auth::SYNC_EVERY_SECS);
    let mut watch = crate::file_watch::FileWatch::new(auth.file_path())
        .map_err(|e| log::warn!("auth.json cannot be watched ({e}); it is looked at every {every:?} instead."))
        .ok();
    let mut last_error = None;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            changed = file_changed(watch.as_ref(), every) => if let Err(e) = changed {
                log::warn!("auth.json can no longer be watched ({e}); it is looked at every {every:?} instead.");
                watch = None;
            },
            // A burst of logins and token uses is written once.
            _ = auth.uses_recorded() => tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(every) => {}
            },
        }
        let auth = auth.clone();
        let outcome = tokio::task::spawn_blocking(move || auth.sync()).await;
        let error = match outcome {
            Ok(Ok(true)) => {
                log::info!("Users and tokens re-read: auth.json changed on disk.");
                None
            }
            Ok(Ok(false)) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(e) => Some(e.to_string()),
        };
        if error.is_some() && error != last_error {
            log::error!("Cannot sync users and tokens with auth.json: {}", error.as_deref().unwrap_or_default());
        }
        last_error = error;
    }
    let _ = tokio::task::spawn_blocking(move || auth.sync()).await;
}

async fn file_changed(watch: Option<&crate::file_watch::FileWatch>, every: Duration) -> std::io::Result<()> {
    match watch {
        Some(watch) => watch.changed().await,
        None => {
            tokio::time::sleep(every).await;
            Ok(())
        }
    }
}

async fn enforce_retention(store: Arc<Store>, cancel: CancellationToken) {
    let mut every = tokio::time::interval(RETENTION_EVERY);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = every.tick() => {}
        }
        let store = store.clone();
        match tokio::task::spawn_blocking(move || store.enforce_retention()).await {
            Ok(0) => {}
            Ok(freed) => log::info!("Retention removed {freed} bytes of expired samples and rollups."),
            Err(e) => log::error!("Retention task failed: {e}"),
        }
    }
}

/// The history backend: the store's files, or the TSDB named by `[history]`.
fn open_history(config: &Config, store: &Arc<Store>) -> Result<crate::history::History, AppError> {
    use crate::history::{History, PromqlHistory};
    let Some(settings) = &config.history else { return Ok(History::Local(store.clone())) };
    let promql = PromqlHistory::new(store.clone(), settings).map_err(AppError::History)?;
    log::info!(
        "History (traffic, latency, counters) is read by PromQL from {} (timeout {} s).",
        settings.url,
        settings.timeout.as_secs()
    );
    Ok(History::Promql(Box::new(promql)))
}
