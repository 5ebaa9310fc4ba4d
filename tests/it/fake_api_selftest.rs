//! Owns the self-tests of the fake Bot API: raw HTTP behaviour, and that its JSON parses with teloxide.
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{
    ChatFullInfo, ChatMember, ChatMemberKind, ChatMigration, InputFile, Me, Message, MessageId,
    Update, UpdateKind, WebhookInfo,
};

use crate::fake_api::{self, Failure, FakeApi, Limits};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client")
}

/// POSTs `body` as JSON to `method` with `token`; returns the HTTP status and the JSON answer.
async fn call_as(fake: &FakeApi, token: &str, method: &str, body: Value) -> (u16, Value) {
    let url = format!("{}bot{token}/{method}", fake.url());
    let resp = client()
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("request to the fake");
    let status = resp.status().as_u16();
    let json = resp.json::<Value>().await.expect("a JSON answer");
    (status, json)
}

async fn call(fake: &FakeApi, method: &str, body: Value) -> (u16, Value) {
    call_as(fake, FakeApi::TOKEN, method, body).await
}

/// Sets an `update_id` and parses the builder's JSON as teloxide would (from text: see
/// [`fake_api::to_teloxide_update`] for why not `serde_json::from_value`).
fn parse_update(mut v: Value) -> Update {
    v["update_id"] = json!(1);
    fake_api::to_teloxide_update(&v)
}

fn message_of(v: Value) -> Message {
    let text = v.to_string();
    match parse_update(v).kind {
        UpdateKind::Message(m) => m,
        other => panic!("expected a message update, got {other:?} from {text}"),
    }
}

#[tokio::test]
async fn fake_api_get_me_wrong_token_and_unknown_method() {
    let fake = FakeApi::start().await;

    let (status, body) = call(&fake, "getMe", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(body["ok"], json!(true));
    let me: Me = serde_json::from_value(body["result"].clone()).expect("getMe parses as Me");
    assert_eq!(me.user.id, UserId(fake.bot_user_id()));
    assert_eq!(me.username(), fake.bot_username());

    // Empty body, method name in another case.
    let resp = client()
        .post(format!("{}bot{}/GETME", fake.url(), FakeApi::TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);

    let (status, body) = call_as(&fake, "999:WRONG", "sendMessage", json!({"chat_id": 1})).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
    );

    let (status, body) = call(&fake, "noSuchMethod", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"})
    );

    let calls = fake.calls();
    assert_eq!(calls.len(), 4, "{}", fake.describe_calls());
    assert_eq!(calls[1].method, "GETME");
    assert_eq!(calls[2].token, "999:WRONG");
    assert_eq!(calls[2].error_code, Some(401));
    assert_eq!(calls[3].error_code, Some(404));
    assert_eq!(fake.calls_to("getme").len(), 2);
    assert_eq!(fake.stats().sent, 0);
}

#[tokio::test]
async fn fake_api_get_updates_offset_and_long_poll() {
    let fake = FakeApi::start().await;
    let a = fake.push_update(fake_api::private_text(1, 1, "one"));
    let b = fake.push_update(fake_api::private_text(1, 1, "two"));
    let c = fake.push_update(fake_api::private_text(1, 1, "three"));
    assert!(a < b && b < c);

    let (_, body) = call(&fake, "getUpdates", json!({})).await;
    let ids: Vec<i64> = body["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["update_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![a, b, c]);

    let (_, body) = call(&fake, "getUpdates", json!({"offset": b, "limit": 1})).await;
    assert_eq!(body["result"].as_array().unwrap().len(), 1);
    assert_eq!(body["result"][0]["update_id"], json!(b));
    assert_eq!(body["result"][0]["message"]["text"], json!("two"));
    assert_eq!(fake.pending_updates(), 2);

    let (_, body) = call(&fake, "getUpdates", json!({"offset": c + 1, "timeout": 0})).await;
    assert_eq!(body["result"], json!([]));
    assert_eq!(fake.pending_updates(), 0);

    // Long poll with nothing queued: held at most ~1 s, then [].
    let started = Instant::now();
    let (_, body) = call(&fake, "getUpdates", json!({"offset": c + 1, "timeout": 30})).await;
    assert_eq!(body["result"], json!([]));
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(started.elapsed() < Duration::from_secs(5));

    // Long poll woken by a push.
    let pusher = fake.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        pusher.push_update(fake_api::private_text(1, 1, "late"));
    });
    let (_, body) = call(&fake, "getUpdates", json!({"offset": c + 1, "timeout": 30})).await;
    assert_eq!(body["result"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["result"][0]["message"]["text"], json!("late"));

    // Form-encoded parameters work too.
    let resp = client()
        .post(format!("{}bot{}/getUpdates", fake.url(), FakeApi::TOKEN))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("offset={}&timeout=0", c + 2))
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["result"], json!([]));
}

