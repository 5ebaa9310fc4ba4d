//! Owns the self-check of the fake Bot API: every update builder parses as a teloxide `Update`, a
//! real teloxide `Bot` gets typed answers from every method the fake serves, and injected failures
//! map onto teloxide's errors.

use std::time::Duration;

use fake_bot_api::{self as fake, Failure, FakeApi, Limits};
use serde_json::{Value, json};
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, ChatMemberKind, InlineQueryId, InlineQueryResult, InlineQueryResultArticle,
    InputMessageContent, InputMessageContentText, ParseMode, Update, UpdateKind,
};
use teloxide::{ApiError, RequestError};

const STATUSES: &str = "creator administrator member left kicked restricted";

/// Parses `v` as teloxide does, from text (`serde_json::from_value::<Update>` yields
/// `UpdateKind::Error` with teloxide-core 0.13).
fn parse(mut v: Value) -> UpdateKind {
    v["update_id"] = json!(1);
    let u: Update = serde_json::from_str(&v.to_string()).unwrap_or_else(|e| panic!("{e}: {v}"));
    assert!(!matches!(u.kind, UpdateKind::Error(_)), "{v}");
    u.kind
}

/// The API error a request failed with, if that is how it failed.
fn api_error<T>(result: Result<T, RequestError>) -> Option<ApiError> {
    match result {
        Err(RequestError::Api(e)) => Some(e),
        _ => None,
    }
}

#[test]
fn every_builder_parses_as_a_teloxide_update() {
    let sg = -1_001_234_567_890;
    for v in [
        fake::private_text(42, 42, "hi"),
        fake::group_text(-100, 7, "hi"),
        fake::group_text(sg, 7, "hi"),
        fake::group_reply_to_bot(-100, 7, "and?", 5, fake::BOT_USER_ID),
        fake::anonymous_admin_text(sg, "hi"),
        fake::channel_post(-1_009_999_999_999, "news"),
        fake::edited_private_text(42, 42, "hi"),
        fake::private_sticker(42, 42),
        fake::inline_query(42, "tariffs", "q1"),
        fake::migrate_from(sg, -100),
        fake::group_new_member_service(-100, 7),
    ] {
        parse(v);
    }
    let statuses: Vec<&str> = STATUSES.split(' ').collect();
    for (old, new) in statuses.iter().zip(statuses.iter().cycle().skip(1)) {
        let UpdateKind::MyChatMember(u) = parse(fake::my_chat_member(-100, 7, old, new)) else {
            panic!("{old} → {new}: not a my_chat_member update");
        };
        assert_eq!(u.new_chat_member.user.id, UserId(fake::BOT_USER_ID));
    }
    let UpdateKind::Message(m) = parse(fake::migrate_to(-100, sg)) else {
        panic!("migrate_to: not a message");
    };
    assert!(m.chat_migration().is_some());
}

