//! Pacing of outgoing messages: Telegram's limits as [`Limits`], the [`Budget`] broadcasts take
//! their slots from (in the store, shared by every process), and the pacing of replies
//! ([`ReplyPacer`]: this process's [`Limiter`], then the chat's turn in the store).
//!
//! Why replies are not held to the broadcast budget: Telegram's "about 30 messages a second" is a
//! limit on bulk notifications; a reply to someone who just asked only has to respect that chat's
//! (and group's) spacing and any `retry_after`. Holding replies to 30/s made the last of 300
//! people asking at once wait 10 s.
//!
//! Why not teloxide's `Throttle`: it releases queued messages on a 250 ms tick and applies one
//! global budget to every send, replies included.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::store::{Budget, Store};

/// The limits; Telegram's published ones by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Broadcast messages per second, all chats together, evenly spaced.
    pub broadcast_per_second: u32,
    /// Replies per second, all chats together; `None` (the default): no overall cap.
    pub reply_cap_per_second: Option<u32>,
    /// Least time between two messages to one chat.
    pub per_chat_interval: Duration,
    /// Messages per minute to one group or channel (negative chat ids).
    pub per_group_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            broadcast_per_second: 28,
            reply_cap_per_second: None,
            per_chat_interval: Duration::from_secs(1),
            per_group_per_minute: 20,
        }
    }
}

impl Limits {
    /// The budget broadcasts take their slots from, in the store.
    pub fn budget(&self) -> Budget {
        Budget {
            period: SECOND / self.broadcast_per_second.max(1),
            chat_gap: self.per_chat_interval,
            group_gap: MINUTE / self.per_group_per_minute.max(1),
            horizon: Duration::from_millis(250),
        }
    }
}

/// Longest a reply waits for the store's pacer before going by this process's limiter alone:
/// answers never wait on a slow or failing database.
const SHARED_PACE_TIMEOUT: Duration = Duration::from_millis(200);

/// Pacing of replies: this process's [`Limiter`] (per chat, per group, the optional cap), then,
/// while a broadcast is under way, the chat's turn in the store, shared with every process that
/// sends (so a reply never lands right after another process's broadcast to the same chat).
///
/// Why only during a broadcast: the store's turn is a database write per reply, which made a
/// burst of 300 questions slower (p99 90 ms against 70 ms, `cargo bench --bench e2e`); with
/// nothing owed, no broadcast can meet a reply.
pub struct ReplyPacer {
    limiter: Limiter,
    store: Arc<dyn Store>,
    broadcasting: Arc<AtomicBool>,
}

impl ReplyPacer {
    /// `broadcasting` is the delivery worker's flag: something is owed to subscribers.
    pub fn new(limits: Limits, store: Arc<dyn Store>, broadcasting: Arc<AtomicBool>) -> Self {
        ReplyPacer {
            limiter: Limiter::new(limits),
            store,
            broadcasting,
        }
    }

    /// Waits until a reply to `chat` may go out.
    pub async fn acquire(&self, chat: i64) {
        self.limiter.acquire(chat).await;
        if !self.broadcasting.load(Ordering::Relaxed) {
            return;
        }
        let gap = self.limiter.limits.per_chat_interval;
        match tokio::time::timeout(SHARED_PACE_TIMEOUT, self.store.pace_reply(chat, gap)).await {
            Ok(Ok(wait)) => tokio::time::sleep(wait.min(MINUTE)).await,
            Ok(Err(e)) => log::debug!("reply to chat {chat} paced locally only: {e}"),
            Err(_) => log::debug!("reply to chat {chat} paced locally only: the store is slow"),
        }
    }

    /// Telegram answered a reply with 429: nothing more to that chat until `wait` has passed,
    /// from any process.
    pub async fn retry_after(&self, chat: i64, wait: Duration) {
        self.limiter.retry_after(chat, wait);
        let shared = self.store.pause(chat, wait, false);
        if let Ok(Err(e)) = tokio::time::timeout(SHARED_PACE_TIMEOUT, shared).await {
            log::debug!("chat {chat}: the 429 pause is this process's only: {e}");
        }
    }
}

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
struct State {
    /// Send times per chat in the last minute (only the last one, for private chats).
    chats: HashMap<i64, VecDeque<Instant>>,
    /// A chat's earliest next send after it answered 429.
    chat_pause: HashMap<i64, Instant>,
    /// Reply send times in the last second (kept only with a reply cap).
    replies: VecDeque<Instant>,
    /// Acquisitions since the last sweep of idle chats.
    since_sweep: u32,
}

