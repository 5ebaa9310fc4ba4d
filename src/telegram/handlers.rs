//! Routing and handlers: extract what the core needs from an update, call it, reply.
//!
//! Every send failure is logged and swallowed here, so one chat's trouble (blocked bot, network
//! error, 429 after its retries) never stops the next update from being served.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use teloxide::dispatching::{UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;
use teloxide::types::{
    ChatKind, ChatMemberUpdated, InlineQuery, InlineQueryResult, InlineQueryResultArticle,
    InputMessageContent, InputMessageContentText, ParseMode, ReplyParameters, UserId,
};
use teloxide::{ApiError, RequestError};

use super::sender::{ReplyError, count_request, no_preview, send_html, send_reply};
use crate::answer::{Inbound, Reply, respond, route_in};
use crate::engine::{Engine, SharedEngine};
use crate::pacing::ReplyPacer;
use crate::render;
use crate::store::Store;
use crate::subscriptions::{self, Permission, SubscriptionCommand};

type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// What the handlers share, as one dependency.
pub struct Ctx {
    pub engine: SharedEngine,
    pub store: Arc<dyn Store>,
    pub pacer: Arc<ReplyPacer>,
    /// The bot's own user id and username (from getMe at start).
    pub bot_id: UserId,
    pub username: String,
    /// How long one reply may take.
    pub reply_timeout: Duration,
    /// Updates being handled now, and how many may be before new ones are shed.
    pub in_flight: AtomicUsize,
    pub max_backlog: usize,
    /// Told when Telegram rejects the token while running (revoked): the bot must stop.
    pub fatal: Arc<super::Fatal>,
    /// What each conversation last asked about, for follow-ups ("and china?").
    pub contexts: crate::context::Contexts,
}

/// Counts an update as in flight for as long as it lives.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Ctx {
    /// Admits an update, or sheds it when the backlog is full (so memory stays bounded under a
    /// burst): dropped without a reply, logged and counted.
    fn admit(&self) -> Option<InFlight<'_>> {
        let n = self.in_flight.fetch_add(1, Ordering::Relaxed);
        let guard = InFlight(&self.in_flight);
        if n >= self.max_backlog {
            metrics::counter!("bot_shed_updates_total").increment(1);
            // One line per thousand shed updates: visible without flooding the log.
            static SHED: AtomicUsize = AtomicUsize::new(0);
            if SHED.fetch_add(1, Ordering::Relaxed).is_multiple_of(1000) {
                log::warn!(
                    "shedding load: {n} updates in flight (limit {}); dropping new ones",
                    self.max_backlog
                );
            }
            return None;
        }
        Some(guard)
    }
}

fn count_update(kind: &'static str) {
    metrics::counter!("bot_updates_total", "kind" => kind).increment(1);
}

/// The routing tree: migrations, subscription commands, other messages, inline queries and the
/// bot's own membership changes; everything else (channel posts, edited messages) falls to the
/// dispatcher's default handler.
pub fn schema() -> UpdateHandler<Box<dyn std::error::Error + Send + Sync + 'static>> {
    dptree::entry()
        .branch(
            Update::filter_message()
                .branch(dptree::filter_map(migration).endpoint(on_migration))
                .branch(dptree::filter_map(subscription_command).endpoint(on_subscription))
                .endpoint(on_message),
        )
        .branch(Update::filter_inline_query().endpoint(on_inline_query))
        .branch(Update::filter_my_chat_member().endpoint(on_my_chat_member))
}

/// The bot was removed from a group or blocked in a private chat: unsubscribe that chat.
async fn on_my_chat_member(upd: ChatMemberUpdated, ctx: Arc<Ctx>) -> HandlerResult {
    count_update("my_chat_member");
    if !upd.new_chat_member.is_present() {
        let chat = upd.chat.id.0;
        match ctx.store.unsubscribe(chat).await {
            Ok(true) => {
                metrics::counter!("bot_unsubscribes_total", "reason" => "removed").increment(1);
                log::info!("chat {chat} removed the bot: unsubscribed")
            }
            Ok(false) => {}
            Err(e) => log::error!("cannot unsubscribe chat {chat}: {e}"),
        }
    }
    Ok(())
}

/// A group becoming a supergroup: (old id, new id). Both service messages (in the old and the
/// new chat) may arrive; moving twice is harmless.
fn migration(msg: Message) -> Option<(i64, i64)> {
    match (msg.migrate_to_chat_id(), msg.migrate_from_chat_id()) {
        (Some(new), _) => Some((msg.chat.id.0, new.0)),
        (_, Some(old)) => Some((old.0, msg.chat.id.0)),
        _ => None,
    }
}

