// The `wslay/redis` entry: a broker that carries WebSocketServer topics across processes.
export { RedisBroker } from './redis/redis-broker.js';
export type { RedisBrokerEvents, RedisBrokerOptions } from './redis/redis-broker.js';
export type { Broker, BrokerSink } from './ws/broker.js';
