import type { Command } from './types.js';
import { commandContext } from './addresses.js';
import { parseFlags } from './flags.js';

/** Consumer lag per group, topic and partition: the partition's end offset minus the group's committed offset. */
export const lagCommand: Command = {
  name: 'lag',
  summary: 'show consumer lag per group, topic and partition: millrace lag [--group PREFIX]',
  async run(args) {
    const flags = parseFlags(args, { values: ['group'] });
    const prefix = flags.get('group');
    const { kafka } = commandContext('lag');
    const admin = kafka.admin();
    await admin.connect();
    try {
      const groups = (await admin.listGroups()).groups
        .map((group) => group.groupId)
        .filter(
          (groupId) =>
            !groupId.startsWith('millrace-replay-') &&
            (typeof prefix !== 'string' || groupId.startsWith(prefix)),
        )
        .sort();
      const lines: string[][] = [['GROUP', 'TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG']];
      const ends = new Map<string, Awaited<ReturnType<typeof admin.fetchTopicOffsets>>>();
      for (const groupId of groups) {
        for (const { topic, partitions } of await admin.fetchOffsets({ groupId })) {
          if (!ends.has(topic)) ends.set(topic, await admin.fetchTopicOffsets(topic));
          for (const { partition, offset } of partitions.sort((a, b) => a.partition - b.partition)) {
            const end = ends.get(topic)?.find((candidate) => candidate.partition === partition);
            if (!end) continue;
            const from = offset === '-1' ? Number(end.low) : Number(offset);
            lines.push([
              groupId,
              topic,
              String(partition),
              offset === '-1' ? '-' : offset,
              end.high,
              String(Number(end.high) - from),
            ]);
          }
        }
      }
      if (lines.length === 1) {
        console.log('[millrace] no consumer groups with committed offsets');
        return 0;
      }
      const widths = lines[0]!.map((_, column) => Math.max(...lines.map((line) => line[column]!.length)));
      for (const line of lines)
        console.log(line.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
      return 0;
    } finally {
      await admin.disconnect();
    }
  },
};
