// The demos' client of a running Orchestra: plain HTTP POSTs of GraphQL, as an integrator would
// write them, each printed with its answer so that a run teaches the API.

export class DemoError extends Error {}

export interface Credentials {
  apiKey?: string;
  token?: string;
}

const MAX_LINES = 40;

/** JSON as people read it, cut after a screenful. */
export function shown(value: unknown): string {
  const lines = JSON.stringify(value, null, 2).split('\n');
  return lines.length > MAX_LINES
    ? [...lines.slice(0, MAX_LINES), `  … (${lines.length - MAX_LINES} more lines)`].join('\n')
    : lines.join('\n');
}

/** A GraphQL document on one line, the way it is sent. */
const compact = (query: string) => query.replace(/\s+/g, ' ').trim();

export class DemoApi {
  constructor(
    readonly server: string,
    private readonly credentials: Credentials,
    private readonly say: (line: string) => void,
    /** Print calls and answers (polls print only when told). */
    private readonly verbose = true,
  ) {}

  as(credentials: Credentials): DemoApi {
    return new DemoApi(this.server, credentials, this.say, this.verbose);
  }

  async call<T = any>(
    query: string,
    variables: Record<string, unknown> = {},
    { quiet = false }: { quiet?: boolean } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.credentials.apiKey) headers['x-api-key'] = this.credentials.apiKey;
    if (this.credentials.token) headers.authorization = `Bearer ${this.credentials.token}`;
    const print = this.verbose && !quiet;
    if (print) {
      this.say(`  → POST ${this.server}/graphql${this.credentials.apiKey ? '  (X-Api-Key: …)' : ''}`);
      this.say(`    ${compact(query)}`);
      if (Object.keys(variables).length) this.say(`    variables: ${JSON.stringify(variables)}`);
    }
    let res: Response;
    try {
      res = await fetch(`${this.server}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
      });
    } catch (error) {
      throw new DemoError(
        `Orchestra does not answer at ${this.server} (${(error as { cause?: Error }).cause?.message ?? (error as Error).message}). Start it with \`npm start\`, or say where it runs with --server.`,
      );
    }
    const body = (await res.json().catch(() => ({}))) as { data?: T; errors?: { message: string }[] };
    if (print)
      this.say(
        `  ← ${res.status} ${shown(body.errors ? { errors: body.errors } : body.data).replace(/\n/g, '\n    ')}`,
      );
    if (body.errors?.length) throw new DemoError(body.errors.map((e) => e.message).join(' '));
    return body.data as T;
  }
}
