// The plain-JavaScript baseline: what a user would write instead of improfiles to turn each
// vendor's response into the same normalized profiles (`Profile` in js/shell/types.d.ts). Used by
// bench/run.mjs for the "normalize only" and "CPU cost" comparisons.

const num = (v) =>
  typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v)) ? Number(v) : undefined;
const str = (v) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined);
const embedded = (v) => (typeof v === "string" ? (v.trim() ? JSON.parse(v) : undefined) : (v ?? undefined));

function profile(vendor, id) {
  return { vendor, id, gender: "unknown", custom: {} };
}

function mapRongCloudUser(item) {
  const p = profile("rongcloud", item.userId);
  p.version = num(item.version);
  for (const [key, value] of Object.entries(embedded(item.userProfile) ?? {})) {
    if (key === "name") p.name = str(value);
    else if (key === "portraitUri") p.avatarUrl = str(value);
    else if (key === "email") p.email = str(value);
    else if (key === "birthday") p.birthday = str(value);
    else if (key === "location") p.location = str(value);
    else if (key === "gender") p.gender = num(value) === 1 ? "male" : num(value) === 2 ? "female" : "unknown";
    else if (key === "role") p.role = num(value);
    else if (key === "level") p.level = num(value);
    else p.custom[key] = value;
  }
  Object.assign(p.custom, embedded(item.userExtProfile) ?? {});
  return p;
}

const TENCENT_TAGS = {
  Tag_Profile_IM_Nick: ["name", str],
  Tag_Profile_IM_BirthDay: ["birthday", (v) => (num(v) ? String(num(v)) : undefined)],
  Tag_Profile_IM_Location: ["location", str],
  Tag_Profile_IM_SelfSignature: ["signature", str],
  Tag_Profile_IM_Image: ["avatarUrl", str],
  Tag_Profile_IM_Level: ["level", num],
  Tag_Profile_IM_Role: ["role", num],
};

function mapTencentItem(item) {
  const p = profile("tencent", item.To_Account);
  for (const { Tag, Value } of item.ProfileItem ?? []) {
    if (Tag === "Tag_Profile_IM_Gender")
      p.gender = Value === "Gender_Type_Male" ? "male" : Value === "Gender_Type_Female" ? "female" : "unknown";
    else if (TENCENT_TAGS[Tag]) p[TENCENT_TAGS[Tag][0]] = TENCENT_TAGS[Tag][1](Value);
    else p.custom[Tag] = Value;
  }
  return p;
}

function mapEasemobEntity(e) {
  const p = profile("easemob", e.username);
  for (const [key, value] of Object.entries(e)) {
    if (key === "username") continue;
    if (key === "nickname") p.name = str(value);
    else if (key === "created") p.createdAt = num(value);
    else if (key === "modified") p.updatedAt = num(value);
    else if (key === "activated") p.active = value === true;
    else p.custom[key] = value;
  }
  return p;
}

function mapKaixinUser(u) {
  const p = profile("kaixin", str(u.uid));
  for (const [key, value] of Object.entries(u)) {
    // logo50 stays in custom as well: it is the avatar only when there is no logo120.
    if (key === "uid" || key === "logo120") continue;
    if (key === "name") p.name = str(value);
    else if (key === "gender") p.gender = String(value) === "0" ? "male" : String(value) === "1" ? "female" : "unknown";
    else if (key === "city") p.location = str(value);
    else if (key === "birthday") p.birthday = str(value);
    else p.custom[key] = value;
  }
  p.avatarUrl = str(u.logo120) ?? str(u.logo50);
  return p;
}

/** Per vendor: the list of a parsed response's entries, and the mapping of one entry. */
export const MAPPERS = {
  rongcloud: (body) => body.userList.map(mapRongCloudUser),
  tencent: (body) => body.UserProfileItem.filter((i) => i.ResultCode === 0).map(mapTencentItem),
  "tencent-attrs": (body) => body.UserAttrs.map((a) => ({ ...profile("tencent-attrs", a.To_Account), custom: { ...a.Attrs } })),
  easemob: (body) => body.entities.map(mapEasemobEntity),
  kaixin: (body) => body.users.map(mapKaixinUser),
};
