import { QueryClient } from '@millrace/questdb';
import { ALL_VIEWS } from '@millrace/schema';
import { usToIso } from '@millrace/time';
import { commandContext } from './addresses.js';
import { instantFlag, parseFlags } from './flags.js';
import type { Command } from './types.js';

/**
 * Recomputes the rollup views over a time range from raw (QuestDB `REFRESH MATERIALIZED VIEW ... RANGE`),
 * finest tier first since each coarser tier is built on the finer one. Normally unnecessary: the views
 * refresh incrementally; this is for repairs after raw data was changed by hand.
 */
export const rebuildRollupsCommand: Command = {
  name: 'rebuild-rollups',
  summary: 'recompute samples_1s / _1m / _1h over a range: millrace rebuild-rollups --from ISO --to ISO',
  async run(args) {
    const flags = parseFlags(args, { values: ['from', 'to'] });
    const from = usToIso(instantFlag(flags, 'from'));
    const to = usToIso(instantFlag(flags, 'to'));
    const { config } = commandContext('rebuild-rollups');
    const client = new QueryClient({ pgUrl: config.MILLRACE_QUESTDB_PG_URL, maxConnections: 1 });
    try {
      for (const view of ALL_VIEWS) {
        const started = Date.now();
        // Instants are re-rendered from parsed numbers, so no user text reaches the SQL.
        await client.query(`REFRESH MATERIALIZED VIEW ${view.name} RANGE FROM '${from}' TO '${to}'`);
        await client.waitForViewRefreshed(view.name);
        console.log(
          `[millrace] ${view.name}: rebuilt ${from} → ${to} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
      }
      return 0;
    } finally {
      await client.end();
    }
  },
};
