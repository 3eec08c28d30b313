// What every browser environment test runs: three ids against the emulator named in the
// page's query string (`?emulator=http://127.0.0.1:port`), on the emulator's demo account. Kept
// free of imports so that the script page, the worker and the Vite app can each bring the
// package their own way.
export async function fetchProfiles(ProfileClient, emulator) {
  const { rongcloud } = await (await fetch(new URL("/__emulator/accounts", emulator))).json();
  const client = new ProfileClient({ vendor: "rongcloud", ...rongcloud, baseUrl: emulator });
  const result = await client.getProfiles(["u1", "u2", "ghost-1"]);
  return {
    profiles: result.profiles.map((p) => [p.id, p.vendor, typeof p.name]),
    failures: result.failures.map((f) => [f.id, f.code]),
  };
}
