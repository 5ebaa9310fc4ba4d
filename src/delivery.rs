//! Delivery of published updates: the outbox worker and publishing. The worker spaces its sends
//! evenly (overall, per chat, per group), decides what to do with each outcome, and records a
//! delivery only after the message was accepted; a [`Sender`] only sends.
//!
//! Why per-outcome handling matters: a blocked or kicked chat is unsubscribed, a migrated group
//! gets the message at its new id, a 429 waits `retry_after`, anything else is retried with
//! backoff — and none of these stops the other chats.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::knowledge::KnowledgeBase;
use crate::render;
use crate::subscriptions::{Delivery, Store, StoreError, now};

/// Why a send failed, as far as delivery cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Telegram asked to wait (429).
    RetryAfter(Duration),
    /// The group became a supergroup with this id.
    Migrated(i64),
    /// The chat is gone for the bot: blocked, kicked, deleted, not found.
    Gone(String),
    /// Anything else (network, 5xx, unexpected answer): try again later.
    Transient(String),
}

/// Sends one message (in parts) to a chat. The Telegram implementation lives in `telegram`.
pub trait Sender: Send + Sync + 'static {
    fn send(
        &self,
        chat: i64,
        parts: Vec<String>,
    ) -> impl Future<Output = Result<(), SendError>> + Send;
}

/// Tuning of the worker.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Sends in flight at once (each starts in its own paced slot).
    pub concurrency: usize,
    /// Deliveries fetched from the outbox at a time.
    pub batch: usize,
    /// First retry delay after a transient failure; doubled per attempt.
    pub backoff: Duration,
    /// Longest retry delay.
    pub max_backoff: Duration,
    /// Sends started per second, evenly spaced (0: as fast as the sender takes them). Even
    /// spacing keeps at most a send or two in flight, which is also what a crash can leave
    /// ambiguous (accepted by Telegram, not yet recorded).
    pub per_second: u32,
    /// Least time between two messages to one private chat (Telegram: about 1 s).
    pub per_chat_interval: Duration,
    /// Least time between two messages to one group (Telegram: 20 a minute).
    pub per_group_interval: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            concurrency: 64,
            batch: 1000,
            backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(3600),
            per_second: 28,
            per_chat_interval: Duration::from_secs(1),
            per_group_interval: Duration::from_secs(3),
        }
    }
}

/// Publishes every update of `kb` that was not published yet; returns how many deliveries were
/// queued. Updates present at the first start are published to nobody, since nobody is
/// subscribed yet: a subscriber only ever receives updates published after it subscribed.
pub fn publish_new(kb: &KnowledgeBase, store: &dyn Store) -> Result<usize, StoreError> {
    let mut queued = 0;
    for u in &kb.updates {
        if !store.is_published(&u.id)? {
            let n = store.publish(&u.id, &render::update_html(u))?;
            log::info!("published update {} to {n} chat(s)", u.id);
            queued += n;
        }
    }
    Ok(queued)
}

/// Evenly spaced send slots on a fixed schedule. A slot the timer delivers late is made up at
/// once, so the average rate holds (a timer late by a millisecond would otherwise cost a third
/// of it at a few hundred per second), but never more than [`Pacer::CATCH_UP`] slots, so a stall
/// never turns into a burst.
struct Pacer {
    period: Duration,
    next: tokio::time::Instant,
}

impl Pacer {
    const CATCH_UP: u32 = 3;

    fn new(per_second: u32) -> Self {
        Pacer {
            period: Duration::from_secs(1) / per_second.max(1),
            next: tokio::time::Instant::now(),
        }
    }

    /// Starts the schedule afresh (after idling).
    fn restart(&mut self) {
        self.next = tokio::time::Instant::now();
    }

    /// Waits for the next slot.
    async fn wait(&mut self) {
        let now = tokio::time::Instant::now();
        let floor = now.checked_sub(self.period * Self::CATCH_UP).unwrap_or(now);
        self.next = self.next.max(floor);
        tokio::time::sleep_until(self.next).await;
        self.next += self.period;
    }
}

