//! Delivery of published updates: publishing, and the outbox worker that claims owed messages,
//! takes each send's turn from the shared pacer, sends, and records the outcome. A [`Sender`]
//! only sends.
//!
//! The promises, and how they are kept:
//! - **Nothing sent twice by design**: a row is sent only after the store recorded this worker's
//!   claim on it; each accepted part is recorded before the next is sent; a row is completed
//!   only by the claim that holds it. The Bot API has no idempotency key, so the only repeats
//!   left are sends in flight when a process dies (their lease runs out and another worker sends
//!   them again).
//! - **Nothing lost**: an accepted send whose record cannot be written (disk full, database
//!   gone) is kept in memory and recorded when the store recovers; until then nothing new is
//!   claimed or sent.
//! - **One chat never holds up the rest**: sends run side by side (a chat whose send hangs holds
//!   one of many permits until the send timeout); a chat that must wait is rescheduled rather than
//!   holding its slot; a blocked or kicked chat is unsubscribed, a migrated group followed, a
//!   message Telegram keeps refusing given up after a few tries (visible in `status`), anything
//!   else retried with backoff.
//! - **One budget**: every send takes its slot from the store's pacer, shared by every process on
//!   the database; a 429 pauses them all.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use crate::knowledge::Knowledge;
use crate::render;
use crate::store::{Budget, Claimed, Pace, Store, StoreError};

/// Why a send failed, as far as delivery cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Telegram asked to wait (429).
    RetryAfter(Duration),
    /// The group became a supergroup with this id.
    Migrated(i64),
    /// The chat is gone for the bot: blocked, kicked, deleted, not found.
    Gone(String),
    /// Telegram refused this message for this chat (another 4xx): tried a few times, then given
    /// up.
    Rejected(String),
    /// Anything else (network, 5xx, no answer in time): try again later.
    Transient(String),
}

/// Sends one message to a chat, with no pacing of its own (the worker paces through the store).
/// The Telegram implementation lives in `telegram`.
pub trait Sender: Send + Sync + 'static {
    fn send(&self, chat: i64, text: String) -> impl Future<Output = Result<(), SendError>> + Send;
}

/// Tuning of the worker.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Sends under way at once. Many, so that chats whose sends hang do not stop the others;
    /// the budget, not this, sets the rate.
    pub concurrency: usize,
    /// First retry delay after a failure; doubled per attempt.
    pub backoff: Duration,
    /// Longest retry delay.
    pub max_backoff: Duration,
    /// Longest wait for Telegram's answer to one send. Longer than Telegram is ever slow in
    /// practice: a send given up on may still have been accepted, and will be sent again.
    pub send_timeout: Duration,
    /// How long a claim holds its messages: three send timeouts, so a send still in flight is
    /// never taken over by another worker.
    pub lease: Duration,
    /// Refusals (4xx other than gone or migrated) before a message is given up for a chat.
    pub max_rejections: u32,
    /// How long a stopping worker lets its sends under way finish.
    pub shutdown_grace: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            concurrency: 256,
            backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(3600),
            send_timeout: Duration::from_secs(60),
            lease: Duration::from_secs(180),
            max_rejections: 3,
            shutdown_grace: Duration::from_secs(7),
        }
    }
}

