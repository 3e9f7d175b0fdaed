import { TABLES } from '@millrace/schema';
import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { LineEncoder } from './line-protocol.js';

const ts = epochUs(1_736_809_000_123_456);

describe('LineEncoder', () => {
  it('writes symbols first, fields by type, and the timestamp in nanoseconds', () => {
    const { text } = new LineEncoder(TABLES.samples).encode([
      {
        ts,
        tag: 'plant1/coldmill/pltcm/stand1/roll_force',
        value: 12,
        quality: 'good',
        source: 'opcua',
        ingest_ts: ts,
      },
    ]);
    expect(text).toBe(
      'samples,tag=plant1/coldmill/pltcm/stand1/roll_force,quality=good,source=opcua ' +
        'value=12,ingest_ts=1736809000123456t 1736809000123456000\n',
    );
  });

  it('escapes symbols and quotes strings so input cannot break the line', () => {
    const { text } = new LineEncoder(TABLES.samples).encode([
      { ts, tag: 'a b,c=d\\e', value_text: 'say "hi"\nbye\\', source: 'x\ny' },
    ]);
    expect(text).toBe(
      'samples,tag=a\\ b\\,c\\=d\\\\e,source=x\\ny value_text="say \\"hi\\"\\nbye\\\\" 1736809000123456000\n',
    );
    expect(text.split('\n')).toHaveLength(2);
  });

  it('marks integers, leaves nulls out and skips a row with no field', () => {
    const { text, skipped } = new LineEncoder(TABLES.orders).encode([
      { ts, order_id: '98765', quantity: 2000, product: null, state: 'released' },
      { ts, order_id: '98766' },
    ]);
    expect(text).toBe('orders,order_id=98765,state=released quantity=2000i 1736809000123456000\n');
    expect(skipped).toBe(1);
  });
});
