//! The durable audit spool and the detection thread behind `/audit`.
//!
//! A batch is appended to `spool.log` as one frame (magic, length, receive time, checksum,
//! body) and flushed per the fsync policy before the 200. The detection thread reads frames
//! in order, drops events whose `auditID`+stage it already processed (`done.ids`), runs the
//! [`Detector`], delivers the alerts and then writes `checkpoint.json`: the spool offset
//! processed, the alert file's length and `done.ids`' length. On start, anything past the
//! checkpoint in the alert file and `done.ids` is cut off and the spool is replayed from the
//! checkpoint, so an acknowledged event is never lost and never alerts twice. A checkpoint is
//! also written at start, before anything is processed, so that this holds on a first start.

use crate::metrics::Metrics;
use crate::settings::FsyncPolicy;
use crate::sinks::Sinks;
use jobwarden_decode::{DecodeOptions, InputFormat, Prefilter, decode_document};
use jobwarden_detect::Detector;
use serde::{Deserialize, Serialize};
use std::collections::{HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

// Version 2: CRC-32 checksums. Unprocessed frames of another version stop `open`.
const MAGIC: &[u8; 4] = b"JWS2";
const HEADER: usize = 24;
/// Compact the spool once everything in it is processed and it is past this size.
const COMPACT_BYTES: u64 = 64 << 20;
/// Processed `auditID`+stage keys remembered for de-duplication.
const REMEMBERED_IDS: usize = 1 << 20;
/// Most spool bytes the detection thread takes in one step.
const STEP_BYTES: u64 = 16 << 20;

/// Why a batch was not spooled.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// More unprocessed bytes than allowed: the caller should answer 429.
    #[error("spool full: {pending} bytes pending, limit {limit}")]
    Full {
        /// Unprocessed bytes.
        pending: u64,
        /// The limit.
        limit: u64,
    },
    /// The spool holds unprocessed frames in another on-disk version: replaying them would
    /// lose them (checksums differ), cutting them would drop acknowledged events.
    #[error(
        "spool {path}: unprocessed frames in another spool format ({found}, this build writes {expected}); drain it with the jobwarden that wrote it, or move the directory away"
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// The magic found.
        found: String,
        /// The magic this build writes.
        expected: String,
    },
    /// Disk trouble.
    #[error("spool {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: io::Error,
    },
}

/// The checkpoint: what has been fully processed and delivered.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Checkpoint {
    /// Spool bytes processed.
    pub spool_offset: u64,
    /// Length of the live alert file after the processed batches' alerts.
    pub alerts_len: Option<u64>,
    /// Length of `done.ids`.
    pub ids_len: u64,
}

struct Progress {
    len: u64,
    processed: u64,
    /// (end offset, receive time in ms) of each unprocessed frame.
    pending: VecDeque<(u64, u64)>,
}

