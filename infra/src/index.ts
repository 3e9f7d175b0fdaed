export { startStack, findRunningComponents, componentPaths, localAddresses } from './stack/stack.js';
export { StackError } from './stack/errors.js';
export { probeKafka } from './stack/kafka.js';
export { probeQuestdb } from './stack/questdb.js';
export { mqttHandshake, probeMqtt } from './stack/mqtt.js';
export {
  COMPONENTS,
  DEFAULT_PORTS,
  LOCAL_HOST,
  type ComponentName,
  type KafkaSetup,
  type MosquittoSetup,
  type QuestdbSetup,
  type RunningStack,
  type StackAddresses,
  type StackComponents,
  type StackOptions,
  type StackPorts,
} from './stack/types.js';
export { provisionStack } from './provision.js';
export { discoverServices, serviceArgs, serviceEnv, type ServiceEntry } from './services.js';
