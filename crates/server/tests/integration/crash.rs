//! `kill -9` during ingest: every acknowledged audit event is alerted on exactly once after a
//! restart. The server runs in a child process: this same test binary re-run with
//! `JW_CRASH_CHILD_DIR` set, which makes `crash_child` serve instead of returning.

use crate::common;

use common::{Auth, try_request};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "JW_CRASH_CHILD_DIR";

/// Not a test on its own: the server process of `kill_9_during_ingest`.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let dir = Path::new(&dir);
    let pki = common::Pki {
        dir: dir.to_path_buf(),
        ca: dir.join("ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server-key.pem"),
        client_cert: String::new(),
        client_key: String::new(),
    };
    let settings = common::settings(&pki, dir);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async move {
        let server = jobwarden_server::start(settings)
            .await
            .expect("child server starts");
        let tmp = dir.join("addr.tmp");
        std::fs::write(&tmp, server.local_addr.to_string()).expect("addr");
        std::fs::rename(&tmp, dir.join("addr")).expect("addr rename");
        loop {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
}

// The caller kills and waits for the child it gets back.
#[allow(clippy::zombie_processes)]
fn spawn_child(dir: &Path) -> (Child, std::net::SocketAddr) {
    let _ = std::fs::remove_file(dir.join("addr"));
    let exe = std::env::current_exe().expect("test binary");
    // The test's name as libtest knows it: its module path without the crate's name.
    let module = module_path!().split_once("::").map_or("", |(_, rest)| rest);
    let test_name = if module.is_empty() {
        "crash_child".to_owned()
    } else {
        format!("{module}::crash_child")
    };
    let mut child = Command::new(exe)
        .args([
            test_name.as_str(),
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir)
        .spawn()
        .expect("spawn child");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(dir.join("addr")) {
            return (child, text.trim().parse().expect("addr"));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child server did not start");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_ingest() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path().to_path_buf();
    let pki = Arc::new(common::pki(&dir));
    let (mut child, addr) = spawn_child(&dir);

    let acked: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let mut senders = Vec::new();
    for sender in 0..3 {
        let pki = pki.clone();
        let acked = acked.clone();
        senders.push(tokio::spawn(async move {
            for batch in 0..10_000 {
                let ids: Vec<String> = (0..40)
                    .map(|i| format!("s{sender}-b{batch}-e{i}"))
                    .collect();
                let events = ids
                    .iter()
                    .map(|id| common::privileged_cronjob_event(id, &format!("cj-{id}")))
                    .collect();
                match try_request(
                    &pki,
                    addr,
                    "POST",
                    "/audit",
                    common::event_list(events),
                    Auth::ClientCert,
                )
                .await
                {
                    Ok((200, _)) => acked.lock().expect("lock").extend(ids),
                    Ok((status, body)) => panic!("unexpected {status}: {body}"),
                    Err(_) => return,
                }
            }
        }));
    }
    // Let ingest and detection run, then kill -9 in the middle of it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.lock().expect("lock").len() < 600 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A little later still, at a moment that differs run to run.
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() % 200);
    tokio::time::sleep(Duration::from_millis(u64::from(jitter))).await;
    child.kill().expect("kill -9");
    let _ = child.wait();
    for s in senders {
        s.await.expect("sender");
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(
        acked.len() >= 600,
        "enough events were acknowledged before the kill: {}",
        acked.len()
    );

    let (mut child, _addr) = spawn_child(&dir);
    let alerts = dir.join("alerts.jsonl");
    let deadline = Instant::now() + Duration::from_secs(120);
    let keys = loop {
        let keys = common::alert_keys(&alerts);
        let ids: BTreeSet<String> = common::alerted_ids(&keys).into_iter().collect();
        if acked.is_subset(&ids) {
            break keys;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let missing: Vec<_> = acked.difference(&ids).take(5).collect();
            panic!(
                "{} acknowledged events never alerted, e.g. {missing:?}",
                acked.difference(&ids).count()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Let the detection thread finish anything else in the spool before judging duplicates.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let keys = {
        let again = common::alert_keys(&alerts);
        if again.len() >= keys.len() {
            again
        } else {
            keys
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    common::assert_no_duplicates(&keys);
    eprintln!(
        "crash test: {} acknowledged events, {} alert lines",
        acked.len(),
        keys.len()
    );
}