async fn on_migration(ids: (i64, i64), ctx: Arc<Ctx>) -> HandlerResult {
    count_update("migration");
    let (old, new) = ids;
    match ctx.store.migrate(old, new).await {
        Ok(()) => log::info!("group {old} became supergroup {new}"),
        Err(e) => log::error!("cannot move chat {old} to {new}: {e}"),
    }
    Ok(())
}

fn subscription_command(msg: Message, ctx: Arc<Ctx>) -> Option<SubscriptionCommand> {
    SubscriptionCommand::parse(msg.text()?, &ctx.username)
}

/// Whether the sender may change the chat's subscription: anyone in a private chat; in groups
/// administrators, including an anonymous administrator posting as the group.
async fn permission(bot: &Bot, msg: &Message) -> Permission {
    if matches!(msg.chat.kind, ChatKind::Private(_))
        || msg
            .sender_chat
            .as_ref()
            .is_some_and(|c| c.id == msg.chat.id)
    {
        return Permission::Allowed;
    }
    let Some(user) = msg.from.as_ref() else {
        return Permission::Denied;
    };
    let result = bot.get_chat_member(msg.chat.id, user.id).await;
    count_request("getChatMember", &result);
    match result {
        Ok(member) if member.is_privileged() => Permission::Allowed,
        Ok(_) => Permission::Denied,
        Err(e) => {
            log::warn!("getChatMember in chat {} failed: {e}", msg.chat.id);
            Permission::Unknown
        }
    }
}

async fn on_subscription(
    bot: Bot,
    msg: Message,
    command: SubscriptionCommand,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    count_update("subscription_command");
    let Some(_admitted) = ctx.admit() else {
        return Ok(());
    };
    let started = Instant::now();
    let permission = if command.changes() {
        permission(&bot, &msg).await
    } else {
        Permission::Allowed
    };
    let chat = msg.chat.id.0;
    let outcome = subscriptions::command(ctx.store.as_ref(), command, chat, permission).await;
    let engine = ctx.engine.current();
    let private = matches!(msg.chat.kind, ChatKind::Private(_));
    let parts = render::html(&engine.knowledge, &Reply::Subscription(outcome));
    send(&bot, &ctx, &msg, !private, parts).await;
    metrics::histogram!("bot_reply_seconds").record(started.elapsed().as_secs_f64());
    Ok(())
}

async fn on_message(bot: Bot, msg: Message, ctx: Arc<Ctx>) -> HandlerResult {
    count_update("message");
    let Some(_admitted) = ctx.admit() else {
        return Ok(());
    };
    let started = Instant::now();
    let private = matches!(msg.chat.kind, ChatKind::Private(_));
    let Some(text) = msg.text() else {
        // Stickers, photos, service messages: a hint in private chats, silence in groups.
        if private && msg.from.is_some() && !is_service(&msg) {
            send(
                &bot,
                &ctx,
                &msg,
                false,
                vec![render::escape(
                    "I answer text questions about the US–China trade talks. Try /help or /topics.",
                )],
            )
            .await;
        }
        return Ok(());
    };
    let reply_to_bot = msg
        .reply_to_message()
        .and_then(|r| r.from.as_ref())
        .is_some_and(|u| u.id == ctx.bot_id);
    let engine = ctx.engine.current();
    let inbound = Inbound {
        text,
        private,
        reply_to_bot,
        bot_username: &ctx.username,
    };
    // A conversation is the chat, and in groups the user in it.
    let user = msg.from.as_ref().map_or(0, |u| u.id.0 as i64);
    let conversation = (msg.chat.id.0, if private { msg.chat.id.0 } else { user });
    let now = Instant::now();
    let context = ctx.contexts.get(conversation, now);
    let Some((reply, subject)) = route_in(&engine, inbound, context.as_ref()) else {
        return Ok(());
    };
    if let Some(subject) = subject {
        ctx.contexts.put(conversation, subject, now);
    }
    let outcome = match &reply {
        Reply::Facts { heading: None, .. } => "answered",
        Reply::NotCovered | Reply::NotCoveredBrief | Reply::NothingMore => "abstained",
        _ => "command",
    };
    metrics::counter!("bot_answers_total", "outcome" => outcome).increment(1);
    send(
        &bot,
        &ctx,
        &msg,
        !private,
        render::html(&engine.knowledge, &reply),
    )
    .await;
    metrics::histogram!("bot_reply_seconds").record(started.elapsed().as_secs_f64());
    Ok(())
}

