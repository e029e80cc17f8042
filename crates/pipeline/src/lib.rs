//! The `hunt` pipeline: sources → blocks → decode (all cores) → detect (in order) → sinks.
//!
//! Each input is routed by sniffing its first bytes: host and node logs (auditd, Tetragon,
//! Falco, Sysmon for Linux, ECS, Envoy) go to [`jobwarden_host`]'s reader and detector; all
//! else is decoded as Kubernetes audit logs. Host inputs are read first, so the
//! [`correlate::Correlator`] can tie a host command to the audit request it made and to the
//! containers the object then ran.
//!
//! Decoding is stateless per block, so blocks are decoded on `threads` worker threads; the
//! detector is stateful (stages, object history) and runs on the calling thread, fed in exact
//! input order by a reorder buffer. Channels are bounded, so memory stays flat whatever the
//! input size: at most `2 × threads` blocks are in flight.
#![deny(missing_docs)]

pub mod baseline;
pub mod correlate;
pub mod sigma;

use crossbeam_channel::bounded;
use jobwarden_decode::{
    BlockOutput, DecodeError, DecodeOptions, DecodeStats, Source, SourceBlocks, decode_block,
    expand_sources,
};
use jobwarden_detect::{DetectStats, Detector};
use jobwarden_model::Alert;
use std::collections::BTreeMap;

use sigma::SigmaStage;

/// How to run.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Decoding options (format, prefilter, limits).
    pub decode: DecodeOptions,
    /// Worker threads for decoding; 1 decodes on the calling thread.
    pub threads: usize,
    /// Host-event detection settings.
    pub host: jobwarden_host::HostConfig,
}

/// What a run saw.
#[derive(Debug, Clone, Default)]
pub struct RunStats {
    /// Decoding counters, all sources merged.
    pub decode: DecodeStats,
    /// Detection counters.
    pub detect: DetectStats,
    /// Inputs (after expanding directories).
    pub sources: Vec<String>,
    /// Host inputs, by format.
    pub host_sources: BTreeMap<String, u64>,
    /// Host records read.
    pub host_records: u64,
    /// Host records skipped, by error code.
    pub host_skipped: BTreeMap<String, u64>,
    /// Incidents built by correlating host and audit events.
    pub incidents: u64,
    /// The correlation's state: controller objects recorded, evictions, drops.
    pub correlation: correlate::CorrelationStats,
    /// Generic JSON documents given to the Sigma engine.
    pub generic_records: u64,
    /// Generic JSON input skipped, by error code.
    pub generic_skipped: BTreeMap<String, u64>,
}

/// Callbacks receiving results as they become certain.
pub trait Sink {
    /// An alert.
    fn alert(&mut self, alert: Alert);
    /// A record or source that could not be decoded (already counted in the stats); its text
    /// names the file, line and field.
    fn error(&mut self, error: &dyn std::fmt::Display);
    /// Progress: decompressed bytes processed so far.
    fn progress(&mut self, _bytes: u64) {}
}

