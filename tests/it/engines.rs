//! Owns the test stores on both engines: a SQLite file in a temporary folder and a fresh
//! database on the throwaway PostgreSQL server, and the macro that runs one test on each.

use std::sync::Arc;

use trade_talks_bot::store::{Location, Store};

/// A database to test against, kept alive for the test (the SQLite file's folder).
pub struct TestDb {
    pub location: Location,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        TestDb {
            location: Location::Sqlite(dir.path().join("bot.db")),
            _dir: Some(dir),
        }
    }

    pub async fn postgres() -> TestDb {
        TestDb {
            location: Location::Postgres(fake_bot_api::postgres::fresh_database().await),
            _dir: None,
        }
    }

    /// Opens a store on this database (each call a new connection or pool, as a second process
    /// would have).
    pub async fn open(&self) -> Arc<dyn Store> {
        trade_talks_bot::store::open(&self.location)
            .await
            .unwrap_or_else(|e| panic!("opening {}: {e}", self.location))
    }
}

/// Runs the async test function `$name(TestDb)` once on SQLite and once on PostgreSQL, as
/// `$name::sqlite` and `$name::postgres`.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::engines::TestDb::sqlite().await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::engines::TestDb::postgres().await).await
            }
        }
    )*};
}