#[tokio::test]
async fn fake_api_injected_failures_have_telegram_json() {
    let fake = FakeApi::start().await;

    fake.fail_next("sendMessage", Some(5), Failure::RetryAfter(3));
    let (status, _) = call(&fake, "sendMessage", json!({"chat_id": 6, "text": "a"})).await;
    assert_eq!(status, 200, "another chat is not affected");
    let (status, body) = call(&fake, "SendMessage", json!({"chat_id": "5", "text": "b"})).await;
    assert_eq!(status, 429);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 3",
               "parameters": {"retry_after": 3}})
    );
    let (status, _) = call(&fake, "sendMessage", json!({"chat_id": 5, "text": "c"})).await;
    assert_eq!(status, 200, "fail_next fails once");

    fake.fail_next("sendMessage", None, Failure::Migrate(-1_001_234_567_890));
    let (status, body) = call(&fake, "sendMessage", json!({"chat_id": -77, "text": "d"})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["description"],
        json!("Bad Request: group chat was upgraded to a supergroup chat")
    );
    assert_eq!(
        body["parameters"],
        json!({"migrate_to_chat_id": -1_001_234_567_890_i64})
    );

    fake.fail_next("getChatMember", None, Failure::ChatNotFound);
    let (status, body) = call(&fake, "getChatMember", json!({"chat_id": -5, "user_id": 1})).await;
    assert_eq!(status, 400);
    assert_eq!(body["description"], json!("Bad Request: chat not found"));

    fake.fail_next("getMe", None, Failure::Unauthorized);
    let (status, body) = call(&fake, "getMe", json!({})).await;
    assert_eq!((status, body["error_code"].clone()), (401, json!(401)));

    let kicked = "Forbidden: bot was kicked from the group chat";
    fake.fail_always("sendMessage", -42, Failure::Forbidden(kicked.into()));
    for _ in 0..2 {
        let (status, body) = call(&fake, "sendMessage", json!({"chat_id": -42, "text": "x"})).await;
        assert_eq!(status, 403);
        assert_eq!(
            body,
            json!({"ok": false, "error_code": 403, "description": kicked})
        );
    }
    fake.clear_failures();
    let (status, _) = call(&fake, "sendMessage", json!({"chat_id": -42, "text": "y"})).await;
    assert_eq!(status, 200);

    let stats = fake.stats();
    assert_eq!(stats.sent, 3, "only accepted sends count");
    assert_eq!(stats.per_chat.get(&5), Some(&1));
    assert_eq!(stats.per_chat.get(&-42), Some(&1));
    let failed = fake
        .calls_to("sendMessage")
        .iter()
        .filter(|c| !c.is_ok())
        .count();
    assert_eq!(
        failed,
        4,
        "failed calls are recorded: {}",
        fake.describe_calls()
    );
    assert_eq!(fake.sent_texts(5), vec!["c".to_string()]);
}