/// Run `inputs` through decoding and `detector`; results go to `sink`.
pub fn run(
    inputs: &[Source],
    options: &PipelineOptions,
    detector: &mut Detector,
    mut sigma: Option<&mut SigmaStage>,
    sink: &mut dyn Sink,
) -> RunStats {
    let mut stats = RunStats::default();
    let mut sources = Vec::new();
    let mut host_sources = Vec::new();
    for expanded in expand_sources(inputs) {
        match expanded {
            Ok(src) => {
                stats.sources.push(src.name().to_string());
                match host_format(&src) {
                    Some(format) => host_sources.push((src, format)),
                    None => sources.push(src),
                }
            }
            Err(err) => {
                stats
                    .decode
                    .skipped
                    .entry(err.code)
                    .and_modify(|n| *n += 1)
                    .or_insert(1);
                sink.error(&err);
            }
        }
    }
    // With Sigma rules loaded, JSON that is not an audit log (e.g. Windows events converted to
    // JSON) is evaluated by the Sigma engine in generic mode instead of being rejected.
    if let Some(stage) = sigma.as_deref_mut() {
        let (generic, audit): (Vec<Source>, Vec<Source>) =
            sources.into_iter().partition(is_generic_json);
        sources = audit;
        for src in &generic {
            run_generic(src, stage, &mut stats, sink);
        }
    }
    let mut correlator = correlate::Correlator::with_addresses(options.host.addresses.clone());
    if !host_sources.is_empty() {
        run_host(
            &host_sources,
            &options.host,
            &mut correlator,
            &mut stats,
            sink,
        );
    }
    let mut feeder = Feeder {
        detector,
        sigma: sigma.take(),
        correlator: &mut correlator,
        sink,
        alerts: Vec::new(),
        bytes: 0,
    };
    if options.threads <= 1 {
        for src in &sources {
            match SourceBlocks::open(src, &options.decode) {
                Ok(blocks) => {
                    // One thread decodes each block before reading the next, so the lines
                    // are counted once, as the decoder splits them.
                    let mut blocks = blocks.count_lines_in_decoder();
                    while let Some(block) = blocks.next() {
                        let out = decode_block(&block, &options.decode);
                        blocks.lines_decoded(out.stats.lines);
                        drop(block);
                        feeder.feed(out, &mut stats.decode);
                    }
                }
                Err(err) => feeder.open_error(err, &mut stats.decode),
            }
        }
    } else {
        run_parallel(&sources, options, &mut feeder, &mut stats.decode);
    }
    feeder.finish();
    stats.detect = feeder.detector.stats();
    for incident in correlator.incidents() {
        stats.incidents += 1;
        sink.alert(incident);
    }
    stats.correlation = correlator.stats();
    stats
}

/// True for a file of JSON documents that shows none of the audit formats' keys.
fn is_generic_json(source: &Source) -> bool {
    use std::io::Read;
    let jobwarden_decode::SourceKind::Path(path) = source.kind() else {
        return false;
    };
    let mut prefix = vec![0u8; 64 * 1024];
    let Ok(n) = std::fs::File::open(path).and_then(|mut f| f.read(&mut prefix)) else {
        return false;
    };
    let prefix = prefix.get(..n).unwrap_or_default();
    let starts_json = matches!(prefix.trim_ascii_start().first(), Some(b'{' | b'['));
    const AUDIT_KEYS: [&[u8]; 7] = [
        b"auditID",
        b"protoPayload",
        b"kube-audit",
        b"objectRef",
        b"logEvents",
        br#"\"verb\""#,
        br#""verb""#,
    ];
    starts_json
        && !AUDIT_KEYS
            .iter()
            .any(|k| memchr::memmem::find(prefix, k).is_some())
}

/// Read a generic JSON file (documents back to back, arrays flattened) into the Sigma stage.
fn run_generic(source: &Source, stage: &mut SigmaStage, stats: &mut RunStats, sink: &mut dyn Sink) {
    const MAX_BYTES: u64 = 256 << 20;
    let jobwarden_decode::SourceKind::Path(path) = source.kind() else {
        return;
    };
    let name = source.name().to_string();
    let bytes = match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_BYTES => {
            *stats
                .generic_skipped
                .entry("record_too_large".into())
                .or_default() += 1;
            sink.error(&format!(
                "{name}:0: record_too_large: generic JSON file over {MAX_BYTES} bytes; skipped"
            ));
            return;
        }
        _ => match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                *stats.generic_skipped.entry("io".into()).or_default() += 1;
                sink.error(&format!("{name}:0: io: cannot read: {e}"));
                return;
            }
        },
    };
    let line_at = |offset: usize| {
        1 + memchr::memchr_iter(b'\n', bytes.get(..offset).unwrap_or_default()).count()
    };
    let mut stream = serde_json::Deserializer::from_slice(&bytes).into_iter::<serde_json::Value>();
    let mut alerts = Vec::new();
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                let at = start
                    + bytes
                        .get(start..)
                        .map_or(0, |r| r.len() - r.trim_ascii_start().len());
                let source_at = format!("{name}:{}", line_at(at));
                let docs: Vec<&serde_json::Value> = match &value {
                    serde_json::Value::Array(items) => items.iter().collect(),
                    other => vec![other],
                };
                for doc in docs {
                    stats.generic_records += 1;
                    stage.push_generic(doc, &source_at, &mut alerts);
                }
                for alert in alerts.drain(..) {
                    sink.alert(alert);
                }
            }
            Some(Err(e)) => {
                *stats
                    .generic_skipped
                    .entry("invalid_json".into())
                    .or_default() += 1;
                sink.error(&format!("{name}:{}: invalid_json: {e}", e.line()));
                break;
            }
        }
    }
}

