//! The bot's HTTP face: a hardened HTTP/1.1 server ([`serve`]) for the Telegram webhook and the
//! operator's internal endpoints ([`internal_router`]: `/healthz`, `/readyz`, `/metrics`), and the
//! process-wide Prometheus recorder ([`metrics_handle`], [`describe_metrics`]).
//!
//! Why not `axum::serve`: it has no header or body timeouts and no connection cap, so a few
//! hundred clients that open a socket and say nothing (or trickle bytes) hold memory and file
//! descriptors forever, and a shutdown waits on them forever. [`serve`] drives hyper's HTTP/1
//! connections itself and bounds every phase of a connection's life; see [`ServeLimits`].
//!
//! This module names no teloxide type: the webhook route is built in `telegram::webhook` and
//! handed to [`serve`] as a plain [`axum::Router`].

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// How long each phase of a connection may last, and how many connections are served at once.
///
/// Every connection is bounded in time whatever the client does:
/// - before a request's head is complete (a fresh connection, or a kept-alive one between
///   requests) by [`header_timeout`](Self::header_timeout);
/// - while its body arrives by [`body_timeout`](Self::body_timeout), which is also how long a
///   response write may make no progress (a client that stops reading);
/// - while handlers run by the handlers themselves (ours all answer within a few seconds);
/// - after shutdown by [`shutdown_grace`](Self::shutdown_grace).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServeLimits {
    /// How long a client may take to send a complete request head, counted from the moment the
    /// connection is accepted or the previous response was written. It also ends idle
    /// keep-alive connections: hyper restarts this timer after every response. Default 10 s:
    /// Telegram and Prometheus send their headers in one packet, so 10 s only matters to a
    /// client on a very bad link, while a half-open or slowloris client is dropped quickly.
    pub header_timeout: Duration,
    /// How long a client may take to send the whole body, counted from the end of the head (a
    /// total deadline, not a per-read one, so a body trickled a byte at a time is cut off as
    /// surely as a stalled one); the client gets 408. Also the longest a response write may
    /// stall. Default 10 s: a 1 MiB body at 1 Mbit/s takes 8 s.
    pub body_timeout: Duration,
    /// How many connections are served at once (at least 1). Default 256: Telegram opens at
    /// most 100 webhook connections (40 by default), leaving room for the operator's scrapers,
    /// while 256 × [`max_body_bytes`](Self::max_body_bytes) stays well within memory.
    pub max_connections: usize,
    /// The largest request body accepted; a larger one gets 413 before it is read (when its
    /// length is declared) or as soon as it passes the limit. Default 1 MiB: a Telegram update
    /// is a few kilobytes, and the webhook route has its own, tighter limit.
    pub max_body_bytes: usize,
    /// After shutdown, how long live connections get to finish the request they are on before
    /// they are dropped. Default 5 s: longer than any of our handlers, shorter than the 10 s a
    /// service manager usually waits before it kills the process.
    pub shutdown_grace: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 256,
            max_body_bytes: 1024 * 1024,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Serves `router` over HTTP/1.1 on `listener` until `shutdown` resolves, then stops accepting,
/// lets live connections finish their current request for up to
/// [`ServeLimits::shutdown_grace`], drops whatever remains and returns.
///
/// # The connection cap
///
/// At most [`ServeLimits::max_connections`] connections are served at once. When every slot is
/// taken and another client connects, the oldest connection that is not in the middle of a
/// request (it is still sending its head, or idle between keep-alive requests) is dropped to
/// make room; only when every slot is serving a request does the newcomer wait (in the kernel's
/// accept queue once the one connection this loop holds is taken) until a request finishes (its
/// connection, now idle, is evicted) or a connection closes.
///
/// Why evict rather than queue or refuse: under a slowloris flood every slot is held by a client
/// that never completes its head. Queuing newcomers behind them makes a real request wait until
/// every staller ahead of it has timed out (300 stallers over 32 slots at 10 s each is 90 s);
/// refusing newcomers refuses the real request outright. Evicting the oldest idle connection
/// costs a real client at most a reconnect of an idle keep-alive connection, serves a real
/// request as soon as its head arrives, and still caps memory and descriptors. A connection that
/// is serving a request is never evicted, and that state is bounded by `body_timeout` and the
/// handlers.
///
/// # Errors
///
/// None in practice: errors accepting a connection (a reset, or running out of descriptors) are
/// logged and retried rather than ending the server; the `io::Result` leaves room for callers
/// that treat the listener failing as fatal.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let table = Arc::new(ConnTable::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        // Request heads are small; 64 KiB (hyper's default is ~400 KiB) bounds what one
        // connection can make us buffer before its head is parsed (an overlong head gets 431).
        .max_buf_size(64 * 1024);
    let mut tasks = JoinSet::new();
    let mut shutdown = pin!(shutdown);

    loop {
        while tasks.try_join_next().is_some() {}
        let stream = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Most likely out of file descriptors: wait for some to be released.
                    log::warn!("http: cannot accept a connection: {e}");
                    tokio::select! {
                        biased;
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    }
                }
            },
        };
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = slot(&slots, &table) => match permit {
                Some(permit) => permit,
                // The semaphore is never closed; treat it as shutting down all the same.
                None => break,
            },
        };
        let _ = stream.set_nodelay(true);
        let conn = table.register();
        tasks.spawn(serve_connection(
            stream,
            permit,
            conn,
            router.clone(),
            limits.clone(),
            http.clone(),
            stop_rx.clone(),
        ));
    }

    // Stop accepting: clients still in the accept queue are refused rather than left hanging.
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        log::info!(
            "http: dropping {} connection(s) still open after the shutdown grace",
            tasks.len()
        );
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
    Ok(())
}

