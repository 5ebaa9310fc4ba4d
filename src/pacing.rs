//! Pacing of outgoing messages, shared by replies and broadcasts: at most so many messages a
//! second overall, one a second per chat, so many a minute per group. A message that fits the
//! limits goes at once; one that does not waits for the earliest moment it fits.
//!
//! Why not teloxide's `Throttle`: it releases queued messages on a 250 ms tick, which adds about
//! 125 ms to every reply and caps throughput near a thousand messages a second even when no limit
//! is near (measured by `cargo bench --bench e2e`).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The limits; Telegram's published ones by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Messages per second overall.
    pub per_second: u32,
    /// Least time between two messages to one chat.
    pub per_chat_interval: Duration,
    /// Messages per minute to one group or channel (negative chat ids).
    pub per_group_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_second: 30,
            per_chat_interval: Duration::from_secs(1),
            per_group_per_minute: 20,
        }
    }
}

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
struct State {
    /// Send times in the last second.
    recent: VecDeque<Instant>,
    /// Send times per chat in the last minute (the last one only, for private chats).
    chats: HashMap<i64, VecDeque<Instant>>,
    /// Acquisitions since the last sweep of idle chats.
    since_sweep: u32,
}

/// The shared pacer; cheap to call, safe to share (`Arc<Limiter>`).
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

    /// Waits until a message to `chat` fits the limits, and counts it as sent.
    pub async fn acquire(&self, chat: i64) {
        loop {
            let at = {
                let mut st = match self.state.lock() {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
                match self.earliest(&mut st, chat, Instant::now()) {
                    None => return,
                    Some(at) => at,
                }
            };
            tokio::time::sleep_until(at).await;
        }
    }

    /// `None` (and the send recorded) if a message to `chat` fits now; else when it may fit.
    fn earliest(&self, st: &mut State, chat: i64, now: Instant) -> Option<Instant> {
        while st
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= SECOND)
        {
            st.recent.pop_front();
        }
        st.since_sweep += 1;
        if st.since_sweep >= 4096 {
            st.since_sweep = 0;
            st.chats.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < MINUTE)
            });
        }
        let times = st.chats.entry(chat).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= MINUTE)
        {
            times.pop_front();
        }
        let mut at = now;
        if st.recent.len() >= self.limits.per_second.max(1) as usize {
            let oldest = st.recent[st.recent.len() - self.limits.per_second.max(1) as usize];
            at = at.max(oldest + SECOND);
        }
        if let Some(last) = times.back() {
            at = at.max(*last + self.limits.per_chat_interval);
        }
        let per_minute = self.limits.per_group_per_minute.max(1) as usize;
        if chat < 0 && times.len() >= per_minute {
            at = at.max(times[times.len() - per_minute] + MINUTE);
        }
        if at > now {
            return Some(at);
        }
        times.push_back(now);
        if chat > 0 && times.len() > 1 {
            times.pop_front();
        }
        st.recent.push_back(now);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_one_chat_and_caps_the_total() {
        let l = Limiter::new(Limits {
            per_second: 3,
            per_chat_interval: Duration::from_secs(1),
            per_group_per_minute: 2,
        });
        let t0 = Instant::now();
        // Different chats go at once up to the overall limit, then wait for the window.
        for chat in 1..=3 {
            l.acquire(chat).await;
        }
        assert_eq!(Instant::now(), t0);
        l.acquire(4).await;
        assert_eq!(Instant::now() - t0, SECOND);
        // One chat: a second apart.
        l.acquire(4).await;
        assert_eq!(Instant::now() - t0, 2 * SECOND);
        // A group: two a minute.
        l.acquire(-9).await;
        l.acquire(-9).await;
        l.acquire(-9).await;
        assert!(Instant::now() - t0 >= MINUTE);
    }
}