/// The host format of a file, sniffed from its first bytes; `None` for audit logs, gzip (host
/// readers take plain text) and standard input (it cannot be peeked without consuming it).
fn host_format(source: &Source) -> Option<jobwarden_host::HostFormat> {
    use std::io::Read;
    let jobwarden_decode::SourceKind::Path(path) = source.kind() else {
        return None;
    };
    let mut prefix = vec![0u8; 64 * 1024];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut prefix))
        .ok()?;
    let prefix = prefix.get(..n)?;
    if prefix.starts_with(&[0x1f, 0x8b]) {
        return None;
    }
    jobwarden_host::sniff(prefix)
}

/// Read host inputs through the host detector; alerts go to the sink, batch intents and batch
/// containers to the correlator.
fn run_host(
    sources: &[(Source, jobwarden_host::HostFormat)],
    config: &jobwarden_host::HostConfig,
    correlator: &mut correlate::Correlator,
    stats: &mut RunStats,
    sink: &mut dyn Sink,
) {
    use jobwarden_host::{HostDetector, HostReader, HostRecord};
    let mut detector = HostDetector::new(config.clone());
    let mut alerts = Vec::new();
    for (src, format) in sources {
        *stats.host_sources.entry(format.to_string()).or_default() += 1;
        let jobwarden_decode::SourceKind::Path(path) = src.kind() else {
            continue;
        };
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => {
                *stats.host_skipped.entry("io".into()).or_default() += 1;
                sink.error(&format!("{}: cannot open: {e}", src.name()));
                continue;
            }
        };
        let reader = HostReader::new(
            std::io::BufReader::new(file),
            src.name().clone(),
            Some(*format),
        );
        for item in reader {
            match item {
                Ok((record, location)) => {
                    stats.host_records += 1;
                    detector.push(&record, &location, &mut alerts);
                    let at = location.to_string();
                    let alerted = !alerts.is_empty();
                    match &record {
                        HostRecord::Container(c) => {
                            correlator.add_container(&c.container, c.host.as_deref(), c.time, at);
                        }
                        HostRecord::Process(p) => {
                            correlator.add_process(&p.container, p.host.as_deref(), p.time, at);
                        }
                        HostRecord::File(file) => correlator.add_file(file, at, alerted),
                        HostRecord::Proxy(proxy) => correlator.add_proxy(proxy, at, alerted),
                    }
                    for alert in alerts.drain(..) {
                        correlator.note_host_alert(&alert);
                        sink.alert(alert);
                    }
                }
                Err(err) => {
                    *stats
                        .host_skipped
                        .entry(err.code.as_str().to_string())
                        .or_default() += 1;
                    sink.error(&err);
                }
            }
        }
    }
    correlator.add_intents(detector.take_intents());
}

struct Feeder<'a> {
    detector: &'a mut Detector,
    sigma: Option<&'a mut SigmaStage>,
    correlator: &'a mut correlate::Correlator,
    sink: &'a mut dyn Sink,
    alerts: Vec<Alert>,
    bytes: u64,
}

