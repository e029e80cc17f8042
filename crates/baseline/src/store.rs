//! The state file: a redb database with a versioned schema.
//!
//! Tables (all keys start with the cluster, then the scope: a namespace, or `*` for the
//! cluster-wide aggregate; every observation is counted once in its namespace and once in `*`):
//! * `jw_meta`: `magic` = [`MAGIC`], `schema_version` = [`SCHEMA_VERSION`], `written_by`.
//! * `jw_scopes` `(cluster, scope)` → observation stats of the namespace (or the cluster).
//! * one fact table per dimension (creators, creator groups, clients, client versions,
//!   networks, registries, repositories, schedule shapes), key `(cluster, scope, subject, value)`, value
//!   `(count, first_seen, last_seen)` in Unix seconds. The subject is the identity for
//!   per-identity dimensions (groups, clients, client versions, networks) and empty otherwise.
//! * `jw_hours` `(cluster, scope, identity)` → 168 little-endian `u32` counts, one per hour of
//!   the week (UTC, Monday 00:00 first).

use crate::error::BaselineError;
use redb::{
    Database, ReadOnlyTable, ReadTransaction, ReadableDatabase, TableDefinition, TableHandle,
    WriteTransaction,
};
use std::path::Path;

/// Identifies a jobwarden baseline among redb files.
pub const MAGIC: &str = "jobwarden-baseline";
/// The schema this build reads and writes. Bump on any change of table layout or meaning.
pub const SCHEMA_VERSION: u32 = 1;
/// The scope of cluster-wide aggregates (not a valid namespace name).
pub const CLUSTER_WIDE: &str = "*";

/// Stored strings are cut to this many bytes (on a character boundary), so a hostile event
/// cannot grow the file without bound.
const MAX_VALUE_BYTES: usize = 512;

/// `(count, first_seen, last_seen)`, times in Unix seconds.
pub(crate) type Stats = (u64, i64, i64);

pub(crate) const META: TableDefinition<&str, &str> = TableDefinition::new("jw_meta");
pub(crate) const SCOPES: TableDefinition<(&str, &str), Stats> = TableDefinition::new("jw_scopes");
pub(crate) const HOURS: TableDefinition<(&str, &str, &str), &[u8]> =
    TableDefinition::new("jw_hours");

type FactDef =
    TableDefinition<'static, (&'static str, &'static str, &'static str, &'static str), Stats>;

/// What a fact table counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Dimension {
    /// Who wrote batch objects (value = identity).
    Creator,
    /// The groups each writer carried (subject = identity, value = group).
    CreatorGroup,
    /// Client families per identity.
    Client,
    /// Client `family/version` per identity.
    ClientVersion,
    /// Source networks per identity.
    Network,
    /// Image registries.
    Registry,
    /// Image repositories (`registry/repository`).
    Repository,
    /// CronJob schedule shapes.
    Schedule,
}

impl Dimension {
    pub(crate) const ALL: [Dimension; 8] = [
        Dimension::Creator,
        Dimension::CreatorGroup,
        Dimension::Client,
        Dimension::ClientVersion,
        Dimension::Network,
        Dimension::Registry,
        Dimension::Repository,
        Dimension::Schedule,
    ];

    pub(crate) fn table(self) -> FactDef {
        match self {
            Dimension::Creator => TableDefinition::new("jw_creators"),
            Dimension::CreatorGroup => TableDefinition::new("jw_creator_groups"),
            Dimension::Client => TableDefinition::new("jw_identity_clients"),
            Dimension::ClientVersion => TableDefinition::new("jw_identity_client_versions"),
            Dimension::Network => TableDefinition::new("jw_identity_networks"),
            Dimension::Registry => TableDefinition::new("jw_registries"),
            Dimension::Repository => TableDefinition::new("jw_repositories"),
            Dimension::Schedule => TableDefinition::new("jw_schedule_shapes"),
        }
    }

    /// True when the subject column holds the identity.
    pub(crate) fn per_identity(self) -> bool {
        matches!(
            self,
            Dimension::CreatorGroup
                | Dimension::Client
                | Dimension::ClientVersion
                | Dimension::Network
        )
    }
}