fn is_service(msg: &Message) -> bool {
    msg.new_chat_members().is_some()
        || msg.left_chat_member().is_some()
        || msg.migrate_to_chat_id().is_some()
        || msg.migrate_from_chat_id().is_some()
        || msg.pinned_message().is_some()
}

/// How often a reply is tried again after Telegram asked to wait (429).
const FLOOD_RETRIES: u32 = 2;

/// Sends the parts of a reply in order, each when the limiter allows and each bounded by the
/// reply timeout; in groups the first part replies to the question. A 429 is waited out and
/// retried; other failures are logged (a rejected token stops the bot).
async fn send(bot: &Bot, ctx: &Ctx, msg: &Message, reply_to: bool, parts: Vec<String>) {
    let chat = msg.chat.id;
    for (i, part) in parts.into_iter().enumerate() {
        let mut request = send_html(bot, chat, part);
        if reply_to && i == 0 {
            request = request
                .reply_parameters(ReplyParameters::new(msg.id).allow_sending_without_reply());
        }
        let mut tries = 0;
        loop {
            ctx.pacer.acquire(chat.0).await;
            match send_reply(request.clone(), ctx.reply_timeout).await {
                Ok(()) => break,
                Err(ReplyError::Request(RequestError::RetryAfter(wait)))
                    if tries < FLOOD_RETRIES =>
                {
                    tries += 1;
                    log::warn!(
                        "chat {chat}: flood limit, retrying in {:?}",
                        wait.duration()
                    );
                    ctx.pacer.retry_after(chat.0, wait.duration()).await;
                }
                Err(ReplyError::Request(RequestError::Api(ApiError::InvalidToken))) => {
                    ctx.fatal
                        .raise("Telegram rejected the bot token while running (revoked?)");
                    return;
                }
                Err(e) => {
                    log::warn!("reply to chat {chat} failed: {e}");
                    return;
                }
            }
        }
    }
}

/// Inline answer cards: one per fact answering the query, each with its citation; an empty or
/// unanswerable query gets one card per topic.
pub fn inline_results(engine: &Engine, query: &str) -> Vec<InlineQueryResult> {
    let kb = &engine.knowledge;
    let card = |id: String, title: String, description: String, reply: &Reply| {
        let text = render::html(kb, reply)
            .into_iter()
            .next()
            .unwrap_or_default();
        InlineQueryResult::Article(
            InlineQueryResultArticle::new(
                id,
                title,
                InputMessageContent::Text(
                    InputMessageContentText::new(text)
                        .parse_mode(ParseMode::Html)
                        .link_preview_options(no_preview()),
                ),
            )
            .description(description),
        )
    };
    let reply = respond(engine, query, None);
    if let Reply::Facts { facts, .. } = &reply
        && !query.trim().is_empty()
    {
        return facts
            .iter()
            .filter_map(|id| kb.fact(id))
            .map(|f| {
                let one = Reply::Facts {
                    heading: None,
                    facts: vec![f.id.clone()],
                };
                let cite = render::sentence_numbers(kb, &one)
                    .iter()
                    .map(|n| format!("[{n}]"))
                    .collect::<Vec<_>>()
                    .join(" ");
                let title: String = f.answer.chars().take(64).collect();
                card(
                    f.id.clone(),
                    title,
                    format!("Article sentence {cite}"),
                    &one,
                )
            })
            .collect();
    }
    kb.topics_with_facts()
        .map(|(t, facts)| {
            let topic = Reply::Facts {
                heading: Some(t.title.clone()),
                facts: facts.iter().map(|f| f.id.clone()).collect(),
            };
            card(
                format!("topic-{}", t.name),
                t.title.clone(),
                format!("/{}", t.command),
                &topic,
            )
        })
        .collect()
}

async fn on_inline_query(bot: Bot, q: InlineQuery, ctx: Arc<Ctx>) -> HandlerResult {
    count_update("inline_query");
    let Some(_admitted) = ctx.admit() else {
        return Ok(());
    };
    let results = inline_results(&ctx.engine.current(), &q.query);
    let request = bot
        .answer_inline_query(q.id.clone(), results)
        .cache_time(60);
    match tokio::time::timeout(ctx.reply_timeout, request.send()).await {
        Ok(result) => {
            count_request("answerInlineQuery", &result);
            if let Err(e) = result {
                log::warn!("answerInlineQuery failed: {e}");
            }
        }
        Err(_) => log::warn!("answerInlineQuery: no answer from Telegram in time"),
    }
    Ok(())
}
