// Results as JS values, read from a tape (json/src/tape.rs): `text` holds every string,
// number and piece of vendor JSON of a result, one after another; `words` (a Uint32Array)
// says what to build, each word a kind in its low 3 bits and a count above them. What this
// builds is what `JSON.parse` makes of the same result's JSON, in under half the time: the
// structure comes from the words instead of a scan of every byte, each string is a slice of
// `text`, and keys and the values every profile repeats come from WORDS.

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

class Reader {
  constructor(text, words) {
    this.text = text;
    this.words = words;
    /// The next word, and where the next piece of text starts.
    this.at = 0;
    this.pos = 0;
  }

  slice(length) {
    const start = this.pos;
    this.pos = start + length;
    return this.text.slice(start, this.pos);
  }

  value() {
    const word = this.words[this.at++];
    const count = word >>> 3;
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
        return this.slice(count);
      case 3:
        return WORDS[count];
      case 4:
        return Number(this.slice(count));
      case 5:
        return count;
      case 6:
        return JSON.parse(this.slice(count));
      default:
        return LITERALS[count];
    }
  }
}

/// The value a tape holds.
export function readTape(text, words) {
  return new Reader(text, words).value();
}
