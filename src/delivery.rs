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
use crate::pacing::{Limiter, Traffic};
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

/// Sends one message to a chat, with no pacing of its own (the worker paces through the shared
/// [`Limiter`]). The Telegram implementation lives in `telegram`.
pub trait Sender: Send + Sync + 'static {
    fn send(&self, chat: i64, text: String) -> impl Future<Output = Result<(), SendError>> + Send;
}

/// Tuning of the worker; the rates live in the shared [`Limiter`].
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Sends in flight or waiting for their slot at once.
    pub concurrency: usize,
    /// Deliveries fetched from the outbox at a time.
    pub batch: usize,
    /// First retry delay after a transient failure; doubled per attempt.
    pub backoff: Duration,
    /// Longest retry delay.
    pub max_backoff: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            concurrency: 64,
            batch: 1000,
            backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(3600),
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

fn backoff(cfg: &DeliveryConfig, attempts: u32) -> Duration {
    let factor = 1u32.checked_shl(attempts.min(20)).unwrap_or(u32::MAX);
    cfg.backoff.saturating_mul(factor).min(cfg.max_backoff)
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Outcomes of the sends since the outbox was last empty, for the "broadcast finished" line.
#[derive(Debug, Default)]
struct Tally {
    counts: std::sync::Mutex<std::collections::BTreeMap<&'static str, u64>>,
}

impl Tally {
    fn add(&self, outcome: &'static str) {
        metrics::counter!("bot_broadcast_sends_total", "outcome" => outcome).increment(1);
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *c.entry(outcome).or_default() += 1;
    }

    /// The counts so far, as `delivered 10, unsubscribed 1`, and starts afresh; `None` if none.
    fn take(&self) -> Option<String> {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let line = c
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        c.clear();
        (!line.is_empty()).then_some(line)
    }
}

/// The outcome's name, for metrics and the summary line.
fn outcome_name(result: &Result<(), SendError>) -> &'static str {
    match result {
        Ok(()) => "delivered",
        Err(SendError::RetryAfter(_)) => "flood_wait",
        Err(SendError::Migrated(_)) => "migrated",
        Err(SendError::Gone(_)) => "unsubscribed",
        Err(SendError::Transient(_)) => "retry_later",
    }
}

/// Handles one send's outcome in the store.
fn settle(
    store: &dyn Store,
    limiter: &Limiter,
    cfg: &DeliveryConfig,
    d: &Delivery,
    result: Result<(), SendError>,
) -> Result<(), StoreError> {
    match result {
        Ok(()) => store.delivered(&d.update, d.chat),
        Err(SendError::RetryAfter(wait)) => {
            log::warn!("chat {}: flood limit, retrying in {wait:?}", d.chat);
            limiter.retry_after(d.chat, wait, Traffic::Broadcast);
            // Telegram's pacing, not the chat's failure: the backoff does not grow.
            store.postpone(&d.update, d.chat, now() + ms(wait))
        }
        Err(SendError::Migrated(new)) => {
            log::debug!(
                "chat {} became supergroup {new}: moving its subscription",
                d.chat
            );
            store.migrate(d.chat, new)
        }
        Err(SendError::Gone(why)) => {
            log::debug!("chat {} is gone ({why}): unsubscribing", d.chat);
            metrics::counter!("bot_unsubscribes_total", "reason" => "gone").increment(1);
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
/// published. Every send waits for its slot in the shared `limiter` (evenly spaced broadcasts,
/// per-chat and per-group spacing shared with replies); a chat that must wait is postponed in the
/// outbox rather than holding a slot. On shutdown, sends still waiting for their first slot are
/// dropped unsent (they stay owed); sends under way are finished and recorded.
pub async fn run<S: Sender>(
    store: Arc<dyn Store>,
    sender: Arc<S>,
    limiter: Arc<Limiter>,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
    cfg: DeliveryConfig,
) {
    let permits = Arc::new(tokio::sync::Semaphore::new(cfg.concurrency.max(1)));
    let tally = Arc::new(Tally::default());
    loop {
        if *shutdown.borrow() {
            return;
        }
        outbox_gauges(store.as_ref());
        let batch = match store.due(now(), cfg.batch) {
            Ok(b) => b,
            Err(e) => {
                log::error!("outbox: {e}");
                Vec::new()
            }
        };
        if batch.is_empty() {
            if store.outbox_len().is_ok_and(|n| n == 0)
                && let Some(counts) = tally.take()
            {
                log::info!("broadcast finished, the outbox is empty: {counts}");
            }
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
        let mut tasks = JoinSet::new();
        for d in batch {
            let wait = limiter.chat_wait(d.chat);
            if !wait.is_zero() {
                // Held back for pacing: not an attempt, so a later failure's backoff starts
                // where it should.
                if let Err(e) = store.postpone(&d.update, d.chat, now() + ms(wait)) {
                    log::error!("outbox: {e}");
                }
                continue;
            }
            let permit = tokio::select! {
                p = permits.clone().acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => return,
                },
                _ = shutdown.changed() => break,
            };
            let (store, sender, limiter, cfg, tally) = (
                store.clone(),
                sender.clone(),
                limiter.clone(),
                cfg.clone(),
                tally.clone(),
            );
            let mut stop = shutdown.clone();
            tasks.spawn(async move {
                let mut result = Ok(());
                for (i, part) in d.parts.iter().enumerate() {
                    if i == 0 {
                        tokio::select! {
                            _ = limiter.acquire(d.chat, Traffic::Broadcast) => {}
                            _ = stop.wait_for(|s| *s) => return,
                        }
                    } else {
                        limiter.acquire(d.chat, Traffic::Broadcast).await;
                    }
                    result = sender.send(d.chat, part.clone()).await;
                    if result.is_err() {
                        break;
                    }
                }
                tally.add(outcome_name(&result));
                if let Err(e) = settle(store.as_ref(), &limiter, &cfg, &d, result) {
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

/// The outbox's size and how late its oldest due message is, for the operator's dashboard:
/// read once per batch, never per scrape.
fn outbox_gauges(store: &dyn Store) {
    if let Ok(n) = store.outbox_len() {
        metrics::gauge!("bot_outbox_due").set(n as f64);
    }
    if let Ok(next) = store.next_due() {
        let late_ms = next.map_or(0, |at| (now() - at).max(0));
        metrics::gauge!("bot_outbox_oldest_due_seconds").set(late_ms as f64 / 1000.0);
    }
}
