//! Owns the JSON of Telegram objects: the update builders the tests push, and the users, chats and
//! chat members the fake answers with.
//!
//! Updates carry no `update_id`: [`crate::FakeApi::push_update`] sets it. The sender of the
//! builders' messages is "Alice" (username `alice`) with the user id given.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value, json};

/// User id of the fake bot (what `getMe` answers).
pub const BOT_USER_ID: u64 = 7_000_001;
/// Username of the fake bot (what `getMe` answers).
pub(crate) const BOT_USERNAME: &str = "TradeTalksTestBot";
/// Id of Telegram's "GroupAnonymousBot", the `from` of anonymous group admins' messages.
const GROUP_ANONYMOUS_BOT_ID: u64 = 1_087_968_824;
/// The user that performs service actions whose builder takes no user id ([`migrate_to`]).
const DEFAULT_USER_ID: u64 = 5_000_001;
/// Chat ids at or below this are supergroups; between it and 0 are basic groups.
const SUPERGROUP_ID_LIMIT: i64 = -1_000_000_000_000;

/// The statuses [`chat_member_json`] knows.
pub(crate) const KNOWN_STATUSES: [&str; 6] = [
    "creator",
    "administrator",
    "member",
    "left",
    "kicked",
    "restricted",
];

/// A `User` with a username (the fake bot's shape).
#[derive(Clone, Copy, Serialize)]
pub(crate) struct UserRef {
    id: u64,
    is_bot: bool,
    first_name: &'static str,
    username: &'static str,
}

pub(crate) const BOT_USER: UserRef = UserRef {
    id: BOT_USER_ID,
    is_bot: true,
    first_name: "Trade Talks",
    username: BOT_USERNAME,
};

/// A `Chat` for an id: private ("User") if > 0, supergroup if <= -10^12, else a basic group.
#[derive(Serialize)]
pub(crate) struct ChatRef {
    id: i64,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'static str>,
}

