//! The HTTPS server: the router ([`app`]), authentication, limits, the accept loop and the
//! background tasks (certificate reload, spool fsync, detection thread, webhook sink).

use crate::ServeError;
use crate::admission::{Judge, review_bytes};
use crate::metrics::Metrics;
use crate::settings::{FsyncPolicy, ServeSettings};
use crate::sinks::{RotatingFile, Sinks, run_webhook};
use crate::spool::{Spool, SpoolError, Worker};
use crate::tls::{ReloadingCert, server_config};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use jobwarden_detect::Detector;
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// How the connection authenticated at the TLS layer.
#[derive(Debug, Clone, Copy)]
pub struct PeerAuth {
    /// A client certificate that chains to the configured CA was presented.
    pub client_cert: bool,
}

/// Everything the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The admission policy.
    pub judge: Arc<Judge>,
    /// The audit spool.
    pub spool: Arc<Spool>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Bearer token (when configured).
    pub bearer_token: Option<Arc<str>>,
    /// Client certificates are configured.
    pub client_ca: bool,
    /// `/metrics` needs authentication.
    pub metrics_require_auth: bool,
    /// Largest audit batch.
    pub max_audit_body: usize,
    /// Largest review.
    pub max_review_body: usize,
    /// Per-request time limit.
    pub request_timeout: Duration,
}

/// Equal-length comparison whose time does not depend on where the inputs differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn plain(status: StatusCode, reason: impl Into<String>) -> Response {
    let mut text = reason.into();
    text.push('\n');
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let open = matches!(path, "/healthz" | "/readyz")
        || (path == "/metrics" && !state.metrics_require_auth)
        || (state.bearer_token.is_none() && !state.client_ca);
    if open {
        return next.run(req).await;
    }
    if req
        .extensions()
        .get::<PeerAuth>()
        .is_some_and(|p| p.client_cert)
    {
        return next.run(req).await;
    }
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or("").trim().to_string());
    match (presented, &state.bearer_token) {
        (Some(t), Some(expected)) if constant_time_eq(t.as_bytes(), expected.as_bytes()) => {
            next.run(req).await
        }
        (Some(_), _) => plain(
            StatusCode::FORBIDDEN,
            "forbidden: the bearer token is not valid",
        ),
        (None, _) => {
            let mut r = plain(
                StatusCode::UNAUTHORIZED,
                "unauthorized: present a client certificate or a bearer token",
            );
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            r
        }
    }
}

async fn time_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(state.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "request took longer than the time limit",
        ),
    }
}

async fn validate(State(state): State<AppState>, body: Bytes) -> Response {
    let started = Instant::now();
    let response = match review_bytes(&state.judge, &body) {
        Ok((review, dry_run, kind)) => {
            state.metrics.admission_decision(
                review.response.result_label(),
                &kind,
                dry_run == Some(true),
            );
            axum::Json(review).into_response()
        }
        Err(reason) => {
            state
                .metrics
                .admission_decision("unreadable", "other", false);
            plain(StatusCode::BAD_REQUEST, format!("bad request: {reason}"))
        }
    };
    state
        .metrics
        .observe("validate", started.elapsed().as_secs_f64());
    response
}

#[derive(Deserialize)]
struct EventListShape {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    items: Vec<IgnoredAny>,
}

async fn audit(State(state): State<AppState>, body: Bytes) -> Response {
    let started = Instant::now();
    let response = audit_inner(&state, body).await;
    state
        .metrics
        .observe("audit", started.elapsed().as_secs_f64());
    response
}

