//! The `hunt` pipeline: sources → blocks → decode (all cores) → detect (in order) → sinks.
//!
//! Decoding is stateless per block, so blocks are decoded on `threads` worker threads; the
//! detector is stateful (stages, object history) and runs on the calling thread, fed in exact
//! input order by a reorder buffer. Channels are bounded, so memory stays flat whatever the
//! input size: at most `2 × threads` blocks are in flight.
#![deny(missing_docs)]

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
}

/// Callbacks receiving results as they become certain.
pub trait Sink {
    /// An alert.
    fn alert(&mut self, alert: Alert);
    /// A record or source that could not be decoded (already counted in the stats).
    fn error(&mut self, error: &DecodeError);
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
    for expanded in expand_sources(inputs) {
        match expanded {
            Ok(src) => {
                stats.sources.push(src.name().to_string());
                sources.push(src);
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
    let mut feeder = Feeder {
        detector,
        sigma: sigma.take(),
        sink,
        alerts: Vec::new(),
        bytes: 0,
    };
    if options.threads <= 1 {
        for src in &sources {
            match SourceBlocks::open(src, &options.decode) {
                Ok(blocks) => {
                    for block in blocks {
                        let out = decode_block(&block, &options.decode);
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
    stats
}

struct Feeder<'a> {
    detector: &'a mut Detector,
    sigma: Option<&'a mut SigmaStage>,
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
                    if let Some(sigma) = self.sigma.as_mut() {
                        sigma.push(&decoded.event, &source, &mut self.alerts);
                    }
                    self.detector.push(decoded.event, source, &mut self.alerts);
                    for alert in self.alerts.drain(..) {
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
    let (work_tx, work_rx) = bounded::<Work>(threads * 2);
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