fn backoff(cfg: &DeliveryConfig, attempts: u32) -> Duration {
    let factor = 1u32.checked_shl(attempts.min(20)).unwrap_or(u32::MAX);
    cfg.backoff.saturating_mul(factor).min(cfg.max_backoff)
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Handles one send's outcome in the store.
fn settle(
    store: &dyn Store,
    cfg: &DeliveryConfig,
    d: &Delivery,
    result: Result<(), SendError>,
) -> Result<(), StoreError> {
    match result {
        Ok(()) => store.delivered(&d.update, d.chat),
        Err(SendError::RetryAfter(wait)) => {
            log::warn!("chat {}: flood limit, retrying in {wait:?}", d.chat);
            // Telegram's pacing, not the chat's failure: the backoff does not grow.
            store.postpone(&d.update, d.chat, now() + ms(wait))
        }
        Err(SendError::Migrated(new)) => {
            log::info!(
                "chat {} became supergroup {new}: moving its subscription",
                d.chat
            );
            store.migrate(d.chat, new)
        }
        Err(SendError::Gone(why)) => {
            log::info!("chat {} is gone ({why}): unsubscribing", d.chat);
            store.unsubscribe(d.chat).map(|_| ())
        }
        Err(SendError::Transient(why)) => {
            let wait = backoff(cfg, d.attempts);
            log::warn!(
                "chat {}: update {} failed ({why}), retry {} in {wait:?}",
                d.chat,
                d.update,
                d.attempts + 1
            );
            store.retry_later(&d.update, d.chat, now() + ms(wait))
        }
    }
}

/// Delivers owed messages until `shutdown` turns true; `wake` is notified when something was
/// published. Each batch is finished (every in-flight send settled) before the worker stops.
pub async fn run<S: Sender>(
    store: Arc<dyn Store>,
    sender: Arc<S>,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
    cfg: DeliveryConfig,
) {
    let permits = Arc::new(tokio::sync::Semaphore::new(cfg.concurrency.max(1)));
    // When each chat was last sent to, so two updates in a row respect the per-chat limits.
    let mut last_sent: std::collections::HashMap<i64, tokio::time::Instant> =
        std::collections::HashMap::new();
    let mut pace = (cfg.per_second > 0).then(|| Pacer::new(cfg.per_second));
    loop {
        if *shutdown.borrow() {
            return;
        }
        let batch = match store.due(now(), cfg.batch) {
            Ok(b) => b,
            Err(e) => {
                log::error!("outbox: {e}");
                Vec::new()
            }
        };
        if batch.is_empty() {
            let wait = match store.next_due() {
                Ok(Some(at)) => Duration::from_millis((at - now()).clamp(10, 1000) as u64),
                _ => Duration::from_secs(1),
            };
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        // Time spent idle or waiting for the previous batch is not made up with a burst.
        if let Some(p) = pace.as_mut() {
            p.restart();
        }
        let mut tasks = JoinSet::new();
        let started = tokio::time::Instant::now();
        last_sent.retain(|_, at| started.duration_since(*at) < cfg.per_group_interval);
        for d in batch {
            let gap = if d.chat < 0 {
                cfg.per_group_interval
            } else {
                cfg.per_chat_interval
            };
            if let Some(at) = last_sent.get(&d.chat) {
                let since = tokio::time::Instant::now().duration_since(*at);
                if since < gap {
                    // Held back for pacing: not an attempt, so a later failure's backoff starts
                    // where it should.
                    if let Err(e) = store.postpone(&d.update, d.chat, now() + ms(gap - since)) {
                        log::error!("outbox: {e}");
                    }
                    continue;
                }
            }
            if let Some(p) = pace.as_mut() {
                p.wait().await;
            }
            last_sent.insert(d.chat, tokio::time::Instant::now());
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let (store, sender, cfg) = (store.clone(), sender.clone(), cfg.clone());
            tasks.spawn(async move {
                let result = sender.send(d.chat, d.parts.clone()).await;
                if let Err(e) = settle(store.as_ref(), &cfg, &d, result) {
                    log::error!(
                        "outbox: cannot record chat {} update {}: {e}",
                        d.chat,
                        d.update
                    );
                }
                drop(permit);
            });
        }
        while tasks.join_next().await.is_some() {}
    }
}
