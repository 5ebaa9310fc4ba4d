//! The hardened HTTP server, the operator's endpoints and our webhook route, over real sockets
//! on 127.0.0.1: slow and stalled clients, body limits, shutdown, secrets, backpressure.
//!
//! Every wait is on an event (a response, a closed socket, a task ending) under a generous
//! deadline, so the tests hold on a busy 2-core machine; the deadlines are what they assert.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use futures_core::Stream;
use teloxide::types::Update;
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use trade_talks_bot::http::{Health, ServeLimits, internal_router, metrics_handle, serve};
use trade_talks_bot::telegram::webhook::{MAX_UPDATE_BYTES, webhook};

/// The longest any single expected event may take on a loaded machine.
const WAIT: Duration = Duration::from_secs(10);

const SECRET: &str = "s3cret-token_1";

fn update_json(id: u32, text: &str) -> String {
    format!(
        r#"{{"update_id":{id},"message":{{"message_id":1,"date":0,"chat":{{"id":5,"type":"private","first_name":"A"}},"from":{{"id":5,"is_bot":false,"first_name":"A"}},"text":"{text}"}}}}"#
    )
}

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(router: Router, limits: ServeLimits) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        Self::start_until(router, limits, Some(stop), async {
            let _ = stopped.await;
        })
        .await
    }

    async fn start_until(
        router: Router,
        limits: ServeLimits,
        stop: Option<oneshot::Sender<()>>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let handle = tokio::spawn(serve(listener, router, limits, shutdown));
        Self { addr, stop, handle }
    }

    /// Signals shutdown and returns how long `serve` took to return.
    async fn shut_down(mut self, within: Duration) -> Duration {
        let started = Instant::now();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(within, &mut self.handle)
            .await
            .unwrap_or_else(|_| panic!("serve did not return within {within:?} of shutdown"))
            .expect("serve task did not panic")
            .expect("serve returned Ok");
        started.elapsed()
    }
}

fn limits(header: Duration, body: Duration, max_connections: usize) -> ServeLimits {
    ServeLimits {
        header_timeout: header,
        body_timeout: body,
        max_connections,
        max_body_bytes: 1000,
        shutdown_grace: Duration::from_secs(1),
    }
}

fn healthy() -> Health {
    Health::new(|| Box::pin(async { Ok(()) }))
}

/// A router with `POST /echo` answering the body's length, beside the operator's endpoints.
fn echo_router() -> Router {
    internal_router(healthy()).route(
        "/echo",
        post(|body: axum::body::Bytes| async move { format!("{}", body.len()) }),
    )
}

/// Sends `raw` on a fresh connection and reads until the server closes it (or `WAIT` passes);
/// returns what was read, even if the connection was reset after it.
async fn exchange(addr: SocketAddr, raw: impl AsRef<[u8]>) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(raw.as_ref()).await.expect("send request");
    read_until_closed(&mut stream, WAIT).await
}

async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> String {
    let deadline = tokio::time::Instant::now() + within;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "connection still open after {within:?}; read so far: {:?}",
                String::from_utf8_lossy(&out)
            ),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A `Connection: close` request with an optional body.
fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    out.push_str(body);
    out.into_bytes()
}

fn status(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"))
}

fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

/// Resolves once the server has closed `stream` (EOF or reset); panics after `within`.
async fn wait_closed(stream: &mut TcpStream, within: Duration) {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(_)) => continue,
            Err(_) => panic!("the server kept the connection open for {within:?}"),
        }
    }
}

async fn next_update<L>(stream: &mut L) -> Option<Update>
where
    L: Stream<Item = Result<Update, std::convert::Infallible>> + Unpin,
{
    tokio::time::timeout(
        WAIT,
        std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)),
    )
    .await
    .expect("the listener yields within the deadline")
    .map(|item| match item {
        Ok(update) => update,
        Err(never) => match never {},
    })
}

