//! Where alerts go: standard output (JSON lines), a rotating JSON-lines file, and an outbound
//! HTTP webhook (JSON array per batch) with retries and exponential backoff.
//!
//! The file sink takes part in crash recovery: its length is recorded in the spool checkpoint,
//! and on restart anything written after the checkpoint is cut off before the batch is
//! replayed, so a replay never writes an alert twice.

use crate::metrics::Metrics;
use crate::settings::{FileSinkConfig, WebhookSink};
use jobwarden_model::Alert;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A JSON-lines file that rotates past a size.
pub struct RotatingFile {
    path: PathBuf,
    file: File,
    len: u64,
    max_bytes: u64,
    keep: u32,
}

impl RotatingFile {
    /// Open (create) `config.path` for appending, first cutting it to `truncate_to` bytes when
    /// it is longer (alerts of a batch whose checkpoint was never written).
    pub fn open(config: &FileSinkConfig, truncate_to: Option<u64>) -> io::Result<RotatingFile> {
        if let Some(parent) = config.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.path)?;
        let mut len = file.metadata()?.len();
        if let Some(keep_len) = truncate_to
            && keep_len < len
        {
            file.set_len(keep_len)?;
            file.sync_all()?;
            len = keep_len;
        }
        Ok(RotatingFile {
            path: config.path.clone(),
            file,
            len,
            max_bytes: config.max_bytes.unwrap_or(100 << 20).max(1),
            keep: config.keep.unwrap_or(5),
        })
    }

    /// Bytes in the live file.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when the live file is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Rotate when the live file is past its size; true when it rotated.
    pub fn rotate_if_needed(&mut self) -> io::Result<bool> {
        if self.len < self.max_bytes {
            return Ok(false);
        }
        self.file.sync_all()?;
        for n in (1..self.keep).rev() {
            let from = numbered(&self.path, n);
            if from.exists() {
                std::fs::rename(&from, numbered(&self.path, n + 1))?;
            }
        }
        if self.keep > 0 {
            std::fs::rename(&self.path, numbered(&self.path, 1))?;
        } else {
            std::fs::remove_file(&self.path)?;
        }
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        self.len = 0;
        Ok(true)
    }

    /// Append alerts and make them durable.
    pub fn write(&mut self, alerts: &[Alert]) -> io::Result<()> {
        if alerts.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(alerts.len() * 512);
        for a in alerts {
            jobwarden_report::alerts::write_jsonl(a, &mut buf)?;
        }
        self.file.write_all(&buf)?;
        self.file.sync_data()?;
        self.len += buf.len() as u64;
        Ok(())
    }
}

fn numbered(path: &Path, n: u32) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

/// All configured sinks.
pub struct Sinks {
    /// Standard output.
    pub stdout: bool,
    /// The rotating file.
    pub file: Option<RotatingFile>,
    /// Batches for the webhook task.
    pub webhook: Option<tokio::sync::mpsc::Sender<Arc<Vec<Alert>>>>,
}

impl Sinks {
    /// Deliver one processed batch's alerts (blocking; called from the detection thread).
    pub fn deliver(&mut self, alerts: Vec<Alert>, metrics: &Metrics) -> io::Result<()> {
        if alerts.is_empty() {
            return Ok(());
        }
        if self.stdout {
            let stdout = io::stdout();
            let mut lock = stdout.lock();
            for a in &alerts {
                jobwarden_report::alerts::write_jsonl(a, &mut lock)?;
            }
            lock.flush()?;
        }
        if let Some(file) = &mut self.file {
            file.write(&alerts)?;
        }
        if let Some(tx) = &self.webhook
            && tx.blocking_send(Arc::new(alerts)).is_err()
        {
            metrics
                .sink_failures
                .get_or_create(&vec![("sink", "webhook".to_string())])
                .inc();
        }
        Ok(())
    }
}

