import { describeLogStoreContract } from '../../test/support/request-log/log-store.contract';
import { MemoryLogStore } from './memory-log-store';

describe(MemoryLogStore.name, () => {
  describeLogStoreContract({ create: (limits) => Promise.resolve(new MemoryLogStore(limits)) });
});