// --- slow clients and the connection cap --------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_clients_do_not_starve_a_real_request() {
    // Long header timeout: only the connection cap's eviction can make room in time.
    let server = Server::start(
        echo_router(),
        limits(Duration::from_secs(60), Duration::from_secs(60), 32),
    )
    .await;
    // The listen backlog is 128: without room being made, connecting itself stalls.
    let stallers = tokio::time::timeout(WAIT, async {
        let mut stallers = Vec::new();
        for _ in 0..300 {
            let mut s = TcpStream::connect(server.addr).await.expect("connect");
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")
                .await
                .expect("partial head");
            stallers.push(s);
        }
        stallers
    })
    .await
    .expect("300 clients connect while others stall");

    let started = Instant::now();
    let response = tokio::time::timeout(
        Duration::from_secs(5),
        exchange(server.addr, &request("GET", "/healthz", &[], "")),
    )
    .await
    .expect("the real request is answered within 5 s of 300 stallers");
    assert_eq!(status(&response), 200, "{response}");
    assert_eq!(body(&response), "ok\n");
    eprintln!("real request answered in {:?}", started.elapsed());

    // The cap held: all but at most 32 stallers were dropped to make room.
    let closed = Arc::new(AtomicUsize::new(0));
    let changed = Arc::new(Notify::new());
    let mut watchers = Vec::new();
    for mut s in stallers {
        let closed = closed.clone();
        let changed = changed.clone();
        watchers.push(tokio::spawn(async move {
            let mut buf = [0u8; 64];
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => continue,
                }
            }
            closed.fetch_add(1, Ordering::SeqCst);
            changed.notify_one();
        }));
    }
    let enough = 300 - 32;
    tokio::time::timeout(WAIT, async {
        while closed.load(Ordering::SeqCst) < enough {
            changed.notified().await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "only {} of 300 stallers were dropped; the cap is 32",
            closed.load(Ordering::SeqCst)
        )
    });
    for w in watchers {
        w.abort();
    }
    server.shut_down(WAIT).await;
}

/// Opens a connection whose request is being served: the server asked for its body (it sent
/// 100 Continue), so its handler is running and the connection is busy.
async fn busy_connection(addr: SocketAddr, body_len: usize) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /echo HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: {body_len}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.expect("head");
    let mut buf = [0u8; 256];
    let n = tokio::time::timeout(WAIT, s.read(&mut buf))
        .await
        .expect("100 Continue in time")
        .expect("read");
    let got = String::from_utf8_lossy(&buf[..n]);
    assert!(got.starts_with("HTTP/1.1 100"), "{got:?}");
    s
}

