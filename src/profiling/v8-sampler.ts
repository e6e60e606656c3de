import { Session } from 'node:inspector';
import type { TopFunction } from '../log-store/log-entry';
import { TOP_FUNCTIONS } from './request-profile';
import { CpuProfile, topFunctionsOfProfile } from './v8-profile';

/** Micro-seconds between samples: a millisecond-long prediction still gets about ten. */
const SAMPLING_INTERVAL_US = 100;

/** Returned by `start` and ended with `stop` once the request is answered. */
export interface V8Sample {
  stop(): Promise<{ functionCalls: number; topFunctions: TopFunction[] }>;
}

/**
 * Real V8 CPU profiles (node:inspector) of a sample of requests (PROFILE_SAMPLE_RATE). V8 runs one profile per
 * session at a time and samples the whole process, so a request starting while another is profiled is not
 * sampled, and a profile shows whatever ran meanwhile.
 */
export class V8Sampler {
  private session?: Session;
  private busy = false;

  constructor(
    private readonly rate: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Starts profiling this request if it is drawn and no other is being profiled; undefined otherwise. */
  async start(): Promise<V8Sample | undefined> {
    if (this.rate <= 0 || this.busy || this.random() >= this.rate) {
      return undefined;
    }
    this.busy = true;
    try {
      const session = await this.connected();
      await post(session, 'Profiler.start');
    } catch (error) {
      this.busy = false;
      throw error;
    }
    return {
      stop: async () => {
        try {
          const { profile } = await post<{ profile: CpuProfile }>(this.connectedSession(), 'Profiler.stop');
          return topFunctionsOfProfile(profile, TOP_FUNCTIONS, [__filename]);
        } finally {
          this.busy = false;
        }
      },
    };
  }

  close(): void {
    this.session?.disconnect();
    this.session = undefined;
  }

  private async connected(): Promise<Session> {
    if (!this.session) {
      const session = new Session();
      session.connect();
      await post(session, 'Profiler.enable');
      await post(session, 'Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
      this.session = session;
    }
    return this.session;
  }

  private connectedSession(): Session {
    if (!this.session) {
      throw new Error('The V8 profiler session was closed');
    }
    return this.session;
  }
}

function post<T = object>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}
