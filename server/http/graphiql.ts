// GraphiQL served from our own node_modules (no CDN: Orchestra runs where the internet is not).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

const ASSETS: Record<string, { file: string; type: string }> = {
  'react.js': { file: 'react/umd/react.production.min.js', type: 'text/javascript; charset=utf-8' },
  'react-dom.js': { file: 'react-dom/umd/react-dom.production.min.js', type: 'text/javascript; charset=utf-8' },
  'graphiql.js': { file: 'graphiql/graphiql.min.js', type: 'text/javascript; charset=utf-8' },
  'graphiql.css': { file: 'graphiql/graphiql.min.css', type: 'text/css; charset=utf-8' },
  'graphql-ws.js': { file: 'graphql-ws/umd/graphql-ws.min.js', type: 'text/javascript; charset=utf-8' },
};

const cache = new Map<string, Buffer>();

export function graphiqlAsset(name: string): { body: Buffer; type: string } | null {
  const asset = ASSETS[name];
  if (!asset) return null;
  let body = cache.get(name);
  if (!body) {
    // From the package's root: these files are not in the packages' `exports` maps (require.resolve refuses them).
    const [pkg, ...rest] = asset.file.split('/');
    body = fs.readFileSync(path.join(path.dirname(require.resolve(`${pkg}/package.json`)), ...rest));
    cache.set(name, body);
  }
  return { body, type: asset.type };
}

const DEFAULT_QUERY = `# Welcome to Orchestra's GraphQL API.
# Signed in to the app? You are signed in here too. Otherwise log in first
# (the session cookie is kept by the browser):
#   mutation { login(input: { username: "admin", password: "admin" }) { worker { username isAdmin } } }
# Then, for example:
query Workflows {
  workflows {
    slug
    name
    versions { slug name steps { slug name isHuman creationDependsOn } }
  }
}

# Subscriptions run here too, e.g.:
#   subscription { dashboardChanges { taskId state event { type occurredAt } } }
`;

export function graphiqlPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Orchestra · GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/graphiql.css">
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/graphiql/react.js"></script>
  <script src="/graphiql/react-dom.js"></script>
  <script src="/graphiql/graphiql.js"></script>
  <script src="/graphiql/graphql-ws.js"></script>
  <script>
    // Queries and mutations over HTTP, subscriptions over graphql-ws on the same path; both carry the
    // session cookie of the app (or of a login mutation run here).
    const wsUrl = new URL('/graphql', location.href);
    wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const wsClient = graphqlWs.createClient({ url: wsUrl.toString(), lazy: true });
    const fetcher = GraphiQL.createFetcher({ url: '/graphql', wsClient });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher, defaultQuery: ${JSON.stringify(DEFAULT_QUERY)}, shouldPersistHeaders: false }),
    );
  </script>
</body>
</html>`;
}
