import { tagPathSchema } from '@millrace/schema';
import { z } from 'zod';

/** Dashboard ids are URL path segments and file names: lowercase, digits and dashes only. */
export const dashboardIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'an id has 1-64 of a-z 0-9 - and starts with a letter or digit');

export const REFRESH_INTERVALS = ['off', '5s', '10s', '1m'] as const;
export type RefreshInterval = (typeof REFRESH_INTERVALS)[number];
export const REFRESH_MS: Readonly<Record<RefreshInterval, number>> = {
  off: 0,
  '5s': 5_000,
  '10s': 10_000,
  '1m': 60_000,
};

export const EVENT_KINDS = ['risk', 'order', 'command', 'annotation', 'gap'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Where a panel's rows come from: one query-api endpoint each. `$name` in `tags` is a variable. */
const variableRef = z.string().regex(/^\$[a-z][a-zA-Z0-9_]*$/, 'a variable like $setup');
const tagRef = z.union([tagPathSchema, variableRef]);

export const COIL_DATA_KINDS = ['segment', 'setup', 'coiler', 'strip'] as const;
export type CoilDataKind = (typeof COIL_DATA_KINDS)[number];
/** A variable as the machine names it in its coil files (LenSeg, ThermalCrown_G1), or a `$variable`. */
const coilVariableRef = z.union([z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/), variableRef]);

export const panelQuerySchema = z.discriminatedUnion('source', [
  z.object({
    source: z.literal('series'),
    tags: z.array(tagRef).min(1).max(100),
    /** Legend labels by tag path; the last path segments are used otherwise. */
    labels: z.record(z.string(), z.string()).optional(),
  }),
  /** String tags (machine status): raw samples, drawn as state changes. */
  z.object({ source: z.literal('states'), tags: z.array(tagPathSchema).min(1).max(20) }),
  z.object({ source: z.literal('coils') }),
  z.object({
    source: z.literal('summary'),
    by: z.enum(['alloy_code', 'entry_width', 'exit_thickness']),
  }),
  z.object({ source: z.literal('orders') }),
  z.object({ source: z.literal('inspections') }),
  z.object({
    source: z.literal('events'),
    kinds: z.array(z.enum(EVENT_KINDS)).min(1),
    risk: z.enum(['high', 'all']).default('all'),
  }),
  /**
   * The line's per-coil files (`/api/coil-data`): segment values per MP, setup values per stand. Of the
   * selected coil; with none selected, the time series shows every coil in the range and the other panel
   * types the newest coil in it.
   */
  z.object({
    source: z.literal('coil-data'),
    kind: z.enum(COIL_DATA_KINDS),
    variables: z.array(coilVariableRef).min(1).max(20),
  }),
  /** The MES bridge through query-api's `/api/mes/*`: its order book, outbox and command audit. */
  z.object({ source: z.literal('mes-orders'), line: z.string().max(128).optional() }),
  z.object({ source: z.literal('mes-outbox') }),
  z.object({ source: z.literal('mes-commands') }),
  z.object({ source: z.literal('health'), prefix: z.string().max(400).optional() }),
  /** Tag catalog: last value and last time per tag under a prefix. */
  z.object({ source: z.literal('catalog'), prefix: z.string().max(400) }),
]);
export type PanelQuery = z.infer<typeof panelQuerySchema>;

/** `command`: the operator's machine-command form (its query names the command audit it follows). */
export const PANEL_TYPES = ['timeseries', 'stat', 'table', 'statetimeline', 'barchart', 'command'] as const;
export type PanelType = (typeof PANEL_TYPES)[number];

export const columnSchema = z.object({
  key: z.string().min(1),
  label: z.string().min(1),
  /** `time` formats ISO instants in the chosen zone; `number` right-aligns with `decimals`. */
  format: z.enum(['text', 'number', 'time', 'percent', 'duration']).default('text'),
  decimals: z.number().int().min(0).max(9).optional(),
});
export type Column = z.infer<typeof columnSchema>;

export const panelSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  title: z.string().min(1).max(200),
  description: z.string().max(2_000).optional(),
  type: z.enum(PANEL_TYPES),
  /** Tab of the dashboard the panel sits on; the dashboard's first tab when absent. */
  tab: z.string().optional(),
  /** 24-column grid, rows of 40 px. */
  grid: z.object({
    x: z.number().int().min(0).max(23),
    y: z.number().int().min(0),
    w: z.number().int().min(1).max(24),
    h: z.number().int().min(2).max(40),
  }),
  query: panelQuerySchema,
  options: z
    .object({
      unit: z.string().max(16).optional(),
      decimals: z.number().int().min(0).max(9).optional(),
      /** Event kinds drawn as markers over a time series. */
      events: z.array(z.enum(EVENT_KINDS)).optional(),
      /** Draw the min–max band of the M4 answer behind each line. */
      band: z.boolean().default(true),
      columns: z.array(columnSchema).optional(),
      /** Table row field the bar chart draws, and the field of its labels. */
      valueKey: z.string().optional(),
      labelKey: z.string().optional(),
      /** Stat: value thresholds coloured warning / high (ascending). */
      thresholds: z.array(z.number()).max(2).optional(),
      /**
       * Table: a click on a row selects the coil, order or cell in its `key` field; the range becomes that
       * unit's time in production. Coil tables pick their coil without this.
       */
      pick: z.object({ kind: z.enum(['coil', 'order', 'cell']), key: z.string().min(1) }).optional(),
      /** Command form: the targets offered (the bridge's allow-list decides what it executes). */
      targets: z
        .array(z.object({ machine: z.string(), setpoint: z.string(), unit: z.string().optional() }))
        .max(20)
        .optional(),
      /** Table empty-state text: what has to run for rows to appear. */
      emptyText: z.string().max(300).optional(),
    })
    .default({ band: true }),
});
export type Panel = z.infer<typeof panelSchema>;

