//! Kaixin's JSON answers: `{"users": [...]}`, or a single user object.

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::User;
use crate::json::{List, Member, Members, Obj, Shallow};
use crate::model::RawJson;

/// An answer, as far as it is read ([`crate::json`]: any JSON is taken).
#[derive(Deserialize)]
struct Answer<'a> {
    #[serde(default, borrow)]
    users: Member<List<Shallow<'a>>>,
    #[serde(default)]
    uid: Member<IgnoredAny>,
}

/// The users of a JSON answer (read from `body`, or from `spare` when it had to be rewritten:
/// [`crate::json`]).
pub(super) fn json_users<'t>(
    body: &'t str,
    spare: &'t mut Option<String>,
    include_raw: bool,
) -> Result<Vec<User<'t>>, String> {
    let (answer, text) = crate::json::from_str_lenient::<Obj<Answer>>(body, spare)
        .map_err(|_| "the body is not valid JSON")?;
    let answer = answer.0.ok_or("the body is not a JSON object")?;
    let users = match answer.users {
        Member::Value(List(Some(users))) => users,
        Member::Null => Vec::new(),
        Member::Value(List(None)) => return Err("users is not an array".into()),
        Member::Absent if !matches!(answer.uid, Member::Absent) => {
            // One user, the whole body.
            let user: Shallow = serde_json::from_str(text).map_err(|e| e.to_string())?;
            let Shallow::Object(members) = user else {
                return Err("the body is not a JSON object".into());
            };
            let raw = include_raw.then(|| serde_json::from_str::<&RawValue>(text));
            return Ok(vec![User::json(members, raw.and_then(Result::ok))]);
        }
        Member::Absent => return Err("the body has no users array".into()),
    };
    let raw = include_raw.then_some((text, "users"));
    let users = crate::json::objects(users, raw).into_iter();
    Ok(users
        .map(|(members, raw)| User::json(members, raw))
        .collect())
}

impl<'a> User<'a> {
    /// A user object of a JSON answer, with its text when `includeRaw` asked for it.
    fn json(members: Members<'a>, raw: Option<&RawValue>) -> Self {
        User {
            members: members
                .into_iter()
                .map(|(key, value)| (key, std::borrow::Cow::Borrowed(value)))
                .collect(),
            raw: raw.map(RawJson::new),
        }
    }
}