async fn audit_inner(state: &AppState, body: Bytes) -> Response {
    let refuse = |reason: &'static str| {
        state
            .metrics
            .batches_refused
            .get_or_create(&vec![("reason", reason.to_string())])
            .inc();
    };
    let shape: EventListShape = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => {
            refuse("invalid_json");
            return plain(
                StatusCode::BAD_REQUEST,
                format!("bad request: body is not an audit EventList: {e}"),
            );
        }
    };
    if shape.kind != "EventList" {
        refuse("not_event_list");
        return plain(
            StatusCode::BAD_REQUEST,
            format!("bad request: kind is `{}`, expected EventList", shape.kind),
        );
    }
    let count = shape.items.len() as u64;
    if count == 0 {
        return StatusCode::OK.into_response();
    }
    let spool = state.spool.clone();
    let appended = tokio::task::spawn_blocking(move || spool.append(&body)).await;
    match appended {
        Ok(Ok(())) => {
            state
                .metrics
                .events_in
                .get_or_create(&vec![("result", "acknowledged".to_string())])
                .inc_by(count);
            StatusCode::OK.into_response()
        }
        Ok(Err(SpoolError::Full { pending, limit })) => {
            refuse("spool_full");
            let mut r = plain(
                StatusCode::TOO_MANY_REQUESTS,
                format!("spool full ({pending} of {limit} bytes pending); retry later"),
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
        Ok(Err(e)) => {
            refuse("spool_error");
            tracing::error!(error = %e, "cannot spool an audit batch");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
        Err(_) => {
            refuse("spool_error");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let (depth, age) = state.spool.depth();
    state.metrics.spool_depth_bytes.set(depth as i64);
    state.metrics.spool_age_seconds.set(age);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.spool.is_ready() {
        plain(StatusCode::OK, "ready")
    } else {
        plain(StatusCode::SERVICE_UNAVAILABLE, "replaying the audit spool")
    }
}

/// The router, apart from serving (tests can drive it directly).
pub fn app(state: AppState) -> Router {
    Router::new()
        .route(
            "/validate",
            post(validate).layer(DefaultBodyLimit::max(state.max_review_body)),
        )
        .route(
            "/audit",
            post(audit).layer(DefaultBodyLimit::max(state.max_audit_body)),
        )
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn_with_state(state.clone(), time_limit))
        .with_state(state)
}

/// A running server.
pub struct Server {
    /// The bound address.
    pub local_addr: SocketAddr,
    /// The shared state (spool, metrics).
    pub state: AppState,
    stop: watch::Sender<bool>,
    accept: tokio::task::JoinHandle<()>,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// [`Server::shutdown_within`] 20 seconds (inside the default 30 s grace period).
    pub async fn shutdown(self) {
        self.shutdown_within(Duration::from_secs(20)).await;
    }

    /// Stop accepting, let the detection thread work off the spool (up to `drain`, so an
    /// evicted pod's emptyDir spool is not lost), stop it, wait for both.
    pub async fn shutdown_within(mut self, drain: Duration) {
        let _ = self.stop.send(true);
        let _ = (&mut self.accept).await;
        if !self.state.spool.is_shut_down() {
            let spool = self.state.spool.clone();
            let _ = tokio::task::spawn_blocking(move || spool.wait_idle(drain)).await;
        }
        self.state.spool.shutdown();
        if let Some(w) = self.worker.take() {
            let _ = tokio::task::spawn_blocking(move || w.join()).await;
        }
    }
}

/// Build everything and start serving on `settings.listen` (port 0 picks one). Must run inside
/// a multi-threaded tokio runtime.
pub async fn start(settings: ServeSettings) -> Result<Server, ServeError> {
    crate::tls::install_provider();
    if settings.unauthenticated() {
        tracing::warn!(
            "NO CLIENT AUTHENTICATION CONFIGURED: anyone who reaches {} can submit audit events and admission reviews; set auth.client_ca and/or auth.bearer_token_file",
            settings.listen
        );
        eprintln!(
            "jobwarden serve: WARNING: no client authentication is configured (no client CA, no bearer token); every caller is trusted"
        );
    }
    let resolver = ReloadingCert::new(&settings.tls_cert, &settings.tls_key)?;
    // Certificates stay optional at the TLS layer so kubelet probes reach /healthz and
    // /readyz; every other path is refused (401/403) without a certificate or token.
    let tls = server_config(resolver.clone(), settings.client_ca.as_deref(), false)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let metrics = Arc::new(Metrics::default());
    let (spool, checkpoint) = Spool::open(
        &settings.spool_dir,
        settings.fsync,
        settings.max_spool_bytes,
    )?;
    let file = match &settings.sink_file {
        Some(cfg) => Some(
            RotatingFile::open(cfg, checkpoint.alerts_len).map_err(|source| ServeError::Read {
                what: "alert file".to_string(),
                path: cfg.path.clone(),
                source,
            })?,
        ),
        None => None,
    };
    let webhook = settings.sink_webhook.clone().map(|cfg| {
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(run_webhook(cfg, rx, metrics.clone()));
        tx
    });
    let sinks = Sinks {
        stdout: settings.sink_stdout,
        file,
        webhook,
    };
    let detector = Detector::new(settings.detect.clone());
    let worker = Worker::new(spool.clone(), checkpoint, detector, sinks, metrics.clone())?;
    let worker = std::thread::Builder::new()
        .name("jobwarden-detect".to_string())
        .spawn(move || worker.run())
        .map_err(|e| ServeError::Runtime(e.to_string()))?;
    let judge = Arc::new(Judge {
        policy: settings.admission.clone(),
        template: settings.detect.template.clone(),
        cronjob: settings.detect.cronjob.clone(),
        detect: settings.detect.clone(),
    });
    let state = AppState {
        judge,
        spool: spool.clone(),
        metrics,
        bearer_token: settings.bearer_token.as_deref().map(Arc::from),
        client_ca: settings.client_ca.is_some(),
        metrics_require_auth: settings.metrics_require_auth,
        max_audit_body: settings.max_audit_body,
        max_review_body: settings.max_review_body,
        request_timeout: settings.request_timeout,
    };
    let listener = TcpListener::bind(settings.listen)
        .await
        .map_err(|e| ServeError::Bind(settings.listen, e))?;
    let local_addr = listener
        .local_addr()
        .map_err(|e| ServeError::Bind(settings.listen, e))?;
    let (stop, stopped) = watch::channel(false);
    // Background: certificate reload and interval fsync.
    {
        let mut stopped = stopped.clone();
        let every = settings.tls_reload;
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => { resolver.reload_if_changed(); }
                    _ = stopped.changed() => return,
                }
            }
        });
    }
    if settings.fsync == FsyncPolicy::Interval {
        let mut stopped = stopped.clone();
        let every = settings.fsync_interval;
        let spool = spool.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {
                        let s = spool.clone();
                        let _ = tokio::task::spawn_blocking(move || s.flush_if_dirty()).await;
                    }
                    _ = stopped.changed() => { spool.flush_if_dirty(); return; }
                }
            }
        });
    }
    let router = app(state.clone());
    let accept = tokio::spawn(accept_loop(listener, acceptor, router, stopped));
    tracing::info!(%local_addr, "jobwarden serve listening (HTTPS)");
    Ok(Server {
        local_addr,
        state,
        stop,
        accept,
        worker: Some(worker),
    })
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    router: Router,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped.changed() => return,
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let router = router.clone();
        tokio::spawn(async move {
            let tls =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => return,
                };
            let auth = PeerAuth {
                client_cert: tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .is_some_and(|c| !c.is_empty()),
            };
            let service = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(auth);
                    router.clone().oneshot(req.map(axum::body::Body::new))
                },
            );
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10));
            if let Err(e) = builder.serve_connection(TokioIo::new(tls), service).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
}

/// Serve until SIGINT/SIGTERM (blocking; builds its own runtime).
pub fn run(settings: ServeSettings) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ServeError::Runtime(e.to_string()))?;
    runtime.block_on(async move {
        let server = start(settings).await?;
        wait_for_signal().await;
        tracing::info!("shutting down");
        server.shutdown().await;
        Ok(())
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
