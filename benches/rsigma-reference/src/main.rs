//! Run Sigma rules with rsigma-eval over a JSON-lines audit log on one thread, the way a
//! general Sigma engine does: every line parsed into a `serde_json::Value`, every rule
//! evaluated. Prints the matches and the time taken, for `benches/sigma.sh`.
//!
//! Usage: `rsigma-reference RULES_DIR_OR_FILE LOG`

use anyhow::Context;
use rsigma_eval::Engine;
use rsigma_eval::event::JsonEvent;
use rsigma_parser::parse_sigma_yaml;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn rule_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).with_context(|| format!("{}", path.display()))? {
        let p = entry?.path();
        if p.is_dir() {
            files.extend(rule_files(&p)?);
        } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(rules), Some(log)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: rsigma-reference RULES LOG");
    };
    let mut engine = Engine::new();
    let mut loaded = 0;
    for file in rule_files(Path::new(&rules))? {
        let text = std::fs::read_to_string(&file)?;
        let collection = parse_sigma_yaml(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        engine
            .add_collection(&collection)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        loaded += 1;
    }
    let started = Instant::now();
    let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&log)?);
    let (mut events, mut matches, mut bad) = (0u64, 0u64, 0u64);
    let mut by_rule: std::collections::BTreeMap<String, u64> = Default::default();
    for line in reader.split(b'\n') {
        let line = line?;
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&line) else {
            bad += 1;
            continue;
        };
        events += 1;
        for m in engine.evaluate(&JsonEvent::borrow(&value)) {
            matches += 1;
            *by_rule.entry(m.header.rule_title.clone()).or_default() += 1;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "rsigma-eval: {loaded} rule file(s), {events} events, {matches} matches, {bad} unparsable, {seconds:.3} s"
    );
    for (title, n) in &by_rule {
        println!("  {n:>8}  {title}");
    }
    Ok(())
}