#[tokio::test]
async fn fake_api_rate_limit_violations() {
    let fake = FakeApi::start().await;
    let send = |chat: i64| {
        let fake = fake.clone();
        async move { call(&fake, "sendMessage", json!({"chat_id": chat, "text": "t"})).await }
    };

    // Per-chat interval (accepted, counted).
    fake.set_limits(Limits {
        per_chat_min_interval: Some(Duration::from_secs(5)),
        global_per_second: None,
        reject: false,
    });
    assert_eq!(send(1).await.0, 200);
    assert_eq!(send(1).await.0, 200);
    assert_eq!(send(2).await.0, 200);
    assert_eq!(fake.stats().violations, 1);

    // Rejecting: 429 with retry_after = 1, not counted as sent.
    fake.set_limits(Limits {
        per_chat_min_interval: Some(Duration::from_secs(5)),
        global_per_second: None,
        reject: true,
    });
    let (status, body) = send(1).await;
    assert_eq!(status, 429);
    assert_eq!(body["parameters"]["retry_after"], json!(1));
    let stats = fake.stats();
    assert_eq!((stats.sent, stats.violations), (3, 2));
    assert_eq!(stats.per_chat.get(&1), Some(&2));

    // Sliding one-second global window; sendChatAction is not a message.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    fake.set_limits(Limits {
        per_chat_min_interval: None,
        global_per_second: Some(3),
        reject: false,
    });
    for chat in 10..14 {
        assert_eq!(send(chat).await.0, 200);
    }
    let (status, _) = call(
        &fake,
        "sendChatAction",
        json!({"chat_id": 20, "action": "typing"}),
    )
    .await;
    assert_eq!(status, 200);
    let stats = fake.stats();
    assert_eq!((stats.sent, stats.violations), (7, 3));

    fake.set_limits(Limits::default());
    assert_eq!(send(1).await.0, 200);
    assert_eq!(fake.stats().violations, 3);
}

#[tokio::test]
async fn fake_api_wait_for() {
    let fake = FakeApi::start().await;
    let caller = fake.clone();
    tokio::spawn(async move {
        for i in 0..3 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            call(
                &caller,
                "sendMessage",
                json!({"chat_id": 9, "text": i.to_string()}),
            )
            .await;
        }
    });
    let calls = fake
        .wait_for("SENDMESSAGE", 3, Duration::from_secs(10))
        .await;
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[2].text(), Some("2"));
    assert_eq!(calls[2].chat_id(), Some(9));

    let waiting = fake.clone();
    let outcome = tokio::spawn(async move {
        waiting
            .wait_for("leaveChat", 1, Duration::from_millis(100))
            .await
    })
    .await;
    let panic = outcome.expect_err("wait_for panics on timeout");
    let message = panic
        .into_panic()
        .downcast::<String>()
        .map(|s| *s)
        .unwrap_or_default();
    assert!(message.contains("leaveChat"), "{message}");
    assert!(
        message.contains("sendMessage"),
        "lists the calls seen: {message}"
    );
}