/// This process's spacing of replies: per chat, per group (a window of the last minute), the
/// optional overall cap, and 429 pauses. Cheap to call, safe to share.
#[derive(Debug)]
pub struct Limiter {
    limits: Limits,
    state: Mutex<State>,
}

impl Limiter {
    pub fn new(limits: Limits) -> Self {
        Limiter {
            limits,
            state: Mutex::new(State::default()),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent at every await-free step, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until a reply to `chat` fits the limits, and counts it as sent.
    pub async fn acquire(&self, chat: i64) {
        while let Some(at) = self.try_acquire(chat, Instant::now()) {
            tokio::time::sleep_until(at).await;
        }
    }

    /// Telegram answered 429 with `retry_after`: nothing more to that chat until then.
    pub fn retry_after(&self, chat: i64, wait: Duration) {
        let until = Instant::now() + wait;
        let mut st = self.lock();
        let pause = st.chat_pause.entry(chat).or_insert(until);
        *pause = (*pause).max(until);
    }

    /// The earliest moment the chat's own spacing allows a message.
    fn chat_earliest(&self, st: &mut State, chat: i64, now: Instant) -> Instant {
        let mut at = now;
        if let Some(p) = st.chat_pause.get(&chat) {
            if *p > now {
                at = *p;
            } else {
                st.chat_pause.remove(&chat);
            }
        }
        let Some(times) = st.chats.get_mut(&chat) else {
            return at;
        };
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= MINUTE)
        {
            times.pop_front();
        }
        if let Some(last) = times.back() {
            at = at.max(*last + self.limits.per_chat_interval);
        }
        let per_minute = self.limits.per_group_per_minute.max(1) as usize;
        if chat < 0 && times.len() >= per_minute {
            at = at.max(times[times.len() - per_minute] + MINUTE);
        }
        at
    }

    /// `None` (and the send recorded) if a reply to `chat` fits now; else when it may fit.
    fn try_acquire(&self, chat: i64, now: Instant) -> Option<Instant> {
        let mut st = self.lock();
        st.since_sweep += 1;
        if st.since_sweep >= 4096 {
            st.since_sweep = 0;
            st.chats.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < MINUTE)
            });
            st.chat_pause.retain(|_, until| *until > now);
        }
        let mut at = self.chat_earliest(&mut st, chat, now);
        if let Some(cap) = self.limits.reply_cap_per_second {
            let cap = cap.max(1) as usize;
            while st
                .replies
                .front()
                .is_some_and(|t| now.duration_since(*t) >= SECOND)
            {
                st.replies.pop_front();
            }
            if st.replies.len() >= cap {
                at = at.max(st.replies[st.replies.len() - cap] + SECOND);
            } else if at <= now {
                st.replies.push_back(now);
            }
        }
        if at > now {
            return Some(at);
        }
        let times = st.chats.entry(chat).or_default();
        times.push_back(now);
        if chat > 0 && times.len() > 1 {
            times.pop_front();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(reply_cap: Option<u32>) -> Limiter {
        Limiter::new(Limits {
            broadcast_per_second: 2,
            reply_cap_per_second: reply_cap,
            per_chat_interval: SECOND,
            per_group_per_minute: 2,
        })
    }

    #[tokio::test(start_paused = true)]
    async fn replies_are_spaced_per_chat_but_not_capped_overall_by_default() {
        let l = limiter(None);
        let t0 = Instant::now();
        for chat in 1..=100 {
            l.acquire(chat).await;
        }
        assert_eq!(Instant::now(), t0, "100 chats answered at once");
        l.acquire(7).await;
        assert_eq!(Instant::now() - t0, SECOND, "one chat: a second apart");
        l.acquire(-9).await;
        l.acquire(-9).await;
        l.acquire(-9).await;
        assert!(Instant::now() - t0 >= MINUTE, "a group: two a minute");
    }

    #[tokio::test(start_paused = true)]
    async fn a_reply_cap_is_an_option() {
        let l = limiter(Some(3));
        let t0 = Instant::now();
        for chat in 1..=4 {
            l.acquire(chat).await;
        }
        assert_eq!(Instant::now() - t0, SECOND);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_that_chat_only() {
        let l = limiter(None);
        let t0 = Instant::now();
        l.retry_after(8, Duration::from_secs(2));
        l.acquire(2).await;
        assert_eq!(Instant::now(), t0);
        l.acquire(8).await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(2));
    }

    #[test]
    fn the_budget_follows_the_limits() {
        let b = Limits::default().budget();
        assert_eq!(b.period, SECOND / 28);
        assert_eq!((b.chat_gap, b.group_gap), (SECOND, Duration::from_secs(3)));
        assert_eq!(b.gap(-5), Duration::from_secs(3));
    }
}
