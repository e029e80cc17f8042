//! Printers for jobwarden's results. Machine formats are the v1 contracts
//! (`jobwarden.alert/v1`, `jobwarden.finding/v1`) one JSON object per line, and SARIF 2.1.0;
//! the terminal format is a view of the same records, grouped and coloured for a person.
//!
//! Printers write to any `io::Write`; colour is decided by the caller (anstream strips it when
//! the output is not a terminal or `NO_COLOR` is set).
#![deny(missing_docs)]

pub mod alerts;
pub mod findings;
pub mod sarif;
pub mod summary;