#[test]
fn fake_api_builders_parse_as_teloxide_updates() {
    let bot = fake_api::BOT_USER_ID;

    // The teloxide-core 0.13 gotcha `to_teloxide_update` works around.
    let mut v = fake_api::private_text(42, 42, "hello");
    v["update_id"] = json!(1);
    let via_value = serde_json::from_value::<Update>(v.clone()).expect("an Update");
    assert!(matches!(via_value.kind, UpdateKind::Error(_)));
    assert!(matches!(
        fake_api::to_teloxide_update(&v).kind,
        UpdateKind::Message(_)
    ));

    let m = message_of(fake_api::private_text(42, 42, "hello"));
    assert_eq!(m.text(), Some("hello"));
    assert!(m.chat.is_private());
    assert_eq!(m.from.as_ref().unwrap().id, UserId(42));
    assert_eq!(m.from.as_ref().unwrap().username.as_deref(), Some("alice"));

    let m = message_of(fake_api::group_text(-100, 7, "in a group"));
    assert!(m.chat.is_group());
    assert_eq!(m.text(), Some("in a group"));
    let m = message_of(fake_api::group_text(
        -1_001_234_567_890,
        7,
        "in a supergroup",
    ));
    assert!(m.chat.is_supergroup());

    let m = message_of(fake_api::group_reply_to_bot(-100, 7, "follow-up", 55, bot));
    let replied = m.reply_to_message().expect("a reply");
    assert_eq!(replied.id, MessageId(55));
    assert_eq!(replied.from.as_ref().unwrap().id, UserId(bot));
    assert_eq!(m.text(), Some("follow-up"));

    let m = message_of(fake_api::anonymous_admin_text(
        -1_001_234_567_890,
        "as admin",
    ));
    assert_eq!(
        m.from.as_ref().unwrap().id,
        UserId(fake_api::GROUP_ANONYMOUS_BOT_ID)
    );
    assert_eq!(m.sender_chat.as_ref().unwrap().id, m.chat.id);
    assert_eq!(m.text(), Some("as admin"));

    match parse_update(fake_api::channel_post(-1_009_999_999_999, "news")).kind {
        UpdateKind::ChannelPost(m) => {
            assert!(m.chat.is_channel());
            assert!(m.from.is_none());
            assert_eq!(m.text(), Some("news"));
        }
        other => panic!("expected a channel post, got {other:?}"),
    }

    match parse_update(fake_api::edited_private_text(42, 42, "edited")).kind {
        UpdateKind::EditedMessage(m) => {
            assert!(m.edit_date().is_some());
            assert_eq!(m.text(), Some("edited"));
        }
        other => panic!("expected an edited message, got {other:?}"),
    }

    let m = message_of(fake_api::private_sticker(42, 42));
    assert!(m.sticker().is_some());
    assert!(m.text().is_none());
    let m = message_of(fake_api::private_photo(42, 42));
    assert_eq!(m.photo().map(<[_]>::len), Some(2));

    match parse_update(fake_api::inline_query(42, "tariffs", "q1")).kind {
        UpdateKind::InlineQuery(q) => {
            assert_eq!(q.query, "tariffs");
            assert_eq!(q.id.0, "q1");
            assert_eq!(q.from.id, UserId(42));
        }
        other => panic!("expected an inline query, got {other:?}"),
    }

    for (old, new) in [
        ("member", "kicked"),
        ("kicked", "member"),
        ("left", "member"),
        ("member", "administrator"),
        ("administrator", "left"),
        ("creator", "restricted"),
    ] {
        let chat = if new == "kicked" { 42 } else { -100 };
        match parse_update(fake_api::my_chat_member(chat, 42, old, new)).kind {
            UpdateKind::MyChatMember(u) => {
                assert_eq!(u.new_chat_member.user.id, UserId(bot));
                assert_eq!(u.old_chat_member.user.id, UserId(bot));
                assert_eq!(u.from.id, UserId(42));
                assert_eq!(status_of(&u.old_chat_member), old);
                assert_eq!(status_of(&u.new_chat_member), new);
            }
            other => panic!("expected my_chat_member, got {other:?}"),
        }
    }

    let m = message_of(fake_api::migrate_to(-100, -1_001_234_567_890));
    assert_eq!(m.chat.id, ChatId(-100));
    assert_eq!(
        m.chat_migration(),
        Some(&ChatMigration::To {
            chat_id: ChatId(-1_001_234_567_890)
        })
    );
    let m = message_of(fake_api::migrate_from(-1_001_234_567_890, -100));
    assert!(m.chat.is_supergroup());
    assert_eq!(m.migrate_from_chat_id(), Some(&ChatId(-100)));

    let m = message_of(fake_api::group_new_member_service(-100, 7));
    assert_eq!(
        m.new_chat_members().map(|users| users[0].id),
        Some(UserId(7))
    );
}

