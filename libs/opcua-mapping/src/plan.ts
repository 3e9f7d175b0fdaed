import { tagPath, tagPathProblem, type TagPath } from '@millrace/schema';
import type { BrowseRoot, Endpoint, MonitoredNode } from './endpoints.js';
import { OpcuaMappingError } from './errors.js';

/** One node to monitor, resolved against the server's namespace array. */
export interface PlannedItem {
  nodeId: string;
  tag: TagPath;
  samplingIntervalMs: number;
  deadband: number | undefined;
}

/** The index of `uri` in the server's NamespaceArray (Part 5, §6.3.13); it may differ between servers and restarts. */
export function namespaceIndex(namespaces: readonly string[], uri: string): number {
  const index = namespaces.indexOf(uri);
  if (index < 0) {
    // A server still starting may not have registered it yet: worth trying again.
    throw new OpcuaMappingError(`the server has no namespace ${uri}`, true, { namespaceUri: uri });
  }
  return index;
}

/** The configured node's NodeId text with its namespace index. */
export function resolveNodeId(
  node: Pick<MonitoredNode, 'nodeId' | 'namespaceUri'>,
  namespaces: readonly string[],
): string {
  if (node.namespaceUri === undefined) return node.nodeId;
  if (/^ns(u)?=/.test(node.nodeId)) {
    throw new OpcuaMappingError(`nodeId ${node.nodeId} names its namespace and also has namespaceUri`, false);
  }
  return `ns=${namespaceIndex(namespaces, node.namespaceUri)};${node.nodeId}`;
}

/**
 * A RelativePath in text form (Part 4, Annex A.2) from the Objects folder to the root: `/` follows
 * hierarchical references, each name qualified with the namespace index.
 */
export function relativePathText(root: Pick<BrowseRoot, 'path'>, nsIndex: number): string {
  return root.path
    .split('/')
    .map((name) => `/${nsIndex}:${name.replace(/[&/.<>:#!]/g, (char) => `&${char}`)}`)
    .join('');
}

/** The tag of a variable found `names` below a browse root, or why it cannot be one. */
export function browsedTag(
  root: Pick<BrowseRoot, 'path' | 'tagPrefix'>,
  names: readonly string[],
): { ok: true; tag: TagPath } | { ok: false; reason: string } {
  const text = [root.tagPrefix ?? root.path, ...names].join('/');
  const problem = tagPathProblem(text);
  return problem === undefined
    ? { ok: true, tag: tagPath(text) }
    : { ok: false, reason: `${text}: ${problem}` };
}

/**
 * Configured items first, then browsed ones; a node or tag already planned is skipped, so an explicit
 * item overrides what a browse finds for the same node.
 */
export function planItems(
  endpoint: Pick<Endpoint, 'samplingIntervalMs'>,
  explicit: readonly { nodeId: string; node: MonitoredNode }[],
  browsed: readonly { nodeId: string; tag: TagPath; root: BrowseRoot }[],
): { items: PlannedItem[]; duplicates: string[] } {
  const items: PlannedItem[] = [];
  const duplicates: string[] = [];
  const nodes = new Set<string>();
  const tags = new Set<string>();
  const add = (item: PlannedItem) => {
    if (nodes.has(item.nodeId) || tags.has(item.tag)) {
      duplicates.push(`${item.nodeId} → ${item.tag}`);
      return;
    }
    nodes.add(item.nodeId);
    tags.add(item.tag);
    items.push(item);
  };
  for (const { nodeId, node } of explicit) {
    add({
      nodeId,
      tag: node.tag,
      samplingIntervalMs: node.samplingIntervalMs ?? endpoint.samplingIntervalMs,
      deadband: node.deadband,
    });
  }
  for (const { nodeId, tag, root } of browsed) {
    add({ nodeId, tag, samplingIntervalMs: endpoint.samplingIntervalMs, deadband: root.deadband });
  }
  return { items, duplicates };
}

/** Items that share monitoring parameters, created together in one CreateMonitoredItems call. */
export interface MonitoringGroup {
  samplingIntervalMs: number;
  deadband: number | undefined;
  items: PlannedItem[];
}

export function monitoringGroups(items: readonly PlannedItem[]): MonitoringGroup[] {
  const groups = new Map<string, MonitoringGroup>();
  for (const item of items) {
    const key = `${item.samplingIntervalMs}|${item.deadband ?? ''}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { samplingIntervalMs: item.samplingIntervalMs, deadband: item.deadband, items: [] };
      groups.set(key, group);
    }
    group.items.push(item);
  }
  return [...groups.values()];
}

/**
 * Server-side queue per item, enough for every sample taken between two publishes, so a fast item
 * loses nothing to the default queue of one (Part 4, §5.12.1.5).
 */
export function queueSizeFor(samplingIntervalMs: number, publishingIntervalMs: number): number {
  if (samplingIntervalMs <= 0) return 100;
  return Math.min(1_000, Math.max(1, Math.ceil(publishingIntervalMs / samplingIntervalMs) * 2));
}
