import type { SimulatorConfig } from '@millrace/config';

/** Injection token of the service's frozen config. */
export const SIMULATOR_CONFIG = Symbol('SIMULATOR_CONFIG');
export type SimulatorSettings = Readonly<SimulatorConfig>;
