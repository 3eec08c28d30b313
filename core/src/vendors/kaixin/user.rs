//! A Kaixin user, read from either answer format, and the profile it makes.

use std::borrow::Cow;

use crate::json::{member_named, Raw, Shallow};
use crate::model::{Gender, Profile, RawJson, VendorKey};

/// A user of an answer, JSON or XML: its members as JSON text (checked by the read of a
/// JSON answer, or written from the XML), and the whole of it when `includeRaw` asked for it.
pub(super) struct User<'a> {
    pub(super) members: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub(super) raw: Option<RawJson>,
}

impl User<'_> {
    pub(super) fn uid(&self) -> Option<Cow<'_, str>> {
        let value = member_named(&self.members, "uid")?;
        // Mostly a plain string (or a number): borrowed, with nothing to trim.
        match Shallow::of(Raw::checked(value)) {
            Shallow::Str(Cow::Borrowed(text)) => Some(Cow::Borrowed(text.trim())),
            other => Some(Cow::Owned(other.text()?.trim().to_owned())),
        }
    }

    /// The profile of the user `id`.
    pub(super) fn into_profile(self, id: &str) -> Profile {
        let mut profile = Profile::new(VendorKey::Kaixin, id);
        let mut logo50 = None;
        for (key, raw) in &self.members {
            let raw = Raw::checked(raw);
            let value = || Shallow::of(raw);
            match key.as_ref() {
                "uid" => {}
                "name" => profile.name = value().text(),
                "gender" => profile.gender = gender(&value()),
                "city" => profile.location = value().text(),
                "logo120" => profile.avatar_url = value().text(),
                "birthday" => profile.birthday = value().text(),
                key => {
                    if key == "logo50" {
                        logo50 = value().text();
                    }
                    profile.custom.insert(key, RawJson::new(raw));
                }
            }
        }
        if profile.avatar_url.as_deref().map_or(true, str::is_empty) {
            profile.avatar_url = logo50.or(profile.avatar_url);
        }
        profile.raw = self.raw;
        profile
    }
}

/// Kaixin codes gender as "0" male, "1" female.
fn gender(value: &Shallow) -> Gender {
    match value.text().as_deref().map(str::trim) {
        Some("0") => Gender::Male,
        Some("1") => Gender::Female,
        _ => Gender::Unknown,
    }
}
