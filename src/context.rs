//! Follow-up context: what each conversation last asked about, so that "and china?" or "why?"
//! right after a question is read with that question's subject.
//!
//! The store is small and forgetful on purpose: at most [`Contexts::capacity`] conversations,
//! each remembered for [`Contexts::ttl`] after its last answered question. Nothing here is
//! written to disk; a restart forgets every context, which costs a user one retyped question.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::answer::Subject;

/// How long a conversation's subject is kept after its last answered question.
pub const DEFAULT_TTL: Duration = Duration::from_secs(5 * 60);
/// How many conversations are remembered at once.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// A conversation: a chat, and in groups the user in it (two people replying to the bot in one
/// group do not share a subject).
pub type Conversation = (i64, i64);

/// The subjects of recent conversations, bounded in number and in age.
#[derive(Debug)]
pub struct Contexts {
    entries: Mutex<HashMap<Conversation, (Instant, Subject)>>,
    ttl: Duration,
    capacity: usize,
}

impl Default for Contexts {
    fn default() -> Self {
        Contexts::new(DEFAULT_TTL, DEFAULT_CAPACITY)
    }
}

impl Contexts {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Contexts {
            entries: Mutex::new(HashMap::new()),
            ttl,
            capacity: capacity.max(1),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The conversation's subject, if it was set less than the TTL before `now`.
    pub fn get(&self, conversation: Conversation, now: Instant) -> Option<Subject> {
        let mut entries = self.lock();
        match entries.get(&conversation) {
            Some((at, subject)) if now.saturating_duration_since(*at) < self.ttl => {
                Some(subject.clone())
            }
            Some(_) => {
                entries.remove(&conversation);
                None
            }
            None => None,
        }
    }

    /// Remembers the conversation's subject as of `now`. When the store is full, expired
    /// entries go first, then the oldest.
    pub fn put(&self, conversation: Conversation, subject: Subject, now: Instant) {
        let mut entries = self.lock();
        if entries.len() >= self.capacity && !entries.contains_key(&conversation) {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| now.saturating_duration_since(*at) < ttl);
            if entries.len() >= self.capacity
                && let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, (at, _))| *at)
                    .map(|(k, _)| *k)
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(conversation, (now, subject));
    }

    /// How many conversations are remembered (expired ones included until they are touched).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The map; a panic while it was held cannot leave it half-changed, so a poisoned lock is
    /// taken as it is.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Conversation, (Instant, Subject)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(word: &str) -> Subject {
        Subject::for_tests(&[word])
    }

    #[test]
    fn a_subject_expires_after_the_ttl() {
        let c = Contexts::new(Duration::from_secs(60), 10);
        let t0 = Instant::now();
        c.put((1, 1), subject("tariff"), t0);
        assert_eq!(
            c.get((1, 1), t0 + Duration::from_secs(59)),
            Some(subject("tariff"))
        );
        assert_eq!(c.get((1, 1), t0 + Duration::from_secs(60)), None);
        assert!(c.is_empty(), "an expired entry is dropped when read");
        assert_eq!(c.get((2, 2), t0), None);
    }

    #[test]
    fn the_store_keeps_at_most_its_capacity_dropping_the_oldest() {
        let c = Contexts::new(Duration::from_secs(60), 2);
        let t0 = Instant::now();
        c.put((1, 1), subject("a"), t0);
        c.put((2, 2), subject("b"), t0 + Duration::from_secs(1));
        c.put((3, 3), subject("c"), t0 + Duration::from_secs(2));
        assert_eq!(c.len(), 2);
        assert_eq!(c.get((1, 1), t0 + Duration::from_secs(3)), None);
        assert!(c.get((2, 2), t0 + Duration::from_secs(3)).is_some());
        assert!(c.get((3, 3), t0 + Duration::from_secs(3)).is_some());
        // Replacing a conversation's subject never evicts another.
        c.put((3, 3), subject("d"), t0 + Duration::from_secs(4));
        assert_eq!(c.len(), 2);
    }
}
