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
use crate::logs::syslog_listener::{self, Context};
use crate::logs::trap_users::TrapUsers;
use crate::logs::{traps, Attribution, Sink};
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
}

pub async fn run(config: Config) -> Result<(), AppError> {
    crate::open_files::raise_to_hard_limit();
    let store = Arc::new(Store::open(&config.data_dir, config.retention)?);
    let auth = open_auth(&config)?;
    crate::open_files::check_fleet(store.device_count());
    store.set_log_memory_bytes(config.logs.memory_bytes);
    let sink = Sink::with_max_bytes(config.logs.queue_bytes);
    // Before the pollers start: it reads the system's TLS roots, which takes a moment.
    let notifier = Arc::new(open_notifier(&config, sink.clone()).await?);
    let scheduler = Arc::new(Scheduler::new(store.clone(), sink.clone()).map_err(AppError::Pollers)?);
    // Demo agents first, so that the pollers start with their current ports.
    let demo = if config.demo { Some(crate::demo::start(&store).await?) } else { None };
    scheduler.start_all();
    let reach = crate::reach::Reach::start(
        store.clone(),
        sink.clone(),
        scheduler.runtime(),
        crate::reach::ProbePlan::default(),
    );
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
    tasks.extend(start_receivers(&config, &trap_users, &receivers, &background).await?);

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
        reach: reach.stats(),
        started: Instant::now(),
        log_limits: config.logs,
        readiness: readiness.clone(),
    });
    let limits = config.http.clone();
    let stats = web::Data::new(api::connections::HttpStats::new(limits.clone()));
    let streams = web::Data::new(api::sse::SseRegistry::new(stats.clone()));
    // One HTTP worker per core; `http.max_connections` is shared out between them.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let body_deadline = api::body_limit::BodyDeadline(Duration::from_secs(limits.body_timeout_secs));
    let server = HttpServer::new({
        let stats = stats.clone();
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
                .wrap(actix_web::middleware::from_fn(api::body_limit::limit_body))
                .wrap(cors(&cors_origins))
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
    .shutdown_timeout(SHUTDOWN_DEADLINE.as_secs());
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
    server.run().await.map_err(AppError::Http)?;

    log::info!("Stopping: HTTP closed; stopping pollers.");
    background.cancel();
    reach.shutdown(SHUTDOWN_DEADLINE).await;
    scheduler.shutdown(SHUTDOWN_DEADLINE).await;
    if let Some(demo) = demo {
        demo.shutdown().await;
    }
    for task in tasks {
        let _ = task.await;
    }
    writer_stop.cancel();
    let _ = tokio::time::timeout(SHUTDOWN_DEADLINE, writer).await;
    let flushing = store.clone();
    match tokio::task::spawn_blocking(move || flushing.flush()).await {
        Ok(flushed) => flushed?,
        Err(e) => log::error!("Flushing the store failed: {e}"),
    }
    log::info!("Stopped; the store is flushed.");
    Ok(())
}

/// Binds the syslog and trap receivers that are turned on and starts them, each supervised: a
/// receiver that panics starts again on a duplicate of the same socket.
async fn start_receivers(
    config: &Config,
    trap_users: &TrapUsers,
    ctx: &Context,
    cancel: &CancellationToken,
) -> Result<Vec<tokio::task::JoinHandle<()>>, AppError> {
    let mut tasks = Vec::new();
    if let Some(addr) = config.syslog_udp {
        let socket = bind(addr, std::net::UdpSocket::bind)?;
        log::info!("Syslog over UDP on {addr}.");
        let run = syslog_listener::run_udp;
        tasks.push(spawn_receiver("syslog receiver (UDP)", socket, tokio::net::UdpSocket::from_std, run, ctx, cancel));
    }
    if let Some(addr) = config.syslog_tcp {
        let listener = bind(addr, std::net::TcpListener::bind)?;
        log::info!("Syslog over TCP on {addr}.");
        let limits = config.logs.tcp;
        let run = move |listener, ctx, cancel| syslog_listener::run_tcp(listener, ctx, limits, cancel);
        tasks.push(spawn_receiver(
            "syslog receiver (TCP)",
            listener,
            tokio::net::TcpListener::from_std,
            run,
            ctx,
            cancel,
        ));
    }
    if let Some(addr) = config.trap_udp {
        let socket = bind(addr, std::net::UdpSocket::bind)?;
        let v3 = trap_users.receiver().clone();
        log::info!("SNMP traps on UDP {addr} ({} SNMPv3 trap users).", trap_users.list().len());
        let run = move |socket, ctx, cancel| traps::run(socket, ctx, v3.clone(), cancel);
        tasks.push(spawn_receiver("trap receiver", socket, tokio::net::UdpSocket::from_std, run, ctx, cancel));
    }
    Ok(tasks)
}

/// Runs `run` on a Tokio socket made from `socket`, under supervision: after a panic, again on
/// a duplicate of the same socket.
fn spawn_receiver<S, T, Fut>(
    name: &'static str,
    socket: S,
    into_tokio: fn(S) -> std::io::Result<T>,
    run: impl Fn(T, Context, CancellationToken) -> Fut + Send + Sync + 'static,
    ctx: &Context,
    cancel: &CancellationToken,
) -> tokio::task::JoinHandle<()>
where
    S: Reopen + Send + Sync + 'static,
    T: Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (socket, run) = (Arc::new(socket), Arc::new(run));
    let (ctx, stop) = (ctx.clone(), cancel.clone());
    supervisor::spawn(name, cancel.clone(), move || {
        let (socket, run, ctx, stop) = (socket.clone(), run.clone(), ctx.clone(), stop.clone());
        async move {
            if let Some(socket) = reopen(&*socket, into_tokio, &stop).await {
                run(socket, ctx, stop).await
            }
        }
    })
}

