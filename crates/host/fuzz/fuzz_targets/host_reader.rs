//! Every decoder (sniffed and forced) and the detector on arbitrary bytes: no panic, every
//! item accounted for.
#![no_main]

use jobwarden_host::{HostConfig, HostDetector, HostFormat, HostReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let formats = std::iter::once(None).chain(HostFormat::ALL.into_iter().map(Some));
    for format in formats {
        let mut reader = HostReader::new(data, "fuzz", format).with_max_line_bytes(64 * 1024);
        let mut detector = HostDetector::new(HostConfig::default());
        let mut alerts = Vec::new();
        let (mut ok, mut bad) = (0u64, 0u64);
        for item in reader.by_ref() {
            match item {
                Ok((record, loc)) => {
                    ok += 1;
                    detector.push(&record, &loc, &mut alerts);
                }
                Err(_) => bad += 1,
            }
        }
        let stats = reader.stats();
        assert_eq!((stats.records, stats.errors), (ok, bad));
    }
});
