/**
 * Parts of the broker that have their own lifecycle (coordinators and their timers). The broker
 * starts them after the logs are open and stops them, in reverse order, before the logs close.
 */
import { GroupCoordinator } from "../coordinator/group-coordinator.js";
import { TransactionCoordinator } from "../coordinator/transactions/transaction-coordinator.js";
import type { Broker } from "./broker.js";

export interface BrokerComponent {
  readonly name: string;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** The components a broker runs, in start order. */
export function createComponents(broker: Broker): BrokerComponent[] {
  return [new GroupCoordinator(broker), new TransactionCoordinator(broker)];
}