/// Cut `s` to [`MAX_VALUE_BYTES`] on a character boundary.
pub(crate) fn bounded(s: &str) -> &str {
    if s.len() <= MAX_VALUE_BYTES {
        return s;
    }
    let mut end = MAX_VALUE_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// Two stats of the same value combined.
pub(crate) fn merge_stats(a: Stats, b: Stats) -> Stats {
    (a.0.saturating_add(b.0), a.1.min(b.1), a.2.max(b.2))
}

/// Decode a stored histogram; a value of the wrong length (never written by this schema)
/// reads as empty rather than failing a judgement.
pub(crate) fn decode_hours(bytes: &[u8]) -> [u32; 168] {
    let mut out = [0u32; 168];
    if bytes.len() == 168 * 4 {
        for (slot, chunk) in out.iter_mut().zip(bytes.chunks_exact(4)) {
            *slot = u32::from_le_bytes(chunk.try_into().unwrap_or([0; 4]));
        }
    }
    out
}

pub(crate) fn encode_hours(hours: &[u32; 168]) -> Vec<u8> {
    hours.iter().flat_map(|h| h.to_le_bytes()).collect()
}

/// How a state file looked when opened.
pub(crate) enum MetaState {
    /// A baseline of this schema.
    Current,
    /// A redb file without any table: new, to be initialised.
    Empty,
}

/// Check the meta table of an open database.
pub(crate) fn check_meta(txn: &ReadTransaction, path: &Path) -> Result<MetaState, BaselineError> {
    let tables: Vec<String> = txn
        .list_tables()
        .map_err(|e| BaselineError::store(path, e))?
        .map(|t| t.name().to_string())
        .collect();
    let meta: ReadOnlyTable<&str, &str> = match txn.open_table(META) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) if tables.is_empty() => {
            return Ok(MetaState::Empty);
        }
        Err(redb::TableError::TableDoesNotExist(_)) => {
            return Err(BaselineError::NotABaseline {
                path: path.to_path_buf(),
                reason: format!(
                    "it is a redb database of another program (tables: {})",
                    tables.join(", ")
                ),
            });
        }
        Err(e) => {
            return Err(BaselineError::NotABaseline {
                path: path.to_path_buf(),
                reason: format!("its meta table is unreadable ({e})"),
            });
        }
    };
    let get = |key: &str| -> Result<Option<String>, BaselineError> {
        Ok(meta
            .get(key)
            .map_err(|e| BaselineError::store(path, e))?
            .map(|g| g.value().to_string()))
    };
    match get("magic")? {
        Some(m) if m == MAGIC => {}
        Some(other) => {
            return Err(BaselineError::NotABaseline {
                path: path.to_path_buf(),
                reason: format!("its meta table names application {other:?}"),
            });
        }
        None => {
            return Err(BaselineError::NotABaseline {
                path: path.to_path_buf(),
                reason: "its meta table has no jobwarden magic".to_string(),
            });
        }
    }
    let version = get("schema_version")?.unwrap_or_else(|| "(none)".to_string());
    if version != SCHEMA_VERSION.to_string() {
        return Err(BaselineError::SchemaMismatch {
            path: path.to_path_buf(),
            found: version,
            expected: SCHEMA_VERSION,
        });
    }
    Ok(MetaState::Current)
}

/// Write the meta table and create every table, so read-only readers find them.
pub(crate) fn initialise(db: &Database, path: &Path) -> Result<(), BaselineError> {
    let err = |e: redb::Error| BaselineError::store(path, e);
    let txn = db.begin_write().map_err(|e| err(e.into()))?;
    {
        let mut meta = txn.open_table(META).map_err(|e| err(e.into()))?;
        meta.insert("magic", MAGIC).map_err(|e| err(e.into()))?;
        let version = SCHEMA_VERSION.to_string();
        meta.insert("schema_version", version.as_str())
            .map_err(|e| err(e.into()))?;
        let writer = concat!("jobwarden-baseline ", env!("CARGO_PKG_VERSION"));
        meta.insert("written_by", writer)
            .map_err(|e| err(e.into()))?;
        create_tables(&txn).map_err(err)?;
    }
    txn.commit().map_err(|e| err(e.into()))?;
    Ok(())
}

fn create_tables(txn: &WriteTransaction) -> Result<(), redb::Error> {
    txn.open_table(SCOPES)?;
    txn.open_table(HOURS)?;
    for d in Dimension::ALL {
        txn.open_table(d.table())?;
    }
    Ok(())
}

/// Open or create the state file for writing, checking it is a baseline of this schema.
pub(crate) fn open_for_writing(path: &Path) -> Result<Database, BaselineError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| BaselineError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    precheck(path)?;
    let db = guarded(path, || Database::builder().create(path))?;
    let state = {
        let txn = db.begin_read().map_err(|e| BaselineError::store(path, e))?;
        check_meta(&txn, path)?
    };
    if let MetaState::Empty = state {
        initialise(&db, path)?;
    }
    Ok(db)
}