/// A connection slot for a newcomer: a free one, else the slot of the oldest idle connection
/// (evicted), else the first to free up or go idle, whichever comes first.
async fn slot(slots: &Arc<Semaphore>, table: &ConnTable) -> Option<OwnedSemaphorePermit> {
    if let Ok(permit) = slots.clone().try_acquire_owned() {
        return Some(permit);
    }
    let mut evicted = table.evict_oldest_idle();
    if !evicted {
        log::debug!("http: all connections busy; a new one waits for a slot");
    }
    loop {
        tokio::select! {
            permit = slots.clone().acquire_owned() => return permit.ok(),
            () = table.went_idle.notified(), if !evicted => {
                evicted = table.evict_oldest_idle();
            }
        }
    }
}

/// Errors that concern one connection (it was reset before we accepted it), not the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// One connection's task: serve it until it ends, is evicted, or the server shuts down (then ask
/// it to finish its current request; the caller drops it after the grace).
async fn serve_connection(
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    conn: ConnEntry,
    router: Router,
    limits: ServeLimits,
    http: hyper::server::conn::http1::Builder,
    mut stop: watch::Receiver<bool>,
) {
    let stall_limit = limits.body_timeout;
    let state = conn.state.clone();
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        handle(router.clone(), limits.clone(), state.clone(), req)
    });
    let io = TokioIo::new(WriteStallGuard::new(stream, stall_limit));
    let mut connection = pin!(http.serve_connection(io, service));
    // `biased`, connection first: a response that is ready gets written before an eviction
    // that arrived meanwhile is acted on.
    tokio::select! {
        biased;
        result = connection.as_mut() => {
            log_connection_end(result);
            return;
        }
        () = conn.state.evict.notified() => return,
        _ = stop.wait_for(|stopping| *stopping) => {}
    }
    connection.as_mut().graceful_shutdown();
    tokio::select! {
        biased;
        result = connection.as_mut() => log_connection_end(result),
        () = conn.state.evict.notified() => {}
    }
}

fn log_connection_end(result: Result<(), hyper::Error>) {
    if let Err(e) = result {
        // Timeouts, resets and malformed requests are the client's business, not ours.
        log::debug!("http: connection ended: {e}");
    }
}

/// One request, with its connection marked busy (not to be evicted) from the moment its head
/// is parsed until its response body has been handed to hyper in full.
async fn handle(
    router: Router,
    limits: ServeLimits,
    conn: Arc<ConnState>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let busy = Busy::enter(conn);
    let response = respond(router, limits, req).await;
    Ok(response.map(move |body| {
        Body::new(body.map_frame(move |frame| {
            let _still_busy = &busy;
            frame
        }))
    }))
}

