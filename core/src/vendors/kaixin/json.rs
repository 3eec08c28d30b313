//! Kaixin's JSON answers: `{"users": [...]}`, or a single user object.

use std::borrow::Cow;

use super::User;
use crate::json::{json_fields, Ignored, List, Member, Members, Obj, Raw, Shallow};
use crate::model::RawJson;

json_fields! {
    /// An answer, as far as it is read ([`crate::json`]: any JSON is taken).
    struct Answer<'a> {
        "users" => users: Member<List<Shallow<'a>>>,
        "uid" => uid: Member<Ignored>,
    }
}

/// The users of a JSON answer.
pub(super) fn json_users<'t>(body: &'t str, include_raw: bool) -> Result<Vec<User<'t>>, String> {
    let answer =
        crate::json::parse::<Obj<Answer>>(body).map_err(|_| "the body is not valid JSON")?;
    let answer = answer.0.ok_or("the body is not a JSON object")?;
    let users = match answer.users {
        Member::Value(List(Some(users))) => users,
        Member::Null => Vec::new(),
        Member::Value(List(None)) => return Err("users is not an array".into()),
        Member::Absent if !matches!(answer.uid, Member::Absent) => {
            // One user, the whole body.
            let user = crate::json::parse::<Shallow>(body);
            let Ok(Shallow::Object(members)) = user else {
                return Err("the body is not a JSON object".into());
            };
            let raw = include_raw.then(|| Raw::checked(body.trim()));
            return Ok(vec![User::json(members, raw)]);
        }
        Member::Absent => return Err("the body has no users array".into()),
    };
    let raw = include_raw.then_some((body, "users"));
    let users = crate::json::objects(users, raw).into_iter();
    Ok(users
        .map(|(members, raw)| User::json(members, raw))
        .collect())
}

impl<'a> User<'a> {
    /// A user object of a JSON answer, with its text when `includeRaw` asked for it.
    fn json(members: Members<'a>, raw: Option<Raw>) -> Self {
        User {
            members: members
                .into_iter()
                .map(|(key, value)| (key, Cow::Borrowed(value.get())))
                .collect(),
            raw: raw.map(RawJson::new),
        }
    }
}
