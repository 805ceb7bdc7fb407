//! Schema migrations, embedded in the binary, one SQL file per version and
//! engine (`migrations/sqlite/`, `migrations/postgres/`). They run at start
//! and with `galley migrate`; on PostgreSQL an advisory lock lets several
//! nodes start at once.
//!
//! May touch: `sqlx`, `store` (`Db`), `clock` (the time a migration ran).
//! Never `domain` or an entry point.

use sqlx::Connection;

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
    let applied: Vec<(i64,)> = sqlx::query_as("SELECT version FROM galley_migrations")
        .fetch_all(&mut *conn)
        .await?;
    let mut count = 0;
    for migration in MIGRATIONS.iter().filter(|m| m.version <= last) {
        if applied.iter().any(|(v,)| *v == migration.version) {
            continue;
        }
        let sql = match engine {
            Engine::Sqlite => migration.sqlite,
            Engine::Postgres => migration.postgres,
        };
        let fail = |source| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source,
        };
        let mut tx = conn.begin().await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(fail)?;
        sqlx::query(
            "INSERT INTO galley_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(migration.version)
        .bind(migration.name)
        .bind(crate::clock::Clock::now_ms(&crate::clock::SystemClock))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        count += 1;
    }
    Ok(count)
}