/// Open an existing state file read-only (shared with other readers, not with a writer).
pub(crate) fn open_read_only(path: &Path) -> Result<redb::ReadOnlyDatabase, BaselineError> {
    if !path.exists() {
        return Err(BaselineError::Missing {
            path: path.to_path_buf(),
        });
    }
    if !precheck(path)? {
        return Err(BaselineError::NotABaseline {
            path: path.to_path_buf(),
            reason: "it is empty".to_string(),
        });
    }
    let db = guarded(path, || redb::Builder::new().open_read_only(path))?;
    let txn = db.begin_read().map_err(|e| BaselineError::store(path, e))?;
    match check_meta(&txn, path)? {
        MetaState::Current => {}
        MetaState::Empty => {
            return Err(BaselineError::NotABaseline {
                path: path.to_path_buf(),
                reason: "it is an empty redb database".to_string(),
            });
        }
    }
    drop(txn);
    Ok(db)
}

/// The first bytes of every redb file.
const REDB_MAGIC: [u8; 9] = [b'r', b'e', b'd', b'b', 0x1A, 0x0A, 0xA9, 0x0D, 0x0A];

/// Look at the file before redb does: redb asserts on some malformed headers, and a file of
/// another program deserves a message naming it as such. Returns false when the file does not
/// exist or is empty (a new baseline).
fn precheck(path: &Path) -> Result<bool, BaselineError> {
    use std::io::Read;
    let io = |source| BaselineError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io(e)),
    };
    if file.metadata().map_err(io)?.is_dir() {
        return Err(BaselineError::NotABaseline {
            path: path.to_path_buf(),
            reason: "it is a directory".to_string(),
        });
    }
    let mut head = Vec::with_capacity(REDB_MAGIC.len());
    file.by_ref()
        .take(REDB_MAGIC.len() as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    if head.is_empty() {
        return Ok(false);
    }
    if head != REDB_MAGIC {
        let shown: String = String::from_utf8_lossy(&head)
            .chars()
            .map(|c| if c.is_control() { '.' } else { c })
            .collect();
        return Err(BaselineError::NotABaseline {
            path: path.to_path_buf(),
            reason: format!("it is not a redb database (it starts with {shown:?})"),
        });
    }
    Ok(true)
}

/// Run a redb open, turning its errors, and any assertion it trips on a damaged file, into a
/// [`BaselineError`]. While it runs, panics of this thread are not printed by the panic hook
/// (they become the error); other threads' panics still are.
fn guarded<T>(
    path: &Path,
    open: impl FnOnce() -> Result<T, redb::DatabaseError>,
) -> Result<T, BaselineError> {
    type Hook = dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync;
    let previous: std::sync::Arc<Hook> = std::sync::Arc::from(std::panic::take_hook());
    let forward = std::sync::Arc::clone(&previous);
    let opener = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() != opener {
            forward(info);
        }
    }));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(open));
    drop(std::panic::take_hook());
    std::panic::set_hook(Box::new(move |info| previous(info)));
    match outcome {
        Ok(result) => result.map_err(|e| open_error(path, e)),
        Err(panic) => {
            let detail = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "the store failed an internal check".to_string());
            Err(BaselineError::Corrupted {
                path: path.to_path_buf(),
                detail,
            })
        }
    }
}

/// Turn redb's open errors into messages about the state file.
fn open_error(path: &Path, err: redb::DatabaseError) -> BaselineError {
    let path_buf = path.to_path_buf();
    match err {
        redb::DatabaseError::DatabaseAlreadyOpen => BaselineError::InUse { path: path_buf },
        redb::DatabaseError::RepairAborted => BaselineError::Corrupted {
            path: path_buf,
            detail: "it was not closed cleanly and cannot be repaired read-only; open it for learning once to repair it".to_string(),
        },
        redb::DatabaseError::UpgradeRequired(v) => BaselineError::NotABaseline {
            path: path_buf,
            reason: format!("it is a redb database in old file format {v}"),
        },
        redb::DatabaseError::Storage(redb::StorageError::Io(e))
            if e.kind() == std::io::ErrorKind::UnexpectedEof =>
        {
            BaselineError::Corrupted {
                path: path_buf,
                detail: "the file is truncated".to_string(),
            }
        }
        redb::DatabaseError::Storage(redb::StorageError::Corrupted(detail)) => {
            // redb checks its own magic first: a file of another program lands here too.
            if detail.to_ascii_lowercase().contains("magic") {
                BaselineError::NotABaseline {
                    path: path_buf,
                    reason: format!("it is not a redb database ({detail})"),
                }
            } else {
                BaselineError::Corrupted {
                    path: path_buf,
                    detail,
                }
            }
        }
        other => BaselineError::store(path, other),
    }
}
