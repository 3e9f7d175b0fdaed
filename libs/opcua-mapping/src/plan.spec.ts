import { tagPath } from '@millrace/schema';
import { describe, expect, it } from 'vitest';
import { DEMO_PLANT_ENDPOINTS, endpointsSchema, type BrowseRoot } from './endpoints.js';
import { OpcuaMappingError } from './errors.js';
import {
  browsedTag,
  monitoringGroups,
  namespaceIndex,
  planItems,
  queueSizeFor,
  relativePathText,
  resolveNodeId,
} from './plan.js';

const namespaces = ['http://opcfoundation.org/UA/', 'urn:other', 'urn:millrace:simulator'];

describe('endpoint config', () => {
  it('defaults to browsing the demo plant PLTCM folder by namespace URI', () => {
    expect(DEMO_PLANT_ENDPOINTS).toEqual([
      expect.objectContaining({
        url: 'opc.tcp://127.0.0.1:4840/millrace',
        name: 'opc.tcp://127.0.0.1:4840/millrace',
        securityMode: 'None',
        securityPolicy: 'None',
        browse: [{ namespaceUri: 'urn:millrace:simulator', path: 'plant1/coldmill/pltcm' }],
      }),
    ]);
  });

  it('picks Basic256Sha256 for SignAndEncrypt and refuses contradictions', () => {
    const [endpoint] = endpointsSchema.parse([
      {
        url: 'opc.tcp://h:4840',
        securityMode: 'SignAndEncrypt',
        items: [{ nodeId: 'ns=2;s=x', tag: 'a/b/c/d' }],
      },
    ]);
    expect(endpoint?.securityPolicy).toBe('Basic256Sha256');
    const issues = (input: unknown) =>
      endpointsSchema.safeParse(input).error?.issues.map((issue) => issue.message) ?? [];
    expect(issues([{ url: 'opc.tcp://h:4840' }])).toEqual(['needs at least one browse root or item']);
    expect(issues([{ url: 'http://h', browse: [{ namespaceUri: 'u', path: 'a' }] }])).toEqual([
      'must be an opc.tcp:// URL',
    ]);
    expect(
      issues([
        {
          url: 'opc.tcp://h',
          securityMode: 'None',
          securityPolicy: 'Basic256Sha256',
          items: [{ nodeId: 'i=1', tag: 'a/b/c/d' }],
        },
      ]),
    ).toEqual(['must be None with securityMode None']);
    expect(issues([{ url: 'opc.tcp://h', items: [{ nodeId: 'i=1', tag: 'not a tag' }] }])).toHaveLength(1);
    const twice = { url: 'opc.tcp://h', items: [{ nodeId: 'i=1', tag: 'a/b/c/d' }] };
    expect(issues([twice, twice])).toEqual(['duplicate endpoint name opc.tcp://h']);
  });
});

describe('plan', () => {
  it('resolves namespace indexes by URI, never by number', () => {
    expect(namespaceIndex(namespaces, 'urn:millrace:simulator')).toBe(2);
    expect(resolveNodeId({ nodeId: 's=a/b', namespaceUri: 'urn:millrace:simulator' }, namespaces)).toBe(
      'ns=2;s=a/b',
    );
    expect(resolveNodeId({ nodeId: 'ns=5;i=7' }, namespaces)).toBe('ns=5;i=7');
    expect(() => namespaceIndex(namespaces, 'urn:missing')).toThrow(OpcuaMappingError);
    expect(() => resolveNodeId({ nodeId: 'ns=1;s=x', namespaceUri: 'urn:other' }, namespaces)).toThrow(
      /names its namespace/,
    );
  });

  it('writes the relative path from Objects with qualified, escaped names', () => {
    expect(relativePathText({ path: 'plant1/coldmill/pltcm' }, 3)).toBe('/3:plant1/3:coldmill/3:pltcm');
    expect(relativePathText({ path: 'a.b/c:d' }, 1)).toBe('/1:a&.b/1:c&:d');
  });

  it('names browsed variables from the root path or prefix plus the browse names below', () => {
    const root = { path: 'plant1/coldmill/pltcm' };
    expect(browsedTag(root, ['stand1', 'roll_force'])).toEqual({
      ok: true,
      tag: 'plant1/coldmill/pltcm/stand1/roll_force',
    });
    expect(browsedTag({ ...root, tagPrefix: 'site/area/line' }, ['x'])).toEqual({
      ok: true,
      tag: 'site/area/line/x',
    });
    expect(browsedTag(root, ['a', 'b', 'c', 'd'])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/levels/),
    });
    expect(browsedTag(root, ['bad name'])).toMatchObject({ ok: false });
  });

  it('lets configured items win over browsed ones and groups items by their parameters', () => {
    const root: BrowseRoot = { namespaceUri: 'u', path: 'p/q/r', deadband: 0.5 };
    const { items, duplicates } = planItems(
      { samplingIntervalMs: 1000 },
      [
        {
          nodeId: 'ns=2;s=p/q/r/a',
          node: {
            nodeId: 's=p/q/r/a',
            tag: tagPath('p/q/r/a'),
            samplingIntervalMs: 100,
            deadband: undefined,
          },
        },
      ],
      [
        { nodeId: 'ns=2;s=p/q/r/a', tag: tagPath('p/q/r/a'), root },
        { nodeId: 'ns=2;s=p/q/r/b', tag: tagPath('p/q/r/b'), root },
        { nodeId: 'ns=2;s=p/q/r/c', tag: tagPath('p/q/r/c'), root },
      ],
    );
    expect(items.map((item) => [item.tag, item.samplingIntervalMs, item.deadband])).toEqual([
      ['p/q/r/a', 100, undefined],
      ['p/q/r/b', 1000, 0.5],
      ['p/q/r/c', 1000, 0.5],
    ]);
    expect(duplicates).toEqual(['ns=2;s=p/q/r/a → p/q/r/a']);
    expect(
      monitoringGroups(items).map((group) => [group.samplingIntervalMs, group.deadband, group.items.length]),
    ).toEqual([
      [100, undefined, 1],
      [1000, 0.5, 2],
    ]);
  });

  it('sizes the server queue to hold the samples between two publishes', () => {
    expect(queueSizeFor(1000, 500)).toBe(2);
    expect(queueSizeFor(100, 500)).toBe(10);
    expect(queueSizeFor(0, 500)).toBe(100);
  });
});
