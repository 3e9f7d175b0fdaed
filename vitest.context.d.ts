// Integration tests read the addresses of the stack that infra/src/testing/global-setup.ts started with
// `inject('stack')`. Declared here, outside every project, so a lib's tests get the typing without
// depending on infra.
import type {} from 'vitest';
import type { StackAddresses } from './infra/src/stack/types.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackAddresses;
  }
}
