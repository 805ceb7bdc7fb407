//! Schema migrations, embedded in the binary, one SQL file per version and
//! engine (`migrations/sqlite/`, `migrations/postgres/`). They run at start
//! and with `galley migrate`; on PostgreSQL an advisory lock lets several
//! nodes start at once.
//!
//! May touch: `sqlx`, `store` (`Db`), `clock` (the time a migration ran).
//! Never `domain` or an entry point.

use super::{Db, Engine, StoreError, StoreResult};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

macro_rules! migration {
    ($version:expr, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sqlite: include_str!(concat!("../../migrations/sqlite/", $name, ".sql")),
            postgres: include_str!(concat!("../../migrations/postgres/", $name, ".sql")),
        }
    };
}

const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_foundation"),
    migration!(2, "0002_storefront"),
    migration!(3, "0003_rewards"),
    migration!(4, "0004_links"),
    migration!(5, "0005_client_deletion"),
    migration!(6, "0006_admin_grants"),
    migration!(7, "0007_server_keys"),
    migration!(8, "0008_signup_confirmations"),
    migration!(9, "0009_portal_sessions"),
    migration!(10, "0010_report_indexes"),
    migration!(11, "0011_developer_hub"),
    migration!(12, "0012_webhooks"),
    migration!(13, "0013_operators"),
];

/// Key of the PostgreSQL advisory lock held while migrating.
const LOCK_KEY: i64 = 0x6761_6c6c_6579;

/// Applies every pending migration; returns how many were applied.
pub async fn run(db: &Db) -> StoreResult<usize> {
    run_through(db, i64::MAX).await
}

/// Applies the pending migrations up to and including version `last`
/// (tests use it to prepare data in an older schema, then migrate it).
pub async fn run_through(db: &Db, last: i64) -> StoreResult<usize> {
    let mut conn = db.write.acquire().await?;
    if db.engine == Engine::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(LOCK_KEY)
            .execute(&mut *conn)
            .await?;
    }
    let result = apply_pending(db.engine, &mut conn, last).await;
    if db.engine == Engine::Postgres {
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(LOCK_KEY)
            .execute(&mut *conn)
            .await?;
    }
    result
}

/// Applies `migration` in the open transaction unless it is recorded as
/// applied; true when it was applied now.
async fn apply_one(
    engine: Engine,
    conn: &mut sqlx::AnyConnection,
    migration: &Migration,
) -> StoreResult<bool> {
    let done: Option<(i64,)> =
        sqlx::query_as("SELECT version FROM galley_migrations WHERE version = $1")
            .bind(migration.version)
            .fetch_optional(&mut *conn)
            .await?;
    if done.is_some() {
        return Ok(false);
    }
    let sql = match engine {
        Engine::Sqlite => migration.sqlite,
        Engine::Postgres => migration.postgres,
    };
    sqlx::raw_sql(sql)
        .execute(&mut *conn)
        .await
        .map_err(|source| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source,
        })?;
    sqlx::query("INSERT INTO galley_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
        .bind(migration.version)
        .bind(migration.name)
        .bind(crate::clock::Clock::now_ms(&crate::clock::SystemClock))
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

async fn apply_pending(
    engine: Engine,
    conn: &mut sqlx::AnyConnection,
    last: i64,
) -> StoreResult<usize> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS galley_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at BIGINT NOT NULL
        )",
    )
    .execute(&mut *conn)
    .await?;
    // SQLite has no advisory lock: each migration runs in a transaction
    // that takes the write lock first (`BEGIN IMMEDIATE`), then checks again
    // whether another node applied it meanwhile, so nodes started at once
    // on an empty file apply each migration once and the others wait.
    let begin = match engine {
        Engine::Sqlite => "BEGIN IMMEDIATE",
        Engine::Postgres => "BEGIN",
    };
    let mut count = 0;
    for migration in MIGRATIONS.iter().filter(|m| m.version <= last) {
        sqlx::raw_sql(begin).execute(&mut *conn).await?;
        match apply_one(engine, conn, migration).await {
            Ok(applied) => {
                sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
                count += usize::from(applied);
            }
            Err(e) => {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                return Err(e);
            }
        }
    }
    Ok(count)
}
