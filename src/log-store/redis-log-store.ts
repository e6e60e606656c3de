import { randomUUID } from 'node:crypto';
import type { Result } from 'ioredis';
import type { RedisClient } from '../redis/redis-client.factory';
import type { LogEntry, StoredEntry } from './log-entry';
import { hasFilters, parseEntry, parseQueued, queryEntries } from './log-query';
import {
  KeepOptions,
  LogQuery,
  LogStore,
  UnshippedEntry,
  RecordSeries,
  SeriesRecord,
  ShippingQueueStats,
} from './log-store';
import type { LogStoreLimits } from './memory-log-store';

export interface RedisLogStoreOptions extends LogStoreLimits {
  /** The list GET /logs reads (REDIS_LOGS_KEY). */
  viewKey: string;
  /** The stream the shipper reads (REDIS_LOG_STREAM_KEY); its drop counter lives at `<streamKey>:dropped`. */
  streamKey: string;
  /** This process's consumer in the group (HOSTNAME): each replica reads its own share of the queue. */
  consumer?: string;
  /** Entries another consumer has held unacknowledged this long are taken over (LOG_SHIP_CLAIM_IDLE_MS). */
  claimIdleMs?: number;
  /** A consumer that holds nothing and was idle this long is a replica gone for good: it is removed (a day). */
  consumerMaxIdleMs?: number;
}

/** The stream's consumer group, shared by every replica; each replica is a consumer of its own in it. */
const GROUP = 'shipper';
const DEFAULT_CONSUMER = 'shipper';
const DEFAULT_CLAIM_IDLE_MS = 60_000;
const DEFAULT_CONSUMER_MAX_IDLE_MS = 24 * 3600_000;
/** How often a store looks for such consumers. */
const CONSUMER_SWEEP_INTERVAL_MS = 3600_000;

/** Entries per script call, so one call never holds Redis long; a batch bigger than this is split. */
const CHUNK = 500;

/** How long the last batch written by a store instance is remembered (renewed by each write). */
const LAST_BATCH_TTL_SECONDS = 3600;

/**
 * One round trip, atomic, per batch: push the entries on the view and trim it, add them to the stream and trim it
 * to LOG_BUFFER_MAX, and count what the trim dropped (plus what the caller dropped before); returns what the trim
 * dropped, which the calling process counts as its own drops (-1: skipped). A batch identical to
 * the last one this store instance wrote (same first and last entry ids and size) is skipped: the writer retries a
 * batch whose answer it never got, which may have been written. One small key per process remembers it.
 * KEYS: view, stream, drop counter, last batch. ARGV: view max, buffer max, dropped before, ttl, signature, entries…
 */
const APPEND_SCRIPT = `
if redis.call('GET', KEYS[4]) == ARGV[5] then
  return -1
end
for i = 6, #ARGV do
  redis.call('LPUSH', KEYS[1], ARGV[i])
  redis.call('XADD', KEYS[2], '*', 'entry', ARGV[i])
end
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[1]) - 1)
local trimmed = redis.call('XTRIM', KEYS[2], 'MAXLEN', ARGV[2])
local dropped = trimmed + tonumber(ARGV[3])
if dropped > 0 then
  redis.call('INCRBY', KEYS[3], dropped)
end
redis.call('SET', KEYS[4], ARGV[5], 'EX', ARGV[4])
return trimmed
`;

/** Records forgotten per call at most, so that one call never holds Redis long (the next call forgets more). */
const FORGET_PER_CALL = 1000;

/**
 * Keeps a series record in one atomic step: the record by id in a hash and its time in a sorted set (only if the id
 * is new, with `once`), with `ship` its JSON on the stream too (trimmed to LOG_BUFFER_MAX, drops counted), and the
 * series' records older than the cut-off forgotten. Returns {written (1 or 0), entries the trim dropped}.
 * KEYS: hash, sorted set, stream, drop counter. ARGV: id, time, json, once, ship, buffer max, keep since.
 */
const KEEP_SCRIPT = `
if ARGV[4] == '1' then
  if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[3]) == 0 then
    return {0, 0}
  end
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
local trimmed = 0
if ARGV[5] == '1' then
  redis.call('XADD', KEYS[3], '*', 'entry', ARGV[3])
  trimmed = redis.call('XTRIM', KEYS[3], 'MAXLEN', ARGV[6])
  if trimmed > 0 then
    redis.call('INCRBY', KEYS[4], trimmed)
  end
end
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[7], 'LIMIT', 0, ${FORGET_PER_CALL})
if #old > 0 then
  redis.call('ZREM', KEYS[2], unpack(old))
  redis.call('HDEL', KEYS[1], unpack(old))
end
return {1, trimmed}
`;