/// The spool shared by the HTTP handlers and the detection thread.
pub struct Spool {
    dir: PathBuf,
    writer: Mutex<File>,
    /// A second handle on the spool for fsync outside the writer lock (group commit).
    sync_file: File,
    /// Bytes ever appended (monotonic across compactions).
    written_total: AtomicU64,
    /// Bytes ever appended that an fsync covers.
    synced_total: Mutex<u64>,
    progress: Mutex<Progress>,
    wake: Condvar,
    fsync: FsyncPolicy,
    max_pending: u64,
    dirty: AtomicBool,
    shutdown: AtomicBool,
    ready: AtomicBool,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn checksum(bytes: &[u8]) -> u64 {
    // CRC-32 (SIMD in crc32fast, ~20x the old byte-at-a-time FNV): enough to tell a torn frame
    // from a whole one, and cheap next to parsing the batch.
    u64::from(crc32fast::hash(bytes))
}

/// One frame read back.
struct Frame {
    end: u64,
    received_ms: u64,
    body: Vec<u8>,
}

/// Read whole frames from `file` in `[from, to)`; stops at the first torn or corrupt frame
/// and returns where the good frames end.
fn read_frames(file: &mut File, from: u64, to: u64, out: &mut Vec<Frame>) -> io::Result<u64> {
    file.seek(SeekFrom::Start(from))?;
    let wanted = to.saturating_sub(from);
    // Sized up front: growing by doubling re-copied up to a step's 16 MiB several times.
    let mut buf = Vec::with_capacity(usize::try_from(wanted).unwrap_or(0));
    file.take(wanted).read_to_end(&mut buf)?;
    let mut pos = 0usize;
    while let Some(header) = buf.get(pos..pos + HEADER) {
        let (magic, rest) = header.split_at(4);
        if magic != MAGIC {
            break;
        }
        let len = u32::from_le_bytes(rest[..4].try_into().unwrap_or_default()) as usize;
        let received_ms = u64::from_le_bytes(rest[4..12].try_into().unwrap_or_default());
        let sum = u64::from_le_bytes(rest[12..20].try_into().unwrap_or_default());
        let Some(body) = buf.get(pos + HEADER..pos + HEADER + len) else {
            break;
        };
        if checksum(body) != sum {
            break;
        }
        pos += HEADER + len;
        out.push(Frame {
            end: from + pos as u64,
            received_ms,
            body: body.to_vec(),
        });
    }
    Ok(from + pos as u64)
}

fn write_checkpoint(dir: &Path, cp: &Checkpoint) -> io::Result<()> {
    let tmp = dir.join("checkpoint.json.tmp");
    let mut f = File::create(&tmp)?;
    f.write_all(&serde_json::to_vec(cp).map_err(io::Error::from)?)?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join("checkpoint.json"))?;
    File::open(dir)?.sync_all()
}

/// Read the checkpoint (a missing file is a fresh start).
pub fn read_checkpoint(dir: &Path) -> Result<Checkpoint, SpoolError> {
    let path = dir.join("checkpoint.json");
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| SpoolError::Io {
            path,
            source: io::Error::new(io::ErrorKind::InvalidData, e),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Checkpoint::default()),
        Err(e) => Err(SpoolError::Io { path, source: e }),
    }
}