fn status_of(member: &ChatMember) -> &'static str {
    match member.kind {
        ChatMemberKind::Owner(_) => "creator",
        ChatMemberKind::Administrator(_) => "administrator",
        ChatMemberKind::Member(_) => "member",
        ChatMemberKind::Restricted(_) => "restricted",
        ChatMemberKind::Left => "left",
        ChatMemberKind::Banned(_) => "kicked",
    }
}

#[tokio::test]
async fn fake_api_answers_parse_as_teloxide_types() {
    let fake = FakeApi::start().await;

    for status in [
        "creator",
        "administrator",
        "member",
        "left",
        "kicked",
        "restricted",
    ] {
        fake.set_chat_member(-100, 7, status);
        let (code, body) = call(
            &fake,
            "getChatMember",
            json!({"chat_id": -100, "user_id": 7}),
        )
        .await;
        assert_eq!(code, 200);
        let member: ChatMember = serde_json::from_value(body["result"].clone())
            .unwrap_or_else(|e| panic!("{status}: {e}: {body}"));
        assert_eq!(status_of(&member), status);
        assert_eq!(member.user.id, UserId(7));
    }
    // Unknown members default to "member"; string ids work.
    let (_, body) = call(
        &fake,
        "getChatMember",
        json!({"chat_id": "-5", "user_id": "8"}),
    )
    .await;
    let member: ChatMember = serde_json::from_value(body["result"].clone()).unwrap();
    assert!(matches!(member.kind, ChatMemberKind::Member(_)));

    fake.set_chat_member(-100, fake.bot_user_id(), "administrator");
    let (_, body) = call(&fake, "getChatAdministrators", json!({"chat_id": -100})).await;
    let admins: Vec<ChatMember> = serde_json::from_value(body["result"].clone()).unwrap();
    assert_eq!(admins.len(), 1);
    assert!(admins[0].user.is_bot);

    for chat in [42, -100, -1_001_234_567_890] {
        let (_, body) = call(&fake, "getChat", json!({"chat_id": chat})).await;
        let info: ChatFullInfo = serde_json::from_value(body["result"].clone())
            .unwrap_or_else(|e| panic!("{chat}: {e}: {body}"));
        assert_eq!(info.id, ChatId(chat));
    }

    let (_, body) = call(&fake, "getWebhookInfo", json!({})).await;
    let _: WebhookInfo = serde_json::from_value(body["result"].clone()).unwrap();

    let (_, first) = call(&fake, "sendMessage", json!({"chat_id": 42, "text": "hi"})).await;
    let (_, second) = call(
        &fake,
        "sendMessage",
        json!({"chat_id": -1_001_234_567_890_i64, "text": "there", "parse_mode": "HTML",
               "reply_parameters": {"message_id": 3}}),
    )
    .await;
    let first: Message = serde_json::from_value(first["result"].clone()).unwrap();
    let second: Message = serde_json::from_value(second["result"].clone()).unwrap();
    assert_eq!(first.text(), Some("hi"));
    assert!(first.chat.is_private());
    assert!(second.chat.is_supergroup());
    assert!(second.id.0 > first.id.0);
    assert_eq!(second.from.as_ref().unwrap().id, UserId(fake.bot_user_id()));
    let recorded = &fake.calls_to("sendMessage")[1];
    assert_eq!(recorded.params["parse_mode"], json!("HTML"));
    assert_eq!(recorded.params["reply_parameters"]["message_id"], json!(3));

    let (_, body) = call(
        &fake,
        "editMessageText",
        json!({"chat_id": 42, "message_id": first.id.0, "text": "edited"}),
    )
    .await;
    let edited: Message = serde_json::from_value(body["result"].clone()).unwrap();
    assert_eq!((edited.id, edited.text()), (first.id, Some("edited")));

    for method in [
        "deleteWebhook",
        "setWebhook",
        "setMyCommands",
        "deleteMyCommands",
        "answerCallbackQuery",
        "answerInlineQuery",
        "sendChatAction",
        "leaveChat",
    ] {
        let (code, body) = call(&fake, method, json!({"chat_id": 42})).await;
        assert_eq!(
            (code, body),
            (200, json!({"ok": true, "result": true})),
            "{method}"
        );
    }
}