/// Reads one keep-alive response whose body ends with `tail`.
async fn read_response(stream: &mut TcpStream, tail: &str) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if text.contains("\r\n\r\n") && text.ends_with(tail) {
            return text;
        }
        let n = tokio::time::timeout(WAIT, stream.read(&mut buf))
            .await
            .expect("response in time")
            .expect("read");
        assert!(n > 0, "closed before the response: {text:?}");
        got.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_client_gets_the_slot_of_a_connection_that_goes_idle() {
    // Both slots busy, and keep-alive idling would last 60 s.
    let server = Server::start(
        echo_router(),
        limits(Duration::from_secs(60), Duration::from_secs(60), 2),
    )
    .await;
    let mut first = busy_connection(server.addr, 2).await;
    let _second = busy_connection(server.addr, 2).await;
    let newcomer = tokio::spawn(exchange(server.addr, request("GET", "/healthz", &[], "")));
    // Give the server a moment to take the newcomer in and find nothing to evict (without
    // this pause the test still passes, it just checks less).
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The first request completes; its connection stays open, idle between requests.
    first.write_all(b"hi").await.expect("body");
    let response = read_response(&mut first, "\r\n\r\n2").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response:?}");

    // Its slot goes to the newcomer now, not when its keep-alive runs out.
    let r = tokio::time::timeout(Duration::from_secs(5), newcomer)
        .await
        .expect("the newcomer is served within 5 s")
        .expect("no panic");
    assert_eq!(status(&r), 200, "{r}");
    wait_closed(&mut first, WAIT).await;
    server.shut_down(WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_partial_clients_are_dropped_after_the_header_timeout() {
    let server = Server::start(
        echo_router(),
        limits(Duration::from_secs(1), Duration::from_secs(60), 32),
    )
    .await;
    let started = Instant::now();
    let mut silent = TcpStream::connect(server.addr).await.expect("connect");
    let mut partial = TcpStream::connect(server.addr).await.expect("connect");
    partial
        .write_all(b"POST /echo HTTP/1.1\r\nHost: te")
        .await
        .expect("partial head");
    wait_closed(&mut silent, Duration::from_secs(6)).await;
    wait_closed(&mut partial, Duration::from_secs(6)).await;
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "dropped before the header timeout: {:?}",
        started.elapsed()
    );
    server.shut_down(WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_are_closed() {
    let server = Server::start(
        echo_router(),
        limits(Duration::from_secs(1), Duration::from_secs(60), 32),
    )
    .await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("request");
    // Read the whole keep-alive response (it is small: one read or a few).
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&got).ends_with("ok\n") {
        let n = tokio::time::timeout(WAIT, stream.read(&mut buf))
            .await
            .expect("response in time")
            .expect("read");
        assert!(
            n > 0,
            "closed before the response: {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"));
    // Now idle between requests: the header timeout ends it.
    wait_closed(&mut stream, Duration::from_secs(6)).await;
    server.shut_down(WAIT).await;
}

// --- shutdown ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_returns_within_the_grace_whatever_clients_do() {
    // Timeouts far beyond the test: only the shutdown grace can end these clients.
    let server = Server::start(
        echo_router(),
        limits(Duration::from_secs(120), Duration::from_secs(120), 64),
    )
    .await;
    let mut clients = Vec::new();
    for i in 0..30 {
        let mut s = TcpStream::connect(server.addr).await.expect("connect");
        match i % 3 {
            0 => {}
            1 => s
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: te")
                .await
                .expect("partial head"),
            _ => s
                .write_all(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 500\r\n\r\nabc")
                .await
                .expect("partial body"),
        }
        clients.push(s);
    }
    // A request in flight when shutdown comes (its body is being read): it must be answered.
    let mut in_flight = busy_connection(server.addr, 5).await;

    let Server {
        addr,
        stop,
        mut handle,
    } = server;
    let started = Instant::now();
    if let Some(s) = stop {
        let _ = s.send(());
    }
    // Shutdown has begun once the listener is gone (connections are refused).
    tokio::time::timeout(WAIT, async {
        while TcpStream::connect(addr).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the server stops accepting");
    // The in-flight request finishes inside the grace.
    in_flight.write_all(b"hello").await.expect("rest of body");
    let rest = read_until_closed(&mut in_flight, WAIT).await;
    assert!(rest.contains("HTTP/1.1 200"), "{rest:?}");
    assert!(rest.ends_with("\r\n\r\n5"), "{rest:?}");

    tokio::time::timeout(WAIT, &mut handle)
        .await
        .expect("serve returns")
        .expect("no panic")
        .expect("Ok");
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(1 + 2),
        "serve returned {took:?} after shutdown; the grace is 1 s"
    );
    for mut c in clients {
        wait_closed(&mut c, Duration::from_secs(2)).await;
    }
}

// --- bodies -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_get_413() {
    let server = Server::start(
        echo_router(),
        limits(Duration::from_secs(5), Duration::from_secs(5), 32),
    )
    .await;
    let at_limit = "x".repeat(1000);
    let ok = exchange(server.addr, &request("POST", "/echo", &[], &at_limit)).await;
    assert_eq!(status(&ok), 200, "{ok}");
    assert_eq!(body(&ok), "1000");

    // Declared too large: refused before the body is sent.
    let declared = exchange(
        server.addr,
        b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5000\r\n\r\n",
    )
    .await;
    assert_eq!(status(&declared), 413, "{declared}");

    // Chunked, so the size shows only while reading.
    let chunk = "y".repeat(600);
    let chunked = format!(
        "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n{chunk}\r\n258\r\n{chunk}\r\n0\r\n\r\n"
    );
    let response = exchange(server.addr, chunked.as_bytes()).await;
    assert_eq!(status(&response), 413, "{response}");
    server.shut_down(WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_is_cut_off() {
    let server = Server::start(
        echo_router(),
        limits(Duration::from_secs(5), Duration::from_secs(1), 32),
    )
    .await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n")
        .await
        .expect("head");
    // A byte every 200 ms: each read makes progress, so only a total deadline stops it; the
    // whole body would take 20 s.
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let mut closed = false;
    while started.elapsed() < Duration::from_secs(8) {
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) if got.is_empty() => {
                if stream.write_all(b"z").await.is_err() {
                    closed = true;
                    break;
                }
            }
            Err(_) => {}
        }
    }
    let elapsed = started.elapsed();
    assert!(closed, "still open after {elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(1 + 3),
        "cut off only after {elapsed:?}"
    );
    let response = String::from_utf8_lossy(&got);
    assert!(
        response.is_empty() || response.starts_with("HTTP/1.1 408"),
        "{response:?}"
    );
    server.shut_down(WAIT).await;
}

// --- the webhook --------------------------------------------------------------------------

fn webhook_limits() -> ServeLimits {
    ServeLimits {
        max_body_bytes: 2 * MAX_UPDATE_BYTES,
        ..ServeLimits::default()
    }
}

fn post_update(body: &str, secret: Option<&str>) -> Vec<u8> {
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(secret) = secret {
        headers.push(("X-Telegram-Bot-Api-Secret-Token", secret));
    }
    request("POST", "/hook", &headers, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_checks_the_secret_and_drops_bad_input() {
    let metrics = metrics_handle();
    let (mut listener, router) = webhook("/hook".into(), SECRET.into(), 16);
    let server = Server::start(router, webhook_limits()).await;
    let addr = server.addr;
    let valid = update_json(1, "hi");

    for secret in [
        None,
        Some("wrong"),
        Some("s3cret-token_"),
        Some("s3cret-token_2"),
    ] {
        let r = exchange(addr, &post_update(&valid, secret)).await;
        assert_eq!(status(&r), 401, "secret {secret:?}: {r}");
    }
    for bad in [
        "{not json",
        "",
        "[1,2]",
        r#"{"hello":"world"}"#,
        r#"{"update_id":3,"brand_new_kind":{}}"#,
    ] {
        let r = exchange(addr, &post_update(bad, Some(SECRET))).await;
        assert_eq!(status(&r), 200, "{bad:?}: {r}");
    }
    let too_big = format!("{{\"pad\":\"{}\"}}", "p".repeat(MAX_UPDATE_BYTES));
    let r = exchange(addr, &post_update(&too_big, Some(SECRET))).await;
    assert_eq!(status(&r), 413, "{r}");
    let r = exchange(addr, &request("GET", "/hook", &[], "")).await;
    assert_eq!(status(&r), 405, "{r}");
    let r = exchange(
        addr,
        request(
            "POST",
            "/other",
            &[("X-Telegram-Bot-Api-Secret-Token", SECRET)],
            &valid,
        ),
    )
    .await;
    assert_eq!(status(&r), 404, "{r}");

    let r = exchange(addr, &post_update(&update_json(2, "hello"), Some(SECRET))).await;
    assert_eq!(status(&r), 200, "{r}");

    // Nothing rejected or dropped above reached the listener: the first update out is #2.
    let token = listener.stop_token();
    let mut updates = listener.as_stream();
    let first = next_update(&mut updates).await.expect("an update");
    assert_eq!(first.id.0, 2);

    let rendered = metrics.render();
    for outcome in ["ok", "unauthorized", "malformed", "too_large"] {
        let line = format!("bot_webhook_requests_total{{outcome=\"{outcome}\"}}");
        assert!(rendered.contains(&line), "no {line} in:\n{rendered}");
    }
    token.stop();
    assert!(next_update(&mut updates).await.is_none(), "stream ends");
    server.shut_down(WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_503_and_recovers() {
    let (mut listener, router) = webhook("hook".into(), SECRET.into(), 1);
    let server = Server::start(router, webhook_limits()).await;
    let r = exchange(
        server.addr,
        &post_update(&update_json(10, "a"), Some(SECRET)),
    )
    .await;
    assert_eq!(status(&r), 200, "queued: {r}");
    let started = Instant::now();
    let r = exchange(
        server.addr,
        &post_update(&update_json(11, "b"), Some(SECRET)),
    )
    .await;
    assert_eq!(status(&r), 503, "queue full: {r}");
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "503 only after waiting for room"
    );

    let token = listener.stop_token();
    let mut updates = listener.as_stream();
    assert_eq!(next_update(&mut updates).await.expect("queued").id.0, 10);
    let r = exchange(
        server.addr,
        &post_update(&update_json(12, "c"), Some(SECRET)),
    )
    .await;
    assert_eq!(status(&r), 200, "room again: {r}");
    assert_eq!(next_update(&mut updates).await.expect("queued").id.0, 12);
    token.stop();
    assert!(next_update(&mut updates).await.is_none());
    server.shut_down(WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_listener_drains_it_and_refuses_new_updates() {
    let (mut listener, router) = webhook("/hook".into(), SECRET.into(), 8);
    let server = Server::start(router, webhook_limits()).await;
    for id in [20, 21] {
        let r = exchange(
            server.addr,
            &post_update(&update_json(id, "x"), Some(SECRET)),
        )
        .await;
        assert_eq!(status(&r), 200, "{r}");
    }
    let token = listener.stop_token();
    token.stop();
    // After the stop the route refuses updates (Telegram keeps them for a replica still up).
    let r = exchange(
        server.addr,
        &post_update(&update_json(22, "x"), Some(SECRET)),
    )
    .await;
    assert_eq!(status(&r), 503, "{r}");
    // Queued updates are still handed out, then the stream ends.
    let mut updates = listener.as_stream();
    assert_eq!(next_update(&mut updates).await.expect("queued").id.0, 20);
    assert_eq!(next_update(&mut updates).await.expect("queued").id.0, 21);
    assert!(next_update(&mut updates).await.is_none());
    server.shut_down(WAIT).await;
}

// --- the operator's endpoints --------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics() {
    let failing = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let check_fails = failing.clone();
    let health = Health::new(move || {
        let fails = check_fails.load(Ordering::SeqCst);
        Box::pin(async move {
            if fails {
                Err("database\nlocked".to_string())
            } else {
                Ok(())
            }
        })
    });
    let server = Server::start(
        internal_router(health.clone()),
        limits(Duration::from_secs(5), Duration::from_secs(5), 32),
    )
    .await;
    let addr = server.addr;
    let get = move |path: &'static str| exchange(addr, request("GET", path, &[], ""));

    let r = get("/healthz").await;
    assert_eq!((status(&r), body(&r)), (200, "ok\n"), "{r}");
    let r = get("/readyz").await;
    assert_eq!(status(&r), 200, "{r}");

    failing.store(true, Ordering::SeqCst);
    let r = get("/readyz").await;
    assert_eq!((status(&r), body(&r)), (503, "database locked\n"), "{r}");
    failing.store(false, Ordering::SeqCst);
    assert_eq!(status(&get("/readyz").await), 200);

    health.set_shutting_down();
    let r = get("/readyz").await;
    assert_eq!((status(&r), body(&r)), (503, "shutting down\n"), "{r}");
    let r = get("/healthz").await;
    assert_eq!(status(&r), 200, "alive while shutting down: {r}");

    metrics::counter!("bot_test_http_probe_total").increment(3);
    metrics::histogram!("bot_reply_seconds").record(0.2);
    let r = get("/metrics").await;
    assert_eq!(status(&r), 200, "{r}");
    assert!(r.contains("text/plain"), "{r}");
    let text = body(&r);
    assert!(text.contains("bot_test_http_probe_total 3"), "{text}");
    assert!(
        text.contains("bot_reply_seconds_bucket{le=\"0.25\"}"),
        "{text}"
    );
    assert!(text.contains("# HELP bot_reply_seconds"), "{text}");
    let r = exchange(server.addr, &request("POST", "/healthz", &[], "")).await;
    assert_eq!(status(&r), 405, "{r}");
    server.shut_down(WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_readiness_check_times_out() {
    let health = Health::new(|| Box::pin(std::future::pending()))
        .with_check_timeout(Duration::from_millis(200));
    let server = Server::start(
        internal_router(health),
        limits(Duration::from_secs(5), Duration::from_secs(5), 32),
    )
    .await;
    let r = exchange(server.addr, &request("GET", "/readyz", &[], "")).await;
    assert_eq!((status(&r), body(&r)), (503, "timed out\n"), "{r}");
    server.shut_down(WAIT).await;
}
