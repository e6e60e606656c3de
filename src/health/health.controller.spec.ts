import { ServiceUnavailableException } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import type { Request } from 'express';
import type { IncomingMessage } from 'node:http';
import { bindRequestContext } from '../common/request-context';
import { HealthController } from './health.controller';
import { type HealthReport, HealthService } from './health.service';

describe(HealthController.name, () => {
  const state = { ready: true, models_loaded: true, shutting_down: false };
  const checks: (bigint | undefined)[] = [];
  const report = { status: 'healthy' } as HealthReport;
  let controller: HealthController;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        {
          provide: HealthService,
          useValue: {
            ready: () => ({ ...state }),
            check: (startedNs?: bigint) => {
              checks.push(startedNs);
              return Promise.resolve(report);
            },
          },
        },
      ],
    }).compile();
    controller = moduleRef.get(HealthController);
  });

  it('reports the service, its budget counted from the arrival of the request', async () => {
    const req = {} as Request;
    bindRequestContext(req as IncomingMessage, { transactionId: 't', startNs: 42n, stages: new Map() });
    expect(await controller.check(req)).toBe(report);
    expect(await controller.check({} as Request)).toBe(report);
    expect(checks).toEqual([42n, undefined]);
  });

  it('answers the liveness probe while the process runs', async () => {
    expect(await controller.live()).toEqual({
      status: 'ok',
      info: { process: { status: 'up' } },
      error: {},
      details: { process: { status: 'up' } },
    });
  });

  it('is ready with its models loaded and before shutdown', async () => {
    Object.assign(state, { ready: true, models_loaded: true, shutting_down: false });
    expect(await controller.ready()).toEqual({
      status: 'ok',
      info: { service: { status: 'up', models_loaded: true, shutting_down: false } },
      error: {},
      details: { service: { status: 'up', models_loaded: true, shutting_down: false } },
    });
  });

  it('fails readiness (503) once shutdown has begun, saying why', async () => {
    Object.assign(state, { ready: false, models_loaded: true, shutting_down: true });
    const error = await controller.ready().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableException);
    expect((error as ServiceUnavailableException).getResponse()).toEqual({
      status: 'error',
      info: {},
      error: { service: { status: 'down', models_loaded: true, shutting_down: true } },
      details: { service: { status: 'down', models_loaded: true, shutting_down: true } },
    });
  });
});