#[tokio::test]
async fn a_teloxide_bot_gets_typed_answers_from_every_method() {
    let fake = FakeApi::start().await;
    let bot = fake.bot();
    let me = bot.get_me().await.expect("getMe");
    assert_eq!(me.user.id, UserId(fake.bot_user_id()));
    assert_eq!(me.username(), fake.bot_username());

    let html = ParseMode::Html;
    let sent = bot.send_message(ChatId(-100), "hi").parse_mode(html).await;
    assert_eq!(sent.expect("sendMessage").chat.id, ChatId(-100));
    assert_eq!(fake.calls_to("sendMessage")[0].params["parse_mode"], "HTML");
    assert_eq!(fake.sent_texts(-100), ["hi"]);

    for status in STATUSES.split(' ') {
        fake.set_chat_member(-100, 7, status);
        let member = bot.get_chat_member(ChatId(-100), UserId(7)).await;
        let owner = matches!(member.expect(status).kind, ChatMemberKind::Owner(_));
        assert_eq!(owner, status == "creator");
    }

    // setWebhook comes as multipart/form-data; its parameters are recorded all the same.
    let hook = url::Url::parse("https://bots.example.org/hook").unwrap();
    let set = bot.set_webhook(hook.clone()).secret_token("s3cret").await;
    set.expect("setWebhook");
    assert_eq!(
        fake.calls_to("setWebhook")[0].params["secret_token"],
        "s3cret"
    );
    let info = bot.get_webhook_info().await.expect("getWebhookInfo");
    assert_eq!(info.url, Some(hook));
    bot.delete_webhook().await.expect("deleteWebhook");
    assert_eq!(fake.webhook_url(), "");

    let menu = [BotCommand::new("help", "Help")];
    bot.set_my_commands(menu).await.expect("setMyCommands");
    let text = InputMessageContent::Text(InputMessageContentText::new("<b>a</b>"));
    let card = InlineQueryResult::Article(InlineQueryResultArticle::new("a", "A", text));
    let answer = bot.answer_inline_query(InlineQueryId("q1".into()), [card]);
    answer.await.expect("answerInlineQuery");

    let pushed = [
        fake.push_update(fake::private_text(42, 42, "question")),
        fake.push_update(fake::my_chat_member(-100, 7, "member", "kicked")),
    ];
    let updates = bot.get_updates().timeout(1).await.expect("getUpdates");
    let ids: Vec<i64> = updates.iter().map(|u| i64::from(u.id.0)).collect();
    assert_eq!(ids, pushed);
    assert!(
        !updates
            .iter()
            .any(|u| matches!(u.kind, UpdateKind::Error(_)))
    );
    let next = bot
        .get_updates()
        .offset(pushed[1] as i32 + 1)
        .timeout(0)
        .await;
    assert!(next.expect("getUpdates").is_empty());
    assert_eq!(fake.pending_updates(), 0);
    let failed = fake.calls().iter().any(|c| !c.is_ok());
    assert!(!failed, "{}", fake.describe_calls());

    // A long poll is answered as soon as an update comes.
    let poll = bot.get_updates().offset(pushed[1] as i32 + 1).timeout(30);
    let poll = tokio::spawn(poll.send());
    fake.wait_for("getUpdates", 3, Duration::from_secs(5)).await;
    fake.push_update(fake::private_text(42, 42, "late"));
    let late = tokio::time::timeout(Duration::from_secs(5), poll).await;
    assert_eq!(late.expect("answered at once").unwrap().unwrap().len(), 1);
    fake.shutdown();
}

#[tokio::test]
async fn injected_failures_map_onto_teloxide_errors() {
    let fake = FakeApi::start().await;
    let bot = fake.bot();
    let send = |chat: i64| bot.send_message(ChatId(chat), "x");

    fake.fail_next("sendMessage", Some(1), Failure::RetryAfter(7));
    assert!(matches!(send(1).await, Err(RequestError::RetryAfter(s)) if s.seconds() == 7));
    let blocked = Failure::Forbidden("Forbidden: bot was blocked by the user".into());
    fake.fail_always("sendMessage", 2, blocked);
    assert_eq!(api_error(send(2).await), Some(ApiError::BotBlocked));
    fake.fail_next("sendMessage", None, Failure::Migrate(-1_001_234_567_890));
    let migrated = send(-100).await;
    assert!(matches!(migrated, Err(RequestError::MigrateToChatId(c)) if c.0 == -1_001_234_567_890));
    fake.fail_next("getChatMember", None, Failure::ChatNotFound);
    let member = bot.get_chat_member(ChatId(-100), UserId(7)).await;
    assert_eq!(api_error(member), Some(ApiError::ChatNotFound));
    fake.fail_next("getMe", None, Failure::Unauthorized);
    assert_eq!(api_error(bot.get_me().await), Some(ApiError::InvalidToken));

    send(1).await.expect("fail_next fails once");
    assert!(send(2).await.is_err(), "fail_always fails every time");
    assert_eq!(fake.stats().per_chat.get(&1), Some(&1));

    // Limits: a violation is counted, and refused with 429 when asked to.
    let limits = |reject| Limits {
        per_chat_min_interval: Some(Duration::from_secs(5)),
        global_per_second: None,
        per_group_per_minute: None,
        reject,
    };
    fake.set_limits(limits(false));
    send(3).await.expect("a first send");
    send(3).await.expect("a violation, accepted");
    fake.set_limits(limits(true));
    assert!(matches!(send(3).await, Err(RequestError::RetryAfter(s)) if s.seconds() == 1));
    assert_eq!((fake.stats().sent, fake.stats().violations), (3, 2));
    fake.set_limits(Limits {
        per_group_per_minute: Some(2),
        ..Limits::default()
    });
    send(-9).await.expect("a group's first");
    send(-9).await.expect("a group's second");
    send(-9)
        .await
        .expect("a group's third: a violation, accepted");
    assert_eq!(fake.stats().violations, 3);

    fake.revoke_token();
    assert_eq!(api_error(bot.get_me().await), Some(ApiError::InvalidToken));
    assert_eq!(fake.calls().last().unwrap().error_code, Some(401));
}
