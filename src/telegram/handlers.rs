//! Routing and handlers: extract what the core needs from an update, call it, reply.
//!
//! Every send failure is logged and swallowed here, so one chat's trouble (blocked bot, network
//! error, 429 after its retries) never stops the next update from being served.

use teloxide::RequestError;
use teloxide::dispatching::{UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;
use teloxide::types::{
    ChatKind, ChatMemberUpdated, InlineQuery, InlineQueryResult, InlineQueryResultArticle,
    InputMessageContent, InputMessageContentText, ParseMode, UserId,
};

use std::sync::Arc;

use super::TgBot;
use super::send_html::{Endpoint, SendHtml, no_preview};
use crate::answer::{Inbound, Reply, respond, route};
use crate::knowledge::{KnowledgeBase, SharedKnowledge};
use crate::pacing::Limiter;
use crate::render;
use crate::subscriptions::{self, Store};

type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// What the handlers share, as one dependency: each update then clones one `Arc` rather than
/// looking up and cloning several values.
pub struct Ctx {
    pub knowledge: SharedKnowledge,
    pub store: Arc<dyn Store>,
    pub limiter: Arc<Limiter>,
    /// Where replies are posted.
    pub endpoint: Endpoint,
    /// The bot's own user id and username (from getMe at start).
    pub bot_id: UserId,
    pub username: String,
}

/// The routing tree: messages (text or not), inline queries and the bot's own membership
/// changes; everything else (channel posts, edited messages) falls to the dispatcher's default
/// handler.
pub fn schema() -> UpdateHandler<Box<dyn std::error::Error + Send + Sync + 'static>> {
    dptree::entry()
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_inline_query().endpoint(on_inline_query))
        .branch(Update::filter_my_chat_member().endpoint(on_my_chat_member))
}

/// The bot was removed from a group or blocked in a private chat: unsubscribe that chat.
async fn on_my_chat_member(upd: ChatMemberUpdated, ctx: Arc<Ctx>) -> HandlerResult {
    if !upd.new_chat_member.is_present() {
        match ctx.store.unsubscribe(upd.chat.id.0) {
            Ok(true) => log::info!("chat {} removed the bot: unsubscribed", upd.chat.id),
            Ok(false) => {}
            Err(e) => log::error!("cannot unsubscribe chat {}: {e}", upd.chat.id),
        }
    }
    Ok(())
}

/// A group became a supergroup: its subscription follows it to the new id. Both service
/// messages (in the old and the new chat) may arrive; moving twice is harmless.
fn on_migration(msg: &Message, store: &dyn Store) -> bool {
    let moved = match (msg.migrate_to_chat_id(), msg.migrate_from_chat_id()) {
        (Some(new), _) => Some((msg.chat.id.0, new.0)),
        (_, Some(old)) => Some((old.0, msg.chat.id.0)),
        _ => None,
    };
    if let Some((old, new)) = moved {
        match store.migrate(old, new) {
            Ok(()) => log::info!("group {old} became supergroup {new}"),
            Err(e) => log::error!("cannot move chat {old} to {new}: {e}"),
        }
    }
    moved.is_some()
}

/// Whether the sender may change the chat's subscription: anyone in a private chat; in groups
/// administrators, including an anonymous administrator posting as the group.
async fn may_change(bot: &TgBot, msg: &Message, private: bool) -> bool {
    if private
        || msg
            .sender_chat
            .as_ref()
            .is_some_and(|c| c.id == msg.chat.id)
    {
        return true;
    }
    let Some(user) = msg.from.as_ref() else {
        return false;
    };
    match bot.get_chat_member(msg.chat.id, user.id).await {
        Ok(member) => member.is_privileged(),
        Err(e) => {
            log::warn!("getChatMember in chat {} failed: {e}", msg.chat.id);
            false
        }
    }
}

async fn on_message(bot: TgBot, msg: Message, ctx: Arc<Ctx>) -> HandlerResult {
    let store = &ctx.store;
    let private = matches!(msg.chat.kind, ChatKind::Private(_));
    if on_migration(&msg, store.as_ref()) {
        return Ok(());
    }
    let Some(text) = msg.text() else {
        // Stickers, photos, service messages: a hint in private chats, silence in groups.
        if private && msg.from.is_some() && !is_service(&msg) {
            send(
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
    let kb = ctx.knowledge.current();
    let inbound = Inbound {
        text,
        private,
        reply_to_bot,
        bot_username: &ctx.username,
    };
    let Some(mut reply) = route(&kb, inbound) else {
        return Ok(());
    };
    if let Reply::ChatOnly(name) = &reply {
        let allowed = name == "status" || may_change(&bot, &msg, private).await;
        reply = Reply::Subscription(subscriptions::command(
            store.as_ref(),
            name,
            msg.chat.id.0,
            allowed,
        ));
    }
    send(&ctx, &msg, !private, render::html(&kb, &reply)).await;
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

/// Sends the parts of a reply in order, each when the limiter allows; in groups the first part
/// replies to the question. A 429 is waited out and retried; other failures are logged.
async fn send(ctx: &Ctx, msg: &Message, reply_to: bool, parts: Vec<String>) {
    for (i, part) in parts.into_iter().enumerate() {
        let mut payload = SendHtml::new(msg.chat.id, part);
        if reply_to && i == 0 {
            payload = payload.reply_to(msg.id);
        }
        let mut tries = 0;
        loop {
            ctx.limiter.acquire(msg.chat.id.0).await;
            match payload.send(&ctx.endpoint).await {
                Ok(_) => break,
                Err(RequestError::RetryAfter(wait)) if tries < FLOOD_RETRIES => {
                    tries += 1;
                    log::warn!(
                        "chat {}: flood limit, retrying in {:?}",
                        msg.chat.id,
                        wait.duration()
                    );
                    tokio::time::sleep(wait.duration()).await;
                }
                Err(e) => {
                    log::warn!("reply to chat {} failed: {e}", msg.chat.id);
                    return;
                }
            }
        }
    }
}

/// Inline answer cards: one per fact answering the query, each with its citation; an empty or
/// unanswerable query gets one card per topic.
pub fn inline_results(kb: &KnowledgeBase, query: &str) -> Vec<InlineQueryResult> {
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
    let reply = respond(kb, query, None);
    if let Reply::Facts { facts, .. } = &reply
        && !query.trim().is_empty()
    {
        return facts
            .iter()
            .filter_map(|&i| kb.facts.get(i).map(|f| (i, f)))
            .map(|(i, f)| {
                let one = Reply::Facts {
                    heading: None,
                    facts: vec![i],
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
                facts: facts.to_vec(),
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

async fn on_inline_query(bot: TgBot, q: InlineQuery, ctx: Arc<Ctx>) -> HandlerResult {
    let results = inline_results(&ctx.knowledge.current(), &q.query);
    if let Err(e) = bot
        .answer_inline_query(q.id.clone(), results)
        .cache_time(60)
        .await
    {
        log::warn!("answerInlineQuery failed: {e}");
    }
    Ok(())
}