/// Bounds the body in size and time, buffers it, then hands the request to the router.
///
/// Why buffer: every route we serve reads its whole (small) body anyway, and buffering here
/// puts the size and time limits in one place, ahead of any handler, for every route.
async fn respond(router: Router, limits: ServeLimits, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
    }
    let read = tokio::time::timeout(
        limits.body_timeout,
        Limited::new(body, limits.max_body_bytes).collect(),
    )
    .await;
    let bytes = match read {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
        }
        Ok(Err(e)) => {
            log::debug!("http: cannot read a request body: {e}");
            return refuse(StatusCode::BAD_REQUEST, "cannot read request body");
        }
        Err(_elapsed) => {
            return refuse(StatusCode::REQUEST_TIMEOUT, "request body too slow");
        }
    };
    match router
        .oneshot(Request::from_parts(parts, Body::from(bytes)))
        .await
    {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// A short plain-text error that also closes the connection: its body may be unread.
fn refuse(status: StatusCode, reason: &'static str) -> Response<Body> {
    let mut response = (status, format!("{reason}\n")).into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The live connections, oldest first, so the accept loop can evict the oldest idle one.
#[derive(Default)]
struct ConnTable {
    next_id: AtomicU64,
    live: Mutex<BTreeMap<u64, Arc<ConnState>>>,
    /// Signalled whenever a request ends, so a newcomer waiting for a slot can evict the
    /// connection that just went idle instead of waiting out its keep-alive.
    went_idle: Arc<Notify>,
}

/// What the accept loop knows of one connection.
struct ConnState {
    /// Requests being served (hyper serves one at a time on HTTP/1, so 0 or 1).
    in_flight: AtomicUsize,
    /// The table's [`ConnTable::went_idle`].
    went_idle: Arc<Notify>,
    /// Set once this connection was chosen for eviction, so it is not chosen twice.
    evicted: AtomicBool,
    /// Wakes the connection's task to drop it (a stored permit if the task is not waiting yet).
    evict: Notify,
}

/// A connection's place in the [`ConnTable`]; leaving it removes the connection.
struct ConnEntry {
    table: Arc<ConnTable>,
    id: u64,
    state: Arc<ConnState>,
}

impl ConnTable {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, Arc<ConnState>>> {
        // A panic elsewhere while holding the lock leaves the map consistent (every operation
        // is a single insert, remove or scan), so carry on with it.
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn register(self: &Arc<Self>) -> ConnEntry {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnState {
            in_flight: AtomicUsize::new(0),
            went_idle: self.went_idle.clone(),
            evicted: AtomicBool::new(false),
            evict: Notify::new(),
        });
        self.lock().insert(id, state.clone());
        ConnEntry {
            table: self.clone(),
            id,
            state,
        }
    }

    /// Asks the oldest connection that is not serving a request to close; false if every
    /// connection is serving one.
    fn evict_oldest_idle(&self) -> bool {
        let live = self.lock();
        for state in live.values() {
            if state.in_flight.load(Ordering::Acquire) == 0
                && !state.evicted.swap(true, Ordering::AcqRel)
            {
                state.evict.notify_one();
                return true;
            }
        }
        false
    }
}

impl Drop for ConnEntry {
    fn drop(&mut self) {
        self.table.lock().remove(&self.id);
    }
}

/// Marks a connection busy for as long as one request is being served.
struct Busy(Arc<ConnState>);

impl Busy {
    fn enter(conn: Arc<ConnState>) -> Self {
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(conn)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.went_idle.notify_one();
        }
    }
}

/// Fails a write, flush or shutdown that has made no progress for `limit`, so a client that
/// stops reading our responses cannot hold its connection forever. Reads pass through: hyper's
/// header timeout and [`handle`]'s body deadline bound them.
struct WriteStallGuard<T> {
    inner: T,
    limit: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<T> WriteStallGuard<T> {
    fn new(inner: T, limit: Duration) -> Self {
        Self {
            inner,
            limit,
            stalled: None,
        }
    }

    /// Called with the inner operation's result: progress resets the timer, a pending one
    /// starts it (or checks it), and a timer that ran out turns into an error.
    fn watch<R>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        match polled {
            Poll::Ready(result) => {
                self.stalled = None;
                Poll::Ready(result)
            }
            Poll::Pending => {
                let limit = self.limit;
                let timer = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client stopped reading",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteStallGuard<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteStallGuard<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(cx, polled)
    }
}

/// The readiness check the operator's probes run: resolves to `Err(reason)` when the bot cannot
/// serve (knowledge not loaded, database not answering).
pub type ReadinessCheck =
    dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync;

/// What `/readyz` reports: the readiness check, and whether the process is shutting down.
/// Cheap to clone; clones share the shutting-down flag.
#[derive(Clone)]
pub struct Health {
    check: Arc<ReadinessCheck>,
    shutting_down: Arc<AtomicBool>,
    check_timeout: Duration,
}

impl Health {
    /// How long `/readyz` waits for the check by default. A probe that hangs tells the
    /// orchestrator nothing, and probes themselves usually time out after 1 s.
    pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(1);

    pub fn new(
        check: impl Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        Self {
            check: Arc::new(check),
            shutting_down: Arc::new(AtomicBool::new(false)),
            check_timeout: Self::DEFAULT_CHECK_TIMEOUT,
        }
    }

    /// Bounds the readiness check by `timeout` instead of [`Self::DEFAULT_CHECK_TIMEOUT`].
    #[must_use]
    pub fn with_check_timeout(mut self, timeout: Duration) -> Self {
        self.check_timeout = timeout;
        self
    }

    /// From now on `/readyz` fails, so a load balancer stops sending traffic while the process
    /// drains. `/healthz` keeps answering: the process is still alive.
    pub fn set_shutting_down(&self) {
        self.shutting_down.store(true, Ordering::Release);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// Runs the readiness check, bounded by the timeout; `Err` is a one-line reason.
    ///
    /// The check runs as its own task so that a check that panics is reported as a failure
    /// rather than taking the probe's connection down with it.
    pub async fn ready(&self) -> Result<(), String> {
        if self.is_shutting_down() {
            return Err("shutting down".into());
        }
        let mut task = tokio::spawn((self.check)());
        match tokio::time::timeout(self.check_timeout, &mut task).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(reason))) => Err(one_line(&reason)),
            Ok(Err(_join)) => Err("readiness check failed to run".into()),
            Err(_elapsed) => {
                task.abort();
                Err("timed out".into())
            }
        }
    }
}

/// A reason fit for a one-line probe answer: no line breaks, at most 200 characters.
fn one_line(reason: &str) -> String {
    let flat: String = reason
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect();
    if flat.is_empty() {
        "not ready".into()
    } else {
        flat
    }
}

/// The operator's endpoints: `GET /healthz` (200 while the process runs), `GET /readyz` (200 when
/// the readiness check passes and the process is not shutting down, else 503 with the reason)
/// and `GET /metrics` (Prometheus text format, from [`metrics_handle`]).
pub fn internal_router(health: Health) -> Router {
    let metrics = metrics_handle();
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/readyz",
            get(move || {
                let health = health.clone();
                async move {
                    match health.ready().await {
                        Ok(()) => (StatusCode::OK, "ready\n".to_string()),
                        Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")),
                    }
                }
            }),
        )
        .route(
            "/metrics",
            get(move || {
                let metrics = metrics.clone();
                async move {
                    (
                        [(
                            header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        metrics.render(),
                    )
                }
            }),
        )
}

/// Histogram buckets, in seconds: replies take milliseconds when the answer is local and
/// seconds when Telegram is slow or pacing holds them back.
const SECONDS_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How often histogram samples are folded in when nobody scrapes, so they cannot pile up.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process-wide Prometheus recorder's handle, installing the recorder on first use.
///
/// Why a `OnceLock`: the `metrics` facade takes one global recorder per process, and both the
/// bot and the tests (many servers in one test process) ask for it; every call after the first
/// returns the same handle. If some other recorder was installed first, ours is not installed:
/// that is logged and `/metrics` renders only what ours saw (nothing).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = match PrometheusBuilder::new().set_buckets(&SECONDS_BUCKETS) {
                Ok(builder) => builder,
                Err(e) => {
                    log::warn!("metrics: histograms render as summaries: {e}");
                    PrometheusBuilder::new()
                }
            };
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if let Err(e) = metrics::set_global_recorder(recorder) {
                log::warn!("metrics: another recorder is installed, /metrics stays empty: {e}");
            }
            describe_all();
            // Without the exporter's HTTP listener nobody runs upkeep for us; a thread (rather
            // than a task) works whether or not a Tokio runtime is around.
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_EVERY);
                        upkeep.run_upkeep();
                    }
                });
            if let Err(e) = spawned {
                log::warn!("metrics: no upkeep thread, histograms fold in on scrape only: {e}");
            }
            handle
        })
        .clone()
}