/** The newest `limit` records from a time on, oldest first. KEYS: hash, sorted set. ARGV: since, limit. */
const RECORDS_SCRIPT = `
local ids = redis.call('ZREVRANGEBYSCORE', KEYS[2], '+inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local out = {}
for i = #ids, 1, -1 do
  local json = redis.call('HGET', KEYS[1], ids[i])
  if json then
    out[#out + 1] = json
  end
end
return out
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** APPEND_SCRIPT, defined on the client by RedisLogStore (EVALSHA, and EVAL when Redis lost its script cache). */
    lungcheckLogAppend(...keysAndArgs: (string | number)[]): Result<number, Context>;
    /** KEEP_SCRIPT, likewise. */
    lungcheckKeepRecord(...keysAndArgs: (string | number)[]): Result<[number, number], Context>;
    /** RECORDS_SCRIPT, likewise. */
    lungcheckRecords(...keysAndArgs: (string | number)[]): Result<string[], Context>;
  }
}

/** `[id, [field, value, …]]`, or `[id, null]` for a pending entry trimmed away since it was delivered. */
type StreamMessage = [string, string[] | null];
type StreamReply = [string, StreamMessage[]][] | null;

/**
 * Log entries in Redis: the view is a list (LPUSH + LTRIM to REDIS_LOGS_MAX_SIZE, newest at the head) and the
 * shipping queue a stream with a consumer group, bounded at LOG_BUFFER_MAX with drops counted. Each replica is a
 * consumer of the group: it reads its own pending entries first, then takes over those another consumer has held
 * unacknowledged for `claimIdleMs` (a replica that died mid-run, XAUTOCLAIM), then new ones (XREADGROUP); it
 * acknowledges with XACK + XDEL.
 */
export class RedisLogStore extends LogStore {
  private readonly droppedKey: string;
  /** Entries this store instance dropped, and when it last did (see droppedHere). */
  private dropped = 0;
  private lastDropAt: number | null = null;
  private readonly lastBatchKey: string;
  private readonly consumer: string;
  private readonly claimIdleMs: number;
  private readonly consumerMaxIdleMs: number;
  private lastSweepMs = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: RedisLogStoreOptions,
  ) {
    super();
    this.droppedKey = `${options.streamKey}:dropped`;
    this.lastBatchKey = `${options.streamKey}:last-batch:${randomUUID()}`;
    this.consumer = options.consumer ?? DEFAULT_CONSUMER;
    this.claimIdleMs = options.claimIdleMs ?? DEFAULT_CLAIM_IDLE_MS;
    this.consumerMaxIdleMs = options.consumerMaxIdleMs ?? DEFAULT_CONSUMER_MAX_IDLE_MS;
    // Defining them again on a shared client (a second store) replaces them with the same scripts.
    redis.defineCommand('lungcheckLogAppend', { numberOfKeys: 4, lua: APPEND_SCRIPT });
    redis.defineCommand('lungcheckKeepRecord', { numberOfKeys: 4, lua: KEEP_SCRIPT });
    redis.defineCommand('lungcheckRecords', { numberOfKeys: 2, lua: RECORDS_SCRIPT });
  }

  /** `<view key>:<series>` (hash by id) and `<view key>:<series>:time` (ids by time): one slot with the view's tag. */
  private seriesKeys(series: RecordSeries): [string, string] {
    const hash = `${this.options.viewKey}:${series}`;
    return [hash, `${hash}:time`];
  }

  droppedHere(): { count: number; lastAt: number | null } {
    return { count: this.dropped, lastAt: this.lastDropAt };
  }

  private countDrops(count: number): void {
    if (count > 0) {
      this.dropped += count;
      this.lastDropAt = Date.now();
    }
  }

  async keepRecord(series: RecordSeries, record: SeriesRecord, options: KeepOptions): Promise<boolean> {
    const [written, trimmed] = await this.redis.lungcheckKeepRecord(
      ...this.seriesKeys(series),
      this.options.streamKey,
      this.droppedKey,
      record.id,
      record.atMs,
      record.json,
      options.once ? 1 : 0,
      options.ship ? 1 : 0,
      this.options.bufferMax,
      options.keepSinceMs,
    );
    this.countDrops(trimmed);
    return written === 1;
  }

  records(series: RecordSeries, sinceMs: number, limit: number): Promise<string[]> {
    return this.redis.lungcheckRecords(...this.seriesKeys(series), sinceMs, limit);
  }

  shared(name: string): Promise<string | null> {
    return this.redis.hget(`${this.options.viewKey}:shared`, name);
  }

  async setShared(name: string, value: string | null): Promise<void> {
    const key = `${this.options.viewKey}:shared`;
    await (value === null ? this.redis.hdel(key, name) : this.redis.hset(key, name, value));
  }

  async append(entries: readonly StoredEntry[], droppedBefore = 0): Promise<void> {
    if (entries.length === 0) {
      if (droppedBefore > 0) {
        await this.redis.incrby(this.droppedKey, droppedBefore);
      }
      return;
    }
    for (let start = 0; start < entries.length; start += CHUNK) {
      const chunk = entries.slice(start, start + CHUNK);
      await this.appendChunk(chunk, start === 0 ? droppedBefore : 0);
    }
  }

  async list(query: LogQuery): Promise<{ total: number; logs: LogEntry[] }> {
    const { viewKey } = this.options;
    if (hasFilters(query)) {
      const all = await this.redis.lrange(viewKey, 0, -1);
      return queryEntries(all, parseEntry, query);
    }
    const [[lenError, total], [rangeError, page]] = (await this.redis
      .multi()
      .llen(viewKey)
      .lrange(viewKey, query.offset, query.offset + query.limit - 1)
      .exec()) as [[Error | null, number], [Error | null, string[]]];
    if (lenError ?? rangeError) {
      throw lenError ?? rangeError;
    }
    return { total, logs: page.map(parseEntry).filter((entry): entry is LogEntry => entry !== undefined) };
  }

  async clearView(): Promise<number> {
    const [[error, deleted]] = (await this.redis
      .multi()
      .llen(this.options.viewKey)
      .del(this.options.viewKey)
      .exec()) as [[Error | null, number]];
    if (error) {
      throw error;
    }
    return deleted;
  }

  async readUnshipped(count: number): Promise<UnshippedEntry[]> {
    const read: UnshippedEntry[] = [];
    // This consumer's pending list first (delivered, never acknowledged), from a cursor so that entries trimmed
    // away since their delivery do not stop the read short; then entries never delivered.
    let cursor = '0';
    while (read.length < count) {
      const wanted = count - read.length;
      const batch = await this.readGroup(wanted, cursor);
      read.push(...batch.entries);
      if (batch.delivered < wanted) {
        break;
      }
      cursor = batch.lastId;
    }
    if (read.length < count) {
      read.push(...(await this.claimAbandoned(count - read.length)));
    }
    if (read.length < count) {
      read.push(...(await this.readGroup(count - read.length, '>')).entries);
    }
    // Housekeeping: a failure here must not fail the read; the next sweep, an hour later, tries again.
    await this.sweepConsumers().catch(() => undefined);
    return read;
  }

  async ack(queueIds: readonly string[]): Promise<void> {
    const { streamKey } = this.options;
    for (let start = 0; start < queueIds.length; start += CHUNK) {
      const ids = queueIds.slice(start, start + CHUNK);
      const replies = await this.redis
        .multi()
        .xack(streamKey, GROUP, ...ids)
        .xdel(streamKey, ...ids)
        .exec();
      const failed = replies?.find(([error]) => error !== null);
      if (failed) {
        throw failed[0];
      }
    }
  }

  async queueStats(): Promise<ShippingQueueStats> {
    const { streamKey } = this.options;
    const replies = (await this.redis
      .multi()
      .xlen(streamKey)
      .get(this.droppedKey)
      .xrange(streamKey, '-', '+', 'COUNT', 1)
      .exec()) as [[Error | null, number], [Error | null, string | null], [Error | null, StreamMessage[]]];
    const failed = replies.find(([error]) => error !== null);
    if (failed) {
      throw failed[0];
    }
    const [[, pending], [, dropped], [, oldest]] = replies;
    const fields = oldest[0]?.[1];
    return {
      pending,
      dropped: Number(dropped ?? 0),
      oldestPendingAt: fields ? parseQueued(fields[1])?.timestamp : undefined,
    };
  }

  private async appendChunk(chunk: readonly StoredEntry[], droppedBefore: number): Promise<void> {
    const { viewKey, streamKey, viewMaxSize, bufferMax } = this.options;
    const signature = `${chunk[0].id}:${chunk[chunk.length - 1].id}:${chunk.length}`;
    const args = [
      viewKey,
      streamKey,
      this.droppedKey,
      this.lastBatchKey,
      viewMaxSize,
      bufferMax,
      droppedBefore,
      LAST_BATCH_TTL_SECONDS,
      signature,
      ...chunk.map((entry) => entry.json),
    ];
    this.countDrops(await this.redis.lungcheckLogAppend(...args));
  }

  /**
   * XREADGROUP after `id` (an id: this consumer's pending entries after it; '>': entries never delivered). Pending
   * entries trimmed away since their delivery come back without fields: they are acknowledged and skipped.
   */
  private async readGroup(
    count: number,
    id: string,
  ): Promise<{ entries: UnshippedEntry[]; delivered: number; lastId: string }> {
    const { streamKey } = this.options;
    const reply = await this.withGroup(
      () =>
        this.redis.xreadgroup(
          'GROUP',
          GROUP,
          this.consumer,
          'COUNT',
          count,
          'STREAMS',
          streamKey,
          id,
        ) as Promise<StreamReply>,
    );
    const messages = reply?.[0]?.[1] ?? [];
    return {
      // '>' delivers entries for the first time; an id re-reads this consumer's pending ones.
      entries: await this.parseDelivered(messages, id !== '>'),
      delivered: messages.length,
      lastId: messages[messages.length - 1]?.[0] ?? id,
    };
  }

  /**
   * Entries other consumers (replicas) were given and have not acknowledged for `claimIdleMs`, now this one's
   * (XAUTOCLAIM, oldest first, at most `count`). Entries trimmed away meanwhile come back as deleted ids, which Redis
   * drops from the pending list itself.
   */
  private async claimAbandoned(count: number): Promise<UnshippedEntry[]> {
    const claimed: UnshippedEntry[] = [];
    let cursor = '0-0';
    // A bounded walk: each step scans at most `count` pending entries.
    for (let step = 0; step < 10 && claimed.length < count; step += 1) {
      const [next, messages] = (await this.withGroup(() =>
        this.redis.xautoclaim(
          this.options.streamKey,
          GROUP,
          this.consumer,
          this.claimIdleMs,
          cursor,
          'COUNT',
          count - claimed.length,
        ),
      )) as [string, StreamMessage[]];
      claimed.push(...(await this.parseDelivered(messages, true)));
      if (next === '0-0') {
        break;
      }
      cursor = next;
    }
    return claimed;
  }

  /**
   * Entries delivered to this consumer, as stored (the shipper parses them). Pending entries trimmed away since
   * their delivery come back without fields: they were counted as dropped when the trim removed them, and are
   * acknowledged and skipped here.
   */
  private async parseDelivered(messages: StreamMessage[], redelivered: boolean): Promise<UnshippedEntry[]> {
    const entries: UnshippedEntry[] = [];
    const gone: string[] = [];
    for (const [queueId, fields] of messages) {
      const json = fields?.[1];
      if (json === undefined) {
        gone.push(queueId);
      } else {
        entries.push({ queueId, json, redelivered });
      }
    }
    if (gone.length > 0) {
      await this.ack(gone);
    }
    return entries;
  }

  /** At most hourly: removes the consumers (replicas gone for good) that hold nothing and were idle for a day. */
  private async sweepConsumers(): Promise<void> {
    const now = Date.now();
    if (now - this.lastSweepMs < CONSUMER_SWEEP_INTERVAL_MS) {
      return;
    }
    this.lastSweepMs = now;
    const consumers = (await this.redis.xinfo('CONSUMERS', this.options.streamKey, GROUP)) as unknown[][];
    for (const fields of consumers) {
      const info = Object.fromEntries(
        Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]]),
      ) as { name?: string; pending?: number; idle?: number; inactive?: number };
      const idle = Math.min(Number(info.idle ?? 0), Number(info.inactive ?? info.idle ?? 0));
      if (
        info.name &&
        info.name !== this.consumer &&
        Number(info.pending) === 0 &&
        idle > this.consumerMaxIdleMs
      ) {
        await this.redis.xgroup('DELCONSUMER', this.options.streamKey, GROUP, info.name);
      }
    }
  }

  /** Runs a group command, creating the group first if the stream or its group does not exist yet (or any more). */
  private async withGroup<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOGROUP')) {
        throw error;
      }
      await this.redis
        .xgroup('CREATE', this.options.streamKey, GROUP, '0', 'MKSTREAM')
        .catch((createError: unknown) => {
          if (!(createError instanceof Error) || !createError.message.startsWith('BUSYGROUP')) {
            throw createError;
          }
        });
      return command();
    }
  }
}
