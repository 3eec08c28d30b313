// Config keys as `vendors()` names them: a nested key is written `oauth1.token`. Shared by the
// command line (from the environment) and the admin console (from its forms).

/** The value at `key` of `object`, or undefined. */
export function fieldValue(object, key) {
  return key.split(".").reduce((value, k) => value?.[k], object);
}

/** Sets `key` of `object` to `value`, making the objects a nested key goes through. */
export function setField(object, key, value) {
  const path = key.split(".");
  const leaf = path.pop();
  let target = object;
  for (const k of path) target = target[k] ??= {};
  target[leaf] = value;
}