impl Spool {
    /// Open the spool in `dir`: cut a torn tail, find the unprocessed frames.
    pub fn open(
        dir: &Path,
        fsync: FsyncPolicy,
        max_pending: u64,
    ) -> Result<(Arc<Spool>, Checkpoint), SpoolError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let path = dir.join("spool.log");
        let mut cp = read_checkpoint(dir)?;
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        let file_len = file.metadata().map_err(io_err(&path))?.len();
        // Compaction truncates the spool before the checkpoint is reset.
        cp.spool_offset = cp.spool_offset.min(file_len);
        let mut reader = File::open(&path).map_err(io_err(&path))?;
        let mut frames = Vec::new();
        let good_end = read_frames(&mut reader, cp.spool_offset, file_len, &mut frames)
            .map_err(io_err(&path))?;
        let mut magic = [0u8; 4];
        if good_end < file_len
            && reader.seek(SeekFrom::Start(good_end)).is_ok()
            && reader.read_exact(&mut magic).is_ok()
            && magic.starts_with(b"JWS")
            && &magic != MAGIC
        {
            return Err(SpoolError::Version {
                path,
                found: String::from_utf8_lossy(&magic).into_owned(),
                expected: String::from_utf8_lossy(MAGIC).into_owned(),
            });
        }
        if good_end < file_len {
            // A torn frame was never acknowledged (the 200 follows the write).
            tracing::warn!(
                bytes = file_len - good_end,
                "cutting a torn frame off the audit spool"
            );
            file.set_len(good_end).map_err(io_err(&path))?;
            file.sync_all().map_err(io_err(&path))?;
        }
        let pending = frames.iter().map(|f| (f.end, f.received_ms)).collect();
        let spool = Spool {
            dir: dir.to_path_buf(),
            sync_file: file.try_clone().map_err(io_err(&path))?,
            writer: Mutex::new(file),
            written_total: AtomicU64::new(0),
            synced_total: Mutex::new(0),
            progress: Mutex::new(Progress {
                len: good_end,
                processed: cp.spool_offset,
                pending,
            }),
            wake: Condvar::new(),
            fsync,
            max_pending,
            dirty: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
            ready: AtomicBool::new(false),
        };
        Ok((Arc::new(spool), cp))
    }

    fn progress(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Append one batch (blocking). Returns once it is as durable as the policy asks.
    pub fn append(&self, body: &[u8]) -> Result<(), SpoolError> {
        let path = self.dir.join("spool.log");
        let len = u32::try_from(body.len()).map_err(|_| SpoolError::Full {
            pending: body.len() as u64,
            limit: u64::from(u32::MAX),
        })?;
        {
            let p = self.progress();
            let pending = p.len - p.processed;
            if pending + body.len() as u64 > self.max_pending && pending > 0 {
                return Err(SpoolError::Full {
                    pending,
                    limit: self.max_pending,
                });
            }
        }
        let received = now_ms();
        let mut frame = Vec::with_capacity(HEADER + body.len());
        frame.extend_from_slice(MAGIC);
        frame.extend_from_slice(&len.to_le_bytes());
        frame.extend_from_slice(&received.to_le_bytes());
        frame.extend_from_slice(&checksum(body).to_le_bytes());
        frame.extend_from_slice(body);
        let mut file = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let before = self.progress().len;
        if let Err(e) = file.write_all(&frame) {
            // Never leave a torn frame in front of later ones: the reader stops at it.
            let _ = file.set_len(before);
            return Err(SpoolError::Io { path, source: e });
        }
        let mine = self
            .written_total
            .fetch_add(frame.len() as u64, Ordering::AcqRel)
            + frame.len() as u64;
        let mut p = self.progress();
        p.len += frame.len() as u64;
        let end = p.len;
        p.pending.push_back((end, received));
        drop(p);
        drop(file);
        self.wake.notify_one();
        match self.fsync {
            FsyncPolicy::Always => {
                // Group commit: one fsync covers every batch written before it started.
                let mut synced = self.synced_total.lock().unwrap_or_else(|p| p.into_inner());
                if *synced < mine {
                    let target = self.written_total.load(Ordering::Acquire);
                    self.sync_file.sync_data().map_err(io_err(&path))?;
                    *synced = target;
                }
            }
            FsyncPolicy::Interval => self.dirty.store(true, Ordering::Release),
            FsyncPolicy::Never => {}
        }
        Ok(())
    }

    /// Flush for [`FsyncPolicy::Interval`] (called on a timer).
    pub fn flush_if_dirty(&self) {
        if self.dirty.swap(false, Ordering::AcqRel)
            && let Err(e) = self.sync_file.sync_data()
        {
            tracing::error!(error = %e, "audit spool fsync failed");
        }
    }

    /// Unprocessed bytes and the age of the oldest unprocessed batch in seconds.
    pub fn depth(&self) -> (u64, f64) {
        let p = self.progress();
        let age = p
            .pending
            .front()
            .map_or(0.0, |(_, ms)| now_ms().saturating_sub(*ms) as f64 / 1000.0);
        (p.len - p.processed, age)
    }

    /// True once the replay of the spool at start has finished.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// True once [`Spool::shutdown`] was called.
    pub fn is_shut_down(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    /// Ask the detection thread to stop after its current step.
    pub fn shutdown(&self) {
        self.shutdown.store(true, Ordering::Release);
        self.wake.notify_all();
    }

    /// Wait until everything appended so far is processed (tests, graceful stop).
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            {
                let p = self.progress();
                if p.processed >= p.len {
                    return true;
                }
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// The set of processed `auditID`+stage keys, persisted in `done.ids`.
struct DoneIds {
    file: File,
    len: u64,
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl DoneIds {
    fn open(dir: &Path, keep_len: u64) -> io::Result<DoneIds> {
        let path = dir.join("done.ids");
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let mut len = bytes.len() as u64;
        if keep_len < len {
            file.set_len(keep_len)?;
            file.sync_all()?;
            bytes.truncate(keep_len as usize);
            len = keep_len;
        }
        let text = String::from_utf8_lossy(&bytes);
        let mut ids = DoneIds {
            file,
            len,
            set: HashSet::new(),
            order: VecDeque::new(),
        };
        for line in text.lines().filter(|l| !l.is_empty()) {
            ids.remember(line.to_string());
        }
        Ok(ids)
    }

    fn remember(&mut self, key: String) {
        if self.set.insert(key.clone()) {
            self.order.push_back(key);
            if self.order.len() > REMEMBERED_IDS
                && let Some(old) = self.order.pop_front()
            {
                self.set.remove(&old);
            }
        }
    }

    fn append(&mut self, keys: &[String]) -> io::Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut buf = String::new();
        for k in keys {
            buf.push_str(k);
            buf.push('\n');
        }
        self.file.write_all(buf.as_bytes())?;
        self.file.sync_data()?;
        self.len += buf.len() as u64;
        Ok(())
    }

    /// Rewrite the file with only the remembered keys.
    fn compact(&mut self, dir: &Path) -> io::Result<()> {
        let tmp = dir.join("done.ids.tmp");
        let mut f = File::create(&tmp)?;
        let mut len = 0u64;
        let mut buf = String::new();
        for k in &self.order {
            buf.push_str(k);
            buf.push('\n');
        }
        f.write_all(buf.as_bytes())?;
        len += buf.len() as u64;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join("done.ids"))?;
        self.file = OpenOptions::new().append(true).open(dir.join("done.ids"))?;
        self.len = len;
        Ok(())
    }
}

/// The detection thread's state.
pub struct Worker {
    spool: Arc<Spool>,
    detector: Detector,
    sinks: Sinks,
    ids: DoneIds,
    checkpoint: Checkpoint,
    metrics: Arc<Metrics>,
    decode: DecodeOptions,
}

impl Worker {
    /// Prepare the worker: cut the alert file and `done.ids` back to the checkpoint.
    pub fn new(
        spool: Arc<Spool>,
        checkpoint: Checkpoint,
        detector: Detector,
        sinks: Sinks,
        metrics: Arc<Metrics>,
    ) -> Result<Worker, SpoolError> {
        let ids = DoneIds::open(&spool.dir, checkpoint.ids_len).map_err(io_err(&spool.dir))?;
        // Record where the alert file and `done.ids` stand before anything is processed: on a
        // first start there is no checkpoint yet, and a crash after the first alerts were
        // delivered but before the first checkpoint would replay the spool from its start
        // without cutting those alerts off (found by `kill_9_during_ingest` under load).
        let checkpoint = Checkpoint {
            spool_offset: checkpoint.spool_offset,
            alerts_len: sinks.file.as_ref().map(|f| f.len()),
            ids_len: ids.len,
        };
        write_checkpoint(&spool.dir, &checkpoint).map_err(io_err(&spool.dir))?;
        let decode = DecodeOptions {
            format: InputFormat::EventList,
            prefilter: Prefilter::batch(),
            ..DecodeOptions::default()
        };
        Ok(Worker {
            spool,
            detector,
            sinks,
            ids,
            checkpoint,
            metrics,
            decode,
        })
    }

    /// Run until [`Spool::shutdown`].
    pub fn run(mut self) {
        let path = self.spool.dir.join("spool.log");
        let mut reader = match File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the audit spool");
                return;
            }
        };
        loop {
            let (from, to) = {
                let mut p = self.spool.progress();
                while p.processed >= p.len && !self.spool.shutdown.load(Ordering::Acquire) {
                    self.spool.ready.store(true, Ordering::Release);
                    p = self.spool.wake.wait(p).unwrap_or_else(|e| e.into_inner());
                }
                if self.spool.shutdown.load(Ordering::Acquire) {
                    return;
                }
                (p.processed, p.len.min(p.processed + STEP_BYTES))
            };
            if let Err(e) = self.step(&mut reader, from, to) {
                tracing::error!(error = %e, "audit processing failed; retrying");
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }

    fn step(&mut self, reader: &mut File, from: u64, to: u64) -> io::Result<()> {
        let mut frames = Vec::new();
        let mut end = read_frames(reader, from, to, &mut frames)?;
        if frames.is_empty() {
            // A frame longer than the step: read it alone.
            let p_len = self.spool.progress().len;
            end = read_frames(reader, from, p_len, &mut frames)?;
            frames.truncate(1);
            if let Some(f) = frames.first() {
                end = f.end;
            }
            if frames.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("corrupt spool frame at offset {from}"),
                ));
            }
        }
        let mut alerts = Vec::new();
        let mut keys = Vec::new();
        let mut decoded = 0u64;
        let mut prefiltered = 0u64;
        for frame in &frames {
            let name = format!("audit-batch@{}", frame.end);
            // The handler accepted the body as one EventList: no framing to find. Reads the
            // prefilter rules out (most of a real stream) are counted, not parsed, as in `hunt`.
            let out = decode_document(&name, &frame.body, &self.decode);
            prefiltered += out.stats.events_prefiltered;
            for err in &out.errors {
                tracing::warn!(error = %err, "undecodable audit record in a batch");
            }
            for ev in out.events {
                decoded += 1;
                let key = format!("{} {:?}", ev.event.audit_id, ev.event.stage);
                if !ev.event.audit_id.is_empty() && self.ids.set.contains(&key) {
                    self.metrics.duplicate_events.inc();
                    continue;
                }
                if !ev.event.audit_id.is_empty() {
                    self.ids.remember(key.clone());
                    keys.push(key);
                }
                self.detector
                    .push(ev.event, ev.location.to_string(), &mut alerts);
            }
        }
        self.metrics
            .events_in
            .get_or_create(&vec![("result", "decoded".to_string())])
            .inc_by(decoded);
        self.metrics
            .events_in
            .get_or_create(&vec![("result", "prefiltered".to_string())])
            .inc_by(prefiltered);
        for a in &alerts {
            self.metrics
                .alerts
                .get_or_create(&vec![
                    ("rule", a.rule.id.clone()),
                    ("severity", a.severity.as_str().to_string()),
                ])
                .inc();
        }
        let rotated = match &mut self.sinks.file {
            Some(f) => f.rotate_if_needed()?,
            None => false,
        };
        if rotated {
            self.checkpoint.alerts_len = Some(0);
            write_checkpoint(&self.spool.dir, &self.checkpoint)?;
        }
        self.sinks.deliver(alerts, &self.metrics)?;
        self.ids.append(&keys)?;
        self.checkpoint = Checkpoint {
            spool_offset: end,
            alerts_len: self.sinks.file.as_ref().map(|f| f.len()),
            ids_len: self.ids.len,
        };
        write_checkpoint(&self.spool.dir, &self.checkpoint)?;
        let mut p = self.spool.progress();
        p.processed = end;
        while p.pending.front().is_some_and(|(e, _)| *e <= end) {
            p.pending.pop_front();
        }
        let compact = p.processed == p.len && p.len > COMPACT_BYTES;
        drop(p);
        if compact {
            self.compact()?;
        }
        Ok(())
    }

    /// Everything is processed: empty the spool and rewrite `done.ids`.
    fn compact(&mut self) -> io::Result<()> {
        let file = self.spool.writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut p = self.spool.progress();
        if p.processed != p.len {
            return Ok(());
        }
        file.set_len(0)?;
        file.sync_all()?;
        p.len = 0;
        p.processed = 0;
        self.ids.compact(&self.spool.dir)?;
        self.checkpoint.spool_offset = 0;
        self.checkpoint.ids_len = self.ids.len;
        write_checkpoint(&self.spool.dir, &self.checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_start_records_where_the_alert_file_stands() {
        let dir = tempfile::tempdir().expect("tempdir");
        let alerts = dir.path().join("alerts.jsonl");
        std::fs::write(&alerts, b"{\"earlier\":true}\n").expect("write");
        let sink = crate::settings::FileSinkConfig {
            path: alerts.clone(),
            max_bytes: None,
            keep: None,
        };
        let open = || {
            let (spool, checkpoint) =
                Spool::open(dir.path(), FsyncPolicy::Never, 1 << 20).expect("open");
            let file =
                crate::sinks::RotatingFile::open(&sink, checkpoint.alerts_len).expect("file");
            let sinks = Sinks {
                stdout: false,
                file: Some(file),
                webhook: None,
            };
            Worker::new(
                spool,
                checkpoint,
                Detector::new(jobwarden_detect::Config::default()),
                sinks,
                Arc::new(Metrics::default()),
            )
            .expect("worker")
        };
        assert!(!dir.path().join("checkpoint.json").exists());
        drop(open());
        let written = read_checkpoint(dir.path()).expect("checkpoint");
        assert_eq!(written.alerts_len, Some(17));
        // Alerts delivered before a crash, with no checkpoint after them, are cut on restart
        // (the spool is replayed and delivers them again).
        let mut f = OpenOptions::new().append(true).open(&alerts).expect("open");
        f.write_all(b"{\"delivered\":1}\n").expect("write");
        drop(f);
        drop(open());
        assert_eq!(
            std::fs::read(&alerts).expect("read"),
            b"{\"earlier\":true}\n"
        );
    }

    #[test]
    fn a_torn_tail_is_cut_and_whole_frames_are_pending() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let (spool, cp) = Spool::open(dir.path(), FsyncPolicy::Always, 1 << 20).expect("open");
            assert_eq!(cp, Checkpoint::default());
            spool
                .append(b"{\"kind\":\"EventList\",\"items\":[]}")
                .expect("append");
            spool.append(b"second").expect("append");
        }
        let path = dir.path().join("spool.log");
        let whole = std::fs::metadata(&path).expect("meta").len();
        // A crash in the middle of a third frame.
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(MAGIC).expect("write");
        f.write_all(b"\x10\x00\x00\x00partial").expect("write");
        drop(f);
        let (spool, _) = Spool::open(dir.path(), FsyncPolicy::Never, 1 << 20).expect("reopen");
        assert_eq!(std::fs::metadata(&path).expect("meta").len(), whole);
        assert_eq!(
            spool.depth().0,
            whole,
            "both whole frames wait for processing"
        );
        let mut reader = File::open(&path).expect("read");
        let mut frames = Vec::new();
        read_frames(&mut reader, 0, whole, &mut frames).expect("frames");
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1].body, b"second");
    }

    #[test]
    fn unprocessed_frames_of_another_version_are_refused_not_cut() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut frame = b"JWS1".to_vec();
        frame.extend_from_slice(&[0u8; HEADER - 4]);
        frame.extend_from_slice(b"{}");
        std::fs::write(dir.path().join("spool.log"), &frame).expect("write");
        let err = Spool::open(dir.path(), FsyncPolicy::Never, 1 << 20)
            .err()
            .expect("refused");
        assert!(err.to_string().contains("JWS1"), "{err}");
        // Nothing was cut.
        let len = std::fs::metadata(dir.path().join("spool.log"))
            .expect("meta")
            .len();
        assert_eq!(len, frame.len() as u64);
    }

    #[test]
    fn a_corrupt_frame_stops_the_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (spool, _) = Spool::open(dir.path(), FsyncPolicy::Never, 1 << 20).expect("open");
        spool.append(b"abc").expect("append");
        drop(spool);
        let path = dir.path().join("spool.log");
        let mut bytes = std::fs::read(&path).expect("read");
        if let Some(last) = bytes.last_mut() {
            *last ^= 0xff;
        }
        std::fs::write(&path, bytes).expect("write");
        let (spool, _) = Spool::open(dir.path(), FsyncPolicy::Never, 1 << 20).expect("reopen");
        assert_eq!(spool.depth().0, 0);
    }

    #[test]
    fn done_ids_are_cut_back_to_the_checkpoint() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("done.ids"),
            "a ResponseComplete\nb ResponseComplete\n",
        )
        .expect("write");
        let ids = DoneIds::open(dir.path(), "a ResponseComplete\n".len() as u64).expect("open");
        assert!(ids.set.contains("a ResponseComplete"));
        assert!(!ids.set.contains("b ResponseComplete"));
    }
}
