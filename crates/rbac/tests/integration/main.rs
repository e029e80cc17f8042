//! The integration tests of `rbac`, one binary: each module is one former test file.
//! (One binary per crate keeps the build small: every test binary links the whole crate graph.)

mod bootstrap;
mod common;
mod findings;
mod manifest;
mod parity;
mod rbac_tool;
mod scale;
mod schedule;
mod semantics;
