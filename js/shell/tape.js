// Results as JS values, read from a tape (json/src/tape.rs): `text` holds every short
// string and number of a result that is ASCII, `wide` every short string that is not, one
// after another; `json` the items of a JSON array of every long string and every piece of
// vendor JSON; `words` (a Uint32Array) says what to build, each word a kind in its low 3
// bits and a count above them. What this builds is what `JSON.parse` makes of the same
// result's JSON, in about half the time: the structure comes from the words instead of a
// scan of every byte, keys and the values every profile repeats come from WORDS, and the
// long strings from one JSON.parse with no object to build. Short strings and keys are
// slices of a text, which V8 copies (a key is interned); a long slice would keep the whole
// text alive.

// The words of core/src/model/write.rs's table, in its order (a test there reads this list).
const WORDS = [
  "vendor",
  "id",
  "name",
  "avatarUrl",
  "gender",
  "birthday",
  "location",
  "email",
  "level",
  "role",
  "signature",
  "createdAt",
  "updatedAt",
  "active",
  "version",
  "custom",
  "raw",
  "code",
  "message",
  "vendorCode",
  "retryable",
  "profiles",
  "profileAt",
  "failures",
  "failureAt",
  "requested",
  "requests",
  "retries",
  "elapsedMs",
  "done",
  "total",
  "failed",
  "cursor",
  "stats",
  "batches",
  "progress",
  "male",
  "female",
  "unknown",
  "rongcloud",
  "tencent",
  "tencent-attrs",
  "easemob",
  "kaixin",
];

const LITERALS = [null, false, true];

/// The count that says the count is the next word (json/src/tape.rs, LONG).
const LONG = 2 ** 29 - 1;

class Reader {
  constructor(text, wide, json, words) {
    this.texts = [text, wide];
    this.items = json === "" ? [] : JSON.parse(`[${json}]`);
    this.words = words;
    /// The next word, where the next piece of each text starts, and the next item.
    this.at = 0;
    this.pos = [0, 0];
    this.item = 0;
  }

  /// The next `length` units of text `which` (0: ASCII, 1: not).
  piece(which, length) {
    const start = this.pos[which];
    this.pos[which] = start + length;
    return this.texts[which].slice(start, start + length);
  }

  value() {
    const word = this.words[this.at++];
    let count = word >>> 3;
    if (count === LONG) count = this.words[this.at++];
    switch (word & 7) {
      case 0: {
        const object = {};
        for (let i = 0; i < count; i++) {
          const key = this.value();
          // A vendor's key "__proto__" is a member, as JSON.parse makes it, not the prototype.
          if (key === "__proto__") {
            Object.defineProperty(object, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
          } else object[key] = this.value();
        }
        return object;
      }
      case 1: {
        const array = [];
        for (let i = 0; i < count; i++) array.push(this.value());
        return array;
      }
      case 2:
        return this.piece(count & 1, count >>> 1);
      case 3:
        return WORDS[count];
      case 4:
        return Number(this.piece(0, count));
      case 5:
        return count;
      case 6:
        return this.items[this.item++];
      default:
        return LITERALS[count];
    }
  }
}

/// The value a tape holds.
export function readTape(text, wide, json, words) {
  return new Reader(text, wide, json, words).value();
}