/// The outbound webhook: POST each batch as a JSON array, retrying with exponential backoff.
pub async fn run_webhook(
    config: WebhookSink,
    mut rx: tokio::sync::mpsc::Receiver<Arc<Vec<Alert>>>,
    metrics: Arc<Metrics>,
) {
    let target = match Target::parse(&config) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(url = %config.url, error = %e, "alert webhook disabled");
            while rx.recv().await.is_some() {
                metrics
                    .sink_failures
                    .get_or_create(&vec![("sink", "webhook".to_string())])
                    .inc();
            }
            return;
        }
    };
    while let Some(batch) = rx.recv().await {
        let body = match serde_json::to_vec(&*batch) {
            Ok(b) => b,
            Err(_) => continue,
        };
        let mut delay = Duration::from_millis(200);
        let mut delivered = false;
        for attempt in 1..=config.attempts {
            match target.post(&body, config.token.as_deref()).await {
                Ok(status) if (200..300).contains(&status) => {
                    delivered = true;
                    break;
                }
                Ok(status) => tracing::warn!(attempt, status, "alert webhook refused a batch"),
                Err(e) => tracing::warn!(attempt, error = %e, "alert webhook unreachable"),
            }
            if attempt < config.attempts {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
        if !delivered {
            metrics
                .sink_failures
                .get_or_create(&vec![("sink", "webhook".to_string())])
                .inc();
            tracing::error!(alerts = batch.len(), "alert webhook gave up on a batch");
        }
    }
}

struct Target {
    host: String,
    port: u16,
    path: String,
    tls: Option<tokio_rustls::TlsConnector>,
}

impl Target {
    fn parse(config: &WebhookSink) -> Result<Target, String> {
        let (tls, rest, default_port) = if let Some(r) = config.url.strip_prefix("https://") {
            (true, r, 443)
        } else if let Some(r) = config.url.strip_prefix("http://") {
            (false, r, 80)
        } else {
            return Err("the URL must start with http:// or https://".to_string());
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| format!("bad port `{p}`"))?),
            None => (authority, default_port),
        };
        let tls = if tls {
            let ca = config
                .ca_file
                .as_ref()
                .ok_or("an https webhook needs ca_file")?;
            let roots = crate::tls::load_roots(ca).map_err(|e| e.to_string())?;
            let cfg = rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth();
            Some(tokio_rustls::TlsConnector::from(Arc::new(cfg)))
        } else {
            None
        };
        Ok(Target {
            host: host.trim_matches(['[', ']']).to_string(),
            port,
            path: path.to_string(),
            tls,
        })
    }

    async fn post(&self, body: &[u8], token: Option<&str>) -> Result<u16, String> {
        let fut = async {
            let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                .await
                .map_err(|e| e.to_string())?;
            let mut req = hyper::Request::post(&self.path)
                .header("host", &self.host)
                .header("content-type", "application/json");
            if let Some(t) = token {
                req = req.header("authorization", format!("Bearer {t}"));
            }
            let req = req
                .body(http_body_util::Full::new(
                    hyper::body::Bytes::copy_from_slice(body),
                ))
                .map_err(|e| e.to_string())?;
            match &self.tls {
                Some(connector) => {
                    let name = rustls_pki_types::ServerName::try_from(self.host.clone())
                        .map_err(|e| e.to_string())?;
                    let stream = connector
                        .connect(name, tcp)
                        .await
                        .map_err(|e| e.to_string())?;
                    send(hyper_util::rt::TokioIo::new(stream), req).await
                }
                None => send(hyper_util::rt::TokioIo::new(tcp), req).await,
            }
        };
        tokio::time::timeout(Duration::from_secs(10), fut)
            .await
            .map_err(|_| "timed out".to_string())?
    }
}

async fn send<I>(
    io: I,
    req: hyper::Request<http_body_util::Full<hyper::body::Bytes>>,
) -> Result<u16, String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    Ok(resp.status().as_u16())
}