impl Feeder<'_> {
    fn feed(&mut self, out: BlockOutput, stats: &mut DecodeStats) {
        stats.merge(&out.stats);
        self.bytes += out.stats.bytes;
        for item in out.into_ordered() {
            match item {
                Ok(decoded) => {
                    let source = decoded.location.to_string();
                    self.correlator.observe_audit(&decoded.event, &source);
                    // Events the prefilter let through for the built-in pack alone cannot
                    // match a rule: their line met no rule's requirement.
                    if let Some(sigma) = self.sigma.as_mut()
                        && decoded.rules_may_match
                    {
                        sigma.push(&decoded.event, &source, &mut self.alerts);
                    }
                    self.detector.push(decoded.event, source, &mut self.alerts);
                    for alert in self.alerts.drain(..) {
                        self.correlator.observe(&alert);
                        self.sink.alert(alert);
                    }
                }
                Err(err) => self.sink.error(&err),
            }
        }
        self.sink.progress(self.bytes);
    }

    fn open_error(&mut self, err: DecodeError, stats: &mut DecodeStats) {
        stats
            .skipped
            .entry(err.code)
            .and_modify(|n| *n += 1)
            .or_insert(1);
        self.sink.error(&err);
    }

    fn finish(&mut self) {
        self.detector.finish(&mut self.alerts);
        if let Some(sigma) = self.sigma.as_mut() {
            sigma.finish(&mut self.alerts);
        }
        for alert in self.alerts.drain(..) {
            self.correlator.observe(&alert);
            self.sink.alert(alert);
        }
    }
}

enum Work {
    Block(u64, jobwarden_decode::Block),
}

enum Done {
    Output(u64, BlockOutput),
    OpenError(u64, DecodeError),
}

fn run_parallel(
    sources: &[Source],
    options: &PipelineOptions,
    feeder: &mut Feeder<'_>,
    stats: &mut DecodeStats,
) {
    let threads = options.threads.max(2);
    // One waiting block per decoder keeps them busy; each more is a block of resident memory
    // (measured with 2 MB blocks: `threads * 2` cost 3-4 MB of peak RSS at -j2 and no speed).
    let (work_tx, work_rx) = bounded::<Work>(threads);
    let (done_tx, done_rx) = bounded::<Done>(threads * 2);
    std::thread::scope(|scope| {
        // Reader: cuts every source into blocks, numbered in input order.
        let reader_done = done_tx.clone();
        scope.spawn(move || {
            let mut seq = 0u64;
            for src in sources {
                match SourceBlocks::open(src, &options.decode) {
                    Ok(blocks) => {
                        for block in blocks {
                            if work_tx.send(Work::Block(seq, block)).is_err() {
                                return;
                            }
                            seq += 1;
                        }
                    }
                    Err(err) => {
                        if reader_done.send(Done::OpenError(seq, err)).is_err() {
                            return;
                        }
                        seq += 1;
                    }
                }
            }
        });
        for _ in 0..threads {
            let rx = work_rx.clone();
            let tx = done_tx.clone();
            let decode = &options.decode;
            scope.spawn(move || {
                for Work::Block(seq, block) in rx.iter() {
                    if tx
                        .send(Done::Output(seq, decode_block(&block, decode)))
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
        drop(work_rx);
        drop(done_tx);
        // Consumer: reorder by sequence number and feed the detector in input order.
        let mut next = 0u64;
        let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
        for done in done_rx.iter() {
            let seq = match &done {
                Done::Output(s, _) | Done::OpenError(s, _) => *s,
            };
            waiting.insert(seq, done);
            while let Some(ready) = waiting.remove(&next) {
                match ready {
                    Done::Output(_, out) => feeder.feed(out, stats),
                    Done::OpenError(_, err) => feeder.open_error(err, stats),
                }
                next += 1;
            }
        }
    });
}
