// Writing profiles for people and spreadsheets. Names, locations and vendor messages are
// end-user data: they hold spreadsheet formulas, terminal escape sequences, newlines, CJK and
// emoji. Shared by the command line (cli.mjs) and the admin console's CSV export (www/app.js).

/** The CSV columns, in order: the profile fields, then a failure's code and message. */
export const CSV_COLUMNS = [
  "id",
  "status",
  "name",
  "gender",
  "avatarUrl",
  "birthday",
  "location",
  "email",
  "level",
  "role",
  "signature",
  "createdAt",
  "updatedAt",
  "active",
  "code",
  "message",
];

// A cell starting with one of these is read as a formula by Excel, LibreOffice and Google
// Sheets (=HYPERLINK(…), +cmd|' /C calc'!A0, @SUM(…)); OWASP's "CSV Injection" advice: make it
// text with a leading single quote, and quote the cell.
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell (RFC 4180 quoting), neutralized against formula injection. */
export function csvCell(value) {
  if (value === undefined || value === null) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  const formula = FORMULA_START.test(text);
  const cell = formula ? `'${text}` : text;
  return formula || /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** One CSV line (no line break) of `row`'s `columns`. */
export function csvLine(row, columns = CSV_COLUMNS) {
  return columns.map((c) => csvCell(row[c])).join(",");
}

// C0 and C1 controls and DEL (ESC starts a terminal sequence: a title change, a screen clear,
// an OSC 8 link), line and paragraph separators, and the bidirectional overrides that make
// text display in another order than it reads.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is its purpose
const UNSAFE_FOR_TERMINALS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control character shown as an escape (`\x1b`, `\n`, `\u202e`). */
export function terminalText(text) {
  return String(text).replace(UNSAFE_FOR_TERMINALS, (c) => {
    const code = c.codePointAt(0);
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

// Terminal cells per code point (after terminalText, so no controls): 0 for combining marks,
// joiners and variation selectors, 2 for East Asian wide and fullwidth characters and emoji
// (Unicode's EastAsianWidth W/F ranges, compacted), 1 for the rest.
const ZERO_WIDTH = [
  [0x0300, 0x036f],
  [0x0483, 0x0489],
  [0x0591, 0x05bd],
  [0x0610, 0x061a],
  [0x064b, 0x065f],
  [0x200b, 0x200f],
  [0x20d0, 0x20ff],
  [0xfe00, 0xfe0f],
  [0xfe20, 0xfe2f],
  [0xe0100, 0xe01ef],
];
const WIDE = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x23f0, 0x23f0],
  [0x23f3, 0x23f3],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x267f, 0x267f],
  [0x2693, 0x2693],
  [0x26a1, 0x26a1],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26ce, 0x26ce],
  [0x26d4, 0x26d4],
  [0x26ea, 0x26ea],
  [0x26f2, 0x26f3],
  [0x26f5, 0x26f5],
  [0x26fa, 0x26fa],
  [0x26fd, 0x26fd],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x274e, 0x274e],
  [0x2753, 0x2755],
  [0x2757, 0x2757],
  [0x2795, 0x2797],
  [0x27b0, 0x27b0],
  [0x27bf, 0x27bf],
  [0x2b1b, 0x2b1c],
  [0x2b50, 0x2b50],
  [0x2b55, 0x2b55],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x18cff],
  [0x1b000, 0x1b2ff],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f7e0, 0x1f7eb],
  [0x1f90c, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x3fffd],
];
const within = (ranges, code) => ranges.some(([from, to]) => code >= from && code <= to);
const cellsOf = (code) => (code === 0x200d || within(ZERO_WIDTH, code) ? 0 : within(WIDE, code) ? 2 : 1);

/** How many terminal cells `text` takes. */
export function displayWidth(text) {
  let width = 0;
  for (const c of text) width += cellsOf(c.codePointAt(0));
  return width;
}

/** `text` cut to at most `width` cells (whole characters) and padded with spaces to it. */
export function fitCells(text, width) {
  let out = "";
  let used = 0;
  for (const c of text) {
    const w = cellsOf(c.codePointAt(0));
    if (used + w > width) break;
    out += c;
    used += w;
  }
  return out + " ".repeat(width - used);
}

/**
 * A text table written as rows arrive: column widths are taken from the first `sample` rows
 * (at most `maxWidth` cells each), which are printed together; every later row is printed at
 * once with those widths, so the table works for any number of rows in bounded memory.
 */
export function tableWriter(columns, write, { sample = 1000, maxWidth = 40 } = {}) {
  const pending = [];
  let widths;
  const cells = (row) => columns.map((c) => terminalText(row[c] ?? ""));
  const line = (values) =>
    `${values
      .map((v, i) => fitCells(v, widths[i]))
      .join("  ")
      .trimEnd()}\n`;
  const start = () => {
    widths = columns.map((c) => c.length);
    for (const row of pending) {
      for (const [i, v] of row.entries()) widths[i] = Math.min(maxWidth, Math.max(widths[i], displayWidth(v)));
    }
    const text = line(columns) + line(widths.map((w) => "-".repeat(w))) + pending.map(line).join("");
    pending.length = 0;
    return write(text);
  };
  return {
    async add(rows) {
      if (widths) return rows.length ? write(rows.map((r) => line(cells(r))).join("")) : undefined;
      for (const row of rows) pending.push(cells(row));
      if (pending.length >= sample) await start();
    },
    async end() {
      if (!widths) await start();
    },
  };
}
