// A script's view of Vigie: a minimal client typed only from the SPA's generated schema.d.ts, sending an
// API token. `npm run build` type-checks it (tsconfig includes e2e/*.ts), so a change of the spec that
// breaks what it reads fails the build; the end-to-end test runs it against the real server with a token
// from the tokens page.
import type { paths } from "../src/api/schema";

/** Paths with a GET whose 200 answer is JSON, and that answer's type. */
type GetPath = { [P in keyof paths]: paths[P] extends { get: { responses: { 200: { content: { "application/json": unknown } } } } } ? P : never }[keyof paths];
type GetAnswer<P extends GetPath> = paths[P] extends { get: { responses: { 200: { content: { "application/json": infer T } } } } } ? T : never;

export class TokenClient {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  /** GET `path` with the token; throws with the status and the server's error code otherwise. */
  async get<P extends GetPath>(path: P): Promise<GetAnswer<P>> {
    const res = await fetch(this.base + path, { headers: { Authorization: `Bearer ${this.token}`, Accept: "application/json" } });
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as { code?: string } | null;
      throw Object.assign(new Error(`GET ${path}: ${res.status} ${body?.code ?? ""}`), { status: res.status, code: body?.code });
    }
    return (await res.json()) as GetAnswer<P>;
  }
}

/** What the e2e test checks: who the token is, and the devices it may read (name and host of each). */
export async function readWithToken(base: string, token: string): Promise<{ via: string; role: string; devices: { name: string; host: string }[] }> {
  const client = new TokenClient(base, token);
  const me = await client.get("/api/v1/session");
  const devices = await client.get("/api/v1/devices");
  return { via: me.via, role: me.role, devices: devices.map((d) => ({ name: d.name, host: d.host })) };
}
