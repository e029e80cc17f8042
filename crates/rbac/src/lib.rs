//! Static RBAC analysis for jobwarden (MITRE ATT&CK T1053.007, mitigation M1018).
#![deny(missing_docs)]

pub mod access;
pub mod graph;
pub mod input;
pub mod rule;
pub mod schedule;
pub mod selector;

pub use access::{ACCESS_SCHEMA, AccessAnswer, AccessPath, AccessQuery, Hop, QueryError, Target};
pub use graph::{Analysis, Decision, Grant, ObjectRef, Scope, UserInfo};
pub use input::{InputError, RoleKind, Source, SourcedObject, SubjectKind, SubjectRef};
pub use rule::{PolicyRule, RequestAttributes, ResourceAttributes};
