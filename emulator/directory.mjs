// A deterministic user directory: the same seed always gives the same users, so tests can
// compute what a profile must look like without asking the emulator.

export const DEFAULT_SEED = 20261122;
export const DEFAULT_SIZE = 50_000;

// mulberry32: tiny, fast and good enough to make varied fake users.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = [
  "li",
  "wang",
  "zhang",
  "liu",
  "chen",
  "yang",
  "zhao",
  "huang",
  "zhou",
  "wu",
  "xu",
  "sun",
  "ma",
  "hu",
  "zhu",
  "guo",
  "he",
  "lin",
];
const CITIES = ["Beijing", "Shanghai", "Guangzhou", "Shenzhen", "Hangzhou", "Chengdu", "Wuhan", "Xi'an", "Nanjing", "Suzhou"];

/** The n-th user (1-based) of a directory, as vendor-neutral facts. */
export function user(n, seed = DEFAULT_SEED) {
  const rand = prng(seed ^ Math.imul(n, 0x9e3779b1));
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const name = `${pick(SYLLABLES)} ${pick(SYLLABLES)}${pick(SYLLABLES)}`;
  const year = 1960 + Math.floor(rand() * 45);
  const month = 1 + Math.floor(rand() * 12);
  const day = 1 + Math.floor(rand() * 28);
  return {
    n,
    name,
    gender: Math.floor(rand() * 3), // 0 unknown, 1 male, 2 female
    birthday: `${year}${String(month).padStart(2, "0")}${String(day).padStart(2, "0")}`,
    location: pick(CITIES),
    email: rand() < 0.7 ? `user${n}@example.com` : undefined,
    level: Math.floor(rand() * 101),
    role: Math.floor(rand() * 101),
    avatar: `https://cdn.example.com/avatars/${n}.png`,
    createdAt: 1_500_000_000_000 + n * 60_000,
    version: 1_700_000_000_000 + Math.floor(rand() * 1e9),
    vip: rand() < 0.3 ? pick(["gold", "silver", "bronze"]) : undefined,
    // How a vendor that has a choice encodes this user (e.g. RongCloud's JSON-string fields).
    encodeAsString: rand() < 0.5,
  };
}

export class Directory {
  constructor({ seed = DEFAULT_SEED, size = DEFAULT_SIZE } = {}) {
    this.seed = seed;
    this.size = size;
    /** Names set through the control API (n -> name): end-user data as hostile as it comes. */
    this.names = new Map();
  }

  /** Index of a user id of the form `${prefix}${n}`, or undefined when nobody has it. */
  indexOf(id, prefix) {
    if (!id.startsWith(prefix)) return undefined;
    const digits = id.slice(prefix.length);
    if (!/^[1-9][0-9]*$/.test(digits)) return undefined;
    const n = Number(digits);
    return n >= 1 && n <= this.size ? n : undefined;
  }

  user(n) {
    const facts = user(n, this.seed);
    if (this.names.has(n)) facts.name = this.names.get(n);
    return facts;
  }
}
