// GET /debug/explain on the admin listener (loopback by default): the explain report as JSON,
// 400 with the error table's body when the query is unusable. With workers one of them answers.
import { errorBody } from '../../proto/errors.js';
import type { RouteTable } from '../table/route-table.js';
import type { AdminRoutes } from './admin-routes.js';
import { explainRequest, parseExplainQuery } from './explain.js';

export function registerExplain(routes: AdminRoutes, table: () => RouteTable): () => void {
  return routes.register('GET', '/debug/explain', async (call) => {
    const query = new URL(call.url, 'http://admin').searchParams;
    const input = parseExplainQuery(query);
    if (input instanceof Error) {
      return { status: input.status, body: { ...(JSON.parse(errorBody(input.code, '')) as object), detail: input.message } };
    }
    return { status: 200, body: await explainRequest(table(), input) };
  }, { across: 'one' });
}