/// Installs the recorder if need be ([`metrics_handle`]) and describes every metric the bot
/// records, so `/metrics` carries `# HELP` lines for them. Call it at start-up, before anything
/// is recorded: whatever is recorded before a recorder is installed is lost.
pub fn describe_metrics() {
    let _ = metrics_handle();
    describe_all();
}

/// The descriptions, given to whichever recorder is installed. Labels, for reference when
/// recording:
/// - `bot_updates_total{kind}`
/// - `bot_answers_total{outcome="answered|abstained|command"}`
/// - `bot_telegram_requests_total{method, outcome="ok|429|403|400|5xx|network|other"}`
/// - `bot_broadcast_sends_total{outcome}`, `bot_unsubscribes_total{reason}`
/// - `bot_knowledge_reloads_total{result}`
/// - `bot_webhook_requests_total{outcome="ok|unauthorized|malformed|too_large|busy"}`
fn describe_all() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "bot_updates_total",
        "Updates received from Telegram, by kind."
    );
    describe_counter!(
        "bot_answers_total",
        "Messages handled, by outcome: answered, abstained or command."
    );
    describe_histogram!(
        "bot_reply_seconds",
        Unit::Seconds,
        "Time from receiving a message to the reply being sent."
    );
    describe_counter!(
        "bot_telegram_requests_total",
        "Bot API requests, by method and outcome (ok, 429, 403, 400, 5xx, network, other)."
    );
    describe_counter!(
        "bot_retry_after_seconds_total",
        Unit::Seconds,
        "Seconds Telegram asked us to wait (retry_after), summed."
    );
    describe_gauge!("bot_outbox_due", "Outbox messages due to be sent now.");
    describe_gauge!(
        "bot_outbox_oldest_due_seconds",
        Unit::Seconds,
        "How long the oldest due outbox message has been waiting."
    );
    describe_counter!(
        "bot_broadcast_sends_total",
        "Broadcast messages sent to subscribers, by outcome."
    );
    describe_counter!(
        "bot_unsubscribes_total",
        "Chats unsubscribed, by reason (the user asked, the bot was blocked, the chat is gone)."
    );
    describe_counter!(
        "bot_knowledge_reloads_total",
        "Knowledge reloads, by result."
    );
    describe_counter!(
        "bot_shed_updates_total",
        "Updates dropped unanswered because the bot was overloaded."
    );
    describe_counter!(
        "bot_webhook_requests_total",
        "Webhook requests, by outcome (ok, unauthorized, malformed, too_large, busy)."
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn one_line_flattens_and_bounds_reasons() {
        assert_eq!(one_line("db\nlocked\r\n  now"), "db locked now");
        assert_eq!(one_line("  \n"), "not ready");
        assert_eq!(one_line(&"x".repeat(500)).len(), 200);
    }

    #[test]
    fn defaults_are_sane() {
        let d = ServeLimits::default();
        assert!(d.header_timeout > Duration::ZERO && d.body_timeout > Duration::ZERO);
        assert!(d.max_connections >= 100, "Telegram may open up to 100");
        assert!(d.shutdown_grace < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn a_write_that_stalls_fails_after_the_limit() {
        // A 16-byte pipe nobody reads: the second write can never complete.
        let (client, _server_end_unread) = tokio::io::duplex(16);
        let mut guarded = WriteStallGuard::new(client, Duration::from_millis(100));
        let err = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Err(e) = guarded.write_all(&[0u8; 64]).await {
                    return e;
                }
            }
        })
        .await
        .expect("the guard fires long before the test's timeout");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn writes_that_progress_do_not_time_out() {
        let (client, mut server) = tokio::io::duplex(16);
        let mut guarded = WriteStallGuard::new(client, Duration::from_millis(200));
        let reader = tokio::spawn(async move {
            let mut sink = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut server, &mut sink).await?;
            Ok::<usize, io::Error>(sink.len())
        });
        for _ in 0..50 {
            guarded
                .write_all(&[1u8; 8])
                .await
                .expect("progressing write");
        }
        guarded.shutdown().await.expect("shutdown");
        drop(guarded);
        let read = reader.await.expect("reader task").expect("reader");
        assert_eq!(read, 400);
    }

    #[test]
    fn eviction_picks_the_oldest_idle_connection() {
        let table = Arc::new(ConnTable::default());
        let busy = table.register();
        let idle_old = table.register();
        let idle_new = table.register();
        let _guard = Busy::enter(busy.state.clone());
        assert!(table.evict_oldest_idle());
        assert!(idle_old.state.evicted.load(Ordering::Acquire));
        assert!(!busy.state.evicted.load(Ordering::Acquire));
        assert!(!idle_new.state.evicted.load(Ordering::Acquire));
        assert!(table.evict_oldest_idle());
        assert!(idle_new.state.evicted.load(Ordering::Acquire));
        assert!(!table.evict_oldest_idle(), "only the busy one is left");
        drop(idle_old);
        assert_eq!(table.lock().len(), 2);
    }
}
