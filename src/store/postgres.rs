//! The PostgreSQL engine, for a fleet of replicas: `tokio-postgres` through a `deadpool` pool
//! that checks a connection before reusing it (so the pool recovers after a failover).
//!
//! The database's clock is the only clock (`ttb_now_us()`), so replicas whose clocks disagree
//! still share one pacer and one set of leases. Migrations run in one transaction holding an
//! advisory lock, so replicas starting together apply each once. Publishing sends a `NOTIFY`
//! that wakes every replica's worker at once.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use super::{
    Budget, ChatStatus, Claimed, Pace, Store, StoreError, Subscriber, SweepClock, UpdateProgress,
    claim_token, micros, ms, parse_parts, us,
};

/// Schema migrations, applied in order; `schema_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    "CREATE FUNCTION ttb_now_us() RETURNS bigint LANGUAGE sql VOLATILE AS
        $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint $$;
     CREATE FUNCTION ttb_now_ms() RETURNS bigint LANGUAGE sql VOLATILE AS
        $$ SELECT ttb_now_us() / 1000 $$;
     CREATE TABLE subscriptions (
        chat_id bigint PRIMARY KEY,
        since_ms bigint NOT NULL,
        delivered bigint NOT NULL DEFAULT 0
     );
     CREATE TABLE published (
        update_id text PRIMARY KEY,
        at_ms bigint NOT NULL,
        parts text NOT NULL
     );
     CREATE TABLE outbox (
        update_id text NOT NULL,
        chat_id bigint NOT NULL,
        attempts int NOT NULL DEFAULT 0,
        due_ms bigint NOT NULL,
        parts_sent int NOT NULL DEFAULT 0,
        claim text,
        lease_ms bigint,
        PRIMARY KEY (update_id, chat_id)
     );
     CREATE INDEX outbox_due ON outbox (due_ms);
     CREATE INDEX outbox_chat ON outbox (chat_id);
     CREATE TABLE deliveries (
        update_id text NOT NULL,
        chat_id bigint NOT NULL,
        at_ms bigint NOT NULL,
        PRIMARY KEY (update_id, chat_id)
     );
     CREATE INDEX deliveries_chat ON deliveries (chat_id);
     CREATE TABLE dropped (
        update_id text NOT NULL,
        chat_id bigint NOT NULL,
        at_ms bigint NOT NULL,
        PRIMARY KEY (update_id, chat_id)
     );
     CREATE TABLE failed (
        update_id text NOT NULL,
        chat_id bigint NOT NULL,
        at_ms bigint NOT NULL,
        reason text NOT NULL,
        PRIMARY KEY (update_id, chat_id)
     );
     CREATE TABLE update_files (
        name text PRIMARY KEY,
        text text NOT NULL,
        added_ms bigint NOT NULL
     );
     CREATE TABLE pacer (name text PRIMARY KEY, next_us bigint NOT NULL);
     INSERT INTO pacer (name, next_us) VALUES ('broadcast', 0), ('readiness', 0);
     -- Spacing is worth nothing after a crash of the server: not written to the WAL.
     CREATE UNLOGGED TABLE chat_pace (chat_id bigint PRIMARY KEY, next_us bigint NOT NULL);",
    // A broadcast slot in one round trip (the pacer's row is locked for microseconds, not for
    // several round trips): kind 0 = go after wait_us, 1 = the chat must wait, 2 = full.
    "CREATE FUNCTION ttb_pace_broadcast(
        p_chat bigint, p_period bigint, p_gap bigint, p_horizon bigint,
        OUT kind int, OUT wait_us bigint) LANGUAGE plpgsql AS $$
     DECLARE
        v_now bigint := ttb_now_us();
        v_chat bigint;
        v_slot bigint;
     BEGIN
        INSERT INTO chat_pace (chat_id, next_us) VALUES (p_chat, 0) ON CONFLICT DO NOTHING;
        SELECT next_us INTO v_chat FROM chat_pace WHERE chat_id = p_chat FOR UPDATE;
        IF v_chat > v_now THEN
            kind := 1; wait_us := v_chat - v_now; RETURN;
        END IF;
        SELECT next_us INTO v_slot FROM pacer WHERE name = 'broadcast' FOR UPDATE;
        v_slot := GREATEST(v_slot, v_now);
        IF v_slot - v_now > p_horizon THEN
            kind := 2; wait_us := GREATEST(v_slot - v_now - p_horizon, 1000); RETURN;
        END IF;
        UPDATE pacer SET next_us = v_slot + p_period WHERE name = 'broadcast';
        UPDATE chat_pace SET next_us = v_slot + p_gap WHERE chat_id = p_chat;
        kind := 0; wait_us := v_slot - v_now;
     END $$;",
];