impl ChatRef {
    pub(crate) fn of(id: i64) -> ChatRef {
        let (kind, first_name, title) = if id > 0 {
            ("private", Some("User"), None)
        } else if id <= SUPERGROUP_ID_LIMIT {
            ("supergroup", None, Some("Group"))
        } else {
            ("group", None, Some("Group"))
        };
        ChatRef {
            id,
            kind,
            first_name,
            title,
        }
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Message ids for builder-made messages: unique within the process.
static NEXT_BUILT_MESSAGE_ID: AtomicI64 = AtomicI64::new(100_000);

/// A `ChatMember` for `user` (a `User` object) with the given status and the fields teloxide
/// needs for it. Panics on a status not in [`KNOWN_STATUSES`].
pub(crate) fn chat_member_json(user: Value, status: &str) -> Value {
    let mut v = match status {
        "creator" => json!({ "is_anonymous": false }),
        "administrator" => json!({
            "can_be_edited": false,
            "is_anonymous": false,
            "can_manage_chat": true,
            "can_delete_messages": true,
            "can_manage_video_chats": true,
            "can_restrict_members": true,
            "can_promote_members": false,
            "can_change_info": true,
            "can_invite_users": true,
            "can_post_stories": false,
            "can_edit_stories": false,
            "can_delete_stories": false,
            "can_pin_messages": true,
            "can_manage_topics": false,
        }),
        "member" | "left" => json!({}),
        "kicked" => json!({ "until_date": 0 }),
        "restricted" => json!({
            "until_date": 0,
            "is_member": true,
            "can_send_messages": false,
            "can_send_audios": false,
            "can_send_documents": false,
            "can_send_photos": false,
            "can_send_videos": false,
            "can_send_video_notes": false,
            "can_send_voice_notes": false,
            "can_send_polls": false,
            "can_send_other_messages": false,
            "can_add_web_page_previews": false,
            "can_change_info": false,
            "can_invite_users": false,
            "can_pin_messages": false,
            "can_manage_topics": false,
        }),
        other => panic!("chat_member_json: unknown status {other:?}"),
    };
    v["status"] = json!(status);
    v["user"] = user;
    v
}

fn alice(user_id: u64) -> Value {
    json!({
        "id": user_id,
        "is_bot": false,
        "first_name": "Alice",
        "username": "alice",
        "language_code": "en",
    })
}

fn group_anonymous_bot() -> Value {
    json!({
        "id": GROUP_ANONYMOUS_BOT_ID,
        "is_bot": true,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    })
}

fn chat_json(chat_id: i64) -> Value {
    json!(ChatRef::of(chat_id))
}

fn channel_chat_json(chat_id: i64) -> Value {
    json!({ "id": chat_id, "type": "channel", "title": "Channel" })
}

/// The chat Alice talks to the bot in: a private chat when `chat_id` > 0, else per [`ChatRef`].
fn alice_chat(chat_id: i64) -> Value {
    if chat_id > 0 {
        json!({ "id": chat_id, "type": "private", "first_name": "Alice", "username": "alice" })
    } else {
        chat_json(chat_id)
    }
}

/// A message skeleton: fresh message id, date now, `chat`, and `from` if given.
fn message(chat: Value, from: Option<Value>) -> Map<String, Value> {
    let mut m = Map::new();
    let id = NEXT_BUILT_MESSAGE_ID.fetch_add(1, Ordering::Relaxed);
    m.insert("message_id".into(), json!(id));
    m.insert("date".into(), json!(unix_now()));
    m.insert("chat".into(), chat);
    if let Some(from) = from {
        m.insert("from".into(), from);
    }
    m
}

/// A message skeleton from Alice with `text`.
fn text_from_alice(chat: Value, user_id: u64, text: &str) -> Map<String, Value> {
    let mut m = message(chat, Some(alice(user_id)));
    m.insert("text".into(), json!(text));
    m
}

fn update(kind: &str, payload: Map<String, Value>) -> Value {
    json!({ kind: payload })
}

/// A "message" update: Alice writes `text` to the bot in private chat `chat_id`.
pub fn private_text(chat_id: i64, user_id: u64, text: &str) -> Value {
    update(
        "message",
        text_from_alice(alice_chat(chat_id), user_id, text),
    )
}

/// A "message" update: Alice writes `text` in group `chat_id` (group or supergroup by id).
pub fn group_text(chat_id: i64, user_id: u64, text: &str) -> Value {
    update(
        "message",
        text_from_alice(chat_json(chat_id), user_id, text),
    )
}

/// A group "message" update replying to the bot's message `replied_message_id`.
pub fn group_reply_to_bot(
    chat_id: i64,
    user_id: u64,
    text: &str,
    replied_message_id: i32,
    bot_user_id: u64,
) -> Value {
    let mut bot = json!(BOT_USER);
    bot["id"] = json!(bot_user_id);
    let mut replied = message(chat_json(chat_id), Some(bot));
    replied.insert("message_id".into(), json!(replied_message_id));
    replied.insert("text".into(), json!("(an earlier answer from the bot)"));
    let mut m = text_from_alice(chat_json(chat_id), user_id, text);
    m.insert("reply_to_message".into(), Value::Object(replied));
    update("message", m)
}

/// A group "message" update from an anonymous admin (from GroupAnonymousBot, sender_chat the group).
pub fn anonymous_admin_text(chat_id: i64, text: &str) -> Value {
    let mut m = message(chat_json(chat_id), Some(group_anonymous_bot()));
    m.insert("sender_chat".into(), chat_json(chat_id));
    m.insert("text".into(), json!(text));
    update("message", m)
}

/// A "channel_post" update in channel `chat_id` (no `from`; `sender_chat` is the channel).
pub fn channel_post(chat_id: i64, text: &str) -> Value {
    let mut m = message(channel_chat_json(chat_id), None);
    m.insert("sender_chat".into(), channel_chat_json(chat_id));
    m.insert("text".into(), json!(text));
    update("channel_post", m)
}

/// An "edited_message" update: Alice edited a private message to `text`.
pub fn edited_private_text(chat_id: i64, user_id: u64, text: &str) -> Value {
    let mut m = text_from_alice(alice_chat(chat_id), user_id, text);
    m.insert("date".into(), json!(unix_now().saturating_sub(60)));
    m.insert("edit_date".into(), json!(unix_now()));
    update("edited_message", m)
}

/// A "message" update: Alice sends a sticker in a private chat.
pub fn private_sticker(chat_id: i64, user_id: u64) -> Value {
    let mut m = message(alice_chat(chat_id), Some(alice(user_id)));
    m.insert(
        "sticker".into(),
        json!({
            "file_id": "CAACAgIAAxkBAAFakeStickerFileId",
            "file_unique_id": "AgADFakeSticker",
            "file_size": 12_345,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": false,
            "is_video": false,
            "emoji": "👍",
            "set_name": "FakeStickerSet",
        }),
    );
    update("message", m)
}

/// An "inline_query" update from Alice.
pub fn inline_query(user_id: u64, query: &str, id: &str) -> Value {
    json!({ "inline_query": {
        "id": id,
        "from": alice(user_id),
        "query": query,
        "offset": "",
        "chat_type": "sender",
    } })
}

/// A "my_chat_member" update: user `user_id` changed the bot's status in `chat_id` from
/// `old_status` to `new_status` (e.g. "member" → "kicked" when removed or blocked).
pub fn my_chat_member(chat_id: i64, user_id: u64, old_status: &str, new_status: &str) -> Value {
    json!({ "my_chat_member": {
        "chat": alice_chat(chat_id),
        "from": alice(user_id),
        "date": unix_now(),
        "old_chat_member": chat_member_json(json!(BOT_USER), old_status),
        "new_chat_member": chat_member_json(json!(BOT_USER), new_status),
    } })
}

/// A service "message" in basic group `old_chat_id`: it was upgraded to supergroup `new_chat_id`.
pub fn migrate_to(old_chat_id: i64, new_chat_id: i64) -> Value {
    let mut m = message(chat_json(old_chat_id), Some(alice(DEFAULT_USER_ID)));
    m.insert("migrate_to_chat_id".into(), json!(new_chat_id));
    update("message", m)
}

/// A service "message" in supergroup `new_chat_id`: it was upgraded from group `old_chat_id`.
pub fn migrate_from(new_chat_id: i64, old_chat_id: i64) -> Value {
    let mut m = message(chat_json(new_chat_id), Some(group_anonymous_bot()));
    m.insert("sender_chat".into(), chat_json(new_chat_id));
    m.insert("migrate_from_chat_id".into(), json!(old_chat_id));
    update("message", m)
}

/// A service "message" in `chat_id`: Alice (`user_id`) joined the group.
pub fn group_new_member_service(chat_id: i64, user_id: u64) -> Value {
    let mut m = message(chat_json(chat_id), Some(alice(user_id)));
    m.insert("new_chat_members".into(), json!([alice(user_id)]));
    update("message", m)
}