/// Publishes every update of `kb` that was not published yet; returns how many deliveries were
/// queued. Updates present at the first start are published to nobody, since nobody is
/// subscribed yet: a subscriber only ever receives updates published after it subscribed.
pub async fn publish_new(kb: &Knowledge, store: &dyn Store) -> Result<usize, StoreError> {
    let mut queued = 0;
    for u in &kb.updates {
        if !store.is_published(&u.id).await? {
            let n = store.publish(&u.id, &render::update_html(u)).await?;
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

/// Outcomes of the sends since the outbox was last empty, for the "broadcast finished" line.
#[derive(Debug, Default)]
struct Tally {
    counts: Mutex<std::collections::BTreeMap<&'static str, u64>>,
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
fn outcome_name(e: &SendError) -> &'static str {
    match e {
        SendError::RetryAfter(_) => "flood_wait",
        SendError::Migrated(_) => "migrated",
        SendError::Gone(_) => "unsubscribed",
        SendError::Rejected(_) => "rejected",
        SendError::Transient(_) => "retry_later",
    }
}

/// An accepted send the store has not recorded yet.
#[derive(Debug)]
enum Unrecorded {
    /// The first `n` parts went out (more are owed).
    Parts(Claimed, u32),
    /// The whole message went out.
    Done(Claimed),
}

/// What a send's turn came to.
enum Turn {
    Go,
    /// Give the row back, due again after this wait.
    Release(Duration),
    /// The store cannot pace: send nothing; the claim's lease brings the row back.
    StoreDown,
}

struct Worker<S> {
    store: Arc<dyn Store>,
    sender: Arc<S>,
    cfg: DeliveryConfig,
    budget: Budget,
    tally: Tally,
    unrecorded: Mutex<Vec<Unrecorded>>,
    /// Claimed messages not yet at their first send.
    queued: AtomicUsize,
    /// One request to the pacer at a time from this worker: sends waiting for a slot would
    /// otherwise each hold a database connection queueing for the pacer's row.
    pace_lock: tokio::sync::Mutex<()>,
    stop: watch::Receiver<bool>,
}

/// Delivers owed messages until `shutdown` turns true, each send in its slot of `budget`;
/// `wake` is notified when something was published. `broadcasting` is kept true while anything
/// is owed (as of the last look, at most a second old), for the reply pacer. On shutdown it
/// stops claiming, gives back the claims not yet being sent, lets sends under way finish (for at
/// most `shutdown_grace`), and records them.
pub async fn run<S: Sender>(
    store: Arc<dyn Store>,
    sender: Arc<S>,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
    cfg: DeliveryConfig,
    budget: Budget,
    broadcasting: Arc<AtomicBool>,
) {
    let permits = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    // Claimed messages waiting for their slot at most: about half a second of the budget (a
    // claim not sent soon only delays its message if this worker dies).
    let per_second = Duration::from_secs(1).as_micros() / budget.period.as_micros().max(1);
    let queue = (per_second as usize / 2).max(4);
    let w = Arc::new(Worker {
        store: store.clone(),
        sender,
        cfg: cfg.clone(),
        budget,
        tally: Tally::default(),
        unrecorded: Mutex::new(Vec::new()),
        queued: AtomicUsize::new(0),
        pace_lock: tokio::sync::Mutex::new(()),
        stop: shutdown.clone(),
    });
    let mut tasks = JoinSet::new();
    let mut store_failing = false;
    // Nothing was owed at the last look (or this worker just started).
    let mut quiet = true;
    loop {
        if *shutdown.borrow() {
            break;
        }
        while tasks.try_join_next().is_some() {}
        let room = permits
            .available_permits()
            .min(queue.saturating_sub(w.queued.load(Ordering::Relaxed)));
        let claimed = if !w.flush_unrecorded().await {
            Err(None)
        } else if room == 0 {
            Ok(Vec::new())
        } else {
            store.claim(room, cfg.lease).await.map_err(Some)
        };
        match claimed {
            Ok(batch) if !batch.is_empty() => {
                store_failing = false;
                broadcasting.store(true, Ordering::Relaxed);
                if quiet {
                    // A broadcast begins. Until now replies were paced by each process alone
                    // (not in the store): let one chat interval pass before the first send, so
                    // none lands right after such a reply.
                    quiet = false;
                    let stopped = tokio::select! {
                        _ = tokio::time::sleep(budget.chat_gap) => false,
                        _ = shutdown.changed() => true,
                    };
                    if stopped {
                        for d in &batch {
                            let _ = store.reschedule(d, Duration::ZERO, false).await;
                        }
                        break;
                    }
                }
                for d in batch {
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        break;
                    };
                    w.queued.fetch_add(1, Ordering::Relaxed);
                    let w = w.clone();
                    let claimed_at = Instant::now();
                    tasks.spawn(async move {
                        w.deliver(d, claimed_at).await;
                        drop(permit);
                    });
                }
                continue;
            }
            Ok(_) if room == 0 => {
                // Full: wait for a send to finish (or a slot to be taken).
                tokio::select! {
                    _ = tasks.join_next(), if !tasks.is_empty() => {}
                    _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            Ok(_) => {
                store_failing = false;
                let wait;
                (wait, quiet) = w.idle_wait(tasks.is_empty(), &broadcasting).await;
                tokio::select! {
                    // Something was published: replies take the store's turns from now on.
                    _ = wake.notified() => broadcasting.store(true, Ordering::Relaxed),
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.changed() => {}
                }
            }
            Err(e) => {
                if !store_failing {
                    match e {
                        Some(e) => {
                            log::error!("outbox: cannot claim messages ({e}); sending paused")
                        }
                        None => log::error!(
                            "outbox: sent messages cannot be recorded yet; sending paused"
                        ),
                    }
                    store_failing = true;
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
    // Stopping: tasks waiting for a slot give their rows back at once; sends under way finish.
    let finished = tokio::time::timeout(cfg.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        log::warn!(
            "outbox: {} send(s) still waiting for Telegram at shutdown; their messages come \
             back when their claims expire",
            tasks.len()
        );
        tasks.abort_all();
    }
    if !w.flush_unrecorded().await {
        log::error!("outbox: stopping with sent messages not recorded (the database is failing)");
    }
}

impl<S: Sender> Worker<S> {
    /// How long to sleep with nothing to claim; refreshes the outbox gauges and logs the end of
    /// a broadcast.
    /// Also returns whether nothing is owed.
    async fn idle_wait(&self, no_sends: bool, broadcasting: &AtomicBool) -> (Duration, bool) {
        let owed = self.store.outbox_len().await;
        let quiet = matches!(owed, Ok(0));
        if let Ok(n) = owed {
            broadcasting.store(n > 0, Ordering::Relaxed);
            metrics::gauge!("bot_outbox_due").set(n as f64);
            if n == 0
                && no_sends
                && let Some(counts) = self.tally.take()
            {
                log::info!("broadcast finished, the outbox is empty: {counts}");
            }
        }
        let wait = match self.store.next_due().await {
            Ok(Some(wait)) => wait.clamp(Duration::from_millis(10), Duration::from_secs(1)),
            _ => Duration::from_secs(1),
        };
        (wait, quiet)
    }

    /// Sends one claimed message (from the first part not yet sent) and records the outcome.
    async fn deliver(self: &Arc<Self>, d: Claimed, claimed_at: Instant) {
        let mut queued = Some(Queued(&self.queued));
        let total = d.parts.len() as u32;
        if total == 0 {
            drop(queued.take());
            self.tally.add("failed");
            log::error!(
                "outbox: the stored message of update {} is empty or unreadable; giving up on \
                 chat {}",
                d.update,
                d.chat
            );
            self.log_err(
                self.store
                    .give_up(&d, "the stored message is empty or unreadable")
                    .await,
                &d,
            );
            return;
        }
        let mut sent = d.parts_sent.min(total);
        while sent < total {
            match self.turn(&d, sent == d.parts_sent).await {
                // A send must end before the claim does, or another worker could send the
                // message too: one that cannot is given back instead.
                Turn::Go
                    if claimed_at.elapsed() + self.cfg.send_timeout + LEASE_MARGIN
                        >= self.cfg.lease =>
                {
                    log::debug!("outbox: chat {}: the claim is too old to send on", d.chat);
                    self.log_err(self.store.reschedule(&d, Duration::ZERO, false).await, &d);
                    return;
                }
                Turn::Go => {}
                Turn::Release(after) => {
                    self.log_err(self.store.reschedule(&d, after, false).await, &d);
                    return;
                }
                Turn::StoreDown => return,
            }
            drop(queued.take());
            let part = d.parts[sent as usize].clone();
            let result =
                tokio::time::timeout(self.cfg.send_timeout, self.sender.send(d.chat, part))
                    .await
                    .unwrap_or_else(|_| {
                        Err(SendError::Transient(format!(
                            "no answer from Telegram in {:?}",
                            self.cfg.send_timeout
                        )))
                    });
            match result {
                Ok(()) => {
                    sent += 1;
                    if sent < total && !self.record(Unrecorded::Parts(d.clone(), sent)).await {
                        return;
                    }
                }
                Err(e) => {
                    self.tally.add(outcome_name(&e));
                    self.settle_failure(&d, e).await;
                    return;
                }
            }
        }
        self.tally.add("delivered");
        self.record(Unrecorded::Done(d)).await;
    }

    /// Waits for this send's turn. The first part of a claim gives its row back when the chat
    /// must wait (another chat can use the slot meanwhile); a later part waits for it.
    async fn turn(&self, d: &Claimed, first: bool) -> Turn {
        let mut stop = self.stop.clone();
        loop {
            if *stop.borrow() {
                return Turn::Release(Duration::ZERO);
            }
            let pace = {
                let _one_at_a_time = self.pace_lock.lock().await;
                self.store.pace_broadcast(d.chat, &self.budget).await
            };
            let wait = match pace {
                Err(e) => {
                    log::error!("outbox: cannot take a send slot ({e}); not sending");
                    return Turn::StoreDown;
                }
                Ok(Pace::Go(wait)) => {
                    tokio::time::sleep(wait).await;
                    return Turn::Go;
                }
                Ok(Pace::ChatBusy(wait)) if first => return Turn::Release(wait),
                // The waiting sends ask again one at a time (`pace_lock`).
                Ok(Pace::ChatBusy(wait)) | Ok(Pace::Full(wait)) => wait,
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Records an accepted send; if the store cannot, keeps it for [`Worker::flush_unrecorded`]
    /// and returns `false` (send nothing more).
    async fn record(&self, r: Unrecorded) -> bool {
        let result = match &r {
            Unrecorded::Parts(d, n) => self.store.part_sent(d, *n).await,
            Unrecorded::Done(d) => self.store.complete(d).await,
        };
        match result {
            Ok(held) => {
                if !held {
                    let d = match &r {
                        Unrecorded::Parts(d, _) | Unrecorded::Done(d) => d,
                    };
                    log::warn!(
                        "outbox: the claim on update {} for chat {} ran out before its send was \
                         recorded (another worker may send it again)",
                        d.update,
                        d.chat
                    );
                }
                true
            }
            Err(e) => {
                log::error!(
                    "outbox: cannot record a send yet ({e}); kept until the database recovers"
                );
                self.unrecorded
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(r);
                false
            }
        }
    }

    /// Records the sends kept in memory; `true` when none are left.
    async fn flush_unrecorded(&self) -> bool {
        let pending =
            std::mem::take(&mut *self.unrecorded.lock().unwrap_or_else(|p| p.into_inner()));
        let mut left = Vec::new();
        let mut failing = false;
        for r in pending {
            if failing {
                left.push(r);
                continue;
            }
            let result = match &r {
                Unrecorded::Parts(d, n) => match self.store.part_sent(d, *n).await {
                    // The rest of the message is owed: due now.
                    Ok(_) => self.store.reschedule(d, Duration::ZERO, false).await,
                    Err(e) => Err(e),
                },
                Unrecorded::Done(d) => self.store.complete(d).await,
            };
            match result {
                Ok(_) => log::info!("outbox: a send kept in memory is recorded now"),
                Err(_) => {
                    failing = true;
                    left.push(r);
                }
            }
        }
        let mut kept = self.unrecorded.lock().unwrap_or_else(|p| p.into_inner());
        kept.extend(left);
        kept.is_empty()
    }

    /// Handles a failed send in the store.
    async fn settle_failure(&self, d: &Claimed, e: SendError) {
        let store = self.store.as_ref();
        let result = match e {
            SendError::RetryAfter(wait) => {
                log::warn!(
                    "chat {}: flood limit, every broadcast waits {wait:?}",
                    d.chat
                );
                if let Err(e) = store.pause(d.chat, wait, true).await {
                    log::error!("outbox: cannot pause the broadcast: {e}");
                }
                // Telegram's pacing, not the chat's failure: the backoff does not grow.
                store.reschedule(d, wait, false).await.map(|_| ())
            }
            SendError::Migrated(new) => {
                log::debug!(
                    "chat {} became supergroup {new}: moving its subscription",
                    d.chat
                );
                store.migrate(d.chat, new).await
            }
            SendError::Gone(why) => {
                log::debug!("chat {} is gone ({why}): unsubscribing", d.chat);
                metrics::counter!("bot_unsubscribes_total", "reason" => "gone").increment(1);
                store.unsubscribe(d.chat).await.map(|_| ())
            }
            SendError::Rejected(why) if d.attempts + 1 >= self.cfg.max_rejections => {
                log::warn!(
                    "chat {}: update {} refused {} times ({why}); giving up",
                    d.chat,
                    d.update,
                    d.attempts + 1
                );
                store.give_up(d, &why).await.map(|_| ())
            }
            SendError::Rejected(why) | SendError::Transient(why) => {
                let wait = backoff(&self.cfg, d.attempts);
                log::warn!(
                    "chat {}: update {} failed ({why}), retry {} in {wait:?}",
                    d.chat,
                    d.update,
                    d.attempts + 1
                );
                store.reschedule(d, wait, true).await.map(|_| ())
            }
        };
        self.log_err(result, d);
    }

    fn log_err<T>(&self, result: Result<T, StoreError>, d: &Claimed) {
        if let Err(e) = result {
            log::error!(
                "outbox: cannot record the outcome for chat {} update {} ({e}); the claim \
                 expires and the message is tried again",
                d.chat,
                d.update
            );
        }
    }
}

/// Time kept between a send's latest possible end and its claim's.
const LEASE_MARGIN: Duration = Duration::from_secs(1);

/// Counts a claimed message as waiting for its first send until dropped.
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