/// The channel `publish` notifies on.
const CHANNEL: &str = "ttb_outbox";

/// The URL with its password replaced, for logs and errors.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "postgres://<unparsable URL>".into(),
    }
}

/// PostgreSQL through a pool of connections.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    config: tokio_postgres::Config,
    sweep: Arc<SweepClock>,
}

fn pool_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Pool(e.to_string())
}

impl PgStore {
    /// Connects and migrates. Fails if the server cannot be reached now.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Pool(format!("{}: {e}", redact(url))))?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Verified,
            },
        );
        let timeout = Some(Duration::from_secs(5));
        let pool = Pool::builder(manager)
            .max_size(16)
            .runtime(Runtime::Tokio1)
            .wait_timeout(timeout)
            .create_timeout(timeout)
            .recycle_timeout(timeout)
            .build()
            .map_err(pool_err)?;
        let store = PgStore {
            pool,
            config,
            sweep: Default::default(),
        };
        store.migrate_schema().await?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pool_err)
    }

    async fn migrate_schema(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.batch_execute(
            "SET LOCAL client_min_messages = warning; SELECT pg_advisory_xact_lock(7041312)",
        )
        .await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version int NOT NULL)")
            .await?;
        let version: i32 = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
            .await?
            .get(0);
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO schema_version (version) VALUES ($1)",
                &[&(i as i32 + 1)],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Runs one statement that returns a count of rows.
    async fn count(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(sql).await?;
        Ok(client.execute(&stmt, params).await?)
    }
}

