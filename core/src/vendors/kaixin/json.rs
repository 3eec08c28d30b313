//! Kaixin's JSON answers: `{"users": [...]}`, or a single user object.

use std::borrow::Cow;

use super::User;
use crate::json::read::{NotJson, Reader};
use crate::json::{json_fields, Ignored, List, Member, Obj, Raw, Read};
use crate::model::RawJson;

json_fields! {
    /// An answer, as far as it is read ([`crate::json`]: any JSON is taken).
    struct Answer<'a> {
        "users" => users: Member<List<UserMembers<'a>>>,
        "uid" => uid: Member<Ignored>,
    }
}

/// A user object's members, each value as its text, read straight into what [`User`] keeps
/// (no tree of values in between); `None` for an item that is not an object.
struct UserMembers<'a>(Option<Vec<(Cow<'a, str>, Cow<'a, str>)>>);

impl<'a> Read<'a> for UserMembers<'a> {
    fn read(reader: &mut Reader<'a>) -> Result<Self, NotJson> {
        if reader.peek() != Some(b'{') {
            reader.skip()?;
            return Ok(UserMembers(None));
        }
        let mut members = Vec::new();
        reader.object(|reader, key| {
            members.push((key, Cow::Borrowed(reader.skip()?.get())));
            Ok(())
        })?;
        Ok(UserMembers(Some(members)))
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
            let Ok(UserMembers(Some(members))) = crate::json::parse::<UserMembers>(body) else {
                return Err("the body is not a JSON object".into());
            };
            let raw = include_raw.then(|| RawJson::new(Raw::checked(body.trim())));
            return Ok(vec![User { members, raw }]);
        }
        Member::Absent => return Err("the body has no users array".into()),
    };
    let users = users.into_iter().map(|UserMembers(members)| members);
    let users = crate::json::present(users, include_raw.then_some((body, "users")));
    Ok(users
        .into_iter()
        .map(|(members, raw)| User {
            members,
            raw: raw.map(RawJson::new),
        })
        .collect())
}