#[tokio::test]
async fn fake_api_drives_a_real_teloxide_bot() {
    let fake = FakeApi::start().await;
    let bot = teloxide::Bot::with_client(
        FakeApi::TOKEN,
        teloxide::net::default_reqwest_settings()
            .no_proxy()
            .build()
            .unwrap(),
    )
    .set_api_url(fake.url());

    let me = bot.get_me().await.expect("getMe");
    assert_eq!(me.username(), fake.bot_username());
    assert_eq!(me.user.id, UserId(fake.bot_user_id()));

    let sent = bot
        .send_message(ChatId(42), "hi")
        .await
        .expect("sendMessage");
    assert_eq!(sent.text(), Some("hi"));
    assert_eq!(sent.chat.id, ChatId(42));
    let calls = fake.calls_to("sendMessage");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].chat_id(), Some(42));
    assert_eq!(calls[0].text(), Some("hi"));
    assert_eq!(calls[0].token, FakeApi::TOKEN);

    fake.fail_next("sendMessage", Some(42), Failure::RetryAfter(7));
    match bot.send_message(ChatId(42), "again").await {
        Err(RequestError::RetryAfter(s)) => assert_eq!(s.seconds(), 7),
        other => panic!("expected RetryAfter, got {other:?}"),
    }

    fake.fail_next(
        "sendMessage",
        Some(-100),
        Failure::Migrate(-1_001_234_567_890),
    );
    match bot.send_message(ChatId(-100), "to the old group").await {
        Err(RequestError::MigrateToChatId(to)) => assert_eq!(to, ChatId(-1_001_234_567_890)),
        other => panic!("expected MigrateToChatId, got {other:?}"),
    }

    fake.fail_always(
        "*",
        43,
        Failure::Forbidden("Forbidden: bot was blocked by the user".into()),
    );
    match bot.send_message(ChatId(43), "blocked?").await {
        Err(RequestError::Api(teloxide::ApiError::BotBlocked)) => {}
        other => panic!("expected BotBlocked, got {other:?}"),
    }

    let member = bot
        .get_chat_member(ChatId(-100), UserId(fake.bot_user_id()))
        .await
        .expect("getChatMember");
    assert!(member.user.is_bot);

    // Multipart upload: parameters still recorded.
    bot.send_photo(
        ChatId(42),
        InputFile::memory(vec![0_u8, 1, 2, 3]).file_name("p.png"),
    )
    .caption("a caption")
    .await
    .expect("sendPhoto");
    let photo = &fake.calls_to("sendPhoto")[0];
    assert_eq!(photo.chat_id(), Some(42));
    assert_eq!(photo.params["caption"], json!("a caption"));
    assert_eq!(photo.params["photo"], json!("<file p.png>"));

    // Updates pushed to the fake come back through teloxide's getUpdates, all parseable.
    let pushed = [
        fake.push_update(fake_api::private_text(42, 42, "question")),
        fake.push_update(fake_api::group_text(-100, 7, "group question")),
        fake.push_update(fake_api::my_chat_member(-100, 7, "member", "kicked")),
        fake.push_update(fake_api::migrate_to(-100, -1_001_234_567_890)),
    ];
    let updates = bot.get_updates().timeout(1).await.expect("getUpdates");
    assert_eq!(updates.len(), pushed.len());
    for (u, id) in updates.iter().zip(pushed) {
        assert_eq!(i64::from(u.id.0), id);
        assert!(!matches!(u.kind, UpdateKind::Error(_)), "{u:?}");
    }
    let next = pushed[3] + 1;
    let rest = bot
        .get_updates()
        .offset(next as i32)
        .timeout(0)
        .await
        .expect("getUpdates");
    assert!(rest.is_empty());
    assert_eq!(fake.pending_updates(), 0);

    fake.shutdown();
}