/// A socket of the standard library, bound and non-blocking, kept so that a restarted receiver
/// gets a duplicate of it.
fn bind<S: Reopen>(
    addr: std::net::SocketAddr,
    bind: impl FnOnce(std::net::SocketAddr) -> std::io::Result<S>,
) -> Result<S, AppError> {
    let listen_error = |source| AppError::Listen { addr, source };
    let socket = bind(addr).map_err(listen_error)?;
    socket.set_nonblocking(true).map_err(listen_error)?;
    Ok(socket)
}

/// Bound sockets that can be duplicated (`dup`) for a restarted receiver.
trait Reopen: Sized {
    fn set_nonblocking(&self, on: bool) -> std::io::Result<()>;
    fn try_clone(&self) -> std::io::Result<Self>;
}

impl Reopen for std::net::UdpSocket {
    fn set_nonblocking(&self, on: bool) -> std::io::Result<()> {
        std::net::UdpSocket::set_nonblocking(self, on)
    }
    fn try_clone(&self) -> std::io::Result<Self> {
        std::net::UdpSocket::try_clone(self)
    }
}

impl Reopen for std::net::TcpListener {
    fn set_nonblocking(&self, on: bool) -> std::io::Result<()> {
        std::net::TcpListener::set_nonblocking(self, on)
    }
    fn try_clone(&self) -> std::io::Result<Self> {
        std::net::TcpListener::try_clone(self)
    }
}

/// A Tokio socket over a duplicate of `socket`, for a receiver (re)starting. Duplicating a
/// bound descriptor fails only when the process is out of descriptors: then it tries again
/// every second until it can, or until `stop`.
async fn reopen<S: Reopen, T>(
    socket: &S,
    into_tokio: impl Fn(S) -> std::io::Result<T>,
    stop: &CancellationToken,
) -> Option<T> {
    loop {
        match socket.try_clone().and_then(&into_tokio) {
            Ok(socket) => return Some(socket),
            Err(e) => log::error!("A receiver cannot reopen its socket ({e}); trying again in a second."),
        }
        tokio::select! {
            _ = stop.cancelled() => return None,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
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

/// Every few seconds: re-reads `auth.json` after `vigie user` changed it, and writes last
/// logins and token uses.
async fn sync_auth(auth: Arc<crate::auth::Auth>, cancel: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(crate::auth::SYNC_EVERY_SECS));
    let mut last_error = None;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = every.tick() => {}
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
