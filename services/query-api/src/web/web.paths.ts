import { fileURLToPath } from 'node:url';

// This file runs as services/query-api/{src,dist}/web/web.paths.{ts,js}: four levels up is the repo root.
const repo = new URL('../../../../', import.meta.url);

/** Default of QUERY_API_WEB_DIST_DIR: the repo's built web app. */
export const WEB_DIST_DIR = fileURLToPath(new URL('web/dist', repo));
/** Default of QUERY_API_BUILTIN_DASHBOARDS_DIR: the dashboards provisioned from the repo. */
export const BUILTIN_DASHBOARDS_DIR = fileURLToPath(new URL('libs/dashboards/builtin', repo));
