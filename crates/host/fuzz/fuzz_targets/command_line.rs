//! The shell splitter, the kubectl parser and the raw-API parser on arbitrary text.
#![no_main]

use jobwarden_host::{kubectl, rawapi, shell};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = kubectl::parse_command_line(&text);
    let _ = rawapi::parse_command_line(&text);
    let words = shell::split_words(&text);
    let mut argv: Vec<&str> = vec!["kubectl"];
    argv.extend(words.iter().map(String::as_str));
    let _ = kubectl::parse(&argv);
});
