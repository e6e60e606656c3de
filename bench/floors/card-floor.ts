/**
 * Floor (c) of `npm run bench`: the empty Nest floor plus what the design card prescribes around a handler and
 * nothing else: an AsyncLocalStorage middleware (the request context), one global interceptor (the request log's
 * place), and a global ValidationPipe with a class-validator DTO of the 15 answers. No model, no log store.
 */
import 'reflect-metadata';
import {
  Body,
  CallHandler,
  Controller,
  ExecutionContext,
  HttpCode,
  Injectable,
  Module,
  NestInterceptor,
  Post,
  ValidationPipe,
} from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { Max, Min, IsInt } from 'class-validator';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Observable, tap } from 'rxjs';

const context = new AsyncLocalStorage<{ id: string; start: bigint }>();

const answer = (max: number): PropertyDecorator => {
  const decorators = [IsInt(), Min(0), Max(max)];
  return (target, key) => decorators.forEach((d) => d(target, key));
};

class AnswersDto {
  @answer(120) AGE!: number;
  @answer(1) GENDER!: number;
  @answer(1) SMOKING!: number;
  @answer(1) YELLOW_FINGERS!: number;
  @answer(1) ANXIETY!: number;
  @answer(1) PEER_PRESSURE!: number;
  @answer(1) 'CHRONIC DISEASE'!: number;
  @answer(1) FATIGUE!: number;
  @answer(1) ALLERGY!: number;
  @answer(1) WHEEZING!: number;
  @answer(1) 'ALCOHOL CONSUMING'!: number;
  @answer(1) COUGHING!: number;
  @answer(1) 'SHORTNESS OF BREATH'!: number;
  @answer(1) 'SWALLOWING DIFFICULTY'!: number;
  @answer(1) 'CHEST PAIN'!: number;
}

@Injectable()
class TimingInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(tap(() => context.getStore()));
  }
}

@Controller()
class CardController {
  @Post('predict')
  @HttpCode(200)
  predict(@Body() body: AnswersDto): object {
    return { prediction: 1, probability: 0.5, age: body.AGE, id: context.getStore()?.id };
  }
}

@Module({
  controllers: [CardController],
  providers: [{ provide: APP_INTERCEPTOR, useClass: TimingInterceptor }],
})
class CardModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(CardModule, { logger: false });
  app.use((_req: Request, _res: Response, next: NextFunction) =>
    context.run({ id: randomUUID(), start: process.hrtime.bigint() }, next),
  );
  app.useGlobalPipes(new ValidationPipe({ transform: true }));
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  console.log(`Listening on http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`);
}

void main();
