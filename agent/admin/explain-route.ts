// GET /debug/explain on the admin listener (loopback by default): the explain report as JSON,
// 400 with the error table's body when the query is unusable.
import { errorBody } from '../../proto/errors.js';
import type { RouteTable } from '../table/route-table.js';
import type { AdminRoutes } from './admin-routes.js';
import { json } from './admin-server.js';
import { explainRequest, parseExplainQuery } from './explain.js';

export function registerExplain(routes: AdminRoutes, table: () => RouteTable): () => void {
  return routes.register('GET', '/debug/explain', async (req, res) => {
    const query = new URL(req.url ?? '/', 'http://admin').searchParams;
    const input = parseExplainQuery(query);
    if (input instanceof Error) {
      const body = { ...(JSON.parse(errorBody(input.code, '')) as object), detail: input.message };
      return json(res, input.status, body);
    }
    json(res, 200, await explainRequest(table(), input));
  });
}