export const variableSchema = z.discriminatedUnion('type', [
  /** Picks a coil; picking one sets the time range to the coil's span. */
  z.object({ type: z.literal('coil'), name: z.string().regex(/^[a-z][a-zA-Z0-9_]*$/), label: z.string() }),
  /** Picks some of a fixed list of tags (e.g. setup variables); `$name` in a series query expands to them. */
  z.object({
    type: z.literal('tags'),
    name: z.string().regex(/^[a-z][a-zA-Z0-9_]*$/),
    label: z.string(),
    options: z.array(z.object({ tag: tagPathSchema, label: z.string() })).min(1),
    default: z.array(tagPathSchema),
  }),
  /** Picks some of a fixed list of names (coil-file variables such as ThermalCrown_G1). */
  z.object({
    type: z.literal('values'),
    name: z.string().regex(/^[a-z][a-zA-Z0-9_]*$/),
    label: z.string(),
    options: z.array(z.object({ value: z.string().min(1).max(64), label: z.string() })).min(1),
    default: z.array(z.string()),
  }),
]);
export type Variable = z.infer<typeof variableSchema>;

export const dashboardSchema = z
  .object({
    schemaVersion: z.literal(1),
    id: dashboardIdSchema,
    title: z.string().trim().min(1).max(200),
    description: z.string().max(2_000).default(''),
    tags: z.array(z.string().max(40)).max(20).default([]),
    time: z.object({ from: z.string().min(1).max(64), to: z.string().min(1).max(64) }).default({
      from: 'now-6h',
      to: 'now',
    }),
    refresh: z.enum(REFRESH_INTERVALS).default('off'),
    tabs: z.array(z.string().min(1).max(60)).max(20).default([]),
    variables: z.array(variableSchema).max(10).default([]),
    panels: z.array(panelSchema).max(100),
  })
  .superRefine((dashboard, context) => {
    const ids = new Set<string>();
    dashboard.panels.forEach((panel, index) => {
      if (ids.has(panel.id))
        context.addIssue({
          code: 'custom',
          path: ['panels', index, 'id'],
          message: `duplicate panel id ${panel.id}`,
        });
      ids.add(panel.id);
      if (panel.tab !== undefined && !dashboard.tabs.includes(panel.tab))
        context.addIssue({
          code: 'custom',
          path: ['panels', index, 'tab'],
          message: `unknown tab ${panel.tab}`,
        });
      if (panel.grid.x + panel.grid.w > 24)
        context.addIssue({
          code: 'custom',
          path: ['panels', index, 'grid'],
          message: 'x + w must be at most 24',
        });
    });
    const names = new Set(dashboard.variables.map((variable) => variable.name));
    dashboard.panels.forEach((panel, index) => {
      const refs =
        panel.query.source === 'series'
          ? panel.query.tags
          : panel.query.source === 'coil-data'
            ? panel.query.variables
            : [];
      for (const tag of refs)
        if (tag.startsWith('$') && !names.has(tag.slice(1)))
          context.addIssue({
            code: 'custom',
            path: ['panels', index, 'query', panel.query.source === 'series' ? 'tags' : 'variables'],
            message: `unknown variable ${tag}`,
          });
    });
  });
export type Dashboard = z.infer<typeof dashboardSchema>;
/** What a caller writes: defaults not yet applied. */
export type DashboardInput = z.input<typeof dashboardSchema>;

/** A dashboard as the list shows it; `builtin` ones are provisioned from the repo and read-only. */
export const dashboardSummarySchema = z.object({
  id: dashboardIdSchema,
  title: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  builtin: z.boolean(),
  updatedAt: z.string().nullable(),
});
export type DashboardSummary = z.infer<typeof dashboardSummarySchema>;

export const dashboardListSchema = z.object({ dashboards: z.array(dashboardSummarySchema) });
export const dashboardEnvelopeSchema = z.object({
  dashboard: dashboardSchema,
  builtin: z.boolean(),
  updatedAt: z.string().nullable(),
});
export type DashboardEnvelope = z.infer<typeof dashboardEnvelopeSchema>;

/** Coil-file variables a `coil-data` panel reads, with `$variables` expanded to the selected names. */
export function panelVariables(
  panel: Panel,
  selections: Readonly<Record<string, readonly string[]>>,
): string[] {
  if (panel.query.source !== 'coil-data') return [];
  return [
    ...new Set(
      panel.query.variables.flatMap((name) =>
        name.startsWith('$') ? [...(selections[name.slice(1)] ?? [])] : [name],
      ),
    ),
  ];
}

/** Tag paths a panel reads, with `$variables` expanded to the selected tags. */
export function panelTags(panel: Panel, selections: Readonly<Record<string, readonly string[]>>): string[] {
  if (panel.query.source !== 'series' && panel.query.source !== 'states') return [];
  return panel.query.tags.flatMap((tag) =>
    tag.startsWith('$') ? [...(selections[tag.slice(1)] ?? [])] : [tag],
  );
}
