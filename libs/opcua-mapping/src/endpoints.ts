import { tagPathSchema } from '@millrace/schema';
import { z } from 'zod';

/** The demo plant's namespace (docs/demo-plant.md, section 1). */
export const DEMO_PLANT_NAMESPACE_URI = 'urn:millrace:simulator';

const deadbandSchema = z.number().finite().min(0).optional();

/**
 * A folder to browse: `path` is the chain of browse names below the Objects folder, each in the
 * namespace `namespaceUri` (resolved to its index on every connect, never written as a number).
 * Every variable below it becomes a tag: `tagPrefix` (default `path`) plus the browse names below.
 */
export const browseRootSchema = z.object({
  namespaceUri: z.string().min(1),
  path: z
    .string()
    .min(1)
    .refine(
      (path) => path.split('/').every((name) => name.length > 0),
      'browse names separated by single slashes',
    ),
  tagPrefix: z.string().min(1).optional(),
  /** Absolute deadband for every variable below, in the variable's unit (OPC UA Part 4, §7.22.2). */
  deadband: deadbandSchema,
});
export type BrowseRoot = z.infer<typeof browseRootSchema>;

/**
 * One node to monitor. `nodeId` in OPC UA text form (Part 6, §5.3.1.10): `ns=2;s=a/b` as is, or without
 * the `ns=` part (`s=a/b`, `i=1001`) when `namespaceUri` says which namespace it is in.
 */
export const monitoredNodeSchema = z.object({
  nodeId: z.string().min(1),
  namespaceUri: z.string().min(1).optional(),
  tag: tagPathSchema,
  deadband: deadbandSchema,
  samplingIntervalMs: z.number().int().min(0).optional(),
});
export type MonitoredNode = z.infer<typeof monitoredNodeSchema>;

export const SECURITY_POLICIES = [
  'None',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
] as const;

export const endpointSchema = z
  .object({
    url: z.string().regex(/^opc\.tcp:\/\/[^/\s]+(\/\S*)?$/, 'must be an opc.tcp:// URL'),
    /** Name in logs, metrics and the `ingest_gaps` table; default the URL. */
    name: z.string().min(1).max(128).optional(),
    securityMode: z.enum(['None', 'SignAndEncrypt']).default('None'),
    /** Default: None with mode None, Basic256Sha256 with SignAndEncrypt. */
    securityPolicy: z.enum(SECURITY_POLICIES).optional(),
    /** Requested sampling interval of each item; the server may revise it (Part 4, §5.12.1.2). */
    samplingIntervalMs: z.number().int().min(0).default(1_000),
    publishingIntervalMs: z.number().int().min(10).default(500),
    browse: z.array(browseRootSchema).default([]),
    items: z.array(monitoredNodeSchema).default([]),
  })
  .superRefine((endpoint, context) => {
    if (endpoint.browse.length === 0 && endpoint.items.length === 0) {
      context.addIssue({ code: 'custom', message: 'needs at least one browse root or item' });
    }
    if (endpoint.securityMode === 'None' && (endpoint.securityPolicy ?? 'None') !== 'None') {
      context.addIssue({
        code: 'custom',
        path: ['securityPolicy'],
        message: 'must be None with securityMode None',
      });
    }
    if (endpoint.securityMode === 'SignAndEncrypt' && endpoint.securityPolicy === 'None') {
      context.addIssue({
        code: 'custom',
        path: ['securityPolicy'],
        message: 'SignAndEncrypt needs a signing policy',
      });
    }
  })
  .transform((endpoint) => ({
    ...endpoint,
    name: endpoint.name ?? endpoint.url,
    securityPolicy: endpoint.securityPolicy ?? (endpoint.securityMode === 'None' ? 'None' : 'Basic256Sha256'),
  }));
export type Endpoint = z.output<typeof endpointSchema>;

export const endpointsSchema = z
  .array(endpointSchema)
  .min(1, 'needs at least one endpoint')
  .superRefine((endpoints, context) => {
    const seen = new Set<string>();
    endpoints.forEach((endpoint, index) => {
      if (seen.has(endpoint.name)) {
        context.addIssue({
          code: 'custom',
          path: [index, 'name'],
          message: `duplicate endpoint name ${endpoint.name}`,
        });
      }
      seen.add(endpoint.name);
    });
  });

/** The demo plant's OPC UA server, its whole PLTCM folder browsed. */
export const DEMO_PLANT_ENDPOINTS: readonly Endpoint[] = Object.freeze(
  endpointsSchema.parse([
    {
      url: 'opc.tcp://127.0.0.1:4840/millrace',
      browse: [{ namespaceUri: DEMO_PLANT_NAMESPACE_URI, path: 'plant1/coldmill/pltcm' }],
    },
  ]),
);

/** `source` of the samples from an endpoint. */
export const sourceOf = (endpoint: Pick<Endpoint, 'url'>): string => `opcua:${endpoint.url}`;
