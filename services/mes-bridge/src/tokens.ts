import type { MesBridgeConfig } from '@millrace/config';

/** The parsed, frozen config of the service. */
export const CONFIG = Symbol('MES_BRIDGE_CONFIG');
export type Settings = Readonly<MesBridgeConfig>;