#[async_trait::async_trait]
impl Store for PgStore {
    fn engine(&self) -> &'static str {
        "postgres"
    }

    async fn check(&self) -> Result<(), StoreError> {
        self.count(
            "UPDATE pacer SET next_us = ttb_now_us() WHERE name = 'readiness'",
            &[],
        )
        .await
        .map(|_| ())
    }

    async fn subscribe(&self, chat: i64) -> Result<bool, StoreError> {
        Ok(self
            .count(
                "INSERT INTO subscriptions (chat_id, since_ms) VALUES ($1, ttb_now_ms())
                 ON CONFLICT DO NOTHING",
                &[&chat],
            )
            .await?
            == 1)
    }

    async fn unsubscribe(&self, chat: i64) -> Result<bool, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = tx
            .execute("DELETE FROM subscriptions WHERE chat_id = $1", &[&chat])
            .await?;
        tx.execute(
            "INSERT INTO dropped (update_id, chat_id, at_ms)
             SELECT update_id, chat_id, ttb_now_ms() FROM outbox WHERE chat_id = $1
             ON CONFLICT DO NOTHING",
            &[&chat],
        )
        .await?;
        tx.execute("DELETE FROM outbox WHERE chat_id = $1", &[&chat])
            .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn status(&self, chat: i64) -> Result<ChatStatus, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT delivered FROM subscriptions WHERE chat_id = $1",
                &[&chat],
            )
            .await?;
        let delivered: Option<i64> = row.map(|r| r.get(0));
        Ok(ChatStatus {
            subscribed: delivered.is_some(),
            delivered: delivered.unwrap_or(0) as u64,
        })
    }

    async fn migrate(&self, old: i64, new: i64) -> Result<(), StoreError> {
        if old == new {
            return Ok(());
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "INSERT INTO subscriptions (chat_id, since_ms, delivered)
             SELECT $2, since_ms, delivered FROM subscriptions WHERE chat_id = $1
             ON CONFLICT (chat_id) DO UPDATE
               SET delivered = subscriptions.delivered + excluded.delivered",
            &[&old, &new],
        )
        .await?;
        tx.execute("DELETE FROM subscriptions WHERE chat_id = $1", &[&old])
            .await?;
        tx.execute(
            "UPDATE deliveries d SET chat_id = $2 WHERE chat_id = $1 AND NOT EXISTS
               (SELECT 1 FROM deliveries e WHERE e.chat_id = $2 AND e.update_id = d.update_id)",
            &[&old, &new],
        )
        .await?;
        tx.execute(
            "UPDATE outbox o SET chat_id = $2, due_ms = 0, claim = NULL, lease_ms = NULL
             WHERE chat_id = $1 AND NOT EXISTS
               (SELECT 1 FROM deliveries e WHERE e.chat_id = $2 AND e.update_id = o.update_id)
             AND NOT EXISTS
               (SELECT 1 FROM outbox p WHERE p.chat_id = $2 AND p.update_id = o.update_id)",
            &[&old, &new],
        )
        .await?;
        tx.execute("DELETE FROM outbox WHERE chat_id = $1", &[&old])
            .await?;
        tx.execute("DELETE FROM deliveries WHERE chat_id = $1", &[&old])
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn publish(&self, update: &str, parts: &[String]) -> Result<usize, StoreError> {
        let parts = serde_json::to_string(parts).unwrap_or_else(|_| "[]".into());
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let new = tx
            .execute(
                "INSERT INTO published (update_id, at_ms, parts) VALUES ($1, ttb_now_ms(), $2)
                 ON CONFLICT DO NOTHING",
                &[&update, &parts],
            )
            .await?;
        if new == 0 {
            return Ok(0);
        }
        let n = tx
            .execute(
                // The update is new (inserted just above), so no row of it can exist yet; the
                // time is read once, not per row (the function is volatile).
                "INSERT INTO outbox (update_id, chat_id, due_ms)
                 SELECT $1, s.chat_id, t.now FROM subscriptions s, (SELECT ttb_now_ms() AS now) t",
                &[&update],
            )
            .await?;
        tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &update])
            .await?;
        tx.commit().await?;
        Ok(n as usize)
    }

    async fn is_published(&self, update: &str) -> Result<bool, StoreError> {
        let client = self.client().await?;
        Ok(client
            .query_opt("SELECT 1 FROM published WHERE update_id = $1", &[&update])
            .await?
            .is_some())
    }

    async fn claim(&self, limit: usize, lease: Duration) -> Result<Vec<Claimed>, StoreError> {
        let token = claim_token();
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "WITH c AS (
                    SELECT update_id, chat_id FROM outbox
                    WHERE due_ms <= ttb_now_ms() AND (lease_ms IS NULL OR lease_ms < ttb_now_ms())
                    ORDER BY due_ms LIMIT $1 FOR UPDATE SKIP LOCKED)
                 UPDATE outbox o SET claim = $2, lease_ms = ttb_now_ms() + $3
                 FROM c WHERE o.update_id = c.update_id AND o.chat_id = c.chat_id
                 RETURNING o.update_id, o.chat_id, o.attempts, o.parts_sent",
            )
            .await?;
        let rows = client
            .query(&stmt, &[&(limit as i64), &token, &ms(lease)])
            .await?;
        let mut ids: Vec<String> = rows.iter().map(|r| r.get::<_, String>(0)).collect();
        ids.sort();
        ids.dedup();
        let parts: std::collections::HashMap<String, Vec<String>> = client
            .query(
                "SELECT update_id, parts FROM published WHERE update_id = ANY($1)",
                &[&ids],
            )
            .await?
            .into_iter()
            .map(|r| (r.get(0), parse_parts(r.get(1))))
            .collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let update: String = r.get(0);
                Claimed {
                    parts: parts.get(&update).cloned().unwrap_or_default(),
                    update,
                    chat: r.get(1),
                    attempts: r.get::<_, i32>(2).max(0) as u32,
                    parts_sent: r.get::<_, i32>(3).max(0) as u32,
                    claim: token.clone(),
                }
            })
            .collect())
    }

    async fn next_due(&self) -> Result<Option<Duration>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT MIN(GREATEST(due_ms, COALESCE(lease_ms, 0))) - ttb_now_ms() FROM outbox",
                &[],
            )
            .await?;
        let wait: Option<i64> = row.get(0);
        Ok(wait.map(|w| Duration::from_millis(w.max(0) as u64)))
    }

    async fn part_sent(&self, d: &Claimed, parts_sent: u32) -> Result<bool, StoreError> {
        Ok(self
            .count(
                "UPDATE outbox SET parts_sent = $4
                 WHERE update_id = $1 AND chat_id = $2 AND claim = $3",
                &[&d.update, &d.chat, &d.claim, &(parts_sent as i32)],
            )
            .await?
            == 1)
    }

    async fn complete(&self, d: &Claimed) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "WITH d AS (
                    DELETE FROM outbox WHERE update_id = $1 AND chat_id = $2 AND claim = $3
                    RETURNING update_id, chat_id),
                 i AS (
                    INSERT INTO deliveries (update_id, chat_id, at_ms)
                    SELECT update_id, chat_id, ttb_now_ms() FROM d ON CONFLICT DO NOTHING),
                 s AS (
                    UPDATE subscriptions SET delivered = delivered + 1
                    WHERE chat_id IN (SELECT chat_id FROM d))
                 SELECT COUNT(*) FROM d",
            )
            .await?;
        let n: i64 = client
            .query_one(&stmt, &[&d.update, &d.chat, &d.claim])
            .await?
            .get(0);
        Ok(n == 1)
    }

    async fn reschedule(
        &self,
        d: &Claimed,
        after: Duration,
        failed: bool,
    ) -> Result<bool, StoreError> {
        Ok(self
            .count(
                "UPDATE outbox SET claim = NULL, lease_ms = NULL, due_ms = ttb_now_ms() + $4,
                        attempts = attempts + $5
                 WHERE update_id = $1 AND chat_id = $2 AND claim = $3",
                &[&d.update, &d.chat, &d.claim, &ms(after), &(failed as i32)],
            )
            .await?
            == 1)
    }

    async fn give_up(&self, d: &Claimed, reason: &str) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let n: i64 = client
            .query_one(
                "WITH d AS (
                    DELETE FROM outbox WHERE update_id = $1 AND chat_id = $2 AND claim = $3
                    RETURNING update_id, chat_id),
                 f AS (
                    INSERT INTO failed (update_id, chat_id, at_ms, reason)
                    SELECT update_id, chat_id, ttb_now_ms(), $4 FROM d
                    ON CONFLICT (update_id, chat_id) DO UPDATE SET reason = excluded.reason)
                 SELECT COUNT(*) FROM d",
                &[&d.update, &d.chat, &d.claim, &reason],
            )
            .await?
            .get(0);
        Ok(n == 1)
    }

    async fn pace_broadcast(&self, chat: i64, budget: &Budget) -> Result<Pace, StoreError> {
        let client = self.client().await?;
        if self.sweep.tick() {
            client
                .execute(
                    "DELETE FROM chat_pace WHERE next_us < ttb_now_us() - 60000000",
                    &[],
                )
                .await?;
        }
        let stmt = client
            .prepare_cached("SELECT kind, wait_us FROM ttb_pace_broadcast($1, $2, $3, $4)")
            .await?;
        let row = client
            .query_one(
                &stmt,
                &[
                    &chat,
                    &us(budget.period),
                    &us(budget.gap(chat)),
                    &us(budget.horizon),
                ],
            )
            .await?;
        let wait = micros(row.get(1));
        Ok(match row.get::<_, i32>(0) {
            0 => Pace::Go(wait),
            1 => Pace::ChatBusy(wait),
            _ => Pace::Full(wait),
        })
    }

    async fn pace_reply(&self, chat: i64, gap: Duration) -> Result<Duration, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "WITH t AS (SELECT ttb_now_us() AS now)
                 INSERT INTO chat_pace (chat_id, next_us)
                 SELECT $1, (SELECT now FROM t) + $2
                 ON CONFLICT (chat_id) DO UPDATE
                   SET next_us = GREATEST(chat_pace.next_us, (SELECT now FROM t)) + $2
                 RETURNING next_us - $2 - (SELECT now FROM t)",
            )
            .await?;
        let wait: i64 = client.query_one(&stmt, &[&chat, &us(gap)]).await?.get(0);
        Ok(micros(wait))
    }

    async fn pause(&self, chat: i64, wait: Duration, everyone: bool) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO chat_pace (chat_id, next_us) VALUES ($1, ttb_now_us() + $2)
                 ON CONFLICT (chat_id) DO UPDATE
                   SET next_us = GREATEST(chat_pace.next_us, excluded.next_us)",
                &[&chat, &us(wait)],
            )
            .await?;
        if everyone {
            client
                .execute(
                    "UPDATE pacer SET next_us = GREATEST(next_us, ttb_now_us() + $1)
                     WHERE name = 'broadcast'",
                    &[&us(wait)],
                )
                .await?;
        }
        Ok(())
    }

    async fn subscriber_count(&self) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let n: i64 = client
            .query_one("SELECT COUNT(*) FROM subscriptions", &[])
            .await?
            .get(0);
        Ok(n as u64)
    }

    async fn outbox_len(&self) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let n: i64 = client
            .query_one("SELECT COUNT(*) FROM outbox", &[])
            .await?
            .get(0);
        Ok(n as u64)
    }

    async fn subscribers(&self) -> Result<Vec<Subscriber>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT chat_id, since_ms, delivered FROM subscriptions ORDER BY since_ms, chat_id",
                &[],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Subscriber {
                chat: r.get(0),
                since_ms: r.get(1),
                delivered: r.get::<_, i64>(2) as u64,
            })
            .collect())
    }

    async fn update_progress(&self) -> Result<Vec<UpdateProgress>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT p.update_id, p.at_ms,
                        (SELECT COUNT(*) FROM deliveries d WHERE d.update_id = p.update_id),
                        (SELECT COUNT(*) FROM outbox o
                          WHERE o.update_id = p.update_id AND o.attempts = 0),
                        (SELECT COUNT(*) FROM outbox o
                          WHERE o.update_id = p.update_id AND o.attempts > 0),
                        (SELECT COUNT(*) FROM dropped x WHERE x.update_id = p.update_id),
                        (SELECT COUNT(*) FROM failed f WHERE f.update_id = p.update_id)
                 FROM published p ORDER BY p.at_ms, p.update_id",
                &[],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| UpdateProgress {
                update: r.get(0),
                published_ms: r.get(1),
                sent: r.get::<_, i64>(2) as u64,
                pending: r.get::<_, i64>(3) as u64,
                retrying: r.get::<_, i64>(4) as u64,
                unsubscribed: r.get::<_, i64>(5) as u64,
                failed: r.get::<_, i64>(6) as u64,
            })
            .collect())
    }

    async fn watch_publishes(&self, wake: Arc<tokio::sync::Notify>) {
        loop {
            match self.listen_once(&wake).await {
                Ok(()) => log::warn!("PostgreSQL: the LISTEN connection closed; reconnecting"),
                Err(e) => log::warn!("PostgreSQL: cannot LISTEN ({e}); retrying in 1 s"),
            }
            // Something may have been published while nobody listened.
            wake.notify_one();
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn add_update_file(&self, name: &str, text: &str) -> Result<bool, StoreError> {
        Ok(self
            .count(
                "INSERT INTO update_files (name, text, added_ms) VALUES ($1, $2, ttb_now_ms())
                 ON CONFLICT (name) DO UPDATE SET text = excluded.text, added_ms = excluded.added_ms
                 WHERE update_files.text <> excluded.text",
                &[&name, &text],
            )
            .await?
            > 0)
    }

    async fn update_files(&self) -> Result<Vec<(String, String)>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query("SELECT name, text FROM update_files ORDER BY name", &[])
            .await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}

impl PgStore {
    /// One LISTEN connection, until it fails.
    async fn listen_once(&self, wake: &Arc<tokio::sync::Notify>) -> Result<(), StoreError> {
        use tokio_postgres::AsyncMessage;
        let (client, mut connection) = self.config.connect(NoTls).await?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        // The connection must be polled for the LISTEN below to complete, and then for every
        // notification.
        let pump = tokio::spawn(async move {
            loop {
                match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(_))) => {
                        if tx.send(()).is_err() {
                            return;
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return,
                }
            }
        });
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        while rx.recv().await.is_some() {
            wake.notify_one();
        }
        pump.abort();
        Ok(())
    }
}
