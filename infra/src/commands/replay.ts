import { offsetRangesForTimes, PipelineProducer, rangeSize, readRanges } from '@millrace/kafka';
import { IlpWriter } from '@millrace/questdb';
import { storeMappings, TagTypes } from '@millrace/rows';
import { ALL_TOPICS, decodeMessage } from '@millrace/schema';
import { usToIso, usToMs } from '@millrace/time';
import { SingleBar } from 'cli-progress';
import { commandContext } from './addresses.js';
import { instantFlag, parseFlags, requiredFlag, UsageError } from './flags.js';
import type { Command } from './types.js';

const USAGE = 'millrace replay --topic T --from ISO --to ISO (--into TOPIC | --store)';

/**
 * Re-reads a topic's messages of a time range (offsets found from the broker's time index) and either
 * copies them, bytes untouched, into another topic, or stores them in QuestDB exactly as the stream
 * processor does. Storing is idempotent: the tables' DEDUP keys make a replay of stored data a no-op.
 */
export const replayCommand: Command = {
  name: 'replay',
  summary: `re-read a topic over a time range into another topic or into QuestDB: ${USAGE}`,
  async run(args) {
    const flags = parseFlags(args, { values: ['topic', 'from', 'to', 'into'], switches: ['store'] });
    const topic = requiredFlag(flags, 'topic');
    const from = instantFlag(flags, 'from');
    const to = instantFlag(flags, 'to');
    const into = flags.get('into');
    const store = flags.get('store') === true;
    if ((typeof into === 'string') === store)
      throw new UsageError(`choose one of --into TOPIC or --store: ${USAGE}`);

    const { config, kafka } = commandContext('replay');
    const ranges = await offsetRangesForTimes(kafka, topic, usToMs(from), usToMs(to));
    const total = rangeSize(ranges);
    console.log(
      `[millrace] replay ${topic} ${usToIso(from)} → ${usToIso(to)}: ${total} messages in ${ranges.length} partitions`,
    );
    if (total === 0) return 0;

    const bar = new SingleBar({
      format: '  {bar} {percentage}% | {value}/{total} messages | {rate} msg/s | ETA {eta}s',
      hideCursor: true,
      noTTYOutput: true,
    });
    const started = Date.now();
    let done = 0;
    const progress = (count: number) => {
      done += count;
      bar.update(done, { rate: Math.round(done / Math.max(0.001, (Date.now() - started) / 1000)) });
    };
    bar.start(total, 0, { rate: 0 });

    try {
      if (typeof into === 'string') {
        const producer = new PipelineProducer(kafka, 'millrace-replay');
        await producer.connect();
        try {
          await readRanges({
            kafka,
            topic,
            ranges,
            onBatch: async (messages) => {
              await producer.sendRaw(
                into,
                messages.map(({ key, value, headers }) => ({ key, value, ...(headers ? { headers } : {}) })),
              );
              progress(messages.length);
            },
          });
        } finally {
          await producer.disconnect();
        }
        bar.stop();
        console.log(`[millrace] copied ${done} messages into ${into}`);
        return 0;
      }

      const spec = ALL_TOPICS.find((candidate) => candidate.name === topic);
      const mapping = storeMappings(new TagTypes()).find((candidate) => candidate.spec === spec);
      if (!spec || !mapping)
        throw new UsageError(
          `--store knows how to store ${storeMappings(new TagTypes())
            .map((m) => m.spec.name)
            .join(', ')}; not ${topic}`,
        );
      const writer = await IlpWriter.connect({ httpUrl: config.MILLRACE_QUESTDB_URL });
      let rows = 0;
      let refused = 0;
      try {
        await readRanges({
          kafka,
          topic,
          ranges,
          onBatch: async (messages) => {
            const values = [];
            for (const message of messages) {
              const decoded = decodeMessage(spec, message.value);
              if (decoded.ok) values.push(decoded.value);
              else refused += 1;
            }
            const { writes, rejected } = mapping.map(values);
            refused += rejected.length;
            for (const write of writes) rows += await writer.writeTable(write);
            progress(messages.length);
          },
        });
      } finally {
        await writer.close();
      }
      bar.stop();
      console.log(
        `[millrace] stored ${rows} rows from ${done} messages${refused > 0 ? `; ${refused} refused (they are on the topic's .dlq from the live run)` : ''}`,
      );
      return 0;
    } finally {
      bar.stop();
    }
  },
};
